"""``tinygen demo``: the tour over what exists, every lesson in quick mode, offline."""

from __future__ import annotations

import time
from pathlib import Path

from .lesson import run_lesson

#: the lessons of the tour, in order (missing ones are skipped)
DEMO = ("tour", "autograd", "rbm", "dbm", "vae", "gan", "autoregressive")


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="the tour: each lesson in quick mode (offline, < 2 min)")
    p.add_argument("--out", default="runs/demo", help="output folder (default runs/demo)")
    p.add_argument("--full", action="store_true", help="full lessons instead of quick ones")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args) -> int:
    from ..lessons import available_lessons

    have = set(available_lessons())
    t0 = time.perf_counter()
    failed, pictures = [], []
    for name in DEMO:
        if name not in have:
            print(f"(skipping {name}: no lessons/{name}.py)")
            continue
        print(f"=== lesson {name} ===", flush=True)
        out = Path(args.out) / name
        rc, seconds, out = run_lesson(name, quick=not args.full, out=out, quiet=args.quiet)
        print(f"=== {name}: {'ok' if rc == 0 else f'FAILED ({rc})'} in {seconds:.1f} s ===")
        if rc:
            failed.append(name)
        pictures += sorted(out.glob("*.png"))
    print(f"\ntour finished in {time.perf_counter() - t0:.1f} s; pictures:")
    for p in pictures:
        print(f"  {p}")
    if failed:
        print(f"failed lessons: {', '.join(failed)}")
        return 1
    return 0
