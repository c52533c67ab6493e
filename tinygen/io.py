"""Checkpoint files: ``.npz`` written atomically, read with ``allow_pickle=False``.

Every model's ``save``/``load`` goes through these two functions, so a crash or Ctrl-C
during a save never destroys the previous checkpoint, and loading never runs pickled code.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from . import backend

__all__ = [
    "save_npz",
    "load_npz",
    "save_config",
    "load_config",
    "CheckpointError",
    "CheckpointNotFoundError",
]


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated or not what the loader expects."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint file does not exist (also a ``FileNotFoundError``)."""


def save_npz(path, arrays: Mapping) -> Path:
    """Write ``arrays`` (name → array or scalar) to ``path`` as ``.npz``, atomically.

    The data go to a temporary file in the same folder, which is flushed to disk and then
    renamed over ``path`` (``os.replace`` is atomic on POSIX and Windows). A ``.npz``
    suffix is added if missing. Returns the final path.
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    host = {str(k): backend.to_numpy(v) for k, v in arrays.items()}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **host)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load_npz(path, required=()) -> dict:
    """Read an ``.npz`` checkpoint into a dict of NumPy arrays (``allow_pickle=False``).

    Parameters
    ----------
    path : str or Path
        The file.
    required : iterable of str
        Names that must be present.

    Raises
    ------
    CheckpointError
        If the file is missing (then a :class:`CheckpointNotFoundError`, which is also a
        ``FileNotFoundError``), corrupt (e.g. truncated by an interrupted copy) or lacks a
        required array; the message names the file and what to do.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointNotFoundError(
            f"checkpoint {path} does not exist: check the path (or train first)"
        )
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise CheckpointError(
            f"checkpoint {path} is corrupt or not an .npz file ({exc}); delete it and save again"
        ) from exc
    missing = [k for k in required if k not in arrays]
    if missing:
        raise CheckpointError(
            f"checkpoint {path} lacks {missing}: it was written by a different model or version"
        )
    return arrays


def save_config(checkpoint, config: Mapping) -> Path:
    """Write ``config`` (JSON-able) as ``<checkpoint>.json`` beside a checkpoint, atomically
    (a temporary file, then a rename), and return its path."""
    path = Path(str(checkpoint) + ".json")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(dict(config), indent=2))
    os.replace(tmp, path)
    return path


def load_config(checkpoint) -> dict:
    """The dict that :func:`save_config` wrote beside ``checkpoint``; a clear error if the
    ``.json`` file is missing (``from_checkpoint`` needs it, ``load`` does not)."""
    path = Path(str(checkpoint) + ".json")
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: from_checkpoint needs the config written by save()"
        )
    return json.loads(path.read_text())
