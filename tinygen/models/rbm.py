"""The restricted Boltzmann machine (Bernoulli visible and hidden units).

Lesson: ``lessons/rbm.py`` (§1 energy and joint, §2 factorized conditionals, §3 free
energy, §4 log-likelihood gradient, §5 CD versus PCD, §6 partition function and AIS).

Notation of the Deep Learning book, chapter 20: visible units v ∈ {0,1}ⁿ, hidden units
h ∈ {0,1}ᵐ, weights ``W`` of shape (n_visible, n_hidden), visible bias ``b``, hidden bias
``c``, and

    E(v, h) = −bᵀv − cᵀh − vᵀWh,        P(v, h) = exp(−E(v, h)) / Z.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import backend
from ..io import load_npz, save_npz
from ..numerics import logsumexp, sigmoid, softplus
from ..rng import as_generator, normal, uniform
from . import ais as _ais
from ._common import as_rows, check_rbm_sizes
from ._enumerate import MAX_ENUMERATE, iter_binary

__all__ = ["RBM"]

_METHODS = ("cd", "pcd", "ratio_matching")
_SCHEDULES = (None, "constant", "linear", "exponential")


# --------------------------------------------------------------------------- helpers
def _bernoulli_(p, rng, xp):
    """Replace probabilities ``p`` by samples 1[u < p], u ~ U[0,1) of p's dtype, in place."""
    u = uniform(rng, p.shape, p.dtype)
    xp.less(u, p, out=p)
    return p


