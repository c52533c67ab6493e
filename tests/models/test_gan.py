"""The GAN: training moves the samples to the data, the k:1 schedule, instance noise,
history, checkpoints, and the input checks (tiny MLP GANs on tiny 2-D data, float32).

Lesson: ``lessons/gan.py``; the derivations are in ``test_gan_theory.py``.
"""

import json

import numpy as np
import pytest

from tinygen import Tensor
from tinygen.io import load_npz
from tinygen.models.gan import (
    GAN,
    MLPGAN,
    TrainingDivergedError,
    generator_loss,
    instance_noise_std,
)
from tinygen.nn import Linear, Module, Sequential, Tanh
from tinygen.optim import Adam


def blob(n=512, centre=(1.5, -1.0), std=0.05, seed=0):
    rng = np.random.default_rng(seed)
    return (np.asarray(centre) + std * rng.standard_normal((n, 2))).astype(np.float32)


class Recorder(Module):
    """Wraps a discriminator; records every input batch (and can turn NaN after a while)."""

    def __init__(self, inner, nan_after=None):
        super().__init__()
        self.inner, self.inputs, self.nan_after = inner, [], nan_after

    def forward(self, x, y=None):
        self.inputs.append(np.array(x.data))
        out = self.inner(x)
        if self.nan_after is not None and len(self.inputs) > self.nan_after:
            return out * float("nan")
        return out


def small_gan(**kw):
    kw.setdefault("random_state", 0)
    return MLPGAN(g_hidden=(32, 32), d_hidden=(32, 32), **kw)


# ------------------------------------------------------------------------ training
@pytest.mark.parametrize("objective", ["non_saturating", "minimax"])
def test_training_moves_the_samples_onto_the_data(objective):
    X = blob()
    gan = small_gan(objective=objective)
    before = np.linalg.norm(gan.sample(500, random_state=1).mean(0) - X.mean(0))
    gan.fit(X, n_steps=400, batch_size=64, lr=2e-3, random_state=0)
    S = gan.sample(500, random_state=1)
    after = np.linalg.norm(S.mean(0) - X.mean(0))
    assert before > 1.0 and after < 0.25, (before, after)
    assert S.shape == (500, 2) and S.dtype == np.float32


def test_one_generator_step_raises_d_of_g_z_for_both_objectives():
    """Against a fixed D, a small step on either generator loss makes D(G(z)) larger: the
    two losses have the same descent direction in the logit."""
    for objective in ("minimax", "non_saturating"):
        gan = small_gan(objective=objective)
        z = gan._noise(256, np.random.default_rng(0))
        a0 = gan.discriminator(gan.generator(z)).numpy().mean()
        opt = Adam(gan.generator.parameters(), lr=1e-3)
        loss = generator_loss(gan.discriminator(gan.generator(z)).reshape(256), objective)
        loss.backward()
        opt.step()
        a1 = gan.discriminator(gan.generator(z)).numpy().mean()
        assert a1 > a0, objective


def test_k_discriminator_steps_per_generator_step_and_history():
    X = blob(128)
    gan = small_gan(k=3)
    rec = Recorder(gan.discriminator)
    gan.discriminator = rec
    gan.fit(X, n_steps=5, batch_size=32, random_state=0)
    # per step: k × (real + fake) discriminator calls, then one in the generator step
    assert len(rec.inputs) == 5 * (2 * 3 + 1)
    h = gan.history_
    assert set(h) == {"d_loss", "g_loss", "d_real", "d_fake", "noise_std", "time"}
    assert all(len(v) == 5 for v in h.values())
    assert all(0 <= v <= 1 for v in h["d_real"] + h["d_fake"])
    assert np.all(np.diff(h["time"]) >= 0)
    # D's parameters take gradients again after the generator steps
    assert all(p.requires_grad for p in gan.discriminator.parameters())
    gan.fit(X, n_steps=2, batch_size=32, random_state=1)
    assert len(gan.history_["d_loss"]) == 7  # history grows over calls


