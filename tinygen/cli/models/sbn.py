"""``tinygen train sbn`` and ``tinygen sample sbn``: the sigmoid belief net from the command line.

    tinygen train sbn --data binarized_mnist --hidden 200 --method rws --k 5 \\
        --epochs 20 --lr 0.01 --batch-size 20 --seed 0 --eval-k 1000
    tinygen train sbn --data bars_and_stripes --hidden 10 --epochs 1000 --lr 0.5
    tinygen sample sbn --checkpoint runs/<name> --n 64 --out samples.npy

``train`` fits ``SigmoidBeliefNet([n_visible, *hidden])`` (module
``tinygen.models.sigmoid_belief_net``) by reweighted wake-sleep (``rws``: ``--k`` samples of
q per image) or wake-sleep, the visible biases started at the data's log-odds. It logs per
epoch to ``metrics.jsonl`` the mean log p̂_k(v) of the training batches, the same estimate
(k = ``--k``) on up to 1,000 validation images and, when the hidden layers have at most 20
units in all and the data are small (bars-and-stripes), the exact validation
log-likelihood; it writes the checkpoint ``sbn.npz`` after every epoch. At the end it
reports the importance-sampled estimate log p̂_k(v) with k = ``--eval-k`` of those
validation images (a stochastic lower bound of log p(v), in nats) and writes a sample grid.
A NaN or infinity ends training with exit status 1, the last completed epoch kept in
``sbn.npz``.

``sample`` writes ``--n`` ancestral samples v ~ p(v) as ``.npy`` of shape (N, n_visible),
values 0/1, and a PNG of the first 100 beside it.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from ..errors import UsageError
from . import _common

__all__ = ["add_train_args", "train", "add_sample_args", "sample"]

CHECKPOINT = "sbn.npz"
#: default hidden layers and learning rate per data set (``--hidden``, ``--lr``)
DEFAULTS = {
    "binarized_mnist": dict(hidden=[200], lr=0.01),
    "bars_and_stripes": dict(hidden=[10], lr=0.5),
}
#: rows (images × samples of q) per chunk of the importance-sampled estimate
_IS_ROWS = 20_000
#: the exact log-likelihood enumerates 2^{Σ hidden} states for every image and pixel; per
#: epoch only when that is at most this many terms (bars-and-stripes, not MNIST) ...
_MAX_EXACT_TERMS = 1 << 27
#: ... in chunks of images of at most this many
_EXACT_CHUNK_TERMS = 1 << 22


def add_train_args(parser):
    """Add the sigmoid belief net's training options to an ``argparse`` parser."""
    _common.add_mnist_or_bars_args(parser)
    parser.add_argument(
        "--hidden",
        type=int,
        nargs="+",
        default=None,
        help="hidden layer sizes, bottom to top (default 200; 10 for bars)",
    )
    parser.add_argument("--method", choices=["rws", "wake_sleep"], default="rws")
    parser.add_argument("--k", type=int, default=5, help="samples of q per image (rws)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument(
        "--lr", type=float, default=None, help="step size (default 0.01; 0.5 for bars)"
    )
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument(
        "--eval-k",
        type=int,
        default=1000,
        help="samples of q for the final validation log p-hat (0: skip)",
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser


def _check(args):
    _common.check_counts(args, "k", "epochs", "batch_size", "bas_size", "n_train")
    if args.lr is not None and not args.lr > 0:
        raise UsageError(f"--lr must be > 0, got {args.lr}")
    if args.eval_k < 0:
        raise UsageError(f"--eval-k must be >= 0 (0 skips), got {args.eval_k}")
    if args.hidden is not None and min(args.hidden) < 1:
        raise UsageError(f"--hidden sizes must be >= 1, got {args.hidden}")


def log_p_hat(net, V, k, seed):
    """log p̂_k(v) of the rows of ``V`` (:meth:`SigmoidBeliefNet.log_prob_is`), in chunks of
    at most ``_IS_ROWS`` rows of q samples; shape (n_samples,)."""
    step = max(1, _IS_ROWS // k)
    return np.concatenate(
        [
            net.log_prob_is(V[i : i + step], k=k, random_state=seed + i)
            for i in range(0, len(V), step)
        ]
    )


def exact_log_likelihood(net, V):
    """log p(v) of the rows of ``V`` by enumeration (:meth:`SigmoidBeliefNet.log_prob_exact`),
    in chunks of images of at most ``_EXACT_CHUNK_TERMS`` terms; shape (n_samples,)."""
    terms = V.shape[1] << sum(net.layer_sizes[1:])  # per image
    step = max(1, _EXACT_CHUNK_TERMS // terms)
    return np.concatenate([net.log_prob_exact(V[i : i + step]) for i in range(0, len(V), step)])


def _pixel_means(net, n, seed):
    """P(v = 1 | h¹) for ``n`` ancestral samples h ~ p(h): smoother pictures than v itself."""
    from ...numerics import sigmoid

    _, H = net.sample(n, random_state=seed, return_hidden=True)
    return sigmoid(H[0] @ net.W[0].T + net.c[0])


def train(args, run):
    """Train a sigmoid belief net as asked by ``args``; everything goes under ``run.dir``.
    Returns the model, or 1 when training diverged (the last good epoch is in sbn.npz)."""
    from ...models.sigmoid_belief_net import MAX_EXACT_HIDDEN, SigmoidBeliefNet
    from ...viz import image_grid

    _check(args)
    X, Xv, shape = _common.load_mnist_or_bars(args, np.float64)
    hidden = args.hidden or DEFAULTS[args.data]["hidden"]
    lr = args.lr if args.lr is not None else DEFAULTS[args.data]["lr"]
    net = SigmoidBeliefNet([X.shape[1], *hidden], random_state=args.seed)
    p = np.clip(X.mean(axis=0), 1e-3, 1 - 1e-3)
    net.c[0] = np.log(p / (1 - p))  # the visible units start at the data's marginals
    train_args = _common.train_args(args)
    run.save_config(
        {"model": repr(net), "layer_sizes": net.layer_sizes, "lr": lr, "train": train_args}
    )
    ckpt = Path(run.checkpoint_path(CHECKPOINT))
    exact = sum(hidden) <= MAX_EXACT_HIDDEN and Xv.size << sum(hidden) <= _MAX_EXACT_TERMS
    t0 = time.perf_counter()

    def callback(m, epoch):
        metrics = {
            "train_log_p_hat": m.history_[-1],
            "valid_log_p_hat": float(log_p_hat(m, Xv, args.k, seed=epoch).mean()),
        }
        if exact:
            metrics["valid_log_likelihood"] = float(exact_log_likelihood(m, Xv).mean())
        metrics["seconds"] = time.perf_counter() - t0
        run.log_metrics(epoch + 1, **metrics)
        m.save(ckpt)
        shown = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items())
        print(f"epoch {epoch + 1}/{args.epochs}: {shown}", flush=True)

    try:
        net.fit(
            X,
            method=args.method,
            n_epochs=args.epochs,
            batch_size=min(args.batch_size, len(X)),
            lr=lr,
            k=args.k,
            random_state=args.seed,
            verbose=not getattr(args, "quiet", False),
            callback=callback,
        )
    except FloatingPointError as exc:
        print(f"tinygen: error: {exc}")
        return 1
    net.save(ckpt)
    if args.eval_k > 0:
        ll = log_p_hat(net, Xv, args.eval_k, seed=args.seed)
        mean, sem = float(ll.mean()), float(ll.std() / math.sqrt(len(ll)))
        run.log_metrics(
            args.epochs,
            final_valid_log_p_hat=mean,
            final_valid_log_p_hat_sem=sem,
            eval_k=args.eval_k,
            eval_n=len(ll),
        )
        print(
            f"valid log p-hat (k={args.eval_k}, {len(ll)} images): {mean:.2f} ± {sem:.2f} nats"
        )
    samples = image_grid(
        _pixel_means(net, 64, args.seed),
        Path(run.dir) / "samples.png",
        shape=shape,
        title="SBN samples: P(v=1 | h1), h ~ p(h)",
    )
    print(f"checkpoint {ckpt}\nsamples {samples}")
    return net


def add_sample_args(parser):
    """Add the sampling options: --checkpoint (a run folder or .npz), --n, --out, --seed
    (:func:`~tinygen.cli.models._common.add_sample_args`)."""
    return _common.add_sample_args(parser)


def find_checkpoint(path):
    """The ``.npz`` checkpoint at ``path`` (a file, or a folder searched for ``sbn.npz``)."""
    return _common.find_checkpoint(path, CHECKPOINT, "sbn")


def sample(args, run):
    """Load the net and write ``--n`` ancestral samples (0/1) as ``.npy`` and a PNG grid."""
    from ...models.sigmoid_belief_net import SigmoidBeliefNet

    _common.check_counts(args, "n")
    ckpt = find_checkpoint(args.checkpoint)
    net = SigmoidBeliefNet.load(ckpt, random_state=args.seed)
    x = net.sample(args.n, random_state=args.seed)
    _common.save_samples_npy(
        run,
        x,
        args.out,
        _common.square_shape(net.layer_sizes[0]),
        f"SBN samples ({ckpt.parent.name})",
        {"checkpoint": str(ckpt), "n": args.n, "seed": args.seed, "layer_sizes": net.layer_sizes},
    )
    return x
