"""Planting one bug in one exercise's reference solution, for the grader's tests.

Each ``planted/LESSON.py`` holds ``BUGS = {exercise: (old, new)}``: ``old`` must occur
exactly once inside that exercise's solution block, and replacing it by ``new`` is the
kind of slip a student makes (a sign, a transpose, a dropped term).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from tinygen.exercises.source import BEGIN, END


def bugs_of(lesson: str) -> dict:
    return importlib.import_module(f"tests.exercises.planted.{lesson}").BUGS


def plant(source, name: str, old: str, new: str) -> str:
    """The text of ``source`` (an ExerciseSource) with one bug planted in exercise ``name``."""
    lines = Path(source.path).read_text(encoding="utf-8").splitlines()
    cell = source.exercise(name).cell
    begin = end = None
    for j in range(cell.line, cell.line + len(cell.lines)):
        s = lines[j].strip()
        if s == BEGIN:
            begin = j
        elif s == END:
            end = j
            break
    block = "\n".join(lines[begin + 1 : end])
    count = block.count(old)
    if count != 1:
        raise AssertionError(
            f"planted bug for {source.lesson}.{name}: {old!r} occurs {count} times in the "
            "solution block (must be exactly once)"
        )
    lines[begin + 1 : end] = block.replace(old, new).splitlines()
    return "\n".join(lines) + "\n"
