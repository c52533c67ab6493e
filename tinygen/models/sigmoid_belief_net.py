"""Sigmoid belief network: a directed generative net of binary layers (Neal 1992).

Lesson: ``lessons/dbm.py`` §7 "The sigmoid belief net: the directed counterpart".

Layers x⁰ = v (visible), x¹, …, xᴸ (hidden, xᴸ on top). The generative model is

    p(xᴸ_j = 1) = σ(b_j),    p(xˡ_i = 1 | xˡ⁺¹) = σ(cˡ_i + (Wˡ xˡ⁺¹)_i),   l = L−1, …, 0,

so log p(v, h) = Σ_l Σ_i [xˡ_i aˡ_i − softplus(aˡ_i)] with aˡ the logits above, and
p(v) = Σ_h p(v, h) is exact by enumeration only for tiny nets. A recognition model
q(h | v) = Π_l q(xˡ⁺¹ | xˡ), q(xˡ⁺¹_j = 1 | xˡ) = σ(dˡ_j + (xˡ Rˡ)_j), proposes hidden states:

* the importance-sampled estimate log p̂_k(v) = log (1/k) Σ_s p(v, h_s) / q(h_s | v), h_s ~ q,
  is a lower bound in expectation (Jensen) and tightens as k grows (Burda et al. 2016);
* wake-sleep (Hinton et al. 1995) fits p on (v, h ~ q) and q on dreams (v, h) ~ p;
* reweighted wake-sleep (Bornschein & Bengio 2015) weights k samples of q by the
  normalised importance weights w̃_s for both the p and the q updates.

References
----------
Neal, R. M. (1992). Connectionist learning of belief networks. Artificial Intelligence 56.
Hinton, G. E., Dayan, P., Frey, B. J. & Neal, R. M. (1995). The wake-sleep algorithm for
    unsupervised neural networks. Science 268.
Bornschein, J. & Bengio, Y. (2015). Reweighted wake-sleep. ICLR.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from ..io import CheckpointError, load_npz, save_npz
from ..numerics import logsumexp, sigmoid, softplus
from ..rng import as_generator
from ._common import binary_error
from ._enumerate import all_binary

__all__ = ["SigmoidBeliefNet"]

MAX_EXACT_HIDDEN = 20


def _log_bernoulli(x, logits):
    """Σ_i [x_i a_i − softplus(a_i)] over the last axis: log Π_i Bernoulli(x_i; σ(a_i))."""
    return np.sum(x * logits - softplus(logits), axis=-1)


class SigmoidBeliefNet:
    """Sigmoid belief network with a recognition model (module docstring: the equations).

    Parameters
    ----------
    layer_sizes : sequence of int
        (n_visible, n_hidden_1, …, n_hidden_L), bottom to top; L ≥ 1.
    random_state : int, Generator or None
        Initial weights (U(−1/√n, 1/√n)) and the default randomness of the methods.

    Attributes
    ----------
    W : list of arrays, W[l] of shape (n_l, n_{l+1})
        Generative weights from layer l+1 down to layer l.
    c : list of arrays, c[l] of shape (n_l,)
        Generative biases of layers 0 … L−1.
    b : array of shape (n_L,)
        Logits of the top layer's factorised prior.
    R : list of arrays, R[l] of shape (n_l, n_{l+1})
        Recognition weights from layer l up to layer l+1.
    d : list of arrays, d[l] of shape (n_{l+1},)
        Recognition biases.
    history_ : list of float
        Mean importance-sampled log p̂_k(v) of the training batches, per epoch.
    """

    _PARAMS = ("W", "c", "b", "R", "d")

    def __init__(self, layer_sizes, random_state=None):
        sizes = [int(n) for n in layer_sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"layer_sizes needs n_visible and ≥ 1 hidden layer, got {sizes}")
        self.layer_sizes = sizes
        self._rng = as_generator(random_state)
        pairs = list(zip(sizes[:-1], sizes[1:]))
        self.W = [self._rng.uniform(-1, 1, (lo, hi)) / np.sqrt(hi) for lo, hi in pairs]
        self.c = [np.zeros(lo) for lo, _ in pairs]
        self.b = np.zeros(sizes[-1])
        self.R = [self._rng.uniform(-1, 1, (lo, hi)) / np.sqrt(lo) for lo, hi in pairs]
        self.d = [np.zeros(hi) for _, hi in pairs]
        self.history_ = []

    # --- the generative model ------------------------------------------------------

    def _check_v(self, V):
        V = np.asarray(V, dtype=np.float64)
        if V.ndim != 2 or V.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"v must have shape (n_samples, {self.layer_sizes[0]}), got {V.shape}"
            )
        err = binary_error(V)
        if err is not None:
            raise ValueError(
                f"v must be binary (0/1) for a sigmoid belief net but {err}. "
                "Binarize the data first (e.g. X > 0.5)."
            )
        return V

    def _generator(self, random_state):
        """The model's own generator, or a new one from ``random_state``."""
        return self._rng if random_state is None else as_generator(random_state)

    def log_joint(self, V, H):
        """log p(v, h) of shape (...,) for v (..., n_0) and H = [x¹, …, xᴸ] of shapes (..., n_l)."""
        xs = [V, *H]
        total = _log_bernoulli(xs[-1], self.b)
        for l in range(len(self.W)):
            total = total + _log_bernoulli(xs[l], xs[l + 1] @ self.W[l].T + self.c[l])
        return total

    def log_prob_exact(self, V):
        """log p(v) = log Σ_h p(v, h) by enumerating every hidden state; shape (n_samples,)."""
        V = self._check_v(V)
        hidden = self.layer_sizes[1:]
        if sum(hidden) > MAX_EXACT_HIDDEN:
            raise ValueError(
                f"exact log p(v) enumerates 2^{sum(hidden)} hidden states; use log_prob_is "
                f"(at most {MAX_EXACT_HIDDEN} hidden units in all)"
            )
        Hall = all_binary(sum(hidden))
        H = np.split(Hall, np.cumsum(hidden)[:-1], axis=1)
        lj = self.log_joint(V[:, None, :], [h[None] for h in H])  # (n_samples, 2^H)
        return logsumexp(lj, axis=1)

    def sample(self, n, random_state=None, return_hidden=False):
        """Ancestral samples v of shape (n, n_visible): xᴸ from the prior, then down."""
        rng = self._generator(random_state)
        x = (rng.random((n, self.layer_sizes[-1])) < sigmoid(self.b)).astype(np.float64)
        H = [x]
        for l in reversed(range(len(self.W))):
            x = (rng.random((n, self.layer_sizes[l])) < sigmoid(x @ self.W[l].T + self.c[l]))
            x = x.astype(np.float64)
            H.insert(0, x)
        return (H[0], H[1:]) if return_hidden else H[0]

    # --- the recognition model -----------------------------------------------------

    def sample_q(self, V, rng):
        """h ~ q(h | v) layer by layer up; returns ([x¹, …, xᴸ], log q(h | v))."""
        x, H, log_q = V, [], 0.0
        for l in range(len(self.R)):
            logits = x @ self.R[l] + self.d[l]
            x = (rng.random(logits.shape) < sigmoid(logits)).astype(np.float64)
            log_q = log_q + _log_bernoulli(x, logits)
            H.append(x)
        return H, log_q

    def log_prob_is(self, V, k=100, random_state=None):
        """log p̂_k(v) = log (1/k) Σ_s p(v, h_s)/q(h_s | v), h_s ~ q; shape (n_samples,).

        E[log p̂_k(v)] ≤ log p(v) for every k, with equality in the limit k → ∞.
        """
        V = self._check_v(V)
        rng = self._generator(random_state)
        Vk = np.repeat(V[None], k, axis=0)  # (k, n_samples, n_visible)
        H, log_q = self.sample_q(Vk, rng)
        log_w = self.log_joint(Vk, H) - log_q  # (k, n_samples)
        return logsumexp(log_w, axis=0) - np.log(k)

    # --- learning ------------------------------------------------------------------

    def _generative_step(self, xs, weights, lr):
        """Ascend Σ_s w_s log p(v, h_s): for each layer, Δ = (x − σ(a)) times its parents."""
        self.b += lr * (weights @ (xs[-1] - sigmoid(self.b)))
        for l in range(len(self.W)):
            err = xs[l] - sigmoid(xs[l + 1] @ self.W[l].T + self.c[l])
            err = err * weights[:, None]
            self.W[l] += lr * (err.T @ xs[l + 1])
            self.c[l] += lr * err.sum(axis=0)

    def _recognition_step(self, xs, weights, lr):
        """Ascend Σ_s w_s log q(h_s | v_s) with the same delta rule, upwards."""
        for l in range(len(self.R)):
            err = xs[l + 1] - sigmoid(xs[l] @ self.R[l] + self.d[l])
            err = err * weights[:, None]
            self.R[l] += lr * (xs[l].T @ err)
            self.d[l] += lr * err.sum(axis=0)

    def _epoch(self, X, method, batch_size, lr, k, rng):
        """One pass of mini-batch updates over ``X``; the mean log p̂_k(v) of its batches.

        Stops early (returning a non-finite mean) as soon as a batch's estimate is not finite.
        """
        order = rng.permutation(len(X))
        scores = []
        for start in range(0, len(X), batch_size):
            v = X[order[start : start + batch_size]]
            n = len(v)
            vk = np.repeat(v[None], k, axis=0)
            H, log_q = self.sample_q(vk, rng)
            log_w = self.log_joint(vk, H) - log_q  # (k, n)
            scores.append(float(np.mean(logsumexp(log_w, axis=0) - np.log(k))))
            if not np.isfinite(scores[-1]):
                break
            w = np.exp(log_w - logsumexp(log_w, axis=0, keepdims=True))
            flat = [x.reshape(k * n, -1) for x in (vk, *H)]
            weights = w.reshape(-1) / n
            self._generative_step(flat, weights, lr)
            if method == "rws":
                self._recognition_step(flat, weights, lr)
            dream_v, dream_h = self.sample(n, random_state=rng, return_hidden=True)
            self._recognition_step([dream_v, *dream_h], np.full(n, 1.0 / n), lr)
        return float(np.mean(scores))

    def fit(self, X, method="rws", n_epochs=10, batch_size=20, lr=0.1, k=5,
            random_state=None, verbose=False, callback=None):
        """Train by ``"wake_sleep"`` or reweighted wake-sleep ``"rws"`` (k samples of q).

        Wake-sleep: wake, h ~ q(h|v) and a step on log p(v, h); sleep, (v, h) ~ p and a step on
        log q(h|v). RWS: k samples h_s ~ q(h|v) with w̃_s = softmax_s(log p(v,h_s) − log
        q(h_s|v)); steps on Σ_s w̃_s log p(v, h_s) and Σ_s w̃_s log q(h_s|v) (the q wake phase),
        plus the sleep phase for q. Each step is the delta rule Δθ = lr · Σ_s w_s (x − σ(a)) ·
        parents, with the weights w_s summing to 1 over a mini-batch.

        Repeated calls continue from the current parameters. If an epoch makes a parameter
        or the log-likelihood estimate NaN or infinite, the parameters of the last completed
        epoch are restored before the FloatingPointError is raised, so nothing learnt is lost.

        Parameters
        ----------
        X : array of shape (n_samples, n_visible) with 0/1 entries
        method : {"rws", "wake_sleep"}, default "rws"
        n_epochs : int, default 10
            Passes over ``X``.
        batch_size : int, default 20
        lr : float, default 0.1
            Step size of every update.
        k : int, default 5
            Samples of q(h|v) per data point (RWS; wake-sleep draws 1).
        random_state : None, int or Generator
            Shuffling and sampling (default the model's own generator).
        verbose : bool, default False
            Show a tqdm progress bar over the epochs (quiet anyway when stderr is not a
            terminal).
        callback : callable ``f(model, epoch)``, optional
            Called after every epoch (0-based within this call), e.g. to save a checkpoint.

        Returns
        -------
        self

        Raises
        ------
        FloatingPointError
            The parameters or the estimate log p̂_k(v) of an epoch became NaN or infinite;
            the model holds the parameters of the last completed epoch.
        """
        from tqdm.auto import tqdm

        if method not in ("wake_sleep", "rws"):
            raise ValueError(f"method must be 'wake_sleep' or 'rws', got {method!r}")
        X = self._check_v(X)
        rng = self._generator(random_state)
        kk = 1 if method == "wake_sleep" else int(k)
        bar = tqdm(range(int(n_epochs)), desc="SBN", disable=None if verbose else True,
                   leave=False)
        for epoch in bar:
            good = self._snapshot()
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                score = self._epoch(X, method, int(batch_size), lr, kk, rng)
            if not (np.isfinite(score) and self._finite()):
                self._restore(good)
                raise FloatingPointError(
                    f"the sigmoid belief net's parameters or log-likelihood estimate became "
                    f"NaN or infinite in epoch {epoch + 1} (method={method!r}, lr={lr:g}); the "
                    f"parameters of the last completed epoch are restored: lower lr (e.g. "
                    f"lr={lr / 10:g}) and fit again"
                )
            self.history_.append(score)
            bar.set_postfix(log_p=f"{score:.2f}")
            if callback is not None:
                callback(self, epoch)
        return self

    def _snapshot(self):
        """Copies of every parameter, for :meth:`_restore`."""
        return {name: copy.deepcopy(getattr(self, name)) for name in self._PARAMS}

    def _restore(self, state):
        for name, value in state.items():
            setattr(self, name, value)

    def _finite(self):
        """Whether every parameter is finite."""
        return all(np.isfinite(a).all() for a in self._arrays().values())

    # --- persistence ---------------------------------------------------------------

    def _arrays(self):
        """name → parameter array: ``W0``, ``W1``, …, ``c0``, …, ``b``, ``R0``, …, ``d0``, …"""
        arrays = {"b": self.b}
        for name in ("W", "c", "R", "d"):
            arrays.update({f"{name}{l}": a for l, a in enumerate(getattr(self, name))})
        return arrays

    def save(self, path):
        """Write the layer sizes, parameters and ``history_`` to ``path`` (.npz), atomically.

        Through :func:`tinygen.io.save_npz` (a temporary file renamed over ``path``; a
        ``.npz`` suffix is added when missing); returns the path written.
        """
        arrays = {
            "class": np.array(type(self).__name__),
            "layer_sizes": np.asarray(self.layer_sizes, dtype=np.int64),
            "history_": np.asarray(self.history_, dtype=np.float64),
            **self._arrays(),
        }
        return save_npz(path, arrays)

    @classmethod
    def load(cls, path, random_state=None):
        """Load a net written by :meth:`save` (``allow_pickle=False``).

        Raises :class:`tinygen.io.CheckpointError` (a ``ValueError``; for a missing file also
        a ``FileNotFoundError``) naming the file when it is missing, corrupt, written by
        another model, or holds an array of the wrong shape.
        """
        path = Path(path)
        data = load_npz(path)
        if str(data.get("class", "")) != cls.__name__ or "layer_sizes" not in data:
            raise CheckpointError(
                f"{path} is not a {cls.__name__} checkpoint (written by {cls.__name__}.save)"
            )
        model = cls(data["layer_sizes"].tolist(), random_state=random_state)
        for name, want in model._arrays().items():
            if name not in data:
                raise CheckpointError(f"{path} lacks {name}: the file is damaged or not a net")
            if data[name].shape != want.shape:
                raise CheckpointError(
                    f"{path}: {name} has shape {data[name].shape}, expected {want.shape} for "
                    f"layer_sizes {model.layer_sizes}"
                )
            want[...] = data[name]  # into the fresh model's own (float64) arrays
        model.history_ = [float(x) for x in data.get("history_", [])]
        return model

    def __repr__(self):
        return f"SigmoidBeliefNet(layer_sizes={self.layer_sizes})"
