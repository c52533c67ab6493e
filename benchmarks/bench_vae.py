"""Benchmark: the VAE of the IWAE paper on binarized MNIST — NLL, training time, throughput.

Architecture (Burda et al., 2016, one stochastic layer): 784-200-200-50 (tanh) encoder with
Gaussian q(z|x), 50-200-200-784 (tanh) Bernoulli decoder, Adam. Data: Larochelle's fixed
binarization (``tinygen.data.binarized_mnist``). Reports:

* the test-style NLL −log p(x) ≈ −L_5000 on the validation split (``--eval-n`` images);
* training time and the training step's samples/s, beside PyTorch CPU's for the same net
  when ``import torch`` works;
* with ``--features``: the few-label feature demo (autoencoder codes vs raw pixels on the
  labelled MNIST test set).

    python benchmarks/bench_vae.py --time-budget 3600 --objective iwae --k 5
    python benchmarks/bench_vae.py --quick                      # a smoke run, ~2 minutes
    python benchmarks/bench_vae.py --throughput-only --objective iwae --k 5   # step speed
    python benchmarks/bench_vae.py --features --n-labels 100 1000

References
----------
Burda, Y., Grosse, R. & Salakhutdinov, R. (2016). Importance weighted autoencoders. ICLR.
    (Table 1: one-layer VAE 86.76 nats, IWAE k=50 84.78, dynamic binarization.)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    best_of_pair,
    host_gflops,
    peer_runner,
    peer_setup,
    quartiles,
    try_torch,
)

D, H, Z = 784, 200, 50


def load(split, n=None):
    from tinygen.data import binarized_mnist

    X = binarized_mnist(split).astype(np.float32)
    return X if n is None else X[:n]


# ------------------------------------------------------------------ throughput
def tinygen_runner(objective, k, batch_size, steps=20, seed=0):
    """A warmed-up callable running ``steps`` tinygen training steps (forward, backward,
    Adam) of the bench net."""
    from tinygen import Tensor
    from tinygen.models.vae import VAE
    from tinygen.optim import Adam

    rng = np.random.default_rng(seed)
    x = (rng.random((batch_size, D)) < 0.3).astype(np.float32)
    model = VAE(n_input=D, hidden=(H, H), n_latent=Z, activation="tanh", random_state=seed)
    opt = Adam(model.parameters(), lr=1e-3)

    def run():
        for _ in range(steps):
            loss = model.loss(Tensor(x), objective=objective, k=k, rng=rng)
            opt.zero_grad()
            loss.backward()
            opt.step()

    run()  # warm-up
    return run


def torch_runner(objective, k, batch_size, steps=20, seed=0):
    """The same in PyTorch (CPU, float32), or None when torch is not importable."""
    torch = try_torch()
    if torch is None:
        return None
    nn = torch.nn
    torch.manual_seed(seed)
    enc = nn.Sequential(nn.Linear(D, H), nn.Tanh(), nn.Linear(H, H), nn.Tanh())
    mu_head, lv_head = nn.Linear(H, Z), nn.Linear(H, Z)
    dec = nn.Sequential(nn.Linear(Z, H), nn.Tanh(), nn.Linear(H, H), nn.Tanh(), nn.Linear(H, D))
    params = [p for m in (enc, mu_head, lv_head, dec) for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    x = (torch.rand(batch_size, D) < 0.3).float()
    log2pi = float(np.log(2 * np.pi))

    def step():
        h = enc(x)
        mu, logvar = mu_head(h), lv_head(h).clamp(-10, 10)
        kk = k if objective == "iwae" else 1
        eps = torch.randn(kk, *mu.shape)
        z = mu + (0.5 * logvar).exp() * eps
        logits = dec(z)
        log_px = -nn.functional.binary_cross_entropy_with_logits(
            logits, x.expand_as(logits), reduction="none"
        ).sum(-1)
        if objective == "iwae":
            log_q = -0.5 * (logvar + eps**2 + log2pi).sum(-1)
            log_p = -0.5 * (z**2 + log2pi).sum(-1)
            obj = torch.logsumexp(log_px + log_p - log_q, 0) - float(np.log(kk))
        else:
            kl = 0.5 * (mu**2 + logvar.exp() - logvar - 1).sum(-1)
            obj = log_px.mean(0) - kl
        loss = -obj.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    def run():
        for _ in range(steps):
            step()

    torch.set_num_threads(max(1, torch.get_num_threads()))
    run()
    return run


def throughput(objective, k, batch_size, steps=20, repeats=9, ratios=None, same_process=False):
    """(ours, peer, ratio): samples/s of the best rounds, and the median per-round ratio of
    ours to PyTorch's, the two timed alternately (``_common.best_of_pair``; a list given as
    ``ratios`` receives the per-round ratios). PyTorch runs in a process of its own
    (``_common.PeerProcess``), or in this one with ``same_process``."""
    ours = tinygen_runner(objective, k, batch_size, steps)
    args = (objective, k, batch_size, steps)
    with peer_runner(same_process, "bench_vae", "torch_runner", *args) as peer:
        t_ours, t_peer, ratio = best_of_pair(ours, peer, repeats, ratios=ratios)
    n = steps * batch_size
    return n / t_ours, (None if t_peer is None else n / t_peer), ratio


# ---------------------------------------------------------------- the NLL run
def train_and_evaluate(args):
    from tinygen.models.vae import VAE

    X = load("train", args.n_train)
    Xv = load("valid", args.eval_n)
    model = VAE(n_input=D, hidden=(H, H), n_latent=Z, activation="tanh", random_state=args.seed)
    log = []

    def callback(epoch, hist):
        log.append({"epoch": epoch + 1, "loss": hist["loss"][-1], "seconds": sum(hist["time"])})
        print(
            f"epoch {epoch + 1:4d}  train loss {hist['loss'][-1]:8.3f}  "
            f"({sum(hist['time']):7.1f} s)",
            flush=True,
        )

    t0 = time.perf_counter()
    hist = model.fit(
        X,
        n_epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        objective=args.objective,
        k=args.k,
        warmup_epochs=args.warmup,
        random_state=args.seed,
        callback=callback,
        time_budget=args.time_budget,
    )
    train_time = time.perf_counter() - t0
    if args.save:
        model.save(args.save)
    t1 = time.perf_counter()
    ll = model.log_likelihood(Xv, k=args.eval_k, batch_size=100, random_state=args.seed + 1)
    if args.save:  # per-image log p̂(x), for a paired comparison (compare_vae.py)
        np.save(f"{args.save}.valid_ll.npy", ll)
    elbo = float(model.elbo(Xv, rng=args.seed + 2).elbo.numpy().mean())
    eval_time = time.perf_counter() - t1
    nll, se = float(-ll.mean()), float(ll.std() / np.sqrt(len(ll)))
    return {
        "objective": args.objective,
        "k": args.k,
        "epochs": len(hist["loss"]),
        "n_train": len(X),
        "train_seconds": train_time,
        "final_train_loss": hist["loss"][-1],
        "valid_images": len(Xv),
        "eval_k": args.eval_k,
        "valid_nll": nll,
        "valid_nll_se": se,
        "valid_neg_elbo": -elbo,
        "eval_seconds": eval_time,
        "log": log,
    }


# ------------------------------------------------------------ feature demo
def feature_demo(args):
    """Autoencoder codes + logistic regression with few labels vs raw pixels (MNIST test)."""
    from tinygen.data import mnist
    from tinygen.models.autoencoder import Autoencoder, linear_probe

    X = load("train", args.n_train)
    ae = Autoencoder(n_input=D, hidden=(256,), n_latent=32, loss="bce", random_state=args.seed)
    t0 = time.perf_counter()
    ae.fit(X, n_epochs=args.ae_epochs, batch_size=100, lr=1e-3, random_state=args.seed)
    print(f"autoencoder trained in {time.perf_counter() - t0:.1f} s", flush=True)
    images, labels = mnist("test")
    pixels = images.reshape(len(images), -1).astype(np.float32) / 255.0
    feats = ae.transform(pixels)
    rng = np.random.default_rng(args.seed)
    perm = rng.permutation(len(labels))
    test = perm[5000:]  # evaluation half; labelled examples come from the other half
    out = {}
    for n in args.n_labels:
        tr = perm[:n]
        acc_f = linear_probe(feats[tr], labels[tr], feats[test], labels[test], random_state=0)
        acc_p = linear_probe(pixels[tr], labels[tr], pixels[test], labels[test], random_state=0)
        out[n] = {"autoencoder_features": acc_f, "raw_pixels": acc_p}
        print(
            f"{n:5d} labels: autoencoder features {acc_f:.3f}  raw pixels {acc_p:.3f}", flush=True
        )
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--epochs", type=int, default=3280, help="max epochs (the paper's 3280)")
    p.add_argument("--time-budget", type=float, default=None, help="seconds (default 3600)")
    p.add_argument("--objective", choices=["elbo", "iwae"], default="elbo")
    p.add_argument("--k", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=float, default=0.0)
    p.add_argument("--n-train", type=int, default=None, help="first N training images")
    p.add_argument("--eval-n", type=int, default=None, help="validation images (default all)")
    p.add_argument("--eval-k", type=int, default=None, help="importance samples (5000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--save", type=str, default=None,
        help="checkpoint path (.npz); the per-image valid log p(x) go to SAVE.valid_ll.npy",
    )
    p.add_argument("--json", type=str, default=None, help="write the results here")
    p.add_argument("--no-throughput", action="store_true")
    p.add_argument("--throughput-only", action="store_true", help="time the step, no training")
    p.add_argument("--rounds", type=int, default=None, help="alternating timing rounds (9)")
    p.add_argument(
        "--peer-same-process",
        action="store_true",
        help="time PyTorch in this process, not in a process of its own",
    )
    p.add_argument("--features", action="store_true", help="run the few-label feature demo")
    p.add_argument("--n-labels", type=int, nargs="+", default=[100, 1000])
    p.add_argument("--ae-epochs", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="smoke run: 60 s, 500 images, k=500")
    args = p.parse_args(argv)
    if args.quick:  # explicit flags win over the quick defaults
        args.time_budget = args.time_budget or 60.0
        args.eval_n, args.eval_k = args.eval_n or 200, args.eval_k or 500
        args.n_train = args.n_train or 10000
        args.ae_epochs = 1
    args.time_budget = args.time_budget or 3600.0
    args.eval_k = args.eval_k or 5000
    results = {"args": vars(args)}
    if args.features:
        results["features"] = feature_demo(args)
    else:
        if not args.no_throughput:
            steps, reps = (5, 2) if args.quick else (20, args.rounds or 9)
            rounds = []
            host = [host_gflops()]
            ours, peer, ratio = throughput(
                args.objective, args.k, args.batch_size, steps, reps, ratios=rounds,
                same_process=args.peer_same_process,
            )
            host.append(host_gflops())
            results["host_sgemm_gflops"] = host
            results["tinygen_samples_per_s"], results["torch_samples_per_s"] = ours, peer
            line = f"training step ({args.objective}, k={args.k}, batch {args.batch_size}): "
            line += f"tinygen {ours:.0f} samples/s"
            if peer is not None:
                q1, _, q3 = quartiles(rounds)
                line += f" | torch CPU {peer:.0f} samples/s | ratio {ratio:.2f}x (median of rounds;"
                line += f" quartiles {q1:.2f}-{q3:.2f})"
            else:
                line += " | torch not importable"
            print(line, flush=True)
            if peer is not None:
                print(peer_setup(args.peer_same_process))
            print(f"host check: 1024² sgemm {host[0]:.0f} GFLOPS before, {host[1]:.0f} after")
        if args.throughput_only:
            return results
        r = train_and_evaluate(args)
        results.update(r)
        print(
            f"{r['objective']} k={r['k']}: {r['epochs']} epochs on {r['n_train']} images in "
            f"{r['train_seconds']:.0f} s; valid NLL (k={r['eval_k']}, {r['valid_images']} "
            f"images) = {r['valid_nll']:.2f} ± {r['valid_nll_se']:.2f} nats; "
            f"−ELBO {r['valid_neg_elbo']:.2f}; eval {r['eval_seconds']:.0f} s",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=float))
    return results


if __name__ == "__main__":
    main()
