"""Hypothesis strategies for Gaussian latent-variable models (float64).

* :func:`linear_gaussian_models` — a :class:`~tinygen.models.linear_gaussian.LinearGaussian`
  with random W, μ, σ (optionally with orthogonal columns of W, so that M = WᵀW + σ²I and
  hence the exact posterior covariance are diagonal);
* :func:`diag_gaussians` — (mean, log-variance) of a diagonal Gaussian in n dimensions;
* :func:`observations` — a point x of n dimensions in a bounded box.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygen.models.linear_gaussian import LinearGaussian

__all__ = ["vectors", "diag_gaussians", "linear_gaussian_models", "observations"]


def vectors(n, lo=-3.0, hi=3.0):
    """float64 arrays of shape (n,) with entries in [lo, hi]."""
    return hnp.arrays(
        np.float64, (n,), elements=st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    )


def diag_gaussians(n, mu_range=(-3.0, 3.0), logvar_range=(-3.0, 2.0)):
    """(mu, logvar) of a diagonal Gaussian N(mu, diag exp(logvar)), each of shape (n,)."""
    return st.tuples(vectors(n, *mu_range), vectors(n, *logvar_range))


def observations(n, lo=-4.0, hi=4.0):
    """A point x of shape (n,)."""
    return vectors(n, lo, hi)


@st.composite
def linear_gaussian_models(
    draw,
    max_visible=6,
    max_latent=4,
    sigma_range=(0.3, 2.0),
    orthogonal=False,
):
    """A LinearGaussian z ~ N(0, I_K), x|z ~ N(Wz + μ, σ²I_D) with W entries in [-2, 2].

    With ``orthogonal=True``, n_latent ≤ n_visible and W = Q diag(c) with orthonormal
    columns Q and scales c ∈ [0.1, 3], so WᵀW = diag(c²) and the posterior is diagonal.
    """
    D = draw(st.integers(1, max_visible))
    K = draw(st.integers(1, max_latent))
    if orthogonal:
        K = min(K, D)
        A = draw(hnp.arrays(np.float64, (D, K), elements=st.floats(-2, 2, allow_nan=False)))
        Q, _ = np.linalg.qr(A)
        c = draw(vectors(K, 0.1, 3.0))
        W = Q * c
    else:
        W = draw(hnp.arrays(np.float64, (D, K), elements=st.floats(-2, 2, allow_nan=False)))
    mu = draw(vectors(D))
    s = draw(st.floats(*sigma_range))
    return LinearGaussian(W, mu, s)
