"""Log-sum-exp and the softmax family, stable for inputs of any magnitude.

Lesson: ``lessons/autograd.py`` §4 "Composite ops are just more graph".
"""

from __future__ import annotations

from ..autograd import Function, Tensor
from ..backend import get_array_module
from ._utils import as_float_tensor

__all__ = ["logsumexp", "log_softmax", "softmax", "LogSoftmax"]


def _squeeze_axes(shape, axis):
    """The shape after reducing ``axis`` (None, int or tuple) without ``keepdims``."""
    ndim = len(shape)
    if axis is None:
        return ()
    axes = {a % ndim for a in ((axis,) if isinstance(axis, int) else axis)}
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def logsumexp(x, axis=-1, keepdims=False) -> Tensor:
    """y = log Σ_axis eˣ, computed as m + log Σ e^{x − m} with m = max_axis x.

    The shift m is a constant (detached): the gradient ∂y/∂x = softmax(x) is the same for
    any m, and choosing the maximum keeps every exponent ≤ 0, so nothing overflows.

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
    m = Tensor(x.data.max(axis=axis, keepdims=True))
    d = x - m
    e = d.exp()
    # NOTE: speed. Terms with x − m < ½ log(tiny) (about −44 in float32, −354 in float64)
    # are below 10⁻¹⁹ of the largest one: they cannot change the sum (it is ≥ 1, and
    # 1 + 10⁻¹⁹ rounds to 1), but their gradients e^{x−m}·g, scaled down further by the
    # graph below (the 1/n of a mean, a pixel's σ(a) − x), become subnormal numbers, and
    # every BLAS multiply-add that meets one takes a microcode assist (~100 cycles): with
    # 0.6% subnormal gradients, an IWAE-5 step ran its decoder's backward GEMMs 2× slower.
    # Multiplying by a 0/1 constant makes those terms and their gradients exact zeros.
    # (Dooley & Kale, "Quantifying the interference caused by subnormal floating-point
    # values", 2006.)
    xp = get_array_module(x.data)
    keep = d.data >= 0.5 * xp.log(xp.finfo(x.dtype).tiny)
    if not bool(keep.all()):
        e = e * Tensor(keep.astype(x.dtype))
    out = e.sum(axis=axis, keepdims=True).log() + m
    return out if keepdims else out.reshape(_squeeze_axes(x.shape, axis))


class LogSoftmax(Function):
    """z = x − log Σ_axis eˣ;  ∂L/∂x = g − softmax(x) · Σ_axis g.

    # NOTE: fused (one op instead of seven) because log_softmax over 256 intensity values per
    # pixel is the hot path of PixelCNN's loss; forward subtracts the maximum before
    # exponentiating (the log-sum-exp trick, e.g. Blanchard, Higham & Higham 2021, "Accurately
    # computing the log-sum-exp and softmax functions", IMA J. Numer. Anal. 41). It equals
    # :func:`_log_softmax_composite`, which the tests check.
    """

    def forward(self, x, axis=-1):
        xp = get_array_module(x)
        z = x - x.max(axis=axis, keepdims=True)
        z -= xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
        self.out, self.axis = z, axis
        return z

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
