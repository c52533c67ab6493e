"""``tinygen train dbm`` and ``tinygen sample dbm``: the two-layer DBM from the command line.

    tinygen train dbm --data binarized_mnist --n-hidden1 500 --n-hidden2 1000 \\
        --pretrain-epochs 20 --epochs 20 --lr 0.005 --seed 0 --ais-betas 14500
    tinygen train dbm --data bars_and_stripes --pretrain-epochs 100 --epochs 500
    tinygen sample dbm --checkpoint runs/<name> --n 64 --n-gibbs 1000 --out samples.npy

``train`` builds a two-layer :class:`~tinygen.models.dbm.DBM`, pretrains it greedily with
the doubled RBMs (``--pretrain-epochs``, 0 to skip) and trains it jointly by mean field
and persistent chains (``--epochs``). It logs to ``metrics.jsonl`` per epoch (step 0: after
pretraining) the mean-field bound 𝓛 + log Z of the training monitor and of (up to 1,000)
validation images and, for bars-and-stripes with ``n_hidden1`` ≤ 20, the bound and the
exact log-likelihood with log Z by enumeration; it writes the checkpoint ``dbm.npz`` after
every epoch. At the end it reports the validation bound 𝓛 ≤ log P(v) in nats with log Z
exact (``n_hidden1`` ≤ 20) or from AIS (``--ais-betas N``, N > 0; also run, for
comparison, when log Z is exact), and writes a sample grid. A NaN or infinity ends training
with exit status 1, the last completed epoch kept in ``dbm.npz``.

``sample`` runs ``--n-gibbs`` sweeps of two-block Gibbs sampling from ``--n`` chains and
writes v as ``.npy`` of shape (N, n_visible), values 0/1, and a PNG of the first 100 beside it.

Lesson: ``lessons/dbm.py``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from ..errors import UsageError
from . import _common

__all__ = ["add_train_args", "train", "add_sample_args", "sample"]

CHECKPOINT = "dbm.npz"
#: the defaults of ``--n-hidden1``, ``--n-hidden2``, ``--lr`` and ``--batch-size`` per data set
DEFAULTS = {
    "binarized_mnist": dict(n_hidden1=500, n_hidden2=1000, lr=0.005, batch_size=100),
    "bars_and_stripes": dict(n_hidden1=16, n_hidden2=8, lr=0.05, batch_size=10),
}
#: the largest h¹ whose 2^{n_hidden1} states are enumerated for an exact log Z
MAX_EXACT_HIDDEN1 = 20
#: the largest (images × 2^{n_hidden1}) matrix that log_prob_exact may build per epoch
_MAX_EXACT_ENTRIES = 1 << 25


def add_train_args(parser):
    """Add the DBM's training options to an ``argparse`` parser."""
    _common.add_mnist_or_bars_args(parser)
    parser.add_argument(
        "--n-hidden1", type=int, default=None, help="units of h1 (default 500; 16 for bars)"
    )
    parser.add_argument(
        "--n-hidden2", type=int, default=None, help="units of h2 (default 1000; 8 for bars)"
    )
    parser.add_argument(
        "--pretrain-epochs", type=int, default=10, help="epochs of each doubled RBM (0: skip)"
    )
    parser.add_argument("--pretrain-lr", type=float, default=0.05)
    parser.add_argument("--epochs", type=int, default=10, help="epochs of joint training")
    parser.add_argument(
        "--lr", type=float, default=None, help="joint step size (default 0.005; 0.05 for bars)"
    )
    parser.add_argument("--batch-size", type=int, default=None, help="default 100; 10 for bars")
    parser.add_argument("--k", type=int, default=5, help="Gibbs steps of the chains per update")
    parser.add_argument("--n-mean-field", type=int, default=10, help="mean-field sweeps")
    parser.add_argument("--n-persistent", type=int, default=100, help="persistent chains")
    parser.add_argument(
        "--ais-betas", type=int, default=0, help="AIS betas for the final log Z (0: skip)"
    )
    parser.add_argument("--ais-runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    return parser


def _settings(args):
    """The sizes, ``lr`` and ``batch_size``: the options given, else the data set's
    :data:`DEFAULTS`; every option checked (a :class:`UsageError` names a bad one)."""
    s = {
        key: default if getattr(args, key) is None else getattr(args, key)
        for key, default in DEFAULTS[args.data].items()
    }
    at_least = {
        1: ("n_hidden1", "n_hidden2", "batch_size", "epochs", "k", "n_mean_field",
            "n_persistent", "bas_size", "n_train"),
        0: ("pretrain_epochs", "ais_betas", "ais_runs"),
    }
    for low, names in at_least.items():
        for name in names:
            value = s.get(name, getattr(args, name))
            if value is not None and value < low:
                raise UsageError(f"--{name.replace('_', '-')} must be >= {low}, got {value}")
    for name, value in (("lr", s["lr"]), ("pretrain_lr", args.pretrain_lr)):
        if not value > 0:
            raise UsageError(f"--{name.replace('_', '-')} must be > 0, got {value}")
    return s


def _load_model(ckpt, seed):
    """``DBM.load``, its errors for a file that is not a DBM checkpoint as CheckpointError
    (the CLI prints those as one line)."""
    from ...io import CheckpointError
    from ...models.dbm import DBM

    try:
        return DBM.load(ckpt, random_state=seed)
    except CheckpointError:
        raise
    except (ValueError, KeyError) as exc:
        message = str(exc) if str(ckpt) in str(exc) else f"{ckpt}: {exc}"
        raise CheckpointError(message) from None


def train(args, run):
    """Pretrain and train a DBM as asked by ``args``; everything goes under ``run.dir``.
    Returns the model, or 1 when training diverged (the last good epoch is in dbm.npz)."""
    from ... import backend
    from ...models.dbm import DBM
    from ...viz import image_grid

    s = _settings(args)
    X, Xv, shape = _common.load_mnist_or_bars(args, np.float32)
    model = DBM(
        X.shape[1],
        s["n_hidden1"],
        s["n_hidden2"],
        learning_rate=s["lr"],
        batch_size=s["batch_size"],
        n_epochs=args.epochs,
        n_mean_field=args.n_mean_field,
        k=args.k,
        n_persistent=args.n_persistent,
        random_state=args.seed,
        verbose=not getattr(args, "quiet", False),
    )
    train_args = _common.train_args(args)
    run.save_config({"model": repr(model), "train": {**train_args, **s}})
    ckpt = Path(run.checkpoint_path(CHECKPOINT))
    exact = args.data == "bars_and_stripes" and model.n_hidden1 <= MAX_EXACT_HIDDEN1
    exact_ll = exact and len(Xv) << model.n_hidden1 <= _MAX_EXACT_ENTRIES
    t0 = time.perf_counter()

    def evaluate(m):
        metrics = {"valid_bound_unnormalized": m.mean_field_bound(Xv)}
        if exact:
            log_z = m.log_partition_exact()
            metrics.update(log_z=log_z, valid_bound=metrics["valid_bound_unnormalized"] - log_z)
        if exact_ll:
            metrics["valid_log_likelihood"] = float(m.log_prob_exact(Xv).mean())
        return {**metrics, "seconds": time.perf_counter() - t0}

    def report(step, metrics):
        run.log_metrics(step, **metrics)
        shown = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items())
        when = f"epoch {step}/{args.epochs}" if step else "pretrained"
        print(f"{when}: {shown}", flush=True)

    if args.pretrain_epochs > 0:
        print(f"pretraining the doubled RBMs ({args.pretrain_epochs} epochs each)", flush=True)
        model.pretrain(
            X,
            n_epochs=args.pretrain_epochs,
            learning_rate=args.pretrain_lr,
            batch_size=s["batch_size"],
        )
        report(0, evaluate(model))
        model.save(ckpt)

    def callback(m, epoch):
        h = m.history_
        report(
            epoch + 1,
            {
                "train_bound_unnormalized": h["mean_field_bound_unnormalized"][-1],
                "learning_rate": h["learning_rate"][-1],
                **evaluate(m),
            },
        )
        m.save(ckpt)

    try:
        model.fit(X, callback=callback)
    except FloatingPointError as exc:
        print(f"tinygen: error: {exc}")
        return 1
    model.save(ckpt)
    _final_bound(model, Xv, args, run)
    x = backend.to_numpy(model.sample(64, n_gibbs=1000, rng=args.seed, return_probabilities=True))
    samples = image_grid(
        x, Path(run.dir) / "samples.png", shape=shape, title="DBM samples (1000 Gibbs sweeps)"
    )
    print(f"checkpoint {ckpt}\nsamples {samples}")
    return model


