"""Hypothesis strategies for convolution and pooling problems (tested in
test_conv_strategies.py).

Every case is small (≤ 7×7 images, ≤ 3 channels, kernels ≤ 3×3) and float64, so that the
plain-loop references and float64 central differences in ``tests/autograd/test_conv.py``
stay fast and exact. Random values come from a seed that hypothesis draws, so a failing
case shrinks and replays like any other.

Sizes follow PyTorch: a conv2d with kernel k, stride s and padding p maps a side of n to
⌊(n + 2p − k)/s⌋ + 1, and a conv_transpose2d maps m back to (m − 1)s − 2p + k + output_padding,
with 0 ≤ output_padding < s.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

__all__ = ["conv_output_size", "conv_cases", "conv_transpose_cases", "pool_cases"]

MAX_SIDE = 7


def conv_output_size(n, kernel, stride, padding):
    """⌊(n + 2·padding − kernel) / stride⌋ + 1: one output side of a convolution or pool."""
    return (n + 2 * padding - kernel) // stride + 1


def _seeds():
    return st.integers(0, 2**31 - 1)


@st.composite
def conv_cases(draw, max_channels=3):
    """Random small conv2d problems ``(x, w, b, stride, padding)``, float64.

    ``x`` of shape (N, C, H, W), ``w`` of shape (O, C, kh, kw), ``b`` of shape (O,) or None;
    ``stride`` in {1, 2}², ``padding`` in {0, 1, 2}², kernel sides 1..3, and H, W large
    enough (with the padding) for at least one output pixel.
    """
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    H = draw(st.integers(max(1, kh - 2 * padding[0]), MAX_SIDE))
    W = draw(st.integers(max(1, kw - 2 * padding[1]), MAX_SIDE))
    N, C, O = draw(st.integers(1, 2)), draw(st.integers(1, max_channels)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(_seeds()))
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((O, C, kh, kw))
    b = rng.standard_normal(O) if draw(st.booleans()) else None
    return x, w, b, stride, padding


@st.composite
def conv_transpose_cases(draw):
    """Random small conv_transpose2d problems ``(y, w, b, stride, padding, output_padding)``.

    ``y`` of shape (N, C_in, Hy, Wy) is the output of some conv2d (so the sizes are those a
    decoder meets), ``w`` of shape (C_in, C_out, kh, kw) (PyTorch's layout for transposed
    convolutions), ``b`` of shape (C_out,) or None, ``0 ≤ output_padding < stride``, and the
    transposed output has at least one pixel per side.
    """
    x, w, b, stride, padding = draw(conv_cases())
    H, W = x.shape[2:]
    kh, kw = w.shape[2:]
    oph, opw = draw(st.integers(0, stride[0] - 1)), draw(st.integers(0, stride[1] - 1))
    Hy = conv_output_size(H, kh, stride[0], padding[0])
    Wy = conv_output_size(W, kw, stride[1], padding[1])
    Hout = (Hy - 1) * stride[0] - 2 * padding[0] + kh + oph
    Wout = (Wy - 1) * stride[1] - 2 * padding[1] + kw + opw
    assume(Hout >= 1 and Wout >= 1)
    rng = np.random.default_rng(draw(_seeds()))
    C_in, C_out = w.shape[0], x.shape[1]
    y = rng.standard_normal((x.shape[0], C_in, Hy, Wy))
    wt = rng.standard_normal((C_in, C_out, kh, kw))
    bt = rng.standard_normal(C_out) if b is not None else None
    return y, wt, bt, stride, padding, (oph, opw)


@st.composite
def pool_cases(draw):
    """Random pooling problems ``(x, kernel, stride)``: ``x`` of shape (N, C, H, W) with
    H ≥ kh and W ≥ kw, kernel sides 1..3, strides 1..3 (so windows may overlap or skip
    pixels), and all entries distinct, so that every window's arg-max — and with it the
    derivative of max pooling — is unique."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    H, W = draw(st.integers(kh, MAX_SIDE)), draw(st.integers(kw, MAX_SIDE))
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(_seeds()))
    # a permutation of 0..n−1 scaled by 1/7: neighbouring values differ by ≥ 1/7 ≫ the
    # finite-difference step, so no perturbation changes an arg-max
    x = rng.permutation(N * C * H * W).reshape(N, C, H, W) / 7.0 + 0.01 * rng.random()
    return x, (kh, kw), stride
