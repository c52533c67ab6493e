# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Reverse-mode automatic differentiation, from the chain rule to a trained CNN
#
# Every neural generative model in tinygen (VAE, GAN, PixelCNN, the DBN's fine-tuning) is
# trained by gradient descent, and every gradient comes from one small piece of code:
# `Tensor.backward`. This lesson derives what that code does, one idea per section, shows
# the library code that implements each idea, and checks it numerically:
#
# 1. A tensor and its graph
# 2. An op is a forward and a backward (vector-Jacobian products)
# 3. Backpropagation is a topological sort (and why *reverse* mode)
# 4. Composite ops are just more graph (softplus, log-sum-exp, stability)
# 5. Shape ops route gradients (the adjoint of broadcasting is a sum)
# 6. Losses are log-likelihoods (Bernoulli, categorical, Gaussian, KL)
# 7. Convolution is a matrix product (im2col)
# 8. Layers and optimizers (Module, SGD with momentum, Adam), then training an MLP and a
#    CNN on `synthetic_digits`
#
# Library code: `tinygen/autograd/` (`tensor.py`, `function.py`, `ops/`),
# `tinygen/functional/`, `tinygen/nn/`, `tinygen/optim/`, `tinygen/testing.py`.

# %%
import inspect
import time

import numpy as np
from scipy import special, stats

import tinygen.functional as F
from tinygen import Tensor, nn, no_grad, optim
from tinygen.autograd import Function, ops, unbroadcast
from tinygen.autograd.ops import conv_kernels
from tinygen.backend import get_array_module
from tinygen.data import minibatches, synthetic_digits
from tinygen.functional.activations import _softplus_composite
from tinygen.functional.losses import _bce_with_logits_composite
from tinygen.functional.reductions import _logsumexp_composite
from tinygen.lessons import setup_lesson
from tinygen.testing import GradientCheckError, check_grads
from tinygen.viz import image_grid, training_curves

L = setup_lesson("autograd")
T0 = time.perf_counter()
N_TRAIN = 2000 if L.quick else 10000
N_TEST = 500 if L.quick else 2000
MLP_EPOCHS = 4 if L.quick else 10
CNN_EPOCHS = 4
rng = np.random.default_rng(0)
print(f"quick={L.quick}; pictures go to {L.out}")

# %% [markdown]
# ## 1. A tensor and its graph
#
# A program that computes a number $L$ from inputs $x_1, \dots, x_n$ is a chain of
# elementary operations. Record each intermediate value $v_k = f_k(v_{\text{parents}(k)})$
# and the operation that produced it, and you have a **directed acyclic graph**: nodes are
# values, edges point from an op's inputs to its output. For
#
# $$u = x \odot w, \qquad s = \textstyle\sum_i u_i, \qquad L = s^2$$
#
# the graph is $x, w \to u \to s \to L$. A `Tensor` is one node: it holds the array
# (`.data`), and, when it was made by an op on inputs that need gradients, that op (`._ctx`,
# an instance of a `Function` subclass) whose `.parents` are the input tensors. Tensors you
# create yourself are **leaves**; `requires_grad=True` marks the leaves whose gradient
# $\partial L/\partial x$ we want in `.grad`.

# %%
x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
w = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
u = x * w
s = u.sum()
loss = s * s


def show_graph(t, names, depth=0, seen=None):
    """Print the graph below ``t``: each node with the op that made it (a node reached a
    second time, like s in s·s, is marked instead of repeated: the graph is a DAG)."""
    seen = set() if seen is None else seen
    op = "leaf" if t._ctx is None else type(t._ctx).__name__
    line = "    " * depth + f"{names.get(id(t), '?'):>2} = {op:<5} shape={t.shape}"
    if id(t) in seen:
        print(line + "  (see above)")
        return
    seen.add(id(t))
    print(line + f"  requires_grad={t.requires_grad}")
    if t._ctx is not None:
        for p in t._ctx.parents:
            show_graph(p, names, depth + 1, seen)


show_graph(loss, {id(x): "x", id(w): "w", id(u): "u", id(s): "s", id(loss): "L"})

# %% [markdown]
# `backward()` fills `.grad` of every leaf that requires one. By hand:
# $\partial L/\partial x_i = 2s\,w_i$ and $\partial L/\partial w_i = 2s\,x_i$.

# %%
loss.backward()
s_val = float((x.numpy() * w.numpy()).sum())
print("x.grad =", x.grad, "  by hand:", 2 * s_val * w.numpy())
print("w.grad =", w.grad, "  by hand:", 2 * s_val * x.numpy())
assert np.allclose(x.grad, 2 * s_val * w.numpy()) and np.allclose(w.grad, 2 * s_val * x.numpy())

# %% [markdown]
# Inside `no_grad()` no graph is recorded (the output has no `_ctx`): that is how
# evaluation, sampling and optimizer steps avoid paying for a graph they never use.

# %%
with no_grad():
    v = x * w
print("made under no_grad: _ctx =", v._ctx, " requires_grad =", v.requires_grad)
assert v._ctx is None and not v.requires_grad

