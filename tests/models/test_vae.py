"""The VAE: its ELBO terms, the IWAE bound and likelihood estimate, training, generation,
checkpoints and input checks (tiny models on tiny binary data, float32)."""

import numpy as np
import pytest
from scipy import stats

from tests.helpers import noisy_prototypes
from tinygen import Tensor
from tinygen.models.autoencoder import TrainingDivergedError
from tinygen.models.vae import VAE, kl_weight
from tinygen.testing import check_grads

D = 20


def binary_data(n=200, seed=0):
    """Noisy copies of 4 binary prototypes in 20 dimensions."""
    return noisy_prototypes(n, 4, D, seed)[0]


@pytest.fixture(scope="module")
def trained():
    X = binary_data(200)
    model = VAE(n_input=D, hidden=(32,), n_latent=3, random_state=0)
    hist = model.fit(X, n_epochs=40, batch_size=50, lr=3e-3, random_state=0)
    return model, X, hist


def test_elbo_terms_shapes_and_signs():
    X = binary_data(8)
    model = VAE(n_input=D, hidden=(16,), n_latent=2, random_state=0)
    t = model.elbo(X, rng=0)
    for term in (t.reconstruction, t.kl, t.elbo, t["elbo"]):
        assert term.shape == (8,)
    assert np.all(t.reconstruction.numpy() <= 0)  # log of a probability mass
    assert np.all(t.kl.numpy() >= 0)
    np.testing.assert_allclose(t.elbo.numpy(), (t.reconstruction - t.kl).numpy(), rtol=1e-6)
    t5 = model.elbo(X, rng=0, n_samples=5, kl="mc")
    assert t5.elbo.shape == (8,)


def test_analytic_kl_matches_monte_carlo_kl_and_functional():
    model = VAE(n_input=D, hidden=(16,), n_latent=3, random_state=1)
    x = np.repeat(binary_data(1), 4000, axis=0)
    analytic = model.elbo(x, rng=0).kl.numpy()
    mc = model.elbo(x, rng=0, kl="mc").kl.numpy().astype(np.float64)
    se = mc.std() / np.sqrt(len(mc))
    assert abs(mc.mean() - analytic[0]) <= 4 * se
    mu, logvar = (t.numpy().astype(np.float64) for t in model.encode(x[:5]))
    ref = 0.5 * (mu**2 + np.exp(logvar) - logvar - 1).sum(axis=-1)  # against N(0, I)
    np.testing.assert_allclose(analytic[:5], ref, rtol=1e-5, atol=1e-6)


def test_reparameterize_is_differentiable():
    rng = np.random.default_rng(0)
    mu, logvar = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    check_grads(lambda m, lv: VAE.reparameterize(m, lv, rng=7)[0], mu, logvar)
    z, eps = VAE.reparameterize(Tensor(mu), Tensor(logvar), rng=7, n_samples=4)
    assert z.shape == eps.shape == (4, 3, 2)
    np.testing.assert_allclose(z.numpy(), mu + np.exp(0.5 * logvar) * eps.numpy())


def test_gradient_reaches_the_encoder():
    model = VAE(n_input=D, hidden=(16,), n_latent=2, random_state=0)
    model.loss(binary_data(10), rng=0).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and np.abs(p.grad).sum() > 0, name


def test_iwae_with_one_sample_is_the_single_sample_elbo():
    model = VAE(n_input=D, hidden=(16,), n_latent=2, random_state=0)
    X = binary_data(6)
    a = model.iwae_bound(X, k=1, rng=3).numpy()
    b = model.elbo(X, rng=3, kl="mc").elbo.numpy()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("beta", [1.0, 0.5])
