"""Batch normalization over the batch (and spatial) axes, with running statistics.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

from .. import backend
from ..autograd import Function, Tensor, no_grad
from . import init
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNormFunction"]


class BatchNormFunction(Function):
    """y = γ x̂ + β with x̂ = (x − μ_B) / √(σ²_B + ε), per channel, using batch statistics.

    μ_B and σ²_B (biased) are the mean and variance of x over ``axes`` (every axis but the
    channel axis 1); the module computes them once and passes them in, but the backward
    accounts for their dependence on x. With ĝ = ∂L/∂x̂ = γ ⊙ ∂L/∂y and n the number of
    entries per channel:

        ∂L/∂x = (1/(n √(σ²_B + ε))) (n ĝ − Σ ĝ − x̂ Σ(ĝ ⊙ x̂)),
        ∂L/∂γ = Σ ∂L/∂y ⊙ x̂,   ∂L/∂β = Σ ∂L/∂y   (sums over ``axes``).

    # NOTE: fused (one forward pass over x, three in the backward) instead of the ~10
    # primitive ops of the composite, because batch norm sits in every GAN/PixelCNN layer;
    # the tests check it against the composite written from primitives.

    References
    ----------
    Ioffe & Szegedy (2015), "Batch normalization: accelerating deep network training by
    reducing internal covariate shift", ICML, §3 (gradient formulas).
    """

    def forward(self, x, weight=None, bias=None, *, mean, var, axes, eps):
        xp = backend.get_array_module(x)
        self.axes = axes
        self.invstd = (1.0 / xp.sqrt(var + x.dtype.type(eps))).astype(x.dtype, copy=False)
        xhat = x - mean
        xhat *= self.invstd
        self.xhat, self.weight = xhat, weight
        if weight is None:
            return xhat.copy()
        y = xhat * _channel(weight, x.ndim)
        y += _channel(bias, x.ndim)
        return y

    def backward(self, g):
        axes, xhat = self.axes, self.xhat
        n = xhat.size // self.invstd.size
        gb = g.sum(axis=axes, keepdims=True)
        gw = (g * xhat).sum(axis=axes, keepdims=True)
        ps = self.parents
        gx = None
        if ps[0].requires_grad:
            if self.weight is not None:
                w = _channel(self.weight, g.ndim)
                # Σ ĝ = γ Σ g and Σ ĝ x̂ = γ Σ g x̂: reuse gb, gw instead of forming ĝ twice.
                gx = g * n
                gx -= gb
                gx -= xhat * gw
                gx *= w * (self.invstd / n)
            else:
                gx = g * n
                gx -= gb
                gx -= xhat * gw
                gx *= self.invstd / n
        if self.weight is None:
            return (gx,)
        C = self.weight.shape[0]
        return (
            gx,
            gw.reshape(C) if ps[1].requires_grad else None,
            gb.reshape(C) if ps[2].requires_grad else None,
        )


def _channel(v, ndim):
    """A per-channel vector of shape (C,) reshaped to broadcast along axis 1 of ndim axes."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


class _BatchNorm(Module):
    """Shared code of BatchNorm1d/2d (see :class:`BatchNorm1d`)."""

    _ndims: tuple = ()

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        *,
        dtype=None,
    ):
        super().__init__()
        C = self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        if self.affine:
            self.weight = Parameter(init.ones((C,), dtype=dtype))
            self.bias = Parameter(init.zeros((C,), dtype=dtype))
        else:
            self.weight = None
            self.bias = None
        if self.track_running_stats:
            self.register_buffer("running_mean", init.zeros((C,), dtype=dtype))
            self.register_buffer("running_var", init.ones((C,), dtype=dtype))
            self.register_buffer(
                "num_batches_tracked", backend.xp().zeros((), dtype=backend.xp().int64)
            )

    def _check(self, x):
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): expected input of "
                f"{' or '.join(str(d) for d in self._ndims)} dimensions with "
                f"{self.num_features} channels on axis 1, got shape {tuple(x.shape)}"
            )

    def forward(self, x):
        if not isinstance(x, Tensor):
            x = Tensor(x)
        self._check(x)
        axes = (0,) + tuple(range(2, x.ndim))
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            xd = x.data
            n = xd.size // self.num_features
            if n < 2 and self.training:
                raise ValueError(
                    f"{type(self).__name__}: expected more than 1 value per channel in "
                    f"training mode, got input of shape {tuple(x.shape)}"
                )
            mean = xd.mean(axis=axes, keepdims=True)
            var = ((xd - mean) ** 2).mean(axis=axes, keepdims=True)
            if self.training and self.track_running_stats:
                self._update_running(mean.reshape(-1), var.reshape(-1), n)
            args = (x,) if not self.affine else (x, self.weight, self.bias)
            return BatchNormFunction.apply(*args, mean=mean, var=var, axes=axes, eps=self.eps)
        # evaluation: y = γ (x − running_mean)/√(running_var + ε) + β = x·scale + shift
        xp = backend.get_array_module(x.data)
        dt = x.dtype
        invstd = (1.0 / xp.sqrt(self.running_var + dt.type(self.eps))).astype(dt, copy=False)
        rm = self.running_mean.astype(dt, copy=False)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        if not self.affine:
            return (x - Tensor(rm.reshape(shape))) * Tensor(invstd.reshape(shape))
        scale = self.weight * Tensor(invstd)
        shift = self.bias - Tensor(rm) * scale
        return x * scale.reshape(shape) + shift.reshape(shape)

    def _update_running(self, mean, var, n):
        """running ← (1 − m)·running + m·batch, with the unbiased batch variance
        (m = 1/num_batches when ``momentum`` is None: a cumulative average)."""
        with no_grad():
            self.num_batches_tracked += 1
            m = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
            dt = self.running_mean.dtype
            unbiased = var * (n / (n - 1))
            self.running_mean *= dt.type(1.0 - m)
            self.running_mean += (dt.type(m) * mean).astype(dt, copy=False)
            self.running_var *= dt.type(1.0 - m)
            self.running_var += (dt.type(m) * unbiased).astype(dt, copy=False)

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (batch, C) or (batch, C, L) inputs, per channel C.

    Training mode: y = γ (x − μ_B) / √(σ²_B + ε) + β with the batch mean μ_B and biased
    variance σ²_B over the batch (and length) axes, and the running statistics updated as
    running ← (1 − momentum)·running + momentum·batch (the variance unbiased, ×n/(n−1)).
    Evaluation mode: the running statistics replace μ_B and σ²_B.

    Parameters
    ----------
    num_features : int
        C.
    eps : float, default 1e-5
        ε.
    momentum : float or None, default 0.1
        Weight of the new batch in the running averages; None for a cumulative average.
    affine : bool, default True
        Learn γ (``weight``, init 1) and β (``bias``, init 0) of shape (C,).
    track_running_stats : bool, default True
        Keep ``running_mean``/``running_var`` buffers (else batch statistics are used in
        evaluation mode too).

    References
    ----------
    Ioffe & Szegedy (2015), "Batch normalization: accelerating deep network training by
    reducing internal covariate shift", ICML.
    """

    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (batch, C, H, W) inputs per channel C, statistics over
    (batch, H, W). Otherwise as :class:`BatchNorm1d`.

    References
    ----------
    Ioffe & Szegedy (2015), ICML.
    """

    _ndims = (4,)
