"""Lookup table of learned vectors.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

from .. import backend
from ..autograd import Tensor
from ..autograd.ops import GetItem as _GetItem
from ..rng import as_generator
from . import init
from .module import Module, Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """y = W[idx]: row ``idx`` of a table W of shape (num_embeddings, embedding_dim).

    The gradient scatters back into the rows used (summed where an index repeats).
    W is initialised N(0, 1), as in PyTorch.

    Parameters
    ----------
    num_embeddings : int
        Table size (indices run over 0 … num_embeddings − 1).
    embedding_dim : int
        Length of each vector.
    random_state : int, Generator or None

    Shapes: integer indices of any shape (...) → (..., embedding_dim).
    """

    def __init__(self, num_embeddings, embedding_dim, *, random_state=None, dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        rng = as_generator(random_state)
        self.weight = Parameter(
            init.normal((self.num_embeddings, self.embedding_dim), random_state=rng, dtype=dtype)
        )

    def forward(self, idx):
        idx = idx.data if isinstance(idx, Tensor) else backend.xp().asarray(idx)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"Embedding: indices must be integers, got dtype {idx.dtype}")
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= self.num_embeddings):
            raise IndexError(
                f"Embedding({self.num_embeddings}, {self.embedding_dim}): indices must lie in "
                f"[0, {self.num_embeddings - 1}], got range [{int(idx.min())}, {int(idx.max())}]"
            )
        return _GetItem.apply(self.weight, index=idx)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"