# %% [markdown]
# ## 2. An op is a forward and a backward
#
# Let $y = f(x)$ with $x \in \mathbb R^n$, $y \in \mathbb R^m$, inside a computation that
# ends in a scalar $L$. Write $\bar v = \partial L / \partial v$ (the **adjoint** of $v$,
# same shape as $v$). The chain rule,
#
# $$\frac{\partial L}{\partial x_j} = \sum_{i=1}^m \frac{\partial L}{\partial y_i}
#   \frac{\partial y_i}{\partial x_j}
#   \qquad\Longleftrightarrow\qquad \bar x = J_f(x)^\top\, \bar y,
#   \quad (J_f)_{ij} = \frac{\partial y_i}{\partial x_j},$$
#
# says that an op needs to know only how to multiply a vector by its transposed Jacobian: a
# **vector-Jacobian product** (VJP). The Jacobian itself is never formed — for an
# elementwise op on a $1000 \times 1000$ array it would have $10^{12}$ entries, almost all
# zero. Examples:
#
# * $z = x \odot y$: $J_x = \operatorname{diag}(y)$, so $\bar x = \bar z \odot y$,
#   $\bar y = \bar z \odot x$;
# * $Z = XW$: $\bar X = \bar Z W^\top$, $\bar W = X^\top \bar Z$ (the same shapes as $X$
#   and $W$, as they must be);
# * $z = e^x$: $\bar x = \bar z \odot e^x$ — the forward's output is saved for the backward.
#
# In tinygen each primitive op is one small class with `forward` (arrays in, array out,
# saving what the backward needs on `self`) and `backward` (the adjoint of the output in,
# one adjoint per input out). Here is `Mul`:

# %%
print(inspect.getsource(ops.Mul))

# %% [markdown]
# The op stored in the graph *is* the VJP. Check it, and `MatMul`'s, against the full
# Jacobian, built column by column with central differences in NumPy:


# %%
def numeric_jacobian(f, x, eps=1e-6):
    """J[i, j] = ∂f(x)_i / ∂x_j by central differences (float64)."""
    y0 = f(x).ravel()
    J = np.zeros((y0.size, x.size))
    for j in range(x.size):
        d = np.zeros(x.size)
        d[j] = eps
        J[:, j] = (f(x + d.reshape(x.shape)).ravel() - f(x - d.reshape(x.shape)).ravel()) / (
            2 * eps
        )
    return J


a_np, b_np = rng.standard_normal(4), rng.standard_normal(4)
z = ops.Mul.apply(Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True))
g = rng.standard_normal(4)  # an arbitrary adjoint z̄
vjp_a, vjp_b = z._ctx.backward(g)
J_a = numeric_jacobian(lambda a: a * b_np, a_np)
print("Mul:    max |VJP − Jᵀg| =", np.abs(vjp_a - J_a.T @ g).max())
assert np.allclose(vjp_a, J_a.T @ g, atol=1e-8)

X_np, W_np = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
Z = ops.MatMul.apply(Tensor(X_np, requires_grad=True), Tensor(W_np, requires_grad=True))
G = rng.standard_normal((3, 2))
gX, gW = Z._ctx.backward(G)
J_X = numeric_jacobian(lambda X: X @ W_np, X_np)  # (6, 12)
J_W = numeric_jacobian(lambda W: X_np @ W, W_np)  # (6, 8)
print("MatMul: max |X̄ − Jᵀḡ| =", np.abs(gX.ravel() - J_X.T @ G.ravel()).max())
assert np.allclose(gX.ravel(), J_X.T @ G.ravel(), atol=1e-8)
assert np.allclose(gW.ravel(), J_W.T @ G.ravel(), atol=1e-8)
assert np.allclose(gX, G @ W_np.T) and np.allclose(gW, X_np.T @ G)

# %% [markdown]
# Writing a new op is writing these two methods. Here is $\sin$, with
# $\bar x = \bar z \odot \cos x$, checked by `tinygen.testing.check_grads`, the library's one
# gradient checker: for random directions $d$ it compares the directional derivative that
# backpropagation gives, $\langle \nabla L, d \rangle$, with the central difference
# $[L(x + \varepsilon d) - L(x - \varepsilon d)] / 2\varepsilon$, whose error is
# $O(\varepsilon^2)$, in float64.


# %%
class Sin(Function):
    """z = sin x;  ∂z/∂x = cos x."""

    def forward(self, x):
        self.x = x
        return get_array_module(x).sin(x)

    def backward(self, g):
        return (g * get_array_module(g).cos(self.x),)


class WrongSin(Sin):
    """A deliberate bug: the derivative of sin is not sin."""

    def backward(self, g):
        return (g * get_array_module(g).sin(self.x),)


xs = rng.standard_normal((3, 5))
err = check_grads(lambda t: Sin.apply(t), xs, name="Sin")
print(f"Sin passes check_grads (largest relative error {err:.1e})")
try:
    check_grads(lambda t: WrongSin.apply(t), xs, name="WrongSin")
    raise AssertionError("the wrong backward was not caught")
except GradientCheckError as exc:
    print("WrongSin is caught:", str(exc).splitlines()[0])

# %% [markdown]
# ## 3. Backpropagation is a topological sort
#
# When a value $v$ feeds several ops (its **children** $c$), the chain rule sums over all
# paths:
#
# $$\bar v = \sum_{c \,\in\, \text{children}(v)} J_{c}(v)^\top\, \bar c .$$
#
# So $\bar v$ is complete only after every child's adjoint is complete and has sent its
# contribution back. An order in which every node comes after all its children is a
# **reverse topological order** of the graph; visiting the nodes in that order, starting
# from $\bar L = 1$, calls each op's `backward` exactly once. That is the whole algorithm:


# %%
def topological_order(root):
    """The nodes below ``root``, every node after its parents (depth-first post-order)."""
    order, seen = [], set()

    def visit(t):
        if id(t) in seen:
            return
        seen.add(id(t))
        if t._ctx is not None:
            for p in t._ctx.parents:
                visit(p)
        order.append(t)

    visit(root)
    return order


