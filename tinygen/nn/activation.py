"""Activation modules (each wraps one element-wise function) and shape helpers.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

from ..autograd import Tensor
from ..autograd import ops as _ops
from .module import Module

__all__ = ["ReLU", "Tanh", "Sigmoid", "LeakyReLU", "ELU", "Softplus", "Flatten", "Identity"]


def _F():
    import tinygen.functional as F  # noqa: PLC0415 (imported lazily: functional imports nn-free code)

    return F


class ReLU(Module):
    """y = max(x, 0), elementwise."""

    def forward(self, x):
        return _ops.ReLU.apply(x)


class Tanh(Module):
    """y = tanh(x), elementwise."""

    def forward(self, x):
        return _ops.Tanh.apply(x)


class Sigmoid(Module):
    """y = σ(x) = 1 / (1 + e⁻ˣ), elementwise."""

    def forward(self, x):
        return _ops.Sigmoid.apply(x)


class LeakyReLU(Module):
    """y = x for x > 0, a·x otherwise (a = ``negative_slope``).

    References
    ----------
    Maas et al. (2013), "Rectifier nonlinearities improve neural network acoustic models".
    """

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        return _ops.LeakyReLU.apply(x, negative_slope=self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """y = x for x > 0, α(eˣ − 1) otherwise.

    References
    ----------
    Clevert et al. (2016), "Fast and accurate deep network learning by exponential linear
    units (ELUs)", ICLR.
    """

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x):
        return _F().elu(x, alpha=self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Softplus(Module):
    """y = log(1 + eˣ), elementwise (stable for any x)."""

    def forward(self, x):
        return _F().softplus(x)


class Flatten(Module):
    """Reshape (n, d₁, d₂, …) → (n, d₁·d₂·…): all axes from ``start_dim`` merged into one."""

    def __init__(self, start_dim=1):
        super().__init__()
        self.start_dim = int(start_dim)

    def forward(self, x):
        if not isinstance(x, Tensor):
            x = Tensor(x)
        return x.reshape(tuple(x.shape[: self.start_dim]) + (-1,))

    def extra_repr(self):
        return f"start_dim={self.start_dim}"


class Identity(Module):
    """y = x."""

    def forward(self, x):
        return x
