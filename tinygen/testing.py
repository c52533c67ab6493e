"""Testing helpers shared by the test suite, the lessons and exercise graders."""

from __future__ import annotations

import numpy as np

from . import backend
from .autograd import Tensor

__all__ = ["check_grads", "GradientCheckError"]


class GradientCheckError(AssertionError):
    """Backpropagated and finite-difference gradients disagree."""


def _scalar(out, weights):
    """Reduce ``out`` to the scalar L = Σ w ⊙ out with fixed random weights w."""
    return (out * Tensor(weights)).sum() if out.ndim else out


def check_grads(
    f, *inputs, n_directions=4, eps=1e-6, rtol=1e-5, atol=1e-7, random_state=0, name=None
):
    """Check autograd's gradient of ``f`` against central finite differences, in float64.

    For L(x₁,…,xₙ) = Σ w ⊙ f(x₁,…,xₙ) with fixed random w, and random unit directions
    d = (d₁,…,dₙ), it checks

        Σᵢ ⟨∂L/∂xᵢ, dᵢ⟩  ≈  [L(x + εd) − L(x − εd)] / (2ε)

    along ``n_directions`` joint directions and, for each input separately, along one
    direction (so an error in one input's gradient cannot hide behind another's).

    Parameters
    ----------
    f : callable
        Maps Tensors to a Tensor.
    *inputs : array_like
        Points at which to check; converted to float64 Tensors that require gradients.
        Non-floating inputs (integer indices, masks) are passed as constants.
    n_directions : int
        Number of random joint directions.
    eps, rtol, atol : float
        Finite-difference step and tolerances: passes when
        ``|analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|, scale)``,
        where ``scale`` is the norm of the gradient times the norm of the direction.
    random_state : int
        Seed for the weights and directions.

    Returns
    -------
    float
        The largest relative error seen.

    Raises
    ------
    GradientCheckError
        With the function's name, input shapes and both directional derivatives.
    """
    rng = np.random.default_rng(random_state)
    label = name or getattr(f, "__name__", repr(f))
    xp = backend.xp()
    with backend.default_dtype("float64"):
        arrays = [
            backend.to_numpy(x.data if isinstance(x, Tensor) else np.asarray(x)) for x in inputs
        ]
        is_var = [a.dtype.kind == "f" for a in arrays]
        arrays = [a.astype(np.float64) if v else a for a, v in zip(arrays, is_var)]

        def evaluate(vals, grad=False):
            ts = [Tensor(xp.asarray(a), requires_grad=grad and v) for a, v in zip(vals, is_var)]
            return ts, f(*ts)

        ts, out = evaluate(arrays, grad=True)
        if not isinstance(out, Tensor):
            raise GradientCheckError(f"{label}: f must return a Tensor, got {type(out).__name__}")
        if out.dtype != np.float64:
            raise GradientCheckError(f"{label}: output dtype {out.dtype} on float64 inputs")
        weights = rng.standard_normal(out.shape) if out.ndim else None
        L = _scalar(out, weights)
        L.backward()
        grads = [
            backend.to_numpy(t.grad) if (v and t.grad is not None) else np.zeros_like(a)
            for t, a, v in zip(ts, arrays, is_var)
        ]
        for t, g, v in zip(ts, grads, is_var):
            if v and g.shape != tuple(t.shape):
                raise GradientCheckError(
                    f"{label}: gradient shape {g.shape} != input shape {t.shape}"
                )

        def loss_at(vals):
            _, o = evaluate(vals)
            return float(backend.to_numpy(_scalar(o, weights).data))

        var_idx = [i for i, v in enumerate(is_var) if v]
        plans = [var_idx] * n_directions + [[i] for i in var_idx]
        worst = 0.0
        for which in plans:
            dirs = {}
            for i in which:
                d = rng.standard_normal(arrays[i].shape)
                dirs[i] = d / max(np.linalg.norm(d), 1e-12)
            plus = [a + eps * dirs[i] if i in dirs else a for i, a in enumerate(arrays)]
            minus = [a - eps * dirs[i] if i in dirs else a for i, a in enumerate(arrays)]
            numeric = (loss_at(plus) - loss_at(minus)) / (2 * eps)
            analytic = float(sum(np.sum(grads[i] * dirs[i]) for i in which))
            scale = max(
                abs(analytic),
                abs(numeric),
                np.sqrt(sum(np.sum(grads[i] ** 2) for i in which)) * 1e-3,
            )
            err = abs(analytic - numeric)
            # relative to the scale, but not below atol/rtol: a zero gradient matched by
            # rounding noise reports a tiny error, not 1.0
            rel = err / max(scale, atol / rtol if rtol > 0 else 0.0, 1e-300)
            worst = max(worst, rel)
            if err > atol + rtol * scale:
                shapes = ", ".join(str(arrays[i].shape) for i in range(len(arrays)))
                raise GradientCheckError(
                    f"{label}: gradient mismatch along a random direction of input(s) {which} "
                    f"(input shapes {shapes}): backward gives {analytic:.10g}, central "
                    f"differences give {numeric:.10g} (|diff| = {err:.3g}, relative {rel:.3g})."
                )
    return worst