def _final_bound(model, Xv, args, run):
    """Log and print the validation bound 𝓛 ≤ log P(v) with log Z exact or from AIS."""
    log_z, how, metrics = None, None, {}
    if model.n_hidden1 <= MAX_EXACT_HIDDEN1:
        log_z, how = model.log_partition_exact(), "exact"
        metrics["exact_log_z"] = log_z
    if args.ais_betas > 0:
        ais_z, (lo, hi) = model.ais_log_partition(
            n_betas=args.ais_betas, n_runs=args.ais_runs, rng=args.seed
        )
        metrics.update(ais_log_z=ais_z, ais_log_z_low=lo, ais_log_z_high=hi)
        print(
            f"AIS ({args.ais_betas} betas, {args.ais_runs} runs): log Z {ais_z:.2f} "
            f"[{lo:.2f}, {hi:.2f}]"
        )
        if log_z is None:
            log_z, how = ais_z, "AIS"
    unnormalized = model.mean_field_bound(Xv)
    if log_z is None:
        metrics["final_valid_bound_unnormalized"] = unnormalized
        print(
            f"valid mean-field bound + log Z ({len(Xv)} images): {unnormalized:.2f} nats "
            "(log Z not computed: pass --ais-betas 14500)"
        )
    else:
        bound = unnormalized - log_z
        metrics.update(final_valid_bound=bound, log_z_method=how)
        if how == "AIS":  # the interval of log Z, reversed: 𝓛 moves opposite to log Z
            low = bound - (hi - log_z)
            high = bound + (log_z - lo) if math.isfinite(lo) else math.inf
            metrics.update(final_valid_bound_low=low, final_valid_bound_high=high)
        print(f"valid mean-field bound ({len(Xv)} images, log Z {how}): {bound:.2f} nats")
    run.log_metrics(args.epochs, **metrics)
    return metrics


