# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Graded exercises: reverse-mode automatic differentiation
#
# Companion to the lesson `autograd` (`tinygen lesson autograd`). Each exercise asks for one
# function; the grader checks it against finite differences (`tinygen.testing.check_grads`)
# and against the identities the lesson derives, on inputs hypothesis chooses.

# %%
import numpy as np

from tinygen.autograd import Function

# %% grader="*"
import hypothesis.strategies as st
from hypothesis import given
from hypothesis.extra import numpy as hnp

from tinygen.testing import check_grads

_floats = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


def _arrays(shape):
    return hnp.arrays(np.float64, shape, elements=_floats)


# %% [markdown]
# ## 1. The backward of tanh (2 points)
#
# An op is a forward and a backward side by side (lesson §2). For z = tanh(x) the
# vector-Jacobian product is ∂L/∂x = ∂L/∂z ⊙ (1 − z²). Complete `Tanh.backward`: it gets
# `g` = ∂L/∂z and returns a one-element tuple (∂L/∂x,). The forward saved `self.z`.

# %% exercise="Tanh" points=2
class Tanh(Function):
    """z = tanh(x); ∂z/∂x = 1 − z²."""

    def forward(self, x):
        self.z = np.tanh(x)
        return self.z

    def backward(self, g):
        ### BEGIN SOLUTION
        return (g * (1 - self.z * self.z),)
        ### END SOLUTION


# %% grader="Tanh"
@given(x=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4).flatmap(_arrays))
def backward_matches_finite_differences(x):
    """Tanh.backward agrees with central finite differences of Tanh.forward."""
    check_grads(lambda t: student.Tanh.apply(t), x, name="Tanh")


# %% [markdown]
# ## 2. The adjoint of broadcasting (2 points)
#
# If y = broadcast(x) to a larger shape, then ∂L/∂x is ∂L/∂y summed over the broadcast
# axes: the leading axes broadcasting added are summed away, and the axes where x had size
# 1 are summed keeping that size (lesson §5). Write `unbroadcast(grad, shape)` returning
# an array of shape `shape`.

# %% exercise="unbroadcast" points=2
def unbroadcast(grad, shape):
    """Sum ``grad`` back to ``shape`` (the adjoint of ``np.broadcast_to(x, grad.shape)``)."""
    ### BEGIN SOLUTION
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad
    ### END SOLUTION


# %% grader="unbroadcast"
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       data=st.data())
def is_the_adjoint_of_broadcasting(shapes, data):
    """⟨unbroadcast(g, s), d⟩ = ⟨g, broadcast_to(d, g.shape)⟩ for every d of shape s."""
    shape, big = shapes.input_shapes[0], shapes.result_shape
    g = data.draw(_arrays(big), label="grad")
    d = data.draw(_arrays(shape), label="d")
    got = np.asarray(student.unbroadcast(g, shape))
    assert got.shape == tuple(shape), (
        f"unbroadcast(grad of shape {g.shape}, {shape}) has shape {got.shape}, not {shape}"
    )
    lhs, rhs = float(np.sum(got * d)), float(np.sum(g * np.broadcast_to(d, big)))
    assert np.isclose(lhs, rhs, rtol=1e-9, atol=1e-9), (
        f"⟨unbroadcast(g), d⟩ = {lhs:.6g} but ⟨g, broadcast(d)⟩ = {rhs:.6g}: some axis "
        "is summed that should not be, or not summed that should"
    )


# %% [markdown]
# ## 3. The backward of a matrix product (2 points)
#
# For Z = X Y with X of shape (n, k) and Y of shape (k, m), and G = ∂L/∂Z of shape (n, m),
# the vector-Jacobian products are ∂L/∂X = G Yᵀ and ∂L/∂Y = Xᵀ G. Write
# `matmul_backward(X, Y, G)` returning the pair (∂L/∂X, ∂L/∂Y).

# %% exercise="matmul_backward" points=2
def matmul_backward(X, Y, G):
    """(∂L/∂X, ∂L/∂Y) for Z = X @ Y and G = ∂L/∂Z (2-D arrays)."""
    ### BEGIN SOLUTION
    return G @ Y.T, X.T @ G
    ### END SOLUTION


# %% grader="matmul_backward"
class _StudentMatMul(Function):
    def forward(self, x, y):
        self.x, self.y = x, y
        return x @ y

    def backward(self, g):
        return student.matmul_backward(self.x, self.y, g)


@given(dims=st.tuples(*[st.integers(1, 4)] * 3), data=st.data())
def backward_matches_finite_differences(dims, data):
    """The pair agrees with finite differences of X @ Y, in both inputs separately."""
    n, k, m = dims
    X = data.draw(_arrays((n, k)), label="X")
    Y = data.draw(_arrays((k, m)), label="Y")
    check_grads(lambda a, b: _StudentMatMul.apply(a, b), X, Y, name="matmul_backward")


# %% [markdown]
# ## 4. A log-sum-exp that does not overflow (2 points)
#
# log Σᵢ e^{xᵢ} overflows for xᵢ ≈ 1000 if computed as written. With m = maxᵢ xᵢ,
# log Σᵢ e^{xᵢ} = m + log Σᵢ e^{xᵢ − m}, and every exponent is ≤ 0 (lesson §4). Write
# `logsumexp(x, axis)`, reducing over `axis` (the reduced axis is dropped).

# %% exercise="logsumexp" points=2
def logsumexp(x, axis=-1):
    """log Σ_axis exp(x), stable for large |x|."""
    ### BEGIN SOLUTION
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))
    ### END SOLUTION


# %% grader="logsumexp"
_matrices = hnp.array_shapes(min_dims=2, max_dims=2, max_side=5).flatmap(_arrays)


@given(x=_matrices, axis=st.sampled_from([0, 1, -1]))
def equals_the_definition(x, axis):
    """For moderate x it equals log(sum(exp(x))) along the axis, with that axis removed."""
    got = np.asarray(student.logsumexp(x, axis=axis))
    want = np.log(np.sum(np.exp(x), axis=axis))
    assert got.shape == want.shape, f"shape {got.shape}, expected {want.shape}"
    assert np.allclose(got, want, rtol=1e-9, atol=1e-9), f"got {got}, expected {want}"


@given(x=_matrices, shift=st.sampled_from([800.0, -800.0, 1e4]))
def does_not_overflow(x, shift):
    """logsumexp(x + s) = logsumexp(x) + s, finite, even for s = ±800 or 10⁴."""
    got = np.asarray(student.logsumexp(x + shift, axis=1))
    want = np.log(np.sum(np.exp(x), axis=1)) + shift
    assert np.all(np.isfinite(got)), (
        f"logsumexp(x + {shift}) returned {got}: an exponent overflowed or underflowed; "
        "subtract the maximum before exponentiating"
    )
    assert np.allclose(got, want, rtol=1e-9), f"got {got}, expected {want}"
