"""The convolution strategies generate what they promise (tests/strategies/conv.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import find, given

from tests.strategies import conv as S


def test_conv_output_size_matches_counting_windows():
    for n in range(1, 9):
        for k in range(1, 4):
            for s in range(1, 4):
                for p in range(3):
                    starts = range(-p, n + p - k + 1, s)  # window starts in the padded line
                    expect = len(starts)
                    got = S.conv_output_size(n, k, s, p)
                    assert got == expect or (expect == 0 and got <= 0), (n, k, s, p)


@given(S.conv_cases())
def test_conv_cases_are_valid_float64_problems(case):
    x, w, b, stride, padding = case
    N, C, H, W = x.shape
    O, C_w, kh, kw = w.shape
    assert x.dtype == w.dtype == np.float64 and C_w == C
    assert 1 <= N <= 2 and 1 <= C <= 3 and 1 <= O <= 3 and 1 <= kh <= 3 and 1 <= kw <= 3
    assert b is None or (b.shape == (O,) and b.dtype == np.float64)
    assert all(s in (1, 2) for s in stride) and all(p in (0, 1, 2) for p in padding)
    assert 1 <= H <= S.MAX_SIDE and 1 <= W <= S.MAX_SIDE
    assert S.conv_output_size(H, kh, stride[0], padding[0]) >= 1
    assert S.conv_output_size(W, kw, stride[1], padding[1]) >= 1
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(w))
    assert x.size == 1 or np.std(x) > 0  # random values, not a constant fill


def test_conv_cases_reach_every_regime():
    """Both biases, both strides, the widest padding, a 1×1 and a 3×3 kernel all occur."""
    find(S.conv_cases(), lambda c: c[2] is None)
    find(S.conv_cases(), lambda c: c[2] is not None)
    find(S.conv_cases(), lambda c: c[3] == (2, 2) and c[4] == (2, 2))
    find(S.conv_cases(), lambda c: c[1].shape[2:] == (1, 1))
    find(S.conv_cases(), lambda c: c[1].shape[2:] == (3, 3) and c[4] == (0, 0))
    find(S.conv_cases(), lambda c: c[0].shape[2] == 1)  # a side smaller than the kernel


def test_conv_cases_max_channels():
    case = find(S.conv_cases(max_channels=1), lambda c: True)
    assert case[0].shape[1] == 1


@given(S.conv_transpose_cases())
def test_conv_transpose_cases_are_valid(case):
    y, w, b, stride, padding, opad = case
    N, C_in, Hy, Wy = y.shape
    C_in_w, C_out, kh, kw = w.shape
    assert C_in_w == C_in and y.dtype == w.dtype == np.float64
    assert b is None or b.shape == (C_out,)
    assert all(0 <= o < s for o, s in zip(opad, stride))
    Hout = (Hy - 1) * stride[0] - 2 * padding[0] + kh + opad[0]
    Wout = (Wy - 1) * stride[1] - 2 * padding[1] + kw + opad[1]
    assert Hout >= 1 and Wout >= 1 and Hy >= 1 and Wy >= 1


def test_conv_transpose_cases_reach_output_padding():
    find(S.conv_transpose_cases(), lambda c: c[5] == (1, 1))
    find(S.conv_transpose_cases(), lambda c: c[2] is not None and c[3] == (2, 1))


@given(S.pool_cases())
def test_pool_cases_have_distinct_values_and_fitting_windows(case):
    x, (kh, kw), stride = case
    N, C, H, W = x.shape
    assert H >= kh and W >= kw and all(1 <= s <= 3 for s in stride)
    flat = np.sort(x.ravel())
    assert np.unique(flat).size == x.size
    if x.size > 1:
        assert np.min(np.diff(flat)) >= 1 / 7 - 1e-12  # far apart next to a 1e-6 step


def test_pool_cases_reach_overlap_and_gaps():
    find(S.pool_cases(), lambda c: c[2][0] < c[1][0])  # overlapping windows
    find(S.pool_cases(), lambda c: c[2][0] > c[1][0])  # skipped rows
