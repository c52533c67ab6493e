"""MaskedConv2d: the masks drawn out, the layer equals a Conv2d with the masked kernel, the
masked weights stay zero under training, and the output never sees the future."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygen import Tensor, nn
from tinygen import functional as F
from tinygen.nn.masked_conv import raster_mask
from tinygen.optim import Adam
from tinygen.testing import check_grads


def test_masks_drawn_out():
    A = np.array([[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(raster_mask(3, "A"), A)
    B = A.copy()
    B[1, 1] = 1
    np.testing.assert_array_equal(raster_mask(3, "B"), B)
    np.testing.assert_array_equal(raster_mask(1, "A"), [[0]])
    np.testing.assert_array_equal(raster_mask((1, 3), "B"), [[1, 1, 0]])
    assert raster_mask(7, "A").sum() == 24 and raster_mask(7, "B").sum() == 25
    with pytest.raises(ValueError, match="odd"):
        raster_mask(4)
    with pytest.raises(ValueError, match="'A' or 'B'"):
        raster_mask(3, "C")


@given(
    k=st.sampled_from([1, 3, 5]),
    mask=st.sampled_from("AB"),
    c_in=st.integers(1, 3),
    c_out=st.integers(1, 3),
    side=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_value_and_grads_equal_a_conv_with_the_masked_kernel(k, mask, c_in, c_out, side, seed):
    rng = np.random.default_rng(seed)
    layer = nn.MaskedConv2d(c_in, c_out, k, mask=mask, random_state=seed).double()
    x = rng.standard_normal((2, c_in, side, side))
    W = layer.weight.numpy()
    assert np.all(W * (1 - raster_mask(k, mask)) == 0)
    ref = F.conv2d(Tensor(x), Tensor(W), layer.bias, padding=k // 2).numpy()
    out = layer(Tensor(x))
    assert out.shape == (2, c_out, side, side)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-12)
    check_grads(lambda t: layer(t), x)


def test_masked_weights_stay_zero_under_adam():
    layer = nn.MaskedConv2d(2, 3, 5, mask="A", random_state=0)
    opt = Adam(layer.parameters(), lr=0.1)
    x = Tensor(np.random.default_rng(0).standard_normal((4, 2, 6, 6)).astype(np.float32))
    for _ in range(3):
        loss = (layer(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    hidden = 1 - raster_mask(5, "A")
    assert np.all(layer.weight.numpy() * hidden == 0)
    assert "mask='A'" in repr(layer)


@given(k=st.sampled_from([3, 5, 7]), mask=st.sampled_from("AB"), seed=st.integers(0, 2**16))
def test_output_depends_only_on_the_past(k, mask, seed):
    """Output (r, c) moves with input (r', c') exactly when (r', c') is before (r, c) in
    raster order and within the kernel (or is (r, c) itself, for mask B)."""
    side = 5
    layer = nn.MaskedConv2d(1, 1, k, mask=mask, bias=False, random_state=seed).double()
    eye = np.eye(side * side).reshape(-1, 1, side, side)  # impulse responses
    resp = layer(Tensor(eye)).numpy().reshape(side * side, side * side)  # [input j, output i]
    for i in range(side * side):
        r, c = divmod(i, side)
        for j in range(side * side):
            rr, cc = divmod(j, side)
            inside = abs(rr - r) <= k // 2 and abs(cc - c) <= k // 2
            visible = inside and (j < i or (mask == "B" and j == i))
            assert (resp[j, i] != 0) == visible, (i, j)


@given(
    kh=st.sampled_from([1, 3, 5, 7]),
    kw=st.sampled_from([1, 3, 5]),
    mask=st.sampled_from("AB"),
    c_in=st.integers(1, 3),
    c_out=st.integers(1, 3),
    side=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_masked_conv2d_equals_its_composite_reference_for_any_weight(
    kh, kw, mask, c_in, c_out, side, seed
):
    """F.masked_conv2d reads only the first T raster taps; its composite reference is
    F.conv2d(x, w ⊙ M): equal values, ∂L/∂x, ∂L/∂b and ∂L/∂w (the latter zero off the
    mask) for a weight that is *not* zero under the mask."""
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal((2, c_in, side, side + 1))
    w0 = rng.standard_normal((c_out, c_in, kh, kw))
    b0 = rng.standard_normal(c_out)
    G = rng.standard_normal((2, c_out, side, side + 1))
    M = raster_mask((kh, kw), mask)
    assert M.sum() == F.raster_taps((kh, kw), mask)
    grads = []
    for composite in (False, True):
        x, w, b = (Tensor(a, requires_grad=True) for a in (x0, w0, b0))
        if composite:
            y = F.conv2d(x, w * Tensor(M), b, padding=(kh // 2, kw // 2))
        else:
            y = F.masked_conv2d(x, w, b, mask=mask)
        (y * Tensor(G)).sum().backward()
        grads.append((y.numpy(), x.grad, w.grad, b.grad))
    for ours, ref in zip(*grads):
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)
    assert np.all(grads[0][2] * (1 - M) == 0)


def test_masked_conv2d_names_the_fix_for_an_even_kernel_or_an_unknown_mask():
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises(ValueError, match="odd kernel sides"):
        F.masked_conv2d(x, np.zeros((1, 1, 2, 3)))
    with pytest.raises(ValueError, match="'A' or 'B'"):
        F.masked_conv2d(x, np.zeros((1, 1, 3, 3)), mask="b")
