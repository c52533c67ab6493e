"""Student handouts: the exercise script without its solutions and graders.

``release`` writes, for each exercise script, ``OUT/NAME.py`` (a percent script that runs
as it is and opens in Jupyter through jupytext) and ``OUT/NAME.ipynb`` (through nbformat,
the optional ``notebooks`` extra). In both, every ``### BEGIN SOLUTION`` ... ``### END
SOLUTION`` block becomes ``raise NotImplementedError``, grader cells are left out, and
the exercise cells keep their metadata (``exercise``, ``points``), as nbgrader and otter
expect.
"""

from __future__ import annotations

import os
from pathlib import Path

from .source import strip_solutions

__all__ = ["handout_cells", "handout_py", "handout_ipynb", "release", "NotebookExtraMissing"]

JUPYTEXT_HEADER = """\
# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""


class NotebookExtraMissing(ImportError):
    """Writing ``.ipynb`` handouts needs nbformat."""


def _banner(source):
    return [
        f"# tinygen-lesson: {source.lesson}",
        f"# Exercises for the lesson `{source.lesson}` ({len(source.exercises)} exercises, "
        f"{source.total_points} points).",
        "# Write each function where it says `raise NotImplementedError`; keep the names.",
        f"# Check yourself with: tinygen exercises grade {source.lesson}.py",
    ]


def handout_cells(source) -> list:
    """(kind, metadata, source) of each handout cell, in order."""
    cells = []
    for cell in source.cells:
        role = cell.role
        if role == "grader":
            continue
        lines = strip_solutions(cell, source.path) if role == "exercise" else cell.lines
        meta = {k: v for k, v in cell.meta.items() if k in ("exercise", "points", "tags")}
        cells.append((cell.kind, meta, "\n".join(lines).strip("\n")))
    return cells


def _meta_text(meta):
    import json

    return "".join(f" {k}={json.dumps(v)}" for k, v in meta.items())


def handout_py(source) -> str:
    """The handout as a jupytext percent script."""
    parts = [JUPYTEXT_HEADER, "\n".join(_banner(source))]
    for kind, meta, text in handout_cells(source):
        head = "# %%" + (" [markdown]" if kind == "markdown" else "") + _meta_text(meta)
        parts.append(head + "\n" + text)
    return "\n\n\n".join(parts) + "\n"


def handout_ipynb(source):
    """The handout as an nbformat v4 notebook (needs nbformat)."""
    try:
        import nbformat
    except ImportError:
        raise NotebookExtraMissing(
            "writing .ipynb handouts needs nbformat: pip install 'tinygen[notebooks]' "
            "(or release the .py handouts only with --no-notebooks)"
        ) from None
    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata["tinygen"] = {"lesson": source.lesson}
    nb.cells.append(v4.new_markdown_cell("\n".join(line[2:] for line in _banner(source))))
    for kind, meta, text in handout_cells(source):
        if kind == "markdown":
            body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#")
                             for line in text.splitlines())
            cell = v4.new_markdown_cell(body)
        else:
            cell = v4.new_code_cell(text)
        cell.metadata.update(meta)
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def _write(path: Path, text: str):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def release(sources, out, notebooks=True) -> list:
    """Write the handouts of ``sources`` into ``out``; returns the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if notebooks:
        import nbformat  # noqa: F401 - fail before writing anything

    for source in sources:
        py = out / f"{source.lesson}.py"
        _write(py, handout_py(source))
        written.append(py)
        if notebooks:
            import nbformat

            nb = out / f"{source.lesson}.ipynb"
            _write(nb, nbformat.writes(handout_ipynb(source)))
            written.append(nb)
    return written
