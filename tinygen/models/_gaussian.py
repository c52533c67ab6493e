"""Diagonal-Gaussian log-densities shared by the VAE family (the KL in closed form is
:func:`tinygen.functional.kl_normal`).

Every function works on :class:`~tinygen.Tensor` (so gradients flow) and accepts arrays or
Python numbers, which it wraps as constants. Densities are summed over the last axis
(the latent or visible dimension), so a batch of shape (..., n) gives a result of shape (...).

Lesson: ``lessons/vae.py`` §3 "The KL in closed form".
"""

from __future__ import annotations

import math

from ..autograd.ops import Clip
from ..functional._utils import as_float_tensor, float_dtype_of

__all__ = [
    "LOG_2PI",
    "log_normal_diag",
    "log_standard_normal",
    "clamp",
]

LOG_2PI = math.log(2.0 * math.pi)


def _t(x, like=None):
    """``x`` as a Tensor; a constant takes the float dtype of ``like`` (no float64 promotion)."""
    return as_float_tensor(x, float_dtype_of(like))


def log_normal_diag(x, mu, logvar, axis=-1):
    """log N(x; μ, diag exp(logvar)), summed over ``axis``.

    log N(x; μ, diag σ²) = −½ Σᵢ [log 2π + log σᵢ² + (xᵢ − μᵢ)² / σᵢ²]

    Parameters
    ----------
    x, mu, logvar : Tensor or array_like, broadcastable, last axis of size n
    axis : int or None
        Axis summed over (None: no sum, the elementwise log-density).

    Returns
    -------
    Tensor of the broadcast shape without ``axis``.
    """
    x = _t(x)
    mu, logvar = _t(mu, x), _t(logvar, x)
    elem = (logvar + (x - mu) ** 2 * (-logvar).exp() + LOG_2PI) * -0.5
    return elem if axis is None else elem.sum(axis=axis)


def log_standard_normal(z, axis=-1):
    """log N(z; 0, I) = −½ Σᵢ (log 2π + zᵢ²), summed over ``axis``."""
    z = _t(z)
    elem = (z**2 + LOG_2PI) * -0.5
    return elem if axis is None else elem.sum(axis=axis)


def clamp(x, lo=None, hi=None):
    """Clip ``x`` to [lo, hi] (gradient zero outside, as for a hard clamp)."""
    return Clip.apply(_t(x), lo=lo, hi=hi)
