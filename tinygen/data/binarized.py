"""Binarized MNIST (Larochelle & Murray, 2011): the fixed binarization used for density models.

Each image of MNIST was binarized once, by sampling every pixel from a Bernoulli whose
mean is its grey level; the result is a fixed dataset of 50,000 training, 10,000
validation and 10,000 test images of 784 = 28 x 28 binary pixels. It is the standard
benchmark for the test log-likelihood of RBMs, DBNs, NADE and VAEs (reported in nats).

The files are Larochelle's ``.amat`` text format: one image per line, 784 values ``0`` or
``1`` separated by single spaces. They are read plain or gzipped from
``<data_dir>/binarized_mnist/binarized_mnist_{split}.amat[.gz]``.

References
----------
.. [1] H. Larochelle and I. Murray, "The neural autoregressive distribution estimator",
   AISTATS 2011.
.. [2] R. Salakhutdinov and I. Murray, "On the quantitative analysis of deep belief
   networks", ICML 2008.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from .cache import (
    DataError,
    RemoteFile,
    bad_gzip_error,
    corrupt_file_hint,
    fetch,
    register,
)

__all__ = ["binarized_mnist", "parse_amat", "SPLITS", "MIRRORS"]

#: Number of rows of each split in the canonical files.
SPLITS = {"train": 50000, "valid": 10000, "test": 10000}
N_PIXELS = 784
#: Base URLs tried in order (Larochelle's canonical location). No checksums are published
#: for these files; a downloaded file is validated by its structure when parsed.
MIRRORS = ["http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/"]

_ZERO, _ONE, _SPACE, _TAB, _LF, _CR = (ord(c) for c in "01 \t\n\r")


def _remote(split: str) -> RemoteFile:
    name = f"binarized_mnist_{split}.amat"
    return RemoteFile(
        relpath=f"binarized_mnist/{name}",
        urls=tuple(m + name for m in MIRRORS),
        alternatives=(f"binarized_mnist/{name}.gz",),
    )


def _files() -> list[RemoteFile]:
    return [_remote(s) for s in SPLITS]


register("binarized_mnist", _files)


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise bad_gzip_error(path, exc) from None


def _line_of(raw: np.ndarray, pos: int) -> int:
    """1-based line number of byte offset ``pos``."""
    return int(np.count_nonzero(raw[:pos] == _LF)) + 1


def _parse_regular(raw: np.ndarray) -> np.ndarray | None:
    """Fast path for the canonical layout ``"b b ... b\\n"`` (1568 bytes a line).

    Returns the (n, 784) array, or ``None`` when the buffer does not have exactly that
    layout (the general parser then finds what is wrong, or copes with other spacing).
    """
    width = 2 * N_PIXELS
    if raw.size == 0 or raw.size % width != 0:
        return None
    lines = raw.reshape(-1, width)
    if not (np.all(lines[:, -1] == _LF) and np.all(lines[:, 1:-1:2] == _SPACE)):
        return None
    x = lines[:, 0::2] - np.uint8(_ZERO)  # uint8 arithmetic: anything but 0/1 wraps past 1
    if np.any(x > 1):
        return None
    return x


def parse_amat(data: bytes, path: str | os.PathLike = "<bytes>", n_rows: int | None = None):
    """Parse ``.amat`` text of binary values into an array of shape (n_rows, 784), uint8.

    Vectorized over the whole buffer: every byte must be ``0``, ``1`` or whitespace,
    values are single characters, and each non-blank line holds exactly 784 of them.

    Parameters
    ----------
    data : bytes
        The file's content (already decompressed).
    path : path-like
        Named in error messages.
    n_rows : int, optional
        Expected number of rows.

    Raises
    ------
    DataError
        On any malformed content; the message names the file, the line and the fix.
    """
    path = Path(path)
    raw = np.frombuffer(data, dtype=np.uint8)
    fast = _parse_regular(raw)
    if fast is not None:
        if n_rows is not None and fast.shape[0] != n_rows:
            raise DataError(
                f"{path}: has {fast.shape[0]} rows, expected {n_rows}; the file is truncated "
                f"or is not the canonical one. {corrupt_file_hint(path)}"
            )
        return fast
    is_bit = (raw == _ZERO) | (raw == _ONE)
    is_space = (raw == _SPACE) | (raw == _TAB) | (raw == _CR)
    is_lf = raw == _LF
    bad = ~(is_bit | is_space | is_lf)
    if bad.any():
        pos = int(np.argmax(bad))
        raise DataError(
            f"{path}: line {_line_of(raw, pos)} holds {bytes(raw[pos : pos + 1])!r}; a "
            "binarized MNIST file holds only 0/1 values separated by spaces. "
            + corrupt_file_hint(path)
        )
    glued = is_bit[1:] & is_bit[:-1]
    if glued.any():
        pos = int(np.argmax(glued))
        raise DataError(
            f"{path}: line {_line_of(raw, pos)} holds a value that is not a single 0 or 1. "
            + corrupt_file_hint(path)
        )
    del bad, glued, is_space
    # Lines: [start, end) ranges between line feeds; count the values of each at once.
    lf = np.flatnonzero(is_lf)
    starts = np.concatenate(([0], lf + 1))
    ends = np.concatenate((lf, [raw.size]))
    nonempty = starts < ends
    if not nonempty.any():
        raise DataError(f"{path} holds no data. {corrupt_file_hint(path)}")
    counts = np.zeros(starts.size, dtype=np.int64)
    # Each reduceat segment runs up to the next non-empty line; the line feeds and blank
    # lines it spans hold no bits, so it counts the values of one line.
    counts[nonempty] = np.add.reduceat(is_bit, starts[nonempty], dtype=np.int64)
    rows = counts > 0
    wrong = rows & (counts != N_PIXELS)
    if wrong.any():
        i = int(np.argmax(wrong))
        raise DataError(
            f"{path}: line {i + 1} has {counts[i]} values, expected {N_PIXELS}; the file is "
            f"truncated or malformed. {corrupt_file_hint(path)}"
        )
    n = int(rows.sum())
    if n_rows is not None and n != n_rows:
        raise DataError(
            f"{path}: has {n} rows, expected {n_rows}; the file is truncated or is not the "
            f"canonical one. {corrupt_file_hint(path)}"
        )
    return (raw[is_bit] - _ZERO).reshape(n, N_PIXELS)


def binarized_mnist(split: str = "train") -> np.ndarray:
    """Binarized MNIST images, of shape (n_samples, 784), dtype uint8, values 0/1.

    Parameters
    ----------
    split : {"train", "valid", "test"}
        50,000, 10,000 and 10,000 rows. The file is taken from the cache folder
        (``TINYGEN_DATA`` or ``~/.cache/tinygen``), plain ``.amat`` or ``.amat.gz``, and
        downloaded from Larochelle's site when absent.

    Returns
    -------
    numpy.ndarray of shape (n_samples, 784), uint8
        Row-major 28 x 28 images (reshape with ``x.reshape(-1, 28, 28)``).

    Raises
    ------
    DataError
        The file is truncated or malformed (message names it and how to fix it), or it
        is absent and cannot be downloaded (message names ``TINYGEN_DATA`` and the URL).

    References
    ----------
    .. [1] H. Larochelle and I. Murray, "The neural autoregressive distribution
       estimator", AISTATS 2011.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
    path = fetch(_remote(split))
    return parse_amat(_read_bytes(path), path, n_rows=SPLITS[split])
