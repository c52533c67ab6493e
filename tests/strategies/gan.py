"""Hypothesis strategies for the GAN's derivations (float64).

* :func:`distributions` — a probability vector on K points, every entry ≥ ``min_mass``;
* :func:`distribution_pairs` — (p_data, p_g) on the same K points;
* :func:`logits` — discriminator logits a of shape (n,), including very confident ones.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = ["distributions", "distribution_pairs", "logits"]


def _normalise(w, min_mass):
    w = np.asarray(w, dtype=np.float64)
    p = w / w.sum()
    K = len(p)
    return min_mass + (1.0 - K * min_mass) * p  # every entry ≥ min_mass, sum 1


def distributions(K, min_mass=1e-3):
    """Probability vectors of shape (K,) with every entry ≥ ``min_mass`` (K·min_mass < 1)."""
    w = hnp.arrays(np.float64, (K,), elements=st.floats(0.0, 1.0, allow_nan=False))
    return w.filter(lambda a: a.sum() > 1e-6).map(lambda a: _normalise(a, min_mass))


@st.composite
def distribution_pairs(draw, min_support=2, max_support=8, min_mass=1e-3):
    """(p_data, p_g): two probability vectors on the same K ∈ [min_support, max_support] points."""
    K = draw(st.integers(min_support, max_support))
    return draw(distributions(K, min_mass)), draw(distributions(K, min_mass))


def logits(max_size=16, bound=40.0):
    """Discriminator logits of shape (n,), n ∈ [1, max_size], entries in [−bound, bound]."""
    return st.integers(1, max_size).flatmap(
        lambda n: hnp.arrays(
            np.float64,
            (n,),
            elements=st.floats(-bound, bound, allow_nan=False, allow_infinity=False),
        )
    )