def backprop(root):
    """Reverse-mode differentiation of a scalar ``root``: {id(leaf): ∂root/∂leaf}."""
    grads = {id(root): np.ones_like(root.data)}
    leaf_grads = {}
    for t in reversed(topological_order(root)):  # children before parents
        g = grads.pop(id(t), None)
        if g is None or not t.requires_grad:
            continue
        if t._ctx is None:
            leaf_grads[id(t)] = g
            continue
        for p, pg in zip(t._ctx.parents, t._ctx.backward(g)):
            if pg is not None and p.requires_grad:
                pg = unbroadcast(pg, p.shape)  # see §5
                grads[id(p)] = grads[id(p)] + pg if id(p) in grads else pg
    return leaf_grads


# %% [markdown]
# Test it on a graph where $x$ is used three times (so its adjoint is a sum of three paths)
# and where shapes broadcast: $h = \tanh(W \odot x + b)$,
# $L = \sum h \odot h + \sum x \odot x$.

# %%
x = Tensor(rng.standard_normal(3), requires_grad=True)
W = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
b = Tensor(rng.standard_normal((2, 1)), requires_grad=True)
h = (W * x + b).tanh()
out = (h * h).sum() + (x * x).sum()

mine = backprop(out)
out.backward()
for name, t in [("x", x), ("W", W), ("b", b)]:
    print(f"{name}: ours == Tensor.backward: {np.allclose(mine[id(t)], t.grad)}")
    assert np.allclose(mine[id(t)], t.grad)

# %% [markdown]
# `Tensor.backward` finds the same order without recursion: every tensor gets a creation
# number `_seq`, and an op's output is always created after its inputs, so sorting the
# nodes by *decreasing* `_seq` is a reverse topological order. Check that property on the
# graph above:

# %%
order = topological_order(out)
assert all(p._seq < t._seq for t in order if t._ctx is not None for p in t._ctx.parents)
print(f"{len(order)} nodes; every parent was created before its child")

# %% [markdown]
# **Why reverse mode.** One backward sweep costs a small constant times the forward pass
# (each op's VJP costs about as much as the op) and yields $\partial L/\partial x_j$ for
# *all* $n$ inputs at once. Forward mode (or finite differences) propagates one direction
# per sweep and needs $n$ sweeps ($2n$ evaluations for central differences). Training has
# one scalar loss and millions of parameters, so reverse mode wins by a factor of order
# $n$:

# %%
n = 300
A = rng.standard_normal((n, n)) / np.sqrt(n)
x0 = rng.standard_normal(n)


def f(t):
    return (A @ t).tanh().sum() if isinstance(t, Tensor) else np.tanh(A @ t).sum()


t = time.perf_counter()
xt = Tensor(x0, requires_grad=True)
f(xt).backward()
t_rev = time.perf_counter() - t
t = time.perf_counter()
eye = np.eye(n) * 1e-6
fd = np.array([(f(x0 + eye[j]) - f(x0 - eye[j])) / 2e-6 for j in range(n)])
t_fd = time.perf_counter() - t
print(
    f"one backward: {1e3 * t_rev:.2f} ms; {2 * n} evaluations for finite differences: "
    f"{1e3 * t_fd:.1f} ms; max difference {np.abs(fd - xt.grad).max():.1e}"
)
assert np.allclose(fd, xt.grad, atol=1e-6)

# %% [markdown]
# ## 4. Composite ops are just more graph
#
# Anything written from primitives is differentiable for free: its graph is made of
# primitive ops whose VJPs we already have. Two composites sit inside every likelihood in
# this library, and both show why the *form* of a formula matters in floating point.
#
# **Softplus.** $\operatorname{softplus}(x) = \log(1 + e^x)$ overflows for $x \gtrsim 89$ in
# float32 ($e^x = \infty$) although the answer is just $\approx x$. Factor out the larger
# term: for $x > 0$, $\log(1+e^x) = \log\big(e^x(1 + e^{-x})\big) = x + \log(1 + e^{-x})$, so
# for all $x$
#
# $$\operatorname{softplus}(x) = \max(x, 0) + \operatorname{log1p}\big(e^{-|x|}\big),$$
#
# where the exponent is never positive. Its derivative is
# $\frac{e^x}{1+e^x} = \sigma(x)$, the logistic sigmoid.

# %%
xs = np.array([-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0])
with np.errstate(over="ignore"):
    naive = np.log(1 + np.exp(xs))
composite = _softplus_composite(Tensor(xs))  # relu(x) + log1p(exp(-|x|)), from primitives
fused = F.softplus(xs)  # one op with the same formula (its gradient σ(x) formed directly)
print("naive     :", naive)
print("composite :", composite.numpy())
print("F.softplus:", fused.numpy())
assert np.allclose(composite.numpy(), fused.numpy()) and np.isinf(naive[-1])
assert np.allclose(fused.numpy(), np.logaddexp(0, xs), rtol=1e-15)  # also exact at x = −30
xt = Tensor(xs, requires_grad=True)
F.softplus(xt).sum().backward()
assert np.allclose(xt.grad, special.expit(xs))
check_grads(F.softplus, rng.standard_normal(6) * 3, name="softplus")
check_grads(_softplus_composite, rng.standard_normal(6) * 3 + 0.1, name="softplus composite")

# %% [markdown]
# **Log-sum-exp.** $\operatorname{lse}(x) = \log \sum_i e^{x_i}$ (the log-normaliser of a
# softmax, a log-partition function) overflows for large $x$ and underflows to $\log 0$
# for very negative $x$. With $m = \max_i x_i$,
#
# $$\operatorname{lse}(x) = m + \log \sum_i e^{x_i - m},$$
#
# every exponent is $\le 0$ and the largest term is exactly 1, so the sum lies in
# $[1, n]$. The gradient is the softmax, $\partial\,\operatorname{lse}/\partial x_i =
# e^{x_i} / \sum_j e^{x_j}$, *whatever* constant is subtracted: if $m$ were differentiated,
# its contribution $\frac{\partial m}{\partial x_i}\big(1 - \sum_j \operatorname{softmax}_j\big)$
# would vanish. So the composite treats $m$ as a constant (a detached tensor), and its
# graph is five primitive ops. `F.logsumexp` is one op with the same forward, whose
# backward forms the softmax $e^{x - \operatorname{lse}(x)}$ from its own output:

