"""tinygen: deep generative models from scratch in NumPy, for people who learn and teach them."""

from . import backend
from .rng import as_generator

__version__ = "0.1.0"

__all__ = ["backend", "as_generator", "__version__"]
