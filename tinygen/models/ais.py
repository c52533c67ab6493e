"""Annealed importance sampling (AIS) estimates of log partition functions.

Lesson: ``lessons/rbm.py`` §6 "The partition function and AIS".

AIS (Neal 2001) moves M independent samples from a tractable base distribution p_A
(known Z_A) towards the target p_B through intermediate distributions p_0 = p_A, p_1, …,
p_K = p_B, with unnormalized densities p*_k. Sample x₁ ~ p_0 and x_{k+1} ~ T_k(x_k), a
Markov transition leaving p_k invariant; the importance weight

    w = Π_{k=1}^{K} p*_k(x_k) / p*_{k−1}(x_k)

has E[w] = Z_B / Z_A, so log Ẑ_B = log Z_A + log( (1/M) Σ_m w⁽ᵐ⁾ ).

This module holds the pieces shared by the RBM and the DBN: the base-rate model fitted to
the data marginals, the annealing schedule of Salakhutdinov & Murray (2008), the
log-mean-exp estimate with its ±3σ interval, a generic AIS driver, and the RBM-specific
annealing (:func:`rbm_ais`) and the deep Boltzmann machine's (:func:`dbm_ais`).

References
----------
.. [1] Neal, "Annealed importance sampling", Statistics and Computing 11, 2001.
.. [2] Salakhutdinov, Murray, "On the quantitative analysis of deep belief networks",
   ICML 2008.
.. [3] Goodfellow, Bengio, Courville, *Deep Learning*, MIT Press 2016, §18.7.1.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..numerics import sigmoid, softplus
from ..rng import as_generator, uniform

__all__ = [
    "base_rate",
    "base_rate_log_partition",
    "ais_betas",
    "log_mean_exp",
    "ais_estimate",
    "run_ais",
    "rbm_ais",
    "dbm_ais",
]


def base_rate(X, smoothing=0.05) -> np.ndarray:
    r"""Visible biases of the base-rate model: log-odds of the smoothed data marginals.

    .. math:: p_i = \frac{\bar x_i + s}{1 + 2s}, \qquad b^A_i = \log\frac{p_i}{1 - p_i},

    with x̄ᵢ the fraction of rows where unit i is on and s the ``smoothing`` (s = 0.05 is
    close to Salakhutdinov & Murray's pseudo-count of 5 per mini-batch of 100). The
    product of independent Bernoullis with these biases is the maximum-likelihood
    fully factorized model of the (smoothed) data.

    Parameters
    ----------
    X : array of shape (n_samples, n_visible), binary
    smoothing : float, default 0.05
        Must be positive so that never-on / always-on units give finite biases.

    Returns
    -------
    ndarray of shape (n_visible,), float64
    """
    X = backend.to_numpy(X)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty 2-D array, got shape {X.shape}")
    if not smoothing > 0:
        raise ValueError(f"smoothing must be positive, got {smoothing}")
    p = (X.mean(axis=0, dtype=np.float64) + smoothing) / (1.0 + 2.0 * smoothing)
    return np.log(p) - np.log1p(-p)


def base_rate_log_partition(b_A, n_hidden=0) -> float:
    """log Z_A of the base-rate model Π_i Bernoulli(σ(b_A,i)) times ``n_hidden`` free hidden units.

    log Z_A = Σ_i softplus(b_A,i) + n_hidden · log 2 (each hidden unit of an RBM at β = 0
    contributes a factor 1 + e⁰ = 2).
    """
    b_A = np.asarray(b_A, dtype=np.float64)
    return float(softplus(b_A).sum() + n_hidden * math.log(2.0))


def ais_betas(n_betas=14500) -> np.ndarray:
    """Inverse temperatures 0 = β₀ < β₁ < … < β_K = 1 spaced as Salakhutdinov & Murray (2008).

    Linear pieces with point counts in proportion 500 : 4,000 : 10,000 on [0, 0.5),
    [0.5, 0.9) and [0.9, 1] (the paper's 14,500 betas: steps of 10⁻³, 10⁻⁴ and 10⁻⁵),
    denser where the distributions change fastest.

    Parameters
    ----------
    n_betas : int, default 14500
        Total number of betas (at least 3).

    Returns
    -------
    ndarray of shape (n_betas,), float64
    """
    n = int(n_betas)
    if n < 3:
        raise ValueError(f"n_betas must be at least 3, got {n_betas}")
    n1 = max(1, round(n * 500 / 14500))
    n2 = max(1, round(n * 4000 / 14500))
    n3 = n - n1 - n2
    if n3 < 1:
        n2 -= 1 - n3
        n3 = 1
    return np.concatenate(
        [
            np.linspace(0.0, 0.5, n1, endpoint=False),
            np.linspace(0.5, 0.9, n2, endpoint=False),
            np.linspace(0.9, 1.0, n3) if n3 > 1 else np.array([1.0]),
        ]
    )


def log_mean_exp(a, axis=None):
    """log( mean(exp(a)) ), stably: max + log mean exp(a − max)."""
    a = np.asarray(a, dtype=np.float64)
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.mean(np.exp(a - m), axis=axis, keepdims=True)) + m
    out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return float(out) if out.ndim == 0 else out


def ais_estimate(log_w, log_z_base=0.0, n_sigma=3.0):
    """AIS estimate of log Z and the interval log(Ẑ ± n_sigma·σ̂) from the log importance weights.

    Ẑ = Z_A · mean(w) and σ̂ = Z_A · std(w)/√M (standard error of the mean weight), as in
    Salakhutdinov & Murray (2008): the interval is [log(Ẑ − 3σ̂), log(Ẑ + 3σ̂)], with a
    lower end of −inf when Ẑ − 3σ̂ ≤ 0.

    Parameters
    ----------
    log_w : array of shape (M,)
        Log importance weights of the M runs.
    log_z_base : float
        log Z_A of the base distribution.
    n_sigma : float, default 3

    Returns
    -------
    log_z : float
    interval : (float, float)
    """
    log_w = np.asarray(log_w, dtype=np.float64).ravel()
    if log_w.size == 0 or not np.all(np.isfinite(log_w)):
        raise ValueError("log_w must be a non-empty array of finite log weights")
    M = log_w.size
    m = log_w.max()
    w = np.exp(log_w - m)
    log_mean = float(np.log(w.mean()) + m)
    std = float(w.std())
    if std == 0.0:
        return log_mean + log_z_base, (log_mean + log_z_base, log_mean + log_z_base)
    log_err = math.log(n_sigma) + math.log(std) + m - 0.5 * math.log(M)
    upper = float(np.logaddexp(log_mean, log_err))
    ratio = math.exp(log_err - log_mean)
    lower = log_mean + math.log1p(-ratio) if ratio < 1.0 else -math.inf
    return log_mean + log_z_base, (lower + log_z_base, upper + log_z_base)


def run_ais(sample_base, log_unnormalized, transition, betas, rng=None):
    """Generic AIS driver: returns the log importance weights of the runs.

    For k = 1..K: log w += log p*_{β_k}(x) − log p*_{β_{k−1}}(x), then x ← T_{β_k}(x).

    Parameters
    ----------
    sample_base : callable ``rng -> x``
        Draws the M runs' starting states from p_0 (an array with M rows).
    log_unnormalized : callable ``(x, beta) -> array of shape (M,)``
        log p*_β(x), the unnormalized log-probability of the intermediate distribution.
    transition : callable ``(x, beta, rng) -> x``
        A Markov transition leaving p_β invariant.
    betas : array of shape (K + 1,)
        From 0 to 1 (e.g. :func:`ais_betas`).
    rng : None, int or Generator

    Returns
    -------
    ndarray of shape (M,), float64
        Combine with :func:`ais_estimate` and the base model's log Z.
    """
    rng = as_generator(rng)
    betas = np.asarray(betas, dtype=np.float64)
    x = sample_base(rng)
    log_w = None
    prev = betas[0]
    for beta in betas[1:]:
        inc = np.asarray(
            backend.to_numpy(log_unnormalized(x, beta)), dtype=np.float64
        ) - np.asarray(backend.to_numpy(log_unnormalized(x, prev)), dtype=np.float64)
        log_w = inc if log_w is None else log_w + inc
        x = transition(x, beta, rng)
        prev = beta
    return log_w


def _schedule(n_betas, n_runs, betas=None):
    """(betas, M): the given or default inverse temperatures, checked, and the number of runs."""
    betas = ais_betas(n_betas) if betas is None else np.asarray(betas, dtype=np.float64)
    if betas[0] != 0.0 or betas[-1] != 1.0 or np.any(np.diff(betas) < 0):
        raise ValueError("betas must increase from 0 to 1")
    M = int(n_runs)
    if M < 2:
        raise ValueError(f"n_runs must be at least 2 (for the interval), got {n_runs}")
    return betas, M


def rbm_ais(W, b, c, b_A, n_betas=14500, n_runs=100, rng=None, betas=None, return_log_w=False):
    r"""AIS estimate of an RBM's log Z from a base-rate RBM (Salakhutdinov & Murray 2008, §4.1).

    Intermediate distributions, with a = c + vᵀW:

    .. math::

        p^*_\beta(v) = \exp\big((1-\beta)\, b_A^\top v + \beta\, b^\top v\big)
                       \prod_j \big(1 + e^{\beta a_j}\big),

    the visible marginal of the RBM with energy E_β(v, h) = −(1−β)b_Aᵀv − β(bᵀv + cᵀh +
    vᵀWh), so the transition T_β is exact block Gibbs: h_j ~ σ(β a_j), then
    v_i ~ σ((1−β) b_{A,i} + β(b_i + W_{i,:}h)). At β = 0 it is the base-rate model
    (Z_A = 2^{n_h} Π_i (1 + e^{b_{A,i}})); at β = 1 the RBM. The log weight accumulates
    log p*_{β_k}(v_k) − log p*_{β_{k−1}}(v_k).

    Gibbs sampling runs in the parameters' dtype (float32 GEMMs); the log weights are
    accumulated in float64.

    Parameters
    ----------
    W : array of shape (n_visible, n_hidden)
    b : array of shape (n_visible,)
    c : array of shape (n_hidden,)
    b_A : array of shape (n_visible,)
        Visible biases of the base-rate model (:func:`base_rate` of the training data).
    n_betas : int, default 14500
    n_runs : int, default 100
    rng : None, int or Generator
    betas : array, optional
        Overrides ``n_betas``.
    return_log_w : bool, default False
        Also return the (n_runs,) log weights (without log Z_A).

    Returns
    -------
    log_z : float
    interval : (float, float)
        log(Ẑ ∓ 3σ̂), see :func:`ais_estimate`.
    log_w : ndarray of shape (n_runs,), only if ``return_log_w``
    """
    rng = as_generator(rng)
    xp = backend.get_array_module(W)
    dt = W.dtype
    betas, M = _schedule(n_betas, n_runs, betas)
    n_visible, n_hidden = W.shape
    b_A64 = np.asarray(b_A, dtype=np.float64)
    bA = xp.asarray(b_A64.astype(dt))
    b64 = backend.to_numpy(b).astype(np.float64)
    delta_b64 = b64 - b_A64  # log p*_β(v) = b_Aᵀv + β(b − b_A)ᵀv + Σ softplus(β a)
    delta_b = xp.asarray(delta_b64.astype(dt))
    WT = xp.ascontiguousarray(W.T)

    # v ~ p_0 (base rate)
    p0 = sigmoid(xp.tile(bA[None, :], (M, 1)))
    v = (uniform(rng, (M, n_visible), dt) < p0).astype(dt)
    log_w = np.zeros(M)
    for k in range(1, len(betas)):
        beta, prev = betas[k], betas[k - 1]
        a = v @ W
        a += c
        a64 = backend.to_numpy(a).astype(np.float64)
        log_w += (beta - prev) * (backend.to_numpy(v).astype(np.float64) @ delta_b64)
        log_w += (softplus(beta * a64) - softplus(prev * a64)).sum(axis=1)
        # transition at β_k: h ~ σ(β a), v ~ σ(b_A + β(b − b_A + W h))
        a *= dt.type(beta)
        ph = sigmoid(a)
        h = uniform(rng, ph.shape, dt)
        xp.less(h, ph, out=h)
        pre = h @ WT
        pre += delta_b
        pre *= dt.type(beta)
        pre += bA
        pv = sigmoid(pre)
        u = uniform(rng, pv.shape, dt)
        xp.less(u, pv, out=u)
        v = u
    log_z, interval = ais_estimate(log_w, base_rate_log_partition(b_A64, n_hidden))
    return (log_z, interval, log_w) if return_log_w else (log_z, interval)


def dbm_ais(W1, W2, b, c1, c2, b_A, n_betas=14500, n_runs=100, rng=None, betas=None):
    r"""AIS estimate of a two-layer DBM's log Z (Salakhutdinov & Hinton 2009, §4).

    Lesson: ``lessons/dbm.py`` §5.

    The intermediate models have energy E_β = β E_DBM − (1 − β) b_Aᵀv: at β = 0 the visible
    units are the base-rate model and h¹, h² free, so Z_A = 2^{n_1 + n_2} Π_i (1 + e^{b_A,i}).
    The AIS state is h¹ alone, v and h² being summed out in closed form:

    .. math::

        \log p^*_\beta(h^1) = \beta\, c^{1\top} h^1
            + \sum_i \operatorname{softplus}\big((1-\beta) b_{A,i}
                + \beta (b_i + W^1_{i,:} h^1)\big)
            + \sum_k \operatorname{softplus}\big(\beta (c^2_k + h^{1\top} W^2_{:,k})\big).

    The transition T_β is one two-block Gibbs sweep of E_β: v ~ σ((1−β)b_A + β(b + W¹h¹)),
    h² ~ σ(β(c² + h¹ᵀW²)), then h¹ ~ σ(β(c¹ + vᵀW¹ + W²h²)); it leaves p_β(h¹) invariant.

    Parameters
    ----------
    W1 : array of shape (n_visible, n_hidden1)
    W2 : array of shape (n_hidden1, n_hidden2)
    b, c1, c2 : arrays of shapes (n_visible,), (n_hidden1,), (n_hidden2,)
    b_A : array of shape (n_visible,)
        Visible biases of the base-rate model (:func:`base_rate` of the training data).
    n_betas, n_runs, rng, betas
        As :func:`rbm_ais`.

    Returns
    -------
    log_z : float
    interval : (float, float)
        log(Ẑ ∓ 3σ̂), see :func:`ais_estimate`.
    """
    rng = as_generator(rng)
    xp = backend.get_array_module(W1)
    dt = W1.dtype
    betas, M = _schedule(n_betas, n_runs, betas)
    n_hidden1, n_hidden2 = W2.shape
    b_A64 = np.asarray(b_A, dtype=np.float64)
    bA = xp.asarray(b_A64.astype(dt))
    c1_64 = backend.to_numpy(c1).astype(np.float64)

    def log_p_star(pre_v, pre_2, lin, beta):
        """log p*_β(h¹) from the β-free pieces pre_v = b + W¹h¹, pre_2 = c² + h¹ᵀW², lin = c¹ᵀh¹."""
        return (beta * lin + softplus((1.0 - beta) * b_A64 + beta * pre_v).sum(axis=1)
                + softplus(beta * pre_2).sum(axis=1))

    h1 = (uniform(rng, (M, n_hidden1), dt) < 0.5).astype(dt)  # p_0(h¹) is uniform
    log_w = np.zeros(M)
    for k in range(1, len(betas)):
        beta, prev = betas[k], betas[k - 1]
        pre_v = h1 @ W1.T
        pre_v += b
        pre_2 = h1 @ W2
        pre_2 += c2
        pv64 = backend.to_numpy(pre_v).astype(np.float64)
        p264 = backend.to_numpy(pre_2).astype(np.float64)
        lin = backend.to_numpy(h1).astype(np.float64) @ c1_64
        log_w += log_p_star(pv64, p264, lin, beta) - log_p_star(pv64, p264, lin, prev)
        # transition at β_k: (v, h²) | h¹, then h¹ | (v, h²)
        bt = dt.type(beta)
        pre_v *= bt
        pre_v += dt.type(1.0 - beta) * bA
        v = (uniform(rng, pre_v.shape, dt) < sigmoid(pre_v)).astype(dt)
        h2 = (uniform(rng, pre_2.shape, dt) < sigmoid(bt * pre_2)).astype(dt)
        pre_1 = v @ W1 + h2 @ W2.T
        pre_1 += c1
        h1 = (uniform(rng, pre_1.shape, dt) < sigmoid(bt * pre_1)).astype(dt)
    return ais_estimate(log_w, base_rate_log_partition(b_A64, n_hidden1 + n_hidden2))
