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


# ------------------------------------------------------------ two stacked layers
def _stacked_pieces(net, n1, n2, rho, h):
    """The witness's norms, read off its weights, and the two constants written out by hand."""
    p = net.params
    omega = float(np.linalg.norm(p["weight_ih_l1"], 2))
    assert omega == pytest.approx(float(np.linalg.norm(p["weight_ih_l1_reverse"], 2)), rel=1e-12)
    for k in ("weight_hh_l0_reverse", "weight_hh_l1", "weight_hh_l1_reverse"):
        assert float(np.linalg.norm(p[k], 2)) == pytest.approx(rho, rel=1e-12)
    F = omega * math.sqrt(n1) / (1 - rho)
    quadrature = rho ** (h + 1) * math.hypot(F, math.sqrt(n2) + F)
    added = rho ** (h + 1) * (math.sqrt(n2) + 2 * F)
    return omega, quadrature, added


@pytest.mark.parametrize(("n1", "n2", "h"), [(1, 1, 0), (1, 3, 1), (3, 2, 2), (2, 2, 3)])
def test_the_stacked_witness_nearly_attains_each_term_at_once(n1, n2, h):
    rho = 0.05
    net, x = bounds.stacked_witness_net(n1, n2, rho, h)
    omega, quadrature, added = _stacked_pieces(net, n1, n2, rho, h)
    assert bounds.stacked_bound(net, rho, h) == pytest.approx(quadrature, rel=1e-12)
    assert x.shape[0] > 2 * h  # t = 0 is inside the claim
    err = float(truncation_error(net, x, h)[0, 0])
    # Each term without its geometric sum: forward omega e1, backward sqrt(n2) tanh(3) rho^(h+1) + omega e1
    e1 = math.sqrt(n1) * rho ** (h + 1)
    predicted = math.hypot(omega * e1, math.sqrt(n2) * math.tanh(3.0) * rho ** (h + 1) + omega * e1)
    assert err == pytest.approx(predicted, rel=0.03)
    assert bounds.WITNESS_RATIO < 0.95 <= err / quadrature <= 1
    # Adding the halves, as the claim first did, leaves about 1/sqrt(2) that no witness can close.
    assert err / added < 0.72


def test_the_stacked_claim_holds_with_its_witness_and_falls_without_quadrature(monkeypatch):
    r = run_claim("bidir-approx-bound-stacked", FAST, methods=["property-float64", "tightness"])
    assert r.as_expected and [m.refuted for m in r.methods] == [False, False]
    assert r.methods[1].cases == 54 and r.methods[1].nontrivial == 48

    def added(net, rho, h):
        n1, n2 = (layer.width for layer in net.topology.layers)
        omega = max(float(np.linalg.norm(net.params[k], 2)) for k in ("weight_ih_l1", "weight_ih_l1_reverse"))
        return rho ** (h + 1) * (math.sqrt(n2) + 2 * omega * math.sqrt(n1) / (1 - rho))

    monkeypatch.setattr(bounds, "stacked_bound", added)
    r = run_claim("bidir-approx-bound-stacked", FAST, methods=["property-float64", "tightness"])
    assert [m.refuted for m in r.methods] == [False, True]
