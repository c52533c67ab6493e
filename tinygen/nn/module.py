"""``Module`` and ``Parameter``: the containers every layer and model is built from.

A :class:`Module` records, in the order they are assigned, its :class:`Parameter` s (the
tensors an optimizer trains), its buffers (arrays that are state but not trained, e.g. a
batch norm's running mean) and its sub-modules, exactly like ``torch.nn.Module``. From that
record come ``parameters()``, dotted ``named_parameters()`` (``"layers.0.weight"``),
``train()``/``eval()``, ``zero_grad()`` and the state dict (name → NumPy array) that
``save``/``load`` write to and read from an ``.npz`` file.

Checkpoints go through :func:`tinygen.io.save_npz` / :func:`tinygen.io.load_npz`: written
atomically (a temporary file in the same folder, then ``os.replace``), so an interrupted save
never destroys the previous checkpoint, and read with ``allow_pickle=False``.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from pathlib import Path

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..io import load_npz, save_npz

__all__ = [
    "Parameter",
    "Module",
    "Sequential",
    "ModuleList",
    "save_npz",
    "load_npz",
    "IncompatibleKeys",
]

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A trainable tensor: a :class:`~tinygen.Tensor` with ``requires_grad=True`` that a
    :class:`Module` registers when it is assigned as an attribute.

    Parameters
    ----------
    data : array_like
        Initial values (float arrays keep their dtype; Python floats take the default).
    requires_grad : bool, default True
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True, dtype=None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers and models (mirrors ``torch.nn.Module``).

    Subclasses call ``super().__init__()`` first, assign :class:`Parameter` s, sub-modules
    and buffers (:meth:`register_buffer`) as attributes, and define ``forward``; calling the
    module calls ``forward``.

    Attributes
    ----------
    training : bool
        True in training mode (the default), False after :meth:`eval`. Layers such as
        :class:`~tinygen.nn.Dropout` and :class:`~tinygen.nn.BatchNorm1d` behave
        differently in the two modes.
    """

    def __init__(self):
        d = self.__dict__
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_modules"] = OrderedDict()
        d["training"] = True

    # ------------------------------------------------------------ registration
    def _registries(self):
        try:
            d = self.__dict__
            return d["_parameters"], d["_buffers"], d["_modules"]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() in __init__ before assigning "
                "parameters, buffers or sub-modules"
            ) from None

    def __setattr__(self, name, value):
        # Registered values also live in the instance __dict__ so that reading them is a plain
        # attribute lookup (fast on the hot path); this method keeps the two in step.
        if isinstance(value, Parameter):
            params, buffers, modules = self._registries()
            buffers.pop(name, None)
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params, buffers, modules = self._registries()
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        else:
            d = self.__dict__
            if name in d.get("_parameters", ()):
                if value is not None:
                    raise TypeError(
                        f"cannot assign {type(value).__name__} to parameter {name!r} of "
                        f"{type(self).__name__}: wrap it in tinygen.nn.Parameter (or assign None)"
                    )
                d["_parameters"][name] = None
            elif name in d.get("_modules", ()):
                if value is not None:
                    raise TypeError(
                        f"cannot assign {type(value).__name__} to sub-module {name!r} of "
                        f"{type(self).__name__}: assign a Module (or None)"
                    )
                d["_modules"][name] = None
            elif name in d.get("_buffers", ()):
                d["_buffers"][name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for reg in ("_parameters", "_buffers", "_modules"):
            self.__dict__.get(reg, {}).pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, array) -> None:
        """Record ``array`` (an array, or None) as state saved in the state dict but not
        trained, e.g. a batch norm's running mean. Read and assign it as ``self.<name>``."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"buffer name must be a non-empty string without '.', got {name!r}")
        params, buffers, modules = self._registries()
        if name in params or name in modules:
            raise KeyError(f"{type(self).__name__} already has a parameter/sub-module {name!r}")
        if isinstance(array, Tensor):
            array = array.data
        buffers[name] = array
        object.__setattr__(self, name, array)

    def register_parameter(self, name: str, param) -> None:
        """Record ``param`` (a :class:`Parameter` or None) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: expected a Parameter, got {type(param)}")
        self._registries()[0][name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module) -> None:
        """Record ``module`` (a :class:`Module` or None) as a sub-module named ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: expected a Module, got {type(module)}")
        self._registries()[2][name] = module
        object.__setattr__(self, name, module)

    # --------------------------------------------------------------- traversal
    def named_modules(self, prefix: str = "", _memo=None):
        """Yield ``(dotted_name, module)`` for this module (name ``""``) and all below it."""
        memo = set() if _memo is None else _memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        """Yield this module and every sub-module, depth first, in registration order."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """Yield ``(name, module)`` for the direct sub-modules."""
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self):
        """Yield the direct sub-modules."""
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """Yield ``(dotted_name, parameter)``, e.g. ``("layers.0.weight", W)``, in registration
        order; a parameter shared by several modules is yielded once."""
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mprefix}.{name}" if mprefix else name), p

    def parameters(self, recurse: bool = True):
        """Yield the parameters (see :meth:`named_parameters`)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = ""):
        """Yield ``(dotted_name, array)`` for every buffer below this module."""
        for mprefix, m in self.named_modules(prefix):
            for name, b in m._buffers.items():
                if b is not None:
                    yield (f"{mprefix}.{name}" if mprefix else name), b

    def buffers(self):
        for _, b in self.named_buffers():
            yield b

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module (children first) and on self; return self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------- modes, grads
    def train(self, mode: bool = True):
        """Set training mode (``mode=True``) or evaluation mode, recursively; return self."""
        for m in self.modules():
            m.__dict__["training"] = bool(mode)
        return self

    def eval(self):
        """Evaluation mode (``train(False)``): dropout off, batch norm uses running stats."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget the gradients: ``p.grad = None`` for every parameter."""
        for p in self.parameters():
            p.grad = None

    def to(self, dtype):
        """Cast every parameter and floating buffer to ``dtype`` in place; return self.

        E.g. ``model.to("float64")`` before :func:`tinygen.testing.check_grads` on a whole
        model. Create the optimizer afterwards (it keeps per-parameter state).
        """
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to: expected a floating dtype, got {dtype}")
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None and p.dtype != dtype:
                    p.data = p.data.astype(dtype)
                    p.grad = None
            for name, b in list(m._buffers.items()):
                if b is not None and b.dtype.kind == "f" and b.dtype != dtype:
                    setattr(m, name, b.astype(dtype))
        return self

    def double(self):
        """``to("float64")``."""
        return self.to(np.float64)

    def float(self):
        """``to("float32")``."""
        return self.to(np.float32)

    def num_parameters(self) -> int:
        """Total number of trainable scalars."""
        return sum(int(p.size) for p in self.parameters())

    # ------------------------------------------------------------- call/repr
    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = [
            f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()
        ]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n" + "\n".join(lines) + "\n)"

    # ------------------------------------------------------------ state dict
    def state_dict(self) -> OrderedDict:
        """Name → NumPy array copy of every parameter and buffer (dotted names, in order).

        Per module: its own parameters, then its own buffers, then its sub-modules'
        entries, as in PyTorch. The arrays are copies (on the host), so later training does
        not change a saved state dict.
        """
        out = OrderedDict()
        for mprefix, m in self.named_modules():
            for name, p in m._parameters.items():
                if p is not None:
                    out[f"{mprefix}.{name}" if mprefix else name] = backend.to_numpy(p.data).copy()
            for name, b in m._buffers.items():
                if b is not None:
                    out[f"{mprefix}.{name}" if mprefix else name] = np.array(
                        backend.to_numpy(b), copy=True
                    )
        return out

    def _state_slots(self):
        """Name → (owner module, attribute name, is_parameter) for every state entry."""
        slots = OrderedDict()
        for mprefix, m in self.named_modules():
            for name, p in m._parameters.items():
                if p is not None:
                    slots[f"{mprefix}.{name}" if mprefix else name] = (m, name, True)
            for name, b in m._buffers.items():
                if b is not None:
                    slots[f"{mprefix}.{name}" if mprefix else name] = (m, name, False)
        return slots

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays from ``state_dict`` (name → array) into the parameters and buffers.

        Values are copied in place (the Parameter objects an optimizer holds stay the same)
        and cast to each parameter's dtype.

        Parameters
        ----------
        state_dict : mapping of str to array_like
            As returned by :meth:`state_dict` or read by :func:`load_npz`.
        strict : bool, default True
            If True, a key missing from ``state_dict`` or an unexpected extra key raises a
            ``KeyError`` listing them; if False they are skipped and returned.

        Returns
        -------
        IncompatibleKeys
            Named tuple ``(missing_keys, unexpected_keys)``.

        Raises
        ------
        KeyError
            (strict) Missing or unexpected keys, all listed.
        ValueError
            An array's shape differs from the parameter's; the message names the key and both
            shapes. Nothing is copied if any check fails.
        """
        slots = self._state_slots()
        missing = [k for k in slots if k not in state_dict]
        unexpected = [k for k in state_dict if k not in slots]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise KeyError(
                f"load_state_dict into {type(self).__name__}: " + "; ".join(parts) + ". "
                "Was the checkpoint written by a model with the same architecture? "
                "Pass strict=False to load the matching keys only."
            )
        staged = []
        for key, (m, name, is_param) in slots.items():
            if key not in state_dict:
                continue
            value = backend.to_numpy(state_dict[key])
            current = m._parameters[name] if is_param else m._buffers[name]
            cur_shape = tuple(current.shape)
            if tuple(np.shape(value)) != cur_shape:
                raise ValueError(
                    f"load_state_dict: shape mismatch for {key!r}: the checkpoint has shape "
                    f"{tuple(np.shape(value))}, the model expects {cur_shape}"
                )
            staged.append((m, name, is_param, current, value))
        for m, name, is_param, current, value in staged:
            if is_param:
                xp = backend.get_array_module(current.data)
                current.data[...] = xp.asarray(value).astype(current.dtype, copy=False)
            else:
                xp = backend.get_array_module(current)
                arr = xp.asarray(np.array(value, copy=True))
                if hasattr(current, "dtype") and arr.dtype != current.dtype:
                    arr = arr.astype(current.dtype)
                setattr(m, name, arr)
        return IncompatibleKeys(missing, unexpected)

    def save(self, path) -> Path:
        """Write :meth:`state_dict` to ``path`` as an ``.npz`` file, atomically; return the path.

        See :func:`tinygen.io.save_npz` (a ``.npz`` suffix is added when missing).
        """
        return save_npz(path, self.state_dict())

    def load(self, path, strict: bool = True):
        """Load a checkpoint written by :meth:`save` into this module; return self.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        tinygen.io.CheckpointError
            (a ``ValueError``) if the file is corrupt or not an ``.npz`` archive.
        KeyError, ValueError
            As :meth:`load_state_dict`, for a file written by another architecture; the
            message names the file.
        """
        path = Path(path)
        state = load_npz(path)
        try:
            self.load_state_dict(state, strict=strict)
        except (KeyError, ValueError) as exc:
            raise type(exc)(f"checkpoint {path}: {exc.args[0]}") from exc
        return self


# ----------------------------------------------------------------- containers
class Sequential(Module):
    """Modules applied one after the other: ``y = mₙ(…m₂(m₁(x)))``.

    Sub-modules are named ``"0"``, ``"1"``, … so parameters are ``"0.weight"`` etc.;
    supports ``len``, iteration, integer indexing and slicing (which returns a Sequential).
    """

    def __init__(self, *modules):
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a Module")
            self.add_module(str(i), m)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return Sequential(*mods[idx])
        return mods[idx]

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x


class ModuleList(Module):
    """A list of sub-modules, registered as ``"0"``, ``"1"``, … (no ``forward`` of its own)."""

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: expected a Module, got {type(module).__name__}")
        self.add_module(str(len(self._modules)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        return ModuleList(mods[idx]) if isinstance(idx, slice) else mods[idx]
