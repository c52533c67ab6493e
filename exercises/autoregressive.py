# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Graded exercises: autoregressive models
#
# Companion to the lesson `autoregressive` (`tinygen lesson autoregressive`). A fully
# visible belief network writes the probability of a binary vector x ∈ {0,1}ᴰ by the chain
# rule,
#
#     p(x) = Π_i p(x_i | x_<i),   log p(x) = Σ_i [x_i ℓ_i − softplus(ℓ_i)],
#
# where ℓ_i, the logit of p(x_i = 1 | x_<i), may depend on x_1 … x_{i−1} only. Rows of `X`
# (shape (N, D)) are vectors. The grader checks that your log-probabilities normalise (it
# sums exp(log p) over all 2ᴰ vectors of a tiny model), that they agree with tinygen's
# models, and that your PixelCNN mask lets no pixel see itself or its future.

# %%
import numpy as np

# %% grader="*"
import hypothesis.strategies as st
from hypothesis import given
from hypothesis.extra import numpy as hnp

from tinygen.exercises.checks import assert_close
from tinygen.models import FVSBN, NADE
from tinygen.models._enumerate import all_binary
from tinygen.nn.masked_conv import raster_mask


def _weights(shape, scale=3.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(-scale, scale, allow_nan=False))




def _sums_to_one(log_p, D, what):
    log_p = np.asarray(log_p, dtype=np.float64)
    assert log_p.shape == (2**D,), f"{what}: shape {log_p.shape}, expected ({2**D},) (one per row)"
    total = float(np.exp(log_p).sum())
    assert np.isclose(total, 1.0, atol=1e-9), (
        f"{what}: Σ over all {2**D} binary vectors of exp(log p(x)) = {total:.6f}, not 1 — "
        "some ℓ_i depends on x_i itself or on a later x_j"
    )


# %% [markdown]
# ## 1. A PixelCNN mask (2 points)
#
# A PixelCNN predicts pixel (r, c) from the pixels before it in raster order (rows top to
# bottom, each row left to right). A k×k convolution centred on (r, c) sees the offsets
# (u, v) ∈ {−k//2 … k//2}²; the mask keeps offset (u, v) iff it lies before the centre in
# raster order: u < 0, or u = 0 and v < 0. Mask "A" (the first layer) stops there; mask "B"
# (later layers) also keeps the centre (u, v) = (0, 0) (lesson §3).
#
# Write `raster_mask(k, mask)` for an odd k, returning the 0/1 float array of shape (k, k)
# whose entry [k//2 + u, k//2 + v] is 1 iff offset (u, v) is kept.

