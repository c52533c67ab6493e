"""Benchmark: the RBM's CD-1 epoch time, and its AIS log-likelihood on binarized MNIST.

(a) Speed (default, ``--quick``): one CD-1 epoch on binarized MNIST *train* (50,000 × 784,
    500 hidden units, batch 100, float32; ``--quick`` times 10,000 images and scales to
    50,000) beside scikit-learn's ``BernoulliRBM(n_components=500, batch_size=100,
    n_iter=1)`` with the same settings when scikit-learn is importable (it is not a tinygen
    dependency). Without scikit-learn the script times ``sklearn-emulated``: the same
    arithmetic as ``BernoulliRBM._fit`` (scipy ``expit``, float64 uniforms, boolean
    visible samples, two gradient GEMMs) written here in NumPy — a stand-in, labelled as
    such. Each figure is the best of ``--repeats`` runs (least disturbed by other load).

(b) Quality (``--full``): trains CD-1, CD-25 and PCD RBMs with 500 hidden units for
    ``--epochs`` epochs or ``--time-budget`` seconds each (whichever ends first; learning
    rate decaying linearly to ``--lr-floor`` times ``--lr``; momentum ``--momentum`` for 5
    epochs then ``--final-momentum``; weight decay ``--weight-decay``), then estimates log Z by AIS
    with Salakhutdinov & Murray's settings (``--ais-betas`` 14,500, ``--ais-runs`` 100)
    and reports the mean log-likelihood on the *valid* split in nats with its ±3σ
    interval and the training time. The published figure for CD-25(500) is
    −86.34 nats on the test split (Salakhutdinov & Murray 2008).

Usage::

    python benchmarks/bench_rbm.py --quick
    python benchmarks/bench_rbm.py                      # full 50k-image epoch
    python benchmarks/bench_rbm.py --full --time-budget 1200 --epochs 50

Prints one line per figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import best_of  # noqa: E402


def load(split):
    from tinygen.data import binarized_mnist

    return binarized_mnist(split)


def try_sklearn():
    try:
        from sklearn.neural_network import BernoulliRBM
    except Exception:
        return None
    return BernoulliRBM


def sklearn_emulated_epoch(X, n_hidden, batch_size, lr, seed):
    """One epoch of the arithmetic of scikit-learn's ``BernoulliRBM._fit`` (PCD-1) in NumPy.

    Mirrors sklearn 1.x: h_pos = expit(v W + c); v_neg = uniform < expit(h_samples Wᵀ + b)
    (a boolean array); h_neg = expit(v_neg W + c); W += lr/B (v_posᵀ h_pos − v_negᵀ h_neg);
    h_samples = uniform < h_neg; float64 uniforms from ``RandomState.uniform``.
    """
    from scipy.special import expit

    rng = np.random.RandomState(seed)
    n, d = X.shape
    comp = np.asarray(rng.normal(0, 0.01, (n_hidden, d)), order="F", dtype=X.dtype)
    ih = np.zeros(n_hidden, dtype=X.dtype)
    iv = np.zeros(d, dtype=X.dtype)
    h_samples = np.zeros((batch_size, n_hidden), dtype=X.dtype)
    for start in range(0, n - batch_size + 1, batch_size):
        v_pos = X[start : start + batch_size]
        h_pos = v_pos @ comp.T
        h_pos += ih
        expit(h_pos, out=h_pos)
        p = h_samples @ comp
        p += iv
        expit(p, out=p)
        v_neg = rng.uniform(size=p.shape) < p
        h_neg = v_neg @ comp.T
        h_neg += ih
        expit(h_neg, out=h_neg)
        step = float(lr) / v_pos.shape[0]
        update = (v_pos.T @ h_pos).T
        update -= h_neg.T @ v_neg
        comp += step * update
        ih += step * (h_pos.sum(axis=0) - h_neg.sum(axis=0))
        iv += step * (v_pos.sum(axis=0) - v_neg.sum(axis=0))
        h_neg[rng.uniform(size=h_neg.shape) < h_neg] = 1.0
        h_samples = np.floor(h_neg, h_neg)


def speed(args):
    from tinygen.models.rbm import RBM

    X = load("train").astype(np.float32)
    n_full = len(X)
    if args.quick:
        X = X[:10000]
    scale = n_full / len(X)
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(
        f"CD-1 epoch, {len(X)} images x 784, 500 hidden, batch 100, float32 "
        f"(OPENBLAS_NUM_THREADS={threads}; times scaled to {n_full} images)",
        flush=True,
    )

    # scikit-learn's BernoulliRBM has no momentum and no weight decay: the ratio is taken
    # with the same settings; our defaults (momentum 0.5, weight decay 1e-4) are timed too
    def ours():
        RBM(
            784, 500, n_epochs=1, batch_size=100, learning_rate=0.05, momentum=0.0,
            weight_decay=0.0, random_state=0,
        ).fit(X)

    def ours_default():
        RBM(784, 500, n_epochs=1, batch_size=100, learning_rate=0.05, random_state=0).fit(X)

    BernoulliRBM = try_sklearn()
    if BernoulliRBM is not None:
        name = "scikit-learn BernoulliRBM"

        def peer():
            BernoulliRBM(
                n_components=500, batch_size=100, n_iter=1, learning_rate=0.05, random_state=0
            ).fit(X)
    else:
        name = "sklearn-emulated NumPy loop"

        def peer():
            sklearn_emulated_epoch(X, 500, 100, 0.05, 0)

    # interleave the runs so that both see the same background load
    t_ours, t_peer, t_default = [], [], []
    for _ in range(args.repeats):
        t_ours.append(best_of(ours, 1))
        t_peer.append(best_of(peer, 1))
        t_default.append(best_of(ours_default, 1))
    a, b = min(t_ours) * scale, min(t_peer) * scale
    print(f"tinygen RBM CD-1 epoch            {a:8.2f} s/epoch  (no momentum/decay, as sklearn)")
    print(
        f"tinygen RBM CD-1 epoch, defaults  {min(t_default) * scale:8.2f} s/epoch  "
        "(momentum 0.5, weight decay 1e-4)",
        flush=True,
    )
    print(f"{name:<34s}{b:8.2f} s/epoch", flush=True)
    print(f"speed-up tinygen vs {name}: {b / a:5.2f}x", flush=True)
    return a, b


def full(args):
    from tinygen.models.rbm import RBM

    X = load("train").astype(np.float32)
    Xv = load("valid")
    if args.quick:
        X, Xv = X[:5000], Xv[:1000]
    configs = [("CD-1", "cd", 1), ("CD-25", "cd", 25), ("PCD", "pcd", 1)]
    if args.methods:
        configs = [c for c in configs if c[0] in args.methods.split(",")]
    for label, method, k in configs:
        rbm = RBM(
            784,
            args.n_hidden,
            method=method,
            k=k,
            learning_rate=args.lr,
            batch_size=100,
            n_epochs=1,
            momentum=args.momentum,
            weight_decay=args.weight_decay,
            random_state=args.seed,
        )
        t0 = time.perf_counter()
        epochs = 0
        while epochs < args.epochs and time.perf_counter() - t0 < args.time_budget:
            # linear decay over the run, whichever of the epoch or time budget ends it
            done = max(epochs / args.epochs, (time.perf_counter() - t0) / args.time_budget)
            rbm.learning_rate = args.lr * max(1.0 - done, args.lr_floor)
            rbm.momentum = args.momentum if epochs < 5 else args.final_momentum
            rbm.fit(X)
            epochs += 1
        t_train = time.perf_counter() - t0
        if args.save:
            rbm.save(f"{args.save}.{label}.npz")
        t1 = time.perf_counter()
        log_z, (lo, hi) = rbm.ais_log_partition(
            n_betas=args.ais_betas, n_runs=args.ais_runs, rng=args.seed
        )
        t_ais = time.perf_counter() - t1
        fe = -rbm.log_likelihood(Xv, 0.0)  # mean free energy F(v)
        ll, ll_lo, ll_hi = -fe - log_z, -fe - hi, -fe - lo
        print(
            f"{label:<6s} {args.n_hidden} hidden: valid log-likelihood {ll:8.2f} nats "
            f"(±3σ interval [{ll_lo:.2f}, {ll_hi:.2f}]), log Z {log_z:.2f}, {epochs} epochs "
            f"in {t_train:.0f} s, AIS {args.ais_betas} betas x {args.ais_runs} runs "
            f"in {t_ais:.0f} s",
            flush=True,
        )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small data (speed: 10k images)")
    p.add_argument("--full", action="store_true", help="train CD-1/CD-25/PCD and report AIS")
    p.add_argument("--repeats", type=int, default=3, help="timed runs (best kept)")
    p.add_argument("--epochs", type=int, default=50, help="--full: epochs per model")
    p.add_argument("--time-budget", type=float, default=1200.0, help="--full: seconds per model")
    p.add_argument("--n-hidden", type=int, default=500)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--lr-floor", type=float, default=0.05,
                   help="--full: the decay stops at this fraction of --lr")
    p.add_argument("--momentum", type=float, default=0.5, help="--full: first 5 epochs")
    p.add_argument("--final-momentum", type=float, default=0.9, help="--full: after 5 epochs")
    p.add_argument("--weight-decay", type=float, default=2e-4, help="--full: L2 penalty λ")
    p.add_argument("--save", default=None, help="--full: save each model to SAVE.<method>.npz")
    p.add_argument("--ais-betas", type=int, default=14500)
    p.add_argument("--ais-runs", type=int, default=100)
    p.add_argument("--methods", default="", help="--full: subset, e.g. CD-1,PCD")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.full:
        full(args)
    else:
        speed(args)


if __name__ == "__main__":
    main()
