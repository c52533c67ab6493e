"""Diagonal Gaussians: the reparameterized sample z = μ + σ ⊙ ε and the KL divergence in
closed form, both written from primitives.

Lesson: ``lessons/vae.py`` §3 "The KL in closed form" and §4 "The reparameterization
trick".
"""

from __future__ import annotations

import numpy as np

from ..autograd import OpError, Tensor
from ._utils import as_float_tensor, check_reduction, float_dtype_of, reduce_loss
from .activations import exp, expm1

__all__ = ["reparameterize", "kl_normal"]


def _broadcast(name, **tensors):
    try:
        np.broadcast_shapes(*(t.shape for t in tensors.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {t.shape}" for k, t in tensors.items())
        raise OpError(f"{name}: shapes {shapes} do not broadcast") from None


def reparameterize(mu, logvar, eps) -> Tensor:
    """The reparameterized sample z = μ + exp(½ logvar) ⊙ ε, differentiable in μ, logvar and ε.

    With ε ~ N(0, I) drawn outside the graph, z ~ N(μ, diag exp(logvar)), and the gradient
    of E[f(z)] is E[∇f(z) ∂z/∂θ] (the reparameterization trick), with

        ∂z/∂μ = 1,  ∂z/∂logvar = ½ σ ⊙ ε,  ∂z/∂ε = σ.

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
    _broadcast("reparameterize", mu=mu, logvar=logvar, eps=eps)
    return mu + exp(logvar * 0.5) * eps


def kl_normal(mu_q, logvar_q, mu_p=0.0, logvar_p=0.0, reduction="mean") -> Tensor:
    """KL(N(μ_q, e^{logvar_q}) ‖ N(μ_p, e^{logvar_p})) of diagonal Gaussians, elementwise.

    KL = ½ [(σ_q² + (μ_q − μ_p)²) / σ_p² − 1 − log(σ_q² / σ_p²)]
       = ½ [expm1(Δ) − Δ + (μ_q − μ_p)² e^{−logvar_p}],   Δ = logvar_q − logvar_p.

    The second form is the one computed: e^Δ − 1 − Δ ≥ 0 is the part due to the variances,
    and expm1 keeps it exact near Δ = 0 (q close to p), where e^Δ − 1 would cancel. With
    the standard-normal prior (μ_p = 0, logvar_p = 0) it is ½(μ² + e^{logvar} − 1 −
    logvar), the VAE's regulariser. Sum over the latent axis (``reduction="none"``, then
    ``.sum(axis=-1)``) for the KL of the joint.

    Parameters
    ----------
    mu_q, logvar_q : Tensor
        Mean and log-variance of q, of shape (n_samples, n_latent).
    mu_p, logvar_p : Tensor, array or float
        Those of p, broadcasting against q's.
    reduction : {"mean", "sum", "none"}
        "none" returns the elementwise KL above; "mean" (the default, as for every loss)
        averages it over all entries, "sum" adds them (the total KL of the batch).

    References
    ----------
    Kingma & Welling (2014), "Auto-encoding variational Bayes", ICLR, appendix B.
    """
    name = "kl_normal"
    check_reduction(reduction, name)
    dt = float_dtype_of(mu_q, logvar_q, mu_p, logvar_p)
    mu_q, logvar_q, mu_p, logvar_p = (
        as_float_tensor(t, dt) for t in (mu_q, logvar_q, mu_p, logvar_p)
    )
    _broadcast(name, mu_q=mu_q, logvar_q=logvar_q, mu_p=mu_p, logvar_p=logvar_p)
    delta = logvar_q - logvar_p
    d = mu_q - mu_p
    kl = (expm1(delta) - delta + d * d * exp(-logvar_p)) * 0.5
    return reduce_loss(kl, reduction, name)
