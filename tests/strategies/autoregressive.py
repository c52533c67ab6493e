"""Hypothesis strategies for small binary autoregressive models with random parameters
(tested in test_autoregressive_strategies.py).

FVSBN and NADE models in float64 with at most ``MAX_VISIBLE`` = 10 variables, so that all
2^D binary vectors can be enumerated (``tinygen.models._enumerate.all_binary``). Parameters
are standard normal draws from a seed that hypothesis picks, times a scale from ``SCALES``,
so nearly uniform models and sharply peaked ones both occur; a failing case shrinks and
replays like any other. Tiny PixelCNN configurations (kernel sizes, depth, width, image
side) for the causality tests are drawn by :func:`pixelcnn_configs`.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

__all__ = [
    "MAX_VISIBLE",
    "SCALES",
    "fvsbn_models",
    "nade_models",
    "autoregressive_models",
    "binary_batches",
    "pixelcnn_configs",
]

MAX_VISIBLE = 10
#: multipliers of the standard normal parameters
SCALES = (0.3, 1.0, 3.0)


def _seeds():
    return st.integers(0, 2**31 - 1)


@st.composite
def fvsbn_models(draw, min_visible=1, max_visible=MAX_VISIBLE):
    """A float64 :class:`~tinygen.models.fvsbn.FVSBN` with random W (strictly lower
    triangular, every allowed entry non-zero) and b."""
    from tinygen.models.fvsbn import FVSBN

    D = draw(st.integers(min_visible, max_visible))
    scale = draw(st.sampled_from(SCALES))
    rng = np.random.default_rng(draw(_seeds()))
    m = FVSBN(D, random_state=0, dtype=np.float64)
    m.W.data[:] = scale * rng.standard_normal((D, D)) * m.mask
    m.b.data[:] = scale * rng.standard_normal(D)
    return m


@st.composite
def nade_models(draw, min_visible=1, max_visible=MAX_VISIBLE, max_hidden=6):
    """A float64 :class:`~tinygen.models.nade.NADE` with random W, c, V, b and 1 to
    ``max_hidden`` hidden units."""
    from tinygen.models.nade import NADE

    D = draw(st.integers(min_visible, max_visible))
    H = draw(st.integers(1, max_hidden))
    scale = draw(st.sampled_from(SCALES))
    rng = np.random.default_rng(draw(_seeds()))
    m = NADE(D, n_hidden=H, random_state=0, dtype=np.float64)
    for p in (m.W, m.c, m.V, m.b):
        p.data[:] = scale * rng.standard_normal(p.shape)
    return m


def autoregressive_models(min_visible=1, max_visible=MAX_VISIBLE):
    """An FVSBN or a NADE from the two strategies above."""
    return st.one_of(fvsbn_models(min_visible, max_visible), nade_models(min_visible, max_visible))


@st.composite
def binary_batches(draw, n_visible, min_rows=1, max_rows=8):
    """Float64 0/1 arrays of shape (n_rows, n_visible), from a drawn seed and density."""
    n = draw(st.integers(min_rows, max_rows))
    density = draw(st.sampled_from((0.1, 0.5, 0.9)))
    rng = np.random.default_rng(draw(_seeds()))
    return (rng.random((n, n_visible)) < density).astype(np.float64)


@st.composite
def pixelcnn_configs(draw, max_side=6):
    """Keyword arguments of a tiny :class:`~tinygen.models.pixelcnn.PixelCNN`, plus the image
    side: ``{"side", "first_kernel", "kernel", "n_blocks", "channels", "seed"}``.

    ``first_kernel`` (the mask-A conv) is odd in 3..7 (a 1×1 mask-A conv would see nothing), ``kernel`` (the mask-B convs) odd in
    1..5, ``n_blocks`` in 0..3, ``channels`` in 2..6 and the image side in 2..``max_side``.
    """
    return {
        "side": draw(st.integers(2, max_side)),
        "first_kernel": draw(st.sampled_from((3, 5, 7))),
        "kernel": draw(st.sampled_from((1, 3, 5))),
        "n_blocks": draw(st.integers(0, 3)),
        "channels": draw(st.integers(2, 6)),
        "seed": draw(_seeds()),
    }
