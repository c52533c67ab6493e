"""tinygen.exercises.checks: the graders' assertion says what differs."""

import numpy as np
import pytest

from tinygen.exercises.checks import assert_close


def test_equal_arrays_pass_and_a_difference_is_shown():
    assert_close([0.5, 0.25], np.array([0.5, 0.25]), "p")
    with pytest.raises(AssertionError, match=r"p: got \[0.5, 0.3\], expected \[0.5, 0.25\]"):
        assert_close([0.5, 0.3], np.array([0.5, 0.25]), "p")


def test_a_wrong_shape_is_named_before_the_values():
    with pytest.raises(AssertionError, match=r"F\(v\): shape \(2, 1\), expected \(2,\)"):
        assert_close(np.zeros((2, 1)), np.zeros(2), "F(v)")
