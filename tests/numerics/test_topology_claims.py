"""The topology claims reach their expected verdicts, and the failing ones come with small counterexamples."""

import numpy as np
import pytest

from numerics.models.topology import truncation_error
from numerics.verify.claims.topology import (
    _square_degrees,
    gated_pipeline_error,
    stacked_bound,
    stacked_contractive_net,
)
from numerics.verify.registry import Effort
from numerics.verify.runner import run_claim

FAST = Effort("test", examples=15)


@pytest.mark.parametrize("claim_id", ["topology-compiled", "bidir-horizon-exact", "bidir-clipped-zero-bias",
                                      "bidir-delay-lower-bound", "bidir-approx-bound", "bidir-approx-bound-stacked",
                                      "tanh-delay-line", "bidir-reference-torch"])
def test_holding_claims_hold(claim_id):
    r = run_claim(claim_id, FAST)
    assert r.verdict == "holds" and r.as_expected
    assert all(m.cases > 0 for m in r.methods)


@pytest.mark.parametrize("claim_id", ["bidir-clipped-any-bias", "bidir-clipped-stacked-zero-bias"])
def test_failing_claims_are_refuted_by_a_tiny_case(claim_id):
    r = run_claim(claim_id, FAST)
    assert r.verdict == "fails" and r.as_expected
    cex = r.counterexample
    assert cex["T"] == 1 and all(la["width"] == 1 for la in cex["layers"])


def test_square_degrees_by_hand():
    # h = 1: b~ = (W x_1 + U (W X + b)^2 + b)^2 has degree 4 in X; a d-RNN with d = 1 reads X at step 2
    # and is read at step 2: one squaring, degree 2; with d = 2, two squarings, degree 4.
    assert _square_degrees(1, 2, 2, 1, 0) == (4, 2)
    assert _square_degrees(1, 2, 2, 2, 0) == (4, 4)


def test_spectral_radius_is_not_enough():
    r = run_claim("bidir-approx-spectral-radius", FAST)
    assert r.verdict == "fails" and r.as_expected
    cex = r.counterexample
    # For one unit the radius is the norm, so a counterexample needs two or more.
    assert cex["width"] >= 2 and cex["error"] > 0


def test_gated_units_cannot_copy_an_input_above_one():
    r = run_claim("gated-delay-line", FAST)
    assert r.verdict == "fails" and r.as_expected
    cex = r.counterexample
    # |h| < 1 for a gated unit, so the error is at least |x| - 1.
    assert abs(cex["x"]) > 1 and cex["error"] >= abs(cex["x"]) - 1


def test_gated_pipeline_fails_already_for_one_unit_and_horizon_zero():
    r = run_claim("gated-pipeline", FAST)
    assert r.verdict == "fails" and r.as_expected
    cex = r.counterexample
    # Stage 0 carries its own previous cell state (LSTM) or output (GRU): two steps and one unit suffice.
    assert cex["width"] == 1 and cex["h"] + cex["T"] == 2 and cex["error"] > 1e-6


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("h", [0, 1, 3])
def test_gated_pipeline_is_exact_when_the_previous_stage_hands_over_its_state(cell, h):
    # The control: the same simulation with the cross-stage carry no gated plan can express is exact,
    # so the failure above is the own-state read and not a mistake in the simulation.
    case = {"cell": cell, "h": h, "width": 3, "T": 6, "seed": 5, "scale": 1.0}
    assert gated_pipeline_error({**case, "carry": "previous"}) < 1e-12
    assert gated_pipeline_error({**case, "carry": "own"}) > 1e-3


def test_stacked_bound_holds_with_room_and_decays_like_rho():
    errs = []
    for h in (0, 2, 4):
        c = {"input_size": 2, "n1": 3, "n2": 3, "T": 20, "B": 4, "h": h, "rho": 0.6, "bias": True,
             "input_scale": 1.0, "seed": 7}
        net = stacked_contractive_net(c)
        assert all(abs(np.linalg.norm(net.params[k], 2) - 0.6) < 1e-12
                   for k in ("weight_hh_l0_reverse", "weight_hh_l1", "weight_hh_l1_reverse"))
        x = np.random.default_rng(8).normal(size=(20, 4, 2))
        err = float(truncation_error(net, x, h)[:20 - 2 * h].max())
        bound = stacked_bound(net, 0.6, h)
        assert 1e-3 * bound < err <= bound
        errs.append(err)
    # The error shrinks with the horizon, and the bound by exactly rho^2 per two steps.
    assert errs[0] > errs[1] > errs[2]
