"""The conditional VAE: its KL against the class prior N(μ^Y, I), both forms, and
class-conditional generation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import noisy_prototypes
from tests.strategies.gaussian import diag_gaussians, vectors
from tinygen import Tensor
from tinygen import functional as F
from tinygen.models.cvae import CVAE

D = 20


def labelled_data(n=120, seed=0):
    """Noisy copies of 3 binary prototypes in 20 dimensions, with their labels."""
    return noisy_prototypes(n, 3, D, seed)


@given(st.integers(1, 6).flatmap(lambda n: st.tuples(diag_gaussians(n), vectors(n))))
def test_seed_kl_formula_is_the_generic_kl(args):
    """½Σ[(μ − μ^Y)² + σ² − log σ² − 1] = KL(N(μ, σ²) ‖ N(μ^Y, I)) (generic kl_normal)."""
    (mu, logvar), mu_y = args
    seed_form = 0.5 * ((mu - mu_y) ** 2 + np.exp(logvar) - logvar - 1).sum()
    generic = F.kl_normal(Tensor(mu), Tensor(logvar), Tensor(mu_y), 0.0, reduction="sum").item()
    assert abs(seed_form - generic) <= 1e-9 * (1 + abs(generic))


def test_cvae_kl_is_against_the_class_mean():
    X, y = labelled_data(12)
    m = CVAE(n_input=D, n_classes=3, hidden=(16,), n_latent=2, random_state=0)
    t = m.elbo(X, y, rng=0)
    mu, logvar = m.encode(X)
    mu_y = m.prior_means.numpy()[y]
    ref = F.kl_normal(mu, logvar, Tensor(mu_y), 0.0, reduction="none").sum(axis=-1).numpy()
    np.testing.assert_allclose(t.kl.numpy(), ref, rtol=1e-5, atol=1e-6)
    # and it differs from the KL against N(0, I): the class means matter
    assert not np.allclose(
        t.kl.numpy(), F.kl_normal(mu, logvar, reduction="none").sum(axis=-1).numpy()
    )
    mc = m.elbo(np.repeat(X[:1], 3000, 0), np.repeat(y[:1], 3000), rng=1, kl="mc").kl.numpy()
    assert abs(mc.mean() - t.kl.numpy()[0]) <= 4 * mc.std() / np.sqrt(len(mc))


@pytest.mark.parametrize("form", ["prior_mean", "conditional_decoder"])
def test_cvae_trains_and_generates_by_class(form, tmp_path):
    X, y = labelled_data(120)
    m = CVAE(n_input=D, n_classes=3, hidden=(32,), n_latent=2, form=form, random_state=0)
    hist = m.fit(X, y, n_epochs=30, batch_size=40, lr=3e-3, random_state=0)
    assert hist["loss"][-1] < 0.8 * hist["loss"][0]
    if form == "prior_mean":
        assert m.prior_means.grad is not None
    grid, labels = m.sample_grid(n_per_class=50, random_state=0)
    assert grid.shape == (150, D) and labels.shape == (150,)
    # samples of class c are nearer to class c's data than to the other classes' data
    means = np.stack([X[y == c].mean(0) for c in range(3)])
    gmeans = np.stack([grid[labels == c].mean(0) for c in range(3)])
    dist = ((gmeans[:, None] - means[None]) ** 2).sum(-1)
    assert np.all(dist.argmin(1) == np.arange(3))
    ll = m.log_likelihood(X[:20], y[:20], k=200)
    assert ll.mean() >= m.elbo(X[:20], y[:20], rng=0, n_samples=20).elbo.numpy().mean()
    clone = CVAE.from_checkpoint(m.save(tmp_path / "cvae.npz"))
    np.testing.assert_array_equal(clone.reconstruct(X[:4], y[:4]), m.reconstruct(X[:4], y[:4]))
    # the VAE's loader rebuilds the class the checkpoint names, a CVAE here
    from tinygen.models.vae import VAE

    again = VAE.from_checkpoint(tmp_path / "cvae.npz")
    assert type(again) is CVAE
    np.testing.assert_array_equal(again.reconstruct(X[:4], y[:4]), m.reconstruct(X[:4], y[:4]))


def test_cvae_needs_valid_labels():
    X, y = labelled_data(6)
    m = CVAE(n_input=D, n_classes=3, hidden=(8,), n_latent=2, random_state=0)
    with pytest.raises(ValueError, match="labels"):
        m.elbo(X, None)
    with pytest.raises(ValueError, match="labels"):
        m.elbo(X, np.full(6, 3))
    with pytest.raises(ValueError, match="shape"):
        m.elbo(X, y[:3])
    md = CVAE(n_input=D, n_classes=3, hidden=(8,), n_latent=2, form="conditional_decoder")
    with pytest.raises(ValueError, match="labels"):
        md.decode(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="form"):
        CVAE(form="bogus")