def add_sample_args(parser):
    """Add the sampling options: --checkpoint (a run folder or .npz), --n, --out, --seed
    (:func:`~tinygen.cli.models._common.add_sample_args`), --n-gibbs."""
    _common.add_sample_args(parser, n_help="number of samples (chains)")
    parser.add_argument("--n-gibbs", type=int, default=1000, help="Gibbs sweeps per chain")
    return parser


def find_checkpoint(path):
    """The ``.npz`` checkpoint at ``path`` (a file, or a folder searched for ``dbm.npz``)."""
    return _common.find_checkpoint(path, CHECKPOINT, "dbm")


def sample(args, run):
    """Load the DBM, run ``--n-gibbs`` Gibbs sweeps, write v (0/1) as ``.npy`` and a PNG."""
    from ... import backend

    _common.check_counts(args, "n", "n_gibbs")
    ckpt = find_checkpoint(args.checkpoint)
    model = _load_model(ckpt, args.seed)
    x = backend.to_numpy(model.sample(args.n, n_gibbs=args.n_gibbs, rng=args.seed))
    _common.save_samples_npy(
        run,
        x,
        args.out,
        _common.square_shape(model.n_visible),
        f"DBM samples ({ckpt.parent.name}, {args.n_gibbs} Gibbs sweeps)",
        {
            "checkpoint": str(ckpt),
            "n": args.n,
            "n_gibbs": args.n_gibbs,
            "seed": args.seed,
            "model": repr(model),
        },
    )
    return x
