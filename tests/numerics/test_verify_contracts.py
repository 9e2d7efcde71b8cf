"""Exact contracts: min_steps is the shortest length, reference_field the unrolled reference graph's field."""

from __future__ import annotations

import numpy as np
import pytest

import theory.receptive as receptive
import theory.topology as topology
from numerics.verify.claims import contracts
from numerics.verify.registry import Effort
from numerics.verify.runner import run_claim
from theory.layout import relaxed_plan
from theory.receptive import field_lookahead, lookahead, min_steps, receptive_field
from theory.topology import Layer, Topology, reference_field

FAST = Effort("test", examples=15)


def test_min_steps_is_the_shortest_length_by_hand():
    # one block, delay 3, no recurrence path needed: look-ahead d - m = 3 needs x_3 to exist for y_0, so T = 4
    plan = relaxed_plan("elman", 1, [1], np.ones((1, 1), bool), np.ones(1, bool), delay=3)
    assert lookahead(plan) == 3 and min_steps(plan) == 4
    assert field_lookahead(receptive_field(plan, 4)) == 3 != field_lookahead(receptive_field(plan, 3))


def test_the_unrolled_reference_field_by_hand():
    # a backward layer of horizon 1 over a forward layer: y_t sees x_0 ... x_{t+1}
    top = Topology(1, (Layer(1, (0,), "forward"), Layer(1, (1,), "backward", 1)), (2,))
    want = np.array([[s <= t + 1 for s in range(4)] for t in range(4)])
    assert np.array_equal(contracts.unrolled_reference_field(top, 4), want)
    assert np.array_equal(np.array(reference_field(top, 4)), want)


@pytest.mark.parametrize("claim_id", ["min-steps-exact", "reference-field"])
def test_the_claims_hold_with_informative_cases(claim_id):
    r = run_claim(claim_id, FAST)
    assert r.as_expected and all(m.cases > 0 and m.nontrivial for m in r.methods)


def test_min_steps_one_short_is_refuted(monkeypatch):
    original = receptive.min_steps
    monkeypatch.setattr(contracts, "min_steps", lambda plan: max(original(plan) - 1, 1))
    r = run_claim("min-steps-exact", FAST)
    assert {m.name for m in r.methods if m.refuted} == {"relaxed", "topology"}


def test_reference_field_with_a_horizon_one_short_is_refuted(monkeypatch):
    original = topology.reference_field

    def short(top, steps):
        return original(topology.with_horizon(top, [max(la.horizon - 1, 0) for la in top.layers]), steps)

    monkeypatch.setattr(contracts, "reference_field", short)
    assert not run_claim("reference-field", FAST).as_expected
