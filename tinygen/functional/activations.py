"""Element-wise activations: PyTorch names over tinygen's primitive ops.

Most are one primitive (``F.exp`` is :class:`~tinygen.autograd.ops.Exp`); ``elu``,
``logsigmoid`` are composites written from primitives; ``softplus`` is a fused op whose
composite form (:func:`_softplus_composite`) is kept for the lesson and tested against it.

Lesson: ``lessons/autograd.py`` §4 "Composite ops are just more graph".
"""

from __future__ import annotations

from .. import rng as _rng
from ..autograd import Function, Tensor, ops
from ..numerics import sigmoid as sigmoid_array
from ..numerics import softplus as softplus_array
from ._utils import as_float_tensor

__all__ = [
    "exp",
    "expm1",
    "log",
    "log1p",
    "sqrt",
    "tanh",
    "sigmoid",
    "relu",
    "leaky_relu",
    "elu",
    "softplus",
    "logsigmoid",
    "dropout",
    "Softplus",
]


def exp(x) -> Tensor:
    """y = eˣ, elementwise."""
    return ops.Exp.apply(as_float_tensor(x))


def expm1(x) -> Tensor:
    """y = eˣ − 1, elementwise, exact near 0 where eˣ − 1 would cancel."""
    return ops.Expm1.apply(as_float_tensor(x))


def log(x) -> Tensor:
    """y = log x (natural logarithm), elementwise; x > 0."""
    return ops.Log.apply(as_float_tensor(x))


def log1p(x) -> Tensor:
    """y = log(1 + x), elementwise, accurate for small |x|; x > −1."""
    return ops.Log1p.apply(as_float_tensor(x))


def sqrt(x) -> Tensor:
    """y = √x, elementwise; x ≥ 0."""
    return ops.Sqrt.apply(as_float_tensor(x))


def tanh(x) -> Tensor:
    """y = tanh x = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ), elementwise."""
    return ops.Tanh.apply(as_float_tensor(x))


def sigmoid(x) -> Tensor:
    """y = σ(x) = 1/(1 + e⁻ˣ), elementwise (never overflows)."""
    return ops.Sigmoid.apply(as_float_tensor(x))


def relu(x) -> Tensor:
    """y = max(x, 0), elementwise."""
    return ops.ReLU.apply(as_float_tensor(x))


def leaky_relu(x, negative_slope=0.01) -> Tensor:
    """y = x if x > 0 else a·x (a = ``negative_slope``), elementwise.

    References
    ----------
    Maas, Hannun & Ng (2013), "Rectifier nonlinearities improve neural network acoustic models".
    """
    return ops.LeakyReLU.apply(as_float_tensor(x), negative_slope=float(negative_slope))


def elu(x, alpha=1.0) -> Tensor:
    """y = x if x > 0 else α(eˣ − 1), elementwise.

    Written from primitives as relu(x) + α(exp(−relu(−x)) − 1): for x > 0 the second term
    is α(e⁰ − 1) = 0, for x ≤ 0 the first is 0, and exp never sees a positive argument.

    References
    ----------
    Clevert, Unterthiner & Hochreiter (2016), "Fast and accurate deep network learning by
    exponential linear units (ELUs)", ICLR.
    """
    x = as_float_tensor(x)
    return relu(x) + (exp(-relu(-x)) - 1.0) * float(alpha)


class Softplus(Function):
    """z = log(1 + eˣ) = max(x, 0) + log(1 + e^{−|x|});  ∂z/∂x = σ(x).

    # NOTE: fused for stability: log(1 + eˣ) written as a graph overflows for x > 88 in
    # float32; the rewriting max(x, 0) + log1p(e^{−|x|}) (:func:`tinygen.numerics.softplus`)
    # never does, and its derivative is the overflow-free σ(x) directly (Mächler 2012,
    # "Accurately computing log(1 − exp(−|a|))", CRAN Rmpfr vignette). It equals
    # :func:`_softplus_composite`, which the tests check.
    """

    def forward(self, x):
        self.x = x
        return softplus_array(x)

    def backward(self, g):
        return (g * sigmoid_array(self.x),)


def _softplus_composite(x) -> Tensor:
    """softplus from primitives: relu(x) + log1p(exp(−|x|)) (the lesson's form)."""
    x = as_float_tensor(x)
    return relu(x) + log1p(exp(-x.abs()))


def softplus(x) -> Tensor:
    """y = log(1 + eˣ), elementwise, stable for any x (computed as max(x,0) + log1p(e^{−|x|})).

    Its derivative is the logistic sigmoid σ(x).

    References
    ----------
    Dugas et al. (2001), "Incorporating second-order functional knowledge for better option
    pricing", NIPS.
    """
    return Softplus.apply(as_float_tensor(x))


def logsigmoid(x) -> Tensor:
    """y = log σ(x) = −softplus(−x), elementwise, stable for any x."""
    return -softplus(-as_float_tensor(x))


def dropout(x, p=0.5, training=True, random_state=None) -> Tensor:
    """Inverted dropout: y = x ⊙ m / (1 − p) with mᵢ ~ Bernoulli(1 − p) while training, else x.

    Parameters
    ----------
    x : Tensor
        Input of any shape.
    p : float
        Probability of zeroing an element, in [0, 1].
    training : bool
        Apply dropout only when True; otherwise return ``x`` unchanged.
    random_state : int, numpy.random.Generator or None
        Source of the mask (see :func:`tinygen.rng.as_generator`).

    References
    ----------
    Srivastava et al. (2014), "Dropout: a simple way to prevent neural networks from
    overfitting", JMLR 15.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p}")
    x = as_float_tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    gen = _rng.as_generator(random_state)
    keep = _rng.uniform(gen, x.shape, dtype=x.dtype) >= x.dtype.type(p)
    scale = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return x * Tensor(scale)
