"""Convolution, transposed convolution, pooling and upsampling: values against plain-loop
references, gradients against finite differences, adjointness, errors and dtypes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies.conv import conv_cases, conv_transpose_cases, pool_cases
from tinygen import Tensor
from tinygen.autograd import OpError
from tinygen.autograd.ops import conv_kernels
from tinygen.functional.conv import (
    avg_pool2d,
    conv2d,
    conv_transpose2d,
    max_pool2d,
    upsample_nearest,
)
from tinygen.testing import check_grads

# ----------------------------------------------------------------------------- references


def ref_conv2d(x, w, b, stride, padding):
    """y[n, o, r, s] = b[o] + Σ_{c,i,j} w[o, c, i, j] x_pad[n, c, sh·r + i, sw·s + j]."""
    (sh, sw), (ph, pw) = stride, padding
    N, C, H, W = x.shape
    O, _, kh, kw = w.shape
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    xp[:, :, ph : ph + H, pw : pw + W] = x
    Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    y = np.zeros((N, O, Ho, Wo))
    for n in range(N):
        for o in range(O):
            for r in range(Ho):
                for s in range(Wo):
                    patch = xp[n, :, sh * r : sh * r + kh, sw * s : sw * s + kw]
                    y[n, o, r, s] = np.sum(patch * w[o]) + (0.0 if b is None else b[o])
    return y


def ref_conv_transpose2d(y, w, b, stride, padding, output_padding):
    """Scatter: each y[n, c, r, s] adds y·w[c] onto the output window at (sh·r − ph, sw·s − pw)."""
    (sh, sw), (ph, pw), (oph, opw) = stride, padding, output_padding
    N, Ci, Hy, Wy = y.shape
    _, Co, kh, kw = w.shape
    H, W = (Hy - 1) * sh - 2 * ph + kh + oph, (Wy - 1) * sw - 2 * pw + kw + opw
    big = np.zeros((N, Co, H + 2 * ph + kh, W + 2 * pw + kw))
    for n in range(N):
        for c in range(Ci):
            for r in range(Hy):
                for s in range(Wy):
                    big[n, :, sh * r : sh * r + kh, sw * s : sw * s + kw] += y[n, c, r, s] * w[c]
    out = big[:, :, ph : ph + H, pw : pw + W]
    return out + (0.0 if b is None else b[None, :, None, None])


def ref_pool(x, kernel, stride, reduce):
    (kh, kw), (sh, sw) = kernel, stride
    N, C, H, W = x.shape
    Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
    y = np.zeros((N, C, Ho, Wo))
    for r in range(Ho):
        for s in range(Wo):
            y[:, :, r, s] = reduce(x[:, :, sh * r : sh * r + kh, sw * s : sw * s + kw], axis=(2, 3))
    return y


def ref_upsample(x, sh, sw):
    N, C, H, W = x.shape
    y = np.zeros((N, C, H * sh, W * sw))
    for h in range(H * sh):
        for w in range(W * sw):
            y[:, :, h, w] = x[:, :, h // sh, w // sw]
    return y


# ----------------------------------------------------------------------------- conv2d


def _conv(stride, padding, with_bias):
    def f(x, w, *b):
        return conv2d(x, w, b[0] if with_bias else None, stride=stride, padding=padding)

    return f


@given(conv_cases())
def test_conv2d_matches_loop_reference(case):
    x, w, b, stride, padding = case
    y = conv2d(x, w, b, stride=stride, padding=padding)
    np.testing.assert_allclose(y.numpy(), ref_conv2d(x, w, b, stride, padding), atol=1e-12)


@given(conv_cases())
def test_conv2d_gradients(case):
    x, w, b, stride, padding = case
    inputs = (x, w) if b is None else (x, w, b)
    check_grads(_conv(stride, padding, b is not None), *inputs, name="conv2d")


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("chunk_bytes", [1, 1 << 12, 1 << 30])
def test_conv2d_wide_channels_every_chunking(stride, padding, chunk_bytes, monkeypatch):
    """16 channels and a 3×3 kernel over a batch of 5: chunks of one image, of a few
    images (the last one shorter) and one chunk for the batch must all give the same
    values and gradients."""
    monkeypatch.setattr(conv_kernels, "_CHUNK_BYTES", chunk_bytes)
    rng = np.random.default_rng(stride * 10 + padding)
    x = rng.standard_normal((5, 16, 6, 5))
    w = rng.standard_normal((12, 16, 3, 3))
    b = rng.standard_normal(12)
    s, p = (stride, stride), (padding, padding)
    y = conv2d(x, w, b, stride=stride, padding=padding)
    np.testing.assert_allclose(y.numpy(), ref_conv2d(x, w, b, s, p), rtol=1e-10, atol=1e-10)
    check_grads(_conv(s, p, True), x, w, b, name="conv2d (16 channels)")


@given(conv_cases())
def test_im2col_is_the_lessons_column_matrix_and_col2im_its_adjoint(case):
    """im2col equals the column matrix of lessons/autograd.py §7 (sliding_window_view, NCHW)
    up to the order of its columns, and ⟨im2col(x), D⟩ = ⟨x, col2im(D)⟩ for every D."""
    x, w, _, stride, padding = case
    N, C, H, W = x.shape
    g = conv_kernels.Geometry(H, W, w.shape[2:], stride, padding)
    x_pad = conv_kernels.pad_nhwc(x.transpose(0, 2, 3, 1), *padding)
    cols = conv_kernels.im2col(x_pad, g)
    assert cols.shape == (N * g.Ho * g.Wo, g.kh * g.kw * C)
    xpad_nchw = x_pad.transpose(0, 3, 1, 2)
    win = np.lib.stride_tricks.sliding_window_view(xpad_nchw, (g.kh, g.kw), axis=(2, 3))
    win = win[:, :, :: g.sh, :: g.sw][:, :, : g.Ho, : g.Wo]  # (N, C, Ho, Wo, kh, kw)
    lesson = win.transpose(0, 2, 3, 4, 5, 1).reshape(cols.shape)  # columns (i, j, c)
    np.testing.assert_array_equal(cols, lesson)
    D = np.random.default_rng(4).standard_normal(cols.shape)
    back = conv_kernels.col2im(D, g, np.zeros_like(x_pad))
    lhs, rhs = np.sum(cols * D), np.sum(x_pad * back)
    assert abs(lhs - rhs) <= 1e-10 * (1 + abs(lhs))


def test_conv2d_pointwise_and_stride_without_padding():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 4, 3))
    w = rng.standard_normal((3, 5, 1, 1))
    y = conv2d(x, w)  # 1×1: y[n, o] = Σ_c w[o, c] x[n, c]
    np.testing.assert_allclose(y.numpy(), np.einsum("oc,nchw->nohw", w[:, :, 0, 0], x))
    check_grads(_conv((1, 1), (0, 0), False), x, w)
    check_grads(_conv((2, 1), (0, 0), False), x, w)


def test_conv2d_result_feeds_other_ops():
    """The channels-last memory order of the output is invisible: reshape, index, reduce."""
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((2, 3, 5, 5)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    y = conv2d(conv2d(x, w, padding=1).relu(), w.transpose((1, 0, 2, 3)), padding=1)
    ref1 = np.maximum(ref_conv2d(x.numpy(), w.numpy(), None, (1, 1), (1, 1)), 0)
    ref = ref_conv2d(ref1, w.numpy().transpose(1, 0, 2, 3), None, (1, 1), (1, 1))
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(y.reshape((2, -1)).numpy(), ref.reshape(2, -1), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(y[:, 1].numpy(), ref[:, 1], rtol=1e-4, atol=1e-4)
    y.sum().backward()
    assert x.grad.shape == x.shape and w.grad.shape == w.shape


# ----------------------------------------------------------------------------- transposed


@given(conv_transpose_cases())
def test_conv_transpose2d_matches_loop_reference(case):
    y, w, b, stride, padding, output_padding = case
    z = conv_transpose2d(y, w, b, stride=stride, padding=padding, output_padding=output_padding)
    ref = ref_conv_transpose2d(y, w, b, stride, padding, output_padding)
    np.testing.assert_allclose(z.numpy(), ref, atol=1e-12)


@given(conv_cases())
def test_conv_transpose2d_is_the_adjoint_of_conv2d(case):
    """⟨conv2d(x, w), y⟩ = ⟨x, conv_transpose2d(y, w)⟩ for the same stride and padding."""
    x, w, _, stride, padding = case
    y0 = conv2d(x, w, stride=stride, padding=padding).numpy()
    y = np.random.default_rng(3).standard_normal(y0.shape)
    # output_padding recovers x's size where several sizes map to the same conv output
    opad = tuple(
        (n + 2 * p - k) % s for n, p, k, s in zip(x.shape[2:], padding, w.shape[2:], stride)
    )
    xt = conv_transpose2d(y, w, stride=stride, padding=padding, output_padding=opad).numpy()
    assert xt.shape == x.shape
    lhs, rhs = np.sum(y0 * y), np.sum(x * xt)
    assert abs(lhs - rhs) <= 1e-10 * (1 + abs(lhs))


@given(conv_transpose_cases())
def test_conv_transpose2d_gradients(case):
    y, w, b, stride, padding, opad = case

    def f(y, w, *b):
        bias = b[0] if b else None
        return conv_transpose2d(y, w, bias, stride=stride, padding=padding, output_padding=opad)

    check_grads(f, *((y, w) if b is None else (y, w, b)), name="conv_transpose2d")


# ----------------------------------------------------------------------------- pooling


@given(pool_cases())
def test_max_pool2d_values_and_gradients(case):
    x, kernel, stride = case
    y = max_pool2d(x, kernel, stride)
    np.testing.assert_allclose(y.numpy(), ref_pool(x, kernel, stride, np.max))
    check_grads(lambda x: max_pool2d(x, kernel, stride), x, name="max_pool2d")


def test_max_pool2d_gradient_goes_to_the_argmax_and_adds_over_overlaps():
    x = np.array([[[[0.0, 1.0, 0.0], [0.0, 5.0, 0.0], [2.0, 0.0, 3.0]]]])
    t = Tensor(x, requires_grad=True)
    max_pool2d(t, 2, stride=1).sum().backward()  # all four 2×2 windows hold the 5
    np.testing.assert_array_equal(t.grad, np.where(x == 5.0, 4.0, 0.0))


@given(pool_cases())
def test_avg_pool2d_values_and_gradients(case):
    x, kernel, stride = case
    y = avg_pool2d(x, kernel, stride)
    np.testing.assert_allclose(y.numpy(), ref_pool(x, kernel, stride, np.mean), rtol=1e-12)
    check_grads(lambda x: avg_pool2d(x, kernel, stride), x, name="avg_pool2d")


def test_pools_default_stride_is_the_kernel():
    x = np.arange(2 * 3 * 4 * 6, dtype=np.float64).reshape(2, 3, 4, 6)
    assert max_pool2d(x, 2).shape == (2, 3, 2, 3)
    np.testing.assert_allclose(avg_pool2d(x, (2, 3)).numpy(), ref_pool(x, (2, 3), (2, 3), np.mean))


@given(
    st.integers(1, 2),
    st.integers(1, 3),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 3),
)
def test_upsample_nearest_values_and_gradients(N, C, H, W, sh, sw):
    x = np.random.default_rng(N * 100 + H * 10 + W).standard_normal((N, C, H, W))
    y = upsample_nearest(x, (sh, sw))
    np.testing.assert_array_equal(y.numpy(), ref_upsample(x, sh, sw))
    check_grads(lambda x: upsample_nearest(x, (sh, sw)), x, name="upsample_nearest")
    if sh == sw:
        np.testing.assert_array_equal(upsample_nearest(x, sh).numpy(), y.numpy())


# ----------------------------------------------------------------------------- errors, dtypes


@pytest.mark.parametrize(
    "call, words",
    [
        (
            lambda: conv2d(np.zeros((1, 3, 5, 5)), np.zeros((4, 2, 3, 3))),
            ["conv2d", "(1, 3, 5, 5)"],
        ),
        (lambda: conv2d(np.zeros((3, 5, 5)), np.zeros((4, 3, 3, 3))), ["conv2d", "(3, 5, 5)"]),
        (lambda: conv2d(np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3))), ["conv2d", "(4, 3, 3)"]),
        (
            lambda: conv2d(np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(3)),
            ["conv2d", "bias", "(3,)"],
        ),
        (
            lambda: conv2d(np.zeros((1, 3, 2, 2)), np.zeros((4, 3, 3, 3))),
            ["Conv2d", "(1, 3, 2, 2)"],
        ),
        (lambda: conv2d(np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3)), stride=0), ["stride"]),
        (
            lambda: conv_transpose2d(np.zeros((1, 3, 5, 5)), np.zeros((4, 2, 3, 3))),
            ["conv_transpose2d", "(1, 3, 5, 5)", "(4, 2, 3, 3)"],
        ),
        (
            lambda: conv_transpose2d(
                np.zeros((1, 4, 5, 5)), np.zeros((4, 2, 3, 3)), stride=2, output_padding=2
            ),
            ["output_padding"],
        ),
        (lambda: max_pool2d(np.zeros((1, 1, 2, 2)), 3), ["max_pool2d", "(1, 1, 2, 2)"]),
        (lambda: avg_pool2d(np.zeros((2, 2)), 2), ["avg_pool2d", "(2, 2)"]),
        (lambda: upsample_nearest(np.zeros((1, 2, 2)), 2), ["upsample_nearest", "(1, 2, 2)"]),
    ],
)
def test_bad_shapes_raise_op_error_naming_op_and_shapes(call, words):
    with pytest.raises(OpError) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_mixed_dtypes_are_refused_not_promoted():
    x = Tensor(np.zeros((1, 2, 4, 4), np.float32))
    w = Tensor(np.zeros((3, 2, 3, 3), np.float64))
    with pytest.raises(OpError, match="dtype"):
        conv2d(x, w)


@pytest.mark.parametrize(
    "f",
    [
        lambda x, w, wt: conv2d(x, w, padding=1),
        lambda x, w, wt: conv2d(x, w, stride=2),
        lambda x, w, wt: conv_transpose2d(x, wt, stride=2, padding=1, output_padding=1),
        lambda x, w, wt: max_pool2d(x, 2),
        lambda x, w, wt: avg_pool2d(x, 3, 1),
        lambda x, w, wt: upsample_nearest(x, 2),
    ],
)
def test_float32_stays_float32(f):
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 16, 6, 6)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((8, 16, 3, 3)).astype(np.float32), requires_grad=True)
    wt = Tensor(rng.standard_normal((16, 8, 3, 3)).astype(np.float32), requires_grad=True)
    y = f(x, w, wt)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    for p in (w, wt):
        assert p.grad is None or p.grad.dtype == np.float32


def test_array_arguments_take_the_tensor_dtype():
    """A float64 NumPy weight next to a float32 Tensor input is cast, not promoted."""
    x = Tensor(np.ones((1, 2, 4, 4), np.float32))
    y = conv2d(x, np.ones((3, 2, 3, 3)), np.zeros(3))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), 18.0)


@pytest.mark.parametrize("kernel, padding", [((3, 3), (1, 1)), ((3, 2), (2, 0)), ((5, 5), (0, 2))])
@pytest.mark.parametrize("taps", [None, (0, 5), (2, 5)])
def test_stride1_input_gradient_as_a_convolution_equals_col2im(kernel, padding, taps,
                                                               monkeypatch):
    """∂L/∂X = G ⋆ w̃ (the mirrored kernel) for stride 1, as col2im(G · Wmᵀ) computes it;
    on a range of taps the mirrored kernel reads the mirrored range."""
    from tinygen.autograd.ops import conv_kernels as ck

    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 7, 6, 4))
    w = rng.standard_normal((5, 4) + kernel)
    g = ck.Geometry(7, 6, kernel, (1, 1), padding, taps)
    G = rng.standard_normal((3, g.Ho, g.Wo, 5))
    by_conv = ck.conv_backward(x, G, w, g)[0]
    monkeypatch.setattr(ck, "_STRIDE1_BY_CONV", False)
    by_col2im = ck.conv_backward(x, G, w, g)[0]
    assert by_conv.shape == by_col2im.shape == x.shape
    np.testing.assert_allclose(by_conv, by_col2im, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------- a range of taps (masked convs)


@given(conv_cases(), st.data(), st.booleans())
def test_conv2d_on_a_range_of_taps_is_the_conv_of_the_kernel_zeroed_elsewhere(case, data, by_conv):
    """Conv2d with taps = (t0, t1) equals the full convolution of w with every offset
    t = i·k_w + j outside t0 ≤ t < t1 set to zero, in value and in every gradient (so
    ∂L/∂w is zero off the taps), through both input-gradient paths (the mirrored-kernel
    convolution, which reads the mirrored taps, and col2im). A range cut off by one tap
    at either end, or mirrored the wrong way, fails."""
    from tinygen.autograd.ops.conv import Conv2d

    x, w, b, stride, padding = case
    T = w.shape[2] * w.shape[3]
    t0 = data.draw(st.integers(0, T), label="t0")
    t1 = data.draw(st.integers(t0, T), label="t1")
    kept = ((np.arange(T) >= t0) & (np.arange(T) < t1)).reshape(w.shape[2:])

    def f(x, w, *b):
        args = (x, w) + tuple(b)
        return Conv2d.apply(*args, stride=stride, padding=padding, taps=(t0, t1))

    inputs = (x, w) if b is None else (x, w, b)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(conv_kernels, "_STRIDE1_BY_CONV", by_conv)
        y = f(*[Tensor(a) for a in inputs])
        np.testing.assert_allclose(y.numpy(), ref_conv2d(x, w * kept, b, stride, padding),
                                   atol=1e-12)
        check_grads(f, *inputs, name="conv2d on a range of taps")


def test_geometry_refuses_a_range_of_taps_outside_the_kernel():
    with pytest.raises(ValueError, match="within the 9 offsets of a 3×3 kernel"):
        conv_kernels.Geometry(5, 5, (3, 3), (1, 1), (1, 1), taps=(2, 10))
    with pytest.raises(ValueError, match="t0 ≤ t1"):
        conv_kernels.Geometry(5, 5, (3, 3), (1, 1), (1, 1), taps=(4, 3))
