"""Pathological: ``sys.exit`` at import, which must not end the grader or pass as success."""

import sys

sys.exit(0)
