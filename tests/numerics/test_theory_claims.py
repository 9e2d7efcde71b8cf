"""The theory claims in the registry: verdicts, the shrunk GRU counterexample, Jacobian support."""

from dataclasses import replace

import numpy as np
import pytest

from numerics import DelayedRNN, StackedRNN
from numerics.engine.units import reset_mask
from numerics.models import delayed_gru
from numerics.models.construction import assemble
from numerics.models.jacobian import input_jacobian
from numerics.verify.registry import EFFORTS
from numerics.verify.runner import catalogue, run_claim
from theory.layout import relaxed_plan, stacked_plan
from theory.receptive import receptive_field

THEORY_CLAIMS = ["exact-rational", "induction-step", "gru-naive", "gru-own-reset", "lookahead-stacked",
                 "lookahead-dense", "lookahead-relaxed", "jacobian-support"]
SYMBOLIC_ON = ["elman-staggered", "elman-warmup", "elman-zero-bias", "lstm-staggered", "lstm-warmup",
               "lstm-zero-bias"]


@pytest.mark.parametrize("claim_id", THEORY_CLAIMS)
def test_theory_claim_verdict_matches_expectation(claim_id):
    result = run_claim(claim_id)
    assert result.as_expected, (result.verdict, result.counterexample)
    for m in result.methods:
        assert m.cases > 0


@pytest.mark.parametrize("claim_id", SYMBOLIC_ON)
def test_symbolic_method_is_attached_and_holds(claim_id):
    assert "symbolic" in [name for name, _ in catalogue()[claim_id].methods]
    result = run_claim(claim_id, methods=["symbolic"])
    assert result.verdict == "holds" and result.methods[0].max_error == 0.0


def test_gru_counterexample_is_shrunk_to_two_layers_of_width_one():
    result = run_claim("gru-naive", methods=["property"])
    cex = result.counterexample
    assert result.verdict == "fails"
    assert cex["layers"] == 2 and cex["hidden_sizes"] == [1, 1]
    assert cex["steps"] <= 2 and cex["input_size"] == 1
    assert cex["error"] > 1e-6 and cex["max_abs_difference"] == cex["error"]
    # The first output already differs: block 2 reads block 1 at the first step it is not held.
    assert cex["first_difference"]["time_step"] == 0


def test_gru_symbolic_counterexample_names_the_reset_factor():
    cex = run_claim("gru-naive", methods=["symbolic"]).counterexample
    assert cex["residual_over_W_n_h_below"] == "r2[0,0] - 1"


def test_own_reset_gru_matches_stacked_gru_numerically():
    net = StackedRNN.random(3, [2, 3, 1], cell="gru", seed=4, scale=1.0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(9, 2, 3))
    h0 = [rng.normal(size=n) for n in net.hidden_sizes]
    own = delayed_gru(net, "own")
    assert np.abs(own(x, h0) - net(x, h0)).max() < 1e-12
    # The unmodified single GRU layer on the same layout does not match.
    plan = stacked_plan("gru", 3, [2, 3, 1], None, allow_gru=True)
    naive = DelayedRNN(plan, assemble(plan, net.state_dict()), masked=True)
    assert np.abs(naive(x, h0) - net(x, h0)).max() > 1e-3


def test_own_reset_on_a_diagonal_only_plan_is_the_plain_gru():
    # With no cross-block edges "own" is everything, so the cell is PyTorch's GRU.
    plan = relaxed_plan("gru", 2, [2, 1], np.eye(2, dtype=bool), np.ones(2, bool), delay=0, readout=[0, 1])
    d = DelayedRNN.random(plan, seed=1, scale=1.0)
    own = DelayedRNN(replace(plan, gru_reset="own"), d.params)
    x = np.random.default_rng(1).normal(size=(5, 1, 2))
    assert np.abs(own(x) - d(x)).max() < 1e-12
    assert reset_mask(own.plan).sum() == 2 * 2 + 1


def test_own_reset_bad_input():
    with pytest.raises(ValueError, match="gru"):
        delayed_gru(StackedRNN.random(1, [1]), "own")
    with pytest.raises(TypeError, match="StackedRNN"):
        delayed_gru("net", "own")
    with pytest.raises(ValueError, match="gru_reset"):
        replace(stacked_plan("elman", 1, [1]), gru_reset="own")


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_jacobian_support_is_the_structural_field(cell):
    # Block 0 reads the input, block 1 reads block 0, block 2 reads block 1 and itself; block 1 is held 2 steps.
    rm = np.array([[True, False, False], [True, False, False], [False, True, True]])
    plan = relaxed_plan(cell, 2, [2, 1, 2], rm, np.array([True, False, False]), delay=1, readout=[2])
    plan = replace(plan, blocks=tuple(replace(b, hold=h) for b, h in zip(plan.blocks, (0, 2, 0))))
    net = DelayedRNN.random(plan, seed=0, scale=1.0)
    T = 7
    J = input_jacobian(net, np.random.default_rng(0).normal(size=(T, 1, 2)))
    field = receptive_field(plan, T)
    support = np.abs(J).max(axis=(1, 3))
    assert np.all(support[~field] == 0.0)  # structural zeros are exact zeros
    assert np.all(support[field] > 0.0)    # structural non-zeros are non-zero for generic weights
    assert field.any() and not field.all()


def test_default_effort_of_theory_claims_gives_the_expected_verdicts():
    # Run time is not asserted (speed belongs to benchmarks); the verdicts are.
    for cid in THEORY_CLAIMS:
        result = run_claim(cid)
        assert result.as_expected, (cid, result.verdict)
    for cid in SYMBOLIC_ON:
        result = run_claim(cid, methods=["symbolic", "exact-relu", "exact-identity"])
        assert result.as_expected and not any(m.error for m in result.methods), cid


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", THEORY_CLAIMS + SYMBOLIC_ON)
def test_thorough_profile(claim_id):
    methods = None if claim_id in THEORY_CLAIMS else ["symbolic"]
    result = run_claim(claim_id, EFFORTS["thorough"], methods=methods)
    assert result.as_expected, result.counterexample