def test_log_weights_are_the_log_density_ratios_written_out(beta):
    # log w = log p(x|z) + β [log N(z; 0, I) − log N(z; μ, σ²)], with scipy's densities
    model = VAE(n_input=D, hidden=(16,), n_latent=3, random_state=0)
    X = binary_data(5)
    log_w = model.log_weights(X, k=4, rng=7, beta=beta).numpy().astype(np.float64)
    mu, logvar = (t.numpy().astype(np.float64) for t in model.encode(X))
    eps = np.random.default_rng(7).standard_normal((4, 5, 3), dtype=np.float32)  # the VAE's ε
    z = (mu + np.exp(0.5 * logvar) * eps).astype(np.float32)
    log_px = model.log_px_given_z(X, z).numpy().astype(np.float64)
    log_p = stats.norm.logpdf(z).sum(-1)
    log_q = stats.norm.logpdf(z, mu, np.exp(0.5 * logvar)).sum(-1)
    np.testing.assert_allclose(log_w, log_px + beta * (log_p - log_q), rtol=1e-5, atol=2e-4)


def test_log_likelihood_batching_over_k_does_not_change_it(trained):
    model, X, _ = trained
    a = model.log_likelihood(X[:10], k=60, batch_size=10, k_batch=60, random_state=5)
    b = model.log_likelihood(X[:10], k=60, batch_size=10, k_batch=7, random_state=5)
    np.testing.assert_allclose(a, b, rtol=1e-5)
    assert a.shape == (10,) and a.dtype == np.float64


def test_training_lowers_the_loss_and_bounds_are_ordered(trained):
    model, X, hist = trained
    assert hist["loss"][-1] < 0.8 * hist["loss"][0]
    x = X[:50]
    elbo = model.elbo(x, rng=0, n_samples=20).elbo.numpy().mean()
    iw = [model.iwae_bound(x, k, rng=1).numpy().mean() for k in (1, 10, 100)]
    ll = model.log_likelihood(x, k=1000, random_state=2).mean()
    assert ll >= elbo
    assert iw[0] <= iw[1] + 0.05 and iw[1] <= iw[2] + 0.05
    assert ll >= iw[1] - 0.05


def test_same_seed_same_model():
    X = binary_data(40)
    runs = []
    for _ in range(2):
        m = VAE(n_input=D, hidden=(8,), n_latent=2, random_state=3)
        m.fit(X, n_epochs=2, batch_size=20, random_state=4, objective="iwae", k=3)
        runs.append(m.dec_out.weight.numpy().copy())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_beta_and_warmup_schedule():
    assert kl_weight(0.0, 1.0, 0) == 1.0
    assert kl_weight(0.5, 1.0, 2) == 0.25
    assert kl_weight(5.0, 0.5, 2) == 0.5
    X = binary_data(40)
    m = VAE(n_input=D, hidden=(8,), n_latent=2, random_state=0)
    hist = m.fit(X, n_epochs=3, batch_size=20, warmup_epochs=2, random_state=0)
    assert hist["beta"] == [0.0, 0.5, 1.0]
    # β weights the KL term of the loss
    l0 = m.loss(X, rng=1, beta=0.0).item()
    t = m.elbo(X, rng=1)
    np.testing.assert_allclose(l0, -t.reconstruction.numpy().mean(), rtol=1e-5)


def test_generation_shapes_and_interpolation_endpoints(trained):
    model, X, _ = trained
    s = model.sample(7, random_state=0)
    assert s.shape == (7, D) and np.all((s >= 0) & (s <= 1))
    sb = model.sample(7, random_state=0, mean=False)
    assert set(np.unique(sb)) <= {0.0, 1.0}
    path = model.interpolate(X[0], X[1], n_steps=5)
    assert path.shape == (5, D)
    np.testing.assert_allclose(path[0], model.reconstruct(X[:1])[0], atol=1e-5)
    np.testing.assert_allclose(path[-1], model.reconstruct(X[1:2])[0], atol=1e-5)
    tr = model.traverse(X[0], dim=1, values=[-2, 0, 2])
    assert tr.shape == (3, D)
    with pytest.raises(ValueError, match="dim"):
        model.traverse(X[0], dim=5)
    with pytest.raises(ValueError, match="n_latent == 2"):
        model.latent_grid(4)
    m2 = VAE(n_input=D, hidden=(8,), n_latent=2, random_state=0)
    assert m2.latent_grid(4).shape == (16, D)


