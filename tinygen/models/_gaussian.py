"""Diagonal-Gaussian helpers shared by the VAE family: log-densities and KL divergences.

Every function works on :class:`~tinygen.Tensor` (so gradients flow) and accepts arrays or
Python numbers, which it wraps as constants. Densities and KLs are summed over the last axis
(the latent or visible dimension), so a batch of shape (..., n) gives a result of shape (...).

Lesson: ``lessons/vae.py`` §3 "The KL in closed form".
"""

from __future__ import annotations

import math

from ..autograd.ops import Clip
from ..functional._utils import as_float_tensor, float_dtype_of
from ..functional.gaussian import kl_standard_normal
from ..functional.reductions import logsumexp as _logsumexp

__all__ = [
    "LOG_2PI",
    "log_normal_diag",
    "log_standard_normal",
    "kl_diag_normal",
    "kl_diag_standard_normal",
    "clamp",
    "logsumexp",
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


def kl_diag_normal(mu_q, logvar_q, mu_p=0.0, logvar_p=0.0, axis=-1):
    """KL(N(μ_q, diag σ_q²) ‖ N(μ_p, diag σ_p²)) in closed form, summed over ``axis``.

    KL = ½ Σᵢ [log σ_p,ᵢ² − log σ_q,ᵢ² + (σ_q,ᵢ² + (μ_q,ᵢ − μ_p,ᵢ)²) / σ_p,ᵢ² − 1]

    With μ_p = μ^Y and σ_p = 1 this is the conditional VAE's ½Σ[(μ − μ^Y)² + σ² − log σ² − 1].

    References
    ----------
    Kingma, D. P. & Welling, M. (2014). Auto-encoding variational Bayes. ICLR, appendix B.
    """
    mu_q = _t(mu_q)
    logvar_q = _t(logvar_q, mu_q)
    mu_p, logvar_p = _t(mu_p, mu_q), _t(logvar_p, mu_q)
    elem = (
        (logvar_p - logvar_q) + (logvar_q.exp() + (mu_q - mu_p) ** 2) * (-logvar_p).exp() - 1.0
    ) * 0.5
    return elem if axis is None else elem.sum(axis=axis)


def kl_diag_standard_normal(mu, logvar, axis=-1):
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σᵢ (μᵢ² + σᵢ² − log σᵢ² − 1), summed over ``axis``.

    Summed over the last axis of equal shapes (the VAE's case) it is the fused op
    :func:`tinygen.functional.kl_standard_normal`; otherwise the composite below."""
    mu = _t(mu)
    logvar = _t(logvar, mu)
    if mu.shape == logvar.shape and mu.ndim and axis in (-1, mu.ndim - 1):
        return kl_standard_normal(mu, logvar)
    elem = (mu**2 + logvar.exp() - logvar - 1.0) * 0.5
    return elem if axis is None else elem.sum(axis=axis)


def clamp(x, lo=None, hi=None):
    """Clip ``x`` to [lo, hi] (gradient zero outside, as for a hard clamp)."""
    return Clip.apply(_t(x), lo=lo, hi=hi)


def logsumexp(x, axis):
    """log Σ exp(x) along ``axis`` computed stably as m + log Σ exp(x − m), m = max (detached).

    The gradient is softmax(x) along ``axis``; the shift m carries no gradient (it cancels).
    """
    return _logsumexp(_t(x), axis=axis)  # tinygen.functional's (see its NOTE on tiny terms)
