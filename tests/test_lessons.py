"""Lesson scripts: valid jupytext percent format, compile, end with exercises; setup_lesson."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tinygen.lessons import Lesson, available_lessons, lessons_dir, setup_lesson

LESSONS = sorted(lessons_dir().glob("*.py"))
CELL = re.compile(r"^# %%(?: \[(\w+)\])?(?:\s.*)?$")


def _cells(src: str) -> list[tuple[str, str]]:
    """(kind, body) of each jupytext percent cell, kind 'code' or 'markdown'."""
    cells, kind, body = [], None, []
    for line in src.splitlines():
        m = CELL.match(line)
        if m:
            if kind is not None:
                cells.append((kind, "\n".join(body)))
            kind, body = (m.group(1) or "code"), []
        elif kind is not None:
            body.append(line)
    if kind is not None:
        cells.append((kind, "\n".join(body)))
    return cells


def test_there_are_lessons():
    names = {p.stem for p in LESSONS}
    assert {"tour", "rbm", "vae"} <= names
    assert set(available_lessons()) == {n for n in names if not n.startswith("_")}


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_is_jupytext_percent(path: Path):
    src = path.read_text(encoding="utf-8")
    assert "format_name: percent" in src.split("# %%")[0], "jupytext header missing"
    cells = _cells(src)
    kinds = [k for k, _ in cells]
    assert set(kinds) <= {"code", "markdown"}
    assert kinds[0] == "markdown", "a lesson opens with a markdown cell (title, what it teaches)"
    first_line = next(line for line in cells[0][1].splitlines() if line.strip())
    assert first_line.startswith("# # "), "the first markdown cell opens with a # title"
    assert kinds.count("code") >= 2 and kinds.count("markdown") >= 2
    assert kinds[-1] == "markdown", "a lesson ends with its exercises"
    assert re.search(r"^# ## Exercises", cells[-1][1], re.M)
    assert re.search(r"^# 1\. ", cells[-1][1], re.M), "exercises are a numbered list"
    # markdown cells are comments only, so the script stays runnable
    for kind, body in cells:
        if kind == "markdown":
            assert all(not line or line.startswith("#") for line in body.splitlines())
    assert "$" in src, "lessons state their equations in LaTeX"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_compiles_and_uses_setup_lesson(path: Path):
    src = path.read_text(encoding="utf-8")
    compile(src, str(path), "exec")
    assert re.search(rf'setup_lesson\("{path.stem}"', src)
    assert "L.saved(" in src, "a lesson records its pictures with L.saved"


def test_setup_lesson_reads_the_environment(tmp_path, monkeypatch):
    out = tmp_path / "nested" / "out"
    monkeypatch.setenv("TINYGEN_OUT", str(out))
    monkeypatch.setenv("TINYGEN_QUICK", "1")
    L = setup_lesson("demo-name")
    assert isinstance(L, Lesson)
    assert L.quick is True and L.out == out and out.is_dir()
    assert L.name == "demo-name"
    assert L.path("a.png") == out / "a.png"
    assert isinstance(L.rng, np.random.Generator)
    # seeded: two runs of a lesson draw the same numbers
    assert setup_lesson("demo-name").rng.random() == setup_lesson("demo-name").rng.random()


@pytest.mark.parametrize("value, quick", [("0", False), ("", False), ("false", False), ("1", True)])
def test_quick_flag_values(tmp_path, monkeypatch, value, quick):
    monkeypatch.setenv("TINYGEN_OUT", str(tmp_path))
    monkeypatch.setenv("TINYGEN_QUICK", value)
    assert setup_lesson("x").quick is quick


def test_setup_lesson_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("TINYGEN_OUT", raising=False)
    monkeypatch.delenv("TINYGEN_QUICK", raising=False)
    monkeypatch.chdir(tmp_path)
    L = setup_lesson("tour")
    assert L.quick is False
    assert L.out == Path("runs") / "lesson-tour" and (tmp_path / "runs" / "lesson-tour").is_dir()


def test_saved_records_and_prints(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TINYGEN_OUT", str(tmp_path))
    L = setup_lesson("tour")
    p = L.saved(L.path("x.png"))
    assert L.figures == [p]
    assert str(p) in capsys.readouterr().out


def test_lessons_dir_override(tmp_path, monkeypatch):
    (tmp_path / "alpha.py").write_text("# %% [markdown]\n# # A\n")
    (tmp_path / "_helper.py").write_text("")
    monkeypatch.setenv("TINYGEN_LESSONS", str(tmp_path))
    assert lessons_dir() == tmp_path
    assert available_lessons() == ["alpha"]


def test_saved_pictures_are_displayed_only_inside_a_kernel(tmp_path, monkeypatch):
    """The docs site's lesson pages get their figures from L.saved's display in a kernel."""
    import sys
    import types

    from tinygen.lessons import _show_in_notebook

    shown = []
    display_mod = types.ModuleType("IPython.display")
    display_mod.Image = lambda filename: ("image", filename)
    display_mod.Markdown = lambda text: ("markdown", text)
    display_mod.display = shown.append
    shell = types.SimpleNamespace()
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    ipython.display = display_mod
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_mod)
    png, md = tmp_path / "a.png", tmp_path / "t.md"
    png.write_bytes(b"\x89PNG")
    md.write_text("| a |")
    _show_in_notebook(png)
    assert shown == []  # a terminal IPython has no kernel: nothing is displayed
    shell.kernel = object()
    _show_in_notebook(png)
    _show_in_notebook(md)
    _show_in_notebook(tmp_path / "missing.png")
    assert shown == [("image", str(png)), ("markdown", "| a |")]