# %% exercise="raster_mask" points=2
def raster_mask(k, mask):
    """m[k//2 + u, k//2 + v] = 1 iff u < 0 or (u = 0 and v < 0), plus the centre for "B"."""
    ### BEGIN SOLUTION
    u, v = np.meshgrid(np.arange(k) - k // 2, np.arange(k) - k // 2, indexing="ij")
    before = (u < 0) | ((u == 0) & (v < 0))
    if mask == "B":
        before |= (u == 0) & (v == 0)
    return before.astype(np.float64)
    ### END SOLUTION


# %% grader="raster_mask"
_kernels = st.sampled_from([1, 3, 5, 7, 9])


@given(k=_kernels, mask=st.sampled_from(["A", "B"]))
def equals_the_library_mask(k, mask):
    """The mask equals tinygen.nn.masked_conv.raster_mask(k, mask)."""
    assert_close(student.raster_mask(k, mask), raster_mask(k, mask), f"raster_mask({k}, {mask!r})", 0)


@given(k=_kernels.filter(lambda k: k > 1), mask=st.sampled_from(["A", "B"]), data=st.data())
def one_masked_layer_is_causal(k, mask, data):
    """Through one masked k×k convolution on a 2k×2k image, output (r, c) depends on input
    (r', c') only if (r', c') comes before (r, c) in raster order (or is (r, c), for "B")."""
    m = np.asarray(student.raster_mask(k, mask), dtype=np.float64)
    assert m.shape == (k, k), f"raster_mask({k}, {mask!r}) has shape {m.shape}, not ({k}, {k})"
    side = 2 * k
    r = data.draw(st.integers(0, side - 1), label="output row")
    c = data.draw(st.integers(0, side - 1), label="output column")
    h = k // 2
    for u in range(-h, h + 1):
        for v in range(-h, h + 1):
            rr, cc = r + u, c + v
            if not (0 <= rr < side and 0 <= cc < side) or m[h + u, h + v] == 0:
                continue
            earlier = (rr, cc) < (r, c) or (mask == "B" and (rr, cc) == (r, c))
            assert earlier, (
                f"with mask {mask!r} and k = {k}, output pixel {(r, c)} reads input pixel "
                f"{(rr, cc)}, which is not before it in raster order"
            )
    n_kept = int(m.sum())
    want = k * k // 2 + (mask == "B")
    assert n_kept == want, f"the {k}×{k} mask {mask!r} keeps {n_kept} offsets; raster order allows {want}"


# %% [markdown]
# ## 2. The FVSBN's log-probability (2 points)
#
# The fully visible sigmoid belief net (Frey 1998) is a logistic regression per variable on
# the variables before it:  ℓ_i = b_i + Σ_{j<i} W_ij x_j  (lesson §1). Write
# `fvsbn_log_prob(X, W, b)` for `X` of shape (N, D), `W` of shape (D, D) and `b` of shape
# (D,), returning log p(x) for each row, shape (N,). `W` may hold any numbers on and above
# its diagonal: the model ignores them (only j < i enters ℓ_i). softplus(t) =
# `np.logaddexp(0, t)`.

# %% exercise="fvsbn_log_prob" points=2
def fvsbn_log_prob(X, W, b):
    """log p(x) = Σ_i [x_i ℓ_i − softplus(ℓ_i)], ℓ_i = b_i + Σ_{j<i} W_ij x_j; shape (N,)."""
    ### BEGIN SOLUTION
    logits = b + X @ np.tril(W, -1).T
    return np.sum(X * logits - np.logaddexp(0, logits), axis=1)
    ### END SOLUTION


# %% grader="fvsbn_log_prob"
@given(D=st.integers(1, 6), data=st.data())
def normalises_over_all_binary_vectors(D, data):
    """Σ_x exp(log p(x)) = 1 over all 2ᴰ binary x, for any W (its upper triangle included)."""
    W = data.draw(_weights((D, D)), label="W")
    b = data.draw(_weights((D,)), label="b")
    _sums_to_one(student.fvsbn_log_prob(all_binary(D), W, b), D, "fvsbn_log_prob")


@given(D=st.integers(1, 6), seed=st.integers(0, 2**16))
def agrees_with_tinygen_fvsbn(D, seed):
    """log p(x) equals tinygen.models.FVSBN's log_prob for the same W and b, on every x."""
    model = FVSBN(D, random_state=seed, init_scale=2.0, dtype=np.float64)
    model.b.data[:] = np.random.default_rng(seed).normal(0, 2.0, D)
    X = all_binary(D)
    want = model.log_prob(X)
    assert_close(student.fvsbn_log_prob(X, model.W.data.copy(), model.b.data.copy()), want, "log p(x)")


# %% [markdown]
# ## 3. NADE's log-probability in O(DH) (3 points)
#
# NADE (Larochelle & Murray 2011) shares one hidden layer between the conditionals:
#
#     h_i = σ(c + Σ_{j<i} W_{:,j} x_j),   ℓ_i = b_i + V_i · h_i,
#
# with `W` of shape (H, D), `c` of shape (H,), `V` of shape (D, H) and `b` of shape (D,)
# (lesson §2). The pre-activation a_i = c + Σ_{j<i} W_{:,j} x_j grows by one term per step,
# a_{i+1} = a_i + W_{:,i} x_i, so all D conditionals cost O(DH) instead of O(D²H). Write
# `nade_log_prob(X, W, c, V, b)` returning log p(x) for each row of `X` (shape (N, D)),
# shape (N,), with that running sum.

# %% exercise="nade_log_prob" points=3
def nade_log_prob(X, W, c, V, b):
    """Σ_i [x_i ℓ_i − softplus(ℓ_i)], ℓ_i = b_i + V_i · σ(a_i), a_i = c + Σ_{j<i} W_{:,j} x_j."""
    ### BEGIN SOLUTION
    N, D = X.shape
    a = np.tile(c, (N, 1))  # a_1 = c: the first pixel sees nothing
    log_p = np.zeros(N)
    for i in range(D):
        h = 1 / (1 + np.exp(-a))
        logit = b[i] + h @ V[i]
        log_p += X[:, i] * logit - np.logaddexp(0, logit)
        a = a + np.outer(X[:, i], W[:, i])
    return log_p
    ### END SOLUTION


# %% grader="nade_log_prob"
def _nade(data, D, H):
    W = data.draw(_weights((H, D)), label="W")
    c = data.draw(_weights((H,)), label="c")
    V = data.draw(_weights((D, H)), label="V")
    b = data.draw(_weights((D,)), label="b")
    return W, c, V, b


@given(D=st.integers(1, 6), H=st.integers(1, 4), data=st.data())
def normalises_over_all_binary_vectors(D, H, data):
    """Σ_x exp(log p(x)) = 1 over all 2ᴰ binary x, for any W, c, V, b."""
    W, c, V, b = _nade(data, D, H)
    _sums_to_one(student.nade_log_prob(all_binary(D), W, c, V, b), D, "nade_log_prob")


@given(D=st.integers(1, 6), H=st.integers(1, 4), seed=st.integers(0, 2**16))
def agrees_with_tinygen_nade(D, H, seed):
    """log p(x) equals tinygen.models.NADE's log_prob for the same parameters, on every x."""
    model = NADE(D, n_hidden=H, random_state=seed, dtype=np.float64)
    rng = np.random.default_rng(seed)
    model.c.data[:] = rng.normal(0, 1.0, H)
    model.b.data[:] = rng.normal(0, 1.0, D)
    X = all_binary(D)
    params = [p.data.copy() for p in (model.W, model.c, model.V, model.b)]
    assert_close(student.nade_log_prob(X, *params), model.log_prob(X), "log p(x)")
