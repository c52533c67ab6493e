"""Adam: adaptive moment estimation with bias correction.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from .. import backend
from .._threads import default_n_threads, run_groups
from .optimizer import FLUSH_EVERY, Optimizer, flush_tiny_

__all__ = ["Adam"]

#: elements per block of the in-place update on the NumPy backend: all the passes over one
#: block run while it sits in the CPU cache (64k float32 × 5 arrays ≈ 1.3 MB, within L2)
#: instead of streaming every full array from memory ten times.
CHUNK = 65536

#: below this many elements in total, the update runs in the calling thread only
THREAD_MIN_SIZE = 262144

#: elements per block when the update is shared among threads: bigger than :data:`CHUNK`,
#: because every ufunc call of a worker ends with a GIL hand-off (see
#: :func:`tinygen._threads.run_blockwise`). In-process A/Bs on 2 CPUs against the former
#: setting (threads from 512k parameters, in 64k blocks): the steps of
#: ``benchmarks/bench_vae.py`` (425k parameters, on one thread before) 1.012× (ELBO,
#: quartiles 1.004-1.032) and 1.017× (IWAE-5), the 1.36M-parameter MLP VAE of
#: ``bench_autograd.py`` 1.002× (0.963-1.016): small, and no case slower.
THREAD_CHUNK = 262144


def _adam_update(xp, theta, g, m, v, s, w, b1, b2, alpha, eps_t, wd, flush=False):
    """In place: θ ← θ − α m̃ / (√ṽ + ε̃) after m̃ ← β₁ m̃ + g, ṽ ← β₂ ṽ + g² (10 array passes;
    two more with weight decay). ``s`` and ``w`` are scratch arrays of θ's shape. With
    ``flush``, m̃ and ṽ are then swept of near-subnormal values (:func:`flush_tiny_`)."""
    if wd:
        xp.multiply(theta, wd, out=w)
        w += g
        g = w
    m *= b1
    m += g
    xp.multiply(g, g, out=s)
    v *= b2
    v += s
    xp.sqrt(v, out=s)
    s += eps_t
    xp.divide(m, s, out=s)
    s *= alpha
    theta -= s
    if flush:
        flush_tiny_(xp, m)
        flush_tiny_(xp, v)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with PyTorch's conventions (L2 weight decay added to g).

    For each parameter θ with gradient g, at step t = 1, 2, …:

    .. math::

        g &\\leftarrow g + \\lambda\\,\\theta\\\\
        m_t &= \\beta_1 m_{t-1} + (1-\\beta_1)\\, g\\\\
        v_t &= \\beta_2 v_{t-1} + (1-\\beta_2)\\, g^2\\\\
        \\hat m_t &= m_t / (1-\\beta_1^t), \\qquad \\hat v_t = v_t / (1-\\beta_2^t)\\\\
        \\theta &\\leftarrow \\theta - \\eta\\, \\hat m_t / (\\sqrt{\\hat v_t} + \\epsilon)

    with m₀ = v₀ = 0.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float, default 1e-3
        η.
    betas : (float, float), default (0.9, 0.999)
        (β₁, β₂), decay rates of the first and second moment estimates.
    eps : float, default 1e-8
        ε.
    weight_decay : float, default 0
        λ.
    n_threads : int or None, default None
        Threads sharing the update on the NumPy backend (None: the CPUs available, at most
        4). The result is bit-identical for any value: each element is updated by the same
        operations whichever thread does it.

    Notes
    -----
    # NOTE: speed (this update touches every parameter every step). It is done in place on
    # ``p.data`` with in-place ufuncs (``out=``) into preallocated buffers, and computed
    # with *unnormalised* moments m̃ = m/(1−β₁), ṽ = v/(1−β₂), which obey
    # m̃ ← β₁ m̃ + g and ṽ ← β₂ ṽ + g² (one multiply fewer each). Substituting them and the
    # bias corrections gives exactly the update above with all constants folded into two
    # scalars:
    #
    #     θ ← θ − α m̃ / (√ṽ + ε̃),   r = √((1−β₂)/(1−β₂ᵗ)),
    #     α = η (1−β₁) / ((1−β₁ᵗ) r),   ε̃ = ε / r,
    #
    # ten array passes per parameter. On the NumPy backend each parameter is processed in
    # cache-sized blocks of :data:`CHUNK` elements so those passes hit the CPU cache, and
    # from :data:`THREAD_MIN_SIZE` parameters on, in blocks of :data:`THREAD_CHUNK` shared
    # among ``n_threads`` threads (NumPy releases the GIL in ufuncs).
    # ``state_dict`` stores the usual m and v (PyTorch's ``exp_avg``, ``exp_avg_sq``).

    References
    ----------
    Kingma & Ba (2015), "Adam: a method for stochastic optimization", ICLR.
    """

    _hyper = ("lr", "beta1", "beta2", "eps", "weight_decay")

    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, n_threads=None
    ):
        super().__init__(params, lr)
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"betas must be in [0, 1), got {betas}")
        if eps < 0.0 or weight_decay < 0.0:
            raise ValueError(f"eps and weight_decay must be >= 0, got {eps}, {weight_decay}")
        self.beta1, self.beta2 = float(b1), float(b2)
        self.eps, self.weight_decay = float(eps), float(weight_decay)
        self.m_tilde = [None] * len(self.params)  # m / (1 − β₁)
        self.v_tilde = [None] * len(self.params)  # v / (1 − β₂)
        self.n_threads = default_n_threads() if n_threads is None else int(n_threads)
        if self.n_threads < 1:
            raise ValueError(f"n_threads must be >= 1, got {n_threads}")
        self._scratch = {}

    @property
    def betas(self):
        return (self.beta1, self.beta2)

    # checkpoints hold the standard moments m = (1 − β₁) m̃ and v = (1 − β₂) ṽ
    def _buffers(self):
        return {"m": self.m_tilde, "v": self.v_tilde}

    def _export(self, name, a):
        return a * a.dtype.type(1.0 - (self.beta1 if name == "m" else self.beta2))

    def _import(self, name, a):
        return a / a.dtype.type(1.0 - (self.beta1 if name == "m" else self.beta2))

    def moments(self, i):
        """(m, v) of the i-th parameter (the usual moment estimates; None before a step)."""
        if self.m_tilde[i] is None:
            return None, None
        return self._export("m", self.m_tilde[i]), self._export("v", self.v_tilde[i])

    def _scratch_for(self, xp, dtype, n, worker=0):
        key = (xp.__name__, np.dtype(dtype).str, worker)
        buf = self._scratch.get(key)
        if buf is None or buf[0].size < n:
            buf = self._scratch[key] = (xp.empty(n, dtype=dtype), xp.empty(n, dtype=dtype))
        return buf[0][:n], buf[1][:n]

    def _run_blocks(self, blocks, worker, consts, chunk):
        """Update a list of (θ, g, m̃, ṽ) flat blocks of at most ``chunk`` elements with
        worker ``worker``'s scratch."""
        for th, g, m, v in blocks:
            s, w = self._scratch_for(np, th.dtype, chunk, worker)
            k = th.size
            _adam_update(np, th, g, m, v, s[:k], w[:k], *consts)  # block by block: in cache

    def step(self) -> None:
        """Apply one Adam update to every parameter that has a gradient (in place)."""
        self.t += 1
        b1, b2, t = self.beta1, self.beta2, self.t
        r = math.sqrt((1.0 - b2) / (1.0 - b2**t))
        alpha = self.lr * (1.0 - b1) / ((1.0 - b1**t) * r)
        eps_t = self.eps / r
        wd = self.weight_decay
        flush = t % FLUSH_EVERY == 0  # sweep m̃, ṽ of near-subnormal values (flush_tiny_)
        consts = (b1, b2, alpha, eps_t, wd, flush)
        flat = []  # flattened (θ, g, m̃, ṽ) of the NumPy parameters
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            theta = p.data
            xp = backend.get_array_module(theta)
            m = self.m_tilde[i]
            if m is None:
                m = self.m_tilde[i] = xp.zeros(theta.shape, dtype=theta.dtype)
                self.v_tilde[i] = xp.zeros(theta.shape, dtype=theta.dtype)
            v = self.v_tilde[i]
            if g.dtype != theta.dtype:
                g = g.astype(theta.dtype)
            if g.shape != theta.shape:
                raise ValueError(
                    f"Adam: parameter {i} has shape {tuple(theta.shape)} but its gradient has "
                    f"shape {tuple(g.shape)}"
                )
            if xp is np and theta.flags.c_contiguous:
                flat.append((theta.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1)))
            else:  # CuPy (one kernel per pass already) or a non-contiguous parameter
                s, w = self._scratch_for(xp, theta.dtype, theta.size)
                s, w = s.reshape(theta.shape), w.reshape(theta.shape)
                _adam_update(xp, theta, g, m, v, s, w, *consts)
        if not flat:
            return
        total = sum(f[0].size for f in flat)
        threaded = self.n_threads > 1 and total >= THREAD_MIN_SIZE
        chunk = THREAD_CHUNK if threaded else CHUNK
        blocks = [
            tuple(a[lo : lo + chunk] for a in f) for f in flat for lo in range(0, f[0].size, chunk)
        ]
        n_workers = min(self.n_threads, len(blocks)) if threaded else 1
        if n_workers == 1:
            self._run_blocks(blocks, 0, consts, chunk)
            return
        # contiguous groups of about total / n_workers elements each
        groups, current, size, share = [], [], 0, total / n_workers
        for b in blocks:
            current.append(b)
            size += b[0].size
            if size >= share * (len(groups) + 1) and len(groups) < n_workers - 1:
                groups.append(current)
                current = []
        groups.append(current)
        tasks = [partial(self._run_blocks, grp, w, consts, chunk) for w, grp in enumerate(groups)]
        run_groups(tasks, "tinygen-adam")
