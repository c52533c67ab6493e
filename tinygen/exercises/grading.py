"""Grading submissions: find them, run each in a contained subprocess, write the grades.

For every submission (a handout ``.py`` or ``.ipynb`` a student filled in) the grader
starts ``python -m tinygen.exercises.worker`` in an empty temporary folder, with

* a **memory limit** (``RLIMIT_AS``, ``memory_mb``), one BLAS thread (so that sums are
  reduced in the same order on every run) and the instructor's ``exercises/`` folder
  barred from imports;
* a **time limit** per cell and per property (``time_limit`` seconds), and a wall-clock
  limit for the whole process.

The worker reports each exercise as it finishes. If the process dies (a segfault, an
``os._exit``, the memory limit, a hang in C code the alarm cannot interrupt), the exercise
it was running gets 0 points with status ``crashed`` or ``timeout`` and a new process grades
the exercises after it: one exercise's failure never costs another's points.

An exercise's points are all or nothing: every property of its graders must pass.
Statuses: ``passed``, ``failed``, ``not attempted``, ``missing``, ``timeout``, ``crashed``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .source import ExerciseSourceError, parse_cells

__all__ = [
    "GradingError",
    "Submission",
    "read_submission",
    "find_submissions",
    "grade_submission",
    "grade",
    "write_grades",
    "format_grades",
]

_LESSON_TAG = re.compile(r"^#\s*tinygen-lesson:\s*(?P<lesson>\w+)\s*$", re.MULTILINE)


class GradingError(ValueError):
    """A submission cannot be graded at all (unknown lesson, unreadable file)."""


@dataclass
class Submission:
    """One student's file for one lesson, as code cells."""

    student: str
    lesson: str
    path: Path
    cells: list  # source strings of the code cells, in order
    error: str = ""  # why the file could not be read (then ``cells`` is empty)


def _code_cells(path: Path) -> list:
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        out = []
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code" or "grader" in cell.get("metadata", {}):
                continue
            src = cell.get("source", "")
            out.append("".join(src) if isinstance(src, list) else src)
        return out
    cells = parse_cells(path.read_text(encoding="utf-8"), path)
    return [c.source for c in cells if c.kind == "code" and c.role != "grader"]