# %%
big = np.array([[1000.0, 1000.5, 999.0], [-1000.0, -999.0, -1001.0]])
with np.errstate(over="ignore", divide="ignore"):
    print("naive      :", np.log(np.exp(big).sum(axis=1)))
xt = Tensor(big, requires_grad=True)
lse = F.logsumexp(xt, axis=1)
print("F.logsumexp:", lse.numpy(), "  scipy:", special.logsumexp(big, axis=1))
assert np.allclose(lse.numpy(), special.logsumexp(big, axis=1))
composite = _logsumexp_composite(Tensor(big, requires_grad=True), axis=1)  # from primitives
print("ops in the composite's graph:",
      [type(t._ctx).__name__ for t in topological_order(composite) if t._ctx])
assert np.allclose(composite.numpy(), lse.numpy(), rtol=1e-15)
lse.sum().backward()
assert np.allclose(xt.grad, special.softmax(big, axis=1))
check_grads(lambda t: F.logsumexp(t, axis=1), rng.standard_normal((3, 4)), name="logsumexp")
print("∂lse/∂x == softmax(x); check_grads passes")

# %% [markdown]
# ## 5. Shape ops route gradients
#
# **Broadcasting.** `W * x` above multiplied a (2, 3) array by a (3,) vector: NumPy
# broadcasts $x$ to $\tilde x_{ij} = x_j$. Broadcasting is itself a linear map $B$ (copy
# along new or size-1 axes), and the adjoint of a copy is a sum:
#
# $$\bar x_j = \sum_i \frac{\partial L}{\partial \tilde x_{ij}}
#   \frac{\partial \tilde x_{ij}}{\partial x_j} = \sum_i \bar{\tilde x}_{ij},
#   \qquad\text{i.e. } \bar x = B^\top \bar{\tilde x}.$$
#
# Leading axes that broadcasting added are summed away; axes where $x$ had size 1 are summed
# with `keepdims`. Ops compute their VJPs at the broadcast shape and `Tensor.backward` calls
# `unbroadcast` once for all of them (not every op repeating it):

# %%
print(inspect.getsource(unbroadcast))
g = np.arange(24.0).reshape(2, 4, 3)
print("unbroadcast to (4, 1):\n", unbroadcast(g, (4, 1)).ravel(), "= g.sum over axes 0, 2")
assert np.array_equal(unbroadcast(g, (4, 1)), g.sum(axis=(0, 2))[:, None])
assert np.array_equal(unbroadcast(g, (3,)), g.sum(axis=(0, 1)))

X = Tensor(rng.standard_normal((4, 3)))
bias = Tensor(np.zeros(3), requires_grad=True)
Gw = rng.standard_normal((4, 3))
((X + bias) * Tensor(Gw)).sum().backward()
print("bias.grad =", bias.grad.round(3), " = column sums of the upstream adjoint")
assert np.allclose(bias.grad, Gw.sum(axis=0))

# %% [markdown]
# **Other shape ops** move numbers without changing them, so their VJPs move the adjoint
# back: `reshape` reshapes it back; a transpose with permutation $\pi$ applies $\pi^{-1}$;
# indexing $z = x[i]$ scatters, *adding* where an index repeats,
# $\bar x_k = \sum_{j : i_j = k} \bar z_j$ (NumPy's `np.add.at`); `concatenate` splits the
# adjoint; `pad` crops it.

# %%
xt = Tensor(np.zeros(4), requires_grad=True)
xt[np.array([0, 0, 2, 0])].sum().backward()
print("x[[0, 0, 2, 0]]: x.grad =", xt.grad, " (index 0 used three times)")
assert np.array_equal(xt.grad, [3.0, 0.0, 1.0, 0.0])

C = rng.standard_normal((4, 2, 3))
check_grads(lambda t: t.permute(2, 0, 1) * C, rng.standard_normal((2, 3, 4)), name="permute")
check_grads(
    lambda a, b: F.pad(F.concatenate([a, b.reshape(2, 3)], axis=0), ((1, 0), (0, 2)))[1:, ::2],
    rng.standard_normal((1, 3)),
    rng.standard_normal(6),
    name="concatenate/reshape/pad/slice",
)
print("permute, concatenate, reshape, pad and slicing pass check_grads")

# %% [markdown]
# ## 6. Losses are log-likelihoods
#
# Training a probabilistic model by maximum likelihood means minimising
# $-\frac1N\sum_n \log p_\theta(y_n \mid x_n)$. Each "loss" in `tinygen.functional` is such
# a negative log-likelihood, written in its stable form.
#
# **Bernoulli** ($y \in \{0, 1\}$, or a probability), parameterised by a logit $x$ with
# $p = \sigma(x) = 1/(1 + e^{-x})$. Since $\log \sigma(x) = -\operatorname{softplus}(-x)$,
# $\log(1 - \sigma(x)) = -\operatorname{softplus}(x)$ and
# $\operatorname{softplus}(x) - \operatorname{softplus}(-x) = x$,
#
# $$-\log p(y \mid x) = -y \log\sigma(x) - (1-y)\log(1-\sigma(x))
#   = \operatorname{softplus}(x) - x\,y, \qquad
#   \frac{\partial}{\partial x} = \sigma(x) - y .$$
#
# This is `F.binary_cross_entropy_with_logits`: exact for any logit, where computing
# $\sigma(x)$ first and then its log gives $\log 0$ for $|x| \gtrsim 17$ in float32.

