"""A stand-in for ``nnlab.grading.worker`` that plays a script instead of loading a submission.

The "submission" it is handed is a JSON file saying what to do (``Script`` in
test_supervise.py writes it): report every check in order with the results it
lists (for a judged check, the answers it is given, or a failure's reason),
or go wrong in one of the ways a real submission makes its worker go wrong. It
imports no nnlab, so the supervisor's side of the protocol runs in the test's
own process, fast, where mutation testing sees it.
"""

import json
import os
import signal
import sys
import time
from pathlib import Path

config = json.loads(sys.stdin.readline())
script = json.loads(Path(config["submission"]).read_text())
channel, token = config["events_fd"], config["token"]


held = []  # with "at": {"writes": "one"}, every line goes in one write at the end, as a pipe may deliver them


def write(line: str) -> None:
    if script["at"].get("writes") == "one":
        held.append(line + "\n")
    else:
        os.write(channel, (line + "\n").encode())


def emit(**event) -> None:
    write(json.dumps({**event, "token": token}))


def misbehave(step: str) -> None:
    """What the script says happens at ``step``: ``loading``, a check's ID (once it started), ``after`` its ID, or
    ``after error`` (once a load error is reported)."""
    what = script["at"].get(step)
    if what == "hang":
        time.sleep(3600)
    elif what == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif what == "exit":
        os._exit(3)
    elif what == "forge":
        write(json.dumps({"event": "done"}))  # a line without the token
    elif what == "garble":
        write("{not json")
    elif what == "endless":  # a line longer than the channel takes (nnlab.grading.supervise.EVENT_BYTES)
        write("x" * (65 << 20))
    elif what == "done":
        emit(event="done")
    elif what == "loaded":
        emit(event="loaded", restored=[])
    elif what == "daemon":  # a first child leaves its session, starts a sleep, and ends, its parent not waiting
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "3600"])
            os._exit(0)
    elif what == "print":
        sys.stdout.write("x" * (3 << 20))
        sys.stdout.flush()


print(os.path.expandvars(script["printed"]), end="", flush=True)  # $NAME: the environment it was given
emit(event="loading")
misbehave("loading")
if script["error"]:
    emit(event="error", error=script["error"])
    misbehave("after error")
    sys.exit()
emit(event="loaded", restored=script["restored"], notebooks=script["notebooks"])
reported = [check for check in script["checks"] if check[0] not in config["skip"]]
if script["at"].get("order") == "swapped":
    reported[:2] = reported[1::-1]
for check, claim in reported:
    emit(event="start", check=check)
    roles = script["roles"].get(check, [])
    for role in roles:
        emit(event="role", role=role)
    hung = [role for role in roles if role in config["hung_roles"]]
    misbehave(check)
    result, detail = script["results"].get(check, ["pass", ""])
    if hung:  # what the real worker's WatchedLab does with a role that hung in an earlier check
        result, detail = "fail", f"not run: {hung[0]} hung in {config['hung_roles'][hung[0]]}"
    if check in script["sent"]:
        emit(**script["sent"][check])
    elif check in script["answers"] and result != "missing":  # a judged check: the supervisor reaches its verdict
        answers = script["answers"][check] if result == "pass" else {"answers": [], "raised": detail}
        emit(event="answer", check=check, **answers)
    else:
        emit(event="result", check=check, claim=claim, result=result, detail=detail)
    misbehave(f"after {check}")
    time.sleep(script["seconds_a_check"])
emit(event="done")
os.write(channel, "".join(held).encode())
