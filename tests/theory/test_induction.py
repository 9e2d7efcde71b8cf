"""Theorem 1 for every depth: the machine-checked facts of the induction."""

from dataclasses import replace

import numpy as np
import pytest
import sympy
from sympy import MatrixSymbol, ZeroMatrix

from theory.induction import (
    PROOF,
    Elementwise,
    check_induction,
    elman_step,
    gru_step,
    lstm_step,
    n_l,
    plan_conforms,
    proof_text,
    warmup_input_free,
)
from theory.layout import Edge, relaxed_plan, stacked_plan


def test_every_fact_comes_out_as_the_proof_needs():
    rep = check_induction(max_layers=12)
    assert rep.proved
    assert rep.plans_checked == 2 * 2 * 12
    assert {s.name for s in rep.steps} >= {"elman: step, block l >= 2", "lstm: step, block l >= 2"}


def test_steps_hold_with_symbolic_widths():
    for step in (elman_step(), elman_step(first=True), lstm_step(), lstm_step(first=True)):
        assert step.holds, step.name
        # The widths are symbols, so the check is not about any particular size.
        assert step.delayed.shape[0].free_symbols == {n_l}


def test_naive_gru_step_fails_and_own_reset_holds():
    naive, own = gru_step("all"), gru_step("own")
    assert not naive.holds and naive.ok  # failing is what the proof expects here
    assert own.holds and own.ok


def test_warmup_input_free_catches_an_input_edge_into_a_later_block():
    assert warmup_input_free(stacked_plan("elman", 2, [1, 2, 3])) == []
    plan = stacked_plan("elman", 2, [1, 2, 3], start="zero")
    leaky = replace(plan, inputs=(*plan.inputs, replace(plan.inputs[0], dst=2)))
    assert any("before step 2" in p for p in warmup_input_free(leaky))


def test_elementwise_zero_fixed():
    # Without the f(0) = 0 assumption the block is not provably zero.
    assert Elementwise("phi", ZeroMatrix(n_l, 1)) != ZeroMatrix(n_l, 1)
    assert Elementwise("phi", ZeroMatrix(n_l, 1), zero_fixed=True) == ZeroMatrix(n_l, 1)


def test_elementwise_survives_rebuilding():
    e = Elementwise("phi", MatrixSymbol("A", n_l, 1))
    assert e.func(*e.args) == e
    assert e.shape == (n_l, 1)
    assert "phi" in sympy.latex(e)


def test_plan_conforms_accepts_stacked_and_rejects_others():
    assert plan_conforms(stacked_plan("elman", 2, [1, 2, 3])) == []
    assert plan_conforms(stacked_plan("lstm", 2, [1, 2], None, start="zero")) == []
    dense = relaxed_plan("elman", 2, [1, 1], np.ones((2, 2), bool), np.ones(2, bool), delay=1)
    assert plan_conforms(dense)
    good = stacked_plan("elman", 2, [1, 1, 1])
    skip = replace(good, recurrent=(*good.recurrent, Edge(0, 2, "weight_ih_l2")))
    assert any("extra [(0, 2)]" in p for p in plan_conforms(skip))


def test_proof_text_contains_the_argument_and_the_checked_facts():
    text = proof_text()
    assert PROOF.strip() in text
    assert "UNEXPECTED" not in text
    assert text.count("holds") >= 7


@pytest.mark.parametrize(("reset", "exc"), [("full", ValueError), (np.ones(3), TypeError), (None, TypeError)])
def test_gru_step_names_a_bad_reset(reset, exc):
    with pytest.raises(exc, match="reset must be"):
        gru_step(reset)
