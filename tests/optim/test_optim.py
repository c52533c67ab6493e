"""Optimizers against hand-computed reference updates; schedules; clipping; checkpoints."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygen import Tensor, nn, optim
from tinygen.optim import adam as adam_mod
from tinygen.optim import optimizer as optimizer_mod
from tinygen.optim import sgd as sgd_mod


def _problem(seed=0, shapes=((3, 4), (4,)), dtype=np.float32):
    rng = np.random.default_rng(seed)
    params = [nn.Parameter(rng.standard_normal(s).astype(dtype)) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(5)]
    return params, grads


def _run(opt, params, grads):
    history = []
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = g.copy()
        opt.step()
        history.append([p.data.copy() for p in params])
    return history


# ------------------------------------------------------------------------- SGD
@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_sgd_matches_reference(momentum, nesterov, wd):
    params, grads = _problem()
    theta = [p.data.astype(np.float64) for p in params]
    hist = _run(
        optim.SGD(params, lr=0.05, momentum=momentum, nesterov=nesterov, weight_decay=wd),
        params,
        grads,
    )
    buf = [None] * len(theta)
    for t, gs in enumerate(grads):
        for i, g in enumerate(gs):
            d = g + wd * theta[i]
            if momentum:
                buf[i] = d.copy() if t == 0 else momentum * buf[i] + d
                d = d + momentum * buf[i] if nesterov else buf[i]
            theta[i] = theta[i] - 0.05 * d
            np.testing.assert_allclose(hist[t][i], theta[i], rtol=1e-5, atol=1e-6)
            assert hist[t][i].dtype == np.float32


def test_sgd_argument_checks_and_skips_params_without_grad():
    p = nn.Parameter(np.ones(3, np.float32))
    q = nn.Parameter(np.ones(2, np.float32))
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="require a gradient"):
        optim.SGD([Tensor(np.ones(2))], lr=0.1)
    opt = optim.SGD([p, q, p], lr=0.1)
    assert len(opt.params) == 2
    p.grad = np.ones(3, np.float32)
    opt.step()
    np.testing.assert_allclose(p.data, 0.9)
    np.testing.assert_array_equal(q.data, 1.0)
    opt.zero_grad()
    assert p.grad is None


# ------------------------------------------------------------------------ Adam
@pytest.mark.parametrize("wd", [0.0, 0.01])
@pytest.mark.parametrize("block", [None, 5])  # 5: the blocked update, with a short last block
def test_adam_matches_reference(wd, block, monkeypatch):
    if block is not None:
        monkeypatch.setattr(adam_mod, "BLOCK", block)
    params, grads = _problem(shapes=((3, 4), (4,), (2, 3, 2)))
    theta = [p.data.astype(np.float64) for p in params]
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-3
    hist = _run(optim.Adam(params, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd), params, grads)
    m = [np.zeros_like(x) for x in theta]
    v = [np.zeros_like(x) for x in theta]
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            g = g + wd * theta[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat = m[i] / (1 - b1**t)
            v_hat = v[i] / (1 - b2**t)
            theta[i] = theta[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
            np.testing.assert_allclose(hist[t - 1][i], theta[i], rtol=1e-5, atol=1e-6)
            assert hist[t - 1][i].dtype == np.float32


def test_adam_first_step_is_lr_times_sign():
    """At t = 1, m̂ = g and v̂ = g², so each coordinate moves by lr·g/(|g| + ε) ≈ ±lr."""
    p = nn.Parameter(np.zeros(4, np.float32))
    p.grad = np.array([3.0, -0.2, 1e-3, -50.0], np.float32)
    opt = optim.Adam([p], lr=0.1, eps=1e-8)
    opt.step()
    np.testing.assert_allclose(p.data, -0.1 * np.sign(p.grad), rtol=1e-4)
    m, v = opt.moments(0)
    np.testing.assert_allclose(m, 0.1 * p.grad, rtol=1e-6)
    np.testing.assert_allclose(v, 0.001 * p.grad**2, rtol=1e-5)


def test_adam_does_not_modify_shared_gradients():
    p, q = nn.Parameter(np.ones(3, np.float32)), nn.Parameter(np.ones(3, np.float32))
    (p + q).sum().backward()  # Add's backward may hand both leaves the same array
    g_before = p.grad.copy()
    optim.Adam([p, q], lr=0.1, weight_decay=0.1).step()
    np.testing.assert_array_equal(p.grad, g_before)
    np.testing.assert_allclose(p.data, q.data)


def test_optimizer_state_dict_round_trip(tmp_path):
    params, grads = _problem(seed=1)
    opt = optim.Adam(params, lr=0.01)
    _run(opt, params, grads[:3])
    path = nn.save_npz(tmp_path / "opt.npz", opt.state_dict())
    snapshot = [p.data.copy() for p in params]
    rest_a = _run(opt, params, grads[3:])

    params2 = [nn.Parameter(s.copy()) for s in snapshot]
    opt2 = optim.Adam(params2, lr=0.5)
    opt2.load_state_dict(nn.load_npz(path))
    assert opt2.t == 3 and opt2.lr == pytest.approx(0.01)
    rest_b = _run(opt2, params2, grads[3:])
    for a, b in zip(rest_a[-1], rest_b[-1]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    sd = opt.state_dict()
    assert {"t", "lr", "m.0", "v.0", "m.1", "v.1"} <= set(sd)
    bad = dict(sd, **{"m.0": np.zeros((9,), np.float32)})
    with pytest.raises(ValueError, match=r"'m.0'.*\(9,\).*\(3, 4\)"):
        opt2.load_state_dict(bad)

    sgd = optim.SGD(params, lr=0.1, momentum=0.9)
    _run(sgd, params, grads[:2])
    sgd2 = optim.SGD([nn.Parameter(p.data.copy()) for p in params], lr=0.1, momentum=0.9)
    sgd2.load_state_dict(sgd.state_dict())
    np.testing.assert_array_equal(sgd2.buf[0], sgd.buf[0])


# ------------------------------------------------------------------ schedules
def test_step_lr_sequence():
    opt = optim.SGD([nn.Parameter(np.zeros(1, np.float32))], lr=1.0)
    sched = optim.StepLR(opt, step_size=3, gamma=0.5)
    lrs = [opt.lr]
    for _ in range(8):
        sched.step()
        lrs.append(opt.lr)
    np.testing.assert_allclose(lrs, [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25])
    assert sched.get_last_lr() == 0.25
    with pytest.raises(ValueError, match="step_size"):
        optim.StepLR(opt, step_size=0)


def test_exponential_lr_sequence_and_state():
    opt = optim.Adam([nn.Parameter(np.zeros(1, np.float32))], lr=0.1)
    sched = optim.ExponentialLR(opt, gamma=0.9)
    lrs = [opt.lr] + [sched.step() for _ in range(5)]
    np.testing.assert_allclose(lrs, 0.1 * 0.9 ** np.arange(6))
    state = sched.state_dict()
    opt2 = optim.Adam([nn.Parameter(np.zeros(1, np.float32))], lr=0.1)
    sched2 = optim.ExponentialLR(opt2, gamma=0.9)
    sched2.load_state_dict(state)
    assert opt2.lr == pytest.approx(opt.lr)


# ------------------------------------------------------------------ clipping
def test_clip_grad_norm():
    p = nn.Parameter(np.zeros(3, np.float32))
    q = nn.Parameter(np.zeros(1, np.float32))
    shared = np.array([3.0, 0.0, 0.0], np.float32)
    p.grad, q.grad = shared, np.array([4.0], np.float32)
    total = nn.clip_grad_norm_([p, q], max_norm=1.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad, [0.6, 0, 0], rtol=1e-5)
    np.testing.assert_allclose(q.grad, [0.8], rtol=1e-5)
    np.testing.assert_array_equal(shared, [3.0, 0.0, 0.0])  # not scaled in place
    assert nn.clip_grad_norm_([p, q], max_norm=10.0) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(q.grad, [0.8], rtol=1e-5)  # under the limit: unchanged
    assert nn.clip_grad_norm_([p, q], 1.0, norm_type=math.inf) == pytest.approx(0.8, rel=1e-5)
    q.grad = np.array([np.nan], np.float32)
    assert math.isnan(nn.clip_grad_norm_([p, q], 1.0))
    with pytest.raises(FloatingPointError, match="diverged"):
        nn.clip_grad_norm_([p, q], 1.0, error_if_nonfinite=True)


# ------------------------------------------------------- subnormal moments (flush_tiny_)
def _subnormal_count(a):
    a = np.asarray(a)
    return int(((a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)).sum())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flush_tiny_zeroes_exactly_the_entries_below_the_limit(dtype):
    tiny = np.finfo(dtype).tiny
    limit = tiny * optimizer_mod.FLUSH_BELOW
    a = np.array(
        [1.0, -2.5, limit, -limit, limit * 0.999, -limit * 0.5, tiny, tiny / 4, -tiny / 8, 0.0],
        dtype=dtype,
    )
    expect = a.copy()
    expect[np.abs(a) < limit] = 0
    optimizer_mod.flush_tiny_(np, a)
    np.testing.assert_array_equal(a, expect)
    assert _subnormal_count(a) == 0 and a[2] == limit and a[0] == 1.0


def _optimizer(name, params):
    if name == "sgd":
        return optim.SGD(params, lr=0.1, momentum=0.9)
    b2 = 0.999 if name == "adam" else 0.9
    return optim.Adam(params, lr=1e-3, betas=(0.9, b2))


@pytest.mark.parametrize("name", ["adam", "adam-fast-v", "sgd"])
def test_buffers_of_a_gradient_that_turned_zero_never_go_subnormal(name, monkeypatch):
    """After one nonzero gradient, m ← β m decays towards zero: without the sweep it turns
    subnormal (slow on CPUs) within ~900 steps; with it, no step ever leaves a subnormal."""

    def run():
        p = nn.Parameter(np.zeros(6, np.float32))
        opt = _optimizer(name, [p])
        worst = 0
        for t in range(1100):
            p.grad = (
                np.array([1.0, -1.0, 1e-3, 1e-10, -1e-15, 3e-16], np.float32)
                if t == 0
                else np.zeros(6, np.float32)
            )
            opt.step()
            state = opt.v + opt.m if name != "sgd" else opt.buf
            worst = max(worst, *(_subnormal_count(a) for a in state))
        return worst

    assert run() == 0
    for mod in (adam_mod, sgd_mod):  # the property is real: without the sweep it fails
        monkeypatch.setattr(mod, "FLUSH_EVERY", 10**9)
    assert run() > 0


def test_the_sweep_leaves_normal_updates_bit_identical(monkeypatch):
    params, _ = _problem(shapes=((40, 30), (30,)))
    rng = np.random.default_rng(1)
    grads = [[rng.standard_normal(p.shape).astype(np.float32) for p in params] for _ in range(130)]
    start = [p.data.copy() for p in params]
    with_sweep = _run(optim.Adam(params, lr=1e-2), params, grads)[-1]
    for p, s in zip(params, start):
        p.data[...] = s
    monkeypatch.setattr(adam_mod, "FLUSH_EVERY", 10**9)
    without = _run(optim.Adam(params, lr=1e-2), params, grads)[-1]
    for a, b in zip(with_sweep, without):
        np.testing.assert_array_equal(a, b)
