"""The grading subprocess: runs one submission's cells, then the graders of its exercises.

``python -m tinygen.exercises.worker JOB.json`` is started by :mod:`.grading`, one process
per submission (and another one after a crash, for the exercises still to grade). It
writes one JSON line per event to the results file named in the job, flushed as it goes,
so that the parent knows which exercise was running if this process dies:

    {"event": "start", "exercise": NAME}
    {"event": "result", "exercise": NAME, "status": ..., "points": ..., "checks": [...]}

Each cell of the submission and each grader runs under a time limit (``SIGALRM``); the
parent adds the memory limit (``RLIMIT_AS``) and a wall-clock limit for the whole process.
Nothing here is a sandbox: it contains accidents (an infinite loop, a crash, a runaway
allocation) and keeps the instructor's solutions off the import path, no more.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib.abc
import io
import json
import os
import random
import re
import signal
import sys
import traceback
from pathlib import Path

MESSAGE_LIMIT = 1500
_GROUP = getattr(builtins, "BaseExceptionGroup", ())  # Python ≥ 3.11


class ExerciseTimeout(BaseException):
    """Raised by the alarm; a BaseException, so neither hypothesis nor a student's
    ``except Exception`` can swallow it."""


class _BlockFolders(importlib.abc.MetaPathFinder):
    """Refuse to import any module whose file lies in one of ``folders`` (the solutions)."""

    def __init__(self, folders):
        self.folders = [Path(f).resolve() for f in folders]

    def _inside(self, p):
        try:
            p = Path(p).resolve()
        except (OSError, RuntimeError, ValueError):
            return False
        return any(p == f or f in p.parents for f in self.folders)

    def find_spec(self, name, path, target=None):
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is None:
                continue
            where = [spec.origin or "", *(spec.submodule_search_locations or [])]
            if any(w and self._inside(w) for w in where):
                raise ImportError(
                    f"module {name!r} is the instructor's reference solutions; a submission "
                    "may not import it"
                )
            return None
        return None


class _Student:
    """``student.NAME`` in a grader: the submission's function NAME."""

    def __init__(self, namespace):
        self.__dict__["_ns"] = namespace

    def __getattr__(self, name):
        try:
            return self._ns[name]
        except KeyError:
            raise AttributeError(
                f"the submission defines no {name!r} (keep the names of the handout)"
            ) from None


