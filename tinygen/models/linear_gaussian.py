"""The linear-Gaussian latent-variable model, where everything a VAE approximates is exact.

    z ~ N(0, I_K),    x | z ~ N(W z + μ, σ² I_D)

The evidence, the posterior and the ELBO of any diagonal Gaussian q are all closed form:

    p(x)   = N(x; μ, C),                C = W Wᵀ + σ² I          (D × D)
    p(z|x) = N(M⁻¹ Wᵀ (x − μ), σ² M⁻¹), M = Wᵀ W + σ² I          (K × K)

so the identity log p(x) = ELBO(q) + KL(q ‖ p(z|x)) can be *checked*, term by term, for
any parameters. This is probabilistic PCA (Tipping & Bishop, 1999); the test suite and the
lesson use it as ground truth. Computations are in float64 NumPy on the host.

Lesson: ``lessons/vae.py`` §2 "The ELBO, line by line".

References
----------
Tipping, M. E. & Bishop, C. M. (1999). Probabilistic principal component analysis.
    JRSS B 61(3), 611-622.
Kingma, D. P. & Welling, M. (2014). Auto-encoding variational Bayes. ICLR.
Burda, Y., Grosse, R. & Salakhutdinov, R. (2016). Importance weighted autoencoders. ICLR.
"""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..numerics import logsumexp
from ..rng import as_generator

__all__ = ["LinearGaussian"]

_LOG_2PI = np.log(2.0 * np.pi)


def _f64(a):
    return np.asarray(a, dtype=np.float64)


