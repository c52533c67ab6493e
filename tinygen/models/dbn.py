"""Deep belief network: a stack of RBMs trained greedily, layer by layer.

Deep Learning book, section 20.3. With layers h⁽⁰⁾ = v, h⁽¹⁾, …, h⁽ᴸ⁾ and the RBM of layer k
holding ``W⁽ᵏ⁾`` of shape (n_{k−1}, n_k) (lower, upper — the seeds' (n_visible, n_hidden)
convention), visible bias ``b⁽ᵏ⁻¹⁾`` and hidden bias ``c⁽ᵏ⁾``, the DBN is the directed
sigmoid belief net

    P(h⁽ᵏ⁾ = 1 | h⁽ᵏ⁺¹⁾) = σ(b⁽ᵏ⁾ + W⁽ᵏ⁺¹⁾ h⁽ᵏ⁺¹⁾)        (k = 0 … L−2, elementwise)

under an undirected top RBM P(h⁽ᴸ⁻¹⁾, h⁽ᴸ⁾) ∝ exp(b⁽ᴸ⁻¹⁾ᵀh⁽ᴸ⁻¹⁾ + c⁽ᴸ⁾ᵀh⁽ᴸ⁾ +
h⁽ᴸ⁻¹⁾ᵀW⁽ᴸ⁾h⁽ᴸ⁾). With Gaussian visible units (``visible="gaussian"``, the first RBM a
:class:`~tinygen.models.gaussian_rbm.GaussianBernoulliRBM`) the bottom conditional is

    v ~ N(b⁽⁰⁾ + σ ⊙ (W⁽¹⁾ h⁽¹⁾), diag(σ²)),

the book's v ~ N(b⁽⁰⁾ + W⁽¹⁾ᵀh⁽¹⁾, β⁻¹) with β = σ⁻² (the transpose is because our W⁽¹⁾ is
(n_visible, n_hidden); σ = 1 makes the two identical).

Greedy training (Hinton, Osindero & Teh 2006): layer 1 is fit to the data; layer k+1 is fit
to one binary sample h⁽ᵏ⁾ ~ P(h⁽ᵏ⁾ | h⁽ᵏ⁻¹⁾) per training example, drawn through the
layers below (a sample, not the probabilities, because a Bernoulli RBM is defined on
binary data — :class:`~tinygen.models.rbm.RBM` rejects non-binary input).

References
----------
.. [1] Hinton, Osindero & Teh, "A fast learning algorithm for deep belief nets",
   Neural Computation 18, 2006.
.. [2] Goodfellow, Bengio & Courville, *Deep Learning*, 2016, section 20.3.
.. [3] Hinton & Salakhutdinov, "Reducing the dimensionality of data with neural
   networks", Science 313, 2006 (pretraining as initialisation).
.. [4] Salakhutdinov & Murray, "On the quantitative analysis of deep belief networks",
   ICML 2008 (the variational lower bound).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import backend
from .. import rng as _rng
from ..io import load_npz, save_npz
from ..numerics import logsumexp, softplus
from ._enumerate import all_binary
from .gaussian_rbm import GaussianBernoulliRBM
from .rbm import RBM

__all__ = ["DBN"]


def _log_sigmoid(a):
    """log σ(a) = −log(1 + e⁻ᵃ) = −softplus(−a), without overflow for either sign of a."""
    return -softplus(-a)


class DBN:
    """Deep belief network of stacked RBMs (greedy layer-wise pretraining).

    Parameters
    ----------
    layer_sizes : sequence of int
        [n_visible, n_1, …, n_L], at least two entries; layer k's RBM is
        n_{k−1} × n_k.
    visible : {"bernoulli", "gaussian"}, default "bernoulli"
        Binary visible units (an :class:`~tinygen.models.rbm.RBM` at the bottom) or
        Gaussian ones (a :class:`~tinygen.models.gaussian_rbm.GaussianBernoulliRBM`).
    rbm_kwargs : None, dict, or list of dicts
        Keyword arguments of the RBM constructors: one dict for every layer, or one dict
        per layer (length L). ``random_state`` is filled in from this DBN's generator.
    init_transpose : bool, default False
        Before training RBM k+1 (k ≥ 1) whose top layer has the size of layer k−1,
        initialise it as the transpose of RBM k (W ← Wᵀ, b ← c, c ← b). The DBN's marginal
        P(v) is then unchanged by adding the layer, and training it can only raise the
        variational bound of Hinton et al. (2006) — "a DBN that beats its own first RBM".
    random_state : None, int or Generator
        Seeds every layer (through independent child seeds), the greedy sampling and the
        default generator of the sampling methods.
    verbose : bool, default False
        Print each layer's training progress.

    Attributes
    ----------
    rbms : list of RBM
        ``rbms[k]`` is the RBM between layers k and k+1: ``W`` (n_k, n_{k+1}), ``b`` the
        bias of layer k, ``c`` the bias of layer k+1.
    n_layers : int
        L, the number of RBMs.

    References
    ----------
    .. [1] Hinton, Osindero & Teh, Neural Computation 18, 2006.
    .. [2] Goodfellow, Bengio & Courville, *Deep Learning*, 2016, section 20.3.
    """

    def __init__(
        self,
        layer_sizes,
        *,
        visible="bernoulli",
        rbm_kwargs=None,
        init_transpose=False,
        random_state=None,
        verbose=False,
    ):
        sizes = [int(n) for n in layer_sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(
                f"layer_sizes must list at least two positive sizes [n_visible, n_1, ...], "
                f"got {list(layer_sizes)}"
            )
        if visible not in ("bernoulli", "gaussian"):
            raise ValueError(f"visible must be 'bernoulli' or 'gaussian', got {visible!r}")
        L = len(sizes) - 1
        if rbm_kwargs is None:
            per_layer = [{} for _ in range(L)]
        elif isinstance(rbm_kwargs, dict):
            per_layer = [dict(rbm_kwargs) for _ in range(L)]
        else:
            per_layer = [dict(kw or {}) for kw in rbm_kwargs]
            if len(per_layer) != L:
                raise ValueError(
                    f"rbm_kwargs lists {len(per_layer)} dicts for {L} RBMs; give one per layer"
                )
        self.layer_sizes, self.visible, self.verbose = sizes, visible, bool(verbose)
        self.init_transpose = bool(init_transpose)
        self.rbm_kwargs = per_layer
        self.random_state = random_state
        self.rng_ = _rng.as_generator(random_state)
        seeds = self.rng_.integers(0, 2**63 - 1, size=L)
        self.rbms = []
        for k in range(L):
            kw = {"verbose": self.verbose, **per_layer[k]}
            kw.setdefault("random_state", int(seeds[k]))
            cls = GaussianBernoulliRBM if (k == 0 and visible == "gaussian") else RBM
            self.rbms.append(cls(sizes[k], sizes[k + 1], **kw))

    @property
    def n_layers(self) -> int:
        """Number of RBMs L (hidden layers)."""
        return len(self.rbms)

    @property
    def _xp(self):
        return backend.get_array_module(self.rbms[0].W)

    def _gen(self, rng):
        return self.rng_ if rng is None else _rng.as_generator(rng)

    # ------------------------------------------------------------------ training
    def fit(self, X, y=None):
        """Greedy layer-wise training; returns self.

        RBM 1 is fit to X; RBM k+1 to one binary sample h⁽ᵏ⁾ ~ P(h⁽ᵏ⁾ | h⁽ᵏ⁻¹⁾) of each
        training example propagated through the (already trained, now frozen) layers below.

        With ``init_transpose``, RBM k+1 starts from the transpose of RBM k when the sizes
        allow it (see the class parameters).

        Parameters
        ----------
        X : array of shape (n_samples, n_visible)
            Binary for ``visible="bernoulli"``, real-valued for ``"gaussian"``.
        y : ignored
        """
        data = X
        for k, rbm in enumerate(self.rbms):
            if self.verbose:
                print(f"[DBN] layer {k + 1}/{self.n_layers}: {rbm!r}")
            below = self.rbms[k - 1] if k else None
            if self.init_transpose and isinstance(below, RBM) and rbm.n_hidden == below.n_visible:
                rbm.W = self._xp.ascontiguousarray(below.W.T, dtype=rbm.dtype)
                rbm.b = below.c.astype(rbm.dtype)
                rbm.c = below.b.astype(rbm.dtype)
                # NOTE: RBM.fit sets b from the data's log-odds on a model with no updates;
                # marking one update keeps the transposed initialisation (a warm start).
                rbm.n_updates_ = max(rbm.n_updates_, 1)
            rbm.fit(data)
            if k + 1 < self.n_layers:
                data = _rng.bernoulli(self.rng_, rbm.p_h_given_v(data))
        return self

    # ------------------------------------------------------------------ conditionals
    def p_up(self, k, x):
        """Approximate posterior Q(h⁽ᵏ⁺¹⁾ = 1 | h⁽ᵏ⁾) = P_{RBM k+1}(h = 1 | v = h⁽ᵏ⁾).

        For k = 0 with Gaussian units: σ(c⁽¹⁾ + (v/σ)ᵀW⁽¹⁾); otherwise
        σ(c⁽ᵏ⁺¹⁾ + h⁽ᵏ⁾ᵀW⁽ᵏ⁺¹⁾). Shape (n_samples, n_{k+1}).
        """
        return self.rbms[k].p_h_given_v(x)

    def p_down(self, k, h):
        """Top-down conditional of layer k given layer k+1, shape (n_samples, n_k).

        P(h⁽ᵏ⁾ = 1 | h⁽ᵏ⁺¹⁾) = σ(b⁽ᵏ⁾ + W⁽ᵏ⁺¹⁾ h⁽ᵏ⁺¹⁾) for binary layers; for Gaussian
        visible units (k = 0) the mean b⁽⁰⁾ + σ ⊙ (W⁽¹⁾ h⁽¹⁾) of p(v | h⁽¹⁾).
        """
        return self.rbms[k].p_v_given_h(h)

    def _sample_down(self, k, h, gen):
        if k == 0 and self.visible == "gaussian":
            return self.rbms[0].sample_v_given_h(h, gen)
        return _rng.bernoulli(gen, self.p_down(k, h))

    def transform(self, X, return_all=False):
        """Upward mean-field pass μ⁽ᵏ⁺¹⁾ = σ(c⁽ᵏ⁺¹⁾ + μ⁽ᵏ⁾ᵀW⁽ᵏ⁺¹⁾), μ⁽⁰⁾ = v.

        The deterministic features used to initialise a classifier (the same map as
        :meth:`to_classifier`'s hidden layers).

        Returns
        -------
        array of shape (n_samples, n_L) (the top layer), or the list [μ⁽¹⁾, …, μ⁽ᴸ⁾]
        """
        mus, x = [], X
        for k in range(self.n_layers):
            x = self.p_up(k, x)
            mus.append(x)
        return mus if return_all else x

    # ------------------------------------------------------------------ sampling
    def sample(self, n, n_gibbs=1000, rng=None, return_probabilities=False):
        """Ancestral sampling: ``n_gibbs`` Gibbs steps in the top RBM, then one top-down pass.

        h⁽ᴸ⁻¹⁾ comes from the top RBM's chain; h⁽ᵏ⁾ ~ P(h⁽ᵏ⁾ | h⁽ᵏ⁺¹⁾) for k = L−2, …, 0.

        Parameters
        ----------
        n : int
        n_gibbs : int, default 1000
        rng : None, int or Generator
        return_probabilities : bool, default False
            Return the mean of the last conditional P(v = 1 | h⁽¹⁾) (or the Gaussian mean)
            instead of a sample of v.

        Returns
        -------
        array of shape (n, n_visible)
        """
        gen = self._gen(rng)
        top = self.rbms[-1]
        if self.n_layers == 1:
            if isinstance(top, GaussianBernoulliRBM):
                return top.sample(n, n_gibbs=n_gibbs, rng=gen, return_mean=return_probabilities)
            return top.sample(
                n, n_gibbs=n_gibbs, rng=gen, return_probabilities=return_probabilities
            )
        h = top.sample(n, n_gibbs=n_gibbs, rng=gen)
        for k in range(self.n_layers - 2, 0, -1):
            h = _rng.bernoulli(gen, self.p_down(k, h))
        return self.p_down(0, h) if return_probabilities else self._sample_down(0, h, gen)

    def complete(self, v, mask, n_gibbs=100, rng=None):
        """Fill the entries of ``v`` where ``mask`` is True (missing) by clamped sampling.

        Each iteration (an approximation to Gibbs sampling in the DBN, whose true posterior
        over the hidden layers does not factorize):

        1. up-pass: h⁽ᵏ⁺¹⁾ ~ Q(h⁽ᵏ⁺¹⁾ | h⁽ᵏ⁾) (the RBMs' recognition conditionals), k < L−1;
        2. one block-Gibbs step in the top RBM: h⁽ᴸ⁾ ~ P(h⁽ᴸ⁾ | h⁽ᴸ⁻¹⁾), then
           h⁽ᴸ⁻¹⁾ ~ P(h⁽ᴸ⁻¹⁾ | h⁽ᴸ⁾);
        3. down-pass: h⁽ᵏ⁾ ~ P(h⁽ᵏ⁾ | h⁽ᵏ⁺¹⁾) to layer 1, then the visible mean
           μ = P(v | h⁽¹⁾);
        4. the missing entries of v are resampled from μ; the observed ones stay clamped.

        Parameters
        ----------
        v : array of shape (n_samples, n_visible)
        mask : bool array of shape (n_samples, n_visible) or (n_visible,)
            True where the value is missing (the RBM's convention).
        n_gibbs : int, default 100
        rng : None, int or Generator

        Returns
        -------
        array of shape (n_samples, n_visible): the observed entries unchanged, the missing
        ones replaced by the visible mean of the last iteration.
        """
        gen = self._gen(rng)
        xp = self._xp
        dtype = self.rbms[0].dtype
        v = backend.asarray(v, dtype)
        if v.ndim != 2 or v.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"v must have shape (n_samples, {self.layer_sizes[0]}), got {tuple(v.shape)}"
            )
        mask = xp.asarray(backend.to_numpy(mask).astype(bool))
        if mask.shape not in (v.shape, (self.layer_sizes[0],)):
            raise ValueError(
                f"mask must have shape {tuple(v.shape)} or ({self.layer_sizes[0]},), "
                f"got {tuple(mask.shape)}"
            )
        mask = xp.broadcast_to(mask, v.shape)
        fill = self.rbms[0].b if self.visible == "gaussian" else 0.5
        observed = xp.where(mask, xp.asarray(fill, dtype=dtype), v).astype(dtype)
        if self.visible == "bernoulli":  # start the missing pixels from a coin flip
            observed = xp.where(mask, _rng.bernoulli(gen, observed), observed)
        x, mean = observed, observed
        L = self.n_layers
        top = self.rbms[-1]
        for _ in range(max(int(n_gibbs), 1)):
            h = x
            for k in range(L - 1):  # 1. up-pass to the top RBM's visible layer
                h = _rng.bernoulli(gen, self.p_up(k, h))
            h_top = _rng.bernoulli(gen, top.p_h_given_v(h))  # 2. top-RBM Gibbs step
            if L == 1:
                mean = top.p_v_given_h(h_top)
            else:
                h = _rng.bernoulli(gen, top.p_v_given_h(h_top))
                for k in range(L - 2, 0, -1):  # 3. down-pass
                    h = _rng.bernoulli(gen, self.p_down(k, h))
                mean = self.p_down(0, h)
            if self.visible == "gaussian":
                draw = mean + self.rbms[0].sigma * _rng.normal(gen, mean.shape, dtype)
            else:
                draw = _rng.bernoulli(gen, mean)
            x = xp.where(mask, draw, observed)
        return xp.where(mask, mean, observed)

    # ------------------------------------------------------------------ likelihood
    def log_likelihood_exact(self, X, per_sample=False):
        """Exact log P(v) of the DBN (binary visible units), by enumerating hidden layers.

        log P(h⁽ᴸ⁻¹⁾) = −F_top(h⁽ᴸ⁻¹⁾) − log Z_top, then for k = L−2, …, 0

            log P(h⁽ᵏ⁾) = log Σ_{h⁽ᵏ⁺¹⁾} P(h⁽ᵏ⁾ | h⁽ᵏ⁺¹⁾) P(h⁽ᵏ⁺¹⁾),

        enumerating every state of layers 1 … L−1 (each at most ~16 units) and using the
        top RBM's exact log Z. Float64.

        Parameters
        ----------
        X : array of shape (n_samples, n_visible), binary
        per_sample : bool, default False

        Returns
        -------
        float (mean over rows), or ndarray of shape (n_samples,)
        """
        if self.visible != "bernoulli":
            raise ValueError("log_likelihood_exact is implemented for binary visible units")
        top = self.rbms[-1]
        if self.n_layers == 1:
            return top.log_likelihood(X, top.log_partition_exact(), per_sample=per_sample)
        too_big = [n for n in self.layer_sizes[1:-1] if n > 16]
        if too_big:
            raise ValueError(
                f"exact enumeration of hidden layers of sizes {too_big} is too large (at most "
                "16 units per enumerated layer); use log_likelihood_lower_bound with AIS"
            )

        def params(rbm):
            return (backend.to_numpy(p).astype(np.float64) for p in (rbm.W, rbm.b))

        def log_p_lower(lower, upper, rbm):  # log P(lower | upper), (len(lower), len(upper))
            W, b = params(rbm)
            a = upper @ W.T + b
            return lower @ _log_sigmoid(a).T + (1 - lower) @ _log_sigmoid(-a).T

        H = all_binary(self.layer_sizes[-2])
        free = backend.to_numpy(top.free_energy(backend.asarray(H, top.dtype)))
        log_p = -free.astype(np.float64) - top.log_partition_exact()
        for k in range(self.n_layers - 2, 0, -1):
            Hk = all_binary(self.layer_sizes[k])
            log_p = logsumexp(log_p_lower(Hk, H, self.rbms[k]) + log_p[None, :], axis=1)
            H = Hk
        v = backend.to_numpy(backend.asarray(X, np.float64))
        if v.ndim != 2 or v.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"X must have shape (n_samples, {self.layer_sizes[0]})")
        if not np.all((v == 0) | (v == 1)):
            raise ValueError("X must be binary (0/1) for a DBN with Bernoulli visible units")
        ll = logsumexp(log_p_lower(v, H, self.rbms[0]) + log_p[None, :], axis=1)
        ll = np.atleast_1d(ll)
        return ll if per_sample else float(ll.mean())

    # ------------------------------------------------------------------ bound
    def log_likelihood_lower_bound(self, X, log_z_top, n_samples=10, rng=None):
        """Monte Carlo estimate of the variational lower bound on log P(v), in nats.

        With the recognition conditionals Q(h⁽ᵏ⁺¹⁾ | h⁽ᵏ⁾) of the up-pass,

            log P(v) ≥ E_Q [ Σ_{k=0}^{L−2} (log P(h⁽ᵏ⁾ | h⁽ᵏ⁺¹⁾) − log Q(h⁽ᵏ⁺¹⁾ | h⁽ᵏ⁾))
                             + log P_top(h⁽ᴸ⁻¹⁾) ],

        log P_top(h) = −F_top(h) − log Z_top (the top RBM's marginal of its visible layer),
        averaged over ``n_samples`` draws h ~ Q per example (Salakhutdinov & Murray 2008,
        Eq. 9). Binary visible units only.

        Parameters
        ----------
        X : array of shape (n_samples, n_visible), binary
        log_z_top : float
            log Z of the top RBM (``self.rbms[-1].ais_log_partition(...)[0]`` or exact).
        n_samples : int, default 10
        rng : None, int or Generator

        Returns
        -------
        float
            The mean over rows of the estimated bound.
        """
        if self.visible != "bernoulli":
            raise ValueError("the lower bound is implemented for binary visible units only")
        gen = self._gen(rng)
        xp = self._xp
        top = self.rbms[-1]
        v = backend.asarray(X, self.rbms[0].dtype)
        total = 0.0
        for _ in range(int(n_samples)):
            bound = xp.zeros(v.shape[0], dtype=np.float64)
            lower = v
            for k in range(self.n_layers - 1):
                rbm = self.rbms[k]
                q = rbm.p_h_given_v(lower)
                h = _rng.bernoulli(gen, q)
                a_up = lower @ rbm.W + rbm.c  # log Q(h | lower)
                log_q = (h * _log_sigmoid(a_up) + (1 - h) * _log_sigmoid(-a_up)).sum(1)
                a_dn = h @ rbm.W.T + rbm.b  # log P(lower | h)
                log_p = lower * _log_sigmoid(a_dn) + (1 - lower) * _log_sigmoid(-a_dn)
                bound += (log_p.sum(1) - log_q).astype(np.float64)
                lower = h
            bound += -top.free_energy(lower).astype(np.float64) - float(log_z_top)
            total += float(bound.mean())
        return total / int(n_samples)

    # ------------------------------------------------------------------ fine-tuning
    def to_classifier(self, n_classes, random_state=None):
        """A :mod:`tinygen.nn` MLP initialised from the DBN, for supervised fine-tuning.

        ``Sequential(Linear(n_0, n_1), Sigmoid(), …, Linear(n_{L−1}, n_L), Sigmoid(),
        Linear(n_L, n_classes))``: hidden layer k computes σ(x W⁽ᵏ⁾ + c⁽ᵏ⁾) exactly as the
        up-pass (:meth:`transform`) — ``weight.data = W⁽ᵏ⁾ᵀ``, ``bias.data = c⁽ᵏ⁾``; for
        Gaussian visible units the first weight is (W⁽¹⁾ / σ)ᵀ. The output layer is fresh
        (``random_state``); train it with ``F.cross_entropy`` on its logits.

        Returns
        -------
        tinygen.nn.Sequential
        """
        from .. import nn  # noqa: PLC0415  (the autograd stack is only needed here)

        gen = _rng.as_generator(random_state)
        mods = []
        for k, rbm in enumerate(self.rbms):
            lin = nn.Linear(rbm.n_visible, rbm.n_hidden, random_state=gen)
            W = rbm.W
            if k == 0 and self.visible == "gaussian":
                W = W / rbm.sigma[:, None]
            lin.weight.data = backend.asarray(W.T.copy(), lin.weight.data.dtype)
            lin.bias.data = backend.asarray(rbm.c.copy(), lin.bias.data.dtype)
            mods += [lin, nn.Sigmoid()]
        mods.append(nn.Linear(self.layer_sizes[-1], int(n_classes), random_state=gen))
        return nn.Sequential(*mods)

    # ------------------------------------------------------------------ persistence
    def save(self, path):
        """Write every layer's parameters to one ``.npz`` (temp file, then rename).

        Through :func:`tinygen.io.save_npz` (a ``.npz`` suffix is added when missing);
        returns the path written.
        """
        arrays = {
            "class": np.array("DBN"),
            "layer_sizes": np.asarray(self.layer_sizes),
            "visible": np.array(self.visible),
        }
        for k, rbm in enumerate(self.rbms):
            for name in ("W", "b", "c"):
                arrays[f"layer{k}_{name}"] = backend.to_numpy(getattr(rbm, name))
            if isinstance(rbm, GaussianBernoulliRBM):
                arrays[f"layer{k}_log_sigma"] = backend.to_numpy(rbm.log_sigma)
        return save_npz(path, arrays)

    @classmethod
    def load(cls, path, rbm_kwargs=None, random_state=None):
        """Load a DBN written by :meth:`save` (``allow_pickle=False``).

        Raises ``FileNotFoundError`` for a missing file and :class:`tinygen.io.CheckpointError`
        (a ``ValueError``) for a corrupt or foreign one.
        """
        path = Path(path)
        data = load_npz(path)
        if str(data.get("class", "")) != "DBN":
            raise ValueError(f"{path} is not a DBN checkpoint (written by DBN.save)")
        model = cls(
            data["layer_sizes"].tolist(),
            visible=str(data["visible"]),
            rbm_kwargs=rbm_kwargs,
            random_state=random_state,
        )
        for k, rbm in enumerate(model.rbms):
            W = data[f"layer{k}_W"]
            if W.shape != (rbm.n_visible, rbm.n_hidden):
                raise ValueError(f"{path}: layer {k} W has shape {W.shape}")
            dt = rbm.dtype
            rbm.W = backend.asarray(W, dt)
            rbm.b = backend.asarray(data[f"layer{k}_b"], dt)
            rbm.c = backend.asarray(data[f"layer{k}_c"], dt)
            if isinstance(rbm, GaussianBernoulliRBM):
                rbm.log_sigma = backend.asarray(data[f"layer{k}_log_sigma"], dt)
                rbm._b_from_data = True
        return model

    def __repr__(self):
        return f"DBN(layer_sizes={self.layer_sizes}, visible={self.visible!r})"