# %%
logits = np.array([-100.0, -3.0, 0.0, 2.0, 100.0])
y = np.array([0.0, 1.0, 1.0, 0.0, 0.0])
p = special.expit(logits.astype(np.float32))
with np.errstate(divide="ignore", invalid="ignore"):  # log 0 = −inf, 0·(−inf) = nan
    naive = -(y * np.log(p) + (1 - y) * np.log(1 - p))
xt = Tensor(logits, requires_grad=True)
bce = F.binary_cross_entropy_with_logits(xt, y, reduction="none")
print("naive (float32):", naive)
print("stable         :", bce.numpy())
exact = np.logaddexp(0, logits) - logits * y  # softplus(x) − xy in float64
assert np.allclose(bce.numpy(), exact) and np.isinf(naive[-1])
assert np.allclose(_bce_with_logits_composite(Tensor(logits), Tensor(y)).numpy(), exact)
bce.sum().backward()
assert np.allclose(xt.grad, special.expit(logits) - y)
print("gradient == σ(x) − y")

# %% [markdown]
# **Categorical** (classes $c = 1..K$, logits $x \in \mathbb R^K$,
# $p(c) = \operatorname{softmax}(x)_c$):
#
# $$-\log p(y \mid x) = -x_y + \log\sum_c e^{x_c} = \operatorname{lse}(x) - x_y, \qquad
#   \frac{\partial}{\partial x} = \operatorname{softmax}(x) - \operatorname{onehot}(y),$$
#
# `F.cross_entropy` (integer targets). With `reduction="mean"` the gradient is divided by
# the batch size.

# %%
logits = rng.standard_normal((5, 10)) * 3
targets = rng.integers(0, 10, size=5)
xt = Tensor(logits, requires_grad=True)
ce = F.cross_entropy(xt, targets)
ref = np.mean(special.logsumexp(logits, axis=1) - logits[np.arange(5), targets])
print(f"cross_entropy = {ce.item():.6f}   NumPy: {ref:.6f}")
assert np.isclose(ce.item(), ref)
ce.backward()
assert np.allclose(xt.grad, (special.softmax(logits, axis=1) - np.eye(10)[targets]) / 5)
check_grads(lambda t: F.cross_entropy(t, targets, reduction="sum"), logits, name="cross_entropy")

# %% [markdown]
# **Gaussian** with mean $\mu$ and variance $v$:
# $-\log \mathcal N(y; \mu, v) = \tfrac12\big[\log v + (y-\mu)^2/v\big] + \tfrac12\log 2\pi$
# (`F.gaussian_nll_loss`, with `full=True` for the constant). With $v = 1$ it is half the
# squared error plus a constant: least squares *is* maximum likelihood under Gaussian
# noise, and `F.mse_loss` is its shorthand.
#
# **KL divergence** between diagonal Gaussians, the VAE's regulariser, in closed form
# (`F.kl_normal`):
#
# $$\mathrm{KL}\big(\mathcal N(\mu_q, \sigma_q^2)\,\|\,\mathcal N(\mu_p, \sigma_p^2)\big) =
#   \tfrac12\Big[\log\tfrac{\sigma_p^2}{\sigma_q^2}
#   + \tfrac{\sigma_q^2 + (\mu_q - \mu_p)^2}{\sigma_p^2} - 1\Big],$$
#
# checked against a Monte Carlo estimate of $\mathbb E_q[\log q(z) - \log p(z)]$.

# %%
mu, var, yv = rng.standard_normal(6), rng.uniform(0.2, 2.0, 6), rng.standard_normal(6)
nll = F.gaussian_nll_loss(mu, yv, var, full=True, reduction="none").numpy()
assert np.allclose(nll, -stats.norm.logpdf(yv, mu, np.sqrt(var)))
half_mse = F.gaussian_nll_loss(mu, yv, np.ones(6)).item()
assert np.isclose(half_mse, 0.5 * F.mse_loss(mu, yv).item())
print("gaussian_nll_loss == −log N(y; μ, v) (scipy);  with v = 1 it is ½·mse_loss")

mq, lvq, mp, lvp = 0.5, np.log(0.3), -0.2, np.log(2.0)
kl = F.kl_normal(Tensor(np.array([mq])), Tensor(np.array([lvq])), mp, lvp).item()
zq = mq + np.sqrt(np.exp(lvq)) * rng.standard_normal(200_000)
terms = stats.norm.logpdf(zq, mq, np.exp(lvq / 2)) - stats.norm.logpdf(zq, mp, np.exp(lvp / 2))
se = terms.std() / np.sqrt(terms.size)
print(f"KL closed form {kl:.4f}; Monte Carlo {terms.mean():.4f} ± {se:.4f}")
assert abs(kl - terms.mean()) < 4 * se

# %% [markdown]
# ## 7. Convolution is a matrix product
#
# A 2-D convolution layer (a cross-correlation, in deep learning's usage) with input
# $x$ of shape $(N, C, H, W)$, weight $w$ of shape $(O, C, k_h, k_w)$, stride $s$ and zero
# padding $p$ computes
#
# $$y_{n,o,r,c'} = b_o + \sum_{c,i,j} w_{o,c,i,j}\; x^{\text{pad}}_{n,\,c,\,s r + i,\,s c' + j},
#   \qquad H_{\text{out}} = \Big\lfloor \frac{H + 2p - k_h}{s} \Big\rfloor + 1 .$$
#
# Copy each receptive field (the $C k_h k_w$ numbers one output pixel sees) into a row of a
# **column matrix** $\mathrm{cols}$ of shape $(N H_{\text{out}} W_{\text{out}},\ C k_h k_w)$
# ("im2col") and flatten the weight to $W_m$ of shape $(C k_h k_w,\ O)$: then the whole
# layer is **one matrix product**, $Y = \mathrm{cols}\, W_m + b$, which BLAS runs at full
# speed. Its VJPs are those of a matrix product (§2),
#
# $$\bar W_m = \mathrm{cols}^\top\, \bar Y, \qquad \overline{\mathrm{cols}} = \bar Y\, W_m^\top,$$
#
# and $\bar x$ is $\overline{\mathrm{cols}}$ scattered back onto the image it was copied
# from, *adding* where windows overlap ("col2im" — the adjoint of a copy is a sum, as in
# §5). A NumPy version with a strided view (no loop over pixels):

