"""The GAN's derivations, checked for random distributions and logits (float64).

Lesson: ``lessons/gan.py`` §1-§3. Each test is one line of the derivation: the optimal
discriminator (Goodfellow et al., 2014, Proposition 1), the value at the optimum
(Theorem 1), the two generator losses' gradients (the saturation argument) and the
losses' binary cross-entropy forms.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.special import expit

from tests.strategies.gan import distribution_pairs, logits
from tinygen import Tensor
from tinygen import functional as F
from tinygen.models.gan import discriminator_loss, generator_loss
from tinygen.models.gan_theory import (
    jensen_shannon,
    kl_divergence,
    optimal_discriminator,
    packed,
    value,
)

LOG4 = math.log(4.0)


# ------------------------------------------------------------ the optimal discriminator
@given(distribution_pairs(), st.integers(0, 2**32 - 1))
def test_no_discriminator_beats_the_optimal_one(pair, seed):
    p, q = pair
    d_star = optimal_discriminator(p, q)
    best = value(p, q, d_star)
    rng = np.random.default_rng(seed)
    for D in (
        rng.uniform(1e-6, 1 - 1e-6, size=(200, len(p))),  # random tables
        np.clip(d_star + rng.normal(0, 1e-3, size=(50, len(p))), 1e-9, 1 - 1e-9),  # near D*
    ):
        values = np.array([value(p, q, d) for d in D])
        assert np.all(values <= best + 1e-12)


@given(distribution_pairs(max_support=6))
def test_the_optimum_is_stationary_and_each_term_concave(pair):
    p, q = pair
    d = optimal_discriminator(p, q)
    # ∂V/∂Dᵢ = pᵢ/Dᵢ − qᵢ/(1 − Dᵢ) = 0 and ∂²V/∂Dᵢ² < 0
    np.testing.assert_allclose(p / d - q / (1 - d), 0.0, atol=1e-9)
    assert np.all(-p / d**2 - q / (1 - d) ** 2 < 0)


@settings(max_examples=10)
@given(distribution_pairs(max_support=4, min_mass=0.05))
def test_gradient_ascent_on_a_table_discriminator_converges_to_d_star(pair):
    """Train a table of logits a by the library's softplus loss, weighted by p_data and p_g;
    σ(a) reaches p_data / (p_data + p_g)."""
    p, q = pair
    a = Tensor(np.zeros(len(p)), requires_grad=True)
    P, Q = Tensor(p), Tensor(q)
    lr = 4.0 / (p + q).max()  # the curvature in aᵢ is (pᵢ + qᵢ) σ(1 − σ) ≤ (pᵢ + qᵢ)/4
    for _ in range(2500):
        # −V(σ(a), G) = Σ p softplus(−a) + Σ q softplus(a): discriminator_loss with the
        # means replaced by expectations under p_data and p_g
        loss = (P * F.softplus(-a)).sum() + (Q * F.softplus(a)).sum()
        a.grad = None
        loss.backward()
        a.data -= lr * a.grad
    np.testing.assert_allclose(expit(a.data), optimal_discriminator(p, q), atol=1e-5)


# ---------------------------------------------------------------- V(D*, G) and the JSD
@given(distribution_pairs())
def test_value_at_the_optimum_is_minus_log4_plus_twice_the_jsd(pair):
    p, q = pair
    v = value(p, q, optimal_discriminator(p, q))
    jsd_scipy = jensenshannon(p, q) ** 2  # scipy returns the square root, in nats
    np.testing.assert_allclose(jensen_shannon(p, q), jsd_scipy, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(v, -LOG4 + 2 * jsd_scipy, rtol=1e-9, atol=1e-12)
    m = 0.5 * (p + q)
    np.testing.assert_allclose(v, kl_divergence(p, m) + kl_divergence(q, m) - LOG4, atol=1e-12)


@given(distribution_pairs())
def test_the_value_is_at_least_minus_log4_with_equality_iff_pg_is_pdata(pair):
    p, q = pair
    v = value(p, q, optimal_discriminator(p, q))
    assert v >= -LOG4 - 1e-12
    assert np.isclose(value(p, p, optimal_discriminator(p, p)), -LOG4, atol=1e-12)
    assert np.allclose(optimal_discriminator(p, p), 0.5)
    if np.abs(p - q).sum() > 1e-3:  # p_g ≠ p_data: strictly above (JSD > 0)
        assert v > -LOG4 + 1e-9
    assert jensen_shannon(p, q) <= math.log(2) + 1e-12


def test_disjoint_supports_give_the_maximum_jsd():
    p, q = np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.0, 0.3, 0.7])
    d = optimal_discriminator(p, q)
    np.testing.assert_array_equal(d, [1, 1, 0, 0])
    np.testing.assert_allclose(value(p, q, d), 0.0, atol=1e-15)  # −log 4 + 2 log 2
    np.testing.assert_allclose(jensen_shannon(p, q), math.log(2))


# ------------------------------------------------------------------- saturation
def _grad_wrt_logits(a, objective):
    t = Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
    generator_loss(t, objective).backward()
    return t.grad


@given(logits())
def test_generator_loss_gradients_wrt_the_logit(a):
    n = len(a)
    s = expit(a)
    g_mm, g_ns = _grad_wrt_logits(a, "minimax"), _grad_wrt_logits(a, "non_saturating")
    # d/da log(1 − σ(a)) = −σ(a);   d/da [−log σ(a)] = −(1 − σ(a))   (means over n)
    # (softplus's backward is accurate to ~1e-16 absolute, not relative, far in the tails)
    np.testing.assert_allclose(g_mm, -s / n, rtol=1e-7, atol=1e-15)
    np.testing.assert_allclose(g_ns, -expit(-a) / n, rtol=1e-7, atol=1e-15)  # 1 − σ(a) = σ(−a)
    # both push every logit up (towards "real"), by at most 1/n
    assert np.all(g_mm <= 0) and np.all(g_ns <= 0)
    assert np.all(np.abs(g_mm) <= 1 / n) and np.all(np.abs(g_ns) <= 1 / n)
    # where D rejects the sample (D(G(z)) ≤ ½) the non-saturating gradient is the larger,
    # and at least half its largest value
    rejected = a <= 0
    assert np.all(np.abs(g_ns[rejected]) >= np.abs(g_mm[rejected]))
    assert np.all(np.abs(g_ns[rejected]) >= 0.5 / n)


@given(st.floats(-40.0, -5.0))
def test_minimax_gradient_vanishes_as_d_rejects_the_samples(a):
    """As D(G(z)) = σ(a) → 0 the minimax gradient is σ(a) ≈ D(G(z)) → 0, the
    non-saturating one tends to 1."""
    g_mm = abs(_grad_wrt_logits([a], "minimax")[0])
    g_ns = abs(_grad_wrt_logits([a], "non_saturating")[0])
    d = expit(a)
    assert g_mm <= d * (1 + 1e-7) + 1e-15 and g_mm < 7e-3
    assert g_ns >= (1 - d) * (1 - 1e-7) and g_ns > 0.993
    # and e¹⁰ ≈ 22000 times smaller still, ten units further into the rejected region
    assert abs(_grad_wrt_logits([a - 10], "minimax")[0]) <= g_mm * 1e-4 + 1e-15


# -------------------------------------------------------------- the BCE forms
@given(logits(bound=15.0), logits(bound=15.0))
def test_losses_equal_their_bce_and_log_forms(a_real, a_fake):
    r, f = Tensor(a_real), Tensor(a_fake)
    bce = F.binary_cross_entropy_with_logits
    ld = discriminator_loss(r, f).item()
    np.testing.assert_allclose(
        ld, bce(r, np.ones_like(a_real)).item() + bce(f, np.zeros_like(a_fake)).item(), rtol=1e-12
    )
    naive = -(np.log(expit(a_real)).mean() + np.log(expit(-a_fake)).mean())  # −V; 1 − σ(a) = σ(−a)
    np.testing.assert_allclose(ld, naive, rtol=1e-9)
    ns, mm = generator_loss(f, "non_saturating").item(), generator_loss(f, "minimax").item()
    np.testing.assert_allclose(ns, bce(f, np.ones_like(a_fake)).item(), rtol=1e-12)
    np.testing.assert_allclose(ns, -np.log(expit(a_fake)).mean(), rtol=1e-9)
    np.testing.assert_allclose(mm, -bce(f, np.zeros_like(a_fake)).item(), rtol=1e-12)
    np.testing.assert_allclose(mm, np.log(expit(-a_fake)).mean(), rtol=1e-9)


def test_losses_are_finite_for_extreme_logits():
    for dtype in (np.float32, np.float64):
        a = Tensor(np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=dtype))
        for v in (
            discriminator_loss(a, a).item(),
            generator_loss(a, "minimax").item(),
            generator_loss(a, "non_saturating").item(),
        ):
            assert math.isfinite(v)
        # softplus(−a) = [1e4, 50, log 2, ~0, 0]: softplus(1e4) is 1e4, not inf
        np.testing.assert_allclose(
            generator_loss(a, "non_saturating").item(), (1e4 + 50 + math.log(2)) / 5, rtol=1e-6
        )


def test_unknown_objective_is_rejected():
    import pytest

    with pytest.raises(ValueError, match="minimax"):
        generator_loss(Tensor(np.zeros(3)), "wasserstein")
    with pytest.raises(ValueError, match="probability vector"):
        value([0.5, 0.6], [0.5, 0.5], [0.5, 0.5])


# ------------------------------------------------------------------- packing (PacGAN)
@given(distribution_pairs(max_support=5))
@settings(max_examples=40)
def test_a_packed_discriminator_plays_the_game_of_the_product_distributions(pair):
    """pᵐ is a distribution whose every one-sample marginal is p; the packed game's optimum
    is −log 4 + 2·JSD(pᵐ ‖ qᵐ), and that JSD grows with m (strictly when p ≠ q)."""
    p, q = pair
    jsd = []
    for m in (1, 2, 3):
        pm, qm = packed(p, m), packed(q, m)
        assert pm.shape == (len(p) ** m,) and math.isclose(pm.sum(), 1.0, abs_tol=1e-12)
        table = pm.reshape((len(p),) * m)
        for axis in range(m):  # the marginal of each sample in the pack is p
            others = tuple(a for a in range(m) if a != axis)
            np.testing.assert_allclose(table.sum(axis=others), p, atol=1e-12)
        v = value(pm, qm, optimal_discriminator(pm, qm))
        assert math.isclose(v, -LOG4 + 2 * jensen_shannon(pm, qm), abs_tol=1e-9)
        jsd.append(jensen_shannon(pm, qm))
    gap = jensen_shannon(p, q)
    assert jsd[0] <= jsd[1] + 1e-12 <= jsd[2] + 2e-12
    if gap > 1e-6:
        assert jsd[1] > jsd[0] and jsd[2] > jsd[1]
    assert jsd[2] <= math.log(2) + 1e-12


def test_packing_magnifies_a_dropped_mode():
    """Lin et al. (2018)'s point: p_g that drops a mode of mass ε looks nearly right to one
    sample but wrong to a pack. On two modes of mass ½, a q = (1 − ε, ε) has JSD growing
    with m towards log 2."""
    p = np.array([0.5, 0.5])
    q = np.array([0.95, 0.05])
    jsd = [jensen_shannon(packed(p, m), packed(q, m)) for m in (1, 2, 4, 8)]
    assert all(b > a for a, b in zip(jsd, jsd[1:]))
    assert jsd[-1] > 2.5 * jsd[0]
    with pytest.raises(ValueError, match="m"):
        packed(p, 0)
