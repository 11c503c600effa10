"""Pathological: runaway output at import, which must not fill the grader's disk or memory."""

while True:
    print("epoch", "loss", "=" * 100)
