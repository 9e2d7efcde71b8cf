"""The topology claims reach their expected verdicts, and the failing ones come with small counterexamples."""

import numpy as np
import pytest

from numerics.models.topology import TopologyRNN, truncation_error
from numerics.verify.claims import topology_bounds as topology_claims
from numerics.verify.claims.topology import _square_degrees
from numerics.verify.claims.topology_bounds import (
    _near_end_error,
    deep_bound,
    deep_constants,
    deep_contractive_net,
    stacked_bound,
    stacked_contractive_net,
)
from numerics.verify.claims.topology_lines import gated_pipeline_error
from numerics.verify.registry import Effort
from numerics.verify.runner import run_claim
from theory.topology import Layer, Topology, bidirectional_topology

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


# ------------------------------------------------------------------ L stacked layers and the sequence end
def _deep_case(**kw):
    c = {"input_size": 2, "widths": [3, 2, 3], "horizons": [2, 1, 2], "rhos": [0.6, 0.5, 0.7], "T": 16, "B": 3,
         "bias": True, "input_scale": 1.0, "seed": 4}
    c.update(kw)
    return c


@pytest.mark.parametrize("claim_id", ["bidir-approx-bound-deep", "bidir-approx-bound-deep-clipped",
                                      "bidir-near-end-exact"])
def test_deep_and_near_end_claims_hold(claim_id):
    r = run_claim(claim_id, FAST)
    assert r.verdict == "holds" and r.as_expected
    assert all(m.cases > 0 and m.nontrivial for m in r.methods)


def test_top_layer_alone_reaching_the_end_is_not_enough():
    r = run_claim("bidir-near-end-exact-top-only", FAST)
    assert r.verdict == "fails" and r.as_expected
    cex = r.counterexample
    assert len(cex["widths"]) == 2 and cex["horizons"][0] < cex["T"] - 1 and cex["error"] > 1e-6


def test_deep_bound_adds_the_halves_the_stacked_bound_squares():
    c = {"input_size": 2, "n1": 3, "n2": 2, "T": 12, "B": 2, "h": 2, "rho": 0.6, "bias": True, "input_scale": 1.0,
         "seed": 3}
    net = stacked_contractive_net(c)
    omega = max(float(np.linalg.norm(net.params[k], 2)) for k in ("weight_ih_l1", "weight_ih_l1_reverse"))
    F = omega * np.sqrt(3) / (1 - 0.6)
    # The two-layer net has all its contracted norms at rho: E_2 is the halves' errors added, the stacked
    # bound the same two errors in quadrature (the output concatenates the halves), so it is the smaller.
    assert deep_bound(net) == pytest.approx(0.6**3 * (np.sqrt(2) + 2 * F), rel=1e-12)
    assert stacked_bound(net, 0.6, 2) == pytest.approx(0.6**3 * np.hypot(F, np.sqrt(2) + F), rel=1e-12)
    assert stacked_bound(net, 0.6, 2) < deep_bound(net)


def test_deep_bound_recursion_by_hand():
    net = deep_contractive_net(_deep_case())
    k = deep_constants(net)
    assert [round(v["rho"], 12) for v in k] == [0.6, 0.5, 0.7] and k[0]["omega"] == 0.0
    E1 = np.sqrt(3) * 0.6 ** 3
    E2 = np.sqrt(2) * 0.5 ** 2 + 2 * k[1]["omega"] * E1 / 0.5
    E3 = np.sqrt(3) * 0.7 ** 3 + 2 * k[2]["omega"] * E2 / 0.3
    assert deep_bound(net) == pytest.approx(E3, rel=1e-12)


def test_deep_bound_holds_and_is_not_vacuous_on_three_layers():
    c = _deep_case()
    net = deep_contractive_net(c)
    x = np.random.default_rng(c["seed"] + 1).normal(size=(16, 3, 2))
    err = truncation_error(net, x, c["horizons"])[:16 - 5]
    assert err.max() <= deep_bound(net)
    assert err.max() > 1e-4 * deep_bound(net)


def test_the_top_layers_own_bound_alone_is_violated(monkeypatch):
    """Without the propagated term (E_L = sqrt(n_L) rho_L^(h_L+1)) the search finds a violation: the lower
    layers' error must be carried up."""
    def top_only(net):
        k = deep_constants(net)[-1]
        return float(np.sqrt(k["n"]) * k["rho"] ** (k["h"] + 1))

    monkeypatch.setattr(topology_claims, "deep_bound", top_only)
    r = run_claim("bidir-approx-bound-deep", FAST)
    assert r.verdict == "fails"
    assert len(r.counterexample["widths"]) >= 2


def test_deep_bound_needs_contraction_and_bidirectional_layers():
    net = deep_contractive_net(_deep_case(rhos=[0.6, 1.2, 0.5]))
    assert deep_bound(net) == float("inf")
    top = Topology(1, (Layer(1, (0,), "backward", 1),))
    with pytest.raises(ValueError, match="bidirectional"):
        deep_constants(TopologyRNN.random(top))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "identity"])
def test_one_layer_is_exact_where_its_window_reaches_the_end_and_not_before(activation):
    T, h = 7, 2
    base = {"input_size": 2, "widths": [2], "horizons": [h], "activation": activation, "bias": True, "T": T,
            "B": 2, "seed": 11}
    assert _near_end_error(base) == 0.0  # t + h >= T - 1: bit for bit
    if activation in ("identity", "relu"):
        assert _near_end_error(base, exact=True) == 0.0
    # The earlier times are truncated: the same network differs there.
    net = TopologyRNN.random(bidirectional_topology(2, [2], h, activation), bias=True, seed=11)
    x = np.random.default_rng(11).normal(size=(T, 2, 2))
    diff = np.abs(net(x, backward="clipped") - net(x, backward="full")).max(axis=(1, 2))
    assert np.all(diff[T - 1 - h:] == 0) and np.all(diff[:T - 1 - h] > 0)
