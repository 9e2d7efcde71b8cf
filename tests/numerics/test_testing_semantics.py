"""The testing helpers' semantics, pinned: assert_equivalent's rtol/atol and assert_gradients_match's mask rule.

A difference passes ``assert_equivalent`` when ``|a - b| <= atol + rtol * scale``, ``scale`` the largest
magnitude of either output at that time step. Each case below has one difference that must pass and one
that must fail, at a large magnitude (where rtol decides) and a small one (where atol decides), so swapping
rtol and atol, or measuring the scale over the whole sequence, makes one of them go the other way.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from numerics.engine.params import LayerParams
from numerics.testing import assert_equivalent, assert_gradients_match, default_tolerance


def _pair(a: np.ndarray, b: np.ndarray):
    return (lambda x: a), (lambda x: b)


def _check(value: float, diff: float, dtype, **kw) -> None:
    a = np.full((2, 1, 2), value, dtype=dtype)
    b = a.copy()
    b[1, 0, 1] = dtype(value + diff)
    assert_equivalent(*_pair(a, b), np.zeros((2, 1, 1)), **kw)


# (dtype, large magnitude, small magnitude): defaults float64 (1e-9, 1e-12), float32 (1e-3, 1e-4)
CASES = [(np.float64, 1e6, 1e-8), (np.float32, 1e3, 1e-3)]


@pytest.mark.parametrize(("dtype", "large", "small"), CASES)
def test_rtol_decides_at_large_magnitudes(dtype, large, small):
    rtol, atol = default_tolerance(dtype)
    tol = atol + rtol * large
    _check(large, 0.4 * tol, dtype)                    # well inside: passes
    with pytest.raises(AssertionError, match="first differ at time step 1, batch item 0, unit 1"):
        _check(large, 2.5 * tol, dtype)                # well outside: fails
    # with rtol and atol swapped the tolerance at this magnitude shrinks by orders: the passing one fails
    with pytest.raises(AssertionError):
        _check(large, 0.4 * tol, dtype, rtol=atol, atol=rtol)


@pytest.mark.parametrize(("dtype", "large", "small"), CASES)
def test_atol_decides_at_small_magnitudes(dtype, large, small):
    rtol, atol = default_tolerance(dtype)
    tol = atol + rtol * small
    assert rtol * small < 0.02 * tol                   # the relative part is negligible here
    _check(small, 0.4 * tol, dtype)
    with pytest.raises(AssertionError):
        _check(small, 3 * tol, dtype)
    # swapped, atol becomes the larger number: the failing difference passes
    _check(small, 3 * tol, dtype, rtol=atol, atol=rtol)


def test_explicit_tolerances_mean_what_they_say():
    _check(1e6, 5e-4, np.float64, rtol=0.0, atol=1e-3)
    with pytest.raises(AssertionError, match=r"rtol=0, atol=0.001"):
        _check(1e6, 2e-3, np.float64, rtol=0.0, atol=1e-3)
    _check(1.0, 5e-4, np.float64, rtol=1e-3, atol=0.0)
    with pytest.raises(AssertionError):
        _check(1e-6, 5e-4, np.float64, rtol=1e-3, atol=0.0)


def test_the_scale_is_per_time_step_and_the_largest_magnitude_within_it():
    a = np.array([[[1e6, 1.0]], [[1.0, 1.0]]])
    # at t = 0 the scale is 1e6, so unit 1 (value 1) may differ by up to 1e-3
    b = a.copy()
    b[0, 0, 1] += 5e-4
    assert assert_equivalent(*_pair(a, b), np.zeros((2, 1, 1))) == pytest.approx(5e-4)
    # at t = 1 the scale is 1: the large value at t = 0 must not loosen it
    b = a.copy()
    b[1, 0, 1] += 1e-6
    with pytest.raises(AssertionError, match="time step 1"):
        assert_equivalent(*_pair(a, b), np.zeros((2, 1, 1)))


def test_the_returned_value_is_the_largest_absolute_difference():
    a = np.zeros((3, 2, 2))
    b = a.copy()
    b[2, 1, 0] = 1e-13
    b[0, 0, 1] = -3e-13
    assert assert_equivalent(*_pair(a, b), np.zeros((3, 2, 1))) == pytest.approx(3e-13)


# -------------------------------------------------------------- assert_gradients_match: the mask rule
def _quadratic(p: LayerParams) -> float:
    # loss = sum(W_hh^2) + sum(W_ih): gradient 2 W_hh and ones
    return float(np.sum(p.weight_hh ** 2) + np.sum(p.weight_ih))


P = LayerParams(np.array([[1.0, 2.0]]), np.array([[0.5]]))
TRUE = LayerParams(np.ones((1, 2)), np.array([[1.0]]))


def test_masked_entries_must_be_exactly_zero_and_are_not_differentiated():
    mask = {"weight_ih": np.array([[True, False]])}
    # the masked entry's true gradient is 1, but as a fixed zero of a masked network its gradient must be 0
    assert assert_gradients_match(_quadratic, P, replace(TRUE, weight_ih=np.array([[1.0, 0.0]])), masks=mask) == 2
    with pytest.raises(AssertionError, match="weight_ih: gradient outside the mask is not zero"):
        assert_gradients_match(_quadratic, P, TRUE, masks=mask)
    with pytest.raises(AssertionError, match="outside the mask"):
        assert_gradients_match(_quadratic, P, replace(TRUE, weight_ih=np.array([[1.0, 1e-300]])), masks=mask)


def test_free_entries_are_compared_relative_to_max_one_and_the_numeric_value():
    def square(p: LayerParams) -> float:
        return float(np.sum(p.weight_hh ** 2))

    big = LayerParams(np.zeros((1, 1)), np.array([[1e4]]))   # gradient 2e4: the tolerance is 1e-6 * 2e4
    good = LayerParams(np.zeros((1, 1)), np.array([[2e4 * (1 + 5e-7)]]))
    bad = LayerParams(np.zeros((1, 1)), np.array([[2e4 * (1 + 5e-6)]]))
    assert assert_gradients_match(square, big, good, eps=1e-2) == 2
    with pytest.raises(AssertionError, match=r"weight_hh\[0, 0\]"):
        assert_gradients_match(square, big, bad, eps=1e-2)
    # near zero the comparison is absolute: 5e-7 off a gradient of 0 passes, 5e-6 does not
    at_zero = LayerParams(np.zeros((1, 1)), np.zeros((1, 1)))
    assert_gradients_match(_quadratic, at_zero, LayerParams(np.ones((1, 1)), np.array([[5e-7]])))
    with pytest.raises(AssertionError):
        assert_gradients_match(_quadratic, at_zero, LayerParams(np.ones((1, 1)), np.array([[5e-6]])))