def test_gaussian_decoder_log_likelihood():
    rng = np.random.default_rng(0)
    x = rng.random((4, D)).astype(np.float32)
    m = VAE(n_input=D, hidden=(8,), n_latent=2, decoder="gaussian", decoder_std=0.3)
    z = rng.standard_normal((4, 2)).astype(np.float32)
    mean, logvar = m.decoder_params(z)
    assert logvar is None
    ref = stats.norm.logpdf(x, mean.numpy(), 0.3).sum(1)
    np.testing.assert_allclose(m.log_px_given_z(x, z).numpy(), ref, rtol=1e-4)
    mv = VAE(n_input=D, hidden=(8,), n_latent=2, decoder="gaussian", learned_variance=True)
    mean, logvar = mv.decoder_params(z)
    assert mean.shape == logvar.shape == (4, D)
    ref = stats.norm.logpdf(x, mean.numpy(), np.exp(0.5 * logvar.numpy())).sum(1)
    np.testing.assert_allclose(mv.log_px_given_z(x, z).numpy(), ref, rtol=1e-4)
    hist = mv.fit(x * 3 - 1, n_epochs=3, batch_size=2, random_state=0)  # any real data
    assert np.isfinite(hist["loss"]).all()


def test_save_load_round_trip(tmp_path, trained):
    model, X, _ = trained
    path = model.save(tmp_path / "vae.npz")
    clone = VAE.from_checkpoint(path)
    np.testing.assert_array_equal(clone.reconstruct(X[:5]), model.reconstruct(X[:5]))
    np.testing.assert_array_equal(clone.sample(3, random_state=1), model.sample(3, random_state=1))
    with pytest.raises(FileNotFoundError, match="config"):
        VAE.from_checkpoint(tmp_path / "missing.npz")