class RBM:
    r"""Restricted Boltzmann machine with binary visible and hidden units.

    .. math::

        E(v, h) = -b^\top v - c^\top h - v^\top W h, \qquad
        P(h_j = 1 \mid v) = \sigma(c_j + v^\top W_{:,j}), \qquad
        P(v_i = 1 \mid h) = \sigma(b_i + W_{i,:} h),

        F(v) = -b^\top v - \sum_j \operatorname{softplus}(c_j + v^\top W_{:,j}),
        \qquad P(v) = e^{-F(v)} / Z.

    Parameters
    ----------
    n_visible, n_hidden : int
        Numbers of visible and hidden units.
    learning_rate : float, default 0.05
        Step size ε of the (stochastic) gradient ascent on the mean log-likelihood
        (for ``"ratio_matching"``: descent on the ratio-matching loss).
    k : int, default 1
        Gibbs steps in the negative phase (CD-k, PCD-k).
    method : {"cd", "pcd", "ratio_matching"}, default "cd"
        Contrastive divergence (chains start at the data), persistent contrastive
        divergence / stochastic maximum likelihood (chains persist across updates), or
        Hyvärinen's ratio matching (no sampling; autograd reference path, small models).
    batch_size : int, default 100
    n_epochs : int, default 10
        Passes over the data made by :meth:`fit`.
    momentum : float, default 0.5
        Velocity update Δθ ← μΔθ + ε(∇θ − λθ_W), θ ← θ + Δθ (Hinton 2010, §9).
    weight_decay : float, default 1e-4
        L2 coefficient λ applied to ``W`` only (not to the biases), Hinton 2010 §10.
    lr_schedule : None, "constant", "linear", "exponential" or callable
        Learning rate of epoch t (0-based) of a :meth:`fit` of T epochs: constant ε;
        ``"linear"``: ε(1 − t/T); ``"exponential"``: ε·0.1^(t/T) (tenfold fall over the
        run); a callable ``f(t) -> float`` gives the rate itself.
    n_persistent : int or None
        Number of persistent chains for PCD (default ``batch_size``).
    random_state : None, int or numpy Generator
        Seeds the initial weights and every sampling step.
    verbose : bool, default False
        Print the reconstruction error and time of each epoch.
    dtype : numpy dtype or None
        Parameter dtype (default: the backend's default, float32).

    Attributes
    ----------
    W : array of shape (n_visible, n_hidden)
        Initialised from N(0, 0.01²).
    b : array of shape (n_visible,)
        Zero until the first fit sets it to the data's log-odds log p/(1 − p).
    c : array of shape (n_hidden,)
        Zero.
    base_rate_ : ndarray of shape (n_visible,) or None
        Log-odds of the data marginals (smoothed), recorded by :meth:`fit`; the visible
        biases of the base-rate model of AIS.
    persistent_ : array of shape (n_persistent, n_visible) or None
        PCD's chains.
    history_ : dict of lists
        ``"reconstruction_error"`` (mean over the epoch) and ``"learning_rate"`` per epoch.

    References
    ----------
    .. [1] Goodfellow, Bengio, Courville, *Deep Learning*, MIT Press 2016, §16.7.1, §18.2,
       §18.4, §20.2.
    .. [2] Hinton, "Training products of experts by minimizing contrastive divergence",
       Neural Computation 14, 2002.
    .. [3] Tieleman, "Training restricted Boltzmann machines using approximations to the
       likelihood gradient", ICML 2008.
    .. [4] Hinton, "A practical guide to training restricted Boltzmann machines",
       UTML TR 2010-003.
    .. [5] Hyvärinen, "Some extensions of score matching", Computational Statistics & Data
       Analysis 51, 2007.
    .. [6] Salakhutdinov, Murray, "On the quantitative analysis of deep belief networks",
       ICML 2008.
    """

    def __init__(
        self,
        n_visible,
        n_hidden,
        *,
        learning_rate=0.05,
        k=1,
        method="cd",
        batch_size=100,
        n_epochs=10,
        momentum=0.5,
        weight_decay=1e-4,
        lr_schedule=None,
        n_persistent=None,
        random_state=None,
        verbose=False,
        dtype=None,
    ):
        self.n_visible, self.n_hidden = check_rbm_sizes(n_visible, n_hidden, k)
        if method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if not (callable(lr_schedule) or lr_schedule in _SCHEDULES):
            raise ValueError(
                f"lr_schedule must be one of {_SCHEDULES} or a callable, got {lr_schedule!r}"
            )
        if not 0.0 <= float(momentum) < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.learning_rate = float(learning_rate)
        self.k = int(k)
        self.method = method
        self.batch_size = int(batch_size)
        self.n_epochs = int(n_epochs)
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        self.lr_schedule = lr_schedule
        self.n_persistent = None if n_persistent is None else int(n_persistent)
        self.verbose = bool(verbose)
        self.dtype = np.dtype(backend.get_default_dtype() if dtype is None else dtype)
        if self.dtype.kind != "f":
            raise ValueError(f"dtype must be a floating dtype, got {self.dtype}")
        self.random_state = random_state
        self.rng_ = as_generator(random_state)

        xp = backend.xp()
        self.W = normal(self.rng_, (self.n_visible, self.n_hidden), self.dtype)
        self.W *= self.dtype.type(0.01)
        self.b = xp.zeros(self.n_visible, dtype=self.dtype)
        self.c = xp.zeros(self.n_hidden, dtype=self.dtype)
        self._vW = xp.zeros_like(self.W)
        self._vb = xp.zeros_like(self.b)
        self._vc = xp.zeros_like(self.c)
        self._buffers = {}
        self.base_rate_ = None
        self.persistent_ = None
        self.n_updates_ = 0
        self.epochs_done_ = 0
        self._lr = self.learning_rate
        self.history_ = {"reconstruction_error": [], "learning_rate": []}

    # ------------------------------------------------------------------ utilities
    @property
    def _xp(self):
        return backend.get_array_module(self.W)

    def _as_input(self, X, name="X", check_binary=True, n_cols=None):
        """``X`` checked (shape, numbers, finite and, with ``check_binary``, 0/1) and
        converted to the parameter dtype on the backend: :func:`~tinygen.models._common.as_rows`."""
        n_cols = self.n_visible if n_cols is None else n_cols
        return as_rows(
            X,
            n_cols,
            self.dtype,
            name=name,
            model="RBM",
            check_binary=check_binary,
            real_valued="GaussianBernoulliRBM",
        )

    def _work(self, name, shape):
        """A reusable scratch array (no allocation, hence no page faults, per update)."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape != tuple(shape):
            buf = self._buffers[name] = self._xp.empty(shape, dtype=self.dtype)
        return buf

    # ------------------------------------------------------------------ energies
    def energy(self, v, h):
        """E(v, h) = −bᵀv − cᵀh − vᵀWh, per row.

        Parameters
        ----------
        v : array of shape (n_samples, n_visible)
        h : array of shape (n_samples, n_hidden)

        Returns
        -------
        array of shape (n_samples,)
        """
        v = self._as_input(v, "v", check_binary=False)
        h = self._as_input(h, "h", check_binary=False, n_cols=self.n_hidden)
        if v.shape[0] != h.shape[0]:
            raise ValueError(f"v and h need as many rows, got {v.shape[0]} and {h.shape[0]}")
        return -(v @ self.b) - (h @ self.c) - ((v @ self.W) * h).sum(axis=1)

    def free_energy(self, v):
        """F(v) = −log Σ_h exp(−E(v, h)) = −bᵀv − Σ_j softplus(c_j + vᵀW₍:,j₎).

        Parameters
        ----------
        v : array of shape (n_samples, n_visible)

        Returns
        -------
        array of shape (n_samples,)
        """
        v = self._as_input(v, "v", check_binary=False)
        return self._free_energy(v)

    def _free_energy(self, v):
        return -(v @ self.b) - softplus(v @ self.W + self.c).sum(axis=1)

    # ------------------------------------------------------------------ conditionals
    def _p_h(self, v, beta=None):
        a = v @ self.W
        a += self.c
        if beta is not None:
            a *= beta
        return sigmoid(a)

    def _p_v(self, h):
        a = h @ self.W.T
        a += self.b
        return sigmoid(a)

    def p_h_given_v(self, v):
        """P(h_j = 1 | v) = σ(c_j + vᵀW₍:,j₎); the hidden units are independent given v.

        Parameters
        ----------
        v : array of shape (n_samples, n_visible)

        Returns
        -------
        array of shape (n_samples, n_hidden)
        """
        return self._p_h(self._as_input(v, "v", check_binary=False))

    def p_v_given_h(self, h):
        """P(v_i = 1 | h) = σ(b_i + W₍i,:₎h); the visible units are independent given h.

        Parameters
        ----------
        h : array of shape (n_samples, n_hidden)

        Returns
        -------
        array of shape (n_samples, n_visible)
        """
        return self._p_v(self._as_input(h, "h", check_binary=False, n_cols=self.n_hidden))

    def sample_h_given_v(self, v, rng=None):
        """Draw h ~ P(h | v) (independent Bernoulli units); 0/1 array (n_samples, n_hidden)."""
        rng = self.rng_ if rng is None else as_generator(rng)
        return _bernoulli_(self.p_h_given_v(v), rng, self._xp)

    def sample_v_given_h(self, h, rng=None):
        """Draw v ~ P(v | h) (independent Bernoulli units); 0/1 array (n_samples, n_visible)."""
        rng = self.rng_ if rng is None else as_generator(rng)
        return _bernoulli_(self.p_v_given_h(h), rng, self._xp)

    def _gibbs(self, v, k, rng):
        """k steps of block Gibbs v → h → v'; returns (v_k, h_{k-1}), v_k the last sample."""
        xp = self._xp
        h = None
        for _ in range(k):
            h = _bernoulli_(self._p_h(v), rng, xp)
            v = _bernoulli_(self._p_v(h), rng, xp)
        return v, h

    def gibbs(self, v, k=1, rng=None, return_hidden=False):
        """Run k steps of block Gibbs sampling h ~ P(h|v), v ~ P(v|h) from ``v``.

        Parameters
        ----------
        v : array of shape (n_samples, n_visible)
            Starting states (any values in [0, 1] are accepted as a start).
        k : int, default 1
        rng : None, int or Generator
            Defaults to the model's generator.
        return_hidden : bool, default False
            Also return the hidden sample h that produced the final v.

        Returns
        -------
        v : array of shape (n_samples, n_visible)
        h : array of shape (n_samples, n_hidden), only if ``return_hidden``
        """
        rng = self.rng_ if rng is None else as_generator(rng)
        v = self._as_input(v, "v", check_binary=False)
        if int(k) < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        v, h = self._gibbs(v, int(k), rng)
        return (v, h) if return_hidden else v

    # ------------------------------------------------------------------ gradients
    def _gradients(self, v_data, v_model, ph_data=None, ph_model=None, scale=1.0, out=None):
        r"""Positive minus negative phase statistics: the (stochastic) log-likelihood gradient.

        .. math::

            \Delta W = \langle v\, P(h{=}1|v)^\top\rangle_{data}
                     - \langle v\, P(h{=}1|v)^\top\rangle_{model},\quad
            \Delta b = \langle v\rangle_{data} - \langle v\rangle_{model},\quad
            \Delta c = \langle P(h{=}1|v)\rangle_{data} - \langle P(h{=}1|v)\rangle_{model}.

        These are exactly −∇θ [mean F(v_data) − mean F(v_model)] with v_model held fixed,
        since ∂F/∂W = −v σ(c + vW)ᵀ, ∂F/∂b = −v, ∂F/∂c = −σ(c + vW). The hidden statistics
        use the probabilities P(h|v) rather than samples (Rao-Blackwellised, less noise;
        Hinton 2010 §3).

        Parameters
        ----------
        v_data : array of shape (n_data, n_visible)
        v_model : array of shape (n_model, n_visible)
            Negative-phase samples (CD: k Gibbs steps from the data; PCD: the chains).
        ph_data, ph_model : arrays of shape (n_data | n_model, n_hidden), optional
            P(h=1|v) if already computed.
        scale : float, default 1
            Multiplies all three results (``fit`` passes the learning rate, folded into
            the GEMM).
        out : array of shape (n_visible, n_hidden), optional
            Where to write dW (``fit`` reuses one buffer).

        Returns
        -------
        dW : array of shape (n_visible, n_hidden)
        db : array of shape (n_visible,)
        dc : array of shape (n_hidden,)
        """
        if ph_data is None:
            ph_data = self._p_h(v_data)
        if ph_model is None:
            ph_model = self._p_h(v_model)
        xp = self._xp
        n, m = v_data.shape[0], v_model.shape[0]
        s = self.dtype.type(scale)
        # NOTE: one GEMM [v_data; v_model]ᵀ [ph_data·s/n; −ph_model·s/m] instead of two GEMMs,
        # a subtraction and a scaling pass: fewer passes over the (n_visible, n_hidden) array.
        V = xp.concatenate((v_data, v_model))
        P = xp.concatenate((ph_data * (s / n), ph_model * (-s / m)))
        dW = V.T @ P if out is None else xp.matmul(V.T, P, out=out)
        db = v_data.sum(axis=0) * (s / n) - v_model.sum(axis=0) * (s / m)
        dc = P.sum(axis=0)
        return dW, db, dc

    def _ratio_matching_gradients(self, v):
        r"""−∇θ of the ratio-matching loss, by tinygen autograd (the reference path).

        .. math::

            J(\theta) = \frac1N \sum_{n}\sum_{i=1}^{n_v}
                \Big(1 + \frac{\tilde p(v)}{\tilde p(f(v,i))}\Big)^{-2}
              = \frac1N \sum_n\sum_i \sigma\big(F(v) - F(f(v,i))\big)^2,

        f(v, i) flipping bit i. With a = c + vW and d_i = 1 − 2v_i,
        F(v) − F(f(v,i)) = d_i b_i + Σ_j [softplus(a_j + d_i W_ij) − softplus(a_j)].
        Memory O(batch × n_visible × n_hidden): meant for small models.
        """
        from .. import functional as F  # noqa: PLC0415  (optional reference path)
        from ..autograd import Tensor  # noqa: PLC0415

        W = Tensor(self.W, requires_grad=True)
        b = Tensor(self.b, requires_grad=True)
        c = Tensor(self.c, requires_grad=True)
        n, nv, nh = v.shape[0], self.n_visible, self.n_hidden
        d = 1.0 - 2.0 * v  # (n, nv), constant
        a = Tensor(v) @ W + c  # (n, nh)
        shifted = a.reshape(n, 1, nh) + Tensor(d.reshape(n, nv, 1)) * W.reshape(1, nv, nh)
        diff = (
            Tensor(d) * b
            + F.softplus(shifted).sum(axis=2)
            - F.softplus(a).sum(axis=1, keepdims=True)
        )
        loss = (diff.sigmoid() ** 2).sum() * (1.0 / n)
        loss.backward()
        self.last_ratio_matching_loss_ = float(loss.item())
        return -W.grad, -b.grad, -c.grad

    # ------------------------------------------------------------------ training
    def _init_from_data(self, X):
        """First fit: b ← log p/(1 − p) of the data marginals (Hinton 2010 §8)."""
        xp = self._xp
        X = backend.to_numpy(X)
        self.base_rate_ = _ais.base_rate(X, smoothing=0.05)
        if self.n_updates_ == 0:
            self.b[...] = xp.asarray(_ais.base_rate(X, smoothing=1e-3).astype(self.dtype))

    def _init_persistent(self):
        n = self.batch_size if self.n_persistent is None else self.n_persistent
        p = sigmoid(_tile(self.b, n, self._xp))
        self.persistent_ = _bernoulli_(p, self.rng_, self._xp)

    def _update(self, v_data):
        """One parameter update from the mini-batch ``v_data`` (already validated)."""
        xp, rng = self._xp, self.rng_
        if self.method == "ratio_matching":
            dW, db, dc = self._ratio_matching_gradients(v_data)
            lr = self.dtype.type(self._lr)
            dW, db, dc = dW * lr, db * lr, dc * lr
        else:
            ph_data = self._p_h(v_data)
            if self.method == "cd":
                h = _bernoulli_(ph_data.copy(), rng, xp)
                v_model = _bernoulli_(self._p_v(h), rng, xp)
                if self.k > 1:
                    v_model, _ = self._gibbs(v_model, self.k - 1, rng)
            else:
                if self.persistent_ is None:
                    self._init_persistent()
                v_model, _ = self._gibbs(self.persistent_, self.k, rng)
                self.persistent_ = v_model
            dW, db, dc = self._gradients(
                v_data, v_model, ph_data, scale=self._lr, out=self._work("dW", self.W.shape)
            )
        lr, mu = self.dtype.type(self._lr), self.dtype.type(self.momentum)
        # overflow is reported below as one clear error rather than as numpy warnings
        with np.errstate(over="ignore", invalid="ignore"):
            for vel, step, param in (
                (self._vW, dW, self.W),
                (self._vb, db, self.b),
                (self._vc, dc, self.c),
            ):
                wd = self.weight_decay if param is self.W else 0.0
                if mu:  # v ← μ v + Δθ − lr·λ θ;  θ ← θ + v
                    vel *= mu
                    vel += step
                    if wd:
                        decay = self._work("decay", param.shape)
                        vel -= xp.multiply(param, lr * self.dtype.type(wd), out=decay)
                    param += vel
                else:  # the same with v = 0 before the step, in two passes fewer
                    if wd:
                        param *= self.dtype.type(1.0) - lr * self.dtype.type(wd)
                    param += step
            # (a sum is a cheap finiteness check: NaN or ±inf anywhere makes it non-finite)
            # W is summed every 16th update only: a NaN or inf in W reaches c (through
            # σ(c + vW)) at the next update anyway
            check = (self.W, self.b, self.c) if self.n_updates_ % 16 == 0 else (self.b, self.c)
            finite = all(bool(xp.isfinite(p.sum())) for p in check)
        self.n_updates_ += 1
        if not finite:
            raise FloatingPointError(
                f"the RBM parameters became NaN or infinite after update {self.n_updates_} "
                f"(learning_rate={self._lr:g}, method={self.method!r}); lower the learning "
                "rate (or the momentum) and fit again from a fresh model"
            )

    def _schedule_lr(self, epoch, n_epochs):
        s = self.lr_schedule
        if callable(s):
            return float(s(epoch))
        if s in (None, "constant"):
            return self.learning_rate
        frac = epoch / max(n_epochs, 1)
        if s == "linear":
            return self.learning_rate * (1.0 - frac)
        return self.learning_rate * 0.1**frac

    def partial_fit(self, X_batch):
        """One parameter update on the mini-batch ``X_batch``.

        Parameters
        ----------
        X_batch : array of shape (batch_size, n_visible) with 0/1 entries

        Returns
        -------
        self
        """
        v = self._as_input(X_batch, "X_batch")
        if self.base_rate_ is None:
            self._init_from_data(v)
        self._update(v)
        return self

    def fit(self, X, y=None, callback=None):
        """Train for ``n_epochs`` passes of mini-batch updates over ``X``.

        Repeated calls continue from the current parameters (a warm start); the visible
        biases are set from the data marginals on the first call only.

        Parameters
        ----------
        X : array of shape (n_samples, n_visible) with 0/1 entries
        y : ignored
        callback : callable ``f(model, epoch)``, optional
            Called after every epoch (e.g. to record an exact log-likelihood curve).

        Returns
        -------
        self
        """
        X = self._as_input(X, "X")
        xp = self._xp
        if self.base_rate_ is None or self.n_updates_ == 0:
            self._init_from_data(X)
        n = X.shape[0]
        bs = min(self.batch_size, n)
        n_batches = max(1, n // bs)
        buf = xp.empty((bs, self.n_visible), dtype=self.dtype)
        for epoch in range(self.n_epochs):
            t0 = time.perf_counter()
            self._lr = self._schedule_lr(epoch, self.n_epochs)
            perm = self.rng_.permutation(n)
            for i in range(n_batches):
                idx = perm[i * bs : (i + 1) * bs]
                if xp is np:
                    np.take(X, idx, axis=0, out=buf)
                else:
                    buf = X[xp.asarray(idx)]
                self._update(buf)
            self.epochs_done_ += 1
            err = self.reconstruction_error(X[: min(n, 1000)])
            self.history_["reconstruction_error"].append(err)
            self.history_["learning_rate"].append(self._lr)
            if self.verbose:
                print(
                    f"[RBM] epoch {self.epochs_done_}: reconstruction error {err:.4f}, "
                    f"lr {self._lr:.4g}, {time.perf_counter() - t0:.2f} s"
                )
            if callback is not None:
                callback(self, epoch)
        return self

    # ------------------------------------------------------------------ monitors
    def transform(self, X):
        """Hidden features P(h = 1 | v), of shape (n_samples, n_hidden)."""
        return self.p_h_given_v(X)

    def reconstruction_error(self, X):
        """Mean squared error Σ_i (v_i − P(v_i=1|h))² / n_visible with h ~ P(h|v), averaged.

        A cheap monitor, not the training objective (Hinton 2010 §5): uses one sampled h.
        """
        v = self._as_input(X, "X", check_binary=False)
        xp = self._xp
        h = _bernoulli_(self._p_h(v), self.rng_, xp)
        r = self._p_v(h)
        r -= v
        return float(xp.mean(r * r))

    def pseudo_likelihood(self, X, rng=None, exact=False):
        """Log pseudo-likelihood Σ_i log P(v_i | v_₋ᵢ), per sample.

        log P(v_i | v_₋ᵢ) = log σ(F(f(v,i)) − F(v)), f(v, i) flipping bit i.

        * ``exact=False`` (default, as scikit-learn's ``BernoulliRBM.score_samples``): one
          random bit i per sample, scaled by n_visible — an unbiased stochastic estimate
          n_v · log σ(F(f(v,i)) − F(v)).
        * ``exact=True``: the sum over all n_visible flips (cost O(n · n_v · n_h)).

        Parameters
        ----------
        X : array of shape (n_samples, n_visible), binary
        rng : None, int or Generator
        exact : bool

        Returns
        -------
        ndarray of shape (n_samples,) (float64, on the host)
        """
        v = backend.to_numpy(self._as_input(X, "X")).astype(np.float64)
        W, b, c = (backend.to_numpy(p).astype(np.float64) for p in (self.W, self.b, self.c))
        a = v @ W + c
        fe = -(v @ b) - softplus(a).sum(axis=1)
        n, nv = v.shape
        if not exact:
            rng = self.rng_ if rng is None else as_generator(rng)
            i = rng.integers(0, nv, size=n)
            d = 1.0 - 2.0 * v[np.arange(n), i]
            fe_flip = -(v @ b) - d * b[i] - softplus(a + d[:, None] * W[i]).sum(axis=1)
            return -nv * softplus(fe - fe_flip)  # n_v · log σ(F(f(v,i)) − F(v))
        out = np.zeros(n)
        chunk = max(1, int(2**22 // max(1, nv * W.shape[1])))
        for s in range(0, n, chunk):
            vs, as_, fs = v[s : s + chunk], a[s : s + chunk], fe[s : s + chunk]
            d = 1.0 - 2.0 * vs  # (B, nv)
            fe_flip = (
                -(vs @ b)[:, None]
                - d * b
                - softplus(as_[:, None, :] + d[:, :, None] * W[None]).sum(axis=2)
            )
            out[s : s + chunk] = -softplus(fs[:, None] - fe_flip).sum(axis=1)
        return out

    # ------------------------------------------------------------------ partition function
    def _params64(self):
        return tuple(backend.to_numpy(p).astype(np.float64) for p in (self.W, self.b, self.c))

    def log_partition_exact(self, chunk_size=1 << 15):
        r"""log Z in closed form, summing over the smaller layer exactly (float64).

        If m = n_hidden ≤ n_visible:

        .. math:: \log Z = \log\sum_{h} \exp\Big(c^\top h + \sum_i
                  \operatorname{softplus}(b_i + W_{i,:}h)\Big),

        else the symmetric sum Σ_v exp(−F(v)). Vectorized over the 2^m configurations in
        chunks of ``chunk_size``.

        Raises
        ------
        ValueError
            If the smaller layer has more than 25 units (use :meth:`ais_log_partition`).
        """
        W, b, c = self._params64()
        if self.n_hidden <= self.n_visible:
            M, inner, outer = W.T, b, c  # enumerate h: inner softplus over visible units
        else:
            M, inner, outer = W, c, b  # enumerate v
        m = M.shape[0]
        if m > MAX_ENUMERATE:
            raise ValueError(
                f"log_partition_exact enumerates 2**{m} states of the smaller layer; more than "
                f"{MAX_ENUMERATE} units is intractable — use ais_log_partition() instead"
            )
        parts = []
        for S in iter_binary(m, chunk_size):
            parts.append(float(logsumexp(S @ outer + softplus(S @ M + inner).sum(axis=1))))
        return float(logsumexp(np.array(parts)))

    def ais_log_partition(self, n_betas=14500, n_runs=100, base_rate=None, rng=None):
        """Estimate log Z by annealed importance sampling from a base-rate model.

        See :func:`tinygen.models.ais.rbm_ais` for the intermediate distributions and
        transitions (Salakhutdinov & Murray 2008, §4.1).

        Parameters
        ----------
        n_betas : int, default 14500
            Number of inverse temperatures, 0 = β₀ < … < β_K = 1.
        n_runs : int, default 100
            Independent annealing runs M.
        base_rate : array of shape (n_visible,) or None
            Visible biases b_A of the base-rate model (default ``self.base_rate_`` recorded
            by :meth:`fit`, or zeros if the model was never fitted).
        rng : None, int or Generator

        Returns
        -------
        log_z : float
        interval : (float, float)
            log(Ẑ ∓ 3σ̂) with σ̂ the standard error of the mean importance weight (the lower
            end is −inf when Ẑ − 3σ̂ ≤ 0).
        """
        rng = self.rng_ if rng is None else as_generator(rng)
        if base_rate is None:
            base_rate = self.base_rate_ if self.base_rate_ is not None else np.zeros(self.n_visible)
        base_rate = np.asarray(backend.to_numpy(base_rate), dtype=np.float64)
        if base_rate.shape != (self.n_visible,):
            raise ValueError(
                f"base_rate must have shape ({self.n_visible},), got {base_rate.shape}"
            )
        return _ais.rbm_ais(
            self.W, self.b, self.c, base_rate, n_betas=n_betas, n_runs=n_runs, rng=rng
        )

    def log_likelihood(self, X, log_z, per_sample=False):
        """log P(v) = −F(v) − log Z in nats, averaged over rows (or per row).

        Parameters
        ----------
        X : array of shape (n_samples, n_visible), binary
        log_z : float
            From :meth:`log_partition_exact` or :meth:`ais_log_partition`.
        per_sample : bool, default False

        Returns
        -------
        float, or ndarray of shape (n_samples,) (float64)
        """
        v = backend.to_numpy(self._as_input(X, "X")).astype(np.float64)
        W, b, c = self._params64()
        ll = v @ b + softplus(v @ W + c).sum(axis=1) - float(log_z)
        return ll if per_sample else float(ll.mean())

    # ------------------------------------------------------------------ sampling
    def sample(self, n, n_gibbs=1000, rng=None, v0=None, return_probabilities=False):
        """Draw ``n`` samples by running ``n_gibbs`` block Gibbs steps.

        Chains start from the base-rate distribution v ~ Bernoulli(σ(b)) unless ``v0``.

        Parameters
        ----------
        n : int
        n_gibbs : int, default 1000
        rng : None, int or Generator
        v0 : array of shape (n, n_visible), optional
        return_probabilities : bool, default False
            Return P(v = 1 | h) of the last step (smoother pictures) instead of the binary v.

        Returns
        -------
        array of shape (n, n_visible)
        """
        rng = self.rng_ if rng is None else as_generator(rng)
        xp = self._xp
        if v0 is None:
            v = _bernoulli_(sigmoid(_tile(self.b, int(n), xp)), rng, xp)
        else:
            v = self._as_input(v0, "v0", check_binary=False)
        h = _bernoulli_(self._p_h(v), rng, xp)
        for _ in range(max(int(n_gibbs), 1) - 1):
            v = _bernoulli_(self._p_v(h), rng, xp)
            h = _bernoulli_(self._p_h(v), rng, xp)
        pv = self._p_v(h)
        return pv if return_probabilities else _bernoulli_(pv, rng, xp)

    def complete(self, v, mask, n_gibbs=200, rng=None):
        """Fill the occluded entries of ``v`` by clamped Gibbs sampling.

        Entries where ``mask`` is True are resampled from P(v|h) at each step; the others
        stay clamped to their observed values. Returns the mean-field P(v = 1 | h) of the
        last step on the occluded entries (the observed ones copied), for display.

        Parameters
        ----------
        v : array of shape (n_samples, n_visible)
            Observed images (occluded entries may hold anything in [0, 1]).
        mask : bool array of shape (n_samples, n_visible) or (n_visible,)
            True where the value is missing.
        n_gibbs : int, default 200
        rng : None, int or Generator

        Returns
        -------
        array of shape (n_samples, n_visible) with values in [0, 1]
        """
        rng = self.rng_ if rng is None else as_generator(rng)
        xp = self._xp
        v = self._as_input(v, "v", check_binary=False).copy()
        mask = xp.asarray(backend.to_numpy(mask).astype(bool))
        if mask.shape not in (v.shape, (self.n_visible,)):
            raise ValueError(
                f"mask must have shape {v.shape} or ({self.n_visible},), got {mask.shape}"
            )
        mask = xp.broadcast_to(mask, v.shape)
        init = _bernoulli_(sigmoid(_tile(self.b, v.shape[0], xp)), rng, xp)
        v = xp.where(mask, init, v).astype(self.dtype)
        observed = v.copy()
        pv = v
        for _ in range(max(int(n_gibbs), 1)):
            h = _bernoulli_(self._p_h(v), rng, xp)
            pv = self._p_v(h)
            v = xp.where(mask, _bernoulli_(pv.copy(), rng, xp), observed)
        return xp.where(mask, pv, observed)

    # ------------------------------------------------------------------ persistence
    _HYPER = (
        "n_visible",
        "n_hidden",
        "learning_rate",
        "k",
        "method",
        "batch_size",
        "n_epochs",
        "momentum",
        "weight_decay",
    )

    def save(self, path):
        """Write the parameters and hyperparameters to ``path`` (.npz), atomically.

        Through :func:`tinygen.io.save_npz`: a temporary file in the same folder, renamed
        over ``path``, so an interrupted save never leaves a half-written checkpoint. A
        ``.npz`` suffix is added when missing; returns the path written.
        """
        arrays = {
            "W": backend.to_numpy(self.W),
            "b": backend.to_numpy(self.b),
            "c": backend.to_numpy(self.c),
            "dtype": np.array(self.dtype.name),
            "class": np.array("RBM"),
            "n_updates_": np.array(self.n_updates_),
            "epochs_done_": np.array(self.epochs_done_),
            "lr_schedule": np.array(self.lr_schedule if isinstance(self.lr_schedule, str) else ""),
        }
        for name in self._HYPER:
            arrays["hp_" + name] = np.array(getattr(self, name))
        if self.base_rate_ is not None:
            arrays["base_rate_"] = np.asarray(self.base_rate_)
        if self.persistent_ is not None:
            arrays["persistent_"] = backend.to_numpy(self.persistent_)
        return save_npz(path, arrays)

    @classmethod
    def load(cls, path, random_state=None):
        """Load a model written by :meth:`save` (``allow_pickle=False``)."""
        path = Path(path)
        data = load_npz(path)
        if str(data.get("class", "")) != "RBM" or "W" not in data:
            raise ValueError(f"{path} is not an RBM checkpoint (written by RBM.save)")
        hp = {name: data["hp_" + name].item() for name in cls._HYPER}
        sched = str(data["lr_schedule"]) or None
        model = cls(
            hp.pop("n_visible"),
            hp.pop("n_hidden"),
            **hp,
            lr_schedule=sched,
            random_state=random_state,
            dtype=str(data["dtype"]),
        )
        W, b, c = data["W"], data["b"], data["c"]
        if W.shape != (model.n_visible, model.n_hidden) or b.shape != (model.n_visible,):
            raise ValueError(f"{path}: parameter shapes do not match the stored sizes")
        model.W = backend.asarray(W, model.dtype)
        model.b = backend.asarray(b, model.dtype)
        model.c = backend.asarray(c, model.dtype)
        model.n_updates_ = int(data["n_updates_"])
        model.epochs_done_ = int(data["epochs_done_"])
        if "base_rate_" in data:
            model.base_rate_ = data["base_rate_"].astype(np.float64)
        if "persistent_" in data:
            model.persistent_ = backend.asarray(data["persistent_"], model.dtype)
        return model

    def __repr__(self):
        return (
            f"RBM(n_visible={self.n_visible}, n_hidden={self.n_hidden}, method={self.method!r}, "
            f"k={self.k}, learning_rate={self.learning_rate:g})"
        )


def _tile(x, n, xp):
    """Stack ``n`` copies of the vector ``x`` as rows: array of shape (n, len(x))."""
    return xp.tile(x[None, :], (int(n), 1))