# %%
N, Cin, H, Wd, O, k, st, pd = 2, 3, 6, 6, 4, 3, 2, 1
xs = rng.standard_normal((N, Cin, H, Wd))
ws = rng.standard_normal((O, Cin, k, k))
bs = rng.standard_normal(O)
Ho = conv_kernels.conv_output_size(H, k, st, pd)
Wo = conv_kernels.conv_output_size(Wd, k, st, pd)
x_pad = np.pad(xs, ((0, 0), (0, 0), (pd, pd), (pd, pd)))
win = np.lib.stride_tricks.sliding_window_view(x_pad, (k, k), axis=(2, 3))[:, :, ::st, ::st]
cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(N * Ho * Wo, Cin * k * k)  # im2col
Wm = ws.reshape(O, Cin * k * k).T
Y = (cols @ Wm + bs).reshape(N, Ho, Wo, O).transpose(0, 3, 1, 2)

xt, wt = Tensor(xs, requires_grad=True), Tensor(ws, requires_grad=True)
yt = F.conv2d(xt, wt, bs, stride=st, padding=pd)
print(
    f"cols {cols.shape} @ Wm {Wm.shape} -> y {Y.shape}; "
    f"max |im2col − F.conv2d| = {np.abs(Y - yt.numpy()).max():.1e}"
)
assert np.allclose(Y, yt.numpy())

Gy = rng.standard_normal(Y.shape)  # an upstream adjoint ȳ
(yt * Tensor(Gy)).sum().backward()
Gm = Gy.transpose(0, 2, 3, 1).reshape(-1, O)
gW = (cols.T @ Gm).T.reshape(ws.shape)  # W̄m = colsᵀ Ȳ
gcols = (Gm @ Wm.T).reshape(N, Ho, Wo, Cin, k, k)  # cols̄ = Ȳ Wmᵀ
gcols = gcols.transpose(0, 3, 4, 5, 1, 2)  # (N, C, kh, kw, Ho, Wo)
gx_pad = np.zeros_like(x_pad)
for i in range(k):  # col2im: a loop over the k² kernel offsets, not over pixels
    for j in range(k):
        gx_pad[:, :, i : i + st * Ho : st, j : j + st * Wo : st] += gcols[:, :, i, j]
gx = gx_pad[:, :, pd : pd + H, pd : pd + Wd]
assert np.allclose(gW, wt.grad) and np.allclose(gx, xt.grad)
print("colsᵀȲ == w.grad and col2im(ȲWmᵀ) == x.grad")

# %% [markdown]
# Since $x \mapsto \mathrm{conv}(x, w)$ is linear, $\bar x = \mathrm{conv}^\top \bar y$: the
# **transposed convolution** `F.conv_transpose2d` (a decoder's upsampling layer) is exactly
# this adjoint, with `output_padding` choosing among the input sizes that give the same
# output size. And the library's `Conv2d` op passes `check_grads` with stride and padding:

# %%
opad = (H + 2 * pd - k) % st
xT = F.conv_transpose2d(Gy, ws, stride=st, padding=pd, output_padding=opad).numpy()
assert np.allclose(xT, xt.grad)
print("conv_transpose2d(ȳ, w) == x.grad")
check_grads(
    lambda a, wk, bk: F.conv2d(a, wk, bk, stride=2, padding=1),
    rng.standard_normal((1, 2, 5, 5)),
    rng.standard_normal((3, 2, 3, 3)),
    rng.standard_normal(3),
    name="conv2d",
)
check_grads(lambda a: F.max_pool2d(a, 2), rng.permutation(32).reshape(1, 2, 4, 4) / 7.0)
print("conv2d and max_pool2d pass check_grads")

# %% [markdown]
# The library does the same (`tinygen/autograd/ops/conv_kernels.py`), channels-last (so
# each window row is contiguous) and in chunks of images whose column matrix fits in the
# CPU cache. One more identity saves the scatter for stride 1: every input pixel is read by
# the $k_h k_w$ outputs around it, each through the mirrored kernel offset, so $\bar x$ is
# itself a convolution, of $\bar y$ padded by $k - 1 - p$ with the kernel flipped in both
# spatial axes and its channel axes swapped, $\tilde w_{c,o,i,j} = w_{o,c,k_h-1-i,k_w-1-j}$:

