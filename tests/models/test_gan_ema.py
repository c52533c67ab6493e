"""The averaged generator: θ̄ ← β θ̄ + (1 − β) θ after every generator step (``update_ema``),
its batch-norm statistics, sampling from it, checkpoints and bad values of β."""

import numpy as np
import pytest

from tinygen.data import ring, synthetic_digits
from tinygen.models.dcgan import DCGAN
from tinygen.models.gan import GAN, MLPGAN, update_ema
from tinygen.nn import BatchNorm1d, Linear, Module, Parameter, Sequential


def two_copies(seed_a=0, seed_b=1):
    def net(seed):
        return Sequential(Linear(3, 4, random_state=seed), BatchNorm1d(4))

    a, b = net(seed_a), net(seed_b)
    rng = np.random.default_rng(2)
    b[1].running_mean = rng.standard_normal(4).astype(np.float32)
    b[1].running_var = rng.random(4).astype(np.float32) + 0.5
    b[1].num_batches_tracked = np.array(7, dtype=np.int64)
    return a, b


def test_update_ema_is_the_convex_step_for_parameters_and_statistics():
    average, model = two_copies()
    before = average.state_dict()
    beta = 0.9
    update_ema(average, model, beta)
    after, live = average.state_dict(), model.state_dict()
    for name in ("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"):
        np.testing.assert_allclose(
            after[name], beta * before[name] + (1 - beta) * live[name], rtol=1e-6, atol=1e-7
        )
    # the batch count is an integer: copied, not averaged
    assert after["1.num_batches_tracked"] == 7
    # the model is not touched
    np.testing.assert_array_equal(model.state_dict()["0.weight"], live["0.weight"])


class Point(Module):
    def __init__(self, theta):
        super().__init__()
        self.theta = Parameter(np.asarray(theta, dtype=np.float64))


def test_the_average_of_a_circling_iterate_sits_near_the_centre():
    # θ_t = c + r·(cos ωt, sin ωt), the rotation of simultaneous gradient steps on a
    # bilinear game. The average's distance from c tends to r(1 − β)/|1 − β e^{iω}|.
    c, r, omega, beta = np.array([0.3, -0.2]), 1.0, 0.3, 0.99
    average, model = Point(c + [r, 0.0]), Point(c + [r, 0.0])
    for t in range(1, 3000):
        model.theta.data[:] = c + r * np.array([np.cos(omega * t), np.sin(omega * t)])
        update_ema(average, model, beta)
    expected = r * (1 - beta) / abs(1 - beta * np.exp(1j * omega))
    assert np.linalg.norm(average.theta.data - c) == pytest.approx(expected, rel=1e-6)
    assert expected < 0.04 * r  # the iterate stays at distance r


@pytest.fixture(scope="module")
def digits():
    X, _ = synthetic_digits(64, random_state=0)
    return X[:, None].astype(np.float32)


def test_fit_averages_every_generator_step_batch_norm_included(digits):
    beta = 0.8
    gan = DCGAN(n_latent=8, width=4, ema_decay=beta, random_state=0)
    expected = gan.generator.state_dict()  # θ̄ starts at θ
    np.testing.assert_array_equal(gan.generator_ema.state_dict()["fc.weight"], expected["fc.weight"])
    seen = []
    gan.fit(digits, n_steps=3, batch_size=16, random_state=0, callback_every=1,
            callback=lambda step, m: seen.append(m.generator.state_dict()))
    assert len(seen) == 3
    for live in seen:
        expected = {
            k: (beta * v + (1 - beta) * live[k]) if v.dtype.kind == "f" else live[k]
            for k, v in expected.items()
        }
    got = gan.generator_ema.state_dict()
    assert set(got) == set(expected)
    for k in expected:
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-5, atol=1e-6, err_msg=k)
    # the average is neither the first nor the last generator
    assert not np.allclose(got["up1.weight"], seen[-1]["up1.weight"])
    assert got["bn0.num_batches_tracked"] == seen[-1]["bn0.num_batches_tracked"]


def test_the_average_takes_no_gradient_and_sample_draws_from_it():
    X = ring(256, random_state=0)[0]
    gan = MLPGAN(g_hidden=(16,), d_hidden=(16,), ema_decay=0.5, random_state=0)
    gan.fit(X, n_steps=5, batch_size=32, random_state=0)
    assert all(not p.requires_grad for p in gan.generator_ema.parameters())
    assert all(p.grad is None for p in gan.generator_ema.parameters())
    averaged, trained = gan.sample(8, random_state=3), gan.sample(8, random_state=3, ema=False)
    np.testing.assert_array_equal(averaged, gan.sample(8, random_state=3, ema=True))
    assert not np.allclose(averaged, trained)
    plain = MLPGAN(g_hidden=(16,), d_hidden=(16,), random_state=0)
    assert not hasattr(plain, "generator_ema")
    with pytest.raises(ValueError, match="ema_decay"):
        plain.sample(2, ema=True)


def test_checkpoint_keeps_the_average(tmp_path, digits):
    gan = DCGAN(n_latent=8, width=4, ema_decay=0.9, pack=2, random_state=0)
    gan.fit(digits, n_steps=2, batch_size=16, random_state=0)
    again = GAN.from_checkpoint(gan.save(tmp_path / "ema"))
    assert again.ema_decay == 0.9
    for ema in (None, False):
        np.testing.assert_array_equal(
            again.sample(4, random_state=1, ema=ema), gan.sample(4, random_state=1, ema=ema)
        )


@pytest.mark.parametrize("beta", [0, 1, 1.5, -0.1])
def test_bad_decay_names_the_range(beta):
    with pytest.raises(ValueError, match=r"ema_decay .* \(0, 1\)"):
        MLPGAN(ema_decay=beta)
