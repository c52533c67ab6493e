"""``Optimizer``: the base class holding the parameters an update rule trains.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor

__all__ = ["Optimizer", "flush_tiny_", "FLUSH_EVERY"]

#: every this many steps the optimizers' decaying buffers (Adam's moments, SGD's momentum)
#: are swept by :func:`flush_tiny_`.
FLUSH_EVERY = 64

#: :func:`flush_tiny_` zeroes entries below this many times the dtype's smallest normal
#: number (2²⁰·tiny: 1.2e-32 in float32, 2.3e-302 in float64).
FLUSH_BELOW = 2.0**20


def flush_tiny_(xp, a):
    """Set to zero, in place, the entries of ``a`` with |a| < 2²⁰ · tiny (tiny: the smallest
    normal number of a's dtype), before they decay into subnormal numbers.

    Why: a moment estimate whose gradient has become exactly zero (the weights of a dead
    ReLU unit, of an always-blank pixel) decays geometrically, m ← β m, and after about 800
    steps at β = 0.9 it is *subnormal* (below 1.2e-38 in float32); rounding then keeps it
    at the smallest subnormal for ever. CPUs handle subnormal operands in microcode, tens
    to a hundred times more slowly, and every later update pays for it. TensorFlow and JAX
    avoid this by switching the CPU to flush-to-zero; NumPy offers no such switch, so the
    optimizers sweep their buffers every :data:`FLUSH_EVERY` steps.
    A value at the threshold needs more than 64 steps of decay by β ≥ 0.81 to become
    subnormal, so a buffer that decays never holds one. Zeroing changes no update: Adam
    adds η m̂ / (√v̂ + ε), so an |m| < 1.2e-32 moves θ by less than 1e-24·η/ε, and a
    v < 1.2e-32 adds √v̂ ≲ 1e-16 to ε ≥ 1e-8, below float32 resolution; SGD's momentum
    moves θ by lr·|b| < 1.2e-32·lr. The masked store does no arithmetic on the subnormals
    themselves (Dooley & Kale 2006, "Quantifying the interference caused by subnormal
    floating-point values").
    """
    limit = xp.finfo(a.dtype).tiny * FLUSH_BELOW
    xp.copyto(a, 0, where=xp.abs(a) < limit)


class Optimizer:
    """Base class: keeps the list of parameters, the learning rate ``lr`` and per-parameter
    state; subclasses implement :meth:`step`.

    Parameters
    ----------
    params : iterable of Parameter
        The tensors to train (e.g. ``model.parameters()``); duplicates are dropped.
    lr : float
        Learning rate; schedulers (:mod:`tinygen.optim.lr_scheduler`) change ``self.lr``.

    Notes
    -----
    Updates are done in place on ``p.data`` under no graph. Parameters whose ``grad`` is
    None (unused in the loss) are skipped. Gradients are read, never written, because one
    gradient array may be shared by several tensors.
    """

    #: names of the float hyperparameters saved by :meth:`state_dict`
    _hyper: tuple = ("lr",)

    def __init__(self, params, lr):
        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of Parameters (e.g. model.parameters()), "
                "not a single Tensor; wrap it in a list"
            )
        unique, seen = [], set()
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"params[{i}] is a {type(p).__name__}, not a Tensor/Parameter")
            if not p.requires_grad:
                raise ValueError(
                    f"params[{i}] (shape {tuple(p.shape)}) does not require a gradient"
                )
            if id(p) not in seen:
                seen.add(id(p))
                unique.append(p)
        if not unique:
            raise ValueError("optimizer got an empty parameter list")
        if not lr >= 0.0:
            raise ValueError(f"learning rate must be >= 0, got {lr}")
        self.params = unique
        self.lr = float(lr)
        self.t = 0  # number of steps taken

    def zero_grad(self) -> None:
        """Forget the gradients: ``p.grad = None`` for every parameter."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------ checkpoints
    def _buffers(self) -> dict:
        """Name → list (one entry per parameter, None where absent) of state arrays."""
        return {}

    def state_dict(self) -> dict:
        """Hyperparameters, step count and state arrays as name → NumPy array (``.npz``-ready).

        Keys: ``"t"``, each hyperparameter in ``_hyper`` and ``"<buffer>.<i>"`` for the
        i-th parameter's state (e.g. ``"m.0"``, ``"v.0"`` for Adam).
        """
        out = {"t": np.asarray(self.t, dtype=np.int64)}
        for h in self._hyper:
            out[h] = np.asarray(getattr(self, h), dtype=np.float64)
        for name, arrays in self._buffers().items():
            for i, a in enumerate(arrays):
                if a is not None:
                    out[f"{name}.{i}"] = np.array(backend.to_numpy(a))
        return out

    def load_state_dict(self, state) -> None:
        """Restore what :meth:`state_dict` returned (for the same parameter list)."""
        if "t" not in state:
            raise KeyError(f"{type(self).__name__}.load_state_dict: no 't' entry in the state")
        self.t = int(np.asarray(state["t"]))
        for h in self._hyper:
            if h in state:
                setattr(self, h, float(np.asarray(state[h])))
        bufs = self._buffers()
        for name, arrays in bufs.items():
            for i, p in enumerate(self.params):
                key = f"{name}.{i}"
                if key not in state:
                    arrays[i] = None
                    continue
                a = np.asarray(state[key])
                if a.shape != tuple(p.shape):
                    raise ValueError(
                        f"{type(self).__name__}.load_state_dict: {key!r} has shape {a.shape}, "
                        f"parameter {i} has shape {tuple(p.shape)}"
                    )
                xp = backend.get_array_module(p.data)
                arrays[i] = xp.asarray(a.astype(p.dtype, copy=True))
