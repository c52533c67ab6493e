"""Pictures for lessons and runs: image grids, training curves, 2-D scatter plots.

Everything here draws headless with matplotlib's Agg renderer, writes one PNG and returns
its :class:`~pathlib.Path`. A PNG is written to a temporary file in the target folder and
renamed when complete, so an interrupted run never leaves a half-written picture behind.

Functions
---------
image_grid
    Tile N images (greyscale or RGB, values in [0, 1]) into one picture.
filters_grid
    Tile the rows (filters) of a weight matrix, each rescaled to [0, 1] on its own.
training_curves
    One line per named curve (losses, log-likelihoods) against epochs or steps.
scatter_2d
    2-D samples, optionally several named sets, with the mixture's mode centres as markers.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import matplotlib

if "matplotlib.pyplot" not in sys.modules:  # headless unless the user already chose a backend
    matplotlib.use("Agg")

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import backend

__all__ = ["image_grid", "filters_grid", "training_curves", "scatter_2d", "tile_images"]

_DPI = 100
_SEPARATOR = 0.5  # grey: visible between black and between white images


def _host(x) -> np.ndarray:
    """A NumPy copy of an array, Tensor or nested list (CuPy arrays come to the host)."""
    return np.asarray(backend.to_numpy(x))


def _new_figure(width_px: float, height_px: float) -> Figure:
    # A bare Figure with an Agg canvas: no pyplot state, nothing left open afterwards.
    fig = Figure(figsize=(width_px / _DPI, height_px / _DPI), dpi=_DPI)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format="png", dpi=_DPI)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        fig.clf()
    return path


# ----------------------------------------------------------------------------- image grids
def _as_nhwc(images, shape) -> np.ndarray:
    """Bring an image batch to float64 of shape (N, H, W, C) with C in {1, 3}."""
    x = _host(images)
    if x.ndim == 1 and shape is not None:
        x = x[None]
    if x.ndim == 2:
        n, d = x.shape
        if shape is None:
            side = math.isqrt(d)
            if side * side != d:
                raise ValueError(
                    f"images of shape {x.shape} are flat with {d} pixels, not a square; "
                    "pass shape=(H, W) (or (C, H, W)) to say how to reshape them"
                )
            shape = (side, side)
        shape = tuple(int(s) for s in shape)
        if math.prod(shape) != d:
            raise ValueError(f"shape={shape} holds {math.prod(shape)} pixels but images have {d}")
        x = x.reshape((n, *shape))
    if x.ndim == 3:
        x = x[..., None]
    elif x.ndim == 4:
        if x.shape[1] in (1, 3):  # NCHW
            x = x.transpose(0, 2, 3, 1)
        elif x.shape[-1] not in (1, 3):
            raise ValueError(
                f"4-D images must be (N, C, H, W) or (N, H, W, C) with C = 1 or 3, got {x.shape}"
            )
    else:
        raise ValueError(
            f"images must be (N, H, W), (N, D) with shape=(H, W), or (N, C, H, W); got {x.shape}"
        )
    if x.shape[0] == 0:
        raise ValueError("no images to draw (got an empty batch)")
    x = x.astype(np.float64, copy=False)
    if not np.all(np.isfinite(x)):
        raise ValueError("images contain NaN or inf; check the model's outputs before drawing")
    return x


def tile_images(images, nrow=None, shape=None, pad=1, pad_value=_SEPARATOR) -> np.ndarray:
    """Tile a batch of images into one array, ``nrow`` images per row.

    Parameters
    ----------
    images : array_like
        Of shape (n_images, H, W), (n_images, H*W) with ``shape=(H, W)``, or
        (n_images, C, H, W) with C = 1 or 3. Values are clipped to [0, 1].
    nrow : int, optional
        Images per row (as in ``torchvision.utils.make_grid``); default ⌈√n_images⌉.
    shape : tuple, optional
        (H, W) or (C, H, W) of one image when ``images`` are flat.
    pad : int
        Width in pixels of the separators between images.
    pad_value : float
        Grey level of the separators.

    Returns
    -------
    ndarray
        Of shape (rows·(H+pad)+pad, cols·(W+pad)+pad, C), float64 in [0, 1].
    """
    x = np.clip(_as_nhwc(images, shape), 0.0, 1.0)
    n, h, w, c = x.shape
    cols = int(nrow) if nrow else math.ceil(math.sqrt(n))
    if cols < 1:
        raise ValueError(f"nrow must be a positive integer, got {nrow}")
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    cells = np.full((rows * cols, h + pad, w + pad, c), pad_value, dtype=np.float64)
    cells[:n, :h, :w] = x
    grid = cells.reshape(rows, cols, h + pad, w + pad, c).transpose(0, 2, 1, 3, 4)
    grid = grid.reshape(rows * (h + pad), cols * (w + pad), c)
    return np.pad(grid, ((pad, 0), (pad, 0), (0, 0)), constant_values=pad_value)


def _draw_array(grid: np.ndarray, path, title, cmap) -> Path:
    gh, gw, c = grid.shape
    scale = max(1, min(8, 720 // max(gh, gw)))  # integer upscaling keeps pixels crisp
    title_px = 28 if title else 0
    width, height = max(gw * scale, 160 if title else 1), gh * scale + title_px
    fig = _new_figure(width, height)
    ax = fig.add_axes((0.0, 0.0, 1.0, (gh * scale) / height))
    img = grid[..., 0] if c == 1 else grid
    ax.imshow(img, cmap=cmap if c == 1 else None, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    if title:
        fig.suptitle(title, y=1.0 - 4 / height, va="top", fontsize=10)
    return _save(fig, path)


def image_grid(images, path, nrow=None, title=None, shape=None, cmap="gray") -> Path:
    """Save a grid of images as one PNG.

    Parameters
    ----------
    images : array_like
        Of shape (n_images, H, W); (n_images, D) with ``shape=(H, W)`` (a square D needs
        no ``shape``); or (n_images, C, H, W) with C = 1 or 3. Values in [0, 1] (clipped);
        NumPy, CuPy or Tensor.
    path : str or Path
        Where to write the PNG (parent folders are created).
    nrow : int, optional
        Images per row; default ⌈√n_images⌉.
    title : str, optional
        Title above the grid.
    shape : tuple, optional
        (H, W) or (C, H, W) of one image, for flat inputs.
    cmap : str
        Colour map for greyscale images.

    Returns
    -------
    Path
        The PNG written.
    """
    return _draw_array(tile_images(images, nrow=nrow, shape=shape), path, title, cmap)


def filters_grid(W, path, shape=(28, 28), nrow=None, title=None, n_filters=None, cmap="gray"):
    """Save the filters (receptive fields) of a weight matrix as an image grid.

    Each filter w is rescaled on its own, (w − min w) / (max w − min w), so its pattern
    shows whatever its scale; a constant filter is drawn mid-grey.

    Parameters
    ----------
    W : array_like
        Of shape (n_filters, H*W) — e.g. a ``Linear`` weight (out, in) — or of shape
        (H*W, n_filters), e.g. an RBM weight (n_visible, n_hidden): the axis whose length is
        H*W is taken as the pixel axis.
    path : str or Path
        Where to write the PNG.
    shape : tuple
        (H, W) of one filter.
    nrow, title, cmap
        As in :func:`image_grid`.
    n_filters : int, optional
        Draw only the first ``n_filters`` filters.

    Returns
    -------
    Path
        The PNG written.
    """
    W = _host(W).astype(np.float64)
    d = math.prod(shape)
    if W.ndim != 2 or d not in W.shape:
        raise ValueError(
            f"W must be 2-D with one axis of length {d} = prod{tuple(shape)}, got {W.shape}"
        )
    if W.shape[1] != d:
        W = W.T
    if n_filters is not None:
        W = W[: int(n_filters)]
    lo, hi = W.min(axis=1, keepdims=True), W.max(axis=1, keepdims=True)
    span = hi - lo
    W = np.where(span > 0, (W - lo) / np.where(span > 0, span, 1.0), 0.5)
    return image_grid(W, path, nrow=nrow, title=title, shape=shape, cmap=cmap)


# ------------------------------------------------------------------------- training curves
def _curve_xy(name, value):
    """(x, y) of one curve: y alone (x = 1..n), a tuple (x, y), or pairs of shape (n, 2)."""
    if isinstance(value, tuple) and len(value) == 2:
        x, y = _host(value[0]).astype(np.float64), _host(value[1]).astype(np.float64)
        if x.ndim == 1 and y.ndim == 1:
            if x.shape != y.shape:
                raise ValueError(f"curve {name!r}: x has {x.size} points but y has {y.size}")
            return x, y
    arr = _host(value).astype(np.float64)
    if arr.ndim == 1:
        return np.arange(1, arr.size + 1, dtype=np.float64), arr
    if arr.ndim == 2 and arr.shape[1] == 2:
        return arr[:, 0], arr[:, 1]
    raise ValueError(
        f"curve {name!r} must be a 1-D sequence of values, a tuple (x, y) or (x, y) pairs "
        f"of shape (n, 2); got shape {arr.shape}"
    )


def training_curves(curves, path, xlabel="epoch", ylabel=None, title=None, logy=False) -> Path:
    """Save training curves (one line per name) as a PNG.

    Parameters
    ----------
    curves : dict
        name → values (plotted against 1, 2, …, n), name → tuple (x, y) of two 1-D
        arrays, or name → sequence of (x, y) pairs of shape (n, 2). NaN values leave gaps.
    path : str or Path
        Where to write the PNG.
    xlabel, ylabel, title : str, optional
        Axis labels and title.
    logy : bool
        Logarithmic y axis (non-positive values are masked).

    Returns
    -------
    Path
        The PNG written.
    """
    if not isinstance(curves, Mapping) or not curves:
        raise ValueError("curves must be a non-empty dict: name -> values or (x, y)")
    fig = _new_figure(640, 420)
    ax = fig.add_subplot(1, 1, 1)
    for name, value in curves.items():
        x, y = _curve_xy(name, value)
        marker = "o" if y.size <= 30 else None
        ax.plot(x, y, label=str(name), marker=marker, markersize=3, linewidth=1.5)
    if logy:
        ax.set_yscale("log", nonpositive="mask")
    ax.set_xlabel(xlabel or "")
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False)
    fig.tight_layout()
    return _save(fig, path)


# ------------------------------------------------------------------------------- scatter
def _points(name, value) -> np.ndarray:
    p = _host(value).astype(np.float64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"{name} must be of shape (n_points, 2), got {p.shape}")
    return p


def scatter_2d(points, path, centres=None, title=None, lim=None) -> Path:
    """Save a scatter plot of 2-D samples, with the mode centres as markers.

    Parameters
    ----------
    points : array_like or dict
        Of shape (n_points, 2), or a dict name → array of shape (n_points, 2) to compare
        several sets (e.g. ``{"data": x, "model": samples}``), each in its own colour.
    path : str or Path
        Where to write the PNG.
    centres : array_like, optional
        Of shape (n_modes, 2): the mixture's mode centres, drawn as red crosses.
    title : str, optional
        Title of the plot.
    lim : float or tuple, optional
        Axis limits: a half-width ``r`` for [−r, r]² or ``(lo, hi)`` for both axes;
        default fits the data.

    Returns
    -------
    Path
        The PNG written.
    """
    sets = dict(points) if isinstance(points, Mapping) else {"samples": points}
    if not sets:
        raise ValueError("no points to draw")
    fig = _new_figure(520, 520)
    ax = fig.add_subplot(1, 1, 1)
    for name, value in sets.items():
        p = _points(f"points[{name!r}]" if len(sets) > 1 else "points", value)
        size = 4 if len(p) > 2000 else 8
        ax.scatter(p[:, 0], p[:, 1], s=size, alpha=0.5, linewidths=0, label=str(name))
    if centres is not None:
        c = _points("centres", centres)
        ax.scatter(
            c[:, 0], c[:, 1], marker="x", s=60, c="red", linewidths=1.5, label="mode centres"
        )
    if lim is not None:
        lo, hi = (-float(lim), float(lim)) if np.isscalar(lim) else map(float, lim)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
    ax.set_aspect("equal", adjustable="datalim" if lim is None else "box")
    ax.grid(True, alpha=0.3)
    if len(sets) > 1 or centres is not None:
        ax.legend(frameon=False, loc="upper right", fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return _save(fig, path)
