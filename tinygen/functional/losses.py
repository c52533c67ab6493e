"""Numerically stable losses, each with ``reduction="mean" | "sum" | "none"``.

``"none"`` returns the elementwise loss; ``"mean"`` averages over all its entries and
``"sum"`` adds them up (PyTorch's semantics).

Lesson: ``lessons/autograd.py`` §6 "Losses are log-likelihoods".
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function, OpError, Tensor
from ..backend import get_array_module
from ..numerics import log_softmax as log_softmax_array
from ..numerics import sigmoid as sigmoid_array
from ._utils import as_float_tensor, check_reduction, float_dtype_of, reduce_loss
from .activations import log, softplus
from .array_ops import clip
from .reductions import _log_softmax_composite

__all__ = [
    "binary_cross_entropy_with_logits",
    "bernoulli_log_likelihood",
    "binary_cross_entropy",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "gaussian_nll_loss",
    "BCEWithLogits",
    "CrossEntropy",
]


def _same_shape(name, a, b, what="target"):
    if a.shape != b.shape:
        raise OpError(
            f"{name}: input of shape {a.shape} and {what} of shape {b.shape} must have the "
            "same shape"
        )


# --------------------------------------------------------------------------- Bernoulli
class BCEWithLogits(Function):
    """ℓ = softplus(x) − x·y = (max(x, 0) − x·y) + log(1 + e^{−|x|});
    ∂ℓ/∂x = σ(x) − y, ∂ℓ/∂y = −x.

    # NOTE: fused for stability. Written as softplus(x) − x·y, a confident correct logit
    # (x = 9, y = 1: 9.000123 − 9) loses most of its digits to cancellation; here the
    # large parts max(x, 0) − x·y cancel exactly first and the small log1p(e^{−|x|}) is
    # added after, as in PyTorch's BCEWithLogitsLoss. The gradient σ(x) − y is formed
    # directly. It equals :func:`_bce_with_logits_composite`, which the tests check.
    """

    def forward(self, x, y):
        xp = get_array_module(x)
        self.x, self.y = x, y
        return (xp.maximum(x, 0) - x * y) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, g):
        a, b = self.parents
        gx = g * (sigmoid_array(self.x) - self.y) if a.requires_grad else None
        gy = -g * self.x if b.requires_grad else None
        return gx, gy


def _bce_with_logits_composite(logits, target) -> Tensor:
    """softplus(x) − x·y from primitives (the lesson's form), elementwise."""
    return softplus(logits) - logits * target


def binary_cross_entropy_with_logits(logits, target, reduction="mean") -> Tensor:
    """Bernoulli negative log-likelihood from logits, stable for any |x|.

    ℓᵢ = −[yᵢ log σ(xᵢ) + (1 − yᵢ) log(1 − σ(xᵢ))] = softplus(xᵢ) − xᵢ yᵢ.

    Parameters
    ----------
    logits : Tensor
        x of any shape, e.g. (n_samples, n_visible).
    target : Tensor or array
        y of the same shape, in [0, 1] (binary pixels or probabilities).
    reduction : {"mean", "sum", "none"}

    References
    ----------
    Kingma & Welling (2014), "Auto-encoding variational Bayes", ICLR, appendix C.1.
    """
    name = "binary_cross_entropy_with_logits"
    check_reduction(reduction, name)
    logits = as_float_tensor(logits)
    target = as_float_tensor(target, logits.dtype if logits.dtype.kind == "f" else None)
    _same_shape(name, logits, target)
    return reduce_loss(BCEWithLogits.apply(logits, target), reduction, name)


def bernoulli_log_likelihood(logits, target) -> Tensor:
    """log p(y | x) of independent Bernoulli variables with logits x, summed over the last axis.

    log p(y | x) = Σᵢ [yᵢ log σ(xᵢ) + (1 − yᵢ) log(1 − σ(xᵢ))] = Σᵢ [yᵢ xᵢ − softplus(xᵢ)]
                 = −Σᵢ BCE(xᵢ, yᵢ),

    exact for any logit (the same stable op as :func:`binary_cross_entropy_with_logits`).
    This is the Bernoulli decoder's log p(x|z) in the VAE.

    Parameters
    ----------
    logits : Tensor of shape (..., d)
        x.
    target : Tensor or array broadcastable to (..., d)
        y in [0, 1], e.g. one (n, d) batch for logits of shape (k, n, d).

    Returns
    -------
    Tensor of shape (...): one log-likelihood per row.

    References
    ----------
    Kingma & Welling (2014), "Auto-encoding variational Bayes", ICLR, appendix C.1.
    """
    name = "bernoulli_log_likelihood"
    logits = as_float_tensor(logits)
    target = as_float_tensor(target, logits.dtype if logits.dtype.kind == "f" else None)
    if logits.ndim == 0:
        raise OpError(f"{name}: logits need at least one axis (the summed one), got a scalar")
    try:
        ok = np.broadcast_shapes(logits.shape, target.shape) == logits.shape
    except ValueError:
        ok = False
    if not ok:
        raise OpError(
            f"{name}: target of shape {target.shape} does not broadcast to the logits' shape "
            f"{logits.shape}"
        )
    return -BCEWithLogits.apply(logits, target).sum(axis=-1)


def binary_cross_entropy(probs, target, eps=1e-7, reduction="mean") -> Tensor:
    """Bernoulli negative log-likelihood from probabilities.

    ℓᵢ = −[yᵢ log p̃ᵢ + (1 − yᵢ) log(1 − p̃ᵢ)] with p̃ = clip(p, eps, 1 − eps), so that
    ℓ stays finite at p ∈ {0, 1}. Prefer :func:`binary_cross_entropy_with_logits` when the
    logits are available: it is exact for any logit.
    """
    name = "binary_cross_entropy"
    check_reduction(reduction, name)
    probs = as_float_tensor(probs)
    target = as_float_tensor(target, probs.dtype if probs.dtype.kind == "f" else None)
    _same_shape(name, probs, target)
    p = clip(probs, eps, 1.0 - eps)
    loss = -(target * log(p) + (1.0 - target) * log(1.0 - p))
    return reduce_loss(loss, reduction, name)


# --------------------------------------------------------------------------- categorical
def _class_index(target, shape, axis, name):
    """Advanced index (tuple of int arrays) picking x[..., target, ...] along ``axis``."""
    ndim = len(shape)
    axis = axis % ndim
    t = target.data if isinstance(target, Tensor) else target
    xp = get_array_module(t)
    t = xp.asarray(t)
    expected = shape[:axis] + shape[axis + 1 :]
    if t.shape != expected:
        raise OpError(
            f"{name}: logits of shape {shape} with class axis {axis} need integer targets of "
            f"shape {expected}, got {t.shape}"
        )
    if t.dtype.kind not in "iu":
        if t.dtype.kind == "f" and t.size and bool(xp.all(t == xp.round(t))):
            t = t.astype(np.int64)
        else:
            raise TypeError(f"{name}: targets must be integer class indices, got dtype {t.dtype}")
    n_classes = shape[axis]
    if t.size and (int(t.min()) < 0 or int(t.max()) >= n_classes):
        raise ValueError(
            f"{name}: target classes must lie in [0, {n_classes}) for {n_classes} classes; got "
            f"values in [{int(t.min())}, {int(t.max())}]"
        )
    grids = list(xp.ogrid[tuple(slice(0, n) for n in expected)]) if expected else []
    return tuple(grids[:axis]) + (t,) + tuple(grids[axis:]), axis


class CrossEntropy(Function):
    """ℓ = −log softmax(x)[y] = log Σ_c e^{x_c} − x_y along ``axis``;
    ∂ℓ/∂x = softmax(x) − onehot(y).

    # NOTE: fused for stability: the gradient softmax(x) − onehot(y) is formed from the
    # stable log_softmax (:func:`tinygen.numerics.log_softmax`) in one piece, where the
    # graph of log Σ e^{x_c} − x_y would subtract two large rounded terms; it is the
    # standard fusion of softmax and its cross-entropy (Bridle 1990). It equals
    # :func:`_cross_entropy_composite`, which the tests check.
    """

    def forward(self, x, index, axis):
        z = log_softmax_array(x, axis=axis)
        self.logp, self.index, self.axis = z, index, axis
        return -z[index]

    def backward(self, g):
        xp = get_array_module(g)
        gx = xp.exp(self.logp)
        gx[self.index] -= 1
        gx *= xp.expand_dims(g, self.axis)
        return (gx,)


def _cross_entropy_composite(logits, target, axis=-1) -> Tensor:
    """−log_softmax(x)[y] from primitives (logsumexp, Sub, GetItem), elementwise."""
    logits = as_float_tensor(logits)
    index, _ = _class_index(target, logits.shape, axis, "cross_entropy")
    return -_log_softmax_composite(logits, axis=axis)[index]


def cross_entropy(logits, target, axis=-1, reduction="mean") -> Tensor:
    """Categorical negative log-likelihood from logits and integer class targets.

    ℓ = −log softmax(x)[y] = log Σ_c e^{x_c} − x_y, computed stably (max subtracted).

    Parameters
    ----------
    logits : Tensor
        Of shape (n_samples, n_classes), or any shape with the classes on ``axis`` (e.g.
        (n_samples, 256, height, width) with ``axis=1`` for PixelCNN).
    target : array of int
        Class indices in [0, n_classes), of ``logits``' shape without ``axis``.
    axis : int
        The class axis (PyTorch fixes it at 1; here it defaults to the last axis).
    reduction : {"mean", "sum", "none"}
        "none" returns ℓ of the target's shape.
    """
    name = "cross_entropy"
    check_reduction(reduction, name)
    logits = as_float_tensor(logits)
    if logits.ndim == 0:
        raise OpError(f"{name}: logits need a class axis, got a scalar")
    index, axis = _class_index(target, logits.shape, axis, name)
    return reduce_loss(CrossEntropy.apply(logits, index=index, axis=axis), reduction, name)


def nll_loss(log_probs, target, axis=-1, reduction="mean") -> Tensor:
    """Negative log-likelihood of integer targets under given log-probabilities.

    ℓ = −log p[y] (pick the target's entry along ``axis``); ``cross_entropy(x, y)`` equals
    ``nll_loss(log_softmax(x), y)``.
    """
    name = "nll_loss"
    check_reduction(reduction, name)
    log_probs = as_float_tensor(log_probs)
    index, _ = _class_index(target, log_probs.shape, axis, name)
    return reduce_loss(-log_probs[index], reduction, name)


# --------------------------------------------------------------------------- Gaussian
def mse_loss(input, target, reduction="mean") -> Tensor:
    """Squared error ℓᵢ = (xᵢ − yᵢ)² (input and target of one shape)."""
    name = "mse_loss"
    check_reduction(reduction, name)
    dt = float_dtype_of(input, target)
    input, target = as_float_tensor(input, dt), as_float_tensor(target, dt)
    _same_shape(name, input, target)
    d = input - target
    return reduce_loss(d * d, reduction, name)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean") -> Tensor:
    """Gaussian negative log-likelihood with predicted variance (PyTorch's GaussianNLLLoss).

    ℓᵢ = ½ [log max(varᵢ, eps) + (inputᵢ − targetᵢ)² / max(varᵢ, eps)]  (+ ½ log 2π if
    ``full``). The clamp at ``eps`` is for stability only: as in PyTorch, the gradient
    flows to ``var`` as if unclamped.

    Parameters
    ----------
    input : Tensor
        The predicted mean, of shape (n_samples, *).
    target : Tensor or array
        Observations, of input's shape.
    var : Tensor, array or float
        Predicted variances ≥ 0: of input's shape, or with the last axis of size 1 or missing
        (one variance per sample), or anything that broadcasts.
    full : bool
        Include the constant ½ log 2π.
    eps : float
        Lower clamp of the variance.
    reduction : {"mean", "sum", "none"}

    References
    ----------
    Nix & Weigend (1994), "Estimating the mean and variance of the target probability
    distribution", ICNN.
    """
    name = "gaussian_nll_loss"
    check_reduction(reduction, name)
    dt = float_dtype_of(input, target, var)
    input, target, var = (as_float_tensor(t, dt) for t in (input, target, var))
    _same_shape(name, input, target)
    if var.ndim == input.ndim - 1 and var.shape == input.shape[:-1] and input.ndim:
        var = var.reshape(var.shape + (1,))
    try:
        np.broadcast_shapes(var.shape, input.shape)
    except ValueError:
        raise OpError(
            f"{name}: var of shape {var.shape} does not fit input of shape {input.shape}"
        ) from None
    if bool(get_array_module(var.data).any(var.data < 0)):
        raise ValueError(f"{name}: var has negative entries; variances must be ≥ 0")
    xp = get_array_module(var.data)
    # forward uses max(var, eps); the correction is a constant, so ∂/∂var passes unchanged.
    var = var + Tensor(xp.maximum(var.data, var.dtype.type(eps)) - var.data)
    d = input - target
    loss = (log(var) + d * d / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction, name)
