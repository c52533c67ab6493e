"""What the autoregressive plug-ins share (``fvsbn``, ``nade``, ``pixelcnn``,
``gated_pixelcnn``, ``pixelrnn``): the data, ``train``, ``sample`` and loading a checkpoint
for ``tinygen complete``. (Not a plug-in: the leading underscore keeps it out of
:func:`tinygen.cli.train.model_modules`.)

A plug-in is a :class:`Plugin` (the CLI name, the class's name in :mod:`tinygen.models`,
its constructor flags) and five names bound to it::

    PLUGIN = Plugin("nade", "NADE", Flag("--hidden", "n_hidden", int, "hidden units H"))
    add_train_args, train = PLUGIN.add_train_args, PLUGIN.train
    add_sample_args, sample, load_model = PLUGIN.add_sample_args, PLUGIN.sample, PLUGIN.load

The class is looked up in :mod:`tinygen.models` only when a command runs, so a plug-in may
name a model that is not written yet; its commands then fail with a clear message.

Data (binary, 0/1 float32 rows): ``binarized_mnist`` (50,000 / 10,000 / 10,000 images,
from the cache) or ``synthetic_digits`` (embedded, offline: :func:`tinygen.data.
synthetic_digits` thresholded at 0.5; fixed seeds per split, so the test digits are the
same whatever ``--seed``).
"""

from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UsageError
from . import _common

__all__ = ["Flag", "Plugin", "PLUGINS", "DATA", "load_binary", "image_shape_of"]

DATA = ("binarized_mnist", "synthetic_digits")
#: images per split of ``synthetic_digits`` (``--n-train`` overrides the training size) and
#: the fixed seed of each split
SYNTHETIC_SIZES = {"train": 10_000, "valid": 1_000, "test": 1_000}
SYNTHETIC_SEEDS = {"train": 0, "valid": 1, "test": 2}

#: CLI name → :class:`Plugin`, filled as the plug-in modules are imported
PLUGINS: dict = {}


def load_binary(data, split, n=None):
    """``(X, (H, W))``: the first ``n`` (default all) images of ``split`` of ``data`` as
    float32 rows of shape (n, H·W), values 0/1, and the image shape."""
    from ... import data as D

    if data not in DATA:
        raise UsageError(f"unknown data {data!r}; choose one of {', '.join(DATA)}")
    if n is not None and n < 1:
        raise UsageError(f"the number of images must be >= 1, got {n}")
    if data == "binarized_mnist":
        X = D.binarized_mnist(split)
        X = X if n is None else X[:n]
    else:
        size = n if split == "train" and n is not None else SYNTHETIC_SIZES[split]
        images, _ = D.synthetic_digits(size, random_state=SYNTHETIC_SEEDS[split])
        X = (images > 0.5).reshape(size, -1)[:n]
    return np.ascontiguousarray(X, dtype=np.float32), (28, 28)


def image_shape_of(model, fallback=None):
    """(H, W) of the model's images: its ``image_shape``, else a square ``n_visible``, else
    ``fallback``, else (1, n_visible)."""
    if getattr(model, "image_shape", None) is not None:
        return tuple(int(s) for s in model.image_shape)
    d = int(model.n_visible)
    side = math.isqrt(d)
    if side * side == d:
        return (side, side)
    return tuple(fallback) if fallback else (1, d)


def _npz_with_config(folder):
    return (p for p in folder.rglob("*.npz") if Path(str(p) + ".json").exists())


def _positive(args, *names):
    for name in names:
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise UsageError(f"--{name.replace('_', '-')} must be > 0, got {value}")


@dataclass(frozen=True)
class Flag:
    """A constructor option of one model: ``option`` on the command line sets ``kwarg``.

    Left out, the model's own default is used (``None`` is never passed)."""

    option: str
    kwarg: str
    type: type = int
    help: str = ""


