"""Layers: gradients against finite differences, forward values against NumPy references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygen import Tensor, nn, no_grad
from tinygen import rng as trng
from tinygen.autograd import ops
from tinygen.testing import check_grads


def with_params(module, names, tensors, *args, **kwargs):
    """Call ``module`` with its parameters ``names`` temporarily replaced by ``tensors`` (so
    that check_grads can differentiate with respect to them)."""
    saved = {n: module.__dict__[n] for n in names}
    try:
        for n, t in zip(names, tensors):
            module.__dict__[n] = t
        return module(*args, **kwargs)
    finally:
        module.__dict__.update(saved)


def _rand(rng, *shape):
    return rng.standard_normal(shape)


# ------------------------------------------------------------------------ Linear
@given(
    n=st.integers(1, 5),
    d_in=st.integers(1, 6),
    d_out=st.integers(1, 6),
    bias=st.booleans(),
    lead=st.sampled_from([(), (2,)]),
)
def test_linear_grad_and_value(n, d_in, d_out, bias, lead):
    rng = np.random.default_rng(n * 100 + d_in * 10 + d_out)
    lin = nn.Linear(d_in, d_out, bias=bias, random_state=0)
    x = _rand(rng, *lead, n, d_in)
    W = _rand(rng, d_out, d_in)
    b = _rand(rng, d_out)
    names = ["weight", "bias"] if bias else ["weight"]
    inputs = (x, W, b) if bias else (x, W)
    check_grads(lambda x, *ps: with_params(lin, names, ps, x), *inputs, name="Linear")
    out = with_params(lin, names, [Tensor(a) for a in inputs[1:]], Tensor(x))
    np.testing.assert_allclose(out.data, x @ W.T + (b if bias else 0.0), rtol=1e-12)


def test_linear_float32_and_shape_error():
    lin = nn.Linear(3, 2, random_state=0)
    y = lin(np.ones((4, 3), np.float32))
    assert y.dtype == np.float32
    with pytest.raises(ValueError, match=r"Linear\(3, 2\).*\(4, 5\).*expected 3"):
        lin(np.ones((4, 5), np.float32))


# --------------------------------------------------------------------- BatchNorm
def batchnorm_composite(x, w, b, axes, eps):
    """Batch norm written out independently (divided by the square root), the reference."""
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    var = (xc * xc).mean(axis=axes, keepdims=True)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return xc / (var + eps).sqrt() * w.reshape(shape) + b.reshape(shape)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 4, 5)])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_train_grads_and_composite(shape, affine):
    rng = np.random.default_rng(0)
    C = shape[1]
    bn = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(C, affine=affine)
    x = _rand(rng, *shape) * 2.0 + 0.5
    w, b = _rand(rng, C), _rand(rng, C)
    if affine:
        check_grads(lambda x, w, b: with_params(bn, ["weight", "bias"], [w, b], x), x, w, b)
    else:
        check_grads(bn, x)
    axes = (0,) + tuple(range(2, len(shape)))
    ref = batchnorm_composite(
        Tensor(x),
        Tensor(w if affine else np.ones(C)),
        Tensor(b if affine else np.zeros(C)),
        axes,
        1e-5,
    )
    ps = [Tensor(w), Tensor(b)] if affine else []
    out = with_params(bn, ["weight", "bias"] if affine else [], ps, Tensor(x))
    np.testing.assert_allclose(out.data, ref.data, rtol=1e-10, atol=1e-12)
    # per-channel output statistics: mean b, std |w| (biased, up to eps)
    y = out.data
    np.testing.assert_allclose(y.mean(axis=axes), b if affine else 0.0, atol=1e-10)


def test_batchnorm_running_stats_and_eval():
    rng = np.random.default_rng(1)
    bn = nn.BatchNorm2d(3, momentum=0.1)
    rm, rv = np.zeros(3), np.ones(3)
    batches = [(_rand(rng, 8, 3, 4, 4) * 3 + 2).astype(np.float32) for _ in range(5)]
    for xb in batches:
        bn(xb)
        n = 8 * 4 * 4
        mean = xb.mean(axis=(0, 2, 3))
        var = xb.var(axis=(0, 2, 3)) * n / (n - 1)  # unbiased for the running estimate
        rm = 0.9 * rm + 0.1 * mean
        rv = 0.9 * rv + 0.1 * var
    np.testing.assert_allclose(bn.running_mean, rm, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var, rv, rtol=1e-5)
    assert int(bn.num_batches_tracked) == 5
    assert bn.running_mean.dtype == np.float32
    # eval mode uses the running statistics and does not change them
    bn.weight.data[...] = [1.0, 2.0, 0.5]
    bn.bias.data[...] = [0.0, -1.0, 3.0]
    bn.eval()
    x = batches[0]
    y = bn(x).data
    shape = (1, 3, 1, 1)
    expected = (x - rm.reshape(shape)) / np.sqrt(rv.reshape(shape) + 1e-5) * bn.weight.data.reshape(
        shape
    ) + bn.bias.data.reshape(shape)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.running_mean, rm, rtol=1e-5)
    assert y.dtype == np.float32


def test_batchnorm_eval_grads_and_cumulative_momentum():
    rng = np.random.default_rng(2)
    bn = nn.BatchNorm1d(4, momentum=None)
    xs = [_rand(rng, 10, 4) for _ in range(3)]
    for xb in xs:
        bn(xb.astype(np.float32))
    # momentum=None: the running mean is the plain average of the batch means
    np.testing.assert_allclose(bn.running_mean, np.mean([x.mean(0) for x in xs], 0), rtol=1e-5)
    bn.eval()
    w, b = _rand(rng, 4), _rand(rng, 4)
    check_grads(
        lambda x, w, b: with_params(bn, ["weight", "bias"], [w, b], x), _rand(rng, 5, 4), w, b
    )


def test_batchnorm_shape_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\).*\(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(np.zeros((2, 4, 5, 5), np.float32))
    with pytest.raises(ValueError, match="more than 1 value"):
        nn.BatchNorm1d(3)(np.zeros((1, 3), np.float32))


# -------------------------------------------------------------------- Dropout
def test_dropout_mask_matches_explicit_mask_and_grads():
    p = 0.3
    rng = np.random.default_rng(0)
    x = _rand(rng, 6, 7)
    out = nn.Dropout(p, random_state=5)(Tensor(x)).data
    u = trng.uniform(trng.as_generator(5), x.shape, dtype=np.float64)
    mask = (u >= p) / (1 - p)
    np.testing.assert_array_equal(out, x * mask)
    assert 0 < (out == 0).sum() < x.size
    check_grads(lambda x: nn.Dropout(p, random_state=5)(x), x)


def test_dropout_eval_identity_and_statistics():
    d = nn.Dropout(0.5, random_state=0)
    x = Tensor(np.ones((200, 200), np.float32))
    y = d(x)
    assert y.dtype == np.float32
    assert abs(float(y.data.mean()) - 1.0) < 0.02  # E[y] = x (inverted dropout)
    assert not np.array_equal(d(x).data, y.data)  # fresh mask each call
    d.eval()
    assert d(x) is x
    assert np.all(nn.Dropout(1.0, random_state=0)(x).data == 0)
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout(1.5)


# ------------------------------------------------------------------ Embedding
def test_embedding_grad_value_and_errors():
    emb = nn.Embedding(6, 3, random_state=0)
    idx = np.array([[0, 2, 2], [5, 0, 1]])
    W = np.random.default_rng(0).standard_normal((6, 3))
    out = with_params(emb, ["weight"], [Tensor(W)], idx)
    np.testing.assert_array_equal(out.data, W[idx])
    assert out.shape == (2, 3, 3)
    check_grads(lambda W: with_params(emb, ["weight"], [W], idx), W)
    # repeated indices accumulate
    w = Tensor(W, requires_grad=True)
    with_params(emb, ["weight"], [w], idx).sum().backward()
    np.testing.assert_array_equal(w.grad[:, 0], [2, 1, 2, 0, 0, 1])
    with pytest.raises(IndexError, match=r"\[0, 5\]"):
        emb(np.array([6]))
    with pytest.raises(TypeError, match="integers"):
        emb(np.array([0.5]))
    assert abs(nn.Embedding(1000, 50, random_state=0).weight.data.std() - 1.0) < 0.02


# ------------------------------------------------------------------- LSTMCell
def lstm_reference(x, h, c, Wih, Whh, bih, bhh):
    """The gate equations written directly in NumPy."""
    H = h.shape[1]
    a = x @ Wih.T + bih + h @ Whh.T + bhh
    sig = lambda z: 1 / (1 + np.exp(-z))
    i, f, g, o = (
        sig(a[:, :H]),
        sig(a[:, H : 2 * H]),
        np.tanh(a[:, 2 * H : 3 * H]),
        sig(a[:, 3 * H :]),
    )
    c2 = f * c + i * g
    return o * np.tanh(c2), c2


def test_lstm_cell_value_and_grads():
    rng = np.random.default_rng(0)
    cell = nn.LSTMCell(3, 4, random_state=0)
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert [n for n, _ in cell.named_parameters()] == names
    x, h, c = _rand(rng, 2, 3), _rand(rng, 2, 4), _rand(rng, 2, 4)
    ps = [_rand(rng, 16, 3), _rand(rng, 16, 4), _rand(rng, 16), _rand(rng, 16)]
    h2, c2 = with_params(cell, names, [Tensor(p) for p in ps], Tensor(x), (Tensor(h), Tensor(c)))
    rh, rc = lstm_reference(x, h, c, *ps)
    np.testing.assert_allclose(h2.data, rh, rtol=1e-10)
    np.testing.assert_allclose(c2.data, rc, rtol=1e-10)

    def f(x, h, c, *ps):
        h2, c2 = with_params(cell, names, ps, x, (h, c))
        return h2 * 2.0 + c2

    check_grads(f, x, h, c, *ps)
    # zero initial state by default, float32 by default
    h0, c0 = cell(np.ones((5, 3), np.float32))
    assert h0.shape == (5, 4) and h0.dtype == np.float32
    with pytest.raises(ValueError, match=r"\(batch, 3\)"):
        cell(np.ones((5, 2), np.float32))


# ----------------------------------------------------------------- activations
@pytest.mark.parametrize(
    "module, ref",
    [
        (nn.ReLU(), lambda x: np.maximum(x, 0)),
        (nn.Tanh(), np.tanh),
        (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
        (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
        (nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1))),
        (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
        (nn.Identity(), lambda x: x),
    ],
)
def test_activation_modules(module, ref):
    x = np.random.default_rng(0).standard_normal((4, 5)) * 3
    np.testing.assert_allclose(module(Tensor(x)).data, ref(x), rtol=1e-10, atol=1e-12)
    check_grads(module, x + 0.01 * np.sign(x))  # keep away from the kinks at 0
    assert module(Tensor(x.astype(np.float32))).dtype == np.float32


def test_flatten():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0)(x).shape == (24,)
    check_grads(nn.Flatten(), np.random.default_rng(0).standard_normal((2, 3, 2)))


# ------------------------------------------------------------------ convolution
def conv2d_reference(x, W, b, stride, padding):
    """Direct (looped) cross-correlation, for small test sizes only."""
    xp_ = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, _, H, Wd = xp_.shape
    O, _, kh, kw = W.shape
    Ho, Wo = (H - kh) // stride + 1, (Wd - kw) // stride + 1
    out = np.zeros((n, O, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp_[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, W)
    return out + b.reshape(1, -1, 1, 1)


@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 1), (2, 1)])
def test_conv2d_module(stride, padding):
    pytest.importorskip("tinygen.functional.conv")
    rng = np.random.default_rng(0)
    conv = nn.Conv2d(2, 3, 3, stride=stride, padding=padding, random_state=0)
    x, W, b = _rand(rng, 2, 2, 5, 5), _rand(rng, 3, 2, 3, 3), _rand(rng, 3)
    out = with_params(conv, ["weight", "bias"], [Tensor(W), Tensor(b)], Tensor(x))
    np.testing.assert_allclose(out.data, conv2d_reference(x, W, b, stride, padding), rtol=1e-10)
    check_grads(lambda x, W, b: with_params(conv, ["weight", "bias"], [W, b], x), x, W, b)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    pytest.importorskip("tinygen.functional.conv")
    rng = np.random.default_rng(1)
    conv = nn.Conv2d(2, 3, 4, stride=2, padding=1, bias=False, random_state=0)
    convt = nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1, bias=False, random_state=0)
    convt.weight.data[...] = conv.weight.data  # same (3, 2, 4, 4) kernel
    x = rng.standard_normal((2, 2, 8, 8)).astype(np.float32)
    y = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    with no_grad():
        lhs = float((convt(Tensor(y)).data * x).sum())
        rhs = float((conv(Tensor(x)).data * y).sum())
    assert convt(Tensor(y)).shape == (2, 2, 8, 8)
    assert lhs == pytest.approx(rhs, rel=1e-4)
    ct = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1, random_state=0)
    assert ct(Tensor(y)).shape == (2, 2, 8, 8)


def test_leaky_relu_matches_primitive_op():
    x = Tensor(np.linspace(-2, 2, 9))
    np.testing.assert_array_equal(
        nn.LeakyReLU(0.1)(x).data, ops.LeakyReLU.apply(x, negative_slope=0.1).data
    )


def test_pool_and_upsample_modules_match_functional():
    import tinygen.functional as F
    from tinygen import Tensor, nn

    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32))
    np.testing.assert_array_equal(nn.MaxPool2d(2)(x).numpy(), F.max_pool2d(x, 2).numpy())
    np.testing.assert_array_equal(nn.AvgPool2d(3, 1)(x).numpy(), F.avg_pool2d(x, 3, 1).numpy())
    up = nn.Upsample(2)(x)
    assert up.shape == (2, 3, 12, 12)
    np.testing.assert_array_equal(up.numpy()[:, :, ::2, ::2], x.numpy())
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 3, 3) and not list(nn.MaxPool2d(2).parameters())


def test_batchnorm_gradient_is_ioffe_and_szegedys_closed_form():
    """Backpropagation through the composite (μ_B and σ²_B in the graph) gives the paper's
    ∂L/∂x = (n ĝ − Σ ĝ − x̂ Σ ĝ x̂) / (n √(σ²_B + ε)), ĝ = γ ∂L/∂y; a planted error (the
    batch statistics detached, as constants) would drop the last two terms."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((7, 3)) * 2 + 1
    G = rng.standard_normal((7, 3))
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    bn.weight.data[...] = [0.5, -1.5, 2.0]
    xt = Tensor(x, requires_grad=True)
    (bn(xt) * Tensor(G)).sum().backward()
    n, eps = 7, bn.eps
    mu, var = x.mean(0), x.var(0)
    xhat = (x - mu) / np.sqrt(var + eps)
    gh = G * bn.weight.data
    expected = (n * gh - gh.sum(0) - xhat * (gh * xhat).sum(0)) / (n * np.sqrt(var + eps))
    np.testing.assert_allclose(xt.grad, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.weight.grad, (G * xhat).sum(0), rtol=1e-10)
    np.testing.assert_allclose(bn.bias.grad, G.sum(0), rtol=1e-10)
