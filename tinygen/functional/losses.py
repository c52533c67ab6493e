"""Numerically stable losses, each with ``reduction="mean" | "sum" | "none"``.

``"none"`` returns the elementwise loss; ``"mean"`` averages over all its entries and
``"sum"`` adds them up (PyTorch's semantics).

Lesson: ``lessons/autograd.py`` §6 "Losses are log-likelihoods".
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from .._threads import BLOCK_ELEMS, run_blockwise, run_elementwise
from ..autograd import Function, OpError, Tensor
from ..backend import get_array_module
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
    "kl_normal",
    "BCEWithLogits",
    "BernoulliLogLikelihood",
    "CrossEntropy",
]


def _same_shape(name, a, b, what="target"):
    if a.shape != b.shape:
        raise OpError(
            f"{name}: input of shape {a.shape} and {what} of shape {b.shape} must have the "
            "same shape"
        )


# --------------------------------------------------------------------------- Bernoulli
def _bce_into(xp, lb, xb, yb, tb):
    """lb ← softplus(x) − x·y = max(x, 0) + log(1 + e^{−|x|}) − x·y, in place, on one block
    (``tb``: scratch of the same shape)."""
    xp.abs(xb, out=tb)
    xp.negative(tb, out=tb)
    xp.exp(tb, out=tb)
    xp.log1p(tb, out=tb)  # log(1 + e^{−|x|})
    xp.maximum(xb, 0, out=lb)
    lb += tb
    lb -= xp.multiply(xb, yb, out=tb)


class BCEWithLogits(Function):
    """ℓ = softplus(x) − x·y = max(x, 0) − x·y + log(1 + e^{−|x|});
    ∂ℓ/∂x = σ(x) − y, ∂ℓ/∂y = −x.

    # NOTE: fused (one op instead of softplus, Mul, Sub) because it is the reconstruction
    # term of the Bernoulli VAE, evaluated on every pixel of every step; the max/log1p form
    # is the standard overflow-free one (as in PyTorch's BCEWithLogitsLoss). It equals
    # :func:`_bce_with_logits_composite`, which the tests check.
    """

    def forward(self, x, y):
        xp = get_array_module(x)
        self.x, self.y = x, y
        if x.ndim == 0 or x.shape != np.broadcast_shapes(x.shape, y.shape):
            return xp.maximum(x, 0) - x * y + xp.log1p(xp.exp(-xp.abs(x)))
        out = xp.result_type(x, y)
        loss = xp.empty(x.shape, dtype=out)  # in place from here: two arrays, not seven
        t = xp.empty(x.shape, dtype=out)
        kernel = partial(_bce_into, xp)
        run_elementwise(kernel, loss, x, xp.broadcast_to(y, x.shape), t)  # in loss's order
        return loss

    def backward(self, g):
        xp = get_array_module(g)
        a, b = self.parents
        gx = gy = None
        if a.requires_grad:
            x = self.x
            shape = np.broadcast_shapes(x.shape, g.shape)
            s = xp.empty(shape, dtype=xp.result_type(x, self.y, g))

            def kernel(sb, xb, yb, gb):
                xp.multiply(xb, 0.5, out=sb)
                xp.tanh(sb, out=sb)  # σ(x) = ½(1 + tanh(x/2))
                sb *= 0.5
                sb += 0.5
                sb -= yb
                sb *= gb

            run_elementwise(kernel, s, *(xp.broadcast_to(v, shape) for v in (x, self.y, g)))
            gx = s
        if b.requires_grad:
            gy = -g * self.x
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

    Notes
    -----
    With ``"sum"`` or ``"mean"`` the losses are summed row by row (over the last axis) by
    the fused :class:`BernoulliLogLikelihood`, and the row sums are then added up: the
    elementwise losses are never stored. The total is as accurate as ``loss.sum()``, though
    not always equal to it in the last bit (the additions come in another order).

    References
    ----------
    Kingma & Welling (2014), "Auto-encoding variational Bayes", ICLR, appendix C.1.
    """
    name = "binary_cross_entropy_with_logits"
    check_reduction(reduction, name)
    logits = as_float_tensor(logits)
    target = as_float_tensor(target, logits.dtype if logits.dtype.kind == "f" else None)
    _same_shape(name, logits, target)
    if reduction == "none" or logits.ndim == 0 or logits.size == 0:
        return reduce_loss(BCEWithLogits.apply(logits, target), reduction, name)
    total = -BernoulliLogLikelihood.apply(logits, target).sum()
    return total if reduction == "sum" else total * (1.0 / logits.size)


