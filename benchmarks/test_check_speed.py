"""`nnlab check` on report sections 1 to 3 (blocks, parameters, layers): one submission with --jobs 1, and a class of
20 with --jobs 2.

Each submission is the sample correct lab's three scripts. The time is the
command's, worker start-up (importing torch in a fresh process), loading, the
reports and the class summary included; the targets are 30 s for one and 60 s
for the class on the 2-core machine (``python benchmarks/saved_runs.py``
checks them).
"""

import shutil
from pathlib import Path

import pytest
from saved_runs import CHECK_GROUP, CLASS_GROUP, CLASS_SIZE

from nnlab.cli import main

EXAMPLES = Path(__file__).parents[1] / "examples" / "correct_lab"


def sections_1_to_3(folder: Path) -> Path:
    folder.mkdir()
    for section in ("blocks", "parameters", "layers"):
        shutil.copy(EXAMPLES / f"{section}.py", folder)
    return folder


@pytest.mark.benchmark(group=CHECK_GROUP)
def test_check_one_submission_of_sections_1_to_3(benchmark, tmp_path):
    benchmark.extra_info["candidate"] = "nnlab check"
    argv = ["check", str(sections_1_to_3(tmp_path / "student")), "--jobs", "1", "--out", str(tmp_path / "out")]
    assert benchmark.pedantic(main, args=(argv,), rounds=2, iterations=1) == 0


@pytest.mark.benchmark(group=CLASS_GROUP)
def test_check_a_class_of_sections_1_to_3(benchmark, tmp_path):
    benchmark.extra_info["candidate"] = "nnlab check"
    # a smoke run (--benchmark-disable) only checks that the benchmark runs: two submissions
    size = 2 if benchmark.disabled else CLASS_SIZE
    benchmark.extra_info["submissions"] = size
    submissions = [str(sections_1_to_3(tmp_path / f"student{i:02}")) for i in range(size)]
    argv = ["check", *submissions, "--jobs", "2", "--out", str(tmp_path / "out")]
    assert benchmark.pedantic(main, args=(argv,), rounds=1, iterations=1) == 0
