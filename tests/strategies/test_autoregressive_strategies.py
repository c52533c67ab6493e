"""The autoregressive strategies generate what they promise (tests/strategies/autoregressive.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import find, given

from tests.strategies import autoregressive as S
from tinygen.models.fvsbn import FVSBN
from tinygen.models.nade import NADE


@given(S.fvsbn_models())
def test_fvsbn_models_are_float64_random_and_lower_triangular(m):
    D = m.n_visible
    assert isinstance(m, FVSBN) and 1 <= D <= S.MAX_VISIBLE
    assert m.W.dtype == m.b.dtype == np.float64
    W = m.W.numpy()
    assert np.all(np.triu(W) == 0)
    assert np.all(W[np.tril_indices(D, -1)] != 0)
    assert np.all(np.isfinite(W)) and np.all(np.isfinite(m.b.numpy()))


@given(S.nade_models())
def test_nade_models_are_float64_and_random(m):
    assert isinstance(m, NADE) and 1 <= m.n_visible <= S.MAX_VISIBLE and 1 <= m.n_hidden <= 6
    for p in m.parameters():
        assert p.dtype == np.float64 and np.all(np.isfinite(p.numpy()))
    assert m.W.size == 1 or np.std(m.W.numpy()) > 0


@given(S.autoregressive_models(max_visible=4).flatmap(lambda m: S.binary_batches(m.n_visible)))
def test_binary_batches_are_binary(X):
    assert X.dtype == np.float64 and 1 <= X.shape[0] <= 8 and 1 <= X.shape[1] <= 4
    assert set(np.unique(X)) <= {0.0, 1.0}


@given(S.pixelcnn_configs())
def test_pixelcnn_configs_are_in_range(cfg):
    assert 2 <= cfg["side"] <= 6 and cfg["first_kernel"] in (3, 5, 7)
    assert cfg["kernel"] in (1, 3, 5) and 0 <= cfg["n_blocks"] <= 3
    assert 2 <= cfg["channels"] <= 6


def test_every_regime_is_reached():
    """Both model kinds, the largest D, a single variable, the largest scale all occur."""
    find(S.autoregressive_models(), lambda m: isinstance(m, NADE))
    find(S.autoregressive_models(), lambda m: isinstance(m, FVSBN))
    find(S.fvsbn_models(), lambda m: m.n_visible == S.MAX_VISIBLE)
    find(S.nade_models(), lambda m: m.n_visible == 1)
    find(S.nade_models(), lambda m: np.abs(m.V.numpy()).max() > 2 * max(S.SCALES))
    find(S.pixelcnn_configs(), lambda c: c["n_blocks"] == 3 and c["first_kernel"] == 7)
