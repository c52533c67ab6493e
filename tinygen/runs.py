"""A training run's folder: ``runs/<name>/`` with config, metrics, checkpoints and pictures.

::

    run = Run("rbm-mnist")            # creates runs/rbm-mnist/
    run.save_config({"n_hidden": 500})  # config.json
    run.log_metrics(epoch, loss=...)    # one JSON line per call in metrics.jsonl
    model.save(run.checkpoint_path())   # runs/rbm-mnist/model.npz
    for batch in run.progress(batches): ...   # tqdm bar, quiet off a terminal
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from .io import load_npz, save_npz

__all__ = ["Run", "atomic_savez", "load_npz", "progress"]


def atomic_savez(path, **arrays) -> Path:
    """``np.savez``-style atomic write (see :func:`tinygen.io.save_npz`)."""
    return save_npz(path, arrays)


def progress(iterable=None, *, quiet=False, **kwargs):
    """A tqdm progress bar, disabled when ``quiet`` or when stderr is not a terminal."""
    disable = quiet or not sys.stderr.isatty()
    return tqdm(iterable, disable=disable, dynamic_ncols=True, **kwargs)


def _jsonable(v):
    if hasattr(v, "item") and getattr(v, "size", 2) == 1:
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return str(v)


class Run:
    """The output folder of one training or sampling run.

    Parameters
    ----------
    name : str, optional
        Folder name under ``root``; default a timestamp such as ``20261121-231800``.
    root : str or Path, default "runs"
    quiet : bool
        Disable progress bars.
    """

    def __init__(self, name=None, root="runs", quiet=False):
        name = name or time.strftime("%Y%m%d-%H%M%S")
        self.dir = Path(root) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.quiet = quiet
        self.pictures: list[Path] = []

    def path(self, filename) -> Path:
        """Path of a file inside the run folder."""
        return self.dir / filename

    def save_config(self, config: dict) -> Path:
        """Write ``config.json`` (atomically)."""
        path = self.path("config.json")
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(_jsonable(config), indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)
        return path

    def load_config(self) -> dict:
        """Read ``config.json`` back."""
        return json.loads(self.path("config.json").read_text())

    def log_metrics(self, step, **metrics) -> None:
        """Append ``{"step": step, **metrics}`` as one JSON line to ``metrics.jsonl``."""
        line = json.dumps(_jsonable({"step": step, **metrics}))
        with open(self.path("metrics.jsonl"), "a") as f:
            f.write(line + "\n")

    def metrics(self) -> list[dict]:
        """All logged metric records, in order."""
        path = self.path("metrics.jsonl")
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def checkpoint_path(self, name="model") -> Path:
        """``runs/<run>/<name>.npz``: where a model's ``save`` should write.

        ``name`` may already end in ``.npz`` (``"rbm"`` and ``"rbm.npz"`` give the same path).
        """
        name = str(name)
        return self.path(name if name.endswith(".npz") else f"{name}.npz")

    def progress(self, iterable=None, **kwargs):
        """A tqdm bar for a long loop (quiet when ``--quiet`` or not on a terminal)."""
        return progress(iterable, quiet=self.quiet, **kwargs)

    def saved(self, path) -> Path:
        """Record and print a file the run wrote."""
        path = Path(path)
        self.pictures.append(path)
        print(f"saved {path}")
        return path
