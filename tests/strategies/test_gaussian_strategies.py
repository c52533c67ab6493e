"""The Gaussian strategies produce what they promise."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies.gaussian import diag_gaussians, linear_gaussian_models, observations


@given(linear_gaussian_models())
def test_linear_gaussian_models_are_valid(model):
    assert 1 <= model.n_visible <= 6 and 1 <= model.n_latent <= 4
    assert model.W.dtype == np.float64 and np.all(np.isfinite(model.W))
    assert np.all(np.abs(model.W) <= 2) and 0.3 <= model.sigma <= 2.0
    assert model.mu.shape == (model.n_visible,)
    # the marginal covariance is positive definite
    assert np.linalg.eigvalsh(model.marginal_cov()).min() >= model.sigma2 * (1 - 1e-9)


@given(linear_gaussian_models(orthogonal=True))
def test_orthogonal_models_have_diagonal_posterior(model):
    assert model.n_latent <= model.n_visible
    G = model.W.T @ model.W
    assert np.allclose(G, np.diag(np.diag(G)), atol=1e-10)
    _, cov = model.posterior(np.zeros(model.n_visible))
    assert np.allclose(cov, np.diag(np.diag(cov)), atol=1e-10)


@given(
    st.integers(1, 5).flatmap(lambda n: st.tuples(st.just(n), diag_gaussians(n), observations(n)))
)
def test_diag_gaussians_and_observations_shapes(args):
    n, (mu, logvar), x = args
    assert mu.shape == logvar.shape == x.shape == (n,)
    assert np.all(np.abs(mu) <= 3) and np.all((-3 <= logvar) & (logvar <= 2))
    assert np.all(np.abs(x) <= 4)
