r"""Scores of generated images through a classifier: classes covered, the class histogram's
KL to uniform, and the Fréchet distance between Gaussians fitted to the classifier's features.

A classifier trained on real labelled images (:class:`~tinygen.models.mnist_classifier.
MNISTClassifier`) labels N generated images and embeds them in its penultimate layer.

* **Classes covered**: the number of classes predicted for at least one of the N images; a
  generator that has collapsed onto a few digits covers few of them.
* **KL of the class histogram to uniform**: with p̂_c the fraction of images labelled c
  among K classes,

      KL(p̂ ‖ u) = Σ_c p̂_c log(p̂_c / (1/K)) = log K − H(p̂),

  0 when every class is predicted equally often, log K when one class takes every image
  (the "mode score" style summary of Che et al., 2017).
* **Fréchet distance** (Heusel et al., 2017, "FID" with the Inception network replaced by
  the small classifier): fit a Gaussian N(μ, Σ) to the features of each image set and
  take the 2-Wasserstein distance between the two Gaussians (Dowson & Landau, 1982),

      d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^{1/2}).

  It sees both the quality of single images (where the features lie) and their variety
  (how they spread). Its estimate from a finite sample is biased upwards, more for fewer
  images, so two figures compare only when computed from the same numbers of images.

The same scores of held-out *real* images are the ceiling a perfect generator reaches
(``benchmarks/bench_gan.py --mnist``; ``lessons/gan.py`` §7).

References
----------
Heusel, M., Ramsauer, H., Unterthiner, T., Nessler, B. & Hochreiter, S. (2017). GANs
    trained by a two time-scale update rule converge to a local Nash equilibrium. NIPS.
Dowson, D. C. & Landau, B. V. (1982). The Fréchet distance between multivariate normal
    distributions. Journal of Multivariate Analysis 12(3), 450-455.
Che, T., Li, Y., Jacob, A. P., Bengio, Y. & Li, W. (2017). Mode regularized generative
    adversarial networks. ICLR.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np

__all__ = [
    "class_histogram",
    "classes_covered",
    "kl_to_uniform",
    "gaussian_fit",
    "frechet_distance",
    "ClassifierScore",
    "classifier_score",
]


def class_histogram(labels, n_classes=10):
    """Counts of each class among integer ``labels`` of shape (n,); int array (n_classes,)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or (labels.size and labels.dtype.kind not in "iu"):
        raise ValueError(f"labels must be a 1-D int array, got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"labels must lie in [0, {n_classes}), got range [{labels.min()}, {labels.max()}]"
        )
    return np.bincount(labels, minlength=n_classes)


def classes_covered(labels, n_classes=10):
    """The number of classes that occur at least once among ``labels`` of shape (n,)."""
    return int((class_histogram(labels, n_classes) > 0).sum())