class LinearGaussian:
    """z ~ N(0, I_K), x | z ~ N(W z + μ, σ² I_D), with its exact evidence and posterior.

    Parameters
    ----------
    W : array_like of shape (n_visible, n_latent)
        Loading matrix.
    mu : array_like of shape (n_visible,), default zeros
        Mean of x.
    sigma : float, default 1.0
        Observation noise standard deviation (σ > 0).
    """

    def __init__(self, W, mu=None, sigma=1.0):
        W = _f64(W)
        if W.ndim != 2:
            raise ValueError(f"W must be a matrix (n_visible, n_latent); got shape {W.shape}")
        self.W = W
        self.n_visible, self.n_latent = W.shape
        self.mu = np.zeros(self.n_visible) if mu is None else _f64(mu).reshape(self.n_visible)
        sigma = float(sigma)
        if not sigma > 0:
            raise ValueError(f"sigma must be positive; got {sigma}")
        self.sigma = sigma

    @classmethod
    def random(cls, n_visible=5, n_latent=2, sigma=0.5, random_state=None):
        """A model with W, μ drawn from N(0, 1) (a convenience for lessons and tests)."""
        rng = as_generator(random_state)
        return cls(
            rng.standard_normal((n_visible, n_latent)), rng.standard_normal(n_visible), sigma
        )

    # ------------------------------------------------------------------ exact
    @property
    def sigma2(self):
        return self.sigma**2

    def marginal_cov(self):
        """C = W Wᵀ + σ² I, of shape (n_visible, n_visible): the covariance of p(x)."""
        return self.W @ self.W.T + self.sigma2 * np.eye(self.n_visible)

    def _x(self, x):
        x = _f64(x)
        if x.shape[-1] != self.n_visible:
            raise ValueError(
                f"x must have last dimension n_visible={self.n_visible}; got shape {x.shape}"
            )
        return x

    def log_prob(self, x):
        """Exact log p(x) = log N(x; μ, W Wᵀ + σ² I).

        log p(x) = −½ [D log 2π + log det C + (x − μ)ᵀ C⁻¹ (x − μ)]

        Parameters
        ----------
        x : array_like of shape (..., n_visible)

        Returns
        -------
        ndarray of shape (...)
        """
        x = self._x(x)
        C = self.marginal_cov()
        d = x - self.mu
        _, logdet = np.linalg.slogdet(C)
        quad = np.einsum("...i,ij,...j->...", d, np.linalg.inv(C), d)
        return -0.5 * (self.n_visible * _LOG_2PI + logdet + quad)

    def posterior(self, x):
        """Exact posterior p(z|x) = N(M⁻¹ Wᵀ (x − μ), σ² M⁻¹) with M = Wᵀ W + σ² I.

        Parameters
        ----------
        x : array_like of shape (n_samples, n_visible) or (n_visible,)

        Returns
        -------
        mean : ndarray of shape (n_samples, n_latent) (or (n_latent,))
        cov : ndarray of shape (n_latent, n_latent), the same for every x
        """
        x = self._x(x)
        M = self.W.T @ self.W + self.sigma2 * np.eye(self.n_latent)
        Minv = np.linalg.inv(M)
        mean = (x - self.mu) @ self.W @ Minv.T
        return mean, self.sigma2 * Minv

    def log_likelihood_given_z(self, x, z):
        """log p(x|z) = log N(x; W z + μ, σ² I), broadcasting over leading axes.

        x : (..., n_visible), z : (..., n_latent) → (...)
        """
        x, z = self._x(x), _f64(z)
        r = x - (z @ self.W.T + self.mu)
        return -0.5 * (
            self.n_visible * (_LOG_2PI + np.log(self.sigma2)) + (r**2).sum(-1) / self.sigma2
        )

    def log_joint(self, x, z):
        """log p(x, z) = log p(x|z) + log N(z; 0, I), of the broadcast leading shape."""
        z = _f64(z)
        return self.log_likelihood_given_z(x, z) - 0.5 * (self.n_latent * _LOG_2PI + (z**2).sum(-1))

    # ----------------------------------------------------- diagonal Gaussian q
    def expected_log_likelihood(self, x, q_mu, q_logvar):
        """E_q[log p(x|z)] for q = N(m, diag s²), in closed form.

        E_q log p(x|z) = −D/2 log(2πσ²) − [‖x − W m − μ‖² + Σⱼ (WᵀW)ⱼⱼ sⱼ²] / (2σ²)

        Shapes: x (..., D), q_mu and q_logvar (..., K) → (...).
        """
        x, m, s2 = self._x(x), _f64(q_mu), np.exp(_f64(q_logvar))
        r = x - (m @ self.W.T + self.mu)
        trace = (s2 * (self.W**2).sum(0)).sum(-1)
        return -0.5 * (
            self.n_visible * (_LOG_2PI + np.log(self.sigma2))
            + ((r**2).sum(-1) + trace) / self.sigma2
        )

    @staticmethod
    def kl_to_prior(q_mu, q_logvar):
        """KL(N(m, diag s²) ‖ N(0, I)) = ½ Σⱼ (mⱼ² + sⱼ² − log sⱼ² − 1), of shape (...)."""
        kl = F.kl_normal(_f64(q_mu), _f64(q_logvar), reduction="none")  # tinygen's one KL
        return kl.numpy().sum(-1)

    def elbo(self, x, q_mu, q_logvar):
        """ELBO(q) = E_q[log p(x|z)] − KL(q ‖ p(z)), in closed form, of shape (...)."""
        return self.expected_log_likelihood(x, q_mu, q_logvar) - self.kl_to_prior(q_mu, q_logvar)

    def kl_to_posterior(self, x, q_mu, q_logvar):
        """KL(q ‖ p(z|x)) between the diagonal q and the full-covariance posterior.

        For q = N(m, S), p = N(m_p, Σ_p) in K dimensions,

            KL = ½ [tr(Σ_p⁻¹ S) + (m_p − m)ᵀ Σ_p⁻¹ (m_p − m) − K + log det Σ_p − log det S]

        with Σ_p⁻¹ = M / σ² here. Shapes: x (..., D), q_mu and q_logvar (..., K) → (...).
        """
        x, m, lv = self._x(x), _f64(q_mu), _f64(q_logvar)
        mp, cov = self.posterior(x)
        P = np.linalg.inv(cov)
        d = mp - m
        quad = np.einsum("...i,ij,...j->...", d, P, d)
        trace = (np.diag(P) * np.exp(lv)).sum(-1)
        _, logdet_p = np.linalg.slogdet(cov)
        return 0.5 * (trace + quad - self.n_latent + logdet_p - lv.sum(-1))

    def posterior_diagonal(self, x):
        """The q of the exact posterior's mean and marginal variances (exact iff M is diagonal).

        Returns (q_mu, q_logvar) of shapes (..., n_latent).
        """
        mean, cov = self.posterior(x)
        return mean, np.broadcast_to(np.log(np.diag(cov)), mean.shape).copy()

    def iwae_bound(self, x, q_mu, q_logvar, k, n_replicates=1, random_state=None):
        """Monte Carlo draws of the importance-weighted bound with proposal q.

            L_k = log (1/k) Σᵢ p(x, zᵢ) / q(zᵢ|x),    zᵢ ~ q

        E[L_1] = ELBO ≤ E[L_k] ≤ E[L_{k+1}] ≤ log p(x), and L_k → log p(x) as k → ∞.

        Parameters
        ----------
        x : array_like of shape (n_visible,)
        q_mu, q_logvar : array_like of shape (n_latent,)
        k : int
            Number of importance samples per estimate.
        n_replicates : int
            Independent estimates returned.

        Returns
        -------
        ndarray of shape (n_replicates,)
        """
        rng = as_generator(random_state)
        x, m, lv = self._x(x), _f64(q_mu), _f64(q_logvar)
        s = np.exp(0.5 * lv)
        eps = rng.standard_normal((n_replicates, int(k), self.n_latent))
        z = m + s * eps
        log_q = -0.5 * (self.n_latent * _LOG_2PI + lv.sum(-1) + (eps**2).sum(-1))
        log_w = self.log_joint(x, z) - log_q
        return logsumexp(log_w, axis=1) - np.log(k)

    # ----------------------------------------------------------------- sample
    def sample(self, n, random_state=None, return_latent=False):
        """Draw x = W z + μ + σ ε with z, ε ~ N(0, I).

        Returns x of shape (n, n_visible) (and z of shape (n, n_latent) if asked).
        """
        rng = as_generator(random_state)
        z = rng.standard_normal((n, self.n_latent))
        x = z @ self.W.T + self.mu + self.sigma * rng.standard_normal((n, self.n_visible))
        return (x, z) if return_latent else x

    def __repr__(self):
        return (
            f"LinearGaussian(n_visible={self.n_visible}, n_latent={self.n_latent}, "
            f"sigma={self.sigma:.3g})"
        )
