"""tinygen: deep generative models from scratch in NumPy, for people who learn and teach them."""

from . import backend
from .autograd import Tensor, enable_grad, is_grad_enabled, no_grad
from .rng import as_generator

__version__ = "0.1.0"

__all__ = [
    "backend",
    "Tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "as_generator",
    "__version__",
]
