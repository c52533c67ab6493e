"""Graded exercises: instructor scripts in ``exercises/``, handouts, and the autograder.

* :mod:`.source` reads an exercise script (cells, ``### BEGIN SOLUTION`` markers, graders);
* :mod:`.release` writes the student handouts (``.py`` and ``.ipynb``);
* :mod:`.grading` grades submissions, each in a subprocess (:mod:`.worker`) with a time and
  a memory limit, and writes ``grades.csv`` and ``grades.json``.

From the command line: ``tinygen exercises list | release OUT | grade PATH...``.
For instructors: ``docs/exercises.md``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .source import ExerciseSourceError, read_source

__all__ = ["exercises_dir", "available_exercises", "load_sources", "ExerciseSourceError"]


def exercises_dir() -> Path:
    """The folder of the instructor's exercise scripts (``TINYGEN_EXERCISES`` overrides)."""
    env = os.environ.get("TINYGEN_EXERCISES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "exercises"


def available_exercises(folder=None) -> list:
    """Lesson names that have an exercise script."""
    d = Path(folder) if folder else exercises_dir()
    if not d.is_dir():
        return []
    return sorted(p.stem for p in d.glob("*.py") if not p.stem.startswith("_"))


def load_sources(names=None, folder=None) -> dict:
    """Parse the exercise scripts (all, or ``names``); returns lesson → ExerciseSource."""
    d = Path(folder) if folder else exercises_dir()
    have = available_exercises(d)
    names = list(names) if names else have
    unknown = [n for n in names if n not in have]
    if unknown:
        raise ExerciseSourceError(
            f"no exercise script for {', '.join(unknown)} in {d}; available: "
            f"{', '.join(have) or 'none'}"
        )
    return {n: read_source(d / f"{n}.py") for n in names}
