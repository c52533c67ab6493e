"""Benchmark: one training step of an MLP VAE (tinygen vs PyTorch CPU vs hand-written NumPy).

Encoder 784-500-500-(50 μ, 50 log σ²), decoder 50-500-500-784, ReLU, Bernoulli logits,
loss = Σ_pixels BCE-with-logits + closed-form KL, averaged over the batch; Adam, batch 100,
float32. Prints samples per second (best of several repetitions of ``--steps`` steps: the
machine is shared, so the best repetition is the least disturbed one).

    python benchmarks/bench_mlp.py [--steps 50] [--repeats 5] [--no-torch] [--profile]

The reusable pieces (``tinygen_vae_step``, ``torch_vae_step``, ``numpy_vae_step``,
``best_rate``) are imported by ``benchmarks/bench_autograd.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

D, H, Z, BATCH = 784, 500, 50, 100


def make_data(n_batches=10, batch=BATCH, seed=0):
    """Binary images (n_batches, batch, 784) float32, pixels ~ Bernoulli(0.3)."""
    rng = np.random.default_rng(seed)
    return (rng.random((n_batches, batch, D)) < 0.3).astype(np.float32)


# --------------------------------------------------------------------------- tinygen
def tinygen_vae_step(seed=0):
    """Return ``step(x)`` running one Adam step of the tinygen VAE on a batch x (B, 784)."""
    import tinygen.functional as F
    from tinygen import Tensor, nn, optim
    from tinygen.rng import as_generator, normal

    rng = as_generator(seed)

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc1 = nn.Linear(D, H, random_state=rng)
            self.enc2 = nn.Linear(H, H, random_state=rng)
            self.mu = nn.Linear(H, Z, random_state=rng)
            self.logvar = nn.Linear(H, Z, random_state=rng)
            self.dec1 = nn.Linear(Z, H, random_state=rng)
            self.dec2 = nn.Linear(H, H, random_state=rng)
            self.dec3 = nn.Linear(H, D, random_state=rng)

        def forward(self, x):
            h = self.enc2(self.enc1(x).relu()).relu()
            mu, logvar = self.mu(h), self.logvar(h)
            eps = Tensor(normal(rng, mu.shape, mu.dtype))
            z = mu + (logvar * 0.5).exp() * eps  # reparameterization
            logits = self.dec3(self.dec2(self.dec1(z).relu()).relu())
            n = x.shape[0]
            rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
            kl = F.kl_normal(mu, logvar, reduction="sum")
            return (rec + kl) * (1.0 / n)

    model = VAE()
    opt = optim.Adam(model.parameters(), lr=1e-3)

    def step(x):
        opt.zero_grad()
        loss = model(Tensor(x))
        loss.backward()
        opt.step()
        return loss

    step.model, step.opt = model, opt
    return step


# --------------------------------------------------------------------------- PyTorch
def torch_vae_step(seed=0):
    """The same VAE step in PyTorch (CPU, float32, default threads), or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    from torch import nn as tnn

    torch.manual_seed(seed)

    class VAE(tnn.Module):
        def __init__(self):
            super().__init__()
            self.enc1, self.enc2 = tnn.Linear(D, H), tnn.Linear(H, H)
            self.mu, self.logvar = tnn.Linear(H, Z), tnn.Linear(H, Z)
            self.dec1, self.dec2, self.dec3 = tnn.Linear(Z, H), tnn.Linear(H, H), tnn.Linear(H, D)

        def forward(self, x):
            h = torch.relu(self.enc2(torch.relu(self.enc1(x))))
            mu, logvar = self.mu(h), self.logvar(h)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            logits = self.dec3(torch.relu(self.dec2(torch.relu(self.dec1(z)))))
            rec = tnn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum")
            kl = 0.5 * torch.sum(torch.exp(logvar) + mu * mu - 1.0 - logvar)
            return (rec + kl) / x.shape[0]

    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    cache = {}

    def step(x):
        xt = cache.get(id(x))
        if xt is None:
            xt = cache[id(x)] = torch.from_numpy(x)
        opt.zero_grad()
        loss = model(xt)
        loss.backward()
        opt.step()
        return loss

    return step


# -------------------------------------------------------------- hand-written NumPy
def numpy_vae_step(seed=0):
    """The same step with hand-derived backprop in plain NumPy (a lower bound on overhead)."""
    rng = np.random.default_rng(seed)
    sizes = [(D, H), (H, H), (H, Z), (H, Z), (Z, H), (H, H), (H, D)]
    Ws = [(rng.uniform(-1, 1, (o, i)) / np.sqrt(i)).astype(np.float32) for i, o in sizes]
    bs = [np.zeros(o, np.float32) for _, o in sizes]
    params = Ws + bs
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    state = {"t": 0}
    b1, b2, lr, eps = 0.9, 0.999, 1e-3, 1e-8

    def lin(x, i):
        return x @ Ws[i].T + bs[i]

    def step(x):
        n = x.shape[0]
        a1 = lin(x, 0)
        h1 = np.maximum(a1, 0)
        a2 = lin(h1, 1)
        h2 = np.maximum(a2, 0)
        mu, lv = lin(h2, 2), lin(h2, 3)
        e = rng.standard_normal(mu.shape, dtype=np.float32)
        sd = np.exp(0.5 * lv)
        z = mu + sd * e
        a4 = lin(z, 4)
        h4 = np.maximum(a4, 0)
        a5 = lin(h4, 5)
        h5 = np.maximum(a5, 0)
        lg = lin(h5, 6)
        ev = np.exp(lv)
        loss = (
            np.sum(np.maximum(lg, 0) - lg * x + np.log1p(np.exp(-np.abs(lg))))
            + 0.5 * np.sum(ev + mu * mu - 1 - lv)
        ) / n
        # backward
        glg = (0.5 * (1 + np.tanh(0.5 * lg)) - x) / n
        gW, gb = [None] * 7, [None] * 7
        gW[6], gb[6] = glg.T @ h5, glg.sum(0)
        g = (glg @ Ws[6]) * (a5 > 0)
        gW[5], gb[5] = g.T @ h4, g.sum(0)
        g = (g @ Ws[5]) * (a4 > 0)
        gW[4], gb[4] = g.T @ z, g.sum(0)
        gz = g @ Ws[4]
        gmu = gz + mu / n
        glv = gz * e * 0.5 * sd + 0.5 * (ev - 1) / n
        gW[2], gb[2] = gmu.T @ h2, gmu.sum(0)
        gW[3], gb[3] = glv.T @ h2, glv.sum(0)
        g = (gmu @ Ws[2] + glv @ Ws[3]) * (a2 > 0)
        gW[1], gb[1] = g.T @ h1, g.sum(0)
        g = (g @ Ws[1]) * (a1 > 0)
        gW[0], gb[0] = g.T @ x, g.sum(0)
        state["t"] += 1
        t = state["t"]
        c1, c2 = 1 - b1**t, 1 - b2**t
        for p, gp, mp, vp in zip(params, gW + gb, m, v):
            mp *= b1
            mp += (1 - b1) * gp
            vp *= b2
            vp += (1 - b2) * gp * gp
            p -= lr / c1 * mp / (np.sqrt(vp / c2) + eps)
        return loss

    return step


