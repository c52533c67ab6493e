"""Bars and stripes: the classic small dataset for Boltzmann machines.

An n x n binary image is a *bar* pattern when every column is constant (all pixels of a
column on or off) and a *stripe* pattern when every row is constant. Each of the
``2**n`` subsets of columns gives a bar pattern and each subset of rows a stripe
pattern; the all-off and all-on images are both, so there are ``2**(n+1) - 2`` distinct
patterns. Small enough (n <= 4) for the partition function of a Boltzmann machine to be
enumerated exactly, it is the usual test bed for exact log-likelihoods.

References
----------
.. [1] D. J. C. MacKay, *Information Theory, Inference, and Learning Algorithms*,
   Cambridge University Press, 2003, ch. 43.
.. [2] G. E. Hinton and T. J. Sejnowski, "Learning and relearning in Boltzmann machines",
   in *Parallel Distributed Processing*, vol. 1, MIT Press, 1986.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bars_and_stripes"]


def bars_and_stripes(n: int = 4) -> np.ndarray:
    """All distinct n x n bar and stripe patterns, flattened row-major.

    Row ``k < 2**n`` is the bar pattern whose column ``j`` is on when bit ``j`` of ``k``
    is set, ``x[i, j] = s_j``; the following ``2**n - 2`` rows are the stripe patterns
    ``x[i, j] = s_i`` for every row subset except all-off and all-on (already listed).

    Parameters
    ----------
    n : int
        Side of the square image, at least 1.

    Returns
    -------
    numpy.ndarray of shape (2**(n+1) - 2, n * n), uint8 of 0/1
        Deterministic (no randomness); shuffle with :func:`tinygen.data.minibatches`.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    n = int(n)
    if n > 12:
        raise ValueError(f"n={n} would give 2**{n + 1} - 2 patterns; use n <= 12")
    k = np.arange(2**n)
    s = ((k[:, None] >> np.arange(n)) & 1).astype(np.uint8)  # (2**n, n) subsets
    bars = np.broadcast_to(s[:, None, :], (2**n, n, n))  # x[i, j] = s_j
    stripes = np.broadcast_to(s[1:-1, :, None], (2**n - 2, n, n))  # x[i, j] = s_i
    return np.concatenate([bars, stripes]).reshape(-1, n * n).astype(np.uint8)
