"""Optimizers and learning-rate schedules for :mod:`tinygen.nn` models.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from .adam import Adam
from .lr_scheduler import ExponentialLR, LRScheduler, StepLR
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "LRScheduler", "StepLR", "ExponentialLR"]
