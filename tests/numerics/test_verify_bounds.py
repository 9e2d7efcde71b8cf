"""Bounds from both sides: tightness witnesses and the independent error norm (claims in topology_bounds)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import numerics.models.topology as topology_models
from numerics.models.topology import truncation_bound, truncation_error
from numerics.verify.claims import topology_bounds as bounds
from numerics.verify.registry import Effort
from numerics.verify.runner import run_claim

FAST = Effort("test", examples=10)


@pytest.mark.parametrize("width", [1, 3])
@pytest.mark.parametrize("rho", [0.05, 0.2])
def test_the_one_layer_witness_reaches_two_tanh_half_rho_over_rho(width, rho):
    net, x = bounds.witness_net(width, rho, 0)
    ratio = truncation_error(net, x, 0)[0, 0] / truncation_bound(rho, width, 0, x.shape[0])[0]
    # b_1 = tanh(20) is 1 to 1e-17, so the ratio is 2 tanh(rho/2) / rho up to rounding
    assert ratio == pytest.approx(2 * math.tanh(rho / 2) / rho, rel=1e-12)
    assert bounds.WITNESS_RATIO <= ratio <= 1


def test_the_independent_norm_is_the_euclidean_one():
    net, x = bounds.witness_net(3, 0.2, 1)
    d = bounds.euclidean_error(net, x, 1)
    assert np.allclose(d, truncation_error(net, x, 1), rtol=1e-12, atol=0)
    assert d[0, 0] == pytest.approx(math.sqrt(3) * abs(float(truncation_error(bounds.witness_net(1, 0.2, 1)[0],
                                                                               x, 1)[0, 0])), rel=1e-12)


def _run(cid):
    r = run_claim(cid, FAST)
    return r.as_expected, {m.name for m in r.methods if m.refuted}


def test_the_bound_claims_hold_with_their_witnesses():
    for cid in ("bidir-approx-bound", "bidir-approx-bound-deep", "bidir-approx-bound-deep-clipped"):
        r = run_claim(cid, FAST, methods=["tightness", "norm"])
        assert r.as_expected and len(r.methods) >= 1, cid


def test_an_exponent_one_short_is_refuted_by_the_witness(monkeypatch):
    def loose(rho, width, horizon, steps, *, exact_end=False):
        left = steps - 1 - np.arange(steps)
        bound = np.sqrt(width) * float(rho) ** np.minimum(horizon, left)  # the + 1 dropped: twice as loose and more
        return np.where(left <= horizon, 0.0, bound) if exact_end else bound

    monkeypatch.setattr(bounds, "truncation_bound", loose)
    r = run_claim("bidir-approx-bound", FAST, methods=["property-float64", "tightness"])
    assert [m.refuted for m in r.methods] == [False, True]


def test_a_max_norm_error_is_refuted_by_the_norm_check_and_the_wide_witness(monkeypatch):
    def max_norm(net, x, horizon):
        _, d = topology_models.streaming(net, horizon)
        return np.abs(d(x) - net(x, backward="full")).max(axis=2)

    monkeypatch.setattr(bounds, "truncation_error", max_norm)
    r = run_claim("bidir-approx-bound", FAST, methods=["property-float64", "tightness", "norm"])
    assert [m.refuted for m in r.methods] == [False, True, True]
    assert r.methods[1].counterexample["width"] > 1


def test_truncation_bound_accepts_a_horizon_beyond_int64():
    # Any horizon past the sequence is exact, so a huge one must agree with h = T and not overflow.
    for exact_end in (False, True):
        huge = truncation_bound(0.5, 4, 2**63, 6, exact_end=exact_end)
        np.testing.assert_array_equal(huge, truncation_bound(0.5, 4, 6, 6, exact_end=exact_end))
