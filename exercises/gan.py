# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Graded exercises: generative adversarial networks
#
# Companion to the lesson `gan` (`tinygen lesson gan`). The discriminator D(x) ∈ (0, 1) is
# the probability that x came from the data; it is computed from a logit, D = σ(a). The
# generator G and the discriminator play the minimax game
#
#     min_G max_D V(D, G),   V(D, G) = E_{x~p_data} log D(x) + E_{z~p_z} log(1 − D(G(z))).
#
# On a discrete support of K points, p_data and p_g are probability vectors of shape (K,)
# and D is a table of K numbers. The grader checks your functions against the derivations
# of the lesson (the optimal discriminator, the Jensen-Shannon identity, the saturation of
# the minimax generator loss) on inputs hypothesis chooses.

# %%
import numpy as np

# %% grader="*"
import hypothesis.strategies as st
from hypothesis import given
from hypothesis.extra import numpy as hnp

from tinygen.exercises.checks import assert_close
from tinygen.models import gan_theory
from tinygen.numerics import softplus


@st.composite
def _distribution(draw, K, label):
    """A probability vector of shape (K,); some entries may be exactly 0."""
    w = draw(hnp.arrays(np.float64, (K,), elements=st.floats(0.0, 1.0)), label=label)
    w[w < 1e-3] = 0.0  # no vanishing masses: log(1e-300) is a test of float64, not of you
    if w.sum() == 0:
        w[draw(st.integers(0, K - 1))] = 1.0
    return w / w.sum()


@st.composite
def _two_distributions(draw, max_support=6):
    """(p_data, p_g) on a common support of 2..max_support points."""
    K = draw(st.integers(2, max_support), label="K")
    return draw(_distribution(K, "p_data")), draw(_distribution(K, "p_g"))




_logits = st.floats(-30.0, 30.0, allow_nan=False)


def _logit_arrays(max_side=5):
    return hnp.arrays(np.float64, st.integers(1, max_side), elements=_logits)


# %% [markdown]
# ## 1. The optimal discriminator (2 points)
#
# For a fixed generator, V is a sum over the support of p_data(x) log D(x) + p_g(x)
# log(1 − D(x)); each term is maximised separately (lesson §2), at
#
#     D*(x) = p_data(x) / (p_data(x) + p_g(x)).
#
# Write `optimal_discriminator(p_data, p_g)` returning D* of shape (K,). Where
# p_data(x) = p_g(x) = 0 every D(x) is optimal: return ½ there.

