"""What a lesson script needs to run the same way from ``tinygen lesson NAME``, from
``python lessons/NAME.py`` and from a notebook.

A lesson starts with::

    from tinygen.lessons import setup_lesson
    L = setup_lesson("rbm")          # L.quick, L.out, L.rng, L.save_figure(...)

``tinygen lesson NAME --quick`` sets ``TINYGEN_QUICK=1`` (short training, small data) and
``TINYGEN_OUT`` (the run folder, default ``runs/lesson-NAME``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .rng import as_generator

__all__ = ["Lesson", "setup_lesson", "lessons_dir", "available_lessons"]


def lessons_dir() -> Path:
    """The folder holding the lesson scripts (``TINYGEN_LESSONS`` overrides)."""
    env = os.environ.get("TINYGEN_LESSONS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1] / "lessons"


def available_lessons() -> list[str]:
    """Names of the lessons that ``tinygen lesson NAME`` can run."""
    d = lessons_dir()
    return (
        sorted(p.stem for p in d.glob("*.py") if not p.stem.startswith("_")) if d.is_dir() else []
    )


@dataclass
class Lesson:
    """Settings of one lesson run: quick mode, output folder, a seeded generator."""

    name: str
    quick: bool
    out: Path
    rng: np.random.Generator
    figures: list = field(default_factory=list)

    def path(self, filename: str) -> Path:
        """Path of an output file inside the lesson's run folder."""
        return self.out / filename

    def saved(self, path) -> Path:
        """Record and print a picture (or file) the lesson wrote; in a notebook, show it."""
        path = Path(path)
        self.figures.append(path)
        print(f"[{self.name}] saved {path}")
        _show_in_notebook(path)
        return path


def _show_in_notebook(path: Path) -> None:
    """Display a saved PNG or Markdown file inline when running in a Jupyter kernel.

    This is how the executed lessons of the docs site carry their pictures. Outside a
    kernel (``tinygen lesson NAME``, ``python lessons/NAME.py``) it does nothing.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "kernel") or not path.is_file():
        return
    from IPython.display import Image, Markdown, display

    if path.suffix == ".png":
        display(Image(filename=str(path)))
    elif path.suffix == ".md":
        display(Markdown(path.read_text(encoding="utf-8")))


def setup_lesson(name: str, seed: int = 0) -> Lesson:
    """Read the lesson settings from the environment and create the output folder."""
    quick = os.environ.get("TINYGEN_QUICK", "0") not in ("", "0", "false", "False")
    out = Path(os.environ.get("TINYGEN_OUT", Path("runs") / f"lesson-{name}"))
    out.mkdir(parents=True, exist_ok=True)
    return Lesson(name=name, quick=quick, out=out, rng=as_generator(seed))