class Plugin:
    """``tinygen train|sample|complete NAME`` for the autoregressive model ``class_name``.

    Parameters
    ----------
    name : str
        The CLI name (``nade``); the checkpoint is ``<name>.npz`` in the run folder.
    class_name : str
        The class in :mod:`tinygen.models` (``NADE``), looked up when a command runs.
    *flags : Flag
        Its architecture options.
    images : bool
        The constructor takes ``image_shape=(H, W)`` (PixelCNN-like), else ``n_visible``
        as its first argument (FVSBN, NADE).
    """

    def __init__(self, name, class_name, *flags, images=False):
        self.name, self.class_name = name, class_name
        self.flags, self.images = tuple(flags), bool(images)
        self.checkpoint = f"{name}.npz"
        PLUGINS[name] = self

    # ------------------------------------------------------------------ the model
    def model_class(self):
        """The class, or a :class:`UsageError` if :mod:`tinygen.models` has none yet."""
        from ... import models

        why = ""
        try:
            cls = getattr(models, self.class_name, None)
        except ImportError as exc:  # listed but its module is broken or missing
            cls, why = None, f" ({exc})"
        if cls is None:
            have = sorted(
                p.name
                for p in PLUGINS.values()
                if p is not self and p.class_name in getattr(models, "__all__", ())
            )
            raise UsageError(
                f"`{self.name}` needs tinygen.models.{self.class_name}, which this version of "
                f"tinygen does not have yet{why}; the autoregressive models available: "
                f"{', '.join(have)}"
            )
        return cls

    def build(self, args, n_visible, shape):
        """A fresh model of the flags' architecture, seeded by ``--seed``."""
        cls = self.model_class()
        kwargs = {
            f.kwarg: getattr(args, f.kwarg)
            for f in self.flags
            if getattr(args, f.kwarg, None) is not None
        }
        params = inspect.signature(cls).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        for f in self.flags:
            if f.kwarg in kwargs and f.kwarg not in params and not takes_any:
                raise UsageError(
                    f"{f.option}: {self.class_name} has no {f.kwarg!r} argument "
                    f"(it takes {', '.join(params)})"
                )
        kwargs["random_state"] = args.seed
        try:
            if self.images:
                return cls(image_shape=shape, **kwargs)
            return cls(n_visible, **kwargs)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"{self.class_name}: {exc}") from None

    def load(self, checkpoint):
        """``(model, path)``: the model saved at ``checkpoint`` (a ``.npz``, or a run folder
        searched for ``<name>.npz``, else any ``.npz`` with its ``.json`` config)."""
        from ...io import load_config

        cls = self.model_class()
        ckpt = _common.find_checkpoint(checkpoint, self.checkpoint, self.name, _npz_with_config)
        held = load_config(ckpt).get("class", self.class_name)
        if held != self.class_name:
            other = [p.name for p in PLUGINS.values() if p.class_name == held]
            hint = f": use `tinygen ... {other[0]}`" if other else ""
            raise UsageError(f"{ckpt} holds a {held}, not a {self.class_name}{hint}")
        return cls.from_checkpoint(ckpt), Path(ckpt)

    # ------------------------------------------------------------------ train
    def add_train_args(self, parser):
        """Add the training options (data, optimisation, evaluation, architecture)."""
        parser.add_argument(
            "--data",
            choices=DATA,
            default="binarized_mnist",
            help="synthetic_digits: embedded, offline (default binarized_mnist)",
        )
        parser.add_argument(
            "--n-train", type=int, default=None, help="use the first N training images"
        )
        parser.add_argument("--epochs", type=int, default=10)
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument("--lr", type=float, default=1e-3, help="Adam step size")
        parser.add_argument(
            "--time-budget", type=float, default=None, help="stop training after this many seconds"
        )
        parser.add_argument(
            "--eval-split",
            choices=["test", "valid", "none"],
            default="test",
            help="split of the final NLL in nats (default test)",
        )
        parser.add_argument(
            "--eval-n", type=int, default=None, help="images of the NLL (default the whole split)"
        )
        parser.add_argument(
            "--n-samples", type=int, default=64, help="samples in samples.png (0: none)"
        )
        parser.add_argument("--seed", type=int, default=0)
        for f in self.flags:
            parser.add_argument(f.option, dest=f.kwarg, type=f.type, default=None, help=f.help)
        return parser

    def train(self, args, run):
        """Fit by maximum likelihood; checkpoint, metrics, NLL and samples go under
        ``run.dir``. Returns the model, or 1 when the loss became NaN."""
        from ...models.autoencoder import TrainingDivergedError
        from ...viz import image_grid

        _positive(args, "epochs", "batch_size", "lr", "eval_n")
        X, shape = load_binary(args.data, "train", args.n_train)
        split = args.eval_split
        Xe = None if split == "none" else load_binary(args.data, split, args.eval_n)[0]
        model = self.build(args, X.shape[1], shape)
        train_args = _common.train_args(args)
        run.save_config(
            {"model": model.get_config(), "train": train_args, "image_shape": list(shape)}
        )
        ckpt = Path(run.checkpoint_path(self.checkpoint))
        t0 = time.perf_counter()

        def callback(epoch, hist):
            run.log_metrics(epoch + 1, loss=hist["loss"][-1], seconds=time.perf_counter() - t0)
            model.save(ckpt)

        try:
            model.fit(
                X,
                n_epochs=args.epochs,
                batch_size=args.batch_size,
                lr=args.lr,
                random_state=args.seed,
                callback=callback,
                verbose=not getattr(args, "quiet", False),
                time_budget=args.time_budget,
            )
        except TrainingDivergedError as exc:
            print(f"tinygen: error: {exc}")
            return 1
        model.save(ckpt)
        epochs = len(model.history_["loss"])
        print(
            f"{epochs} epochs in {time.perf_counter() - t0:.1f} s; "
            f"training NLL {model.history_['loss'][-1]:.2f} nats"
        )
        if Xe is not None:
            nll = -model.log_prob(Xe)
            mean, sem = float(nll.mean()), float(nll.std() / math.sqrt(len(nll)))
            run.log_metrics(
                epochs, **{f"{split}_nll": mean, f"{split}_nll_sem": sem}, eval_n=len(nll)
            )
            print(f"{split} NLL ({len(nll)} images): {mean:.2f} ± {sem:.2f} nats")
        print(f"checkpoint {ckpt}")
        if args.n_samples > 0:
            x = model.sample(args.n_samples, random_state=args.seed)
            path = image_grid(
                x.reshape(len(x), -1),
                Path(run.dir) / "samples.png",
                shape=shape,
                title=f"{self.class_name} samples",
            )
            print(f"samples {path}")
        return model

    # ------------------------------------------------------------------ sample
    def add_sample_args(self, parser):
        """Add the sampling options: --checkpoint, --n, --out, --seed
        (:func:`~tinygen.cli.models._common.add_sample_args`)."""
        return _common.add_sample_args(parser)

    def sample(self, args, run):
        """Draw ``--n`` samples in raster order; write them as ``.npy`` (the model's shape:
        (N, 1, H, W) for image models, (N, D) for vector ones) and a PNG grid."""
        _common.check_counts(args, "n")
        model, ckpt = self.load(args.checkpoint)
        x = model.sample(args.n, random_state=args.seed)
        _common.save_samples_npy(
            run,
            x,
            args.out,
            image_shape_of(model),
            f"{self.class_name} samples ({ckpt.parent.name})",
            {"checkpoint": str(ckpt), "n": args.n, "seed": args.seed, "model": model.get_config()},
        )
        return x
