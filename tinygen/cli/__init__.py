"""The ``tinygen`` command (also ``python -m tinygen``).

::

    tinygen data info                 what is cached where
    tinygen data download NAME        fetch a dataset into the cache
    tinygen lesson NAME [--quick]     run lessons/NAME.py (pictures under runs/lesson-NAME/)
    tinygen lesson --list
    tinygen train MODEL [options]     train a model (MODEL: see `tinygen train --help`)
    tinygen sample MODEL --checkpoint PATH
    tinygen complete MODEL --checkpoint PATH [--top-half | --left-half]
    tinygen demo                      the tour: every lesson in quick mode, offline
    tinygen exercises list            graded exercises (also: release OUT, grade PATH...)
"""

from __future__ import annotations

import argparse
import sys

from ..backend import BackendError
from ..data.cache import DataError
from ..io import CheckpointError
from . import complete as _complete
from . import data as _data
from . import demo as _demo
from . import exercises as _exercises
from . import lesson as _lesson
from . import train as _train
from .errors import UsageError

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygen",
        description="Deep generative models from scratch in NumPy: lessons, training, sampling.",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _data.add_parser(sub)
    _lesson.add_parser(sub)
    _train.add_parsers(sub)
    _complete.add_parser(sub)
    _demo.add_parser(sub)
    _exercises.add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except UsageError as exc:
        print(f"tinygen: error: {exc}", file=sys.stderr)
        return 2
    except (DataError, CheckpointError, BackendError, FileNotFoundError) as exc:
        # expected failures (missing or corrupt data, bad checkpoint, no CuPy): the message
        # says what to fix, so no traceback
        print(f"tinygen: error: {exc}", file=sys.stderr)
        return 1
