"""Sigmoid belief net on binarized MNIST: wake-sleep against reweighted wake-sleep at equal time.

Trains ``SigmoidBeliefNet([784, H])`` (one hidden layer by default) for ``--time-budget``
seconds with each method, then reports the importance-sampled estimate log p̂_k(v)
(k = ``--eval-k`` samples of q; a stochastic lower bound of log p(v)) on the first
``--eval-n`` validation images (the test split where present), in nats.

Compare with the SBN rows of Bornschein & Bengio (2015), Table 2 (wake-sleep and RWS
with their architectures and K); this script prints only what it measures.

Usage::

    TINYGEN_DATA=../shared/data OPENBLAS_NUM_THREADS=1 python benchmarks/bench_sbn.py \
        --method rws --time-budget 600 --json runs/bench_sbn/rws.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from bench_autoregressive import held_out  # the test split where present, else valid

from tinygen.data import binarized_mnist
from tinygen.models import SigmoidBeliefNet


def run(method, hidden, time_budget, lr, k, eval_k, eval_n, seed=0, quick=False):
    X = binarized_mnist("train").astype(np.float64)
    Xh, split = held_out()
    Xh = Xh[:eval_n].astype(np.float64)
    if quick:
        X = X[:2000]
    net = SigmoidBeliefNet([784, *hidden], random_state=seed)
    net.c[0] = np.log(np.clip(X.mean(0), 1e-3, 1 - 1e-3) / np.clip(1 - X.mean(0), 1e-3, 1))
    t0, epochs, trajectory = time.perf_counter(), 0, []
    rng = np.random.default_rng(seed)
    while time.perf_counter() - t0 < time_budget:
        net.fit(X, method=method, n_epochs=1, lr=lr, k=k, random_state=rng)
        epochs += 1
        trajectory.append({"epoch": epochs, "seconds": time.perf_counter() - t0,
                           "train_log_p_hat": net.history_[-1]})
        print(f"{method} epoch {epochs:3d} {trajectory[-1]['seconds']:7.0f} s  "
              f"train log p̂_k {net.history_[-1]:.2f}", flush=True)
    seconds = time.perf_counter() - t0
    ll = np.concatenate([net.log_prob_is(Xh[i : i + 100], k=eval_k, random_state=i)
                         for i in range(0, len(Xh), 100)])
    return {"model": f"sbn-{'-'.join(map(str, hidden))}", "method": method, "split": split,
            "nll": float(-ll.mean()), "nll_se": float(ll.std(ddof=1) / np.sqrt(len(ll))),
            "eval_images": len(Xh), "eval_k": eval_k, "train_seconds": seconds,
            "epochs": epochs, "settings": {"lr": lr, "k": k}, "trajectory": trajectory}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--method", choices=["wake_sleep", "rws"], default="rws")
    p.add_argument("--hidden", type=int, nargs="+", default=[200])
    p.add_argument("--time-budget", type=float, default=600)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--eval-k", type=int, default=1000)
    p.add_argument("--eval-n", type=int, default=1000)
    p.add_argument("--quick", action="store_true", help="2,000 images, 20 s, k_eval 100")
    p.add_argument("--json")
    a = p.parse_args(argv)
    if a.quick:
        a.time_budget, a.eval_k, a.eval_n = 20, 100, 200
    r = run(a.method, a.hidden, a.time_budget, a.lr, a.k, a.eval_k, a.eval_n, quick=a.quick)
    print(f"{r['model']} {r['method']}: NLL {r['nll']:.2f} ± {r['nll_se']:.2f} nats "
          f"({r['split']}, {r['eval_images']} images, k = {r['eval_k']}), "
          f"{r['train_seconds'] / 60:.1f} min, {r['epochs']} epochs")
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(r, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
