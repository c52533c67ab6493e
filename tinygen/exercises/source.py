"""Reading an instructor's exercise script: cells, exercises, solutions and graders.

An exercise script (``exercises/NAME.py``) is a jupytext percent script whose cells are
told apart by the metadata on their ``# %%`` line (``key=value``, the value in JSON, as
jupytext writes cell metadata)::

    # %% [markdown]                          text, kept in the handout
    # %%                                     set-up code, kept in the handout
    # %% exercise="free_energy" points=2     the student's cell: keeps its code, but the
    #                                        lines between the markers are the solution
    # %% grader="free_energy"                property tests of that exercise (left out)
    # %% grader="*"                          set-up shared by every grader (left out)

Inside an exercise cell the reference solution sits between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` (nbgrader's markers, so nbgrader and otter users can take the cells
over). The handout replaces each such block by ``raise NotImplementedError`` at the
marker's indentation. Parsing is strict: an unclosed, nested or stray marker, a marker
outside an exercise cell, an unknown metadata key or a grader for an exercise that does not
exist is a :class:`ExerciseSourceError` naming the file and line.

The graders of an exercise are the public functions defined in its grader cells; each is
a property (usually a hypothesis ``@given`` test) that calls the student's function as
``student.NAME(...)`` and whose docstring says, in one line, what it checks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "BEGIN",
    "END",
    "Cell",
    "Exercise",
    "ExerciseSource",
    "ExerciseSourceError",
    "parse_cells",
    "read_source",
    "strip_solutions",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HANDOUT_LINES = ("# YOUR CODE HERE", "raise NotImplementedError")
_HEADER = re.compile(r"^# %%(?P<rest>.*)$")
_META = re.compile(r'(?P<key>[A-Za-z_][\w-]*)=(?P<value>"(?:[^"\\]|\\.)*"|\S+)')
_KEYS = {"exercise", "points", "grader", "tags"}


class ExerciseSourceError(ValueError):
    """An exercise script is malformed; the message names the file and the line."""


@dataclass
class Cell:
    """One cell of a percent script: its kind, metadata, source lines and where it starts."""

    kind: str  # "markdown" or "code"
    meta: dict
    lines: list
    line: int  # 1-based line number of the cell's first source line (its header, if any)

    @property
    def source(self) -> str:
        return "\n".join(self.lines).strip("\n")

    @property
    def role(self) -> str:
        """``markdown``, ``code`` (set-up), ``exercise`` or ``grader``."""
        if self.kind == "markdown":
            return "markdown"
        if "exercise" in self.meta:
            return "exercise"
        if "grader" in self.meta:
            return "grader"
        return "code"


@dataclass
class Exercise:
    """One graded exercise: the student's function, its points and its grader cells."""

    name: str
    points: int
    title: str
    lesson: str
    cell: Cell
    graders: list = field(default_factory=list)  # source strings of its grader cells


@dataclass
class ExerciseSource:
    """A parsed exercise script."""

    lesson: str
    path: Path
    cells: list
    exercises: list
    grader_setup: list  # sources of the ``grader="*"`` cells

    def exercise(self, name: str) -> Exercise:
        for ex in self.exercises:
            if ex.name == name:
                return ex
        raise KeyError(name)

    @property
    def total_points(self) -> int:
        return sum(ex.points for ex in self.exercises)

    def setup_sources(self) -> list:
        """The set-up code cells (kept in the handout, also run before the graders)."""
        return [c.source for c in self.cells if c.role == "code"]


def _parse_meta(text: str, where: str) -> tuple[str, dict]:
    """Split a header's rest into (kind, metadata); ``[markdown]`` marks a text cell."""
    text = text.strip()
    kind = "code"
    if text.startswith("[markdown]"):
        kind, text = "markdown", text[len("[markdown]") :].strip()
    meta = {}
    pos = 0
    for m in _META.finditer(text):
        if text[pos : m.start()].strip():
            raise ExerciseSourceError(
                f"{where}: cannot read the cell header {text!r}; write key=value pairs, "
                'e.g. # %% exercise="free_energy" points=2'
            )
        key, raw = m.group("key"), m.group("value")
        if key not in _KEYS:
            raise ExerciseSourceError(
                f"{where}: unknown cell metadata {key!r}; known keys: {', '.join(sorted(_KEYS))}"
            )
        try:
            meta[key] = json.loads(raw)
        except json.JSONDecodeError:
            raise ExerciseSourceError(
                f"{where}: the value of {key} must be JSON (a quoted string or a number), "
                f"got {raw}"
            ) from None
        pos = m.end()
    if text[pos:].strip():
        raise ExerciseSourceError(f"{where}: cannot read the cell header {text!r}")
    return kind, meta


