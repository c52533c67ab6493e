"""Checks shared by the models: the RBM constructors' sizes, binary data.

The energy models' numerics (sigmoid, softplus, log-sum-exp) are :mod:`tinygen.numerics`.
"""

from __future__ import annotations

import numpy as np

from .. import backend

__all__ = ["check_rbm_sizes", "binary_error"]


def check_rbm_sizes(n_visible, n_hidden, k):
    """``(int(n_visible), int(n_hidden))`` after checking both sizes and the number ``k`` of
    Gibbs steps per update are at least 1; a ``ValueError`` says which is wrong."""
    nv, nh = int(n_visible), int(n_hidden)
    if nv < 1 or nh < 1:
        raise ValueError(f"n_visible and n_hidden must be positive, got {n_visible} and {n_hidden}")
    if int(k) < 1:
        raise ValueError(f"k (Gibbs steps) must be at least 1, got {k}")
    return nv, nh


def binary_error(X) -> str | None:
    """None if every entry of ``X`` is 0 or 1, else a description of the first offender."""
    X = backend.to_numpy(X)
    if X.dtype == np.bool_:
        return None
    bad = (X != 0) & (X != 1)
    if not bad.any():
        return None
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"entry {idx} is {X[idx]!r}"


def rebuild(path, base, default=None):
    """The model saved at ``path`` with its ``.json`` config (:func:`tinygen.io.save_config`),
    rebuilt, loaded and put in evaluation mode.

    The config's ``"class"`` (``default`` if it has none) is looked up by name in
    :mod:`tinygen.models`, which imports it on first use; so a base class's module needs no
    import of its subclasses' modules (they import it: no cycle). It must be a subclass of
    ``base``; anything else is a ``ValueError`` naming the file.
    """
    import importlib  # noqa: PLC0415  (tinygen.models imports this module)

    from ..io import load_config  # noqa: PLC0415

    cfg = load_config(path)
    name = cfg.pop("class", default or base.__name__)
    klass = getattr(importlib.import_module(__package__), name, None)
    if not (isinstance(klass, type) and issubclass(klass, base)):
        raise ValueError(f"{path}.json names class {name!r}, which is not a {base.__name__}")
    model = klass(**cfg)
    model.load(path)
    model.eval()
    return model