def kl_to_uniform(counts):
    r"""KL(p̂ ‖ u) = Σ_c p̂_c log(K p̂_c) of the histogram ``counts`` of shape (K,), in nats.

    p̂ = counts / Σ counts and u the uniform distribution on the K classes; terms with
    p̂_c = 0 contribute 0 (the limit of p log p). Between 0 (uniform) and log K (one class).
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0 or (counts < 0).any() or counts.sum() <= 0:
        raise ValueError(
            f"counts must be a 1-D array of non-negative counts with a positive sum, got {counts!r}"
        )
    p = counts / counts.sum()
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] * len(p))))


def gaussian_fit(features):
    """(μ, Σ): the mean of shape (d,) and the covariance of shape (d, d) (n − 1 in the
    denominator) of ``features`` of shape (n_samples, d), in float64."""
    F = np.asarray(features, dtype=np.float64)
    if F.ndim != 2 or len(F) < 2:
        raise ValueError(f"features must have shape (n_samples >= 2, d), got {F.shape}")
    if not np.isfinite(F).all():
        raise ValueError("features contain NaN or infinite values")
    return F.mean(axis=0), np.cov(F, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    r"""The Fréchet (2-Wasserstein) distance² between N(μ₁, Σ₁) and N(μ₂, Σ₂).

    .. math::  d^2 = \lVert \mu_1 - \mu_2 \rVert^2
               + \operatorname{tr}\big(\Sigma_1 + \Sigma_2 - 2 (\Sigma_1 \Sigma_2)^{1/2}\big)

    (Dowson & Landau, 1982; Heusel et al., 2017, eq. 6). (Σ₁Σ₂)^{1/2} is the principal
    square root (``scipy.linalg.sqrtm``); Σ₁Σ₂ is similar to the positive semi-definite
    Σ₁^{1/2} Σ₂ Σ₁^{1/2}, so its root has real non-negative eigenvalues and any imaginary
    part is rounding. When the product is singular enough for the root to fail, ε I is
    added to both covariances (as the reference implementation of Heusel et al. does).

    Parameters
    ----------
    mu1, mu2 : arrays of shape (d,)
    sigma1, sigma2 : arrays of shape (d, d), symmetric positive semi-definite
    eps : float
        The diagonal offset used only when the square root is not finite.

    Returns
    -------
    float, ≥ 0 up to rounding

    References
    ----------
    Heusel et al. (2017); Dowson & Landau (1982).
    """
    from scipy import linalg

    mu1, mu2 = (
        np.atleast_1d(np.asarray(mu1, np.float64)),
        np.atleast_1d(np.asarray(mu2, np.float64)),
    )
    s1, s2 = (
        np.atleast_2d(np.asarray(sigma1, np.float64)),
        np.atleast_2d(np.asarray(sigma2, np.float64)),
    )
    d = mu1.shape[0]
    if mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(
            f"frechet_distance: means of shape (d,) and covariances (d, d) with one d, got "
            f"{mu1.shape}, {s1.shape}, {mu2.shape}, {s2.shape}"
        )
    with warnings.catch_warnings():
        # a singular product (e.g. a feature that is 0 on every image) makes sqrtm warn;
        # its root is still accurate unless it comes out non-finite, handled below
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(s1 @ s2)
        if not np.isfinite(root).all():
            offset = eps * np.eye(d)
            root = linalg.sqrtm((s1 + offset) @ (s2 + offset))
    root = np.real(root)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(root))


@dataclass
class ClassifierScore:
    """The classifier's view of one set of images.

    n : int, images scored; classes_covered : int; kl_uniform : float, KL(p̂ ‖ u) in nats;
    frechet : float, Fréchet distance to the reference features (None without them);
    counts : list of int, images per predicted class.
    """

    n: int
    classes_covered: int
    kl_uniform: float
    frechet: float | None
    counts: list

    def as_dict(self):
        return asdict(self)


def classifier_score(classifier, images, reference=None, batch_size=500):
    """Classes covered, KL to uniform and (given ``reference``) the Fréchet distance.

    Parameters
    ----------
    classifier : object with ``predict_and_features(images, batch_size)`` returning
        (labels of shape (n,), features of shape (n, d)), e.g.
        :class:`~tinygen.models.mnist_classifier.MNISTClassifier`
    images : array of shape (n, 1, 28, 28) (or what the classifier takes)
    reference : (μ, Σ) of the reference set's features (:func:`gaussian_fit`), or None

    Returns
    -------
    ClassifierScore
    """
    labels, feats = classifier.predict_and_features(images, batch_size=batch_size)
    k = int(classifier.n_classes)
    counts = class_histogram(labels, k)
    fd = None
    if reference is not None:
        mu, sigma = gaussian_fit(feats)
        fd = frechet_distance(mu, sigma, *reference)
    return ClassifierScore(
        n=int(len(labels)),
        classes_covered=int((counts > 0).sum()),
        kl_uniform=kl_to_uniform(counts),
        frechet=fd,
        counts=[int(c) for c in counts],
    )