@contextlib.contextmanager
def time_limit(seconds):
    """Raise :class:`ExerciseTimeout` in the block after ``seconds`` of wall time."""

    def alarm(signum, frame):
        raise ExerciseTimeout(f"stopped after {seconds:g} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _seed():
    import numpy as np

    random.seed(0)
    # a student's code may draw from the legacy global generator; seed it so grades repeat
    np.random.seed(0)  # noqa: NPY002


def _first(exc):
    """The first leaf of an exception group (hypothesis reports several distinct bugs so)."""
    while _GROUP and isinstance(exc, _GROUP) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def counterexample(exc) -> str:
    """Hypothesis's minimal failing input, as ``name=value, ...`` (empty if none)."""
    found, draws = "", []
    for note in getattr(exc, "__notes__", []) or []:
        lines = note.strip().splitlines()
        if not lines:
            continue
        if lines[0].startswith("Draw "):
            draws.append(" ".join(re.sub(r"\s*#.*$", "", ln).strip() for ln in lines))
            continue
        if found or not lines[0].startswith(("Failing test case", "Falsifying example")):
            continue
        if len(lines) == 1:  # "Falsifying example: f(x=1)"
            head = lines[0].split(":", 1)[1].strip()
            found = head[head.find("(") + 1 : -1] if "(" in head else head
            continue
        # drop hypothesis's "# or any other generated value" comments, then re-join
        body = [re.sub(r"\s*#.*$", "", ln).strip() for ln in lines[1:-1]]
        text = " ".join(b for b in body if b)
        found = re.sub(r"\(\s+", "(", re.sub(r",?\s+\)", ")", text)).rstrip(",")
    found = re.sub(r",?\s*data=data\(\.\.\.\)", "", found).strip(", ")
    return "; ".join(filter(None, [found, *draws]))


def _describe(exc) -> str:
    exc = _first(exc)
    text = str(exc).strip()
    if isinstance(exc, AssertionError):
        text = text or "an assertion failed"
    elif isinstance(exc, MemoryError):
        text = "ran out of memory (the grader's memory limit); " + (text or "MemoryError")
    else:
        text = f"your code raised {type(exc).__name__}: {text}".rstrip(": ")
        tb = traceback.extract_tb(exc.__traceback__)
        frames = [f for f in tb if f.filename.startswith("<submission")]
        if frames:
            f = frames[-1]
            text += f" (in {f.name}, {f.filename[1:-1]} line {f.lineno}: {f.line})"
    example = counterexample(exc)
    if example:
        text += f"\n    counterexample: {example}"
    return text[:MESSAGE_LIMIT]


def _emit(fh, **record):
    fh.write(json.dumps(record) + "\n")
    fh.flush()
    os.fsync(fh.fileno())


def _public_functions(before, after):
    return [
        (k, v)
        for k, v in after.items()
        if callable(v) and not k.startswith("_") and (k not in before or before[k] is not v)
        and not isinstance(v, type)
        and getattr(v, "__module__", "graders") == "graders"
    ]


def run_exercise(ex, student_ns, grader_base, seconds, cell_errors) -> dict:
    """Grade one exercise; returns its result record (never raises but for the alarm)."""
    name, points = ex["name"], ex["points"]
    result = {"exercise": name, "max_points": points, "points": 0, "checks": []}
    if name not in student_ns:
        why = f"the submission defines no {name!r}"
        if cell_errors:
            why += f" (a cell raised an error: {cell_errors[0]})"
        return dict(result, status="missing", message=why)
    g = dict(grader_base)
    checks = []
    for src in ex["graders"]:
        before = dict(g)
        exec(compile(src, f"<grader of {name}>", "exec"), g)
        checks.extend(_public_functions(before, g))
    status, message = "passed", ""
    for check_name, check in checks:
        doc = (check.__doc__ or "").strip().splitlines()
        record = {"check": check_name, "doc": doc[0] if doc else ""}
        _seed()
        try:
            with time_limit(seconds), contextlib.redirect_stdout(io.StringIO()):
                check()
        except ExerciseTimeout:
            record.update(passed=False, message=f"timed out: no answer within {seconds:g} s")
            status, message = "timeout", f"{check_name}: {record['message']}"
            result["checks"].append(record)
            break
        except BaseException as exc:  # noqa: BLE001 - a student's error costs the exercise
            leaf = _first(exc)
            if isinstance(leaf, NotImplementedError):
                record.update(passed=False, message="not attempted (raises NotImplementedError)")
                status, message = "not attempted", f"{name} still raises NotImplementedError"
                result["checks"].append(record)
                break
            if isinstance(leaf, (SystemExit, KeyboardInterrupt)):
                text = f"your code called exit ({type(leaf).__name__})"
            else:
                text = _describe(exc)
            record.update(passed=False, message=text)
            if status == "passed":
                status = "failed"
                message = f"{check_name}: {record['doc']}\n    {text}"
        else:
            record.update(passed=True, message="")
        result["checks"].append(record)
    if status == "passed":
        result["points"] = points
    return dict(result, status=status, message=message)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    sys.meta_path.insert(0, _BlockFolders(job["forbid"]))
    seconds = float(job["time_limit"])
    from hypothesis import HealthCheck, settings

    # derandomised and without an example database: two gradings give the same grades
    settings.register_profile(
        "tinygen-grading",
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=job.get("max_examples", 25),
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )
    settings.load_profile("tinygen-grading")
    with open(job["results"], "a", encoding="utf-8") as fh:
        student_ns = {"__name__": "submission"}
        cell_errors = []
        for k, src in enumerate(job["cells"], 1):
            _seed()
            try:
                with time_limit(seconds), contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(src, f"<submission cell {k}>", "exec"), student_ns)
            except BaseException as exc:  # noqa: BLE001 - keep grading the other cells
                cell_errors.append(f"cell {k}: {type(exc).__name__}: {exc}"[:300])
        grader_base = {"__name__": "graders", "student": _Student(student_ns)}
        for src in job["grader_setup"]:
            exec(compile(src, "<grader set-up>", "exec"), grader_base)
        for ex in job["exercises"]:
            _emit(fh, event="start", exercise=ex["name"])
            result = run_exercise(ex, student_ns, grader_base, seconds, cell_errors)
            _emit(fh, event="result", **result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
