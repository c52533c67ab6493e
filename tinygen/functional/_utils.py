"""Small helpers shared by the functional modules (wrapping operands, reductions)."""

from __future__ import annotations

from ..autograd import Tensor, as_tensor

__all__ = ["as_float_tensor", "float_dtype_of", "reduce_loss", "REDUCTIONS"]

REDUCTIONS = ("mean", "sum", "none")


def float_dtype_of(*xs):
    """The dtype of the first floating Tensor among ``xs`` (None if there is none)."""
    for x in xs:
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            return x.dtype
    return None


def as_float_tensor(x, dtype=None) -> Tensor:
    """``x`` as a Tensor; arrays and scalars become constants of ``dtype``.

    A Tensor is returned unchanged (its graph kept); anything else is wrapped with
    :func:`tinygen.autograd.as_tensor` in ``dtype`` (the float dtype of the other operand), so a
    float64 array or a Python float never promotes a float32 graph to float64.
    """
    if isinstance(x, Tensor):
        return x
    return as_tensor(x, dtype=dtype)


def reduce_loss(loss: Tensor, reduction: str, name: str) -> Tensor:
    """Apply ``reduction`` ("mean" over all entries, "sum", or "none") to elementwise ``loss``."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def check_reduction(reduction: str, name: str) -> None:
    """Raise a clear error for an unknown ``reduction`` before any work is done."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
