"""What the model plug-ins share: finding a checkpoint from a run folder and writing the
samples of ``tinygen sample MODEL``. (Not a plug-in: the leading underscore keeps it out of
:func:`tinygen.cli.train.model_modules`.)"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["find_checkpoint", "save_samples", "save_npy", "square_shape"]


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
    configuration (when ``run`` can), print and return the picture's path."""
    from ...viz import image_grid

    out = Path(run.dir)
    np.save(out / "samples.npy", x)
    path = image_grid(x, out / "samples.png", shape=shape, title=title)
    if hasattr(run, "save_config"):
        run.save_config(config)
    print(f"samples {path}")
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
