"""Autograd core speed, beside PyTorch CPU when ``torch`` is importable (issue 3).

Cases (float32):
  * MLP VAE training step: encoder 784-500-500-(50, 50), decoder 50-500-500-784, ReLU,
    Bernoulli logits, Adam, batch 100 — samples per second.
  * PixelCNN-shaped step: 7×7 mask-A conv 1→64, five 3×3 convs 64→64 with ReLU, 1×1 conv to
    one logit, batch 32 of 28×28, Adam — images per second.
  * Per-op overhead: 10,000 element-wise ops on 1-element tensors, with backward — µs/op.

Ours and PyTorch run alternately (rounds of a few steps each); each line gives the best
round of each side and the *median* over rounds of the per-round ratio (see
``_common.best_of_pair``: this VM's speed drifts by tens of percent within a minute).
PyTorch runs in a process of its own (``_common.PeerProcess``), so that neither library's
thread pools (PyTorch's OpenMP, NumPy's OpenBLAS) nor allocator heap nor idle
threads act on the other; ``--peer-same-process`` runs it in this process as before.

Run: ``.venv/bin/python benchmarks/bench_autograd.py [--quick] [--case mlp|pixelcnn|overhead]
[--rounds N] [--trained-steps N] [--peer-same-process]``; with a peer each line also
gives the quartiles of the per-round ratios.

``--trained-steps N`` trains both MLP VAEs N steps before the timed rounds, so the rounds
time steps from the steady state of a training run rather than its first few hundred:
from about step 800 on, half of Adam's first moments in this model belong to weights whose
gradient has become exactly zero (dead ReLU units) and have decayed into subnormal
numbers unless the optimizer flushes them (tinygen does, ``tinygen.optim.optimizer.
flush_tiny_``; PyTorch does not unless ``torch.set_flush_denormal(True)``), and arithmetic
on subnormals is ~100× slower on CPUs. ``--peer-ftz`` turns that PyTorch switch on.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _common import (  # noqa: E402
    best_of_pair,
    host_gflops,
    peer_runner,
    peer_setup,
    quartiles,
    report,
    try_torch,
)

import tinygen.functional as F  # noqa: E402
from tinygen import Tensor, nn, optim  # noqa: E402

BATCH_MLP, BATCH_PIX = 100, 32


def _torch(threads=None):
    """``torch`` with ``threads`` intra-op threads (None: its default), or None without it."""
    torch = try_torch()
    if torch is not None and threads:
        torch.set_num_threads(threads)
    return torch


def _peer(same_process, factory, *args):
    """The PyTorch runner ``factory(*args)`` of this script (``_common.peer_runner``)."""
    return peer_runner(same_process, "bench_autograd", factory, *args)


def _spread(rounds):
    """(q1, q3) of the per-round ratios, or None without a peer."""
    return quartiles(rounds)[::2] if rounds else None


# ----------------------------------------------------------------------------- MLP VAE
class MLPVAE(nn.Module):
    def __init__(self, rng):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Linear(784, 500, random_state=rng), nn.ReLU(),
            nn.Linear(500, 500, random_state=rng), nn.ReLU(),
        )
        self.mu = nn.Linear(500, 50, random_state=rng)
        self.logvar = nn.Linear(500, 50, random_state=rng)
        self.dec = nn.Sequential(
            nn.Linear(50, 500, random_state=rng), nn.ReLU(),
            nn.Linear(500, 500, random_state=rng), nn.ReLU(),
            nn.Linear(500, 784, random_state=rng),
        )

    def loss(self, x, eps):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + (logvar * 0.5).exp() * eps
        logits = self.dec(z)
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kl = F.kl_normal(mu, logvar, reduction="sum")
        return (rec + kl) * (1.0 / x.shape[0])


def _mlp_data(steps):
    """Batches X and noise E of the MLP VAE case (the same arrays in either process)."""
    rng = np.random.default_rng(0)
    X = (rng.random((steps, BATCH_MLP, 784)) < 0.3).astype(np.float32)
    E = rng.standard_normal((steps, BATCH_MLP, 50)).astype(np.float32)
    return X, E, rng


def torch_mlp_runner(steps, warm_runs, peer_ftz=False, threads=None):
    """The MLP VAE case in PyTorch (CPU, float32), warmed up; None without torch."""
    torch = _torch(threads)
    if torch is None:
        return None
    X, E, _ = _mlp_data(steps)
    tn = torch.nn
    enc = tn.Sequential(tn.Linear(784, 500), tn.ReLU(), tn.Linear(500, 500), tn.ReLU())
    heads = tn.ModuleList([tn.Linear(500, 50), tn.Linear(500, 50)])
    dec = tn.Sequential(tn.Linear(50, 500), tn.ReLU(), tn.Linear(500, 500), tn.ReLU(),
                        tn.Linear(500, 784))
    params = [*enc.parameters(), *heads.parameters(), *dec.parameters()]
    topt = torch.optim.Adam(params, lr=1e-3)
    TX, TE = torch.from_numpy(X), torch.from_numpy(E)
    bce = torch.nn.functional.binary_cross_entropy_with_logits

    def trun():
        for i in range(steps):
            topt.zero_grad()
            h = enc(TX[i])
            mu, logvar = heads[0](h), heads[1](h)
            z = mu + (0.5 * logvar).exp() * TE[i]
            rec = bce(dec(z), TX[i], reduction="sum")
            kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum()
            ((rec + kl) / BATCH_MLP).backward()
            topt.step()

    if peer_ftz:
        torch.set_flush_denormal(True)
    for _ in range(warm_runs):
        trun()
    return trun


def bench_mlp(steps, repeats, trained_steps=0, peer_ftz=False, threads=None, same_process=False):
    X, E, rng = _mlp_data(steps)
    model = MLPVAE(rng)
    opt = optim.Adam(model.parameters(), lr=1e-3)

    def run():
        for i in range(steps):
            opt.zero_grad()
            loss = model.loss(Tensor(X[i]), Tensor(E[i]))
            loss.backward()
            opt.step()

    warm_runs = max(1, -(-trained_steps // steps))  # warm-up (and pre-training) runs
    for _ in range(warm_runs):
        run()
    rounds = []
    with _peer(same_process, "torch_mlp_runner", steps, warm_runs, peer_ftz, threads) as trun:
        t_ours, t_peer, ratio = best_of_pair(run, trun, repeats, ratios=rounds)
    peer = None if t_peer is None else steps * BATCH_MLP / t_peer
    after = f", after {trained_steps} steps" if trained_steps else ""
    what = f"MLP VAE step (batch 100{after})"
    report(what, steps * BATCH_MLP / t_ours, "samples/s", peer,
           ratio=ratio, spread=_spread(rounds))


# ------------------------------------------------------------------------- PixelCNN
def _mask_a(k):
    m = np.ones((1, 1, k, k), np.float32)
    m[..., k // 2, k // 2:] = 0
    m[..., k // 2 + 1:, :] = 0
    return m


class PixelNet(nn.Module):
    def __init__(self, rng):
        super().__init__()
        self.first = nn.Conv2d(1, 64, 7, padding=3, random_state=rng)
        self.mask = Tensor(_mask_a(7))
        self.body = nn.Sequential(*[
            m for _ in range(5) for m in (nn.Conv2d(64, 64, 3, padding=1, random_state=rng),
                                          nn.ReLU())
        ])
        self.out = nn.Conv2d(64, 1, 1, random_state=rng)

    def forward(self, x):
        h = F.conv2d(x, self.first.weight * self.mask, self.first.bias, padding=3).relu()
        return self.out(self.body(h))


def _pixelcnn_data(steps):
    rng = np.random.default_rng(0)
    X = (rng.random((steps, BATCH_PIX, 1, 28, 28)) < 0.3).astype(np.float32)
    return X, rng


def torch_pixelcnn_runner(steps, threads=None):
    """The PixelCNN-shaped case in PyTorch (CPU, float32), warmed up; None without torch."""
    torch = _torch(threads)
    if torch is None:
        return None
    X, _ = _pixelcnn_data(steps)
    tn = torch.nn
    first = tn.Conv2d(1, 64, 7, padding=3)
    mask = torch.from_numpy(_mask_a(7))
    body = tn.Sequential(*[m for _ in range(5) for m in (tn.Conv2d(64, 64, 3, padding=1),
                                                         tn.ReLU())])
    out = tn.Conv2d(64, 1, 1)
    params = [*first.parameters(), *body.parameters(), *out.parameters()]
    topt = torch.optim.Adam(params, lr=1e-3)
    TX = torch.from_numpy(X)

    def trun():
        for i in range(steps):
            topt.zero_grad()
            h = torch.relu(torch.nn.functional.conv2d(TX[i], first.weight * mask,
                                                      first.bias, padding=3))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(out(body(h)), TX[i])
            loss.backward()
            topt.step()

    trun()
    return trun


def bench_pixelcnn(steps, repeats, threads=None, same_process=False):
    X, rng = _pixelcnn_data(steps)
    model = PixelNet(rng)
    opt = optim.Adam(model.parameters(), lr=1e-3)

    def run():
        for i in range(steps):
            opt.zero_grad()
            x = Tensor(X[i])
            loss = F.binary_cross_entropy_with_logits(model(x), x)
            loss.backward()
            opt.step()

    run()
    rounds = []
    with _peer(same_process, "torch_pixelcnn_runner", steps, threads) as trun:
        t_ours, t_peer, ratio = best_of_pair(run, trun, repeats, ratios=rounds)
    peer = None if t_peer is None else steps * BATCH_PIX / t_peer
    report("PixelCNN-shaped step (batch 32)", steps * BATCH_PIX / t_ours, "images/s", peer,
           ratio=ratio, spread=_spread(rounds))


# ------------------------------------------------------------------------- overhead
def torch_overhead_runner(n_ops, threads=None):
    """The per-op overhead case in PyTorch, warmed up; None without torch."""
    torch = _torch(threads)
    if torch is None:
        return None

    def trun():
        a = torch.ones(1, requires_grad=True)
        b = torch.full((1,), 0.5, requires_grad=True)
        z = a
        for i in range(n_ops):
            z = z * b if i % 2 else z + b
        z.backward()

    trun()
    return trun


def bench_overhead(n_ops, repeats, threads=None, same_process=False):
    def run():
        a = Tensor(np.ones(1, np.float32), requires_grad=True)
        b = Tensor(np.full(1, 0.5, np.float32), requires_grad=True)
        z = a
        for i in range(n_ops):
            z = z * b if i % 2 else z + b
        z.backward()

    run()
    with _peer(same_process, "torch_overhead_runner", n_ops, threads) as trun:
        t_ours, t_peer, ratio = best_of_pair(run, trun, repeats)
    peer = None if t_peer is None else t_peer / n_ops * 1e6
    report(f"per-op overhead ({n_ops} ops + backward)", t_ours / n_ops * 1e6, "us/op", peer,
           higher_is_better=False, ratio=ratio)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    p.add_argument("--case", choices=["mlp", "pixelcnn", "overhead", "all"], default="all")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    p.add_argument("--rounds", type=int, default=None,
                   help="alternating rounds per case (default 7 for mlp, 11 for pixelcnn)")
    p.add_argument("--trained-steps", type=int, default=0,
                   help="train the MLP VAEs this many steps before timing (steady state)")
    p.add_argument("--peer-ftz", action="store_true",
                   help="torch.set_flush_denormal(True) for the MLP VAE peer")
    p.add_argument("--peer-same-process", action="store_true",
                   help="run PyTorch in this process instead of a process of its own")
    args = p.parse_args(argv)
    torch = try_torch()
    q, same, threads = args.quick, args.peer_same_process, args.threads  # runners set threads
    t0 = time.perf_counter()
    print(f"numpy {np.__version__}; torch {torch.__version__ if torch else 'not installed'}")
    if torch is not None:
        print(peer_setup(same))
    print(f"host check: 1024² sgemm {host_gflops():.0f} GFLOPS at the start")
    if args.case in ("mlp", "all"):
        bench_mlp(steps=10 if q else 40, repeats=args.rounds or (2 if q else 7),
                  trained_steps=args.trained_steps, peer_ftz=args.peer_ftz, threads=threads,
                  same_process=same)
    if args.case in ("pixelcnn", "all"):
        bench_pixelcnn(steps=2, repeats=args.rounds or (2 if q else 11), threads=threads,
                       same_process=same)
    if args.case in ("overhead", "all"):
        bench_overhead(n_ops=10_000, repeats=3 if q else 7, threads=threads, same_process=same)
    print(f"host check: 1024² sgemm {host_gflops():.0f} GFLOPS at the end")
    print(f"total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
