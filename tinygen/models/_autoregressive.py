"""What the binary autoregressive models share: the chain rule, training, sampling, checkpoints.

A fully visible belief network factorises the distribution of a binary vector
x ∈ {0, 1}^D by the chain rule of probability, in a fixed (raster) order,

    p(x) = Π_{i=1}^{D} p(x_i | x_<i),    p(x_i = 1 | x_<i) = σ(ℓ_i(x_<i)),

so log p(x) = Σ_i [x_i ℓ_i − softplus(ℓ_i)] is exact and cheap: one pass computes every
logit ℓ_i, because ℓ_i may read x only before position i. Training maximises it directly;
sampling and completion are sequential (x_i is drawn after x_<i). A subclass gives

* ``conditional_logits(X)``: the logits ℓ (Tensor of shape (n_samples, n_visible)) of a
  batch X, in one pass, and
* ``_fill(X, known, rng)``: draws, in order i = 1 … D, every x_i where ``known`` is False
  from p(x_i | x_<i) (in place), as cheaply as the model allows;

this base gives ``log_prob``, ``nll``, ``fit``, ``sample``, ``complete``, ``save`` /
``load`` / ``from_checkpoint`` and the input checks. Used by :mod:`tinygen.models.fvsbn`,
:mod:`tinygen.models.nade` and :mod:`tinygen.models.pixelcnn`.

References
----------
Frey, B. J. (1998). Graphical Models for Machine Learning and Digital Communication. MIT Press.
Goodfellow, I., Bengio, Y. & Courville, A. (2016). Deep Learning, §20.10.7-20.10.10. MIT Press.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .. import functional as F
from ..autograd import Tensor, no_grad
from ..io import save_config
from ..nn import Module
from ..rng import as_generator
from ._common import as_rows, binary_error, rebuild

__all__ = ["AutoregressiveModel", "as_binary_rows"]


def as_binary_rows(X, n_visible, dtype, name="X", check_binary=True):
    """``X`` (an array or Tensor) as an array of shape (n_samples, n_visible) of ``dtype`` on
    the backend; images whose pixels number ``n_visible`` (e.g. (n, 28, 28) or
    (n, 1, 28, 28)) are flattened in raster order. The checks and their messages are
    :func:`~tinygen.models._common.as_rows`'s.
    """
    if isinstance(X, Tensor):
        X = X.data
    return as_rows(X, n_visible, dtype, name=name, model="autoregressive model",
                   check_binary=check_binary, images=True)


class AutoregressiveModel(Module):
    """Base of the binary fully visible belief networks (see the module docstring).

    Parameters
    ----------
    n_visible : int
        D, the number of binary variables (pixels), ordered as the columns of X.
    random_state : int, Generator or None
        Source of the initial weights, and of ``fit``'s and ``sample``'s randomness when
        they are not given their own.

    Attributes
    ----------
    history_ : dict of lists
        ``"loss"``: mean training NLL in nats per epoch; ``"time"``: seconds per epoch;
        grows over repeated ``fit`` calls.
    """

    def __init__(self, n_visible, random_state=None):
        super().__init__()
        if isinstance(n_visible, bool) or int(n_visible) != n_visible or int(n_visible) < 1:
            raise ValueError(f"n_visible must be a positive integer, got {n_visible!r}")
        self.n_visible = int(n_visible)
        self._rng = as_generator(random_state)
        self.history_ = {"loss": [], "time": []}

    # ------------------------------------------------------------ the subclass's part
    def conditional_logits(self, X) -> Tensor:  # pragma: no cover - abstract
        """ℓ_i(x_<i) for every i: Tensor of shape (n_samples, n_visible)."""
        raise NotImplementedError

    def _fill(self, X, known, rng):  # pragma: no cover - abstract
        """Sample X[:, i] ~ p(x_i | x_<i) in order wherever ``known[:, i]`` is False."""
        raise NotImplementedError

    def get_config(self) -> dict:
        """Constructor arguments as a JSON-able dict (for :meth:`from_checkpoint`)."""
        return {"class": type(self).__name__, "n_visible": self.n_visible}

    # ------------------------------------------------------------ likelihood
    @property
    def dtype(self):
        """The parameters' dtype."""
        return next(iter(self.parameters())).dtype

    def _as_input(self, X, name="X"):
        return as_binary_rows(X, self.n_visible, self.dtype, name)

    def nll(self, X) -> Tensor:
        """Mean negative log-likelihood −(1/N) Σ_n log p(x_n) in nats (a scalar Tensor with a
        graph, the training loss)."""
        X = X if isinstance(X, Tensor) else Tensor(self._as_input(X))
        return -F.bernoulli_log_likelihood(self.conditional_logits(X), X).mean()

    def log_prob(self, X, batch_size=100) -> np.ndarray:
        """Exact log p(x) = Σ_i log p(x_i | x_<i) in nats.

        Parameters
        ----------
        X : array of shape (n_samples, n_visible), binary
        batch_size : int
            Rows per forward pass (bounds the memory).

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        X = self._as_input(X)
        out = []
        with no_grad():
            for s in range(0, len(X), batch_size):
                x = Tensor(X[s : s + batch_size])
                out.append(
                    backend.to_numpy(F.bernoulli_log_likelihood(self.conditional_logits(x), x).data)
                )
        return np.concatenate(out)

    def conditionals(self, X) -> np.ndarray:
        """p(x_i = 1 | x_<i) for every row and i: ndarray of shape (n_samples, n_visible)."""
        X = self._as_input(X)
        with no_grad():
            return backend.to_numpy(self.conditional_logits(Tensor(X)).sigmoid().data)

    # ------------------------------------------------------------ training
    def fit(
        self,
        X,
        n_epochs=10,
        batch_size=100,
        lr=1e-3,
        random_state=None,
        callback=None,
        verbose=False,
        time_budget=None,
    ):
        """Maximise the exact log-likelihood by Adam on minibatches of ``X``.

        Parameters
        ----------
        X : array of shape (n_samples, n_visible), binary
        n_epochs, batch_size : int
        lr : float
            Adam's step size.
        random_state : int, Generator or None
            Order of the minibatches (default: the model's generator).
        callback : callable(epoch, history) or None
        verbose : bool
            Show a tqdm progress bar (quiet by default and when stderr is not a terminal).
        time_budget : float or None
            Stop after this many seconds.

        Returns
        -------
        self, with ``history_`` extended.

        Raises
        ------
        TrainingDivergedError
            When a minibatch loss is NaN or infinite.
        """
        from .autoencoder import train_loop

        X = self._as_input(X)
        rng = self._rng if random_state is None else as_generator(random_state)
        hist = train_loop(
            self,
            lambda batch, _: self.nll(Tensor(batch[0])),
            (X,),
            int(n_epochs),
            int(batch_size),
            lr,
            rng,
            callback,
            verbose,
            desc=type(self).__name__,
            time_budget=time_budget,
        )
        for k, v in hist.items():
            self.history_.setdefault(k, []).extend(v)
        return self

    # ------------------------------------------------------------ generation
    def sample(self, n, random_state=None) -> np.ndarray:
        """n independent samples x ~ p(x), drawn in order x_1, x_2, … (vectorised over n).

        Returns
        -------
        ndarray of shape (n, n_visible), 0/1 in the parameters' dtype
        """
        n = int(n)
        if n < 1:
            raise ValueError(f"n must be a positive integer, got {n}")
        rng = self._rng if random_state is None else as_generator(random_state)
        xp = backend.get_array_module(next(iter(self.parameters())).data)
        X = xp.zeros((n, self.n_visible), dtype=self.dtype)
        known = xp.zeros((n, self.n_visible), dtype=bool)
        with no_grad():
            return backend.to_numpy(self._fill(X, known, rng))

    def complete(self, X, mask, random_state=None) -> np.ndarray:
        """Fill in the unknown entries of ``X``, drawing them in order from p(x_i | x_<i).

        Each unknown x_i is drawn given every earlier entry (known or drawn). This samples
        p(x_unknown | x_known) exactly when every known entry precedes every unknown one
        (e.g. the top half of an image known); otherwise a known entry after position i is
        not seen by x_i's conditional (the usual approximation of a one-way model).

        Parameters
        ----------
        X : array of shape (n_samples, n_visible)
            The known values (binary); unknown entries may hold anything finite.
        mask : array of bool or 0/1, of X's shape
            True (1) where the entry is known.

        Returns
        -------
        ndarray of X's shape: the known entries unchanged, the others sampled.
        """
        Xa = np.array(backend.to_numpy(X.data if isinstance(X, Tensor) else X), dtype=np.float64)
        m = np.asarray(backend.to_numpy(mask.data if isinstance(mask, Tensor) else mask))
        if m.shape != Xa.shape:
            raise ValueError(f"mask must have X's shape {Xa.shape}, got {m.shape}")
        err = binary_error(m)
        if err is not None:
            raise ValueError(f"mask must be 0/1 (True where a pixel is known) but {err}")
        shape = Xa.shape
        if Xa.ndim > 1:
            Xa, m = Xa.reshape(len(Xa), -1), m.reshape(len(m), -1)
        known = m.astype(bool)
        Xa[~known] = 0.0  # the unknown entries' values are irrelevant
        Xa = self._as_input(Xa, "X")
        rng = self._rng if random_state is None else as_generator(random_state)
        with no_grad():
            out = self._fill(Xa, backend.asarray(known), rng)
        return backend.to_numpy(out).reshape(shape)

    # ------------------------------------------------------------ checkpoints
    def save(self, path):
        """Write the parameters (``.npz``) and the config (``<path>.json``) atomically."""
        out = super().save(path)
        save_config(out, self.get_config())
        return out

    @classmethod
    def from_checkpoint(cls, path):
        """Rebuild a model from :meth:`save`'s ``.npz`` and its ``.json`` config."""
        return rebuild(path, AutoregressiveModel, default=cls.__name__)
