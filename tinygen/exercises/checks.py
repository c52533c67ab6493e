"""Assertions for graders, whose messages a student can act on (``docs/exercises.md``)."""

from __future__ import annotations

import numpy as np

__all__ = ["assert_close"]


def assert_close(got, want, what, tol=1e-8):
    """Assert that the student's ``got`` has ``want``'s shape and equals it within ``tol``.

    ``what`` names the quantity in the message, e.g. ``"p_h_given_v(v, W, c) over all v"``;
    the message shows both arrays rounded to 6 decimals.
    """
    got = np.asarray(got, dtype=np.float64)
    assert got.shape == np.shape(want), f"{what}: shape {got.shape}, expected {np.shape(want)}"
    assert np.allclose(got, want, rtol=tol, atol=tol), (
        f"{what}: got {np.round(got, 6).tolist()}, "
        f"expected {np.round(np.asarray(want, dtype=np.float64), 6).tolist()}"
    )
