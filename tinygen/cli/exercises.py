"""``tinygen exercises list | release OUT | grade PATH...``: graded exercises.

See ``docs/exercises.md`` for the instructor's workflow and :mod:`tinygen.exercises`.
"""

from __future__ import annotations

import sys

from .errors import UsageError


def add_parser(sub) -> None:
    p = sub.add_parser("exercises", help="graded exercises: list, release handouts, grade")
    p.add_argument("--source", default=None,
                   help="folder of the instructor's exercise scripts (default exercises/)")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    ls = verbs.add_parser("list", help="the exercises, their points and lessons")
    ls.set_defaults(func=cmd_list)

    rel = verbs.add_parser("release", help="write the student handouts (.py and .ipynb)")
    rel.add_argument("out", help="folder for the handouts")
    rel.add_argument("--lesson", action="append", help="only this lesson (repeatable)")
    rel.add_argument("--no-notebooks", action="store_true", help="write the .py handouts only")
    rel.set_defaults(func=cmd_release)

    gr = verbs.add_parser("grade", help="grade submissions (files or folders of them)")
    gr.add_argument("paths", nargs="+", help="submission files, or folders of submissions")
    gr.add_argument("--out", default=".", help="folder for grades.csv and grades.json")
    gr.add_argument("--lesson", default=None,
                    help="the lesson the submissions answer (default: read from each file)")
    gr.add_argument("--time-limit", type=float, default=20.0,
                    help="seconds per submission cell and per property (default 20)")
    gr.add_argument("--memory-mb", type=int, default=2048,
                    help="address-space limit of the grading process in MiB (default 2048)")
    gr.add_argument("--max-examples", type=int, default=25,
                    help="hypothesis examples per property (default 25)")
    gr.set_defaults(func=cmd_grade)


def _sources(args, names=None):
    from ..exercises import ExerciseSourceError, load_sources

    try:
        sources = load_sources(names, folder=args.source)
    except ExerciseSourceError as exc:
        raise UsageError(str(exc)) from None
    if not sources:
        raise UsageError("no exercise scripts found (looked in exercises/; see --source)")
    return sources


def cmd_list(args) -> int:
    sources = _sources(args)
    total = 0
    for lesson, src in sources.items():
        print(f"{lesson} ({src.path}): {len(src.exercises)} exercises, {src.total_points} points")
        for ex in src.exercises:
            print(f"  {ex.name:<28} {ex.points:>2} pt  {ex.title}")
        total += src.total_points
    n = sum(len(s.exercises) for s in sources.values())
    print(f"{n} exercises, {total} points")
    return 0


def cmd_release(args) -> int:
    from ..exercises.release import NotebookExtraMissing, release

    sources = _sources(args, args.lesson)
    try:
        written = release(sources.values(), args.out, notebooks=not args.no_notebooks)
    except (NotebookExtraMissing, ImportError) as exc:
        raise UsageError(str(exc)) from None
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_grade(args) -> int:
    from ..exercises.grading import GradingError, format_grades, grade, write_grades

    sources = _sources(args)
    if args.lesson and args.lesson not in sources:
        raise UsageError(f"no exercises for lesson {args.lesson!r}; have {', '.join(sources)}")

    def progress(sub):
        if not args.quiet:
            print(f"grading {sub.student} ({sub.lesson}: {sub.path})", file=sys.stderr)

    try:
        report = grade(args.paths, sources, lesson=args.lesson, time_limit=args.time_limit,
                       memory_mb=args.memory_mb, max_examples=args.max_examples,
                       progress=progress)
    except GradingError as exc:
        raise UsageError(str(exc)) from None
    print(format_grades(report))
    csv_path, json_path = write_grades(report, args.out)
    print(f"wrote {csv_path} and {json_path}")
    return 0
