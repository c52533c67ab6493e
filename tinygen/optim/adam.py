"""Adam: adaptive moment estimation with bias correction.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .optimizer import FLUSH_EVERY, Optimizer, flush_tiny_

__all__ = ["Adam"]

#: elements per block of the update on the CPU (see :meth:`Adam.step`): six float32 blocks
#: of 64k elements, 1.5 MB, fit in a core's L2 cache
BLOCK = 65536


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with PyTorch's conventions (L2 weight decay added to g).

    For each parameter θ with gradient g, at step t = 1, 2, …:

    .. math::

        g &\\leftarrow g + \\lambda\\,\\theta\\\\
        m_t &= \\beta_1 m_{t-1} + (1-\\beta_1)\\, g\\\\
        v_t &= \\beta_2 v_{t-1} + (1-\\beta_2)\\, g^2\\\\
        \\hat m_t &= m_t / (1-\\beta_1^t), \\qquad \\hat v_t = v_t / (1-\\beta_2^t)\\\\
        \\theta &\\leftarrow \\theta - \\eta\\, \\hat m_t / (\\sqrt{\\hat v_t} + \\epsilon)

    with m₀ = v₀ = 0. m and v are running means of g and g²; they start at zero, so early
    on they are biased towards zero by the factor 1 − βᵗ, which m̂ and v̂ divide out.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float, default 1e-3
        η.
    betas : (float, float), default (0.9, 0.999)
        (β₁, β₂), decay rates of the first and second moment estimates.
    eps : float, default 1e-8
        ε.
    weight_decay : float, default 0
        λ.

    Notes
    -----
    Every array operation writes in place (into m, v, θ, or two scratch arrays per
    parameter that hold m̂ and v̂), so a step allocates no memory. Every
    :data:`~tinygen.optim.optimizer.FLUSH_EVERY` steps m and v are swept of near-subnormal
    values (:func:`~tinygen.optim.optimizer.flush_tiny_`).

    References
    ----------
    Kingma & Ba (2015), "Adam: a method for stochastic optimization", ICLR.
    """

    _hyper = ("lr", "beta1", "beta2", "eps", "weight_decay")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"betas must be in [0, 1), got {betas}")
        if eps < 0.0 or weight_decay < 0.0:
            raise ValueError(f"eps and weight_decay must be >= 0, got {eps}, {weight_decay}")
        self.beta1, self.beta2 = float(b1), float(b2)
        self.eps, self.weight_decay = float(eps), float(weight_decay)
        self.m = [None] * len(self.params)
        self.v = [None] * len(self.params)
        self._buf = {}  # i → two scratch arrays that hold m̂ and v̂ during the update

    @property
    def betas(self):
        return (self.beta1, self.beta2)

    def _buffers(self):
        return {"m": self.m, "v": self.v}

    def moments(self, i):
        """(m, v) of the i-th parameter (None before its first step)."""
        return self.m[i], self.v[i]

    def step(self) -> None:
        """Apply one Adam update to every parameter that has a gradient (in place)."""
        self.t += 1
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            theta = p.data
            if g.shape != theta.shape:
                raise ValueError(
                    f"Adam: parameter {i} has shape {tuple(theta.shape)} but its gradient has "
                    f"shape {tuple(g.shape)}"
                )
            xp = backend.get_array_module(theta)
            if self.m[i] is None:
                self.m[i], self.v[i] = xp.zeros_like(theta), xp.zeros_like(theta)
            if i not in self._buf:
                self._buf[i] = (xp.empty_like(theta), xp.empty_like(theta))
            if self.weight_decay:
                g = g + self.weight_decay * theta  # a new array: p.grad is never modified
            g = g.astype(theta.dtype, copy=False)
            arrays = (theta, g, self.m[i], self.v[i], *self._buf[i])
            if xp is not np or not all(a.flags.c_contiguous for a in arrays):
                self._update(xp, *arrays)  # CuPy: one kernel per line already
                continue
            # NOTE: on the CPU, block by block: the dozen passes over one block of
            # BLOCK elements run while it sits in the cache, instead of each streaming the
            # whole arrays from memory (1.3× faster Adam step on the MLP VAE of
            # ``benchmarks/bench_autograd.py``: 2.95 against 3.80 ms, 1.36M parameters).
            flat = [a.reshape(-1) for a in arrays]
            for lo in range(0, theta.size, BLOCK):
                self._update(xp, *(a[lo : lo + BLOCK] for a in flat))
            if self.t % FLUSH_EVERY == 0:
                flush_tiny_(xp, self.m[i])
                flush_tiny_(xp, self.v[i])

    def _update(self, xp, theta, g, m, v, m_hat, v_hat):
        """One Adam update of θ, in place; m_hat and v_hat are scratch arrays of θ's shape,
        so nothing is allocated."""
        b1, b2, t = self.beta1, self.beta2, self.t
        # m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²
        m *= b1
        m += xp.multiply(g, 1 - b1, out=m_hat)
        v *= b2
        xp.multiply(g, g, out=v_hat)
        v += xp.multiply(v_hat, 1 - b2, out=v_hat)
        # m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
        xp.divide(m, 1 - b1**t, out=m_hat)
        xp.divide(v, 1 - b2**t, out=v_hat)
        # θ ← θ − η m̂ / (√v̂ + ε)
        denom = xp.sqrt(v_hat, out=v_hat)
        denom += self.eps
        m_hat /= denom
        m_hat *= self.lr
        theta -= m_hat
