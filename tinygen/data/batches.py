"""Minibatches: aligned slices of one or more arrays, shuffled with a given generator."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import backend
from ..rng import as_generator

__all__ = ["minibatches", "n_batches"]


def _length(a) -> int:
    shape = getattr(a, "shape", None)
    if shape is None or len(shape) == 0:
        raise ValueError(f"minibatches needs arrays with a first (sample) axis, got {type(a)}")
    return int(shape[0])


def n_batches(n_samples: int, batch_size: int, drop_last: bool = False) -> int:
    """Number of batches :func:`minibatches` yields: floor or ceil of n / batch_size."""
    return n_samples // batch_size if drop_last else -(-n_samples // batch_size)


def minibatches(
    *arrays, batch_size: int, shuffle: bool = True, random_state=None, drop_last: bool = False
) -> Iterator:
    """Iterate over minibatches of ``arrays``, aligned along their first axis.

    One pass (an epoch) visits every index once: with ``shuffle`` the order is a
    permutation drawn from ``as_generator(random_state)``, else ``0..n-1``. The last,
    smaller batch is dropped when ``drop_last``.

    Parameters
    ----------
    *arrays : arrays (NumPy or CuPy) with the same length n along axis 0
    batch_size : int
        Samples per batch, at least 1.
    shuffle : bool
        Draw a random order (default) or keep the data's order (slices are then views).
    random_state : None, int or numpy.random.Generator
        Pass one Generator across epochs to get a new order each epoch, reproducibly.
    drop_last : bool

    Yields
    ------
    array or tuple of arrays
        A batch of the single input, or a tuple with one batch per input.

    Raises
    ------
    ValueError
        At the call (not at the first ``next``) when no array is given, the lengths
        differ or ``batch_size`` is not a positive integer.
    """
    if not arrays:
        raise ValueError("minibatches needs at least one array")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
    lengths = [_length(a) for a in arrays]
    if len(set(lengths)) > 1:
        raise ValueError(
            f"minibatches needs arrays of equal length along axis 0, got lengths {lengths}"
        )
    n = lengths[0]
    order = as_generator(random_state).permutation(n) if shuffle else None
    return _iterate(arrays, n, int(batch_size), order, drop_last)


def _iterate(arrays, n, batch_size, order, drop_last):
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        end = min(start + batch_size, n)
        if order is None:
            batch = tuple(a[start:end] for a in arrays)
        else:
            idx = order[start:end]
            batch = tuple(a[backend.get_array_module(a).asarray(idx)] for a in arrays)
        yield batch[0] if len(arrays) == 1 else batch