# %%
w_mirror = np.ascontiguousarray(ws[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
xt1 = Tensor(xs, requires_grad=True)
yt1 = F.conv2d(xt1, Tensor(ws), padding=pd)  # the same layer with stride 1
g1 = rng.standard_normal(yt1.shape)
(yt1 * Tensor(g1)).sum().backward()
g1_pad = np.pad(g1, ((0, 0), (0, 0), (k - 1 - pd,) * 2, (k - 1 - pd,) * 2))
assert np.allclose(F.conv2d(g1_pad, w_mirror).numpy(), xt1.grad)
print("stride 1: x.grad == conv2d(pad(ȳ, k − 1 − p), w flipped, channels swapped)")

# %% [markdown]
# ## 8. Layers and optimizers
#
# **Modules.** A layer is a function with parameters. `nn.Module` records the
# `nn.Parameter`s (tensors with `requires_grad=True`) and sub-modules assigned to it, so
# `parameters()` finds every weight of a network and `state_dict()` / `save()` write them
# to an `.npz` file. `nn.Linear(in, out)` computes $y = x W^\top + b$ with $W$ of shape
# (out, in); its initial weights are uniform with a variance of order $1/\text{fan-in}$
# (Kaiming or Xavier-Glorot initialisation, `nn.init`), so that the variance of the activations neither
# explodes nor vanishes with depth. Writing a module is writing `forward`; here is a
# pooling module (`nn` has none), used by the CNN below:


# %%
class MaxPool(nn.Module):
    """y = max_pool2d(x, k): the maximum of each k×k block (no parameters)."""

    def __init__(self, k=2):
        super().__init__()
        self.k = k

    def forward(self, x):
        return F.max_pool2d(x, self.k)


mlp = nn.Sequential(
    nn.Flatten(),
    nn.Linear(784, 128, random_state=0),
    nn.ReLU(),
    nn.Linear(128, 10, random_state=1),
)
print(mlp)
for name, prm in mlp.named_parameters():
    print(f"  {name:10s} {prm.shape}")
w1 = mlp[1].weight.numpy()
print(
    f"first-layer weight std {w1.std():.4f}; Kaiming-uniform(a=√5) gives 1/√(3·784) = "
    f"{1 / np.sqrt(3 * 784):.4f}"
)

# %% [markdown]
# **SGD with momentum.** Plain gradient descent, $\theta \leftarrow \theta - \eta g$, is
# slow along shallow valleys and oscillates across steep ones. Momentum keeps a running
# velocity, $b_t = \mu b_{t-1} + g_t$, $\theta \leftarrow \theta - \eta b_t$: along a
# consistent direction the steps grow to $\eta g/(1-\mu)$, while oscillating components
# cancel (`optim.SGD(params, lr, momentum=μ)`; the exercise asks you to write it).
#
# **Adam** scales each coordinate by a running estimate of its gradient's magnitude. With
# $m_0 = v_0 = 0$,
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 .$$
#
# Unrolled, $m_t = (1-\beta_1)\sum_{k=1}^t \beta_1^{t-k} g_k$, so for gradients with a
# constant mean $\mathbb E[m_t] = (1-\beta_1^t)\,\mathbb E[g]$: the zero start biases the
# estimate towards 0, most at small $t$. Dividing removes the bias,
# $\hat m_t = m_t/(1-\beta_1^t)$, $\hat v_t = v_t/(1-\beta_2^t)$, and the update is
#
# $$\theta \leftarrow \theta - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},$$
#
# a step of about $\eta$ per coordinate whatever the gradient's scale. `optim.Adam` is these
# four lines (with $m$ and $v$ updated in place). One piece of real numerics sits beside
# them: a coordinate whose gradient has become exactly 0 (a dead ReLU unit, an always-blank
# pixel) has $m \leftarrow \beta_1 m$ decaying for ever, and after about 800 steps it is a
# *subnormal* number (below $1.2\times10^{-38}$ in float32), which CPUs multiply tens of
# times more slowly; so every 64 steps the optimizers set values below $2^{20}$ times the
# smallest normal number to exactly 0, which changes no update
# (`tinygen.optim.optimizer.flush_tiny_`). Check Adam against the equations written out in
# NumPy on a badly scaled quadratic $\tfrac12\sum_i a_i \theta_i^2$:

# %%
a_coef = np.array([100.0, 1.0, 0.01])
theta = nn.Parameter(np.array([1.0, 1.0, 1.0]))  # float64 for an exact comparison
opt = optim.Adam([theta], lr=0.1)
th, m, v = theta.numpy().copy(), np.zeros(3), np.zeros(3)
b1, b2, eps = 0.9, 0.999, 1e-8
for step in range(1, 11):
    opt.zero_grad()
    (0.5 * (Tensor(a_coef) * theta * theta).sum()).backward()
    opt.step()
    gr = a_coef * th
    m = b1 * m + (1 - b1) * gr
    v = b2 * v + (1 - b2) * gr**2
    th = th - 0.1 * (m / (1 - b1**step)) / (np.sqrt(v / (1 - b2**step)) + eps)
print("optim.Adam:", theta.numpy(), "\nby hand   :", th)
assert np.allclose(theta.numpy(), th, rtol=1e-10, atol=1e-12)

# %% [markdown]
# ### Training an MLP on digits
#
# Everything together: `synthetic_digits` (28×28 grey digits drawn from stroke templates
# with random jitter, generated offline), a 784-128-10 ReLU network, the categorical
# negative log-likelihood of §6, backpropagation, and Adam.

# %%
X_all, y_all = synthetic_digits(N_TRAIN + N_TEST, random_state=0)
X_tr, y_tr, X_te, y_te = X_all[:N_TRAIN], y_all[:N_TRAIN], X_all[N_TRAIN:], y_all[N_TRAIN:]


def accuracy(model, X, y, batch=500):
    model.eval()
    with no_grad():
        pred = np.concatenate(
            [model(X[i : i + batch]).numpy().argmax(1) for i in range(0, len(X), batch)]
        )
    model.train()
    return float(np.mean(pred == y)), pred


def train(model, X, y, X_test, y_test, epochs, lr, seed):
    """Adam on the cross-entropy; returns per-epoch (train loss, test error)."""
    opt = optim.Adam(model.parameters(), lr=lr)
    gen = np.random.default_rng(seed)
    hist = {"train loss (nats)": [], "test error": []}
    for epoch in range(epochs):
        losses = []
        for xb, yb in minibatches(X, y, batch_size=100, random_state=gen):
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        acc, _ = accuracy(model, X_test, y_test)
        hist["train loss (nats)"].append(float(np.mean(losses)))
        hist["test error"].append(1 - acc)
        print(f"  epoch {epoch + 1}: loss {np.mean(losses):.4f}, test accuracy {acc:.3f}")
    return hist


t = time.perf_counter()
hist_mlp = train(mlp, X_tr, y_tr, X_te, y_te, MLP_EPOCHS, lr=1e-3, seed=0)
acc_mlp, pred = accuracy(mlp, X_te, y_te)
print(
    f"MLP: test accuracy {acc_mlp:.3f} after {MLP_EPOCHS} epochs ({time.perf_counter() - t:.1f} s)"
)
assert acc_mlp > 0.8, "the MLP should learn the digits"

# %% [markdown]
# The trained weights go to an `.npz` file (atomically, read back with
# `allow_pickle=False`), and a fresh network loaded from it predicts the same labels:

# %%
path = mlp.save(L.path("mlp.npz"))
clone = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)).load(path)
assert np.array_equal(accuracy(clone, X_te, y_te)[1], pred)
print(f"saved and reloaded {path}")

