"""Checks shared by the models: the RBM constructors' sizes, binary data, the input rows of
the RBM and the DBM.

The energy models' numerics (sigmoid, softplus, log-sum-exp) are :mod:`tinygen.numerics`.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend

__all__ = ["check_rbm_sizes", "binary_error", "as_rows"]


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


def as_rows(X, n_cols, dtype, *, name="X", model, check_binary=True, real_valued=None,
            images=False):
    """``X`` checked and converted to ``dtype`` on the backend: the input of an energy model
    (:class:`~tinygen.models.rbm.RBM`, :class:`~tinygen.models.dbm.DBM`), one sample a row.

    Each check raises an error that says what to fix:

    * not an array (lists and tuples are converted): ``TypeError``;
    * not 2-D of shape (n_samples, ``n_cols``), e.g. one sample as a 1-D array, or empty
      (0 rows): ``ValueError``;
    * not numbers (strings, objects): ``TypeError``;
    * NaN or infinite values: ``ValueError``;
    * with ``check_binary``, a value other than 0 and 1: ``ValueError`` naming the entry.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_cols)
    n_cols : int
        The number of columns (units) expected.
    dtype : numpy dtype
        The model's parameter dtype.
    name : str, default "X"
        The argument's name in the messages.
    model : str
        The model's name in the binary message ("a Bernoulli RBM").
    check_binary : bool, default True
        Require 0/1 entries (data); False for probabilities or partial inputs.
    real_valued : str, optional
        A model to suggest for real-valued data (``"GaussianBernoulliRBM"``).
    images : bool, default False
        Accept images whose pixels number ``n_cols`` (e.g. (n, 28, 28) or (n, 1, 28, 28))
        and flatten them in raster order.
    """
    if isinstance(X, (list, tuple)):
        X = np.asarray(X)
    if not hasattr(X, "shape") or not hasattr(X, "dtype"):
        raise TypeError(f"{name} must be an array, got {type(X).__name__}")
    if X.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D of shape (n_samples, {n_cols}); got a 1-D array of "
            f"shape {X.shape}. Use X[None, :] for a single sample."
        )
    if images and X.ndim > 2 and math.prod(X.shape[1:]) == n_cols:
        X = X.reshape(len(X), n_cols)
    if X.ndim != 2 or X.shape[1] != n_cols:
        alt = f" (or images of {n_cols} pixels)" if images else ""
        raise ValueError(
            f"{name} must be 2-D of shape (n_samples, {n_cols}){alt}, got shape {tuple(X.shape)}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 rows)")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {X.dtype}")
    if X.dtype.kind == "f" and not bool(np.isfinite(backend.to_numpy(X)).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    if check_binary:
        err = binary_error(X)
        if err is not None:
            fix = "Binarize the data first (e.g. X > 0.5, or sample X ~ Bernoulli(X))"
            if real_valued:
                fix += f", or use {real_valued} for real-valued inputs"
            raise ValueError(
                f"{name} must be binary (0/1) for a Bernoulli {model} but {err}. {fix}."
            )
    return backend.asarray(X, dtype)


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
