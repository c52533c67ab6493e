"""Reverse-mode automatic differentiation on NumPy/CuPy arrays.

Lesson: ``lessons/autograd.py``.
"""

from .function import Function, OpError, enable_grad, is_grad_enabled, no_grad, unbroadcast
from .tensor import Tensor, as_tensor

__all__ = [
    "Tensor",
    "as_tensor",
    "Function",
    "OpError",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "unbroadcast",
]
