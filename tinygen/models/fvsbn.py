"""The fully visible sigmoid belief network (FVSBN): logistic regression on the past.

Every conditional of the chain rule p(x) = Π_i p(x_i | x_<i) is a logistic regression on
the variables before it,

    p(x_i = 1 | x_<i) = σ(b_i + Σ_{j<i} W_ij x_j),

with W strictly lower-triangular (a fixed 0/1 mask M, M_ij = 1[j < i], multiplies it), so
the D logits of an image are one product ℓ = b + (W ⊙ M) x and log p(x) is exact:
log p(x) = Σ_i [x_i ℓ_i − softplus(ℓ_i)]. D(D − 1)/2 weights; the simplest member of the
family that leads to NADE (:mod:`tinygen.models.nade`) and PixelCNN.

References
----------
Frey, B. J. (1998). Graphical Models for Machine Learning and Digital Communication. MIT Press.
Neal, R. M. (1992). Connectionist learning of belief networks. Artificial Intelligence 56,
    71-113.
Larochelle, H. & Murray, I. (2011). The neural autoregressive distribution estimator.
    AISTATS, JMLR W&CP 15, 29-37 (FVSBN as a baseline).
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from .. import functional as F
from ..autograd import Tensor
from ..nn import Parameter, init
from ..numerics import sigmoid
from ..rng import uniform
from ._autoregressive import AutoregressiveModel

__all__ = ["FVSBN", "fvsbn_logits"]


def fvsbn_logits(X, W, b, mask):
    """ℓ = X (W ⊙ M)ᵀ + b: the logits ℓ_i = b_i + Σ_{j<i} W_ij x_j of every conditional.

    Parameters
    ----------
    X : Tensor of shape (n_samples, n_visible)
    W : Tensor of shape (n_visible, n_visible)
    b : Tensor of shape (n_visible,)
    mask : array of shape (n_visible, n_visible)
        M, strictly lower-triangular 0/1 (M_ij = 1[j < i]).

    Returns
    -------
    Tensor of shape (n_samples, n_visible)
    """
    return F.linear(X, W * Tensor(mask), b)


class FVSBN(AutoregressiveModel):
    """Fully visible sigmoid belief network, p(x_i = 1 | x_<i) = σ(b_i + Σ_{j<i} W_ij x_j).

    log p(x) = Σ_{i=1}^{D} [x_i ℓ_i − softplus(ℓ_i)],   ℓ = b + (W ⊙ M) x,   M_ij = 1[j < i].

    Parameters
    ----------
    n_visible : int
        D, the number of binary variables.
    random_state : int, Generator or None
        Source of the initial weights and default source of ``fit``'s and ``sample``'s
        randomness.
    init_scale : float or None
        W_ij ~ U(−s, s) for j < i with s = ``init_scale`` (default 1/√D); b = 0.
    dtype : optional
        Parameter dtype (default: the backend default, float32).

    Attributes
    ----------
    W : Parameter of shape (n_visible, n_visible)
        Zero on and above the diagonal (and kept there: the mask zeroes its gradient).
    b : Parameter of shape (n_visible,)
    mask : array of shape (n_visible, n_visible)
        The fixed strictly lower-triangular 0/1 mask M (a buffer).
    history_ : dict
        Mean training NLL (nats) and seconds per epoch.

    Shapes: ``log_prob`` (n_samples, n_visible) → (n_samples,); ``sample(n)`` → (n, n_visible).

    References
    ----------
    Frey, B. J. (1998). Graphical Models for Machine Learning and Digital Communication.
        MIT Press.
    """

    def __init__(self, n_visible, random_state=None, init_scale=None, dtype=None):
        super().__init__(n_visible, random_state)
        D = self.n_visible
        self.init_scale = None if init_scale is None else float(init_scale)
        s = 1.0 / math.sqrt(D) if init_scale is None else float(init_scale)
        mask = np.tril(np.ones((D, D)), k=-1)
        dt = np.dtype(dtype or backend.get_default_dtype())
        W = init.uniform((D, D), -s, s, random_state=self._rng, dtype=dt)
        self.W = Parameter(W * backend.asarray(mask, dt))
        self.b = Parameter(init.zeros((D,), dtype=dt))
        self.register_buffer("mask", backend.asarray(mask, dt))

    def get_config(self):
        return {**super().get_config(), "init_scale": self.init_scale}

    def conditional_logits(self, X) -> Tensor:
        """ℓ_i = b_i + Σ_{j<i} W_ij x_j for every i: Tensor of shape (n_samples, n_visible)."""
        X = X if isinstance(X, Tensor) else Tensor(self._as_input(X))
        return fvsbn_logits(X, self.W, self.b, self.mask)

    def _fill(self, X, known, rng):
        W = self.W.data * self.mask
        b = self.b.data
        xp = backend.get_array_module(X)
        for i in range(self.n_visible):
            p = sigmoid(b[i] + X[:, :i] @ W[i, :i])
            draw = (uniform(rng, (len(X),), X.dtype) < p).astype(X.dtype)
            X[:, i] = xp.where(known[:, i], X[:, i], draw)
        return X
