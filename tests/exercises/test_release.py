"""Handouts: ``tinygen exercises release`` writes .py and .ipynb without solutions."""

from __future__ import annotations

import json

import pytest

from tinygen.cli import main
from tinygen.exercises import load_sources


def test_list_shows_every_exercise(capsys):
    assert main(["exercises", "list"]) == 0
    out = capsys.readouterr().out
    for src in load_sources().values():
        for ex in src.exercises:
            assert ex.name in out


def test_release_writes_runnable_handouts_without_solutions(tmp_path, capsys):
    nbformat = pytest.importorskip("nbformat")
    assert main(["exercises", "release", str(tmp_path)]) == 0
    for lesson, src in load_sources().items():
        py = (tmp_path / f"{lesson}.py").read_text()
        assert "### BEGIN SOLUTION" not in py and "student." not in py
        assert py.count("raise NotImplementedError") >= len(src.exercises)
        for ex in src.exercises:  # no line of a reference solution survives
            lines = ex.cell.lines
            b = next(i for i, s in enumerate(lines) if s.strip() == "### BEGIN SOLUTION")
            e = next(i for i, s in enumerate(lines) if s.strip() == "### END SOLUTION")
            for sol in lines[b + 1 : e]:
                if len(sol.strip()) > 12 and sol not in "\n".join(lines[:b]):
                    assert sol not in py, f"{lesson}.{ex.name}: solution line {sol!r} leaked"
        compile(py, lesson, "exec")
        nb = nbformat.read(tmp_path / f"{lesson}.ipynb", as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["tinygen"]["lesson"] == lesson
        tagged = [c.metadata["exercise"] for c in nb.cells if "exercise" in c.metadata]
        assert tagged == [ex.name for ex in src.exercises]
        assert "BEGIN SOLUTION" not in json.dumps(nb)


def test_release_of_an_unknown_lesson_is_a_usage_error(tmp_path, capsys):
    assert main(["exercises", "release", str(tmp_path), "--lesson", "nope"]) == 2
    assert "no exercise script for nope" in capsys.readouterr().err
