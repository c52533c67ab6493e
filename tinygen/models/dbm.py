"""The deep Boltzmann machine with two hidden layers (Salakhutdinov & Hinton 2009).

Lesson: ``lessons/dbm.py`` (§1 energy, §2 conditionals, §3 mean field, §4 learning, §5 AIS
and the bound, §6 samples).

Visible units v ∈ {0,1}^{n_v}, hidden layers h¹ ∈ {0,1}^{n_1} and h² ∈ {0,1}^{n_2}, weights
``W1`` of shape (n_visible, n_hidden1) and ``W2`` of shape (n_hidden1, n_hidden2), biases
``b``, ``c1``, ``c2``:

    E(v, h¹, h²) = −bᵀv − c¹ᵀh¹ − c²ᵀh² − vᵀW¹h¹ − h¹ᵀW²h²,   P(v, h¹, h²) = e^{−E} / Z.

Unlike the DBN (:mod:`tinygen.models.dbn`) every connection is undirected, so h¹ listens to
both of its neighbours:

    P(h¹_j = 1 | v, h²) = σ(c¹_j + vᵀW¹_{:,j} + W²_{j,:}h²),
    P(v_i = 1 | h¹) = σ(b_i + W¹_{i,:}h¹),      P(h²_k = 1 | h¹) = σ(c²_k + h¹ᵀW²_{:,k}).

The layers split into the odd {h¹} and the even {v, h²}: each set is conditionally
independent given the other, so Gibbs sampling alternates two blocks. What the RBM had and
the DBM loses is a factorised posterior: P(h¹, h² | v) couples h¹ and h² through W², so
learning approximates it by mean field and estimates the model's statistics with
persistent chains.

References
----------
.. [1] Salakhutdinov & Hinton, "Deep Boltzmann machines", AISTATS 2009.
.. [2] Salakhutdinov & Hinton, "An efficient learning procedure for deep Boltzmann
   machines", Neural Computation 24, 2012.
.. [3] Goodfellow, Bengio & Courville, *Deep Learning*, 2016, section 20.4.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np

from .. import backend
from ..io import CheckpointError, load_npz, save_npz
from ..numerics import logsumexp, sigmoid, softplus
from ..rng import as_generator, normal
from . import ais as _ais
from ._common import as_rows
from ._enumerate import MAX_ENUMERATE, all_binary, iter_binary
from .rbm import RBM, _bernoulli_, _tile

__all__ = ["DBM", "DoubledRBM", "bernoulli_entropy"]


def bernoulli_entropy(mu):
    """H(μ) = −Σ_i [μ_i log μ_i + (1 − μ_i) log(1 − μ_i)] over the last axis (0 log 0 = 0)."""
    mu = np.asarray(mu, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        on = np.where(mu > 0, mu * np.log(mu), 0.0)
        off = np.where(mu < 1, (1 - mu) * np.log1p(-mu), 0.0)
    return -(on + off).sum(axis=-1)


class DoubledRBM(RBM):
    r"""An RBM whose bottom-up or top-down input is doubled: the DBM's pretraining layers.

    .. math::

        P(h_j = 1 \mid v) = \sigma(c_j + u\, v^\top W_{:,j}), \qquad
        P(v_i = 1 \mid h) = \sigma(b_i + d\, W_{i,:} h).

    With (u, d) = (2, 1) this is the bottom RBM of Salakhutdinov & Hinton (2009, §3.1): the
    visible layer duplicated with tied weights, so h¹ receives twice the input it will get
    from v in the DBM — standing in for the missing top-down input from h². With (1, 2) it
    is the top RBM: h² duplicated, so h¹ receives twice W²h². Composed into the DBM, h¹ gets
    vᵀW¹ + W²h², one of each. Training is CD-k as :class:`~tinygen.models.rbm.RBM` (the
    tied copies' factor 2 in the gradient is folded into the learning rate).
    """

    def __init__(self, n_visible, n_hidden, *, up=2.0, down=1.0, **kwargs):
        super().__init__(n_visible, n_hidden, **kwargs)
        self.up, self.down = float(up), float(down)

    def _p_h(self, v, beta=None):
        a = v @ self.W
        a *= self.dtype.type(self.up)
        a += self.c
        return sigmoid(a)

    def _p_v(self, h):
        a = h @ self.W.T
        a *= self.dtype.type(self.down)
        a += self.b
        return sigmoid(a)


class DBM:
    r"""Deep Boltzmann machine with binary visible units and two binary hidden layers.

    .. math::

        E(v, h^1, h^2) = -b^\top v - c^{1\top} h^1 - c^{2\top} h^2
                         - v^\top W^1 h^1 - h^{1\top} W^2 h^2.

    **Mean field.** Learning and the bound use q(h¹, h² | v) = Π_j q(h¹_j) Π_k q(h²_k) with
    means μ¹, μ² at a fixed point of

    .. math::

        \mu^1 \leftarrow \sigma(c^1 + v^\top W^1 + W^2 \mu^2), \qquad
        \mu^2 \leftarrow \sigma(c^2 + \mu^{1\top} W^2),

    each update the exact maximiser of the bound over one layer given the other, so the
    bound never decreases. It is started from the bottom-up pass μ¹ = σ(c¹ + 2vᵀW¹),
    μ² = σ(c² + μ¹ᵀW²) (the doubled weights of pretraining). The bound is

    .. math::

        \log P(v) \ge \mathcal{L}(v, \mu) = b^\top v + c^{1\top}\mu^1 + c^{2\top}\mu^2
            + v^\top W^1 \mu^1 + \mu^{1\top} W^2 \mu^2 + H(\mu^1) + H(\mu^2) - \log Z,

    with equality iff q equals the posterior: log P(v) − 𝓛 = KL(q ‖ P(h¹, h² | v)).

    **Learning** (stochastic approximation, Salakhutdinov & Hinton 2009, §3.2): gradient
    ascent on 𝓛 with the data statistics from mean field and the model statistics from
    persistent chains advanced by ``k`` steps of two-block Gibbs sampling:

    .. math::

        \Delta W^1 \propto \langle v \mu^{1\top}\rangle_{data} - \langle v h^{1\top}\rangle_{model},
        \qquad
        \Delta W^2 \propto \langle \mu^1 \mu^{2\top}\rangle_{data}
                          - \langle h^1 h^{2\top}\rangle_{model},

    and the biases by the means of their units.

    Parameters
    ----------
    n_visible, n_hidden1, n_hidden2 : int
    learning_rate : float, default 0.005
        Step size of the joint training; decayed linearly to ``learning_rate / 10``
        over a :meth:`fit` (the paper decays it towards 0).
    batch_size : int, default 100
    n_epochs : int, default 10
        Passes over the data of :meth:`fit`.
    n_mean_field : int, default 10
        Mean-field sweeps (μ¹ then μ²) per training example.
    k : int, default 5
        Gibbs steps of the persistent chains per update (the paper's 5).
    n_persistent : int, default 100
        Number of persistent chains ("fantasy particles"; the paper's 100).
    momentum : float, default 0.9
    weight_decay : float, default 2e-4
        L2 coefficient on W¹ and W².
    random_state : None, int or Generator
    verbose : bool, default False
        Show a tqdm progress bar over the epochs.
    dtype : numpy dtype or None
        Parameter dtype (default the backend's, float32).

    Attributes
    ----------
    W1 : array of shape (n_visible, n_hidden1)
    W2 : array of shape (n_hidden1, n_hidden2)
    b : array of shape (n_visible,)
    c1 : array of shape (n_hidden1,)
    c2 : array of shape (n_hidden2,)
    base_rate_ : ndarray of shape (n_visible,) or None
        Log-odds of the (smoothed) data marginals: the base-rate model of AIS.
    chains_ : tuple (v, h1, h2) of arrays or None
        The persistent chains.
    history_ : dict of lists
        Per epoch: ``"mean_field_bound_unnormalized"`` (mean 𝓛 + log Z of a training
        subset: rises as the posterior fits the data), ``"learning_rate"``.

    References
    ----------
    .. [1] Salakhutdinov & Hinton, "Deep Boltzmann machines", AISTATS 2009.
    .. [2] Salakhutdinov & Hinton, Neural Computation 24, 2012.
    .. [3] Goodfellow, Bengio & Courville, *Deep Learning*, 2016, section 20.4.
    """

    _PARAMS = ("W1", "W2", "b", "c1", "c2")
    _HYPER = (
        "n_visible",
        "n_hidden1",
        "n_hidden2",
        "learning_rate",
        "batch_size",
        "n_epochs",
        "n_mean_field",
        "k",
        "n_persistent",
        "momentum",
        "weight_decay",
    )

    def __init__(
        self,
        n_visible,
        n_hidden1,
        n_hidden2,
        *,
        learning_rate=0.005,
        batch_size=100,
        n_epochs=10,
        n_mean_field=10,
        k=5,
        n_persistent=100,
        momentum=0.9,
        weight_decay=2e-4,
        random_state=None,
        verbose=False,
        dtype=None,
    ):
        sizes = (int(n_visible), int(n_hidden1), int(n_hidden2))
        if min(sizes) < 1:
            raise ValueError(f"the layer sizes must be positive, got {sizes}")
        for name, value in (
            ("batch_size", batch_size),
            ("n_mean_field", n_mean_field),
            ("k", k),
            ("n_persistent", n_persistent),
        ):
            if int(value) < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if not 0.0 <= float(momentum) < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.n_visible, self.n_hidden1, self.n_hidden2 = sizes
        self.learning_rate = float(learning_rate)
        self.batch_size = int(batch_size)
        self.n_epochs = int(n_epochs)
        self.n_mean_field = int(n_mean_field)
        self.k = int(k)
        self.n_persistent = int(n_persistent)
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        self.verbose = bool(verbose)
        self.dtype = np.dtype(backend.get_default_dtype() if dtype is None else dtype)
        self.random_state = random_state
        self.rng_ = as_generator(random_state)
        xp = backend.xp()
        s = self.dtype.type(0.01)
        self.W1 = normal(self.rng_, (sizes[0], sizes[1]), self.dtype) * s
        self.W2 = normal(self.rng_, (sizes[1], sizes[2]), self.dtype) * s
        self.b = xp.zeros(sizes[0], dtype=self.dtype)
        self.c1 = xp.zeros(sizes[1], dtype=self.dtype)
        self.c2 = xp.zeros(sizes[2], dtype=self.dtype)
        self._velocity = {name: xp.zeros_like(getattr(self, name)) for name in self._PARAMS}
        self.base_rate_ = None
        self.chains_ = None
        self.n_updates_ = 0
        self.epochs_done_ = 0
        self.history_ = {"mean_field_bound_unnormalized": [], "learning_rate": []}

    # ------------------------------------------------------------------ utilities
    @property
    def _xp(self):
        return backend.get_array_module(self.W1)

    def _as_input(self, X, name="v", n_cols=None, check_binary=True):
        """``X`` checked (shape, numbers, finite and, with ``check_binary``, 0/1) and
        converted to the parameter dtype on the backend: :func:`~tinygen.models._common.as_rows`."""
        n_cols = self.n_visible if n_cols is None else n_cols
        return as_rows(X, n_cols, self.dtype, name=name, model="DBM", check_binary=check_binary)

    def _params64(self):
        return tuple(backend.to_numpy(getattr(self, n)).astype(np.float64) for n in self._PARAMS)

    # ------------------------------------------------------------------ energy, conditionals
    def energy(self, v, h1, h2):
        """E(v, h¹, h²) = −bᵀv − c¹ᵀh¹ − c²ᵀh² − vᵀW¹h¹ − h¹ᵀW²h², per row (float64).

        Parameters
        ----------
        v : array of shape (n_samples, n_visible)
        h1 : array of shape (n_samples, n_hidden1)
        h2 : array of shape (n_samples, n_hidden2)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        W1, W2, b, c1, c2 = self._params64()
        v, h1, h2 = (np.asarray(backend.to_numpy(x), dtype=np.float64) for x in (v, h1, h2))
        return -(v @ b) - (h1 @ c1) - (h2 @ c2) - ((v @ W1) * h1).sum(-1) - ((h1 @ W2) * h2).sum(-1)

    def p_h1_given_v_h2(self, v, h2):
        """P(h¹_j = 1 | v, h²) = σ(c¹_j + vᵀW¹_{:,j} + W²_{j,:}h²); shape (n_samples, n_hidden1)."""
        a = v @ self.W1 + h2 @ self.W2.T
        a += self.c1
        return sigmoid(a)

    def p_v_given_h1(self, h1):
        """P(v_i = 1 | h¹) = σ(b_i + W¹_{i,:}h¹), of shape (n_samples, n_visible)."""
        a = h1 @ self.W1.T
        a += self.b
        return sigmoid(a)

    def p_h2_given_h1(self, h1):
        """P(h²_k = 1 | h¹) = σ(c²_k + h¹ᵀW²_{:,k}), of shape (n_samples, n_hidden2)."""
        a = h1 @ self.W2
        a += self.c2
        return sigmoid(a)

    def gibbs(self, v, h1, h2, k=1, rng=None, clamp=None):
        """k sweeps of two-block Gibbs sampling: h¹ ~ P(h¹ | v, h²), then (v, h²) ~ P(· | h¹).

        ``clamp`` (optional) is a pair (mask, values): entries of v where the boolean
        ``mask`` is False are held at ``values`` (conditional sampling for completion).
        Returns (v, h1, h2, p_v) with p_v = P(v = 1 | h¹) of the last sweep.
        """
        rng = self.rng_ if rng is None else as_generator(rng)
        xp = self._xp
        pv = v
        for _ in range(int(k)):
            h1 = _bernoulli_(self.p_h1_given_v_h2(v, h2), rng, xp)
            pv = self.p_v_given_h1(h1)
            v = _bernoulli_(pv.copy(), rng, xp)
            if clamp is not None:
                v = xp.where(clamp[0], v, clamp[1]).astype(self.dtype)
            h2 = _bernoulli_(self.p_h2_given_h1(h1), rng, xp)
        return v, h1, h2, pv

    # ------------------------------------------------------------------ mean field
    def mean_field(self, v, n_iter=None, tol=0.0, return_n_iter=False):
        """The mean-field posterior means (μ¹, μ²) for the rows of ``v`` (class docstring).

        Starts from the doubled bottom-up pass μ¹ = σ(c¹ + 2vᵀW¹), μ² = σ(c² + μ¹ᵀW²), then
        sweeps μ¹ ← σ(c¹ + vᵀW¹ + W²μ²), μ² ← σ(c² + μ¹ᵀW²).

        Parameters
        ----------
        v : array of shape (n_samples, n_visible)
        n_iter : int, optional
            Number of sweeps (default ``n_mean_field``).
        tol : float, default 0
            Stop early when no mean moves by more than ``tol`` in a sweep.
        return_n_iter : bool, default False

        Returns
        -------
        mu1 : array of shape (n_samples, n_hidden1)
        mu2 : array of shape (n_samples, n_hidden2)
        n_iter : int, only if ``return_n_iter``
        """
        xp = self._xp
        n_iter = self.n_mean_field if n_iter is None else int(n_iter)
        bottom_up = v @ self.W1
        bottom_up += self.c1  # c¹ + vᵀW¹, fixed during the sweeps
        mu1 = sigmoid(bottom_up + v @ self.W1)
        mu2 = self.p_h2_given_h1(mu1)
        done = 0
        while done < n_iter:
            done += 1
            new1 = sigmoid(bottom_up + mu2 @ self.W2.T)
            new2 = self.p_h2_given_h1(new1)
            moved = float(xp.max(xp.abs(new1 - mu1))) if tol > 0 else math.inf
            mu1, mu2 = new1, new2
            if moved <= tol:
                break
        return (mu1, mu2, done) if return_n_iter else (mu1, mu2)

    def mean_field_bound(self, X, log_z=0.0, n_iter=30, per_sample=False):
        """The variational lower bound 𝓛(v, μ) ≤ log P(v) at the mean-field fixed point, in nats.

        𝓛 = bᵀv + c¹ᵀμ¹ + c²ᵀμ² + vᵀW¹μ¹ + μ¹ᵀW²μ² + H(μ¹) + H(μ²) − log Z (float64).

        Parameters
        ----------
        X : array of shape (n_samples, n_visible), binary
        log_z : float, default 0
            log Z from :meth:`log_partition_exact` or :meth:`ais_log_partition`; with 0 the
            result is the unnormalized bound 𝓛 + log Z.
        n_iter : int, default 30
            Mean-field sweeps (more than in training: evaluation wants the fixed point).
        per_sample : bool, default False

        Returns
        -------
        float, or ndarray of shape (n_samples,)
        """
        v = self._as_input(X, "X")
        mu1, mu2 = self.mean_field(v, n_iter=n_iter)
        return self._bound(v, mu1, mu2, log_z, per_sample)

    def _bound(self, v, mu1, mu2, log_z=0.0, per_sample=True):
        W1, W2, b, c1, c2 = self._params64()
        v, mu1, mu2 = (backend.to_numpy(x).astype(np.float64) for x in (v, mu1, mu2))
        out = (
            v @ b
            + mu1 @ c1
            + mu2 @ c2
            + ((v @ W1) * mu1).sum(-1)
            + ((mu1 @ W2) * mu2).sum(-1)
            + bernoulli_entropy(mu1)
            + bernoulli_entropy(mu2)
            - float(log_z)
        )
        return out if per_sample else float(out.mean())

    # ------------------------------------------------------------------ partition function, exact
    def _log_marginal_h1(self, H1, params=None):
        """log Σ_{v, h²} exp(−E(v, h¹, h²)) = c¹ᵀh¹ + Σ_i softplus(b_i + W¹_{i,:}h¹)
        + Σ_k softplus(c²_k + h¹ᵀW²_{:,k}), per row of H1 (float64)."""
        W1, W2, b, c1, c2 = self._params64() if params is None else params
        return H1 @ c1 + softplus(H1 @ W1.T + b).sum(-1) + softplus(H1 @ W2 + c2).sum(-1)

    def log_partition_exact(self, chunk_size=1 << 14):
        """log Z by enumerating the 2^{n_hidden1} states of h¹, v and h² summed in closed form.

        Z = Σ_{h¹} exp(c¹ᵀh¹) Π_i (1 + e^{b_i + W¹_{i,:}h¹}) Π_k (1 + e^{c²_k + h¹ᵀW²_{:,k}}).
        """
        if self.n_hidden1 > MAX_ENUMERATE:
            raise ValueError(
                f"log_partition_exact enumerates 2**{self.n_hidden1} states of h1; more than "
                f"{MAX_ENUMERATE} units is intractable — use ais_log_partition() instead"
            )
        params = self._params64()
        parts = [
            float(logsumexp(self._log_marginal_h1(H, params)))
            for H in iter_binary(self.n_hidden1, chunk_size)
        ]
        return float(logsumexp(np.array(parts)))

    def log_prob_exact(self, X):
        """Exact log P(v) by enumerating h¹, with h² summed out in closed form:

        log P(v) = log Σ_{h¹} exp(bᵀv + c¹ᵀh¹ + vᵀW¹h¹ + Σ_k softplus(c²_k + h¹ᵀW²_{:,k})) − log Z.

        Enumerates h¹ (tiny models only); returns an ndarray of shape (n_samples,).
        """
        v = backend.to_numpy(self._as_input(X, "X")).astype(np.float64)
        if self.n_hidden1 > 20:
            raise ValueError(f"log_prob_exact enumerates 2**{self.n_hidden1} states; at most 20")
        W1, W2, b, c1, c2 = self._params64()
        H1 = all_binary(self.n_hidden1)
        unnorm = (
            (v @ b)[:, None]
            + (H1 @ c1)[None]
            + v @ W1 @ H1.T
            + softplus(H1 @ W2 + c2).sum(-1)[None]
        )
        return logsumexp(unnorm, axis=1) - self.log_partition_exact()

    # ------------------------------------------------------------------ partition function, AIS
    def ais_log_partition(self, n_betas=14500, n_runs=100, base_rate=None, rng=None):
        """Estimate log Z by AIS (:func:`tinygen.models.ais.dbm_ais`) from a base-rate model.

        Returns (log_z, (lower, upper)), the interval log(Ẑ ∓ 3σ̂).
        """
        rng = self.rng_ if rng is None else as_generator(rng)
        if base_rate is None:
            base_rate = self.base_rate_ if self.base_rate_ is not None else np.zeros(self.n_visible)
        base_rate = np.asarray(backend.to_numpy(base_rate), dtype=np.float64)
        if base_rate.shape != (self.n_visible,):
            raise ValueError(
                f"base_rate must have shape ({self.n_visible},), got {base_rate.shape}"
            )
        return _ais.dbm_ais(
            self.W1,
            self.W2,
            self.b,
            self.c1,
            self.c2,
            base_rate,
            n_betas=n_betas,
            n_runs=n_runs,
            rng=rng,
        )

    # ------------------------------------------------------------------ pretraining
    def pretrain(self, X, n_epochs=10, learning_rate=0.05, batch_size=100, k=1):
        """Greedy pretraining with the doubled RBMs of Salakhutdinov & Hinton (2009, §3.1).

        The bottom :class:`DoubledRBM` (n_visible × n_hidden1, up = 2) is fit to X; the top
        one (n_hidden1 × n_hidden2, down = 2) to one sample h¹ ~ σ(c¹ + 2vᵀW¹) per training
        image. The DBM takes W¹ and W² unchanged, b from the bottom RBM, c² from the top, and
        c¹ = (c¹_bottom + c¹_top)/2, so that its h¹ input c¹ + vᵀW¹ + W²h² is the average
        of the two RBMs' doubled inputs.

        Returns
        -------
        self
        """
        v = self._as_input(X, "X")
        self._record_base_rate(v)
        seeds = self.rng_.integers(0, 2**32, size=3)
        common = dict(
            learning_rate=learning_rate,
            batch_size=batch_size,
            n_epochs=n_epochs,
            k=k,
            momentum=0.5,
            dtype=self.dtype,
        )
        bottom = DoubledRBM(
            self.n_visible, self.n_hidden1, up=2, down=1, random_state=int(seeds[0]), **common
        )
        bottom.fit(v)
        h1 = _bernoulli_(bottom._p_h(v), as_generator(int(seeds[1])), self._xp)
        top = DoubledRBM(
            self.n_hidden1, self.n_hidden2, up=1, down=2, random_state=int(seeds[2]), **common
        )
        top.fit(h1)
        self.W1, self.W2 = bottom.W.copy(), top.W.copy()
        self.b, self.c2 = bottom.b.copy(), top.c.copy()
        self.c1 = (bottom.c + top.b) * self.dtype.type(0.5)
        self.pretrained_ = (bottom, top)
        return self

    # ------------------------------------------------------------------ joint training
    def _record_base_rate(self, v):
        if self.base_rate_ is None:
            self.base_rate_ = _ais.base_rate(backend.to_numpy(v), smoothing=0.05)

    def _init_chains(self):
        xp, n = self._xp, self.n_persistent
        v = _bernoulli_(sigmoid(_tile(self.b, n, xp)), self.rng_, xp)
        h1 = xp.zeros((n, self.n_hidden1), dtype=self.dtype)
        h2 = xp.zeros((n, self.n_hidden2), dtype=self.dtype)
        v, h1, h2, _ = self.gibbs(v, h1, h2, k=1)
        self.chains_ = (v, h1, h2)

    def _gradients(self, v, mu1, mu2, vm, h1m, h2m):
        """Data minus model statistics: (dW1, dW2, db, dc1, dc2) of the class docstring."""
        n, m = v.shape[0], vm.shape[0]
        return (
            v.T @ mu1 / n - vm.T @ h1m / m,
            mu1.T @ mu2 / n - h1m.T @ h2m / m,
            v.mean(0) - vm.mean(0),
            mu1.mean(0) - h1m.mean(0),
            mu2.mean(0) - h2m.mean(0),
        )

    def _update(self, v, lr):
        """One stochastic-approximation update from the binary mini-batch ``v``."""
        xp = self._xp
        mu1, mu2 = self.mean_field(v)
        if self.chains_ is None:
            self._init_chains()
        vm, h1m, h2m, _ = self.gibbs(*self.chains_, k=self.k)
        self.chains_ = (vm, h1m, h2m)
        grads = self._gradients(v, mu1, mu2, vm, h1m, h2m)
        lr_, mu = self.dtype.type(lr), self.dtype.type(self.momentum)
        with np.errstate(over="ignore", invalid="ignore"):
            for name, g in zip(self._PARAMS, grads):
                p, vel = getattr(self, name), self._velocity[name]
                vel *= mu
                vel += lr_ * g
                if name in ("W1", "W2") and self.weight_decay:
                    vel -= (lr_ * self.dtype.type(self.weight_decay)) * p
                p += vel
            # (a sum is a cheap finiteness check: a NaN or ±inf anywhere makes it non-finite)
            finite = all(bool(xp.isfinite(getattr(self, n).sum())) for n in self._PARAMS)
        self.n_updates_ += 1
        if not finite:
            raise FloatingPointError(
                f"the DBM parameters became NaN or infinite at update {self.n_updates_} "
                f"(learning_rate={lr:g}); lower the learning rate or the momentum"
            )

    def fit(self, X, y=None, callback=None):
        """Joint training: ``n_epochs`` passes of mean-field + persistent-chain updates.

        Call :meth:`pretrain` first for the paper's procedure (from random weights the
        mean field of a DBM is a poor start). If the parameters become NaN or infinite, the
        parameters of the last completed epoch are restored before the FloatingPointError
        is raised, so nothing learnt is lost.

        Parameters
        ----------
        X : array of shape (n_samples, n_visible), binary
        y : ignored
        callback : callable ``f(model, epoch)``, optional
            Called after each epoch (e.g. to write a checkpoint).

        Returns
        -------
        self
        """
        from tqdm.auto import tqdm

        X = self._as_input(X, "X")
        xp = self._xp
        self._record_base_rate(X)
        n = X.shape[0]
        bs = min(self.batch_size, n)
        monitor = X[: min(n, 500)]
        bar = tqdm(
            range(self.n_epochs), desc="DBM", disable=None if self.verbose else True, leave=False
        )
        for epoch in bar:
            lr = self.learning_rate * (1.0 - 0.9 * epoch / max(self.n_epochs, 1))
            good = self._snapshot()
            perm = self.rng_.permutation(n)
            try:
                for i in range(max(1, n // bs)):
                    self._update(X[xp.asarray(perm[i * bs : (i + 1) * bs])], lr)
            except FloatingPointError:
                self._restore(good)
                raise
            self.epochs_done_ += 1
            bound = self.mean_field_bound(monitor, n_iter=self.n_mean_field)
            self.history_["mean_field_bound_unnormalized"].append(bound)
            self.history_["learning_rate"].append(lr)
            bar.set_postfix(bound=f"{bound:.2f}")
            if callback is not None:
                callback(self, epoch)
        return self

    def _snapshot(self):
        return copy.deepcopy({n: getattr(self, n) for n in (*self._PARAMS, "chains_")})

    def _restore(self, state):
        for name, value in state.items():
            setattr(self, name, value)
        self._velocity = {n: self._xp.zeros_like(getattr(self, n)) for n in self._PARAMS}

    # ------------------------------------------------------------------ sampling
    def sample(self, n, n_gibbs=1000, rng=None, return_probabilities=False):
        """``n`` samples v after ``n_gibbs`` two-block Gibbs sweeps from base-rate v and h = 0.

        Returns an array of shape (n, n_visible): binary, or P(v = 1 | h¹) of the last sweep
        with ``return_probabilities`` (smoother pictures).
        """
        rng = self.rng_ if rng is None else as_generator(rng)
        xp = self._xp
        v = _bernoulli_(sigmoid(_tile(self.b, n, xp)), rng, xp)
        h1 = xp.zeros((int(n), self.n_hidden1), dtype=self.dtype)
        h2 = xp.zeros((int(n), self.n_hidden2), dtype=self.dtype)
        v, _, _, pv = self.gibbs(v, h1, h2, k=max(1, int(n_gibbs)), rng=rng)
        return pv if return_probabilities else v

    def complete(self, v, mask, n_gibbs=200, rng=None):
        """Fill the entries of ``v`` where ``mask`` is True by Gibbs sampling with the rest clamped.

        Returns P(v = 1 | h¹) of the last sweep on the missing entries, the observed ones
        copied: an array of shape (n_samples, n_visible) in [0, 1].
        """
        rng = self.rng_ if rng is None else as_generator(rng)
        xp = self._xp
        v = self._as_input(v, "v", check_binary=False)
        mask = xp.asarray(backend.to_numpy(mask).astype(bool))
        if mask.shape not in (v.shape, (self.n_visible,)):
            raise ValueError(
                f"mask must have shape {v.shape} or ({self.n_visible},), got {mask.shape}"
            )
        mask = xp.broadcast_to(mask, v.shape)
        start = _bernoulli_(sigmoid(_tile(self.b, v.shape[0], xp)), rng, xp)
        observed = v
        v = xp.where(mask, start, observed).astype(self.dtype)
        mu1, mu2 = self.mean_field(v)
        h2 = _bernoulli_(mu2, rng, xp)
        v, _, _, pv = self.gibbs(
            v, mu1, h2, k=max(1, int(n_gibbs)), rng=rng, clamp=(mask, observed)
        )
        return xp.where(mask, pv, observed)

    # ------------------------------------------------------------------ persistence
    def save(self, path):
        """Write parameters, hyperparameters and chains to ``path`` (.npz), atomically."""
        arrays = {name: backend.to_numpy(getattr(self, name)) for name in self._PARAMS}
        arrays.update(
            {
                "class": np.array("DBM"),
                "dtype": np.array(self.dtype.name),
                "n_updates_": np.array(self.n_updates_),
                "epochs_done_": np.array(self.epochs_done_),
            }
        )
        for name in self._HYPER:
            arrays["hp_" + name] = np.array(getattr(self, name))
        if self.base_rate_ is not None:
            arrays["base_rate_"] = np.asarray(self.base_rate_)
        if self.chains_ is not None:
            for name, x in zip(("v", "h1", "h2"), self.chains_):
                arrays["chain_" + name] = backend.to_numpy(x)
        for name, values in self.history_.items():
            arrays["history_" + name] = np.asarray(values, dtype=np.float64)
        return save_npz(path, arrays)

    @classmethod
    def load(cls, path, random_state=None):
        """Load a model written by :meth:`save` (``allow_pickle=False``)."""
        path = Path(path)
        data = load_npz(path)
        if str(data.get("class", "")) != "DBM":
            raise CheckpointError(f"{path} is not a DBM checkpoint (written by DBM.save)")
        required = (*cls._PARAMS, *("hp_" + n for n in cls._HYPER), "dtype", "epochs_done_")
        missing = [name for name in required if name not in data]
        if missing:
            raise CheckpointError(f"{path} lacks {missing}: written by another version?")
        hp = {name: data["hp_" + name].item() for name in cls._HYPER}
        model = cls(
            hp.pop("n_visible"),
            hp.pop("n_hidden1"),
            hp.pop("n_hidden2"),
            **hp,
            random_state=random_state,
            dtype=str(data["dtype"]),
        )
        for name in cls._PARAMS:
            want = getattr(model, name).shape
            if data[name].shape != want:
                raise ValueError(f"{path}: {name} has shape {data[name].shape}, expected {want}")
            setattr(model, name, backend.asarray(data[name], model.dtype))
        model.n_updates_ = int(data["n_updates_"])
        model.epochs_done_ = int(data["epochs_done_"])
        if "base_rate_" in data:
            model.base_rate_ = data["base_rate_"].astype(np.float64)
        for name in model.history_:
            if "history_" + name in data:
                model.history_[name] = data["history_" + name].tolist()
        if "chain_v" in data:
            model.chains_ = tuple(
                backend.asarray(data["chain_" + n], model.dtype) for n in ("v", "h1", "h2")
            )
        return model

    def __repr__(self):
        return (
            f"DBM(n_visible={self.n_visible}, n_hidden1={self.n_hidden1}, "
            f"n_hidden2={self.n_hidden2}, learning_rate={self.learning_rate:g})"
        )
