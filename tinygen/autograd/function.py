"""The op base class: one op = its forward and its backward, side by side.

A primitive op subclasses :class:`Function` and writes two methods on plain arrays:

* ``forward(self, *arrays, **params) -> array`` computes the output and saves on ``self``
  whatever the backward needs;
* ``backward(self, grad) -> tuple`` returns ∂L/∂input for each input (``None`` where an
  input needs no gradient), given ``grad`` = ∂L/∂output.

Broadcasting is undone once, here in the base (:func:`unbroadcast`), not in every op.
``backward`` must not modify ``grad`` in place (it may be shared with other ops).

Lesson: ``lessons/autograd.py`` §2 "An op is a forward and a backward".
"""

from __future__ import annotations

import contextlib

__all__ = ["Function", "unbroadcast", "no_grad", "enable_grad", "is_grad_enabled", "OpError"]

_GRAD_ENABLED = [True]
_Tensor = None  # set by tensor.py (the two modules refer to each other)


class OpError(ValueError):
    """An op was given inputs it cannot combine; the message names the op and the shapes."""


def is_grad_enabled() -> bool:
    """Whether new ops record the graph for backpropagation."""
    return _GRAD_ENABLED[0]


@contextlib.contextmanager
def no_grad():
    """Context manager: ops inside record no graph (evaluation, sampling, optimizer steps)."""
    old = _GRAD_ENABLED[0]
    _GRAD_ENABLED[0] = False
    try:
        yield
    finally:
        _GRAD_ENABLED[0] = old


@contextlib.contextmanager
def enable_grad():
    """Context manager: record the graph again inside a :func:`no_grad` block."""
    old = _GRAD_ENABLED[0]
    _GRAD_ENABLED[0] = True
    try:
        yield
    finally:
        _GRAD_ENABLED[0] = old


def unbroadcast(grad, shape):
    """Sum ``grad`` back to ``shape``: the adjoint of NumPy broadcasting.

    If y = broadcast(x) then ∂L/∂x = Σ over the broadcast axes of ∂L/∂y: leading axes that
    broadcasting added are summed away, and axes where x had size 1 are summed with
    ``keepdims``.
    """
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


class Function:
    """Base class of every differentiable primitive op (see the module docstring)."""

    parents: tuple = ()

    def forward(self, *arrays, **params):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors ``inputs``; record it in the graph if an input needs a gradient."""
        ctx = cls.__new__(cls)
        try:
            out = ctx.forward(*[t.data for t in inputs], **params)
        except (ValueError, IndexError) as exc:
            shapes = " and ".join(str(tuple(t.shape)) for t in inputs)
            raise OpError(
                f"{cls.__name__}: cannot apply to inputs of shapes {shapes}: {exc}"
            ) from exc
        record = _GRAD_ENABLED[0] and any(x.requires_grad for x in inputs)
        if record:
            ctx.parents = inputs
        return _Tensor._from_op(out, ctx if record else None)
