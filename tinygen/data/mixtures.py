r"""2-D Gaussian mixtures with known modes: the test bed for mode collapse in GANs.

``ring``: ``n_modes`` isotropic Gaussians with centres equally spaced on a circle;
``grid``: ``side x side`` Gaussians on a square lattice centred on the origin. Each point
picks a mode uniformly at random, :math:`k \sim U\{0..K-1\}`, then
:math:`x = \mu_k + \sigma \varepsilon`, :math:`\varepsilon \sim N(0, I_2)`. Because the
centres are returned too, a model's samples can be scored by how many modes they reach
and how close they fall.

References
----------
.. [1] L. Metz, B. Poole, D. Pfau and J. Sohl-Dickstein, "Unrolled generative adversarial
   networks", ICLR 2017 (the ring of 8 Gaussians).
.. [2] A. Srivastava, L. Valkov, C. Russell, M. U. Gutmann and C. Sutton, "VEEGAN:
   reducing mode collapse in GANs using implicit variational learning", NIPS 2017 (the
   5 x 5 grid).
"""

from __future__ import annotations

import numpy as np

from ..rng import as_generator

__all__ = ["ring", "grid", "sample_mixture"]


def _check(n_samples, std):
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise ValueError(f"n_samples must be an integer >= 0, got {n_samples!r}")
    if n_samples < 0:
        raise ValueError(f"n_samples must be >= 0, got {n_samples}")
    if not std >= 0:
        raise ValueError(f"std must be >= 0, got {std!r}")


def sample_mixture(centres: np.ndarray, n_samples: int, std: float, random_state=None):
    """Draw ``n_samples`` points from the equal-weight mixture of N(centre_k, std^2 I).

    Returns
    -------
    points : numpy.ndarray of shape (n_samples, 2), float32
    """
    _check(n_samples, std)
    rng = as_generator(random_state)
    k = rng.integers(0, len(centres), size=n_samples)
    eps = rng.standard_normal((n_samples, centres.shape[1]))
    return (centres[k] + std * eps).astype(np.float32)


def ring(n_samples=1000, n_modes=8, radius=1.0, std=0.01, random_state=None):
    """Mixture of ``n_modes`` Gaussians on a circle.

    Centres :math:`\\mu_k = r(\\cos 2\\pi k/K, \\sin 2\\pi k/K)`, :math:`k = 0..K-1`.

    Parameters
    ----------
    n_samples : int
    n_modes : int
        K, at least 1.
    radius : float
        r, the circle's radius.
    std : float
        Standard deviation of each component.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    points : numpy.ndarray of shape (n_samples, 2), float32
    centres : numpy.ndarray of shape (n_modes, 2), float32
    """
    if isinstance(n_modes, bool) or not isinstance(n_modes, (int, np.integer)) or n_modes < 1:
        raise ValueError(f"n_modes must be an integer >= 1, got {n_modes!r}")
    theta = 2 * np.pi * np.arange(n_modes) / n_modes
    centres = radius * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    points = sample_mixture(centres, n_samples, std, random_state)
    return points, centres.astype(np.float32)


def grid(n_samples=1000, side=5, spacing=2.0, std=0.05, random_state=None):
    """Mixture of ``side**2`` Gaussians on a square lattice centred on the origin.

    Centres :math:`\\mu_{ij} = s\\,(i - (m-1)/2,\\ j - (m-1)/2)` for :math:`i, j = 0..m-1`,
    with m = ``side`` and s = ``spacing``.

    Returns
    -------
    points : numpy.ndarray of shape (n_samples, 2), float32
    centres : numpy.ndarray of shape (side**2, 2), float32
    """
    if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or side < 1:
        raise ValueError(f"side must be an integer >= 1, got {side!r}")
    ticks = spacing * (np.arange(side) - (side - 1) / 2)
    gx, gy = np.meshgrid(ticks, ticks, indexing="ij")
    centres = np.stack([gx.ravel(), gy.ravel()], axis=1)
    points = sample_mixture(centres, n_samples, std, random_state)
    return points, centres.astype(np.float32)