# --------------------------------------------------------------------- Adam alone
VAE_SHAPES = [(H, D), (H,), (H, H), (H,), (Z, H), (Z,), (Z, H), (Z,), (H, Z), (H,), (H, H), (H,)]
VAE_SHAPES += [(D, H), (D,)]


def adam_ms(repeats=7, steps=10, clock=time.perf_counter):
    """Milliseconds per Adam step on the VAE's parameter shapes: {name: ms} for tinygen and
    (if importable) PyTorch's default Adam."""
    from tinygen import nn, optim

    rng = np.random.default_rng(0)
    ps = [nn.Parameter(rng.standard_normal(s).astype(np.float32)) for s in VAE_SHAPES]
    for p in ps:
        p.grad = rng.standard_normal(p.shape).astype(np.float32)
    fns = {"tinygen": optim.Adam(ps, lr=1e-3).step}
    try:
        import torch

        tps = [torch.nn.Parameter(torch.from_numpy(p.data.copy())) for p in ps]
        for tp, p in zip(tps, ps):
            tp.grad = torch.from_numpy(p.grad.copy())
        fns["torch"] = torch.optim.Adam(tps, lr=1e-3).step
    except ImportError:
        pass
    best = {}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = clock()
            for _ in range(steps):
                fn()
            best[name] = min(best.get(name, np.inf), (clock() - t0) / steps * 1e3)
    return best


# ------------------------------------------------------------------------ timing
def best_rate(step, data, steps=50, repeats=5, warmup=5, clock=time.perf_counter):
    """Best samples/s over ``repeats`` runs of ``steps`` steps cycling through ``data``.

    ``clock=time.process_time`` counts this process's CPU time instead of wall time: on a
    loaded machine and with one BLAS/torch thread it measures the work, not the waiting.
    """
    for i in range(warmup):
        step(data[i % len(data)])
    best = 0.0
    for _ in range(repeats):
        t0 = clock()
        for i in range(steps):
            step(data[i % len(data)])
        dt = clock() - t0
        best = max(best, steps * data.shape[1] / dt)
    return best


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--quick", action="store_true", help="10 steps, 2 repeats (a smoke run)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--no-numpy", action="store_true")
    p.add_argument("--profile", action="store_true", help="cProfile the tinygen step")
    p.add_argument("--adam", action="store_true", help="also time the Adam step alone")
    p.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="wall time (default) or process CPU time (fair on a loaded machine only with "
        "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1)",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.repeats = 10, 2
    data = make_data()
    tg = tinygen_vae_step()
    if args.profile:
        import cProfile
        import pstats

        best_rate(tg, data, steps=5, repeats=1)
        pr = cProfile.Profile()
        pr.enable()
        best_rate(tg, data, steps=args.steps, repeats=1, warmup=0)
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(25)
        return
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    rates = {}
    # interleave the contenders so that load changes on the shared machine hit all of them
    contenders = {"tinygen": tg}
    if not args.no_torch:
        ts = torch_vae_step()
        if ts is not None:
            contenders["torch"] = ts
    if not args.no_numpy:
        contenders["numpy"] = numpy_vae_step()
    for _ in range(args.repeats):
        for name, fn in contenders.items():
            r = best_rate(fn, data, steps=args.steps, repeats=1, warmup=2, clock=clock)
            rates[name] = max(rates.get(name, 0.0), r)
    line = f"mlp_vae_step ({args.clock} clock)  tinygen {rates['tinygen']:8.0f} samples/s"
    if "torch" in rates:
        line += f"  torch {rates['torch']:8.0f}  ratio {rates['tinygen'] / rates['torch']:.2f}x"
    if "numpy" in rates:
        line += f"  numpy-by-hand {rates['numpy']:8.0f}"
    if args.adam:
        ms = adam_ms(clock=clock)
        print(
            f"adam_step ({args.clock} clock, {sum(int(np.prod(s)) for s in VAE_SHAPES)} params)  "
            + "  ".join(f"{k} {v:.2f} ms" for k, v in ms.items())
        )
    if "torch" in rates:
        import torch

        line += f"  [torch threads {torch.get_num_threads()}]"
    print(line)
    return rates


if __name__ == "__main__":
    main()