def parse_cells(text: str, filename="<string>") -> list:
    """Split a percent script into :class:`Cell` objects (a leading YAML header is dropped)."""
    lines = text.splitlines()
    cells, current = [], None
    start = 0
    if lines and lines[0].strip() == "# ---":  # jupytext's YAML header
        for i in range(1, len(lines)):
            if lines[i].strip() == "# ---":
                start = i + 1
                break
    for i in range(start, len(lines)):
        m = _HEADER.match(lines[i])
        if m:
            kind, meta = _parse_meta(m.group("rest"), f"{filename}:{i + 1}")
            current = Cell(kind, meta, [], i + 1)
            cells.append(current)
        elif current is None:
            if lines[i].strip():
                current = Cell("code", {}, [lines[i]], i + 1)
                cells.append(current)
        else:
            current.lines.append(lines[i])
    return cells


def _solution_blocks(cell: Cell, filename) -> list:
    """The (begin, end) line indices inside ``cell.lines`` of each solution block."""
    blocks, begin = [], None
    for j, line in enumerate(cell.lines):
        stripped = line.strip()
        where = f"{filename}:{cell.line + 1 + j}"
        if stripped.startswith("###") and ("SOLUTION" in stripped):
            if stripped not in (BEGIN, END):
                raise ExerciseSourceError(
                    f"{where}: unknown marker {stripped!r}; write exactly {BEGIN!r} or {END!r}"
                )
        if stripped == BEGIN:
            if begin is not None:
                raise ExerciseSourceError(
                    f"{where}: {BEGIN!r} inside the block opened at line "
                    f"{cell.line + 1 + begin}; close it with {END!r} first"
                )
            begin = j
        elif stripped == END:
            if begin is None:
                raise ExerciseSourceError(f"{where}: {END!r} without a {BEGIN!r} before it")
            blocks.append((begin, j))
            begin = None
    if begin is not None:
        raise ExerciseSourceError(
            f"{filename}:{cell.line + 1 + begin}: {BEGIN!r} is never closed; add {END!r} "
            "after the solution"
        )
    return blocks


def strip_solutions(cell: Cell, filename="<string>") -> list:
    """The cell's lines with each solution block replaced by ``raise NotImplementedError``."""
    out, last = [], 0
    for begin, end in _solution_blocks(cell, filename):
        marker = cell.lines[begin]
        indent = marker[: len(marker) - len(marker.lstrip())]
        out.extend(cell.lines[last:begin])
        out.extend(indent + h for h in HANDOUT_LINES)
        last = end + 1
    out.extend(cell.lines[last:])
    return out


def _title(cells, index, default):
    """The first heading of the markdown cell just before cell ``index``."""
    for c in reversed(cells[:index]):
        if c.kind == "markdown":
            for line in c.lines:
                s = line.lstrip("# ").strip()
                if line.startswith("# #") and s:
                    return s
            return default
        if c.role == "exercise":
            return default
    return default


def read_source(path) -> ExerciseSource:
    """Parse and check an instructor's exercise script (see the module docstring)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    cells = parse_cells(text, path)
    exercises, by_name, setup = [], {}, []
    for i, cell in enumerate(cells):
        where = f"{path}:{cell.line}"
        role = cell.role
        if role != "exercise":
            # markers outside an exercise cell would leak a solution into the handout
            for j, line in enumerate(cell.lines):
                if line.strip() in (BEGIN, END):
                    raise ExerciseSourceError(
                        f"{path}:{cell.line + 1 + j}: solution marker outside an exercise "
                        'cell; give the cell a header such as # %% exercise="NAME" points=1'
                    )
        if role == "exercise":
            name, points = cell.meta["exercise"], cell.meta.get("points")
            if not isinstance(name, str) or not name.isidentifier():
                raise ExerciseSourceError(
                    f"{where}: exercise must name the function the student writes, got {name!r}"
                )
            if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
                raise ExerciseSourceError(
                    f"{where}: exercise {name!r} needs points=N with N a positive integer"
                )
            if name in by_name:
                raise ExerciseSourceError(
                    f"{where}: exercise {name!r} is defined twice (first at line "
                    f"{by_name[name].cell.line})"
                )
            if not _solution_blocks(cell, path):
                raise ExerciseSourceError(
                    f"{where}: exercise {name!r} has no {BEGIN!r} ... {END!r} block"
                )
            ex = Exercise(name, points, _title(cells, i, name), path.stem, cell)
            exercises.append(ex)
            by_name[name] = ex
        elif role == "grader":
            target = cell.meta["grader"]
            if target == "*":
                setup.append(cell.source)
            elif target in by_name:
                by_name[target].graders.append(cell.source)
            else:
                raise ExerciseSourceError(
                    f"{where}: grader for {target!r}, but no exercise cell above defines it "
                    "(put the grader after its exercise, or use grader=\"*\" for shared set-up)"
                )
    for ex in exercises:
        if not ex.graders:
            raise ExerciseSourceError(
                f"{path}:{ex.cell.line}: exercise {ex.name!r} has no grader cell "
                f'(# %% grader="{ex.name}")'
            )
    return ExerciseSource(path.stem, path, cells, exercises, setup)
