"""The (general) Boltzmann machine: binary units with symmetric pairwise couplings.

Deep Learning book, section 20.1. All units are binary, x ∈ {0, 1}ⁿ, split into visible
units v (n_visible) and optional hidden units h (n_hidden). The energy is

    E(v, h) = −vᵀRv − vᵀWh − hᵀSh − bᵀv − cᵀh,

with ``R`` (n_visible, n_visible) and ``S`` (n_hidden, n_hidden) **symmetric with zero
diagonal**, ``W`` of shape (n_visible, n_hidden), visible bias ``b`` and hidden bias ``c``.

Pair-counting convention
------------------------
``vᵀRv = Σ_i Σ_j R_ij v_i v_j`` is the full double sum, so every unordered pair {i, j}
appears **twice** (R_ij v_i v_j and R_ji v_j v_i); the visible-hidden term ``vᵀWh`` counts
each pair once. Stacking x = [v, h] gives the book's Eq. 20.2 form

    E(x) = −xᵀUx − b̃ᵀx,   U = [[R, W/2], [Wᵀ/2, S]],   b̃ = [b, c],

with U symmetric, zero diagonal, again summing each pair twice.

The unit conditional is a logistic regression
---------------------------------------------
Flip unit i with the others x₋ᵢ fixed. The terms of E that involve x_i are
−x_i (b̃_i + Σ_{j≠i} U_ij x_j + Σ_{j≠i} U_ji x_j) = −x_i (b̃_i + 2 Σ_j U_ij x_j)
(U symmetric, U_ii = 0), so

    P(x_i = 1 | x₋ᵢ) = exp(−E(x_i=1)) / [exp(−E(x_i=0)) + exp(−E(x_i=1))]
                     = σ(b̃_i + 2 Σ_j U_ij x_j),

a logistic regression on the other units with weights 2U_{i,:} and bias b̃_i
(:meth:`BoltzmannMachine.unit_conditional`, :meth:`BoltzmannMachine.as_logistic_regression`).
For a visible unit this reads σ(b_i + 2(Rv)_i + (Wh)_i); for a hidden unit
σ(c_j + (Wᵀv)_j + 2(Sh)_j).

Learning
--------
The log-likelihood of the visible data, log P(v) = log Σ_h exp(−E(v,h)) − log Z, has the
gradient (positive phase minus negative phase; each parameter matrix treated entrywise)

    ∂/∂R = E_data[vvᵀ] − E_model[vvᵀ]       ∂/∂b = E_data[v] − E_model[v]
    ∂/∂W = E_data[vhᵀ] − E_model[vhᵀ]       ∂/∂c = E_data[h] − E_model[h]
    ∂/∂S = E_data[hhᵀ] − E_model[hhᵀ]

where E_data averages over the data with h drawn from the posterior P(h | v) and
E_model is the expectation under the model's joint. The diagonals of the R and S
gradients are zeroed so that R and S stay symmetric with zero diagonal.
``method="exact"`` computes both phases by enumeration (≲ 20 units); ``method="sml"``
(stochastic maximum likelihood, a.k.a. persistent contrastive divergence) keeps
``n_chains`` persistent single-site Gibbs chains for the negative phase (Younes 1998,
Tieleman 2008) and, with hidden units, uses the exact posterior when n_hidden is small
and a damped mean-field posterior otherwise (Salakhutdinov & Hinton 2009).

References
----------
.. [1] Goodfellow, Bengio & Courville, *Deep Learning*, MIT Press 2016, sections 20.1, 18.2.
.. [2] Ackley, Hinton & Sejnowski, "A learning algorithm for Boltzmann machines",
   Cognitive Science 9, 1985.
.. [3] Younes, "On the convergence of Markovian stochastic algorithms with rapidly
   decreasing ergodicity rates", Stochastics 65, 1998.
.. [4] Tieleman, "Training restricted Boltzmann machines using approximations to the
   likelihood gradient", ICML 2008.
.. [5] Salakhutdinov & Hinton, "Deep Boltzmann machines", AISTATS 2009.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import backend
from .. import rng as _rng
from ..io import load_npz, save_npz
from ..numerics import logsumexp, sigmoid
from ._enumerate import all_binary

__all__ = ["BoltzmannMachine", "binary_states"]

#: largest number of units enumerated by the exact methods (2**MAX_EXACT_UNITS states)
MAX_EXACT_UNITS = 20
#: hidden units up to which the positive phase uses the exact posterior P(h | v)
MAX_EXACT_HIDDEN = 12


def binary_states(n: int, dtype=None):
    """All 2ⁿ binary vectors as an array of shape (2**n, n) on the active backend.

    Row k is the binary expansion of k, first unit most significant
    (:func:`tinygen.models._enumerate.all_binary`).
    """
    dt = np.dtype(backend.get_default_dtype() if dtype is None else dtype)
    return backend.asarray(all_binary(n, dt), dt)


def _sym_zero_diag(xp, M):
    M = 0.5 * (M + M.T)
    n = M.shape[0]
    M[xp.arange(n), xp.arange(n)] = 0
    return M


class BoltzmannMachine:
    """Fully connected Boltzmann machine with binary visible and (optional) hidden units.

    Energy (each visible-visible and hidden-hidden pair counted twice, see module doc)::

        E(v, h) = −vᵀRv − vᵀWh − hᵀSh − bᵀv − cᵀh

    Parameters
    ----------
    n_visible : int
        Number of visible units.
    n_hidden : int, default 0
        Number of hidden units (0: a fully visible Boltzmann machine, E(x) = −xᵀUx − bᵀx).
    learning_rate : float, default 0.1
        Step size of gradient ascent on the mean log-likelihood.
    method : {"exact", "sml"}, default "exact"
        "exact": positive and negative phase by enumeration (n_visible + n_hidden ≤ 20);
        "sml": persistent Gibbs chains for the negative phase.
    n_chains : int, default 100
        Number of persistent chains (SML).
    n_gibbs : int, default 1
        Single-site Gibbs sweeps per parameter update (SML).
    batch_size : int or None, default None
        Minibatch size; None uses the full data set for each update.
    n_epochs : int, default 100
        Passes over the data in :meth:`fit`.
    momentum : float, default 0.0
        Classical momentum on the parameter updates.
    weight_decay : float, default 0.0
        L2 penalty on R, W, S (subtracted as ``weight_decay * θ`` from the gradient).
    init_std : float, default 0.01
        Standard deviation of the initial couplings (biases start at zero).
    dtype : dtype or None
        Floating dtype of the parameters (the backend default, float32, if None).
    random_state : None, int or Generator
        Seeds the initialisation, the chains and the minibatch order.
    verbose : bool, default False
        Print the training log-likelihood (exact method) each epoch.

    Attributes
    ----------
    R : array of shape (n_visible, n_visible), symmetric, zero diagonal
    W : array of shape (n_visible, n_hidden)
    S : array of shape (n_hidden, n_hidden), symmetric, zero diagonal
    b : array of shape (n_visible,)
    c : array of shape (n_hidden,)
    history_ : list of float
        Mean training log-likelihood after each epoch (exact method only).

    References
    ----------
    .. [1] Goodfellow, Bengio & Courville, *Deep Learning*, 2016, section 20.1.
    .. [2] Ackley, Hinton & Sejnowski, Cognitive Science 9, 1985.
    """

    def __init__(
        self,
        n_visible,
        n_hidden=0,
        *,
        learning_rate=0.1,
        method="exact",
        n_chains=100,
        n_gibbs=1,
        batch_size=None,
        n_epochs=100,
        momentum=0.0,
        weight_decay=0.0,
        init_std=0.01,
        dtype=None,
        random_state=None,
        verbose=False,
    ):
        if int(n_visible) < 1 or int(n_hidden) < 0:
            raise ValueError(
                f"need n_visible >= 1 and n_hidden >= 0, got {n_visible} and {n_hidden}"
            )
        if method not in ("exact", "sml"):
            raise ValueError(f"method must be 'exact' or 'sml', got {method!r}")
        self.n_visible, self.n_hidden = int(n_visible), int(n_hidden)
        if method == "exact" and self.n_units > MAX_EXACT_UNITS:
            raise ValueError(
                f"method='exact' enumerates 2**{self.n_units} states; use method='sml' for "
                f"more than {MAX_EXACT_UNITS} units"
            )
        self.learning_rate = float(learning_rate)
        self.method = method
        self.n_chains, self.n_gibbs = int(n_chains), int(n_gibbs)
        self.batch_size = batch_size
        self.n_epochs = int(n_epochs)
        self.momentum, self.weight_decay = float(momentum), float(weight_decay)
        self.init_std = float(init_std)
        self.dtype = np.dtype(backend.get_default_dtype() if dtype is None else dtype)
        self.random_state = random_state
        self.verbose = verbose
        self._rng = _rng.as_generator(random_state)
        xp = backend.xp()
        nv, nh = self.n_visible, self.n_hidden
        R = self.init_std * _rng.normal(self._rng, (nv, nv), self.dtype)
        S = self.init_std * _rng.normal(self._rng, (nh, nh), self.dtype)
        self.R = _sym_zero_diag(xp, R)
        self.S = _sym_zero_diag(xp, S)
        self.W = self.init_std * _rng.normal(self._rng, (nv, nh), self.dtype)
        self.b = xp.zeros(nv, dtype=self.dtype)
        self.c = xp.zeros(nh, dtype=self.dtype)
        self.chains_ = None
        self.history_ = []
        self._velocity = None

    # ------------------------------------------------------------------ structure
    @property
    def n_units(self) -> int:
        """n_visible + n_hidden."""
        return self.n_visible + self.n_hidden

    @property
    def U(self):
        """Joint coupling matrix U = [[R, W/2], [Wᵀ/2, S]] of shape (n_units, n_units).

        With x = [v, h], E(x) = −xᵀUx − b̃ᵀx (Deep Learning book, Eq. 20.2).
        """
        xp = backend.get_array_module(self.R)
        top = xp.concatenate([self.R, 0.5 * self.W], axis=1)
        bottom = xp.concatenate([0.5 * self.W.T, self.S], axis=1)
        return xp.concatenate([top, bottom], axis=0)

    @property
    def bias(self):
        """Joint bias b̃ = [b, c] of shape (n_units,)."""
        xp = backend.get_array_module(self.b)
        return xp.concatenate([self.b, self.c])

    def set_params(self, *, R=None, W=None, S=None, b=None, c=None):
        """Set parameters (cast to the model dtype); R and S must be symmetric, zero diagonal."""
        xp = backend.xp()
        nv, nh = self.n_visible, self.n_hidden
        shapes = {"R": (nv, nv), "W": (nv, nh), "S": (nh, nh), "b": (nv,), "c": (nh,)}
        for name, val in (("R", R), ("W", W), ("S", S), ("b", b), ("c", c)):
            if val is None:
                continue
            arr = backend.asarray(val, self.dtype)
            if arr.shape != shapes[name]:
                raise ValueError(f"{name} must have shape {shapes[name]}, got {arr.shape}")
            if name in ("R", "S") and arr.size:
                asym = float(xp.max(xp.abs(arr - arr.T)))
                diag = float(xp.max(xp.abs(xp.diag(arr))))
                tol = 1e-6 * max(1.0, float(xp.max(xp.abs(arr))))
                if asym > tol or diag > tol:
                    raise ValueError(
                        f"{name} must be symmetric with zero diagonal (asymmetry {asym:.3g}, "
                        f"largest diagonal {diag:.3g}); pass 0.5*(M + M.T) with the "
                        "diagonal set to 0"
                    )
                arr = _sym_zero_diag(xp, arr)
            setattr(self, name, arr.copy())
        return self

    def _check_x(self, x, n, what):
        xp = backend.xp()
        arr = backend.asarray(x, self.dtype)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != n:
            raise ValueError(f"{what} must have shape (n_samples, {n}), got {tuple(arr.shape)}")
        if not bool(xp.all((arr == 0) | (arr == 1))):
            raise ValueError(
                f"{what} must be binary (0/1) for a Boltzmann machine; binarize it first "
                "(e.g. X > 0.5)"
            )
        return arr.astype(self.dtype)

    # ------------------------------------------------------------------ energy
    def energy(self, v, h=None):
        """E(v, h) = −vᵀRv − vᵀWh − hᵀSh − bᵀv − cᵀh for each row.

        Parameters
        ----------
        v : array of shape (n_samples, n_visible)
        h : array of shape (n_samples, n_hidden), optional when n_hidden == 0

        Returns
        -------
        array of shape (n_samples,)
        """
        v = self._check_x(v, self.n_visible, "v")
        if self.n_hidden == 0:
            h = v[:, :0]
        elif h is None:
            raise ValueError("this machine has hidden units: pass h of shape (n, n_hidden)")
        h = self._check_x(h, self.n_hidden, "h")
        return self._energy_x(self._join(v, h))

    def _join(self, v, h):
        xp = backend.get_array_module(v)
        return xp.concatenate([v, h], axis=1)

    def _energy_x(self, x):
        """E(x) = −xᵀUx − b̃ᵀx for rows x of shape (n, n_units)."""
        return -((x @ self.U) * x).sum(axis=1) - x @ self.bias

    # ------------------------------------------------------------------ conditionals
    def unit_conditional(self, x, i):
        """P(x_i = 1 | x₋ᵢ) = σ(b̃_i + 2 Σ_j U_ij x_j) for each row of x.

        Parameters
        ----------
        x : array of shape (n_samples, n_units)
            Joint states [v, h] (the value of unit i itself is ignored).
        i : int
            Unit index in [0, n_units) (visible units first).

        Returns
        -------
        array of shape (n_samples,)
        """
        x = self._check_x(x, self.n_units, "x")
        weights, bias = self.as_logistic_regression(i)
        return sigmoid(x @ weights + bias)

    def as_logistic_regression(self, i):
        """The logistic regression that predicts unit i from the others.

        P(x_i = 1 | x₋ᵢ) = σ(wᵀx + β) with w = 2U_{i,:} (w_i = 0, so x_i is ignored) and
        β = b̃_i.

        Returns
        -------
        weights : array of shape (n_units,)
        bias : float
        """
        i = int(i)
        if not 0 <= i < self.n_units:
            raise IndexError(f"unit index {i} out of range [0, {self.n_units})")
        return 2.0 * self.U[i].copy(), float(self.bias[i])

    def gibbs_sweep(self, x, rng=None, n_sweeps=1, clamp_visible=False):
        """Single-site Gibbs sampling, vectorized over chains.

        One sweep visits the units in order i = 0, …, n_units−1 and draws
        x_i ~ Bernoulli(σ(b̃_i + 2 Σ_j U_ij x_j)) using the current values of the others.

        Parameters
        ----------
        x : array of shape (n_chains, n_units)
            Current states (not modified).
        rng : None, int or Generator
        n_sweeps : int
        clamp_visible : bool
            Resample only the hidden units (visible units stay at their values).

        Returns
        -------
        array of shape (n_chains, n_units)
        """
        gen = _rng.as_generator(rng)
        x = backend.asarray(x, self.dtype).copy()
        U2, bt = 2.0 * self.U, self.bias
        units = range(self.n_visible if clamp_visible else 0, self.n_units)
        for _ in range(int(n_sweeps)):
            for i in units:
                p = sigmoid(x @ U2[:, i] + bt[i])
                x[:, i] = (_rng.uniform(gen, p.shape, self.dtype) < p).astype(self.dtype)
        return x

    def sample(self, n_samples, n_sweeps=1000, rng=None, return_hidden=False):
        """Draw approximate samples by ``n_sweeps`` Gibbs sweeps from uniform random states.

        Returns
        -------
        v : array of shape (n_samples, n_visible) (and h of shape (n_samples, n_hidden) when
        ``return_hidden``).
        """
        gen = _rng.as_generator(rng)
        x0 = (_rng.uniform(gen, (int(n_samples), self.n_units), self.dtype) < 0.5).astype(
            self.dtype
        )
        x = self.gibbs_sweep(x0, gen, n_sweeps)
        v, h = x[:, : self.n_visible], x[:, self.n_visible :]
        return (v, h) if return_hidden else v

    # ------------------------------------------------------------------ enumeration
    def _require_exact(self, n):
        if n > MAX_EXACT_UNITS:
            raise ValueError(
                f"exact enumeration of 2**{n} states is too large (limit {MAX_EXACT_UNITS} "
                "units); use sampling (method='sml', sample) instead"
            )

    def log_partition_exact(self):
        """log Z = log Σ_{v,h} exp(−E(v, h)), by enumerating all 2**n_units states."""
        self._require_exact(self.n_units)
        X = binary_states(self.n_units, self.dtype)
        return float(logsumexp(-self._energy_x(X)))

    def probabilities(self):
        """Exact joint P(x) = exp(−E(x)) / Z over all states.

        Returns
        -------
        states : array of shape (2**n_units, n_units)
            All joint states [v, h] (see :func:`binary_states` for the order).
        p : array of shape (2**n_units,)
            Their probabilities (they sum to one).
        """
        self._require_exact(self.n_units)
        xp = backend.get_array_module(self.R)
        X = binary_states(self.n_units, self.dtype)
        neg_e = -self._energy_x(X)
        p = xp.exp(neg_e - logsumexp(neg_e))
        return X, p

    def marginals(self):
        """Exact marginals P(x_i = 1), array of shape (n_units,) (visible units first)."""
        X, p = self.probabilities()
        return p @ X

    def _free_energy_visible(self, v):
        """F(v) = −log Σ_h exp(−E(v, h)) by enumerating h; shape (n_samples,)."""
        base = (v @ self.R * v).sum(axis=1) + v @ self.b
        if self.n_hidden == 0:
            return -base
        self._require_exact(self.n_hidden)
        H = binary_states(self.n_hidden, self.dtype)
        logits = self._hidden_log_weights(v, H)
        return -(base + logsumexp(logits, axis=1))

    def _hidden_log_weights(self, v, H):
        """−E(v, h) + (terms of v only) for every v (rows) and h (columns of H)."""
        return (v @ self.W + self.c) @ H.T + ((H @ self.S) * H).sum(axis=1)[None, :]

    def posterior_hidden(self, v):
        """Exact posterior P(h | v) over all 2**n_hidden hidden states.

        Returns
        -------
        H : array of shape (2**n_hidden, n_hidden)
        q : array of shape (n_samples, 2**n_hidden), rows sum to one
        """
        v = self._check_x(v, self.n_visible, "v")
        self._require_exact(self.n_hidden)
        return self._posterior_hidden(v)

    def _posterior_hidden(self, v):
        xp = backend.get_array_module(v)
        H = binary_states(self.n_hidden, self.dtype)
        logits = self._hidden_log_weights(v, H)
        q = xp.exp(logits - logsumexp(logits, axis=1, keepdims=True))
        return H, q

    def log_likelihood(self, X, log_z=None, per_sample=False):
        """log P(v) = −F(v) − log Z with the hidden units summed out exactly, in nats.

        F(v) = −vᵀRv − bᵀv − log Σ_h exp(vᵀWh + hᵀSh + cᵀh) (enumerating h).

        Parameters
        ----------
        X : array of shape (n_samples, n_visible), binary
        log_z : float, optional
            log Z; computed by :meth:`log_partition_exact` when omitted.
        per_sample : bool, default False
            Return one value per row instead of the mean.

        Returns
        -------
        float (the mean over rows), or array of shape (n_samples,)
        """
        v = self._check_x(X, self.n_visible, "X")
        if log_z is None:
            log_z = self.log_partition_exact()
        ll = -self._free_energy_visible(v) - log_z
        return ll if per_sample else float(ll.mean())

    # ------------------------------------------------------------------ gradients
    def _statistics(self, v, h_weights=None, H=None, h_mean=None):
        """Sufficient statistics averaged over rows: (vvᵀ, vhᵀ, hhᵀ, v, h) expectations.

        Either (H, h_weights) gives a distribution over enumerated hidden states per row
        (h_weights of shape (n, 2**n_hidden)), or h_mean gives factorized hidden means.
        """
        n = v.shape[0]
        vv = v.T @ v / n
        if self.n_hidden == 0:
            xp = backend.get_array_module(v)
            z = xp.zeros((self.n_visible, 0), dtype=self.dtype)
            return vv, z, xp.zeros((0, 0), dtype=self.dtype), v.mean(axis=0), z[0]
        if H is not None:
            Eh = h_weights @ H  # (n, nh)
            w = h_weights.sum(axis=0) / n  # (2**nh,)
            hh = (H * w[:, None]).T @ H
        else:
            Eh = h_mean
            hh = Eh.T @ Eh / n  # mean-field: E[h_i h_j] ≈ μ_i μ_j (i ≠ j; diagonal unused)
        vh = v.T @ Eh / n
        return vv, vh, hh, v.mean(axis=0), Eh.mean(axis=0)

    def positive_phase(self, v):
        """E_data[·] of (vvᵀ, vhᵀ, hhᵀ, v, h) with h ~ P(h | v) (exact for small n_hidden)."""
        if self.n_hidden == 0 or self.n_hidden <= MAX_EXACT_HIDDEN:
            if self.n_hidden == 0:
                return self._statistics(v)
            H, q = self._posterior_hidden(v)
            return self._statistics(v, q, H)
        return self._statistics(v, h_mean=self.mean_field_hidden(v))

    def mean_field_hidden(self, v, n_iter=20, damping=0.5):
        """Damped mean-field posterior μ ← (1−λ)μ + λ σ(c + Wᵀv + 2Sμ), shape (n, n_hidden)."""
        drive = v @ self.W + self.c
        mu = sigmoid(drive)
        for _ in range(int(n_iter)):
            mu = (1 - damping) * mu + damping * sigmoid(drive + 2.0 * mu @ self.S)
        return mu

    def negative_phase_exact(self):
        """E_model[·] of (vvᵀ, vhᵀ, hhᵀ, v, h) by enumerating the joint."""
        X, p = self.probabilities()
        M = (X * p[:, None]).T @ X  # E[x xᵀ]
        m = p @ X
        nv = self.n_visible
        return M[:nv, :nv], M[:nv, nv:], M[nv:, nv:], m[:nv], m[nv:]

    def exact_gradient(self, X):
        """Exact gradient of the mean log-likelihood (1/N) Σ_n log P(v_n).

        Each parameter matrix is treated entrywise (∂/∂R_ij with R_ji a separate entry), so
        the R and S gradients are symmetric; their diagonals are zeroed.

        Parameters
        ----------
        X : array of shape (n_samples, n_visible), binary

        Returns
        -------
        dict with keys "R", "W", "S", "b", "c" (arrays of the parameters' shapes)
        """
        v = self._check_x(X, self.n_visible, "X")
        self._require_exact(self.n_units)
        pos = self.positive_phase(v)
        neg = self.negative_phase_exact()
        return self._grad_from_phases(pos, neg)

    def _grad_from_phases(self, pos, neg):
        xp = backend.get_array_module(self.R)
        g = {k: p - q for k, p, q in zip(("R", "W", "S", "b", "c"), pos, neg)}
        for k in ("R", "S"):
            n = g[k].shape[0]
            g[k] = 0.5 * (g[k] + g[k].T)
            g[k][xp.arange(n), xp.arange(n)] = 0
        return g

    def sml_gradient(self, X, rng=None):
        """Stochastic gradient: exact/mean-field positive phase, persistent chains negative.

        Advances the ``n_chains`` persistent chains (``chains_``) by ``n_gibbs`` sweeps.
        """
        gen = self._rng if rng is None else _rng.as_generator(rng)
        v = self._check_x(X, self.n_visible, "X")
        if self.chains_ is None:
            self.chains_ = (
                _rng.uniform(gen, (self.n_chains, self.n_units), self.dtype) < 0.5
            ).astype(self.dtype)
        self.chains_ = self.gibbs_sweep(self.chains_, gen, self.n_gibbs)
        xs = self.chains_
        nv = self.n_visible
        vs, hs = xs[:, :nv], xs[:, nv:]
        n = xs.shape[0]
        neg = (vs.T @ vs / n, vs.T @ hs / n, hs.T @ hs / n, vs.mean(axis=0), hs.mean(axis=0))
        return self._grad_from_phases(self.positive_phase(v), neg)

    # ------------------------------------------------------------------ training
    def partial_fit(self, X):
        """One gradient-ascent step on the minibatch X (shape (n, n_visible)); returns self.

        θ ← θ + Δθ,  Δθ = momentum·Δθ + learning_rate·(∇θ mean log P(v) − weight_decay·θ),
        after which R and S are re-symmetrized with zero diagonal.
        """
        g = self.exact_gradient(X) if self.method == "exact" else self.sml_gradient(X)
        if self._velocity is None:
            self._velocity = {k: 0 * getattr(self, k) for k in g}
        xp = backend.get_array_module(self.R)
        for k in ("R", "W", "S", "b", "c"):
            step = g[k]
            if k in ("R", "W", "S") and self.weight_decay:
                step = step - self.weight_decay * getattr(self, k)
            self._velocity[k] = self.momentum * self._velocity[k] + self.learning_rate * step
            setattr(self, k, (getattr(self, k) + self._velocity[k]).astype(self.dtype))
        self.R = _sym_zero_diag(xp, self.R)
        self.S = _sym_zero_diag(xp, self.S)
        return self

    def fit(self, X):
        """Maximum-likelihood training for ``n_epochs`` passes over X; returns self.

        Parameters
        ----------
        X : array of shape (n_samples, n_visible), binary
        """
        v = self._check_x(X, self.n_visible, "X")
        n = v.shape[0]
        bs = n if self.batch_size is None else int(self.batch_size)
        for epoch in range(self.n_epochs):
            order = self._rng.permutation(n) if bs < n else np.arange(n)
            for start in range(0, n, bs):
                self.partial_fit(v[backend.asarray(order[start : start + bs])])
            if self.n_units <= MAX_EXACT_UNITS and self.method == "exact":
                self.history_.append(self.log_likelihood(v))
                if self.verbose:
                    print(f"epoch {epoch + 1}: mean log-likelihood {self.history_[-1]:.4f}")
        return self

    # ------------------------------------------------------------------ persistence
    def save(self, path):
        """Write the parameters and hyperparameters to ``path`` (.npz; temp file, rename).

        Through :func:`tinygen.io.save_npz` (a ``.npz`` suffix is added when missing);
        returns the path written.
        """
        arrays = {k: backend.to_numpy(getattr(self, k)) for k in ("R", "W", "S", "b", "c")}
        meta = {
            "n_visible": self.n_visible,
            "n_hidden": self.n_hidden,
            "learning_rate": self.learning_rate,
            "n_chains": self.n_chains,
            "n_gibbs": self.n_gibbs,
            "n_epochs": self.n_epochs,
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
        }
        for k, val in meta.items():
            arrays["meta_" + k] = np.asarray(val)
        arrays["meta_method"] = np.asarray(self.method)
        return save_npz(path, arrays)

    @classmethod
    def load(cls, path):
        """Load a machine written by :meth:`save` (``allow_pickle=False``).

        Raises ``FileNotFoundError`` for a missing file and :class:`tinygen.io.CheckpointError`
        (a ``ValueError``) for a corrupt one or one that lacks the machine's arrays.
        """
        path = Path(path)
        d = load_npz(path, required=("R", "W", "S", "b", "c", "meta_n_visible", "meta_method"))
        ints = ("n_visible", "n_hidden", "n_chains", "n_gibbs", "n_epochs")
        kw = {k[5:]: d[k].item() for k in d if k.startswith("meta_")}
        for k in ints:
            kw[k] = int(kw[k])
        kw["method"] = str(kw["method"])
        model = cls(kw.pop("n_visible"), kw.pop("n_hidden"), dtype=d["W"].dtype, **kw)
        return model.set_params(R=d["R"], W=d["W"], S=d["S"], b=d["b"], c=d["c"])
