"""``tinygen lesson NAME [--quick]``: run a lesson script from ``lessons/``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from .errors import UsageError


def add_parser(sub) -> None:
    p = sub.add_parser("lesson", help="run a lesson (see --list)")
    p.add_argument("name", nargs="?", help="lesson name, e.g. rbm or vae")
    p.add_argument("--quick", action="store_true", help="small data, short training (< 2 min)")
    p.add_argument("--out", default=None, help="output folder (default runs/lesson-NAME)")
    p.add_argument("--list", action="store_true", help="list the lessons")
    p.set_defaults(func=cmd_lesson)


def run_lesson(name, quick=False, out=None, quiet=False) -> tuple[int, float, Path]:
    """Run ``lessons/NAME.py`` in a fresh interpreter; return (exit code, seconds, out dir)."""
    from ..lessons import available_lessons, lessons_dir

    if name not in available_lessons():
        raise UsageError(
            f"unknown lesson {name!r}; available: {', '.join(available_lessons()) or 'none'}"
        )
    out = Path(out) if out else Path("runs") / f"lesson-{name}"
    env = dict(os.environ, TINYGEN_OUT=str(out), TINYGEN_QUICK="1" if quick else "0")
    env.setdefault("MPLBACKEND", "Agg")
    if quiet:
        env["TINYGEN_QUIET"] = "1"
    t0 = time.perf_counter()
    rc = subprocess.call([sys.executable, str(lessons_dir() / f"{name}.py")], env=env)
    return rc, time.perf_counter() - t0, out


def cmd_lesson(args) -> int:
    from ..lessons import available_lessons

    if args.list or not args.name:
        for name in available_lessons():
            print(name)
        return 0 if args.list else 2
    rc, seconds, out = run_lesson(args.name, args.quick, args.out, args.quiet)
    status = "finished" if rc == 0 else f"FAILED (exit code {rc})"
    print(f"lesson {args.name} {status} in {seconds:.1f} s; outputs in {out}/")
    return rc
