"""`nnlab check` on one submission of report sections 1 to 3 (blocks, parameters, layers) with --jobs 1.

The submission is the sample correct lab's three scripts. The time is the
command's, worker start-up (importing torch in a fresh process) and
loading included; the target is 30 s on the 2-core machine
(``python benchmarks/saved_runs.py`` checks it).
"""

import shutil
from pathlib import Path

import pytest
from saved_runs import CHECK_GROUP as GROUP

from nnlab.cli import main


@pytest.fixture
def sections_1_to_3(tmp_path):
    examples = Path(__file__).parents[1] / "examples" / "correct_lab"
    submission = tmp_path / "student"
    submission.mkdir()
    for section in ("blocks", "parameters", "layers"):
        shutil.copy(examples / f"{section}.py", submission)
    return submission


@pytest.mark.benchmark(group=GROUP)
def test_check_one_submission_of_sections_1_to_3(benchmark, sections_1_to_3, tmp_path):
    benchmark.extra_info["candidate"] = "nnlab check"
    argv = ["check", str(sections_1_to_3), "--jobs", "1", "--out", str(tmp_path / "out")]
    assert benchmark.pedantic(main, args=(argv,), rounds=2, iterations=1) == 0