# %% exercise="optimal_discriminator" points=2
def optimal_discriminator(p_data, p_g):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), ½ where both are 0; shape (K,)."""
    ### BEGIN SOLUTION
    total = p_data + p_g
    D = np.full(total.shape, 0.5)
    seen = total > 0
    D[seen] = p_data[seen] / total[seen]
    return D
    ### END SOLUTION


# %% grader="optimal_discriminator"
@given(pq=_two_distributions())
def is_p_data_over_p_data_plus_p_g(pq):
    """D* equals p_data / (p_data + p_g) (½ where both are 0)."""
    p, q = pq
    assert_close(student.optimal_discriminator(p, q), gan_theory.optimal_discriminator(p, q), "D*")


@given(pq=_two_distributions(), data=st.data())
def no_other_discriminator_does_better(pq, data):
    """V(D*, G) ≥ V(D, G) for any table D with entries in (0, 1)."""
    p, q = pq
    D_star = np.asarray(student.optimal_discriminator(p, q), dtype=np.float64)
    assert np.all((D_star >= 0) & (D_star <= 1)), f"D* must lie in [0, 1], got {D_star.tolist()}"
    D = data.draw(
        hnp.arrays(np.float64, p.shape, elements=st.floats(0.001, 0.999)), label="another D"
    )
    best, other = gan_theory.value(p, q, D_star), gan_theory.value(p, q, D)
    assert best >= other - 1e-9, (
        f"V(your D*, G) = {best:.6f} but the table D = {np.round(D, 4).tolist()} "
        f"reaches V = {other:.6f}: your D* is not the maximiser"
    )


# %% [markdown]
# ## 2. The Jensen-Shannon divergence (2 points)
#
# Put D* back into V (lesson §2):  V(D*, G) = −log 4 + 2·JSD(p_data ‖ p_g),  with
#
#     JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m),   m = ½ (p + q),   KL(p ‖ m) = Σ p log(p / m).
#
# Write `js_divergence(p, q)` for two probability vectors of shape (K,), returning one
# number in nats. A term with p(x) = 0 contributes 0 (the limit of p log p).

# %% exercise="js_divergence" points=2
def js_divergence(p, q):
    """½ KL(p ‖ m) + ½ KL(q ‖ m) with m = ½ (p + q), in nats; 0 · log 0 = 0."""
    ### BEGIN SOLUTION
    m = 0.5 * (p + q)

    def kl_to_m(a):
        support = a > 0
        return np.sum(a[support] * np.log(a[support] / m[support]))

    return float(0.5 * kl_to_m(p) + 0.5 * kl_to_m(q))
    ### END SOLUTION


# %% grader="js_divergence"
@given(pq=_two_distributions())
def gives_the_value_of_the_game_at_d_star(pq):
    """−log 4 + 2·JSD(p_data ‖ p_g) equals V(D*, G) computed from the table D*."""
    p, q = pq
    jsd = float(student.js_divergence(p, q))
    v = gan_theory.value(p, q, gan_theory.optimal_discriminator(p, q))
    assert np.isclose(-np.log(4) + 2 * jsd, v, atol=1e-9), (
        f"−log 4 + 2·JSD = {-np.log(4) + 2 * jsd:.6f} but V(D*, G) = {v:.6f} "
        f"(your JSD {jsd:.6f}, the true one {gan_theory.jensen_shannon(p, q):.6f})"
    )


@given(pq=_two_distributions())
def is_symmetric_and_between_0_and_log_2(pq):
    """JSD(p ‖ q) = JSD(q ‖ p), 0 ≤ JSD ≤ log 2, and JSD(p ‖ p) = 0."""
    p, q = pq
    a, b = float(student.js_divergence(p, q)), float(student.js_divergence(q, p))
    assert np.isclose(a, b, atol=1e-12), f"JSD(p‖q) = {a:.6f} but JSD(q‖p) = {b:.6f}"
    assert -1e-12 <= a <= np.log(2) + 1e-12, f"JSD = {a:.6f} lies outside [0, log 2]"
    same = float(student.js_divergence(p, p))
    assert abs(same) < 1e-12, f"JSD(p ‖ p) = {same} (should be 0)"


# %% [markdown]
# ## 3. The discriminator's loss from logits (2 points)
#
# D maximises V, i.e. minimises the binary cross-entropy with label 1 on data and 0 on
# samples. With D = σ(a), log σ(a) = −softplus(−a) and log(1 − σ(a)) = −softplus(a), so
#
#     L_D = mean softplus(−a_real) + mean softplus(a_fake),   softplus(t) = log(1 + eᵗ).
#
# Write `discriminator_loss(real_logits, fake_logits)` (arrays of shape (n_real,) and
# (n_fake,)) returning one number. It must stay finite for logits as large as ±1000
# (`np.logaddexp(0, t)` computes softplus(t) without overflow).

# %% exercise="discriminator_loss" points=2
def discriminator_loss(real_logits, fake_logits):
    """mean softplus(−a_real) + mean softplus(a_fake), stable for large |a|."""
    ### BEGIN SOLUTION
    return float(np.mean(np.logaddexp(0, -real_logits)) + np.mean(np.logaddexp(0, fake_logits)))
    ### END SOLUTION


# %% grader="discriminator_loss"
def _bce(real, fake):
    """−[mean log D(x) + mean log(1 − D(G(z)))] with D = σ(a), straight from the definition."""
    d_real, d_fake = 1 / (1 + np.exp(-real)), 1 / (1 + np.exp(-fake))
    return -(np.mean(np.log(d_real)) + np.mean(np.log(1 - d_fake)))


@given(real=_logit_arrays(), fake=_logit_arrays())
def equals_the_binary_cross_entropy(real, fake):
    """L_D equals −[mean log σ(a_real) + mean log(1 − σ(a_fake))] for moderate logits."""
    real, fake = np.clip(real, -15, 15), np.clip(fake, -15, 15)
    got = float(student.discriminator_loss(real, fake))
    want = _bce(real, fake)
    assert np.isclose(got, want, rtol=1e-9, atol=1e-9), (
        f"L_D = {got:.6f}, but the cross-entropy of labels 1 (data) and 0 (samples) is {want:.6f}"
    )


@given(a=st.floats(50.0, 1000.0))
def is_stable_for_confident_discriminators(a):
    """For a confident, right D (a_real = +a, a_fake = −a) L_D ≈ 0; for a wrong one ≈ 2a."""
    right = float(student.discriminator_loss(np.array([a]), np.array([-a])))
    wrong = float(student.discriminator_loss(np.array([-a]), np.array([a])))
    assert np.isfinite(right) and np.isfinite(wrong), (
        f"L_D is not finite at logits ±{a}: write softplus so that it does not overflow"
    )
    assert abs(right) < 1e-12, f"a right, confident D should lose ≈ 0, got {right}"
    assert np.isclose(wrong, 2 * a, rtol=1e-9), f"a wrong, confident D should lose 2·{a}, got {wrong}"


# %% [markdown]
# ## 4. Why the minimax generator loss saturates (2 points)
#
# The generator sees D only through the logit a = a(G(z)). Its two candidate losses are
#
#     minimax:         L = log(1 − σ(a))    (minimised by G),
#     non-saturating:  L = −log σ(a).
#
# Write `generator_grads(a)`: for an array of logits of shape (n,), return the pair
# (∂L_minimax/∂a, ∂L_non_saturating/∂a), each of shape (n,), elementwise. Early in
# training D rejects the samples (a ≪ 0): which of the two still gives the generator a
# gradient (lesson §3)?

# %% exercise="generator_grads" points=2
def generator_grads(a):
    """(∂/∂a log(1 − σ(a)), ∂/∂a (−log σ(a))) = (−σ(a), −(1 − σ(a))), elementwise."""
    ### BEGIN SOLUTION
    s = 0.5 * (1 + np.tanh(0.5 * a))  # σ(a), written without overflow
    return -s, -(1 - s)
    ### END SOLUTION


# %% grader="generator_grads"
def _loss_minimax(a):
    return -softplus(a)  # log(1 − σ(a))


def _loss_non_saturating(a):
    return softplus(-a)  # −log σ(a)


@given(a=_logit_arrays())
def match_finite_differences_of_both_losses(a):
    """Each gradient agrees with central finite differences of its loss."""
    got = student.generator_grads(a)
    assert len(got) == 2, "return the pair (minimax gradient, non-saturating gradient)"
    h = 1e-5
    for g, loss, name in zip(got, (_loss_minimax, _loss_non_saturating), ("minimax", "non-saturating")):
        fd = (loss(a + h) - loss(a - h)) / (2 * h)
        assert_close(g, fd, f"∂L_{name}/∂a at a = {np.round(a, 3).tolist()}", tol=1e-6)


@given(a=st.floats(-30.0, -10.0))
def only_the_minimax_gradient_vanishes_when_d_rejects(a):
    """Where D(G(z)) = σ(a) → 0, ∂L_minimax/∂a → 0 while ∂L_non_saturating/∂a → −1."""
    g_mm, g_ns = (float(np.ravel(g)[0]) for g in student.generator_grads(np.array([a])))
    assert abs(g_mm) < 1e-4, f"at a = {a} the minimax gradient is {g_mm}, it should be ≈ −σ(a) ≈ 0"
    assert abs(g_ns + 1) < 1e-4, f"at a = {a} the non-saturating gradient is {g_ns}, it should be ≈ −1"
