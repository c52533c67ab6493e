"""Brute-force helpers for small energy-based models: every binary vector, in order.

Exact enumeration is what makes the derivations of ``lessons/rbm.py`` checkable: with n
binary units there are 2ⁿ configurations, so sums such as Z = Σ_x exp(−E(x)) can be
computed exactly for n up to about 20–25 (with :func:`tinygen.numerics.logsumexp` in
float64). Shared by :mod:`tinygen.models.rbm`, :mod:`tinygen.models.ais` and the Boltzmann
machine / DBN models.
"""

from __future__ import annotations

import numpy as np

__all__ = ["all_binary", "iter_binary", "MAX_ENUMERATE"]

#: Largest number of units enumerated exactly (2**25 ≈ 3.4e7 configurations).
MAX_ENUMERATE = 25


def _check_n(n: int, limit: int = MAX_ENUMERATE) -> int:
    n = int(n)
    if n < 0:
        raise ValueError(f"the number of binary units must be non-negative, got {n}")
    if n > limit:
        raise ValueError(
            f"cannot enumerate 2**{n} configurations (limit {limit} units); use a smaller "
            "model or an estimator such as AIS (tinygen.models.ais)"
        )
    return n


def _bits(start: int, stop: int, n: int, dtype) -> np.ndarray:
    codes = np.arange(start, stop, dtype=np.int64)[:, None]
    shifts = np.arange(n - 1, -1, -1, dtype=np.int64)[None, :]
    return ((codes >> shifts) & 1).astype(dtype)


def all_binary(n: int, dtype=np.float64) -> np.ndarray:
    """All 2ⁿ binary vectors of length ``n`` as rows, in lexicographic order.

    Row k holds the binary digits of k, most significant first, so ``all_binary(2)`` is
    ``[[0, 0], [0, 1], [1, 0], [1, 1]]``.

    Parameters
    ----------
    n : int
        Number of units (at most :data:`MAX_ENUMERATE`).
    dtype : numpy dtype, default float64

    Returns
    -------
    ndarray of shape (2**n, n)
    """
    n = _check_n(n)
    return _bits(0, 1 << n, n, dtype)


def iter_binary(n: int, chunk_size: int = 1 << 16, dtype=np.float64):
    """Yield the rows of :func:`all_binary` in consecutive chunks of at most ``chunk_size``.

    Keeps memory bounded when 2ⁿ rows would not fit at once.

    Yields
    ------
    ndarray of shape (≤ chunk_size, n)
    """
    n = _check_n(n)
    total = 1 << n
    chunk_size = max(1, int(chunk_size))
    for start in range(0, total, chunk_size):
        yield _bits(start, min(start + chunk_size, total), n, dtype)
