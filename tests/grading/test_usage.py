"""`nnlab check`'s usage errors: exit status 2 and a message naming the fix, before any submission is run (so these
run under mutmut, where tests/grading/test_command.py, which starts workers, cannot)."""

import pytest

from nnlab.cli import main
from tests.grading.conftest import EXAMPLES


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check"], "the following arguments are required: PATH"),
        (["check", "no/such/lab.py"], "no submission at no/such/lab.py"),
        (["check", "{lab}", "--adapter", "no_adapter.py"], "no adapter file at no_adapter.py"),
        (["check", "{lab}", "{lab}", "--gradescope", "r.json"], "--gradescope writes one submission's results"),
        (["check", "{lab}", "--timeout", "10", "--check-timeout", "20"], "--check-timeout must not exceed"),
        (["check", "{lab}", "--jobs", "0"], "argument --jobs: must be positive, got 0"),
        (["check", "{lab}", "--memory-limit", "-1"], "argument --memory-limit: must be positive, got -1"),
        (["check", "{lab}/__pycache__"], "no submission among the paths given (only __pycache__)"),
    ],
)
def test_a_usage_error_names_the_fix_and_exits_2(argv, message, capsys):
    lab = str(EXAMPLES / "per_row_centering")
    with pytest.raises(SystemExit) as exit_:
        main([arg.format(lab=lab) for arg in argv])
    assert exit_.value.code == 2
    # argparse's last line, "nnlab check: error: MESSAGE": the message leads it, as written
    assert capsys.readouterr().err.splitlines()[-1].split(": error: ", 1)[1].startswith(message)