# %% [markdown]
# ### A small CNN (full mode)
#
# Convolutions share one small filter across all positions, so a CNN needs far fewer
# parameters than the MLP for the same (or better) accuracy. With `TINYGEN_QUICK=1` this
# part is skipped to keep the lesson under half a minute.

# %%
curves = {f"MLP {k}": val for k, val in hist_mlp.items()}
model_for_grid = mlp
if not L.quick:
    cnn = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, random_state=2),
        nn.ReLU(),
        MaxPool(2),  # 8 × 14 × 14
        nn.Conv2d(8, 16, 3, padding=1, random_state=3),
        nn.ReLU(),
        MaxPool(2),  # 16 × 7 × 7
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 10, random_state=4),
    )
    n_cnn = sum(p.size for p in cnn.parameters())
    n_mlp = sum(p.size for p in mlp.parameters())
    print(f"CNN: {n_cnn} parameters (the MLP has {n_mlp})")
    t = time.perf_counter()
    # the CNN takes images of shape (n, 1, 28, 28): one input channel
    hist_cnn = train(cnn, X_tr[:, None], y_tr, X_te[:, None], y_te, CNN_EPOCHS, lr=2e-3, seed=1)
    acc_cnn, pred = accuracy(cnn, X_te[:, None], y_te)
    print(f"CNN: test accuracy {acc_cnn:.3f} ({time.perf_counter() - t:.1f} s)")
    curves.update({f"CNN {k}": val for k, val in hist_cnn.items()})
    model_for_grid = cnn

L.saved(
    training_curves(curves, L.path("training_curves.png"), title="digits: MLP and CNN", logy=True)
)
# the first 8 test digits, then (up to) 8 that the model gets wrong, with its predictions
wrong = np.flatnonzero(pred != y_te)[:8]
show = np.concatenate([np.arange(8), wrong])
labels = [f"{pred[i]}" if pred[i] == y_te[i] else f"{pred[i]}({y_te[i]})" for i in show]
print(f"{np.sum(pred != y_te)} of {len(y_te)} test digits misclassified; shown: {wrong.tolist()}")
L.saved(
    image_grid(
        X_te[show],
        L.path("test_predictions.png"),
        nrow=8,
        title="predicted (true): " + " ".join(labels[:8]) + "  |  errors: " + " ".join(labels[8:]),
    )
)
print(f"lesson ran in {time.perf_counter() - T0:.1f} s")

# %% [markdown]
# ## Exercises
#
# **Graded versions** of this lesson's derivations are in `exercises/autograd.py`: an
# instructor hands them out with `tinygen exercises release OUT` and grades them with
# `tinygen exercises grade SUBMISSIONS/` (property tests against the derivations; see
# `docs/exercises.md`). The open-ended exercises below are not graded.
#
# 1. **Write an op.** Implement `Softsign`, $z = x / (1 + |x|)$, as a `Function` with its
#    own `forward` and `backward` ($\partial z/\partial x = 1/(1+|x|)^2$). Verify it with
#    `check_grads` on random inputs away from 0, then break the backward on purpose and
#    read the failure message.
# 2. **The adjoint of broadcasting.** Show that for $x$ of shape (3, 1) and $y$ of shape
#    (4,), $z = x + y$ has shape (3, 4) and derive $\bar x$ and $\bar y$ from
#    $\bar z$. Check your formulas against `unbroadcast` and against `Tensor.backward`.
#    Why must $\bar x$ keep the size-1 axis?
# 3. **Forward mode.** A Jacobian-*vector* product propagates a tangent $\dot v$ forwards:
#    $\dot y = J_f \dot x$. Write `jvp(f, x, dx)` for compositions of `exp`, `*` and `sum`
#    and verify $\langle \nabla L, \dot x \rangle = \dot L$. For which shapes of problem
#    is forward mode cheaper than reverse mode?
# 4. **SGD with momentum.** Write `MomentumSGD(params, lr, mu)` (a `step()` that keeps one
#    velocity per parameter, $b \leftarrow \mu b + g$, $\theta \leftarrow \theta - \eta b$)
#    and check that it matches `optim.SGD(params, lr, momentum=mu)` step for step. Then
#    compare plain SGD, momentum and Adam on the quadratic of §8: how many steps does each
#    need to reach $\|\theta\| < 10^{-3}$?
# 5. **Stability.** Find the smallest float32 logit for which
#    `-np.log(1 - special.expit(x))` returns `inf`, and show that
#    `F.binary_cross_entropy_with_logits` is still exact there.
# 6. **col2im by another route.** Compute $\bar x$ of §7 a third way, as
#    `F.conv2d` of the zero-stuffed, padded $\bar y$ with the weight flipped in both spatial
#    axes and its two channel axes swapped (stride 1). When does this need extra padding?
