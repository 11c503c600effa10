"""Checking a batch of submissions side by side, and writing every report and the summary."""

import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from nnlab.checks.judged import every_question
from nnlab.grading.sandbox import choose
from nnlab.grading.submission_report import FAILED, build_report, counts, write_report
from nnlab.grading.summary import write_class_summary
from nnlab.grading.supervise import Checked, Limits, check_submission, stop_all


def submission_names(paths: list[Path]) -> list[str]:
    """Each submission's name, its file's stem or its folder's name; a repeated one gets -2, -3, ..."""
    stems = [path.resolve().name if path.is_dir() else path.stem for path in paths]
    names: list[str] = []
    for stem in stems:
        name, copy = stem, 1
        while name in names or (copy > 1 and name in stems):  # "lab-2" may be another submission's own name
            copy += 1
            name = f"{stem}-{copy}"
        names.append(name)
    return names


def check_batch(
    paths: list[Path],
    out: Path,
    limits: Limits,
    jobs: int | None = None,
    adapter: Path | None = None,
    log=tqdm.write,
    sandbox: str = "auto",
) -> list[dict]:
    """Check every submission (``jobs`` at a time), write ``out/<name>/report.*`` and the summary; the reports.

    A line for each submission as it finishes goes to ``log``; on a terminal, a progress bar with the time left
    stays under them on stderr (``tqdm.write``, the default ``log``, prints above it; tqdm shows no bar where
    stderr is not a terminal). ``sandbox`` is ``auto``, ``on`` or ``off`` (``nnlab.grading.sandbox``); ``on``
    raises ``SandboxUnavailable`` before checking anything where bwrap does not work."""
    # every worker runs in a temporary folder of its own: a path relative to ours would name a file there
    paths, out, adapter = [path.absolute() for path in paths], out.absolute(), adapter and adapter.absolute()
    out.mkdir(parents=True, exist_ok=True)
    isolation = choose(sandbox, hidden=[*paths, out])  # no worker sees a classmate's lab or the reports
    jobs = jobs or os.cpu_count() or 1
    names = submission_names(paths)
    reports: dict[str, dict] = {}
    # drawn here once, as the supervisor judges them, instead of in every worker; and before any submission is
    # judged in a thread of its own (drawing a question can seed torch's global generator for a moment)
    questions = every_question()

    def record(checked: Checked) -> None:
        report = build_report(checked)
        write_report(report, out / checked.name, checked.output)
        reports[checked.name] = report
        tally = ", ".join(f"{n} {result}" for result, n in counts(report).items() if n)
        why = f" ({report['error']})" if report["error"] else ""
        log(f"[{len(reports)}/{len(paths)}] {checked.name}: {report['status']}{why}; {tally} ({checked.seconds:.0f} s)")
        progress.update()

    with (
        ThreadPoolExecutor(max_workers=jobs) as pool,
        tqdm(total=len(paths), unit="submission", disable=None) as progress,
    ):
        pending = [
            pool.submit(check_submission, path, name, limits, adapter, isolation, questions)
            for path, name in zip(paths, names)
        ]
        try:
            for future in as_completed(pending):
                record(future.result())
        except KeyboardInterrupt:
            # Ctrl-C: stop every worker, then write what finished (and what was stopped) before going
            stop_all()
            pool.shutdown(wait=True, cancel_futures=True)
            for future in pending:
                if future.done() and not future.cancelled() and future.result().name not in reports:
                    record(future.result())
            write_class_summary([reports[name] for name in names if name in reports], out)
            raise
    ordered = [reports[name] for name in names]
    write_class_summary(ordered, out)
    return ordered


def all_passed(reports: list[dict]) -> bool:
    """Every submission checked, and no claim it provides failed: the command's exit status 0."""
    return all(r["status"] == "checked" and not any(c["result"] in FAILED for c in r["claims"]) for r in reports)
