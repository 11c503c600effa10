"""An error raised by a submission's own code, as a grader reads it in a table: one line."""

import traceback
from pathlib import Path


def one_line(error: BaseException, submission: Path) -> str:
    """The error's type, message, and the submission's line that raised it (a notebook's: its cell and line)."""
    if isinstance(error, SyntaxError):
        return f"SyntaxError: {error.msg} ({Path(error.filename or '?').name}, line {error.lineno})"
    if isinstance(error, SystemExit):
        return f"called sys.exit({error.code!r})"
    message = " ".join(str(error).split()) or "(no message)"
    folder = submission if submission.is_dir() else submission.parent
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).is_relative_to(folder)]
    where = f" ({Path(frames[-1].filename).name}, line {frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {message}{where}"