class BernoulliLogLikelihood(Function):
    """L = Σᵢ [yᵢ xᵢ − softplus(xᵢ)] over the last axis (= −Σᵢ BCE(xᵢ, yᵢ));
    ∂L/∂xᵢ = yᵢ − σ(xᵢ), ∂L/∂yᵢ = xᵢ.

    ``x`` (the logits) has shape (..., d); ``y`` broadcasts to it; L has shape (...).

    # NOTE: fused (the elementwise BCE and its sum over the last axis in one op, instead of
    # BCEWithLogits then Sum) because it is log p(x|z) of the Bernoulli VAE, evaluated on
    # every pixel of every step, k times per image for IWAE-k. Each block of whole rows is
    # summed while it is in the CPU cache, so the elementwise loss is never written out nor
    # read back; the backward takes four passes, (tanh(x/2) + s) · (−g/2) with s = 1 − 2y
    # formed once on y's own shape (σ(x) − y = ½ (tanh(x/2) + 1 − 2y)), where BCEWithLogits
    # takes six. On the IWAE benchmark's VAE it made the step 1.066× (ELBO) and 1.095×
    # (IWAE-5) as fast in in-process A/Bs. On NumPy each block is first computed as
    # log(1 + eˣ) − x·y, four passes (exp, log1p, multiply, subtract) where the overflow-free
    # form BCEWithLogits computes (:func:`_bce_into`) takes eight; a block in which eˣ
    # overflowed (x > 88 in float32, 709 in float64) has a row sum of inf or NaN and is
    # computed again in the overflow-free form. Both forms add x's magnitude and subtract
    # x·y, so they round alike (max relative error of the row sums against float64: 1.9e-7
    # to 2.8e-7 for either, logits of scale 1 to 60); on 5×100×784 logits the forward took
    # 1.0 ms against 1.25-1.5 ms (PyTorch's BCE with logits and row sum: 1.0 ms). The rows
    # are summed as the matrix-vector product BCE·1, which BLAS vectorises along each row
    # (7 µs against 25 µs for ``.sum(axis=-1)`` on 64 rows of 784 here), so L equals
    # −BCEWithLogits(x, y).sum(axis=-1) to float rounding, which the tests check.
    """

    def forward(self, x, y):
        xp = get_array_module(x)
        self.x, self.y = x, y
        dtype = xp.result_type(x, y)
        out = xp.empty(x.shape[:-1], dtype=dtype)
        yb = xp.broadcast_to(y, x.shape)
        ones = xp.ones(x.shape[-1], dtype=dtype)

        def row_sums(loss):  # Σᵢ BCE of these rows (BLAS)
            return (loss.reshape(-1, loss.shape[-1]) @ ones).reshape(loss.shape[:-1])

        def kernel(i):
            xi, yi = x[i], yb[i]
            loss, t = xp.empty(xi.shape, dtype=dtype), xp.empty(xi.shape, dtype=dtype)
            if xp is np:  # log(1 + eˣ) − x·y; a row where eˣ overflowed sums to ±inf or NaN
                with np.errstate(over="ignore", invalid="ignore"):
                    xp.exp(xi, out=loss)
                    xp.log1p(loss, out=loss)
                    loss -= xp.multiply(xi, yi, out=t)
                    sums = row_sums(loss)
                if bool(xp.isfinite(sums).all()):
                    out[i] = sums
                    return
            _bce_into(xp, loss, xi, yi, t)  # max(x, 0) + log(1 + e^{−|x|}) − x·y
            out[i] = row_sums(loss)

        self._blockwise(xp, kernel, x.shape)
        return xp.negative(out, out=out)  # L = −Σᵢ BCE (exactly: negation commutes with +)

    @staticmethod
    def _blockwise(xp, kernel, shape):
        """``kernel(index)`` on blocks of whole rows (one call on CuPy or for very long rows)."""
        if xp is np and shape[-1] <= BLOCK_ELEMS:
            run_blockwise(kernel, shape)
        else:
            kernel(Ellipsis)

    def backward(self, g):
        xp = get_array_module(g)
        a, b = self.parents
        x, y = self.x, self.y
        gx = gy = None
        if a.requires_grad:
            s = xp.multiply(y, -2.0, dtype=xp.result_type(x, y))
            s += 1.0  # 1 − 2y, on y's shape
            sb = xp.broadcast_to(s, x.shape)
            h = xp.broadcast_to((g * -0.5)[..., None], x.shape)  # −g/2 along each row
            gx = xp.empty(x.shape, dtype=xp.result_type(x, y, g))

            def kernel(i):
                gi = gx[i]
                xp.multiply(x[i], 0.5, out=gi)
                xp.tanh(gi, out=gi)
                gi += sb[i]
                gi *= h[i]  # (y − σ(x)) g

            self._blockwise(xp, kernel, x.shape)
        if b.requires_grad:
            gy = g[..., None] * x
        return gx, gy


