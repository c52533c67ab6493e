"""tinygen.testing.check_grads: passes on correct ops, fails readably on wrong ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from tests.strategies import arrays as S
from tinygen import Tensor
from tinygen.autograd import Function
from tinygen.testing import GradientCheckError, check_grads


class WrongSquare(Function):
    """z = x² with a deliberately wrong backward (x instead of 2x)."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return (g * self.x,)


class WrongSecondInput(Function):
    """z = x·y whose backward is right for x and wrong (sign flipped) for y."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, g):
        return g * self.y, -g * self.x


class Float32Output(Function):
    def forward(self, x):
        return x.astype(np.float32)

    def backward(self, g):
        return (g.astype(np.float64),)


@given(S.float_arrays(S.shapes(min_dims=1)), S.float_arrays(S.shapes(min_dims=1)))
def test_passes_on_correct_composites(a, b):
    # passes for any inputs, zero gradients included, and reports a small relative error
    worst = check_grads(lambda x, y: (x * x).sum() * (y.exp()).mean(), a, b)
    assert 0.0 <= worst < 1e-5


def test_returns_small_relative_error_and_accepts_tensor_inputs():
    x = Tensor(np.array([0.3, -1.2, 2.0]))
    assert check_grads(lambda t: t.tanh() * t, x) < 1e-6


def test_wrong_backward_raises_readable_error():
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    with pytest.raises(GradientCheckError) as info:
        check_grads(lambda t: WrongSquare.apply(t), x, name="wrong_square")
    msg = str(info.value)
    assert msg.startswith("wrong_square: gradient mismatch")
    assert "(2, 3)" in msg  # the input shape
    assert "backward gives" in msg and "central differences give" in msg
    assert isinstance(info.value, AssertionError)  # pytest shows it as a failed assertion


def test_function_name_is_default_label():
    def square_with_bug(t):
        return WrongSquare.apply(t)

    with pytest.raises(GradientCheckError, match="^square_with_bug:"):
        check_grads(square_with_bug, np.array([1.0, 2.0]))


def test_error_in_one_input_cannot_hide_behind_another():
    x, y = np.array([1.0, -2.0, 0.5]), np.array([0.7, 0.1, -1.3])
    with pytest.raises(GradientCheckError, match=r"input\(s\) \[1\]|input\(s\) \[0, 1\]"):
        check_grads(lambda a, b: WrongSecondInput.apply(a, b), x, y)


def test_non_float_inputs_are_constants():
    idx = np.array([0, 2, 2])
    check_grads(lambda x, i: x[i.data] * 2.0, np.array([1.0, 2.0, 3.0]), idx)


def test_rejects_non_tensor_and_float32_outputs():
    with pytest.raises(GradientCheckError, match="must return a Tensor"):
        check_grads(lambda x: x.data, np.ones(2))
    with pytest.raises(GradientCheckError, match="output dtype float32"):
        check_grads(lambda x: Float32Output.apply(x), np.ones(2))


def test_float32_inputs_are_checked_in_float64():
    a = np.array([0.1, 0.2], dtype=np.float32)
    seen = []

    def f(x):
        seen.append(x.dtype)
        return x.exp()

    check_grads(f, a)
    assert set(seen) == {np.dtype(np.float64)}
