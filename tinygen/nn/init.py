"""Weight initialisation with an explicit random generator (Xavier/Glorot, Kaiming/He).

Each function returns a new array of the given shape on the active backend (default dtype
float32), drawn from ``random_state`` (see :func:`tinygen.rng.as_generator`), so the same
seed always gives the same weights. Fans follow PyTorch: for a weight of shape
(out, in, *kernel), fan_in = in · Πkernel and fan_out = out · Πkernel.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..rng import as_generator

__all__ = [
    "calculate_fan_in_and_fan_out",
    "calculate_gain",
    "uniform",
    "normal",
    "zeros",
    "ones",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
]


def _dtype(dtype):
    return np.dtype(backend.get_default_dtype() if dtype is None else dtype)


def calculate_fan_in_and_fan_out(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel): in·k and out·k, k = Πkernel.

    A 1-D shape (a bias) has fan_in = fan_out = its length.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        raise ValueError("fan in/out is undefined for a scalar (shape ())")
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str = "leaky_relu", param=None) -> float:
    """The gain g that keeps activations' variance constant through ``nonlinearity``.

    linear/sigmoid/conv: 1; tanh: 5/3; relu: √2; leaky_relu with slope a: √(2/(1 + a²))
    (a defaults to 0.01); selu: 3/4.
    """
    nl = nonlinearity.lower()
    if nl in ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv_transpose2d"):
        return 1.0
    if nl == "tanh":
        return 5.0 / 3.0
    if nl == "relu":
        return math.sqrt(2.0)
    if nl == "leaky_relu":
        a = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + a * a))
    if nl == "selu":
        return 0.75
    raise ValueError(
        f"unknown nonlinearity {nonlinearity!r}; "
        "use linear, sigmoid, tanh, relu, leaky_relu or selu"
    )


def uniform(shape, low=0.0, high=1.0, *, random_state=None, dtype=None):
    """Samples of U(low, high) of shape ``shape``."""
    rng = as_generator(random_state)
    dt = _dtype(dtype)
    return backend.asarray(rng.uniform(low, high, size=shape).astype(dt), dt)


def normal(shape, mean=0.0, std=1.0, *, random_state=None, dtype=None):
    """Samples of N(mean, std²) of shape ``shape``."""
    rng = as_generator(random_state)
    dt = _dtype(dtype)
    return backend.asarray((mean + std * rng.standard_normal(size=shape)).astype(dt), dt)


def zeros(shape, dtype=None):
    """Zeros of shape ``shape``."""
    return backend.xp().zeros(shape, dtype=_dtype(dtype))


def ones(shape, dtype=None):
    """Ones of shape ``shape``."""
    return backend.xp().ones(shape, dtype=_dtype(dtype))


def xavier_uniform(shape, gain=1.0, *, random_state=None, dtype=None):
    """Glorot/Xavier uniform: W ~ U(−a, a) with a = g·√(6 / (fan_in + fan_out)).

    Var W = g² · 2 / (fan_in + fan_out), which balances the variance of activations in the
    forward pass and of gradients in the backward pass.

    References
    ----------
    Glorot & Bengio (2010), "Understanding the difficulty of training deep feedforward
    neural networks", AISTATS.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(shape, -a, a, random_state=random_state, dtype=dtype)


def xavier_normal(shape, gain=1.0, *, random_state=None, dtype=None):
    """Glorot/Xavier normal: W ~ N(0, σ²) with σ = g·√(2 / (fan_in + fan_out)).

    References
    ----------
    Glorot & Bengio (2010), AISTATS.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal(shape, 0.0, std, random_state=random_state, dtype=dtype)


def _kaiming_std(shape, a, mode, nonlinearity):
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform(
    shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *, random_state=None, dtype=None
):
    """He/Kaiming uniform: W ~ U(−b, b) with b = g·√(3 / fan), so Var W = g² / fan.

    g = :func:`calculate_gain` (``nonlinearity``, ``a``); fan = fan_in (default, preserves
    the forward variance) or fan_out (preserves the backward variance). With the defaults
    (leaky_relu, a = 0) g = √2, the ReLU gain. PyTorch's ``nn.Linear``/``nn.Conv2d`` use
    a = √5, which gives b = 1/√fan_in.

    References
    ----------
    He et al. (2015), "Delving deep into rectifiers: surpassing human-level performance on
    ImageNet classification", ICCV.
    """
    bound = math.sqrt(3.0) * _kaiming_std(shape, a, mode, nonlinearity)
    return uniform(shape, -bound, bound, random_state=random_state, dtype=dtype)


def kaiming_normal(
    shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *, random_state=None, dtype=None
):
    """He/Kaiming normal: W ~ N(0, σ²) with σ = g / √fan.

    References
    ----------
    He et al. (2015), ICCV.
    """
    std = _kaiming_std(shape, a, mode, nonlinearity)
    return normal(shape, 0.0, std, random_state=random_state, dtype=dtype)
