r"""The GAN game on a finite support, where every quantity has a closed form.

With data and model distributions p_data, p_g over K points and a discriminator given as a
table D ∈ (0, 1)^K, the value of the game (Goodfellow et al., 2014, eq. 1) is

    V(D, G) = Σᵢ p_data,ᵢ log Dᵢ + Σᵢ p_g,ᵢ log(1 − Dᵢ).

Each term is a ↦ p log a + q log(1 − a), maximised at a = p / (p + q), so

    D*ᵢ = p_data,ᵢ / (p_data,ᵢ + p_g,ᵢ)                          (Proposition 1)

and, substituting, with m = ½(p_data + p_g),

    V(D*, G) = KL(p_data ‖ m) + KL(p_g ‖ m) − log 4 = −log 4 + 2·JSD(p_data ‖ p_g)  (Theorem 1)

which is ≥ −log 4, with equality iff p_g = p_data. ``lessons/gan.py`` §2 derives both and
checks them with these functions; ``tests/models/test_gan_theory.py`` checks them for random
distributions.

A packed discriminator (PacGAN; Lin et al., 2018) judges m samples at once, so it plays the
same game between the product distributions p_dataᵐ and p_gᵐ (:func:`packed`) over the Kᵐ
possible packs; its optimum is −log 4 + 2·JSD(p_dataᵐ ‖ p_gᵐ), and JSD(pᵐ ‖ qᵐ) grows with m
(the first m − 1 samples of a pack are a function of the pack: the data-processing
inequality), so packing sharpens D's view of a mismatch (``lessons/gan.py`` §9).

References
----------
Goodfellow, I. et al. (2014). Generative adversarial nets. NIPS, §4.1.
Lin, J. (1991). Divergence measures based on the Shannon entropy. IEEE Trans. Inf. Theory
    37(1), 145-151 (the Jensen-Shannon divergence).
Lin, Z., Khetan, A., Fanti, G. & Oh, S. (2018). PacGAN: the power of two samples in
    generative adversarial networks. NeurIPS.
"""

from __future__ import annotations

import numpy as np

__all__ = ["value", "optimal_discriminator", "kl_divergence", "jensen_shannon", "packed"]


def _probs(p, name):
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or np.any(p < 0) or not np.isclose(p.sum(), 1.0, atol=1e-9):
        raise ValueError(f"{name} must be a probability vector (non-negative, summing to 1)")
    return p


def value(p_data, p_g, D):
    """V(D, G) = Σ p_data log D + Σ p_g log(1 − D) for a table D of shape (K,) (float64).

    Terms with zero probability contribute 0 (the convention 0 · log 0 = 0).
    """
    p, q = _probs(p_data, "p_data"), _probs(p_g, "p_g")
    D = np.asarray(D, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.log(D), 0.0)
        b = np.where(q > 0, q * np.log1p(-D), 0.0)
    return float(a.sum() + b.sum())


def optimal_discriminator(p_data, p_g):
    """D* = p_data / (p_data + p_g), of shape (K,); ½ where both are 0 (any D is optimal)."""
    p, q = _probs(p_data, "p_data"), _probs(p_g, "p_g")
    s = p + q
    return np.divide(p, s, out=np.full_like(p, 0.5), where=s > 0)


def kl_divergence(p, q):
    """KL(p ‖ q) = Σ p log(p / q) in nats (inf where q = 0 < p)."""
    p, q = _probs(p, "p"), _probs(q, "q")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return float(terms.sum())


def jensen_shannon(p, q):
    """JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = ½(p + q), in nats; 0 ≤ JSD ≤ log 2."""
    p, q = _probs(p, "p"), _probs(q, "q")
    m = 0.5 * (p + q)
    return 0.5 * kl_divergence(p, m) + 0.5 * kl_divergence(q, m)


def packed(p, m):
    """pᵐ: the distribution of a pack of m independent draws from p, of shape (Kᵐ,).

    Entry (i₁, …, i_m), flattened in C order, is p_{i₁} ⋯ p_{i_m}: the m-fold outer product.
    """
    p = _probs(p, "p")
    if int(m) < 1:
        raise ValueError(f"m (samples per pack) must be >= 1, got {m}")
    out = p
    for _ in range(int(m) - 1):
        out = np.multiply.outer(out, p).ravel()
    return out
