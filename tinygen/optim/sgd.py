"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

from .. import backend
from .optimizer import FLUSH_EVERY, Optimizer, flush_tiny_

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD, with PyTorch's update rule. For each parameter θ with gradient g at step t:

    .. math::

        g &\\leftarrow g + \\lambda\\,\\theta                      && \\text{(weight decay)}\\\\
        b_t &= \\begin{cases} g & t = 1 \\\\ \\mu\\, b_{t-1} + (1-\\tau)\\, g & t > 1
               \\end{cases}                                        && \\text{(momentum)}\\\\
        d &= g + \\mu\\, b_t \\ \\text{(Nesterov)} \\quad\\text{or}\\quad d = b_t\\\\
        \\theta &\\leftarrow \\theta - \\eta\\, d

    (with μ = 0: θ ← θ − η g).

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        η.
    momentum : float, default 0
        μ.
    nesterov : bool, default False
        Use Nesterov's look-ahead form (needs μ > 0 and τ = 0).
    weight_decay : float, default 0
        λ (an L2 penalty ½λ‖θ‖² added to the loss).
    dampening : float, default 0
        τ.

    References
    ----------
    Sutskever et al. (2013), "On the importance of initialization and momentum in deep
    learning", ICML.
    """

    _hyper = ("lr", "momentum", "weight_decay", "dampening")

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0, dampening=0.0):
        super().__init__(params, lr)
        if momentum < 0.0:
            raise ValueError(f"momentum must be >= 0, got {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
        if nesterov and (momentum <= 0.0 or dampening != 0.0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.weight_decay = float(weight_decay)
        self.dampening = float(dampening)
        self.buf = [None] * len(self.params)

    def _buffers(self):
        return {"buf": self.buf} if self.momentum else {}

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient (in place)."""
        self.t += 1
        lr, mu, wd, tau = self.lr, self.momentum, self.weight_decay, self.dampening
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            theta = p.data
            if wd:
                g = g + theta.dtype.type(wd) * theta  # new array: p.grad is never modified
            if mu:
                b = self.buf[i]
                if b is None:
                    b = self.buf[i] = backend.get_array_module(g).array(g, dtype=theta.dtype)
                else:
                    b *= theta.dtype.type(mu)
                    b += theta.dtype.type(1.0 - tau) * g
                    if self.t % FLUSH_EVERY == 0:  # before b decays into subnormals
                        flush_tiny_(backend.get_array_module(b), b)
                g = g + theta.dtype.type(mu) * b if self.nesterov else b
            theta -= theta.dtype.type(lr) * g
