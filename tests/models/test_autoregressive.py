"""Property tests of the fully visible belief networks (FVSBN, NADE) for random parameters:
the chain rule normalises, the conditionals are causal, NADE's running sum is the per-pixel
definition, samples follow the exact distribution, and the NLL's gradients are right."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import chi2_pvalue
from tests.strategies import autoregressive as S
from tinygen import Tensor
from tinygen import functional as F
from tinygen.models._enumerate import all_binary
from tinygen.models.fvsbn import FVSBN, fvsbn_logits
from tinygen.models.nade import nade_logits
from tinygen.testing import check_grads


@given(S.autoregressive_models())
def test_the_chain_rule_normalises(m):
    """Σ over all 2^D binary vectors of p(x) = 1, whatever the parameters."""
    lp = m.log_prob(all_binary(m.n_visible), batch_size=1024)
    assert lp.shape == (2**m.n_visible,) and np.all(lp <= 0)
    np.testing.assert_allclose(np.exp(lp).sum(), 1.0, rtol=1e-10)


@given(
    S.autoregressive_models(min_visible=2).flatmap(
        lambda m: st.tuples(st.just(m), S.binary_batches(m.n_visible), st.integers(0, 2**31 - 1))
    )
)
def test_conditionals_are_causal(case):
    """ℓ_i does not move when any x_j, j ≥ i, changes, and does for some j < i."""
    m, X, seed = case
    rng = np.random.default_rng(seed)
    D = m.n_visible
    base = m.conditional_logits(X).numpy()
    for i in range(D):
        Y = X.copy()
        future = rng.random((len(X), D - i)) < 0.5
        Y[:, i:] = np.where(future, 1 - Y[:, i:], Y[:, i:])  # flip a random part of x_≥i
        np.testing.assert_allclose(m.conditional_logits(Y).numpy()[:, i], base[:, i], atol=1e-12)
        if i > 0:
            moved = []
            for j in range(i):
                Z = X.copy()
                Z[:, j] = 1 - Z[:, j]
                moved.append(np.abs(m.conditional_logits(Z).numpy()[:, i] - base[:, i]).max())
            assert max(moved) > 0, f"logit {i} depends on no earlier variable"


@given(S.nade_models().flatmap(lambda m: st.tuples(st.just(m), S.binary_batches(m.n_visible))))
def test_nade_running_sum_equals_the_per_pixel_loop(case):
    m, X = case
    W, c, V, b = (p.numpy() for p in (m.W, m.c, m.V, m.b))
    ref = np.empty(X.shape)
    for i in range(m.n_visible):
        h = 1 / (1 + np.exp(-(c + X[:, :i] @ W[:, :i].T)))  # h_i = σ(c + W_{:,<i} x_<i)
        ref[:, i] = b[i] + h @ V[i]
    np.testing.assert_allclose(m.conditional_logits(X).numpy(), ref, rtol=1e-10, atol=1e-10)


@settings(max_examples=8)
@given(S.autoregressive_models(max_visible=4), st.integers(0, 2**31 - 1))
def test_samples_follow_the_exact_distribution(m, seed):
    """χ² of 4000 ancestral samples against p(x) enumerated over all 2^D vectors."""
    n = 4000
    p = np.exp(m.log_prob(all_binary(m.n_visible)))
    S_ = m.sample(n, random_state=seed)
    codes = (S_ @ (2 ** np.arange(m.n_visible - 1, -1, -1))).astype(int)
    assert chi2_pvalue(np.bincount(codes, minlength=len(p)), p) > 1e-4


@settings(max_examples=10)
@given(S.autoregressive_models(max_visible=6), st.integers(0, 2**31 - 1))
def test_nll_gradients_pass_check_grads(m, seed):
    X = (np.random.default_rng(seed).random((5, m.n_visible)) < 0.5).astype(np.float64)
    x = Tensor(X)
    if isinstance(m, FVSBN):
        mask = m.mask

        def nll(W, b):
            return -F.bernoulli_log_likelihood(fvsbn_logits(x, W, b, mask), x)

        check_grads(nll, m.W.numpy(), m.b.numpy())
    else:

        def nll(W, c, V, b):
            return -F.bernoulli_log_likelihood(nade_logits(x, W, c, V, b), x)

        check_grads(nll, *(p.numpy() for p in (m.W, m.c, m.V, m.b)))


@settings(max_examples=10)
@given(S.autoregressive_models(max_visible=6), st.integers(0, 2**31 - 1))
def test_completion_given_a_known_prefix_is_the_exact_conditional(m, seed):
    """With x_1..x_k known, ``complete`` samples p(x_>k | x_≤k) (χ² against enumeration)."""
    D = m.n_visible
    rng = np.random.default_rng(seed)
    k = int(rng.integers(0, D))
    x0 = (rng.random(D) < 0.5).astype(np.float64)
    n = 3000
    X = np.repeat(x0[None], n, axis=0)
    known = np.zeros_like(X, dtype=bool)
    known[:, :k] = True
    Y = m.complete(X, known, random_state=seed)
    np.testing.assert_array_equal(Y[:, :k], X[:, :k])
    every = all_binary(D)
    match = np.all(every[:, :k] == x0[:k], axis=1)
    p = np.exp(m.log_prob(every[match]))
    p /= p.sum()
    codes = (Y[:, k:] @ (2 ** np.arange(D - k - 1, -1, -1))).astype(int)
    assert chi2_pvalue(np.bincount(codes, minlength=len(p)), p) > 1e-4
