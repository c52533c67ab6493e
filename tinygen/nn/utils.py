"""Gradient utilities: clipping by global norm.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd import Tensor

__all__ = ["clip_grad_norm_"]


def clip_grad_norm_(params, max_norm, norm_type=2.0, error_if_nonfinite=False) -> float:
    """Rescale gradients so that their global norm is at most ``max_norm``; return the norm.

    With ‖g‖ = (Σ_p Σ_i |g_{p,i}|^q)^{1/q} over all parameters' gradients (q = ``norm_type``,
    ``inf`` for the max norm), every gradient is multiplied by min(1, max_norm / (‖g‖ + 1e-6)).

    Parameters
    ----------
    params : Tensor or iterable of Tensor
        Parameters whose ``.grad`` to clip (those without a gradient are skipped).
    max_norm : float
    norm_type : float, default 2
    error_if_nonfinite : bool, default False
        Raise ``FloatingPointError`` if the norm is NaN or infinite (a diverged step).

    Returns
    -------
    float
        The norm before clipping (NaN/inf if some gradient is non-finite; then nothing is
        scaled).

    Notes
    -----
    New gradient arrays are assigned rather than scaled in place, because one gradient array
    may be shared by several tensors.
    """
    if isinstance(params, Tensor):
        params = [params]
    grads = [p for p in params if p.grad is not None]
    if not grads:
        return 0.0
    q = float(norm_type)
    if math.isinf(q):
        total = max(float(backend.to_numpy(abs(p.grad).max())) for p in grads)
    else:
        acc = 0.0
        for p in grads:
            g = p.grad
            acc += float(backend.to_numpy((g * g).sum() if q == 2.0 else (abs(g) ** q).sum()))
        total = acc ** (1.0 / q)
    if not math.isfinite(total):
        if error_if_nonfinite:
            raise FloatingPointError(
                f"clip_grad_norm_: the gradient norm is {total}; the loss has diverged "
                "(lower the learning rate or check the data for NaNs)"
            )
        return total
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in grads:
            p.grad = p.grad * p.grad.dtype.type(coef)
    return total
