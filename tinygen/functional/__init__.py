"""``tinygen.functional`` (import as ``F``): differentiable functions with PyTorch's names.

Activations (``exp expm1 log log1p sqrt tanh sigmoid relu leaky_relu elu softplus logsigmoid
dropout``), the softmax family (``logsumexp log_softmax softmax``), array ops (``where clip
concatenate stack pad linear``), convolution (``conv2d masked_conv2d raster_taps conv_transpose2d
max_pool2d avg_pool2d upsample_nearest``), losses (``binary_cross_entropy_with_logits
binary_cross_entropy cross_entropy nll_loss mse_loss gaussian_nll_loss``), the Bernoulli
log-likelihood summed over the last axis (``bernoulli_log_likelihood``), and the VAE's
Gaussian pieces (``reparameterize kl_normal``).

Each is a primitive op of :mod:`tinygen.autograd.ops`, a composite written from primitives,
or, where numerical stability needs it (softplus, logsumexp, log_softmax, BCE with logits,
cross-entropy), a fused op whose ``# NOTE:`` says why, beside its composite reference.

Lesson: ``lessons/autograd.py``.
"""

from .activations import (
    dropout,
    elu,
    exp,
    expm1,
    leaky_relu,
    log,
    log1p,
    logsigmoid,
    relu,
    sigmoid,
    softplus,
    sqrt,
    tanh,
)
from .array_ops import clip, concatenate, linear, pad, stack, where
from .conv import (
    avg_pool2d,
    conv2d,
    conv_transpose2d,
    masked_conv2d,
    max_pool2d,
    raster_taps,
    upsample_nearest,
)
from .gaussian import kl_normal, reparameterize
from .losses import (
    bernoulli_log_likelihood,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gaussian_nll_loss,
    mse_loss,
    nll_loss,
)
from .reductions import log_softmax, logsumexp, softmax

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
    "logsumexp",
    "log_softmax",
    "softmax",
    "where",
    "clip",
    "concatenate",
    "stack",
    "pad",
    "linear",
    "binary_cross_entropy_with_logits",
    "bernoulli_log_likelihood",
    "binary_cross_entropy",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "gaussian_nll_loss",
    "kl_normal",
    "reparameterize",
    "conv2d",
    "masked_conv2d",
    "raster_taps",
    "conv_transpose2d",
    "max_pool2d",
    "avg_pool2d",
    "upsample_nearest",
]
