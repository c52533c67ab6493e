"""``tinygen complete MODEL``: fill in the hidden half of test digits with an autoregressive model.

    tinygen complete pixelcnn --checkpoint runs/<name> --top-half --n 8 --out completion.png
    tinygen complete nade --checkpoint runs/<name>/nade.npz --left-half --samples 5

Takes the first ``--n`` images of ``--split`` (default test) of the data the model was
trained on (read from the run's ``config.json``; ``--data`` overrides), hides the bottom
half (``--top-half`` known, the default) or the right half (``--left-half`` known), and
draws ``--samples`` completions of each with ``model.complete``: every hidden pixel from
p(x_i | x_<i) in raster order, given the known pixels and those drawn before it. With the
top half known this samples p(x_bottom | x_top) exactly; with the left half known, the
known pixels after position i are not seen by x_i (a one-way model's approximation).

The picture has one column per digit and rows: original, masked input (hidden pixels grey),
then the completions. Beside ``FILE.png`` go ``FILE.original.npy`` (N, 1, H, W),
``FILE.mask.npy`` (N, 1, H, W, True where known) and ``FILE.completions.npy``
(N, S, 1, H, W), all 0/1.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .. import runs
from .errors import UsageError
from .models._autoregressive import DATA

__all__ = ["add_parser", "cmd_complete", "half_mask"]


def add_parser(sub) -> None:
    from .train import model_modules

    p = sub.add_parser("complete", help="complete the hidden half of test digits (pixelcnn, ...)")
    p.add_argument(
        "model",
        metavar="MODEL",
        choices=sorted(model_modules()),
        help="an autoregressive model: " + ", ".join(_completers()),
    )
    p.add_argument("--checkpoint", required=True, help="run folder or .npz written by train")
    half = p.add_mutually_exclusive_group()
    half.add_argument(
        "--top-half",
        dest="known",
        action="store_const",
        const="top",
        help="the top half is known, the bottom half completed (default)",
    )
    half.add_argument(
        "--left-half",
        dest="known",
        action="store_const",
        const="left",
        help="the left half is known, the right half completed",
    )
    p.set_defaults(known="top", func=cmd_complete)
    p.add_argument("--n", type=int, default=8, help="number of test digits (default 8)")
    p.add_argument("--samples", type=int, default=3, help="completions per digit (default 3)")
    p.add_argument(
        "--data", choices=DATA, default=None, help="dataset (default: the one the run trained on)"
    )
    p.add_argument("--split", choices=["test", "valid", "train"], default="test")
    p.add_argument("--out", default=None, help="the picture (default completion.png in the run)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--name", default=None, help="run folder name under --root")
    p.add_argument("--root", default="runs", help="where run folders go (default runs)")


def _completers():
    from .train import model_modules

    return sorted(n for n, m in model_modules().items() if hasattr(m, "load_model"))


def half_mask(shape, known="top"):
    """Boolean (H, W) mask, True on the known half: rows < H//2 (``"top"``) or columns
    < W//2 (``"left"``)."""
    H, W = shape
    mask = np.zeros((H, W), dtype=bool)
    if known == "top":
        mask[: H // 2] = True
    elif known == "left":
        mask[:, : W // 2] = True
    else:
        raise ValueError(f"known must be 'top' or 'left', got {known!r}")
    return mask


def _trained_on(ckpt):
    """The ``--data`` of the ``train`` run that wrote ``ckpt`` (None if not recorded)."""
    for folder in (ckpt.parent, *ckpt.parents[1:2]):
        cfg = folder / "config.json"
        if cfg.exists():
            try:
                return json.loads(cfg.read_text()).get("train", {}).get("data")
            except (ValueError, AttributeError):
                return None
    return None


def cmd_complete(args) -> int:
    from ..viz import image_grid
    from .models._autoregressive import image_shape_of, load_binary
    from .models._common import save_npy
    from .train import model_modules

    mod = model_modules()[args.model]
    load = getattr(mod, "load_model", None)
    if load is None:
        raise UsageError(
            f"`{args.model}` cannot complete images: `tinygen complete` takes an "
            f"autoregressive model ({', '.join(_completers())})"
        )
    if args.n < 1 or args.samples < 1:
        raise UsageError(f"--n and --samples must be >= 1, got {args.n} and {args.samples}")
    model, ckpt = load(args.checkpoint)
    if not callable(getattr(model, "complete", None)):
        raise UsageError(f"{type(model).__name__} (from {ckpt}) has no complete method")
    data = args.data or _trained_on(ckpt) or "binarized_mnist"
    X, shape = load_binary(data, args.split)
    if X.shape[1] != model.n_visible:
        raise UsageError(
            f"{data} images have {X.shape[1]} pixels but the model takes {model.n_visible}: "
            "pass the --data it was trained on"
        )
    if args.n > len(X):
        raise UsageError(f"--n {args.n}: the {args.split} split of {data} has {len(X)} images")
    H, W = image_shape_of(model, shape)
    original = X[: args.n].reshape(args.n, 1, H, W)
    mask = np.broadcast_to(half_mask((H, W), args.known), original.shape).copy()
    S = args.samples
    filled = model.complete(
        np.repeat(original, S, axis=0), np.repeat(mask, S, axis=0), random_state=args.seed
    )
    completions = np.asarray(filled, dtype=np.float32).reshape(args.n, S, 1, H, W)

    run = None
    if args.out is None:
        name = args.name or f"{args.model}-complete-{time.strftime('%Y%m%d-%H%M%S')}"
        run = runs.Run(name, root=args.root, quiet=args.quiet)
        print(f"run folder: {run.dir}")
    out = Path(args.out) if args.out else run.dir / "completion.png"
    if out.suffix != ".png":
        out = out.with_name(out.name + ".png")
    stem = out.with_suffix("")
    arrays = {"original": original, "mask": mask, "completions": completions}
    paths = {k: save_npy(f"{stem}.{k}.npy", v) for k, v in arrays.items()}
    shown = np.where(mask, original, 0.5)  # the hidden half in grey
    rows = np.concatenate(
        [original, shown, completions.transpose(1, 0, 2, 3, 4).reshape(-1, 1, H, W)]
    )
    picture = image_grid(
        rows,
        out,
        nrow=args.n,
        title=f"{type(model).__name__}: original / {args.known} half known / {S} completions",
    )
    if run is not None:
        run.save_config(
            {k: v for k, v in vars(args).items() if not callable(v)}
            | {"checkpoint": str(ckpt), "data": data}
        )
    print(f"completions {picture}")
    for k, p in paths.items():
        print(f"{k} {p}")
    return 0
