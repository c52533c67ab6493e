"""``tinygen train MODEL`` and ``tinygen sample MODEL``.

Each model plugs in through a module ``tinygen/cli/models/<MODEL>.py`` defining
``add_train_args(parser)``, ``train(args, run)``, ``add_sample_args(parser)`` and
``sample(args, run)``; ``run`` is a :class:`tinygen.runs.Run` (folder ``runs/<name>/``).
"""

from __future__ import annotations

import importlib
import pkgutil
import time

from .. import runs


def model_modules() -> dict:
    """name → module of every model plug-in under ``tinygen.cli.models``."""
    from . import models

    return {
        m.name: importlib.import_module(f"{models.__name__}.{m.name}")
        for m in pkgutil.iter_modules(models.__path__)
        if not m.name.startswith("_")
    }


def add_parsers(sub) -> None:
    mods = model_modules()
    for verb in ("train", "sample"):
        p = sub.add_parser(verb, help=f"{verb} a model ({', '.join(sorted(mods))})")
        msub = p.add_subparsers(dest="model", metavar="MODEL")
        msub.required = True
        for name, mod in sorted(mods.items()):
            summary = (mod.__doc__ or name).strip().splitlines()[0]
            mp = msub.add_parser(name, help=summary)
            mp.add_argument("--name", default=None, help="run folder name under --root")
            mp.add_argument("--root", default="runs", help="where run folders go (default runs)")
            getattr(mod, f"add_{verb}_args")(mp)
            mp.set_defaults(func=_dispatch(mod, verb, name))


def _dispatch(mod, verb, model_name):
    def run_command(args) -> int:
        name = args.name or f"{model_name}-{verb}-{time.strftime('%Y%m%d-%H%M%S')}"
        run = runs.Run(name, root=args.root, quiet=args.quiet)
        print(f"run folder: {run.dir}")
        result = getattr(mod, verb)(args, run)
        print(f"outputs in {run.dir}/")
        # a plug-in may return an exit status, or anything else (the model, the samples)
        is_status = isinstance(result, int) and not isinstance(result, bool)
        return result if is_status else 0

    return run_command
