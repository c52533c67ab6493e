"""``Tensor``: an array that remembers how it was computed, for reverse-mode autodiff.

Lesson: ``lessons/autograd.py`` §1 "A tensor and its graph", §3 "Backpropagation is a
topological sort".
"""

from __future__ import annotations

import itertools
import operator

import numpy as np

from .. import backend
from .function import unbroadcast

__all__ = ["Tensor", "as_tensor"]

#: creation counter: an op's output is numbered after its inputs (see ``Tensor.backward``)
_COUNTER = itertools.count()


def _to_array(data, dtype=None):
    """Array on the active backend. Python scalars and lists of floats take the default dtype;
    arrays keep their own dtype unless ``dtype`` is given."""
    xp = backend.xp()
    if isinstance(data, np.ndarray) or type(data).__module__.startswith("cupy"):
        arr = data if backend.get_array_module(data) is xp else xp.asarray(backend.to_numpy(data))
    else:
        arr = xp.asarray(data)
        if arr.dtype.kind == "f" and dtype is None:
            dtype = backend.get_default_dtype()
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return arr


class Tensor:
    """A node of the computation graph wrapping a NumPy (or CuPy) array.

    Parameters
    ----------
    data : array_like
        The values. NumPy/CuPy arrays keep their dtype; Python floats and lists of floats
        take the default float dtype (``float32``, see :mod:`tinygen.backend`).
    requires_grad : bool, default False
        If True, ``backward`` fills ``.grad`` (∂L/∂self, same shape as ``data``).
    dtype : optional
        Cast the data to this dtype.

    Notes
    -----
    Gradients accumulate into ``.grad`` of leaf tensors (those created by the user, not by
    an op) across calls to :meth:`backward`; zero them with ``t.grad = None`` or an
    optimizer's ``zero_grad()``.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_retain", "_seq", "__weakref__")
    __array_priority__ = 1000  # so ndarray + Tensor calls Tensor.__radd__

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        data = _to_array(data, dtype)
        if requires_grad and data.dtype.kind not in "fc":
            raise TypeError(
                f"only floating tensors can require gradients; got dtype {data.dtype}. "
                "Pass dtype='float32' (or float64) to make it differentiable."
            )
        self._init(data, bool(requires_grad), None)

    def _init(self, data, requires_grad, ctx):
        """Set every field: the one place a Tensor's state is made (by ``__init__`` for a
        user's tensor, by :meth:`_from_op` for an op's output)."""
        self.data = data
        self.grad = None
        self.requires_grad = requires_grad
        self._ctx = ctx  # the op that made this tensor, if it is recorded in the graph
        self._retain = False
        self._seq = next(_COUNTER)

    @classmethod
    def _from_op(cls, data, ctx):
        """The output of an op: ``data`` is already an array of the backend; ``ctx`` is the
        op that made it when the graph is recorded (then it requires a gradient), else None."""
        t = cls.__new__(cls)
        t._init(data, ctx is not None, ctx)
        return t

    # ------------------------------------------------------------------ basics
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self):
        return self.data.size

    @property
    def is_leaf(self):
        return self._ctx is None

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = np.array2string(backend.to_numpy(self.data), separator=", ", threshold=20)
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}, dtype={self.dtype}{extra})"

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (copied from the GPU if needed; no graph)."""
        return backend.to_numpy(self.data)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        return self.data.item()

    def detach(self) -> Tensor:
        """A tensor sharing the data but cut from the graph (no gradient flows through)."""
        return Tensor(self.data)

    def astype(self, dtype) -> Tensor:
        """A differentiable cast to ``dtype``."""
        from .ops.elementwise import Cast

        return Cast.apply(self, dtype=np.dtype(dtype))

    def retain_grad(self) -> Tensor:
        """Ask ``backward`` to keep ``.grad`` on this non-leaf tensor too."""
        self._retain = True
        return self

    def zero_grad(self) -> None:
        self.grad = None

    # ---------------------------------------------------------------- backward
    def backward(self, grad=None) -> None:
        """Backpropagate: fill ``.grad`` of every leaf that requires a gradient.

        Computes ∂L/∂x for L = Σ ``grad`` ⊙ self (``grad`` defaults to ones, so a scalar
        loss needs none) by visiting the graph in reverse topological order and applying
        each op's ``backward`` once, summing the gradients of tensors used several times.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require a gradient: create the leaves "
                "with requires_grad=True (and do not call it inside no_grad())."
            )
        xp = backend.get_array_module(self.data)
        if grad is None:
            grad = xp.ones_like(self.data)
        else:
            grad = grad.data if isinstance(grad, Tensor) else xp.asarray(grad, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"backward: grad of shape {grad.shape} for a tensor of shape {self.shape}"
                )

        # Collect the nodes that lead to self, then visit them in reverse creation order:
        # an op's output is always created after its inputs, so decreasing ``_seq`` is a
        # reverse topological order (no recursion, no per-edge bookkeeping).
        nodes, seen, stack = [self], {self}, [self]
        while stack:
            ctx = stack.pop()._ctx
            if ctx is not None:
                for p in ctx.parents:
                    if p.requires_grad and p not in seen:
                        seen.add(p)
                        nodes.append(p)
                        stack.append(p)
        nodes.sort(key=_SEQ, reverse=True)

        grads = {self: grad}
        pop, get = grads.pop, grads.get
        stored = set()  # ids of arrays already stored as a .grad: each .grad is its own array
        for node in nodes:
            g = pop(node, None)
            if g is None:
                continue
            ctx = node._ctx
            if ctx is None or node._retain:
                if node.grad is not None:
                    node.grad = node.grad + g
                else:  # copy views (read-only broadcasts) and arrays shared with another .grad
                    node.grad = g.copy() if id(g) in stored or not g.flags.owndata else g
                    stored.add(id(node.grad))
                if ctx is None:
                    continue
            for p, pg in zip(ctx.parents, ctx.backward(g)):
                if pg is None or not p.requires_grad:
                    continue
                if pg.shape != p.data.shape:
                    pg = unbroadcast(pg, p.data.shape)
                prev = get(p)
                grads[p] = pg if prev is None else prev + pg

    # --------------------------------------------------------------- operators
    def _wrap(self, other) -> Tensor:
        if isinstance(other, Tensor):
            return other
        dt = self.data.dtype if self.data.dtype.kind == "f" else None
        return Tensor(_to_array(other, dt) if dt is not None else other)

    def __add__(self, other):
        return _o.Add.apply(self, self._wrap(other))

    def __radd__(self, other):
        return _o.Add.apply(self._wrap(other), self)

    def __sub__(self, other):
        return _o.Sub.apply(self, self._wrap(other))

    def __rsub__(self, other):
        return _o.Sub.apply(self._wrap(other), self)

    def __mul__(self, other):
        return _o.Mul.apply(self, self._wrap(other))

    def __rmul__(self, other):
        return _o.Mul.apply(self._wrap(other), self)

    def __truediv__(self, other):
        return _o.Div.apply(self, self._wrap(other))

    def __rtruediv__(self, other):
        return _o.Div.apply(self._wrap(other), self)

    def __pow__(self, other):
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            if isinstance(other, float):  # np.float64 is a float: keep float32 graphs float32
                other = float(other)
            return _o.PowConst.apply(self, p=other)
        return _o.Pow.apply(self, self._wrap(other))

    def __rpow__(self, other):
        return _o.Pow.apply(self._wrap(other), self)

    def __matmul__(self, other):
        return _o.MatMul.apply(self, self._wrap(other))

    def __rmatmul__(self, other):
        return _o.MatMul.apply(self._wrap(other), self)

    def __neg__(self):
        return _o.Neg.apply(self)

    def __pos__(self):
        return self

    # comparisons: no gradient, boolean result
    def _cmp(self, other, fn):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor(fn(self.data, other))

    def __lt__(self, other):
        return self._cmp(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._cmp(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._cmp(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._cmp(other, lambda a, b: a >= b)

    def eq(self, other) -> Tensor:
        """Elementwise equality (no gradient). ``==`` keeps Python identity semantics."""
        return self._cmp(other, lambda a, b: a == b)

    __hash__ = object.__hash__

    def __getitem__(self, index):
        return _o.GetItem.apply(self, index=_unwrap_index(index))

    # ------------------------------------------------------------ shape & math
    def reshape(self, *shape) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _o.Reshape.apply(self, shape=shape)

    def flatten(self, start_dim=0) -> Tensor:
        return self.reshape(self.shape[:start_dim] + (-1,))

    def transpose(self, *axes) -> Tensor:
        """Permute axes (all reversed if none given); ``transpose(a, b)`` swaps two (PyTorch)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if len(axes) == 2:
            perm = list(range(self.ndim))
            perm[axes[0]], perm[axes[1]] = perm[axes[1]], perm[axes[0]]
            axes = tuple(perm)
        return _o.Transpose.apply(self, axes=axes or None)

    def permute(self, *axes) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _o.Transpose.apply(self, axes=axes)

    @property
    def T(self) -> Tensor:
        return _o.Transpose.apply(self, axes=None)

    def sum(self, axis=None, keepdims=False) -> Tensor:
        return _o.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False) -> Tensor:
        return _o.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False) -> Tensor:
        return _o.Max.apply(self, axis=axis, keepdims=keepdims)

    def exp(self) -> Tensor:
        return _o.Exp.apply(self)

    def log(self) -> Tensor:
        return _o.Log.apply(self)

    def sqrt(self) -> Tensor:
        return _o.Sqrt.apply(self)

    def tanh(self) -> Tensor:
        return _o.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return _o.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return _o.ReLU.apply(self)

    def abs(self) -> Tensor:
        return _o.Abs.apply(self)


def _unwrap_index(index):
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def as_tensor(x, dtype=None) -> Tensor:
    """``x`` itself if it is a Tensor (cast if ``dtype`` differs), else a new constant Tensor."""
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    return Tensor(x, dtype=dtype)


_SEQ = operator.attrgetter("_seq")


from . import function as _function  # noqa: E402
from . import ops as _o  # noqa: E402

_function._Tensor = Tensor
