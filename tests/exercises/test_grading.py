"""The autograder: reference solutions get full marks, handouts zero, a planted bug costs
its own exercise only; crashes, loops and memory hogs are contained; grades are stable."""

from __future__ import annotations

import csv
import json

import pytest

from tests.exercises.planting import bugs_of, plant
from tinygen.cli import main
from tinygen.exercises import load_sources
from tinygen.exercises.grading import GradingError, find_submissions, grade, grade_submission
from tinygen.exercises.release import release
from tinygen.exercises.source import BEGIN, END

SOURCES = load_sources()


@pytest.fixture(scope="module", params=sorted(SOURCES))
def graded(request, tmp_path_factory):
    """One grading run per lesson: the reference, the handout and one bug per exercise."""
    lesson = request.param
    src = SOURCES[lesson]
    root = tmp_path_factory.mktemp(f"grade-{lesson}")
    release([src], root / "handout", notebooks=False)
    (root / "subs" / "reference").mkdir(parents=True)
    (root / "subs" / "reference" / f"{lesson}.py").write_text(src.path.read_text())
    (root / "subs" / "handout").mkdir()
    (root / "subs" / "handout" / f"{lesson}.py").write_text(
        (root / "handout" / f"{lesson}.py").read_text()
    )
    for name, (old, new) in bugs_of(lesson).items():
        (root / "subs" / f"bug-{name}").mkdir()
        (root / "subs" / f"bug-{name}" / f"{lesson}.py").write_text(plant(src, name, old, new))
    report = grade([root / "subs"], {lesson: src})
    return src, {g["student"]: g for g in report["grades"]}


def test_every_exercise_has_a_planted_bug():
    for lesson, src in SOURCES.items():
        assert set(bugs_of(lesson)) == {ex.name for ex in src.exercises}, lesson


def test_reference_solutions_get_full_marks(graded):
    src, grades = graded
    ref = grades["reference"]
    failed = {r["exercise"]: r["message"] for r in ref["exercises"] if r["status"] != "passed"}
    assert not failed, failed
    assert ref["points"] == ref["max_points"] == src.total_points


def test_handouts_get_zero_and_are_reported_not_attempted(graded):
    src, grades = graded
    hand = grades["handout"]
    assert hand["points"] == 0
    assert {r["status"] for r in hand["exercises"]} == {"not attempted"}


def test_a_planted_bug_costs_that_exercise_and_no_other(graded):
    src, grades = graded
    for ex in src.exercises:
        g = grades[f"bug-{ex.name}"]
        by = {r["exercise"]: r for r in g["exercises"]}
        assert by[ex.name]["points"] == 0, f"{src.lesson}: the bug in {ex.name} was not caught"
        assert by[ex.name]["status"] == "failed"
        assert by[ex.name]["message"], "a failure must say which property failed"
        others = {n: r["status"] for n, r in by.items() if n != ex.name and r["status"] != "passed"}
        assert not others, f"the bug in {ex.name} also cost {others}"
        assert g["points"] == src.total_points - ex.points


def test_grading_is_deterministic(graded):
    src, grades = graded
    name = src.exercises[0].name
    (sub,) = find_submissions([grades[f"bug-{name}"]["submission"]], {src.lesson})
    again = grade_submission(sub, src)
    assert again["exercises"] == grades[f"bug-{name}"]["exercises"]


# --- containment, on a small exercise script of our own -------------------------------

def _exercise(name, solution, points=1):
    return (
        f"# %% [markdown]\n# ## {name}\n\n"
        f'# %% exercise="{name}" points={points}\n'
        f"def {name}(x):\n    {BEGIN}\n    return {solution}\n    {END}\n\n"
        f'# %% grader="{name}"\n'
        f"def gives_twice_its_input():\n"
        f'    """{name}(x) = 2x."""\n'
        f"    assert student.{name}(3) == 6, f'{name}(3) = {{student.{name}(3)}}, not 6'\n\n"
    )


