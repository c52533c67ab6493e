"""Gaussian-Bernoulli RBM: real-valued visible units, binary hidden units.

Energy (the convention of Hinton's practical guide, §13.2, and Krizhevsky 2009; Cho et
al. 2011 use v_i/σ_i² in the interaction term instead — the two differ by rescaling W)::

    E(v, h) = Σ_i (v_i − b_i)² / (2σ_i²) − cᵀh − Σ_ij (v_i/σ_i) W_ij h_j

Conditionals (derivation: the terms with h_j are −h_j (c_j + Σ_i (v_i/σ_i) W_ij), so the
h_j are independent given v; as a function of v_i the energy is
(v_i² − 2v_i b_i − 2v_i σ_i (Wh)_i)/(2σ_i²) + const = (v_i − μ_i)²/(2σ_i²) + const with
μ_i = b_i + σ_i (Wh)_i, a Gaussian)::

    P(h_j = 1 | v) = σ(c_j + Σ_i (v_i/σ_i) W_ij)
    p(v | h)      = N(v; b + σ ⊙ (W h), diag(σ²))

Free energy and partition function::

    F(v) = −log Σ_h exp(−E(v,h)) = Σ_i (v_i − b_i)²/(2σ_i²) − Σ_j softplus(c_j + (v/σ)ᵀW_:j)
    Z    = ∫ Σ_h exp(−E(v,h)) dv
         = Σ_h exp(cᵀh + Σ_i [b_i a_i/σ_i + a_i²/2]) · Π_i √(2π) σ_i,   a = W h,

(the Gaussian integral ∫ exp(−(v−b)²/(2σ²) + v a/σ) dv = √(2π) σ exp(b a/σ + a²/2)), so
p(v) = exp(−F(v)) / Z is a mixture of 2**n_hidden Gaussians and log Z is exact for small
n_hidden. No constant is dropped anywhere: F is exactly −log Σ_h exp(−E).

References
----------
.. [1] Hinton, "A practical guide to training restricted Boltzmann machines",
   UTML TR 2010-003, §13.2.
.. [2] Krizhevsky, "Learning multiple layers of features from tiny images", 2009, ch. 1.
.. [3] Cho, Ilin & Raiko, "Improved learning of Gaussian-Bernoulli restricted Boltzmann
   machines", ICANN 2011.
.. [4] Goodfellow, Bengio & Courville, *Deep Learning*, 2016, section 20.5.1.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import backend
from .. import rng as _rng
from ..io import load_npz, save_npz
from ..numerics import logsumexp, sigmoid, softplus
from ._common import check_rbm_sizes
from ._enumerate import MAX_ENUMERATE, all_binary

__all__ = ["GaussianBernoulliRBM"]

_LOG_SIGMA_RANGE = (np.log(1e-3), np.log(1e3))


class GaussianBernoulliRBM:
    """RBM with Gaussian visible units of standard deviation σ and binary hidden units.

    E(v, h) = Σ_i (v_i − b_i)²/(2σ_i²) − cᵀh − Σ_ij (v_i/σ_i) W_ij h_j (see module doc).

    Parameters
    ----------
    n_visible, n_hidden : int
    sigma : float or array of shape (n_visible,), default 1.0
        Visible standard deviations σ (usually 1 for standardized data).
    learn_sigma : bool, default False
        Also learn log σ by CD (clipped to [1e-3, 1e3]).
    learning_rate : float, default 0.01
        Gaussian visible units need a smaller rate than binary ones (Hinton 2010, §13.2).
    k : int, default 1
        Gibbs steps of CD-k.
    batch_size : int, default 100
    n_epochs : int, default 10
    momentum : float, default 0.5
    weight_decay : float, default 1e-4
        L2 penalty on W.
    random_state : None, int or Generator
    verbose : bool, default False
    dtype : dtype or None
        Parameter dtype (backend default, float32, when None).

    Attributes
    ----------
    W : array of shape (n_visible, n_hidden)
    b : array of shape (n_visible,)
        Set to the data mean by the first :meth:`fit`/:meth:`partial_fit`.
    c : array of shape (n_hidden,)
    log_sigma : array of shape (n_visible,)
    sigma : array of shape (n_visible,) (property, exp(log_sigma))
    history_ : dict
        ``"reconstruction_error"`` per epoch.

    References
    ----------
    .. [1] Hinton, "A practical guide to training restricted Boltzmann machines", 2010.
    .. [2] Cho, Ilin & Raiko, ICANN 2011.
    """

    def __init__(
        self,
        n_visible,
        n_hidden,
        *,
        sigma=1.0,
        learn_sigma=False,
        learning_rate=0.01,
        k=1,
        batch_size=100,
        n_epochs=10,
        momentum=0.5,
        weight_decay=1e-4,
        random_state=None,
        verbose=False,
        dtype=None,
    ):
        self.n_visible, self.n_hidden = check_rbm_sizes(n_visible, n_hidden, k)
        self.learn_sigma = bool(learn_sigma)
        self.learning_rate, self.k = float(learning_rate), int(k)
        self.batch_size, self.n_epochs = int(batch_size), int(n_epochs)
        self.momentum, self.weight_decay = float(momentum), float(weight_decay)
        self.random_state, self.verbose = random_state, bool(verbose)
        self.dtype = np.dtype(backend.get_default_dtype() if dtype is None else dtype)
        self.rng_ = _rng.as_generator(random_state)
        xp = backend.xp()
        sig = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (self.n_visible,))
        if not np.all(sig > 0):
            raise ValueError(f"sigma must be positive, got {sigma}")
        self.W = self.dtype.type(0.01) * _rng.normal(
            self.rng_, (self.n_visible, self.n_hidden), self.dtype
        )
        self.b = xp.zeros(self.n_visible, dtype=self.dtype)
        self.c = xp.zeros(self.n_hidden, dtype=self.dtype)
        self.log_sigma = backend.asarray(np.log(sig), self.dtype)
        self._vel = None
        self._b_from_data = False
        self.n_updates_ = 0
        self.history_ = {"reconstruction_error": []}

    # ------------------------------------------------------------------ parameters
    @property
    def sigma(self):
        """Visible standard deviations σ = exp(log_sigma), shape (n_visible,)."""
        return backend.get_array_module(self.log_sigma).exp(self.log_sigma)

    @property
    def _xp(self):
        return backend.get_array_module(self.W)

    def set_params(self, *, W=None, b=None, c=None, sigma=None):
        """Set parameters (cast to the model dtype, shapes checked); returns self."""
        nv, nh = self.n_visible, self.n_hidden
        shapes = {"W": (nv, nh), "b": (nv,), "c": (nh,), "sigma": (nv,)}
        for name, val in (("W", W), ("b", b), ("c", c), ("sigma", sigma)):
            if val is None:
                continue
            arr = backend.asarray(val, self.dtype)
            if arr.shape != shapes[name]:
                raise ValueError(f"{name} must have shape {shapes[name]}, got {arr.shape}")
            if name == "sigma":
                if not bool((arr > 0).all()):
                    raise ValueError("sigma must be positive")
                self.log_sigma = self._xp.log(arr)
            else:
                setattr(self, name, arr.copy())
        return self

    def _as_input(self, X, name="v", n_cols=None):
        n_cols = self.n_visible if n_cols is None else n_cols
        arr = backend.asarray(X, self.dtype)
        if arr.ndim != 2 or arr.shape[1] != n_cols:
            raise ValueError(
                f"{name} must be 2-D of shape (n_samples, {n_cols}), got shape {arr.shape}; "
                "use x[None, :] for a single sample"
            )
        if arr.dtype.kind == "f" and not bool(backend.get_array_module(arr).isfinite(arr).all()):
            raise ValueError(f"{name} contains NaN or infinite values")
        return arr.astype(self.dtype)

    # ------------------------------------------------------------------ energies
    def energy(self, v, h):
        """E(v, h) = Σ_i (v_i − b_i)²/(2σ_i²) − cᵀh − Σ_ij (v_i/σ_i) W_ij h_j, shape (n,)."""
        v, h = self._as_input(v), self._as_input(h, "h", self.n_hidden)
        s = self.sigma
        quad = (((v - self.b) / s) ** 2).sum(axis=1) / 2
        return quad - h @ self.c - (((v / s) @ self.W) * h).sum(axis=1)

    def _hidden_input(self, v):
        return (v / self.sigma) @ self.W + self.c

    def free_energy(self, v):
        """F(v) = Σ_i (v_i − b_i)²/(2σ_i²) − Σ_j softplus(c_j + (v/σ)ᵀW_:j), shape (n,)."""
        v = self._as_input(v)
        quad = (((v - self.b) / self.sigma) ** 2).sum(axis=1) / 2
        return quad - softplus(self._hidden_input(v)).sum(axis=1)

    # ------------------------------------------------------------------ conditionals
    def p_h_given_v(self, v):
        """P(h_j = 1 | v) = σ(c_j + Σ_i (v_i/σ_i) W_ij), shape (n_samples, n_hidden)."""
        return sigmoid(self._hidden_input(self._as_input(v)))

    def p_v_given_h(self, h):
        """Mean of p(v | h) = N(b + σ ⊙ (W h), σ²): b + σ ⊙ (W h), shape (n, n_visible)."""
        h = self._as_input(h, "h", self.n_hidden)
        return self.b + self.sigma * (h @ self.W.T)

    def sample_h_given_v(self, v, rng=None):
        """h ~ P(h | v), binary, shape (n_samples, n_hidden)."""
        gen = self.rng_ if rng is None else _rng.as_generator(rng)
        return _rng.bernoulli(gen, self.p_h_given_v(v))

    def sample_v_given_h(self, h, rng=None):
        """v ~ N(b + σ ⊙ (W h), σ²), shape (n_samples, n_visible)."""
        gen = self.rng_ if rng is None else _rng.as_generator(rng)
        mean = self.p_v_given_h(h)
        return mean + self.sigma * _rng.normal(gen, mean.shape, self.dtype)

    def gibbs(self, v, k=1, rng=None):
        """k block-Gibbs steps v → h → v; returns the last v sample, shape (n, n_visible)."""
        gen = self.rng_ if rng is None else _rng.as_generator(rng)
        v = self._as_input(v)
        for _ in range(int(k)):
            v = self.sample_v_given_h(self.sample_h_given_v(v, gen), gen)
        return v

    # ------------------------------------------------------------------ training
    def free_energy_grads(self, v):
        """Mean over rows of ∂F(v)/∂θ for θ = W, b, c, log σ (dict of arrays).

        With p = P(h=1|v) and u = v/σ:
        ∂F/∂W = −uᵀp/n,  ∂F/∂b = −(v − b)/σ²,  ∂F/∂c = −p,
        ∂F/∂log σ_i = −(v_i − b_i)²/σ_i² + u_i (W p)_i.
        """
        v = self._as_input(v)
        n = v.shape[0]
        s = self.sigma
        u = v / s
        p = sigmoid(u @ self.W + self.c)
        return {
            "W": -(u.T @ p) / n,
            "b": -((v - self.b) / s**2).mean(axis=0),
            "c": -p.mean(axis=0),
            "log_sigma": (-(((v - self.b) / s) ** 2) + u * (p @ self.W.T)).mean(axis=0),
        }

    def cd_gradient(self, v_data, rng=None):
        """CD-k estimate of ∇θ mean log p(v): −E_data[∂F/∂θ] + E_model[∂F/∂θ].

        The negative sample starts at the data and runs ``k`` Gibbs steps.
        """
        gen = self.rng_ if rng is None else _rng.as_generator(rng)
        v_data = self._as_input(v_data)
        v_model = self.gibbs(v_data, self.k, gen)
        gd, gm = self.free_energy_grads(v_data), self.free_energy_grads(v_model)
        return {k: gm[k] - gd[k] for k in gd}

    def partial_fit(self, X_batch):
        """One CD-k update with momentum and weight decay on W; returns self."""
        v = self._as_input(X_batch, "X_batch")
        if self.n_updates_ == 0 and not self._b_from_data:
            self.b = v.mean(axis=0).astype(self.dtype)
            self._b_from_data = True
        g = self.cd_gradient(v)
        if not self.learn_sigma:
            g.pop("log_sigma")
        if self.weight_decay:
            g["W"] = g["W"] - self.dtype.type(self.weight_decay) * self.W
        if self._vel is None:
            self._vel = {k: 0 * getattr(self, k) for k in ("W", "b", "c", "log_sigma")}
        lr, mu = self.dtype.type(self.learning_rate), self.dtype.type(self.momentum)
        for name, grad in g.items():
            self._vel[name] = mu * self._vel[name] + lr * grad.astype(self.dtype)
            setattr(self, name, (getattr(self, name) + self._vel[name]).astype(self.dtype))
        if self.learn_sigma:
            self.log_sigma = self._xp.clip(self.log_sigma, *_LOG_SIGMA_RANGE).astype(self.dtype)
        self.n_updates_ += 1
        if not bool(self._xp.isfinite(self.W).all()):
            raise FloatingPointError(
                f"GaussianBernoulliRBM parameters became NaN/inf after update {self.n_updates_}"
                f" (learning_rate={self.learning_rate:g}); lower the learning rate, standardize "
                "the data, or keep sigma fixed"
            )
        return self

    def fit(self, X, y=None):
        """CD-k training for ``n_epochs`` passes of minibatches over X; returns self.

        Parameters
        ----------
        X : array of shape (n_samples, n_visible), real-valued (standardize it first, or
            set ``sigma`` to the data's standard deviations)
        y : ignored
        """
        X = self._as_input(X, "X")
        n = X.shape[0]
        bs = min(self.batch_size, n)
        if self.n_updates_ == 0 and not self._b_from_data:
            self.b = X.mean(axis=0).astype(self.dtype)
            self._b_from_data = True
        for epoch in range(self.n_epochs):
            t0 = time.perf_counter()
            perm = self.rng_.permutation(n)
            for start in range(0, n - bs + 1, bs):
                self.partial_fit(X[backend.asarray(perm[start : start + bs])])
            err = self.reconstruction_error(X[: min(n, 2000)])
            self.history_["reconstruction_error"].append(err)
            if self.verbose:
                print(
                    f"[GB-RBM] epoch {epoch + 1}: reconstruction error {err:.4f}, "
                    f"{time.perf_counter() - t0:.2f} s"
                )
        return self

    def transform(self, X):
        """Hidden features P(h = 1 | v), shape (n_samples, n_hidden)."""
        return self.p_h_given_v(X)

    def reconstruction_error(self, X, rng=None):
        """Mean squared error between v and the mean E[v | h] with h ~ P(h | v)."""
        v = self._as_input(X, "X")
        r = self.p_v_given_h(self.sample_h_given_v(v, rng)) - v
        return float((r * r).mean())

    # ------------------------------------------------------------------ likelihood
    def log_partition_exact(self):
        """log Z = logsumexp_h [cᵀh + Σ_i (b_i a_i/σ_i + a_i²/2)] + Σ_i log(√(2π) σ_i),
        a = W h, by enumerating the 2**n_hidden hidden states (float64)."""
        if self.n_hidden > MAX_ENUMERATE:
            raise ValueError(
                f"exact log Z enumerates 2**{self.n_hidden} hidden states (limit "
                f"{MAX_ENUMERATE}); use fewer hidden units"
            )
        W, b, c, s = (
            backend.to_numpy(p).astype(np.float64) for p in (self.W, self.b, self.c, self.sigma)
        )
        H = all_binary(self.n_hidden)
        A = H @ W.T  # (2**nh, nv)
        terms = H @ c + (A * (b / s)).sum(axis=1) + 0.5 * (A * A).sum(axis=1)
        return float(logsumexp(terms) + np.sum(np.log(np.sqrt(2 * np.pi) * s)))

    def log_likelihood(self, X, log_z=None, per_sample=False):
        """log p(v) = −F(v) − log Z (a density, in nats), mean over rows or per row."""
        v = backend.to_numpy(self._as_input(X, "X")).astype(np.float64)
        W, b, c, s = (
            backend.to_numpy(p).astype(np.float64) for p in (self.W, self.b, self.c, self.sigma)
        )
        if log_z is None:
            log_z = self.log_partition_exact()
        F = (((v - b) / s) ** 2).sum(axis=1) / 2 - softplus((v / s) @ W + c).sum(axis=1)
        ll = -F - float(log_z)
        return ll if per_sample else float(ll.mean())

    # ------------------------------------------------------------------ sampling
    def sample(self, n, n_gibbs=1000, rng=None, return_mean=False):
        """``n`` samples after ``n_gibbs`` block-Gibbs steps from v = b + σ ε.

        Returns the Gaussian means b + σ ⊙ (W h) of the last step when ``return_mean``.
        """
        gen = self.rng_ if rng is None else _rng.as_generator(rng)
        v = self.b + self.sigma * _rng.normal(gen, (int(n), self.n_visible), self.dtype)
        h = self.sample_h_given_v(v, gen)
        for _ in range(max(int(n_gibbs), 1) - 1):
            h = self.sample_h_given_v(self.sample_v_given_h(h, gen), gen)
        return self.p_v_given_h(h) if return_mean else self.sample_v_given_h(h, gen)

    def complete(self, v, mask, n_gibbs=200, rng=None):
        """Fill the entries where ``mask`` is True by clamped Gibbs sampling.

        Observed entries stay fixed; missing ones are resampled from p(v|h) each step.
        Returns the conditional means on the missing entries (observed ones copied).
        """
        gen = self.rng_ if rng is None else _rng.as_generator(rng)
        xp = self._xp
        v = self._as_input(v)
        mask = xp.broadcast_to(xp.asarray(backend.to_numpy(mask).astype(bool)), v.shape)
        observed = xp.where(mask, self.b, v).astype(self.dtype)
        v, mean = observed, observed
        for _ in range(max(int(n_gibbs), 1)):
            h = self.sample_h_given_v(v, gen)
            mean = self.p_v_given_h(h)
            noisy = mean + self.sigma * _rng.normal(gen, mean.shape, self.dtype)
            v = xp.where(mask, noisy, observed)
        return xp.where(mask, mean, observed)

    # ------------------------------------------------------------------ persistence
    _HYPER = (
        "n_visible",
        "n_hidden",
        "learn_sigma",
        "learning_rate",
        "k",
        "batch_size",
        "n_epochs",
        "momentum",
        "weight_decay",
    )

    def save(self, path):
        """Write parameters and hyperparameters to ``path`` (.npz; temp file, then rename).

        Through :func:`tinygen.io.save_npz` (a ``.npz`` suffix is added when missing);
        returns the path written.
        """
        arrays = {k: backend.to_numpy(getattr(self, k)) for k in ("W", "b", "c", "log_sigma")}
        arrays["class"] = np.array("GaussianBernoulliRBM")
        arrays["dtype"] = np.array(self.dtype.name)
        arrays["n_updates_"] = np.array(self.n_updates_)
        for name in self._HYPER:
            arrays["hp_" + name] = np.array(getattr(self, name))
        return save_npz(path, arrays)

    @classmethod
    def load(cls, path, random_state=None):
        """Load a model written by :meth:`save` (``allow_pickle=False``).

        Raises ``FileNotFoundError`` for a missing file and :class:`tinygen.io.CheckpointError`
        (a ``ValueError``) for a corrupt or foreign one.
        """
        path = Path(path)
        data = load_npz(path)
        if str(data.get("class", "")) != "GaussianBernoulliRBM":
            raise ValueError(f"{path} is not a GaussianBernoulliRBM checkpoint")
        hp = {name: data["hp_" + name].item() for name in cls._HYPER}
        model = cls(
            hp.pop("n_visible"),
            hp.pop("n_hidden"),
            **hp,
            random_state=random_state,
            dtype=str(data["dtype"]),
        )
        model.set_params(W=data["W"], b=data["b"], c=data["c"], sigma=np.exp(data["log_sigma"]))
        model.n_updates_ = int(data["n_updates_"])
        model._b_from_data = True
        return model

    def __repr__(self):
        return (
            f"GaussianBernoulliRBM(n_visible={self.n_visible}, n_hidden={self.n_hidden}, "
            f"learn_sigma={self.learn_sigma}, k={self.k}, learning_rate={self.learning_rate:g})"
        )
