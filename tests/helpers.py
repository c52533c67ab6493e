"""Small data makers shared by several test modules (not tests themselves)."""

from __future__ import annotations

import numpy as np
from scipy import stats


def noisy_prototypes(n, n_prototypes, dim, seed=0, flip=0.05):
    """``n`` noisy copies of ``n_prototypes`` random binary prototypes in ``dim`` dimensions.

    Each row is a prototype drawn uniformly, with each bit flipped with probability
    ``flip``. Returns ``(x, y)``: x of shape (n, dim), float32 in {0, 1}; y of shape (n,),
    the prototype indices.
    """
    rng = np.random.default_rng(seed)
    protos = (rng.random((n_prototypes, dim)) < 0.5).astype(np.float32)
    y = rng.integers(0, n_prototypes, n)
    x = protos[y]
    flipped = rng.random(x.shape) < flip
    return np.where(flipped, 1 - x, x).astype(np.float32), y


def chi2_pvalue(counts, p):
    """p-value of Pearson's χ² of ``counts`` against probabilities ``p``, with every cell
    expected below 5 lumped together (and the lump, if still below 5, into the smallest
    other cell); 1.0 when fewer than two cells remain."""
    n = counts.sum()
    expected = n * p / p.sum()
    big = expected >= 5
    if big.sum() < 1:
        return 1.0
    obs, exp = list(counts[big]), list(expected[big])
    lump_o, lump_e = counts[~big].sum(), expected[~big].sum()
    if lump_e >= 5:
        obs.append(lump_o)
        exp.append(lump_e)
    elif (~big).any():
        j = int(np.argmin(exp))
        obs[j] += lump_o
        exp[j] += lump_e
    if len(obs) < 2:
        return 1.0
    return stats.chisquare(np.array(obs, float), np.array(exp, float)).pvalue


def dependence(model, images):
    """Δ[b, j, i] = |ℓ_i(x_b with pixel j flipped) − ℓ_i(x_b)| for every base image b."""
    n, D = images.shape
    flips = np.repeat(images[:, None], D + 1, axis=1)  # (n, D + 1, D); [:, 0] unflipped
    idx = np.arange(D)
    flips[:, idx + 1, idx] = 1 - flips[:, idx + 1, idx]
    L = model.conditional_logits(flips.reshape(-1, D)).numpy().reshape(n, D + 1, D)
    return np.abs(L[:, 1:] - L[:, :1])


def positive(model):
    """The model with |w| for every weight and bias: on inputs ≥ 0 every pre-activation is
    then ≥ 0, no ReLU is ever inactive, and ℓ is affine in x with non-negative coefficients,
    positive exactly where a path of non-zero (unmasked) kernel entries connects pixel j to
    pixel i (so the structural receptive field is what the logits show)."""
    for p in model.parameters():
        p.data[...] = np.abs(p.data)
    return model


def logits_of_weight(model, layer, x):
    """w ↦ model.logits(x) with ``layer``'s weight replaced by w, for ``check_grads``
    (the parameter is swapped in the instance dict and put back after each call)."""
    from tinygen import Tensor

    def logits(w):
        saved = layer.__dict__["weight"]
        layer.__dict__["weight"] = w
        try:
            return model.logits(Tensor(x))
        finally:
            layer.__dict__["weight"] = saved

    return logits
