"""What the model plug-ins share: the options of ``tinygen sample MODEL``, the data options
of the RBM, DBM and SBN, finding a checkpoint from a run folder and writing the samples.
(Not a plug-in: the leading underscore keeps it out of
:func:`tinygen.cli.train.model_modules`.)

A typical ``sample`` of a plug-in with ``--out``::

    def add_sample_args(parser):
        _common.add_sample_args(parser)          # --checkpoint, --n, --out, --seed
        parser.add_argument("--n-gibbs", ...)    # then the model's own options
        return parser

    def sample(args, run):
        _common.check_counts(args, "n")          # --n must be >= 1
        ckpt = find_checkpoint(args.checkpoint)
        x = ...                                   # load the model and draw the samples
        _common.save_samples_npy(run, x, args.out, shape, title, config)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import UsageError

__all__ = [
    "train_args",
    "add_sample_args",
    "check_counts",
    "add_mnist_or_bars_args",
    "load_mnist_or_bars",
    "find_checkpoint",
    "save_samples",
    "save_samples_npy",
    "save_npy",
    "square_shape",
]

#: the help of ``--out``, the same for every plug-in that writes its samples there
OUT_HELP = "the .npy file (default samples.npy in the run); a PNG of the first 100 goes beside it"


def train_args(args):
    """The parsed options as a JSON-able dict for ``config.json``: ``vars(args)`` without the
    dispatch function ``argparse`` stores beside them."""
    return {k: v for k, v in vars(args).items() if not callable(v)}


def add_sample_args(parser, *, n_help="number of samples", out=True):
    """Add the options every ``tinygen sample MODEL`` takes to an ``argparse`` parser:
    ``--checkpoint`` (a run folder or ``.npz``, required), ``--n`` (default 64), ``--out``
    (only with ``out=True``; see :func:`save_samples_npy`) and ``--seed`` (default 0).

    ``n_help`` is the help of ``--n`` (e.g. "number of samples (chains)"). The plug-in adds
    its own options (``--n-gibbs``, ``--binary``, ...) after these. Returns ``parser``.
    """
    parser.add_argument("--checkpoint", required=True, help="run folder or .npz written by train")
    parser.add_argument("--n", type=int, default=64, help=n_help)
    if out:
        parser.add_argument("--out", default=None, help=OUT_HELP)
    parser.add_argument("--seed", type=int, default=0)
    return parser


def check_counts(args, *names):
    """Check that each of the options ``names`` (attribute names of ``args``, e.g. ``"n"``,
    ``"n_gibbs"``) is at least 1 when given (not None); else a :class:`UsageError` such as
    ``--n-gibbs must be >= 1, got 0``."""
    for name in names:
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 1, got {value}")


def add_mnist_or_bars_args(parser):
    """Add the data options of the RBM, DBM and SBN: ``--data`` (``binarized_mnist``, the
    default, or ``bars_and_stripes``), ``--bas-size`` and ``--n-train``; read them back
    with :func:`load_mnist_or_bars`. Returns ``parser``."""
    parser.add_argument(
        "--data", choices=["binarized_mnist", "bars_and_stripes"], default="binarized_mnist"
    )
    parser.add_argument("--bas-size", type=int, default=4, help="bars-and-stripes side n (n x n)")
    parser.add_argument("--n-train", type=int, default=None, help="use the first N training rows")
    return parser


def load_mnist_or_bars(args, dtype):
    """``(X, Xv, shape)`` for the options of :func:`add_mnist_or_bars_args`: the training
    rows (the first ``--n-train`` of them), up to 1,000 validation rows, both 0/1 of
    ``dtype``, and the image shape.

    Binarized MNIST: its ``train`` and ``valid`` splits, (28, 28). Bars-and-stripes: the
    whole set (all its 2^(n+1) − 2 images, n = ``--bas-size``) is the training rows and
    also the validation rows, (n, n).
    """
    from ... import data as D

    if args.data == "binarized_mnist":
        X, Xv, shape = D.binarized_mnist("train"), D.binarized_mnist("valid"), (28, 28)
    else:
        X = Xv = D.bars_and_stripes(args.bas_size)
        shape = (args.bas_size, args.bas_size)
    if args.n_train is not None:
        X = X[: args.n_train]
    return X.astype(dtype), Xv[:1000].astype(dtype), shape


def square_shape(n_pixels):
    """(side, side) when ``n_pixels`` is a square (784 → (28, 28)), else (1, n_pixels): the
    picture shape of a model's flat visible vector."""
    side = math.isqrt(int(n_pixels))
    return (side, side) if side * side == n_pixels else (1, int(n_pixels))


def find_checkpoint(path, filename, model, fallback=None):
    """The ``.npz`` checkpoint at ``path``: the file itself, or in a folder the first (in
    sorted order) file named ``filename`` below it, else the first that ``fallback(folder)``
    (an iterable of paths) yields, sorted.

    Raises ``FileNotFoundError`` naming ``model`` (e.g. ``"rbm"``) and the command that
    writes its checkpoint.
    """
    path = Path(path)
    if path.is_file():
        return path
    if path.is_dir():
        found = sorted(path.rglob(filename))
        if not found and fallback is not None:
            found = sorted(fallback(path))
        if found:
            return found[0]
    raise FileNotFoundError(
        f"no {model.upper()} checkpoint at {path}: pass the run folder of "
        f"`tinygen train {model}` or its {filename}"
    )


def save_samples(run, x, shape, title, config):
    """Write ``x`` (samples of shape (n, n_pixels)) to ``samples.npy`` and as an image grid
    ``samples.png`` of ``shape`` pictures in ``run.dir``, record ``config`` as the run's
    configuration (when ``run`` can), print and return the picture's path.

    For the plug-ins without ``--out``; those with it use :func:`save_samples_npy`."""
    from ...viz import image_grid

    out = Path(run.dir)
    np.save(out / "samples.npy", x)
    path = image_grid(x, out / "samples.png", shape=shape, title=title)
    if hasattr(run, "save_config"):
        run.save_config(config)
    print(f"samples {path}")
    return path


def save_samples_npy(run, x, out, shape, title, config) -> Path:
    """Write the samples ``x`` as ``.npy`` to ``out`` (the ``--out`` option; None: the
    default ``samples.npy`` in ``run.dir``) and a grid of the first 100 as a PNG beside it
    (same name, ``.png``), titled ``title``, of ``shape`` pictures (each sample flattened).

    Records ``config`` plus the path written (key ``"out"``) as the run's configuration,
    prints both paths and returns the ``.npy`` path.
    """
    from ...viz import image_grid

    path = save_npy(out or Path(run.dir) / "samples.npy", x)
    first = x[:100]
    picture = image_grid(
        first.reshape(len(first), -1), path.with_suffix(".png"), shape=shape, title=title
    )
    run.save_config({**config, "out": str(path)})
    print(f"samples {path} shape {x.shape}\npicture {picture}")
    return path


def save_npy(path, x) -> Path:
    """``np.save`` to ``path`` (``.npy`` appended if missing) through a temporary file and a
    rename, creating the folder; returns the path written."""
    out = Path(path)
    if out.suffix != ".npy":
        out = out.with_name(out.name + ".npy")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.npy")
    np.save(tmp, x)
    tmp.replace(out)
    return out
