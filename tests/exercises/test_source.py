"""The exercise-script parser: cells, strict markers, handouts without solutions."""

from __future__ import annotations

import pytest

from tinygen.exercises import available_exercises, load_sources
from tinygen.exercises.source import BEGIN, END, ExerciseSourceError, read_source

GOOD = f'''\
# %% [markdown]
# ## 1. Double it (2 points)

# %%
import numpy as np

# %% exercise="double" points=2
def double(x):
    """2x."""
    if True:
        {BEGIN}
        y = 2 * x
        return y
        {END}

# %% grader="*"
HELPER = 1

# %% grader="double"
def doubles():
    """double(3) = 6."""
    assert student.double(3) == 6
'''


def _write(tmp_path, text, name="lesson"):
    p = tmp_path / f"{name}.py"
    p.write_text(text)
    return p


def test_parses_cells_exercises_and_graders(tmp_path):
    src = read_source(_write(tmp_path, GOOD))
    assert [c.role for c in src.cells] == ["markdown", "code", "exercise", "grader", "grader"]
    (ex,) = src.exercises
    assert (ex.name, ex.points, ex.lesson) == ("double", 2, "lesson")
    assert ex.title == "1. Double it (2 points)"
    assert len(ex.graders) == 1 and "student.double(3)" in ex.graders[0]
    assert src.grader_setup == ["HELPER = 1"]
    assert src.total_points == 2


def test_handout_replaces_the_solution_at_its_indentation(tmp_path):
    from tinygen.exercises.release import handout_py

    text = handout_py(read_source(_write(tmp_path, GOOD)))
    assert "2 * x" not in text and BEGIN not in text and END not in text
    assert "        raise NotImplementedError" in text  # the marker's indentation
    assert "HELPER" not in text and "student.double" not in text  # graders left out
    assert "# tinygen-lesson: lesson" in text
    assert '# %% exercise="double" points=2' in text
    compile(text, "handout", "exec")  # still valid Python


@pytest.mark.parametrize(
    "old, new, line, words",
    [
        (f"        {END}\n", "", 11, "never closed"),  # unclosed marker: the BEGIN line
        (f"        {BEGIN}\n", "", 13, "without"),  # stray END
        ("        y = 2 * x\n", f"        {BEGIN}\n", 12, "inside the block"),  # nested
        ("### BEGIN SOLUTION", "### BEGIN SOLUTIONS", 11, "unknown marker"),
        ('points=2', 'points=0', 7, "positive integer"),
        ('points=2', 'points=2 weight=3', 7, "unknown cell metadata"),
        ('grader="double"', 'grader="triple"', 19, "no exercise cell"),
        ("import numpy as np", f"import numpy as np\n{BEGIN}", 6, "outside an exercise"),
    ],
)
def test_malformed_scripts_name_the_file_and_line(tmp_path, old, new, line, words):
    assert old in GOOD
    p = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ExerciseSourceError) as err:
        read_source(p)
    msg = str(err.value)
    assert f"{p}:{line}" in msg, msg
    assert words in msg, msg


def test_an_exercise_without_graders_or_markers_is_an_error(tmp_path):
    no_grader = GOOD[: GOOD.index('# %% grader="double"')]
    with pytest.raises(ExerciseSourceError, match="no grader cell"):
        read_source(_write(tmp_path, no_grader))
    no_markers = GOOD.replace(f"        {BEGIN}\n", "").replace(f"        {END}\n", "")
    with pytest.raises(ExerciseSourceError, match="has no"):
        read_source(_write(tmp_path, no_markers))


def test_shipped_scripts_cover_the_six_lessons_with_fifteen_exercises():
    names = available_exercises()
    assert {"autograd", "rbm", "vae", "gan", "autoregressive", "dbm"} <= set(names)
    sources = load_sources()
    assert sum(len(s.exercises) for s in sources.values()) >= 15
    for src in sources.values():
        for ex in src.exercises:
            assert ex.title != ex.name, f"{src.lesson}.{ex.name} has no heading above it"


def test_each_lesson_points_to_its_graded_exercises():
    from tinygen.lessons import lessons_dir

    for name in available_exercises():
        text = (lessons_dir() / f"{name}.py").read_text()
        assert f"exercises/{name}.py" in text, f"lessons/{name}.py does not point to them"