def test_bad_input_errors():
    m = VAE(n_input=D, hidden=(8,), n_latent=2, random_state=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        m.elbo(np.full((2, D), 2.0))
    with pytest.raises(ValueError, match="shape"):
        m.elbo(np.zeros((2, D + 1)))
    with pytest.raises(ValueError, match="NaN"):
        m.elbo(np.full((2, D), np.nan))
    with pytest.raises(ValueError, match="objective"):
        m.loss(np.zeros((2, D)), objective="bogus")
    with pytest.raises(ValueError, match="kl"):
        m.elbo(np.zeros((2, D)), kl="bogus")
    with pytest.raises(ValueError, match="CVAE"):
        m.fit(np.zeros((4, D)), y=np.zeros(4, int))
    with pytest.raises(ValueError, match="decoder"):
        VAE(decoder="poisson")
    with pytest.raises(ValueError, match="learned_variance"):
        VAE(learned_variance=True)


def test_nan_loss_stops_training_with_a_clear_error():
    m = VAE(n_input=D, hidden=(8,), n_latent=2, random_state=0)
    m.loss = lambda *a, **k: Tensor(np.float32(np.nan), requires_grad=True)
    with pytest.raises(TrainingDivergedError, match="learning rate"):
        m.fit(binary_data(20), n_epochs=1, batch_size=10)


def test_logvar_is_clamped():
    m = VAE(n_input=D, hidden=(8,), n_latent=2, logvar_clamp=(-1.0, 1.0), random_state=0)
    m.enc_logvar.bias.data[...] = 50.0
    _, logvar = m.encode(binary_data(3))
    assert np.all(logvar.numpy() <= 1.0)


def test_a_second_fit_continues_from_the_trained_decoder():
    X = binary_data(40)
    m = VAE(n_input=D, hidden=(8,), n_latent=2, random_state=0)
    m.fit(X, n_epochs=2, batch_size=20, random_state=0)
    bias = m.dec_out.bias.numpy().copy()
    m.fit(X, n_epochs=0, random_state=0)  # no steps: the output bias must not be re-initialized
    np.testing.assert_array_equal(m.dec_out.bias.numpy(), bias)


def test_gaussian_samples_use_the_decoder_noise():
    mv = VAE(n_input=D, hidden=(8,), n_latent=2, decoder="gaussian", learned_variance=True)
    mean = mv.sample(500, random_state=0)
    draw = mv.sample(500, random_state=0, mean=False)
    _, logvar = mv.decoder_params(np.zeros((1, 2), np.float32))
    assert draw.shape == (500, D)
    # residuals have roughly the decoder's scale (logvar near 0 at initialization)
    ratio = (draw - mean).std() / np.exp(0.5 * logvar.numpy()).mean()
    assert 0.7 < ratio < 1.4


def _linear_gaussian_vae(lg, q_exact=True):
    """A VAE with linear maps set to the linear-Gaussian model p(x|z) = N(Wz + μ, σ²I) and,
    for the encoder, q(z|x) = N(A x + c, diag v) with the exact posterior's A, c and its
    marginal variances v (float64)."""
    from tinygen import backend

    with backend.default_dtype("float64"):
        m = VAE(
            n_input=lg.n_visible,
            hidden=(),
            n_latent=lg.n_latent,
            decoder="gaussian",
            decoder_std=lg.sigma,
            logvar_clamp=(-30.0, 30.0),
            random_state=0,
        )
    M = lg.W.T @ lg.W + lg.sigma2 * np.eye(lg.n_latent)
    A = np.linalg.solve(M, lg.W.T)
    m.dec_out.weight.data[...] = lg.W
    m.dec_out.bias.data[...] = lg.mu
    m.enc_mu.weight.data[...] = A
    m.enc_mu.bias.data[...] = -A @ lg.mu
    m.enc_logvar.weight.data[...] = 0.0
    m.enc_logvar.bias.data[...] = np.log(np.diag(lg.sigma2 * np.linalg.inv(M)))
    return m


def test_vae_agrees_with_the_linear_gaussian_closed_forms():
    """A linear VAE set to a linear-Gaussian model: its ELBO estimate matches the closed-form
    ELBO, and its importance-sampled log-likelihood matches the exact log p(x)."""
    from tinygen import backend
    from tinygen.models.linear_gaussian import LinearGaussian

    lg = LinearGaussian.random(n_visible=6, n_latent=2, sigma=0.6, random_state=0)
    x = lg.sample(4, random_state=1)
    m = _linear_gaussian_vae(lg)
    with backend.default_dtype("float64"):
        mu, logvar = m.encode(x)
        exact_elbo = lg.elbo(x, mu.numpy(), logvar.numpy())
        t = m.elbo(np.repeat(x, 5000, axis=0), rng=0)
        est = t.elbo.numpy().reshape(4, 5000)
        se = est.std(1) / np.sqrt(5000)
        assert np.all(np.abs(est.mean(1) - exact_elbo) <= 4 * se)
        ll = m.log_likelihood(x, k=5000, random_state=0)
    log_px = lg.log_prob(x)
    assert np.all(exact_elbo < log_px)  # the posterior is correlated: a strict gap
    np.testing.assert_allclose(ll, log_px, atol=0.02)


def test_linear_vae_is_exact_when_the_posterior_is_diagonal():
    from tinygen import backend
    from tinygen.models.linear_gaussian import LinearGaussian

    Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((5, 2)))
    lg = LinearGaussian(Q * np.array([2.0, 0.7]), mu=np.arange(5.0), sigma=0.5)
    x = lg.sample(3, random_state=2)
    m = _linear_gaussian_vae(lg)
    with backend.default_dtype("float64"):
        elbo = m.elbo(x, rng=0).elbo.numpy()
        ll = m.log_likelihood(x, k=10, random_state=0)
    # with q equal to the posterior every importance weight equals p(x): no variance at all
    np.testing.assert_allclose(ll, lg.log_prob(x), rtol=1e-10)
    assert np.all(np.isfinite(elbo))


def test_vae_module_does_not_import_its_subclasses():
    """vae.py needs no import of cvae.py (the CVAE imports the VAE: no import cycle); the
    class a checkpoint names is looked up in tinygen.models when loading."""
    import subprocess
    import sys

    code = (
        "import sys, tinygen.models.vae\n"
        "print('tinygen.models.cvae' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
