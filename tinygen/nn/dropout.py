"""Inverted dropout.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

from .. import rng as _rng
from ..autograd import Tensor
from ..autograd.ops import Mul as _Mul
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Inverted dropout: while training y = x ⊙ m / (1 − p) with mᵢ ~ Bernoulli(1 − p); in
    evaluation mode y = x.

    Scaling the kept units by 1/(1 − p) keeps E[y] = x, so nothing changes at test time.
    The mask is drawn as mᵢ = 1[uᵢ ≥ p] with uᵢ ~ U[0, 1) from
    ``tinygen.rng.uniform(rng, x.shape, x.dtype)``, one fresh draw per call.

    Parameters
    ----------
    p : float, default 0.5
        Probability of zeroing each element, in [0, 1].
    random_state : int, Generator or None
        Source of the masks.

    References
    ----------
    Srivastava et al. (2014), "Dropout: a simple way to prevent neural networks from
    overfitting", JMLR 15.
    """

    def __init__(self, p=0.5, *, random_state=None):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p}")
        self.p = float(p)
        self.rng = _rng.as_generator(random_state)

    def forward(self, x):
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if not self.training or self.p == 0.0:
            return x
        dt = x.dtype
        u = _rng.uniform(self.rng, x.shape, dtype=dt)
        if self.p == 1.0:
            mask = u * dt.type(0)
        else:
            mask = (u >= dt.type(self.p)).astype(dt)
            mask *= dt.type(1.0 / (1.0 - self.p))
        return _Mul.apply(x, Tensor(mask))

    def extra_repr(self):
        return f"p={self.p}"
