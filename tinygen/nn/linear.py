"""Fully connected layer: y = x Wᵀ + b.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

import math

from ..autograd import Tensor
from ..autograd.ops import Linear as _LinearOp
from ..rng import as_generator
from . import init
from .module import Module, Parameter

__all__ = ["Linear", "init_weight_and_bias"]


def init_weight_and_bias(weight_shape, fan_in, bias, how, rng, dtype=None):
    """Arrays (W, b) for a layer, drawn from ``rng`` in that order (W first).

    ``how="kaiming"`` (PyTorch's default): W ~ U(−1/√fan_in, 1/√fan_in) (Kaiming uniform with
    a = √5) and b ~ U(−1/√fan_in, 1/√fan_in). ``how="xavier"``: W ~ Xavier uniform,
    b = 0.
    """
    if how == "kaiming":
        W = init.kaiming_uniform(weight_shape, a=math.sqrt(5.0), random_state=rng, dtype=dtype)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        b = init.uniform((bias,), -bound, bound, random_state=rng, dtype=dtype) if bias else None
    elif how == "xavier":
        W = init.xavier_uniform(weight_shape, random_state=rng, dtype=dtype)
        b = init.zeros((bias,), dtype=dtype) if bias else None
    else:
        raise ValueError(f"init must be 'kaiming' or 'xavier', got {how!r}")
    return W, b


class Linear(Module):
    """Affine map y = x Wᵀ + b.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input and output sample.
    bias : bool, default True
        Learn the offset b.
    random_state : int, Generator or None
        Source of the initial weights.
    init : {"kaiming", "xavier"}, default "kaiming"
        ``"kaiming"`` is PyTorch's default: W ~ U(−1/√in, 1/√in) (Kaiming uniform with
        a = √5, i.e. b = g·√(3/in) with gain g = √(2/(1+a²))) and b ~ U(−1/√in, 1/√in).
        ``"xavier"``: W ~ U(−√(6/(in+out)), √(6/(in+out))), b = 0.
    dtype : optional
        Parameter dtype (default: the backend default, float32).

    Attributes
    ----------
    weight : Parameter of shape (out_features, in_features)
        W.
    bias : Parameter of shape (out_features,) or None
        b.

    Shapes: input (..., in_features) → output (..., out_features).

    References
    ----------
    He et al. (2015), ICCV; Glorot & Bengio (2010), AISTATS.
    """

    def __init__(
        self, in_features, out_features, bias=True, *, random_state=None, init="kaiming", dtype=None
    ):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        rng = as_generator(random_state)
        W, b = init_weight_and_bias(
            (self.out_features, self.in_features),
            self.in_features,
            self.out_features if bias else 0,
            init,
            rng,
            dtype,
        )
        self.weight = Parameter(W)
        self.bias = Parameter(b) if bias else None

    def forward(self, x):
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.data.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}): input of shape "
                f"{tuple(x.shape)} has {x.shape[-1] if x.ndim else 'no'} features in its last "
                f"axis, expected {self.in_features}"
            )
        if self.bias is None:
            return _LinearOp.apply(x, self.weight)
        return _LinearOp.apply(x, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
