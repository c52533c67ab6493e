"""``tinygen train rbm`` and ``tinygen sample rbm``: the Bernoulli RBM from the command line.

    tinygen train rbm --data binarized_mnist --n-hidden 500 --method pcd --k 1 \\
        --epochs 20 --lr 0.05 --batch-size 100 --seed 0 --ais-betas 14500
    tinygen train rbm --data bars_and_stripes --n-hidden 16 --epochs 300 --lr 0.3
    tinygen sample rbm --checkpoint runs/<name> --n 64 --n-gibbs 1000

``train`` logs per epoch to ``metrics.jsonl``: the reconstruction error and the stochastic
pseudo-likelihood of (up to 1,000) validation images; for bars-and-stripes also the exact
log-likelihood (log Z by enumeration). It writes the checkpoint ``rbm.npz`` after every
epoch, the filters and a sample grid at the end, and with ``--ais-betas N`` (N > 0) the
AIS estimate of the validation log-likelihood.

Lesson: ``lessons/rbm.py``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from . import _common

__all__ = ["add_train_args", "train", "add_sample_args", "sample"]

CHECKPOINT = "rbm.npz"


def add_train_args(parser):
    """Add the RBM's training options to an ``argparse`` parser."""
    _common.add_mnist_or_bars_args(parser)
    parser.add_argument(
        "--n-hidden", type=int, default=None, help="hidden units (default 500; 16 for bars)"
    )
    parser.add_argument("--method", choices=["cd", "pcd", "ratio_matching"], default="cd")
    parser.add_argument("--k", type=int, default=1, help="Gibbs steps per update (CD-k, PCD-k)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--momentum", type=float, default=0.5)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument(
        "--lr-schedule", choices=["constant", "linear", "exponential"], default="constant"
    )
    parser.add_argument(
        "--ais-betas", type=int, default=0, help="AIS betas for the final log-likelihood (0: skip)"
    )
    parser.add_argument("--ais-runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    return parser


def train(args, run):
    """Train an RBM as asked by ``args``; everything goes under ``run.dir``."""
    from ...models.rbm import RBM
    from ...viz import filters_grid, image_grid

    X, Xv, shape = _common.load_mnist_or_bars(args, np.float32)
    n_hidden = args.n_hidden or (500 if args.data == "binarized_mnist" else 16)
    model = RBM(
        X.shape[1],
        n_hidden,
        learning_rate=args.lr,
        k=args.k,
        method=args.method,
        batch_size=min(args.batch_size, len(X)),
        n_epochs=args.epochs,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        lr_schedule=args.lr_schedule,
        random_state=args.seed,
    )
    run.save_config({"model": repr(model), "train": _common.train_args(args)})
    ckpt = Path(run.checkpoint_path(CHECKPOINT))
    exact = min(X.shape[1], n_hidden) <= 20
    t0 = time.perf_counter()

    def callback(m, epoch):
        metrics = {
            "reconstruction_error": m.history_["reconstruction_error"][-1],
            "valid_pseudo_likelihood": float(m.pseudo_likelihood(Xv, rng=epoch).mean()),
            "learning_rate": m.history_["learning_rate"][-1],
            "seconds": time.perf_counter() - t0,
        }
        if exact:
            metrics["valid_log_likelihood"] = m.log_likelihood(Xv, m.log_partition_exact())
        run.log_metrics(epoch + 1, **metrics)
        m.save(ckpt)
        shown = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items())
        print(f"epoch {epoch + 1}/{args.epochs}: {shown}", flush=True)

    model.fit(X, callback=callback)
    model.save(ckpt)
    if args.ais_betas > 0:
        log_z, (lo, hi) = model.ais_log_partition(
            n_betas=args.ais_betas, n_runs=args.ais_runs, rng=args.seed
        )
        ll = model.log_likelihood(Xv, log_z)
        run.log_metrics(
            args.epochs,
            ais_log_z=log_z,
            ais_valid_log_likelihood=ll,
            ais_valid_log_likelihood_low=ll - (hi - log_z),
            ais_valid_log_likelihood_high=ll + (log_z - lo) if math.isfinite(lo) else math.inf,
        )
        print(
            f"AIS ({args.ais_betas} betas, {args.ais_runs} runs): log Z {log_z:.2f} "
            f"[{lo:.2f}, {hi:.2f}]; valid log-likelihood {ll:.2f} nats"
        )
    out = Path(run.dir)
    filters = filters_grid(
        model.W, out / "filters.png", shape=shape, n_filters=100, title="RBM filters W[:, j]"
    )
    samples = image_grid(
        model.sample(64, n_gibbs=1000, rng=args.seed, return_probabilities=True),
        out / "samples.png",
        shape=shape,
        title="RBM samples (1000 Gibbs steps)",
    )
    print(f"checkpoint {ckpt}\nfilters {filters}\nsamples {samples}")
    return model


def add_sample_args(parser):
    """Add the sampling options: --checkpoint (a run folder or .npz), --n, --seed
    (:func:`~tinygen.cli.models._common.add_sample_args`), --n-gibbs, --binary."""
    _common.add_sample_args(parser, out=False)
    parser.add_argument("--n-gibbs", type=int, default=1000, help="Gibbs steps per chain")
    parser.add_argument("--binary", action="store_true", help="show binary v, not P(v=1|h)")
    return parser


def find_checkpoint(path):
    """The ``.npz`` checkpoint at ``path`` (a file, or a folder searched for ``rbm.npz``)."""
    return _common.find_checkpoint(path, CHECKPOINT, "rbm")


def sample(args, run):
    """Load the RBM, run ``--n-gibbs`` steps of Gibbs sampling, save a grid of samples."""
    from ...models.rbm import RBM

    ckpt = find_checkpoint(args.checkpoint)
    model = RBM.load(ckpt, random_state=args.seed)
    x = model.sample(
        args.n, n_gibbs=args.n_gibbs, rng=args.seed, return_probabilities=not args.binary
    )
    _common.save_samples(
        run,
        x,
        _common.square_shape(model.n_visible),
        f"RBM samples ({ckpt.parent.name})",
        {"checkpoint": str(ckpt), "n": args.n, "n_gibbs": args.n_gibbs, "seed": args.seed},
    )
    return x
