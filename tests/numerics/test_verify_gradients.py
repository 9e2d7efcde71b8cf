"""The gradient oracle (central differences of the per-step reference) and the gradient claims."""

from __future__ import annotations

import random

import numpy as np
import pytest

from numerics.models import BidirectionalRNN, StackedRNN, delayed_gru
from numerics.models.topology import TopologyRNN, compiled_delayed
from numerics.verify.claims import gradients as claims
from numerics.verify.gradients import central_differences, gradient_error
from numerics.verify.registry import Effort
from numerics.verify.runner import run_claim
from numerics.verify.stepwise import reference_delayed, reference_run
from theory.topology import Layer, Topology


def test_central_differences_of_a_known_function():
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    num = central_differences(lambda d: float(np.sum(d["a"] ** 3)), {"a": a})
    assert np.allclose(num["a"], 3 * a**2, rtol=1e-9, atol=1e-9)


def test_central_differences_skip_entries_outside_free():
    free = {"a": np.array([True, False])}
    num = central_differences(lambda d: float(d["a"] @ d["a"]), {"a": np.array([2.0, 5.0])}, free)
    assert num["a"][0] == pytest.approx(4.0) and np.isnan(num["a"][1])


def test_gradient_error_is_relative_to_max_one_and_the_numeric_value():
    num = {"a": np.array([1000.0, 0.5])}
    assert gradient_error({"a": np.array([1000.1, 0.5])}, num)[0] == pytest.approx(1e-4)
    assert gradient_error({"a": np.array([1000.0, 0.6])}, num) == (pytest.approx(0.1), "a")


def test_gradient_error_outside_the_mask_must_be_exact_zero():
    free = {"a": np.array([True, False])}
    num = {"a": np.array([1.0, np.nan])}
    assert gradient_error({"a": np.array([1.0, 0.0])}, num, free) == (0.0, "")
    assert gradient_error({"a": np.array([1.0, 1e-30])}, num, free)[0] >= 1
    assert gradient_error({"b": np.array([1.0])}, {"a": np.ones(1)})[0] == np.inf


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_bidirectional_reference_is_two_directions_by_hand(cell):
    # one layer: the reverse direction is the forward reference run on the time-reversed input
    net = BidirectionalRNN.random(2, [3], cell=cell, seed=3)
    x = np.random.default_rng(0).normal(size=(4, 2, 2))
    y, hs, _ = reference_run(cell, net.state_dict(), net.activations, x, bidirectional=True)
    rev = {k.removesuffix("_reverse"): v for k, v in net.state_dict().items() if k.endswith("_reverse")}
    yb, hb, _ = reference_run(cell, rev, net.activations, x[::-1])
    assert np.array_equal(y[..., 3:], yb[::-1]) and np.array_equal(hs[1], hb[0])
    assert np.allclose(y, net(x), rtol=0, atol=1e-12)


def test_delayed_reference_holds_and_reads_out_with_the_delay():
    # identity Elman, two layers of width 1: the staggered plan holds block 1 at h0 for one step
    net = StackedRNN.from_state_dict({"weight_ih_l0": np.array([[2.0]]), "weight_hh_l0": np.array([[0.5]]),
                                      "weight_ih_l1": np.array([[3.0]]), "weight_hh_l1": np.array([[0.0]])},
                                     activations="identity")
    d = net.to_delayed("staggered")
    y, h, _ = reference_delayed(d.plan, d.params.arrays(), np.ones((2, 1, 1)), np.array([[7.0, 11.0]]))
    # layer 0 from h0 = 7: 2 + 3.5 = 5.5, then 2 + 2.75 = 4.75; layer 1 outputs 3 * those
    assert y[:, 0, 0].tolist() == [16.5, 14.25]
    assert h[0].tolist() == [0.5 * 4.75, 14.25]


@pytest.mark.parametrize("reset", ["own", "full"])
def test_delayed_reference_matches_every_schedule_for_gru(reset):
    net = StackedRNN.random(2, [2, 3], cell="gru", seed=5)
    d = delayed_gru(net, reset)
    x = np.random.default_rng(1).normal(size=(5, 2, 2))
    h0 = np.random.default_rng(2).normal(size=(2, d.hidden_size))
    y_ref, h_ref, _ = reference_delayed(d.plan, d.params.arrays(), x, h0)
    for name in d.schedules():
        y, cache = d.forward(x, h0, engine=name)
        assert np.allclose(y, y_ref, rtol=0, atol=1e-12), name
        assert np.allclose(cache.states[-1], h_ref, rtol=0, atol=1e-12), name


def test_layer_order_backward_keeps_a_block_without_self_edge_at_zero():
    # A backward layer of horizon 0 has no recurrence: its diagonal block is outside the plan, and every
    # schedule's masked gradient must be exactly zero there (the layer-order one once was not).
    top = Topology(2, (Layer(2, (0,), "backward", 0, "tanh"),), (1,))
    _, d = compiled_delayed(TopologyRNN.random(top, seed=1))
    x = np.random.default_rng(0).normal(size=(3, 1, 2))
    outside = ~d.plan.weight_hh_mask()
    assert outside.all()
    for name in d.schedules():
        _, cache = d.forward(x, engine=name)
        g = d.backward(cache, np.ones((3, 1, d.output_size)))[1].params
        assert not np.any(g.weight_hh[outside]), name


def test_the_claims_hold_and_count_their_cases():
    effort = Effort("test", examples=10)
    for cid in ("gradient-stacked", "gradient-bidirectional", "gradient-delayed", "gradient-topology"):
        r = run_claim(cid, effort)
        assert r.as_expected, (cid, [m.counterexample for m in r.methods if m.refuted])
        for m in r.methods:
            assert m.cases == claims.cases_per_method(effort) and m.nontrivial >= 1, (cid, m.name)


def test_the_delayed_claim_runs_every_schedule_by_name(monkeypatch):
    from numerics.models.delayed import DelayedRNN
    seen = []
    original = DelayedRNN.forward

    def spy(self, x, h0=None, *, engine="auto"):
        seen.append(engine)
        return original(self, x, h0, engine=engine)

    monkeypatch.setattr(DelayedRNN, "forward", spy)
    net = StackedRNN.random(2, [2, 2], cell="lstm", seed=0).to_delayed()
    err, _ = claims.delayed_error(net, np.ones((2, 1, 2)), np.random.default_rng(0), True)
    assert err < 1e-6 and "auto" not in seen and set(seen) == set(net.schedules()) and len(seen) >= 2


def test_a_wrong_backward_pass_is_refuted(monkeypatch):
    # the sigmoid derivative computed as 1 - h^2 (the tanh one): without torch only the oracle sees it
    import numerics.engine.activations as acts
    import numerics.engine.cells.elman as cells

    original = acts.derivative_from_output

    def wrong(name, h, out=None):
        return original("tanh" if name == "sigmoid" else name, h, out)

    for module in (acts, cells):
        monkeypatch.setattr(module, "derivative_from_output", wrong)
    for cid in ("gradient-stacked", "gradient-delayed"):
        assert not run_claim(cid, Effort("test"), methods=["elman-sigmoid"]).as_expected, cid
    assert run_claim("gradient-stacked", Effort("test"), methods=["elman-tanh"]).as_expected


def test_topology_cases_are_reproducible():
    case = claims._topology_case(np.random.default_rng(0))
    a, b = claims._topology_net(case), claims._topology_net(case)
    assert a.topology == b.topology and random.Random(1).random() == random.Random(1).random()