class CountingGenerator(Module):
    """Wraps a generator; counts its forward passes."""

    def __init__(self, inner):
        super().__init__()
        self.inner, self.calls = inner, 0

    def forward(self, z, y=None):
        self.calls += 1
        return self.inner(z)


@pytest.mark.parametrize("k", [1, 2])
def test_reuse_fake_scores_the_last_discriminator_batch_again(k):
    X = blob(128)
    for reuse in (False, True):
        gan = small_gan(k=k)
        rec, gen = Recorder(gan.discriminator), CountingGenerator(gan.generator)
        gan.discriminator, gan.generator = rec, gen
        gan.fit(X, n_steps=4, batch_size=32, random_state=0, reuse_fake=reuse)
        # one pass through G per discriminator step, and one more without reuse
        assert gen.calls == 4 * (k + (0 if reuse else 1))
        per_step = 2 * k + 1
        for s in range(4):
            last_fake, scored = rec.inputs[s * per_step + 2 * k - 1], rec.inputs[(s + 1) * per_step - 1]
            # D was updated in between, G was not: with reuse G's step sees the same samples
            assert np.array_equal(last_fake, scored) == reuse


def test_reuse_fake_trains():
    X = blob()
    gan = small_gan()
    gan.fit(X, n_steps=400, batch_size=64, lr=2e-3, random_state=0, reuse_fake=True)
    assert np.linalg.norm(gan.sample(500, random_state=1).mean(0) - X.mean(0)) < 0.25


def test_discriminator_is_not_trained_by_the_generator_step():
    X = blob(64)
    gan = small_gan()
    d_before = {k: v.copy() for k, v in gan.discriminator.state_dict().items()}
    g_before = {k: v.copy() for k, v in gan.generator.state_dict().items()}
    gan.k = 1
    # lr_d = 0: D's Adam moves nothing, so any change in D would come from the G step
    gan.fit(X, n_steps=3, batch_size=32, lr=1e-2, lr_d=0.0, random_state=0)
    for k, v in gan.discriminator.state_dict().items():
        np.testing.assert_array_equal(v, d_before[k])
    assert any(not np.array_equal(v, g_before[k]) for k, v in gan.generator.state_dict().items())


# ---------------------------------------------------------------------- instance noise
def test_instance_noise_schedule():
    assert instance_noise_std(0, 0.5, 100) == 0.5
    assert instance_noise_std(50, 0.5, 100) == pytest.approx(0.25)
    assert instance_noise_std(100, 0.5, 100) == 0.0 and instance_noise_std(500, 0.5, 100) == 0.0
    assert instance_noise_std(10, 0.5, None) == 0.5
    assert instance_noise_std(10, 0.0, 100) == 0.0


def test_instance_noise_reaches_every_discriminator_input_and_anneals():
    X = np.zeros((64, 2), np.float32)  # constant data: any spread D sees is the noise
    gan = small_gan(instance_noise=1.0, noise_anneal_steps=10)
    rec = Recorder(gan.discriminator)
    gan.discriminator = rec
    gan.fit(X, n_steps=12, batch_size=64, random_state=0)
    first_real, last_real = rec.inputs[0], rec.inputs[-3]
    assert 0.85 < first_real.std() < 1.15  # σ₀ = 1 at step 0
    assert np.all(last_real == 0)  # annealed to 0 after 10 steps
    assert gan.history_["noise_std"][:3] == pytest.approx([1.0, 0.9, 0.8])
    # the fake batch of step 0 is noisier than the generator's own spread
    fake_spread = gan.sample(64, random_state=0).std()
    assert rec.inputs[1].std() > fake_spread + 0.5


