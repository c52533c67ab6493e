"""minibatches: coverage, alignment, drop_last, determinism, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygen.data import minibatches, n_batches


@given(st.integers(0, 200), st.integers(1, 64), st.booleans(), st.booleans(), st.integers(0, 99))
def test_every_index_once(n, batch_size, shuffle, drop_last, seed):
    idx = np.arange(n)
    batches = list(
        minibatches(
            idx, batch_size=batch_size, shuffle=shuffle, random_state=seed, drop_last=drop_last
        )
    )
    assert len(batches) == n_batches(n, batch_size, drop_last)
    sizes = [len(b) for b in batches]
    assert all(s == batch_size for s in sizes[:-1])
    if drop_last:
        assert all(s == batch_size for s in sizes)
    seen = np.concatenate(batches) if batches else np.array([], dtype=int)
    assert len(np.unique(seen)) == len(seen)  # no index twice
    expected = n - n % batch_size if drop_last else n
    assert len(seen) == expected
    if not shuffle:
        assert np.array_equal(seen, np.arange(expected))
    elif not drop_last:
        assert np.array_equal(np.sort(seen), idx)


@given(st.integers(1, 100), st.integers(1, 30))
def test_arrays_stay_aligned(n, batch_size):
    x = np.arange(n * 3).reshape(n, 3).astype(np.float32)
    y = np.arange(n) * 10
    for xb, yb in minibatches(x, y, batch_size=batch_size, random_state=0):
        assert isinstance(xb, np.ndarray) and xb.dtype == np.float32
        assert np.array_equal(xb[:, 0] // 3 * 10, yb)


def test_deterministic_given_seed_and_generator_advances():
    x = np.arange(100)
    a = np.concatenate(list(minibatches(x, batch_size=7, random_state=3)))
    b = np.concatenate(list(minibatches(x, batch_size=7, random_state=3)))
    assert np.array_equal(a, b) and not np.array_equal(a, x)
    rng = np.random.default_rng(0)
    e1 = np.concatenate(list(minibatches(x, batch_size=7, random_state=rng)))
    e2 = np.concatenate(list(minibatches(x, batch_size=7, random_state=rng)))
    assert not np.array_equal(e1, e2)  # a new order each epoch from one stream


def test_single_array_yields_array_not_tuple():
    (batch,) = list(minibatches(np.zeros((4, 2)), batch_size=8))
    assert isinstance(batch, np.ndarray) and batch.shape == (4, 2)


def test_errors_raise_at_call():
    with pytest.raises(ValueError, match=r"equal length.*\[5, 4\]"):
        minibatches(np.zeros(5), np.zeros(4), batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        minibatches(np.zeros(5), batch_size=0)
    with pytest.raises(ValueError, match="batch_size"):
        minibatches(np.zeros(5), batch_size=2.0)
    with pytest.raises(ValueError, match="at least one"):
        minibatches(batch_size=2)
    with pytest.raises(ValueError, match="first"):
        minibatches(np.float32(3.0), batch_size=2)
