"""Run nnlab's claim checks from your own pytest suite, as scikit-learn's ``parametrize_with_checks`` does.

Put this file beside your lab (a folder of section scripts: ``blocks.py``,
``parameters.py``, ``layers.py``, ``fileio.py``, ``classifier.py``,
``chapter.py``, or one file with every role) and run ``pytest``. Each check is
one test; a role your lab does not define is skipped, and a failure names the
property, hypothesis's smallest counterexample and what was expected. Each check gets the result ``nnlab check``
gives it. Without this file, ``pytest --nnlab-lab .`` runs the same tests.
"""

from pathlib import Path

from nnlab.checks import load_lab, parametrize_with_checks

MY_LAB = Path(__file__).parent  # your lab: this folder, or a file


@parametrize_with_checks(load_lab(MY_LAB))
def test_my_lab(lab, check):
    check(lab)