def bernoulli_log_likelihood(logits, target) -> Tensor:
    """log p(y | x) of independent Bernoulli variables with logits x, summed over the last axis.

    log p(y | x) = Σᵢ [yᵢ log σ(xᵢ) + (1 − yᵢ) log(1 − σ(xᵢ))] = Σᵢ [yᵢ xᵢ − softplus(xᵢ)]
                 = −Σᵢ BCE(xᵢ, yᵢ),

    exact for any logit (the same stable form as :func:`binary_cross_entropy_with_logits`).
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
    return BernoulliLogLikelihood.apply(logits, target)


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

    # NOTE: fused (log_softmax + gather in one op, no scatter in the backward) because the
    # 256-way softmax of every pixel is PixelCNN's loss, the largest tensor of its step; it is
    # the standard fusion of softmax and its cross-entropy (Bridle 1990). It equals
    # :func:`_cross_entropy_composite`, which the tests check.
    """

    def forward(self, x, index, axis):
        xp = get_array_module(x)
        z = x - x.max(axis=axis, keepdims=True)
        z -= xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
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


def kl_normal(mu_q, logvar_q, mu_p=0.0, logvar_p=0.0, reduction="mean") -> Tensor:
    """KL(N(μ_q, e^{logvar_q}) ‖ N(μ_p, e^{logvar_p})) of diagonal Gaussians, elementwise.

    KL = ½ [logvar_p − logvar_q + (e^{logvar_q} + (μ_q − μ_p)²) / e^{logvar_p} − 1];
    with the standard-normal prior (μ_p = 0, logvar_p = 0) it is ½(e^{logvar_q} + μ_q² − 1 −
    logvar_q), the VAE's regulariser. Sum over the latent axis for the KL of the joint.

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
    try:
        np.broadcast_shapes(mu_q.shape, logvar_q.shape, mu_p.shape, logvar_p.shape)
    except ValueError:
        raise OpError(
            f"{name}: shapes mu_q {mu_q.shape}, logvar_q {logvar_q.shape}, mu_p {mu_p.shape}, "
            f"logvar_p {logvar_p.shape} do not broadcast"
        ) from None
    d = mu_q - mu_p
    kl = (logvar_p - logvar_q + (logvar_q.exp() + d * d) / logvar_p.exp() - 1.0) * 0.5
    return reduce_loss(kl, reduction, name)
