"""Small data makers shared by several test modules (not tests themselves)."""

from __future__ import annotations

import numpy as np


def noisy_prototypes(n, n_prototypes, dim, seed=0, flip=0.05):
    """``n`` noisy copies of ``n_prototypes`` random binary prototypes in ``dim`` dimensions.

    Each row is a prototype drawn uniformly, with each bit flipped with probability
    ``flip``. Returns ``(x, y)``: x of shape (n, dim), float32 in {0, 1}; y of shape (n,),
    the prototype indices.
    """
    rng = np.random.default_rng(seed)
    protos = (rng.random((n_prototypes, dim)) < 0.5).astype(np.float32)
    y = rng.integers(0, n_prototypes, n)
    x = protos[y]
    flipped = rng.random(x.shape) < flip
    return np.where(flipped, 1 - x, x).astype(np.float32), y