# ------------------------------------------------------------------- checkpoints
def test_save_and_from_checkpoint_round_trip(tmp_path):
    gan = small_gan(objective="minimax", instance_noise=0.1)
    gan.fit(blob(64), n_steps=3, batch_size=32, random_state=0)
    path = gan.save(tmp_path / "gan")
    assert path.suffix == ".npz" and path.exists()
    cfg = json.loads((tmp_path / "gan.npz.json").read_text())
    assert cfg["class"] == "MLPGAN" and cfg["objective"] == "minimax"
    state = load_npz(path)  # allow_pickle=False
    assert any(k.startswith("generator.") for k in state)
    assert any(k.startswith("discriminator.") for k in state)
    again = GAN.from_checkpoint(path)
    assert isinstance(again, MLPGAN) and again.objective == "minimax"
    np.testing.assert_array_equal(again.sample(20, random_state=3), gan.sample(20, random_state=3))


def test_plain_gan_checkpoints_load_into_the_same_modules(tmp_path):
    def build(seed):
        G = Sequential(Linear(2, 8, random_state=seed), Tanh(), Linear(8, 2, random_state=seed))
        D = Sequential(Linear(2, 8, random_state=seed + 1), Tanh(), Linear(8, 1, random_state=seed))
        return GAN(G, D, n_latent=2)

    gan = build(0)
    path = gan.save(tmp_path / "plain.npz")
    with pytest.raises(ValueError, match="load"):
        GAN.from_checkpoint(path)
    other = build(5).load(path)
    np.testing.assert_array_equal(other.sample(5, random_state=0), gan.sample(5, random_state=0))


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    X = blob(64)
    gan = small_gan()
    gan.discriminator = Recorder(gan.discriminator, nan_after=3 * 8 + 1)  # NaN in step 8
    ckpt = tmp_path / "gan.npz"
    with pytest.raises(TrainingDivergedError, match="lr=") as exc:
        gan.fit(X, n_steps=50, batch_size=32, random_state=0, checkpoint=ckpt, checkpoint_every=5)
    assert str(ckpt) in str(exc.value)
    assert len(gan.history_["d_loss"]) == 8  # steps 0..7 recorded, the bad one not
    saved = load_npz(ckpt)
    assert all(np.all(np.isfinite(v)) for v in saved.values())
    # the model holds the state written at step 5, the last good checkpoint
    for k, v in gan.state_dict().items():
        np.testing.assert_array_equal(v, saved[k])


# ------------------------------------------------------------------- bad input
def test_data_outside_the_generators_range_is_rejected():
    G = Sequential(Linear(2, 4, random_state=0), Tanh())  # tanh output: values in (−1, 1)
    D = Linear(4, 1, random_state=0)
    gan = GAN(G, D, n_latent=2, data_range=(-1, 1))
    with pytest.raises(ValueError, match=r"rescale the data \(.*2 \* x - 1"):
        gan.fit(np.full((8, 4), 3.0), n_steps=1)
    gan01 = GAN(G, D, n_latent=2, data_range=(0, 1))
    with pytest.raises(ValueError, match="x / 255"):
        gan01.fit(np.full((8, 4), 255.0), n_steps=1)


def test_discriminator_with_the_wrong_output_shape_is_rejected():
    G = Linear(2, 2, random_state=0)
    gan = GAN(G, Linear(2, 3, random_state=0), n_latent=2)
    with pytest.raises(ValueError, match=r"one logit per sample.*Linear\(\.\.\., 1\)"):
        gan.fit(blob(16), n_steps=1)


def test_generator_with_the_wrong_output_shape_is_rejected():
    gan = GAN(Linear(2, 3, random_state=0), Linear(2, 1, random_state=0), n_latent=2)
    with pytest.raises(ValueError, match="match one data point"):
        gan.fit(blob(16), n_steps=1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(objective="wgan"), "minimax"),
        (dict(k=0), "k"),
        (dict(instance_noise=-1.0), "instance_noise"),
        (dict(n_latent=0), "n_latent"),
    ],
)
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        small_gan(**kwargs)


