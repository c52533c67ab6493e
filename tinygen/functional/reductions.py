"""Log-sum-exp and the softmax family, stable for inputs of any magnitude.

Lesson: ``lessons/autograd.py`` §4 "Composite ops are just more graph".
"""

from __future__ import annotations

from ..autograd import Function, Tensor
from ..backend import get_array_module
from ..numerics import log_softmax as log_softmax_array
from ..numerics import logsumexp as logsumexp_array
from ..numerics import reduced_shape
from ._utils import as_float_tensor

__all__ = ["logsumexp", "log_softmax", "softmax", "LogSumExp", "LogSoftmax"]


class LogSumExp(Function):
    """y = log Σ_axis eˣ;  ∂y/∂x = e^{x − y} = softmax(x) along the axis.

    # NOTE: fused for stability: the forward shifts by the maximum before exponentiating
    # (:func:`tinygen.numerics.logsumexp`), and the backward forms softmax(x) = e^{x − y}
    # from the result, with no exponent above 0. Weights below √tiny (x − y < −44 in
    # float32) are set to exactly 0: they cannot change the sum (≥ 1), and as gradients,
    # scaled down further by the graph below, they would become subnormal numbers, which
    # most CPUs multiply tens of times more slowly than normal ones (Dooley & Kale 2006,
    # "Quantifying the interference caused by subnormal floating-point values"). It equals
    # :func:`_logsumexp_composite`, which the tests check.
    """

    def forward(self, x, axis=-1):
        self.x, self.axis = x, axis
        self.y = logsumexp_array(x, axis=axis, keepdims=True)
        return self.y.reshape(reduced_shape(x.shape, axis))

    def backward(self, g):
        xp = get_array_module(g)
        w = xp.exp(self.x - self.y)  # softmax(x) along the reduced axes
        w[w < xp.sqrt(xp.finfo(w.dtype).tiny)] = 0  # flush the terms that cannot count
        return (w * g.reshape(self.y.shape),)


def _logsumexp_composite(x, axis=-1) -> Tensor:
    """log Σ eˣ from primitives (the lesson's form): m + log Σ e^{x − m} with the shift
    m = max x a constant (detached): the gradient is softmax(x) for any m."""
    x = as_float_tensor(x)
    m = Tensor(x.data.max(axis=axis, keepdims=True))
    out = (x - m).exp().sum(axis=axis, keepdims=True).log() + m
    return out.reshape(reduced_shape(x.shape, axis))


def logsumexp(x, axis=-1, keepdims=False) -> Tensor:
    """y = log Σ_axis eˣ, computed as m + log Σ e^{x − m} with m = max_axis x.

    The shift m changes nothing (the gradient ∂y/∂x = softmax(x) is the same for any m),
    and choosing the maximum keeps every exponent ≤ 0, so nothing overflows.

    Parameters
    ----------
    x : Tensor
        Input of shape (..., n, ...).
    axis : int, tuple of int or None
        Axis or axes to reduce (None: all).
    keepdims : bool
        Keep the reduced axes with size 1.

    Returns
    -------
    Tensor
        Of x's shape without (or, with ``keepdims``, with size 1 at) the reduced axes.
    """
    x = as_float_tensor(x)
    out = LogSumExp.apply(x, axis=axis)
    if keepdims:
        return out.reshape(reduced_shape(x.shape, axis, keepdims=True))
    return out


class LogSoftmax(Function):
    """z = x − log Σ_axis eˣ;  ∂L/∂x = g − softmax(x) · Σ_axis g.

    # NOTE: fused for stability: the forward subtracts the maximum before exponentiating
    # (:func:`tinygen.numerics.log_softmax`; Blanchard, Higham & Higham 2021, "Accurately
    # computing the log-sum-exp and softmax functions", IMA J. Numer. Anal. 41), and the
    # backward forms softmax(x) = e^z from the result. It equals
    # :func:`_log_softmax_composite`, which the tests check.
    """

    def forward(self, x, axis=-1):
        self.out, self.axis = log_softmax_array(x, axis=axis), axis
        return self.out

    def backward(self, g):
        xp = get_array_module(g)
        return (g - xp.exp(self.out) * g.sum(axis=self.axis, keepdims=True),)


def _log_softmax_composite(x, axis=-1) -> Tensor:
    """log_softmax from primitives (the lesson's form): x − logsumexp(x), arranged as
    z − log Σ e^z with z = x − m (m = max x, a constant) so that the large m cancels exactly
    instead of in rounding: (x − m) − log Σ e^{x−m} = x − (m + log Σ e^{x−m})."""
    x = as_float_tensor(x)
    z = x - Tensor(x.data.max(axis=axis, keepdims=True))
    return z - z.exp().sum(axis=axis, keepdims=True).log()


def log_softmax(x, axis=-1) -> Tensor:
    """y = x − log Σ_axis eˣ (log of the softmax), stable for inputs of any magnitude.

    Parameters
    ----------
    x : Tensor
        Logits of shape (..., n_classes, ...).
    axis : int
        The class axis.
    """
    return LogSoftmax.apply(as_float_tensor(x), axis=axis)


def softmax(x, axis=-1) -> Tensor:
    """yᵢ = e^{xᵢ} / Σⱼ e^{xⱼ} along ``axis``, computed as exp(log_softmax(x)).

    References
    ----------
    Bridle (1990), "Probabilistic interpretation of feedforward classification network
    outputs, with relationships to statistical pattern recognition".
    """
    return log_softmax(x, axis=axis).exp()