def _lesson_of(path: Path, lessons) -> str | None:
    """The lesson a submission answers: notebook metadata, a ``# tinygen-lesson:`` line,
    or the file name."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return path.stem if path.stem in lessons else None
    if path.suffix == ".ipynb":
        try:
            lesson = json.loads(text).get("metadata", {}).get("tinygen", {}).get("lesson")
        except (json.JSONDecodeError, AttributeError):
            lesson = None
        if lesson in lessons:
            return lesson
    m = _LESSON_TAG.search(text)
    if m and m.group("lesson") in lessons:
        return m.group("lesson")
    return path.stem if path.stem in lessons else None


def read_submission(path, lessons, student=None, lesson=None) -> Submission:
    """Read one submission; ``lessons`` are the lesson names that have exercises."""
    path = Path(path)
    lesson = lesson or _lesson_of(path, lessons)
    if lesson is None:
        raise GradingError(
            f"{path}: cannot tell which exercises this file answers; keep the handout's "
            f"'# tinygen-lesson: NAME' line, name the file after its lesson "
            f"({', '.join(sorted(lessons))}), or pass --lesson"
        )
    if student is None:
        student = path.parent.name if path.stem in lessons else path.stem
    try:
        cells = _code_cells(path)
        return Submission(student, lesson, path, cells)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ExerciseSourceError) as exc:
        return Submission(student, lesson, path, [], error=f"cannot read {path.name}: {exc}")


def find_submissions(paths, lessons, lesson=None) -> list:
    """Submissions in ``paths``: files, or folders searched for ``.py`` and ``.ipynb``.

    In a folder, a file in a sub-folder belongs to the student named by the sub-folder
    (``submitted/alice/rbm.ipynb``); a file directly in it to its name
    (``submitted/alice.py``), or to the folder if the file is named after its lesson.
    """
    subs = []
    for p in map(Path, paths):
        if p.is_dir():
            files = sorted(
                f
                for f in p.rglob("*")
                if f.suffix in (".py", ".ipynb")
                and f.is_file()
                and ".ipynb_checkpoints" not in f.parts
            )
            for f in files:
                rel = f.relative_to(p)
                if len(rel.parts) > 1:
                    student = rel.parts[0]
                else:
                    student = p.resolve().name if f.stem in lessons else f.stem
                subs.append(read_submission(f, lessons, student=student, lesson=lesson))
        elif p.is_file():
            subs.append(read_submission(p, lessons, lesson=lesson))
        else:
            raise GradingError(f"{p}: no such file or folder")
    if not subs:
        raise GradingError(f"no .py or .ipynb submissions in {', '.join(map(str, paths))}")
    return subs


def _limit_memory(memory_mb):
    def apply():
        import resource

        limit = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def _run_worker(sub, source, exercises, time_limit, memory_mb, max_examples, workdir):
    """One worker process over ``exercises``; returns (events, how it ended, stderr tail)."""
    results = Path(workdir) / "results.jsonl"
    results.write_text("")
    job = {
        "cells": sub.cells,
        "grader_setup": source.setup_sources() + source.grader_setup,
        "exercises": [
            {"name": ex.name, "points": ex.points, "graders": ex.graders} for ex in exercises
        ],
        "time_limit": time_limit,
        "max_examples": max_examples,
        "forbid": [str(source.path.parent)],
        "results": str(results),
    }
    job_path = Path(workdir) / "job.json"
    job_path.write_text(json.dumps(job))
    import tinygen

    # the package must import in the empty folder even when it is not installed; its
    # parent may also hold exercises/, which the worker's import guard bars
    root = str(Path(tinygen.__file__).resolve().parents[1])
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        MPLBACKEND="Agg",
        PYTHONHASHSEED="0",
    )
    budget = 60 + time_limit * (len(sub.cells) + 6 * len(exercises))
    sandbox = Path(workdir) / "cwd"
    sandbox.mkdir(exist_ok=True)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tinygen.exercises.worker", str(job_path)],
            cwd=sandbox,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=budget,
            preexec_fn=_limit_memory(memory_mb) if os.name == "posix" else None,
        )
        ended, tail = f"exit code {proc.returncode}", proc.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as exc:
        ended, tail = "timeout", (exc.stderr or b"").decode(errors="replace")
    events = []
    for line in results.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line cut short by a crash
    return events, ended, tail.strip()[-600:]


def _result(ex, status, message, points=0, checks=()):
    return {
        "exercise": ex.name,
        "title": ex.title,
        "points": points,
        "max_points": ex.points,
        "status": status,
        "message": message,
        "checks": list(checks),
    }


def grade_submission(sub, source, time_limit=20.0, memory_mb=2048, max_examples=25) -> dict:
    """Grade one submission against a parsed exercise source; returns its grade record."""
    results = {}
    remaining = list(source.exercises)
    if sub.error:
        for ex in remaining:
            results[ex.name] = _result(ex, "missing", sub.error)
        remaining = []
    with tempfile.TemporaryDirectory(prefix="tinygen-grade-") as workdir:
        while remaining:
            events, ended, tail = _run_worker(
                sub, source, remaining, time_limit, memory_mb, max_examples, workdir
            )
            running = None
            for ev in events:
                if ev.get("event") == "start":
                    running = ev["exercise"]
                elif ev.get("event") == "result":
                    ex = source.exercise(ev["exercise"])
                    results[ex.name] = _result(
                        ex, ev["status"], ev["message"], ev["points"], ev["checks"]
                    )
                    running = None
            if running is not None:
                ex = source.exercise(running)
                if ended == "timeout":
                    msg = "timed out: the grading process stopped answering"
                    results[running] = _result(ex, "timeout", msg)
                else:
                    msg = f"the grading process crashed ({ended})"
                    if "MemoryError" in tail or "Cannot allocate" in tail:
                        msg += "; it ran out of memory"
                    results[running] = _result(ex, "crashed", msg + (f": {tail}" if tail else ""))
            left = [ex for ex in remaining if ex.name not in results]
            if len(left) == len(remaining):  # no progress: the worker could not start
                why = f"the grader could not run this submission ({ended}): {tail}"
                for ex in left:
                    results[ex.name] = _result(ex, "crashed", why)
                left = []
            remaining = left
    exercises = [results[ex.name] for ex in source.exercises]
    return {
        "student": sub.student,
        "lesson": sub.lesson,
        "submission": str(sub.path),
        "points": sum(r["points"] for r in exercises),
        "max_points": source.total_points,
        "exercises": exercises,
    }


def grade(paths, sources, lesson=None, time_limit=20.0, memory_mb=2048, max_examples=25,
          progress=None) -> dict:
    """Grade every submission in ``paths``; ``sources`` maps lesson name → ExerciseSource."""
    if importlib.util.find_spec("hypothesis") is None:
        raise GradingError(
            "the graders are hypothesis property tests: pip install 'tinygen[exercises]'"
        )
    subs = find_submissions(paths, set(sources), lesson=lesson)
    records = []
    for sub in subs:
        if progress:
            progress(sub)
        records.append(
            grade_submission(sub, sources[sub.lesson], time_limit, memory_mb, max_examples)
        )
    records.sort(key=lambda r: (r["student"], r["lesson"]))
    return {
        "settings": {
            "time_limit_s": time_limit,
            "memory_mb": memory_mb,
            "max_examples": max_examples,
        },
        "grades": records,
    }


def _atomic_write(path: Path, text: str):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_grades(report, out) -> tuple[Path, Path]:
    """Write ``grades.csv`` (one row per student and exercise) and ``grades.json``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = [["student", "lesson", "exercise", "points", "max_points", "status", "message"]]
    for g in report["grades"]:
        for r in g["exercises"]:
            rows.append(
                [g["student"], g["lesson"], r["exercise"], r["points"], r["max_points"],
                 r["status"], r["message"]]
            )
    csv_path, json_path = out / "grades.csv", out / "grades.json"
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    _atomic_write(csv_path, buf.getvalue())
    _atomic_write(json_path, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return csv_path, json_path


def format_grades(report) -> str:
    """The grades as text: per student and exercise, points and, for a failure, why."""
    lines = []
    for g in report["grades"]:
        lines.append(f"{g['student']}  {g['lesson']}  {g['points']}/{g['max_points']}"
                     f"  ({g['submission']})")
        width = max(len(r["exercise"]) for r in g["exercises"])
        for r in g["exercises"]:
            mark = f"{r['points']}/{r['max_points']}"
            lines.append(f"  {r['exercise']:<{width}}  {mark:>5}  {r['status']}")
            if r["status"] != "passed" and r["message"]:
                for m in r["message"].splitlines():
                    lines.append(f"      {m}")
    return "\n".join(lines)
