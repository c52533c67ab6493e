"""DCGAN and the conditional DCGAN: shapes, the architecture guidelines, value range,
labels and checkpoints (width-4 networks on a few synthetic digits)."""

import numpy as np
import pytest

from tinygen.data import synthetic_digits
from tinygen.models.dcgan import DCGAN
from tinygen.models.gan import GAN
from tinygen.nn import BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, LeakyReLU, MaxPool2d


@pytest.fixture(scope="module")
def digits():
    X, y = synthetic_digits(64, random_state=0)
    return X[:, None].astype(np.float32), y


def test_samples_are_images_in_the_unit_interval(digits):
    X, _ = digits
    gan = DCGAN(n_latent=8, width=4, random_state=0)
    gan.fit(X, n_steps=2, batch_size=16, random_state=0)
    S = gan.sample(5, random_state=0)
    assert S.shape == (5, 1, 28, 28) and S.min() >= 0 and S.max() <= 1
    assert gan.discriminate(X[:3]).shape == (3,)
    # flat or (n, 28, 28) images are accepted too
    assert gan.discriminate(X[:3].reshape(3, 784)).shape == (3,)


def test_radford_guidelines():
    gan = DCGAN(n_latent=8, width=4, random_state=0)
    mods = lambda m: [type(x) for x in m.modules()]  # noqa: E731
    g, d = mods(gan.generator), mods(gan.discriminator)
    assert g.count(ConvTranspose2d) == 2 and Conv2d not in g  # G upsamples by strides
    assert d.count(Conv2d) == 2 and ConvTranspose2d not in d and MaxPool2d not in d
    assert all(c.stride == (2, 2) for c in gan.discriminator.modules() if isinstance(c, Conv2d))
    assert BatchNorm1d in g and BatchNorm2d in g and BatchNorm2d in d and LeakyReLU in d
    # no batch norm on D's input: the first layer after the input is a conv, then LeakyReLU
    assert gan.discriminator.conv1.in_channels == 1


def test_8_bit_images_are_rejected_with_the_fix(digits):
    X, _ = digits
    gan = DCGAN(n_latent=8, width=4, random_state=0)
    with pytest.raises(ValueError, match="x / 255"):
        gan.fit(X * 255, n_steps=1)


def test_conditional_dcgan_uses_the_label(digits):
    X, y = digits
    gan = DCGAN(n_latent=8, width=4, conditional=True, random_state=0)
    assert gan.discriminator.conv1.in_channels == 2  # image + label map
    gan.fit(X, y=y, n_steps=2, batch_size=16, random_state=0)
    a = gan.sample(4, random_state=0, y=np.zeros(4, int))
    b = gan.sample(4, random_state=0, y=np.full(4, 7))
    assert not np.allclose(a, b)  # same z, different label: different images
    p0 = gan.discriminate(X[:8], y=np.zeros(8, int))
    p7 = gan.discriminate(X[:8], y=np.full(8, 7))
    assert not np.allclose(p0, p7)
    with pytest.raises(ValueError, match="needs labels"):
        gan.sample(4)


def test_checkpoint_round_trip(tmp_path, digits):
    X, y = digits
    gan = DCGAN(n_latent=8, width=4, conditional=True, random_state=0)
    gan.fit(X, y=y, n_steps=2, batch_size=16, random_state=0)
    path = gan.save(tmp_path / "dc")
    again = GAN.from_checkpoint(path)
    assert isinstance(again, DCGAN) and again.conditional and again.width == 4
    labels = np.arange(6) % 10
    np.testing.assert_array_equal(
        again.sample(6, random_state=1, y=labels), gan.sample(6, random_state=1, y=labels)
    )


def test_packed_dcgan_judges_image_pairs(digits):
    X, _ = digits
    gan = DCGAN(n_latent=8, width=4, pack=2, random_state=0)
    assert gan.discriminator.conv1.in_channels == 2  # two images as two channels
    gan.fit(X, n_steps=2, batch_size=16, random_state=0)
    assert gan.discriminate(X[:6]).shape == (3,)
    assert gan.sample(3, random_state=0).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match="unconditional"):
        DCGAN(n_latent=8, width=4, pack=2, conditional=True)
