"""Reproducible randomness: every stochastic function takes ``random_state`` (or ``rng``).

``as_generator`` turns ``None``, an ``int``, a :class:`numpy.random.SeedSequence` or a
:class:`numpy.random.Generator` into one :class:`numpy.random.Generator`. Random numbers
are drawn on the host with NumPy and moved to the active backend, so the same seed gives
bit-identical results on the CPU whatever the backend.
"""

from __future__ import annotations

import numpy as np

from . import backend

__all__ = ["as_generator", "uniform", "normal", "bernoulli", "integers"]


def as_generator(random_state=None) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``random_state``.

    Parameters
    ----------
    random_state : None, int, SeedSequence or Generator
        ``None`` gives fresh OS entropy; an ``int`` or ``SeedSequence`` seeds a new PCG64
        generator; a ``Generator`` is returned as is (so a caller's stream is shared).
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, (int, np.integer, np.random.SeedSequence)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    raise TypeError(
        "random_state must be None, an int, a numpy SeedSequence or a numpy Generator, "
        f"got {type(random_state).__name__}"
    )


def _dtype(dtype):
    return np.dtype(backend.get_default_dtype() if dtype is None else dtype)


def uniform(rng: np.random.Generator, size, dtype=None):
    """U[0, 1) samples of shape ``size`` on the active backend."""
    dt = _dtype(dtype)
    return backend.asarray(
        rng.random(size, dtype=dt if dt in (np.float32, np.float64) else None), dt
    )


def normal(rng: np.random.Generator, size, dtype=None):
    """Standard normal samples of shape ``size`` on the active backend (NumPy's
    ``Generator.standard_normal``: one stream per seed, whatever draws from it)."""
    dt = _dtype(dtype)
    return backend.asarray(
        rng.standard_normal(size, dtype=dt if dt in (np.float32, np.float64) else None), dt
    )


def bernoulli(rng: np.random.Generator, p, dtype=None):
    """Samples x ~ Bernoulli(p), elementwise, as 0/1 values of ``p``'s shape."""
    u = uniform(rng, p.shape, p.dtype if p.dtype.kind == "f" else None)
    return (u < p).astype(_dtype(dtype) if dtype is not None else p.dtype)


def integers(rng: np.random.Generator, low, high=None, size=None):
    """Integers in [low, high) (NumPy semantics), on the host."""
    return rng.integers(low, high, size=size)
