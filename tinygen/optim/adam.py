"""Adam: adaptive moment estimation with bias correction.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

from .. import backend
from .optimizer import FLUSH_EVERY, Optimizer, flush_tiny_

__all__ = ["Adam"]


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
    m and v are updated in place (``*=``, ``+=``), so a step allocates only the temporaries
    of the last line. Every :data:`~tinygen.optim.optimizer.FLUSH_EVERY` steps they are
    swept of near-subnormal values (:func:`~tinygen.optim.optimizer.flush_tiny_`).

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
        t, b1, b2 = self.t, self.beta1, self.beta2
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
                self.m[i] = xp.zeros_like(theta)
                self.v[i] = xp.zeros_like(theta)
            m, v = self.m[i], self.v[i]
            if self.weight_decay:
                g = g + self.weight_decay * theta  # a new array: p.grad is never modified
            g = g.astype(theta.dtype, copy=False)
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            m_hat = m / (1 - b1**t)
            v_hat = v / (1 - b2**t)
            theta -= self.lr * m_hat / (xp.sqrt(v_hat) + self.eps)
            if t % FLUSH_EVERY == 0:
                flush_tiny_(xp, m)
                flush_tiny_(xp, v)