def test_bad_data_and_labels():
    gan = small_gan()
    bad = blob(16)
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        gan.fit(bad, n_steps=1)
    with pytest.raises(ValueError, match="shape"):
        gan.fit(np.zeros((16, 3), np.float32), n_steps=1)
    with pytest.raises(ValueError, match="unconditional"):
        gan.fit(blob(16), y=np.zeros(16, int), n_steps=1)
    cgan = small_gan(n_classes=3)
    with pytest.raises(ValueError, match="needs labels"):
        cgan.fit(blob(16), n_steps=1)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        cgan.fit(blob(16), y=np.full(16, 3), n_steps=1)


def test_conditional_mlp_gan_learns_one_blob_per_label():
    centres = np.array([[-1.5, 0.0], [1.5, 0.0]], np.float32)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 512)
    X = centres[y] + 0.05 * rng.standard_normal((512, 2)).astype(np.float32)
    gan = small_gan(n_classes=2)
    gan.fit(X, y=y, n_steps=500, batch_size=64, lr=2e-3, random_state=0)
    for label in (0, 1):
        S = gan.sample(300, random_state=1, y=label)
        assert np.linalg.norm(S.mean(0) - centres[label]) < 0.4, (label, S.mean(0))
    assert isinstance(gan.discriminate(X[:4], y=y[:4]), np.ndarray)


def test_discriminate_returns_probabilities():
    gan = small_gan()
    p = gan.discriminate(blob(10))
    assert p.shape == (10,) and np.all((0 < p) & (p < 1))
    assert isinstance(Tensor, type)


# ------------------------------------------------------------------ packing (PacGAN)
def test_a_packed_discriminator_sees_consecutive_samples_side_by_side():
    """pack = m: D's input row j is samples jm … jm + m − 1 concatenated (Lin et al., 2018),
    all data or all generated, and D's logit per pack is what discriminate returns."""
    X = blob(96)
    gan = small_gan(pack=3)
    assert gan.discriminator.net[0].in_features == 6  # 3 samples of 2 features
    rec = Recorder(gan.discriminator)
    gan.discriminator = rec
    gan.fit(X, n_steps=2, batch_size=48, random_state=0)
    assert [a.shape for a in rec.inputs] == [(16, 6)] * 6  # real, fake, G step; twice
    # a real pack is three data points (rows of X) side by side, a fake one is not
    rows = {tuple(r) for r in X}
    real = rec.inputs[0].reshape(48, 2)
    assert all(tuple(r) in rows for r in real)
    assert not any(tuple(r) in rows for r in rec.inputs[1].reshape(48, 2))
    # discriminate: one probability per pack, equal to D on the packs built by hand
    packs = X[:12].reshape(4, 6)
    p = gan.discriminate(X[:12])
    direct = 1 / (1 + np.exp(-rec.inner(Tensor(packs)).numpy().reshape(4)))
    assert p.shape == (4,)
    np.testing.assert_allclose(p, direct, rtol=1e-5)


def test_packing_checks_its_counts_and_round_trips(tmp_path):
    gan = small_gan(pack=2)
    with pytest.raises(ValueError, match="multiple of pack=2"):
        gan.fit(blob(64), n_steps=1, batch_size=31)
    with pytest.raises(ValueError, match="multiple of 2"):
        gan.discriminate(blob(5))
    with pytest.raises(ValueError, match="unconditional"):
        small_gan(pack=2, n_classes=3)
    with pytest.raises(ValueError, match="pack"):
        small_gan(pack=0)
    gan.fit(blob(64), n_steps=2, batch_size=32, random_state=0)
    again = GAN.from_checkpoint(gan.save(tmp_path / "packed"))
    assert again.pack == 2 and "pack=2" in repr(again)
    np.testing.assert_array_equal(again.discriminate(blob(8)), gan.discriminate(blob(8)))