NAMES = ["first", "loops", "crashes", "hogs_memory", "exits", "cheats", "last"]


@pytest.fixture()
def course(tmp_path, monkeypatch):
    """exercises/toy.py (7 one-point exercises) and a submission breaking five of them."""
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / "toy.py").write_text(
        "# %%\nimport numpy as np\n\n" + "".join(_exercise(n, "2 * x") for n in NAMES)
    )
    # the solutions' folder's parent is importable, as in a checkout: only the guard stops it
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    bodies = {
        "first": "return 2 * x",
        "loops": "while True:\n        pass",
        "crashes": "import os\n    os._exit(3)",
        "hogs_memory": "return np.ones((1 << 40,), dtype=np.uint8)",
        "exits": "raise SystemExit(0)",
        "cheats": "from exercises.toy import cheats as ref\n    return ref(x)",
        "last": "return x + x",
    }
    sub = "# %%\nimport numpy as np\n" + "".join(
        f"\n# %% exercise=\"{n}\" points=1\ndef {n}(x):\n    {b}\n" for n, b in bodies.items()
    )
    student = tmp_path / "submitted" / "zoe"
    student.mkdir(parents=True)
    (student / "toy.py").write_text(sub)
    return load_sources(folder=folder), tmp_path / "submitted"


def test_loops_crashes_memory_and_imports_cost_only_their_exercise(course):
    sources, submitted = course
    report = grade([submitted], sources, time_limit=2.0, memory_mb=1024)
    (g,) = report["grades"]
    assert g["student"] == "zoe"
    by = {r["exercise"]: r for r in g["exercises"]}
    assert by["first"]["status"] == by["last"]["status"] == "passed"
    assert by["loops"]["status"] == "timeout" and "2 s" in by["loops"]["message"]
    assert by["crashes"]["status"] == "crashed" and "exit code 3" in by["crashes"]["message"]
    assert by["hogs_memory"]["status"] == "failed"
    assert "memory" in by["hogs_memory"]["message"]
    assert by["exits"]["status"] == "failed" and "exit" in by["exits"]["message"]
    assert by["cheats"]["status"] == "failed"
    assert "reference solutions" in by["cheats"]["message"]
    assert g["points"] == 2


def test_cli_grade_writes_csv_and_json(course, tmp_path, capsys):
    sources, submitted = course
    folder = sources["toy"].path.parent
    out = tmp_path / "grades"
    rc = main(["exercises", "--source", str(folder), "grade", str(submitted), "--out", str(out),
               "--time-limit", "2", "--memory-mb", "1024"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "zoe  toy  2/7" in text and "timeout" in text
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["exercise"] for r in rows] == NAMES
    assert {r["student"] for r in rows} == {"zoe"}
    data = json.loads((out / "grades.json").read_text())
    assert data["grades"][0]["points"] == 2 and data["settings"]["time_limit_s"] == 2.0


def test_a_notebook_submission_is_graded_like_the_script(course, tmp_path):
    pytest.importorskip("nbformat")
    sources, _ = course
    release(sources.values(), tmp_path / "handout")
    nb = json.loads((tmp_path / "handout" / "toy.ipynb").read_text())
    for cell in nb["cells"]:
        if "exercise" in cell["metadata"]:
            src = "".join(cell["source"])
            cell["source"] = src.replace("# YOUR CODE HERE\n    raise NotImplementedError",
                                         "return 2 * x")
    (tmp_path / "ann.ipynb").write_text(json.dumps(nb))
    report = grade([tmp_path / "ann.ipynb"], sources)
    (g,) = report["grades"]
    assert (g["student"], g["lesson"], g["points"]) == ("ann", "toy", 7)


def test_a_file_of_no_known_lesson_is_a_clear_error(tmp_path):
    (tmp_path / "homework.py").write_text("x = 1\n")
    with pytest.raises(GradingError, match="cannot tell which exercises"):
        grade([tmp_path / "homework.py"], SOURCES)
