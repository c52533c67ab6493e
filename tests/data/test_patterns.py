"""Bars and stripes: count, distinctness, structure."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygen.data import bars_and_stripes


@given(st.integers(1, 6))
def test_all_distinct_bars_and_stripes(n):
    x = bars_and_stripes(n)
    assert x.shape == (2 ** (n + 1) - 2, n * n) and x.dtype == np.uint8
    assert set(np.unique(x)) <= {0, 1}
    assert len(np.unique(x, axis=0)) == len(x)
    img = x.reshape(-1, n, n)
    is_bar = np.all(img == img[:, :1, :], axis=(1, 2))  # every column constant
    is_stripe = np.all(img == img[:, :, :1], axis=(1, 2))  # every row constant
    assert np.all(is_bar | is_stripe)
    # 2**n bar patterns and 2**n stripe patterns; only all-off and all-on are both.
    assert is_bar.sum() == 2**n and is_stripe.sum() == 2**n
    both = x[is_bar & is_stripe]
    assert sorted(both.sum(axis=1).tolist()) == ([0, 1] if n == 1 else [0, n * n])


def test_small_case_by_hand():
    x = bars_and_stripes(2)
    expected = {(0, 0, 0, 0), (1, 1, 1, 1), (1, 0, 1, 0), (0, 1, 0, 1), (1, 1, 0, 0), (0, 0, 1, 1)}
    assert {tuple(r) for r in x} == expected


def test_deterministic():
    assert np.array_equal(bars_and_stripes(4), bars_and_stripes(4))


@pytest.mark.parametrize("n", [0, -1, 2.0, True, 13])
def test_bad_n(n):
    with pytest.raises(ValueError, match="n"):
        bars_and_stripes(n)
