"""``tinygen train vae`` and ``tinygen sample vae``: the VAE from the command line.

    tinygen train vae --data binarized_mnist --latent 50 --hidden 200,200 --epochs 50 \\
        --objective iwae --k 5 --warmup 0 --seed 0
    tinygen sample vae --checkpoint runs/<name> --n 64

``train`` logs the per-epoch loss (and the validation ELBO) to ``metrics.jsonl``, writes the
checkpoint (``vae.npz`` with its ``vae.npz.json`` config, so that ``sample`` can rebuild the
architecture from the folder alone) after every epoch, and a sample grid at the end.

Lesson: ``lessons/vae.py``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from . import _common

__all__ = ["add_train_args", "train", "add_sample_args", "sample"]

CHECKPOINT = "vae.npz"


def _int_tuple(text):
    try:
        return tuple(int(v) for v in str(text).replace(" ", "").split(",") if v)
    except ValueError:
        raise ValueError(
            f"--hidden takes comma-separated widths like 200,200; got {text!r}"
        ) from None


def add_train_args(parser):
    """Add the VAE's training options to an ``argparse`` parser."""
    parser.add_argument(
        "--data", choices=["binarized_mnist", "synthetic_digits"], default="binarized_mnist"
    )
    parser.add_argument("--n-train", type=int, default=None, help="use the first N training images")
    parser.add_argument("--latent", type=int, default=50, help="latent dimension (default 50)")
    parser.add_argument("--hidden", type=str, default="200,200", help="hidden widths, e.g. 200,200")
    parser.add_argument("--activation", choices=["tanh", "relu"], default="tanh")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--objective", choices=["elbo", "iwae"], default="elbo")
    parser.add_argument("--k", type=int, default=1, help="samples per data point (IWAE: k)")
    parser.add_argument("--beta", type=float, default=1.0, help="KL weight (beta-VAE)")
    parser.add_argument("--warmup", type=float, default=0.0, help="KL warm-up epochs")
    parser.add_argument(
        "--eval-k", type=int, default=0, help="NLL with k samples at the end (0: skip)"
    )
    parser.add_argument("--eval-n", type=int, default=1000, help="validation images for the NLL")
    parser.add_argument("--time-budget", type=float, default=None, help="seconds of training")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def _load(data, split, n, seed):
    from ... import data as D

    if data == "binarized_mnist":
        X = D.binarized_mnist(split).astype(np.float32)
    else:
        size = n or (10000 if split == "train" else 1000)
        X, _ = D.synthetic_digits(size, random_state=seed + (split != "train"))
        X = X.reshape(len(X), -1).astype(np.float32)
    return X if n is None else X[:n]


def train(args, run):
    """Train a VAE as asked by ``args``; everything goes under ``run.dir``."""
    from ...models.vae import VAE
    from ...viz import image_grid

    X = _load(args.data, "train", args.n_train, args.seed)
    Xv = _load(args.data, "valid", None, args.seed)
    model = VAE(
        n_input=X.shape[1],
        hidden=_int_tuple(args.hidden),
        n_latent=args.latent,
        activation=args.activation,
        random_state=args.seed,
    )
    config = {
        "model": model.get_config(),
        "train": _common.train_args(args),
    }
    run.save_config(config)
    ckpt = Path(run.checkpoint_path(CHECKPOINT))
    t0 = time.perf_counter()

    def callback(epoch, hist):
        valid = model.elbo(Xv[:1000], rng=epoch).elbo.numpy().mean()
        run.log_metrics(
            epoch + 1,
            loss=hist["loss"][-1],
            valid_elbo=float(valid),
            seconds=time.perf_counter() - t0,
        )
        model.save(ckpt)

    model.fit(
        X,
        n_epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        objective=args.objective,
        k=args.k,
        beta=args.beta,
        warmup_epochs=args.warmup,
        random_state=args.seed,
        callback=callback,
        verbose=not getattr(args, "quiet", False),
        time_budget=args.time_budget,
    )
    model.save(ckpt)
    if args.eval_k:
        nll = -model.log_likelihood(Xv[: args.eval_n], k=args.eval_k, random_state=args.seed).mean()
        run.log_metrics(args.epochs, valid_nll=float(nll), eval_k=args.eval_k)
        print(f"valid NLL (k={args.eval_k}, {min(args.eval_n, len(Xv))} images): {nll:.2f} nats")
    path = image_grid(
        model.sample(64, random_state=args.seed), Path(run.dir) / "samples.png", shape=(28, 28)
    )
    print(f"checkpoint {ckpt}\nsamples {path}")
    return model


def add_sample_args(parser):
    """Add the sampling options: --checkpoint (a run folder or .npz), --n, --seed
    (:func:`~tinygen.cli.models._common.add_sample_args`), --binary."""
    _common.add_sample_args(parser, out=False)
    parser.add_argument("--binary", action="store_true", help="draw x ~ p(x|z), not E[x|z]")
    return parser


def _npz_with_config(folder):
    return (p for p in folder.rglob("*.npz") if Path(str(p) + ".json").exists())


def find_checkpoint(path):
    """The ``.npz`` checkpoint in ``path`` (a file, or a folder searched for ``vae.npz``,
    else for any ``.npz`` saved with its ``.json`` config)."""
    return _common.find_checkpoint(path, CHECKPOINT, "vae", fallback=_npz_with_config)


def sample(args, run):
    """Rebuild the model from its checkpoint folder and write a grid of samples."""
    from ...models.vae import VAE

    ckpt = find_checkpoint(args.checkpoint)
    model = VAE.from_checkpoint(ckpt)
    x = model.sample(args.n, random_state=args.seed, mean=not args.binary)
    side = int(round(np.sqrt(model.n_input)))
    config = {
        "checkpoint": str(ckpt),
        "n": args.n,
        "seed": args.seed,
        "model": json.loads(Path(str(ckpt) + ".json").read_text()),
    }
    _common.save_samples(run, x, (side, side), f"VAE samples ({ckpt.parent.name})", config)
    return x
