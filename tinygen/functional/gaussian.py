"""The diagonal-Gaussian pieces of every VAE step, as fused ops: the reparameterized sample
z = μ + σ ⊙ ε and the closed-form KL(N(μ, σ²) ‖ N(0, I)).

Both are short formulas that the composites in :mod:`tinygen.models._gaussian` also write
from primitives. They run once per training step of every VAE, on every latent unit, and
as primitives they are chains of small ops (four for the sample, seven for the KL) whose
fixed cost per op is most of their time on the (100, 50) latents of the benchmark VAE.

Lesson: ``lessons/vae.py`` §3 "The KL in closed form" and §4 "The reparameterization
trick".
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, OpError, Tensor
from ..backend import get_array_module
from ._utils import as_float_tensor, float_dtype_of

__all__ = ["reparameterize", "kl_standard_normal", "Reparameterize", "StandardNormalKL"]


class Reparameterize(Function):
    """z = μ + σ ⊙ ε with σ = exp(½ logvar);

    ∂z/∂μ = 1,  ∂z/∂logvar = ½ σ ⊙ ε,  ∂z/∂ε = σ.

    μ and logvar broadcast against ε (one (n, d) posterior for ε of shape (k, n, d)); the
    base class sums each gradient back to its input's shape.

    # NOTE: fused (one op instead of Mul, Exp, Mul, Add) for speed: it is the VAE's sample
    # z ~ q(z|x), drawn in every training step. σ is kept from the forward for the backward.
    # Measured with the KL below on the ELBO step of ``benchmarks/bench_vae.py`` (see
    # :class:`StandardNormalKL`).
    """

    def forward(self, mu, logvar, eps):
        xp = get_array_module(mu)
        sigma = xp.multiply(logvar, 0.5)
        xp.exp(sigma, out=sigma)
        self.sigma, self.eps = sigma, eps
        z = sigma * eps
        z += mu
        return z

    def backward(self, g):
        a, b, c = self.parents
        g_logvar = g_eps = None
        if b.requires_grad:
            g_logvar = g * self.eps
            g_logvar *= self.sigma
            g_logvar *= 0.5
        if c.requires_grad:
            g_eps = g * self.sigma
        return (g if a.requires_grad else None), g_logvar, g_eps


class StandardNormalKL(Function):
    """KL(N(μ, diag e^{logvar}) ‖ N(0, I)) = ½ Σᵢ [μᵢ² + (e^{logvarᵢ} − 1 − logvarᵢ)], summed
    over the last axis;

    ∂KL/∂μᵢ = μᵢ,  ∂KL/∂logvarᵢ = ½ (e^{logvarᵢ} − 1).

    e^{lv} − 1 is computed as expm1(lv), exact near lv = 0 where e^{lv} − 1 would cancel (the
    q that matches the prior); e^{lv} − 1 − lv ≥ 0 is the part of the KL due to the variance.

    # NOTE: fused (one op instead of the seven of ½ Σ(μ² + e^{lv} − lv − 1)) for speed: the
    # ELBO's KL term, in every training step. With :class:`Reparameterize`, forward and
    # backward on latents of shape (100, 50) took 200 µs against 328 µs for the composites
    # (310 against 442 µs right after a GEMM), about 2% of the ELBO step of
    # ``benchmarks/bench_vae.py``. In-process A/Bs of that step with a prototype of the two
    # ops gave 1.018× and 1.007× (40 alternating rounds; best rounds 7.08 → 6.73 and
    # 7.00 → 6.90 ms): a gain smaller than this VM's round-to-round noise.
    """

    def forward(self, mu, logvar):
        xp = get_array_module(mu)
        em1 = xp.expm1(logvar)  # e^{lv} − 1
        self.mu, self.em1 = mu, em1
        elem = xp.multiply(mu, mu)
        elem += em1
        elem -= logvar
        kl = elem.sum(axis=-1)
        kl *= 0.5
        return kl

    def backward(self, g):
        a, b = self.parents
        gg = g[..., None]
        g_mu = gg * self.mu if a.requires_grad else None
        g_logvar = None
        if b.requires_grad:
            g_logvar = self.em1 * gg
            g_logvar *= 0.5
        return g_mu, g_logvar


def reparameterize(mu, logvar, eps) -> Tensor:
    """The reparameterized sample z = μ + exp(½ logvar) ⊙ ε, differentiable in μ, logvar and ε.

    With ε ~ N(0, I) drawn outside the graph, z ~ N(μ, diag exp(logvar)), and the gradient
    of E[f(z)] is E[∇f(z) ∂z/∂θ] (the reparameterization trick).

    Parameters
    ----------
    mu, logvar : Tensor or array_like
        The mean and log-variance of q, of shape (..., d).
    eps : Tensor or array_like
        Standard normal noise whose shape the others broadcast to, e.g. (k, n, d) for k
        samples of an (n, d) batch.

    Returns
    -------
    Tensor z of the broadcast shape.

    References
    ----------
    Kingma & Welling (2014), "Auto-encoding variational Bayes", ICLR, §2.4.
    """
    dt = float_dtype_of(mu, logvar, eps)
    mu, logvar, eps = (as_float_tensor(t, dt) for t in (mu, logvar, eps))
    try:
        np.broadcast_shapes(mu.shape, logvar.shape, eps.shape)
    except ValueError:
        raise OpError(
            f"reparameterize: shapes mu {mu.shape}, logvar {logvar.shape}, eps {eps.shape} "
            "do not broadcast"
        ) from None
    return Reparameterize.apply(mu, logvar, eps)


def kl_standard_normal(mu, logvar) -> Tensor:
    """KL(N(μ, diag e^{logvar}) ‖ N(0, I)) = ½ Σᵢ (μᵢ² + e^{logvarᵢ} − logvarᵢ − 1), summed
    over the last axis: the VAE's regulariser in closed form.

    Parameters
    ----------
    mu, logvar : Tensor or array_like of the same shape (..., d)

    Returns
    -------
    Tensor of shape (...): one KL per row, ≥ 0, zero only where μ = 0 and logvar = 0.

    References
    ----------
    Kingma & Welling (2014), "Auto-encoding variational Bayes", ICLR, appendix B.
    """
    dt = float_dtype_of(mu, logvar)
    mu, logvar = as_float_tensor(mu, dt), as_float_tensor(logvar, dt)
    if mu.shape != logvar.shape or mu.ndim == 0:
        raise OpError(
            f"kl_standard_normal: mu and logvar need one shape with at least one axis (the "
            f"summed one), got {mu.shape} and {logvar.shape}"
        )
    return StandardNormalKL.apply(mu, logvar)
