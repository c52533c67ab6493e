"""Learning-rate schedules: step decay and exponential decay.

Usage (as PyTorch): create the scheduler after the optimizer, call ``optimizer.step()``
each batch and ``scheduler.step()`` once per epoch.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

__all__ = ["LRScheduler", "StepLR", "ExponentialLR"]


class LRScheduler:
    """Base class: sets ``optimizer.lr = get_lr(epoch)`` from the initial learning rate η₀.

    Constructing a scheduler sets epoch 0 (``optimizer.lr = η₀``); each :meth:`step`
    advances one epoch.
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"{type(self).__name__}: expected an optimizer with an 'lr' attribute")
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.last_epoch = int(last_epoch)
        self.step()

    def get_lr(self, epoch: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def step(self) -> float:
        """Advance one epoch and set the optimizer's learning rate; return it."""
        self.last_epoch += 1
        self.optimizer.lr = float(self.get_lr(self.last_epoch))
        return self.optimizer.lr

    def get_last_lr(self) -> float:
        return self.optimizer.lr

    def state_dict(self) -> dict:
        return {"base_lr": self.base_lr, "last_epoch": self.last_epoch}

    def load_state_dict(self, state) -> None:
        self.base_lr = float(state["base_lr"])
        self.last_epoch = int(state["last_epoch"])
        self.optimizer.lr = float(self.get_lr(self.last_epoch))


class StepLR(LRScheduler):
    """η_e = η₀ · γ^⌊e / step_size⌋: multiply the rate by γ every ``step_size`` epochs.

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        Epochs between decays (≥ 1).
    gamma : float, default 0.1
        Decay factor γ.
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if int(step_size) < 1:
            raise ValueError(f"step_size must be a positive integer, got {step_size}")
        self.step_size, self.gamma = int(step_size), float(gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """η_e = η₀ · γ^e: multiply the rate by γ every epoch.

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float
        Decay factor γ.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = float(gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self, epoch):
        return self.base_lr * self.gamma**epoch
