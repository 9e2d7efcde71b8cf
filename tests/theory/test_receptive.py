"""Receptive fields: the reachability array against an independent graph search and closed forms."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory.layout import relaxed_plan, stacked_plan
from theory.receptive import (
    block_fields,
    field_lookahead,
    lookahead,
    lookahead_from_lags,
    min_steps,
    receptive_field,
    shortest_input_path,
)


@st.composite
def plans(draw, max_blocks=4):
    L = draw(st.integers(1, max_blocks))
    cell = draw(st.sampled_from(["elman", "lstm", "gru"]))
    rm = np.array(draw(st.lists(st.booleans(), min_size=L * L, max_size=L * L)), dtype=bool).reshape(L, L)
    im = np.array(draw(st.lists(st.booleans(), min_size=L, max_size=L)), dtype=bool)
    plan = relaxed_plan(cell, 1, [1] * L, rm, im, delay=draw(st.integers(0, 4)),
                        readout=draw(st.lists(st.integers(0, L - 1), min_size=1, max_size=L, unique=True)),
                        lags=draw(st.lists(st.integers(0, 4), min_size=L, max_size=L)))
    holds = draw(st.lists(st.integers(0, 3), min_size=L, max_size=L))
    return replace(plan, blocks=tuple(replace(b, hold=h) for b, h in zip(plan.blocks, holds)))


def brute_force_field(plan, T):
    """Independent: search the unrolled graph backwards from each output node, node by node."""
    L, d = len(plan.blocks), plan.delay
    preds = {l: {e.src for e in plan.recurrent if e.dst == l} for l in range(L)}
    if plan.cell != "elman":
        for l in range(L):
            preds[l].add(l)
    fed = {e.dst for e in plan.inputs}
    out = np.zeros((T, T), dtype=bool)
    for t in range(T):
        stack = [(r, t + d) for r in plan.readout]
        seen = set()
        while stack:
            l, tau = stack.pop()
            if (l, tau) in seen or tau < 0 or tau < plan.blocks[l].hold:
                continue  # before step 0, or held: the initial state depends on no input
            seen.add((l, tau))
            if l in fed and tau < T:
                out[t, tau] = True
            stack.extend((k, tau - 1) for k in preds[l])
    return out


@given(plans(), st.integers(0, 7))
def test_field_equals_brute_force_search(plan, T):
    assert np.array_equal(receptive_field(plan, T), brute_force_field(plan, T))


@given(plans())
def test_lookahead_closed_form_lag_formula_and_field_agree(plan):
    expected = lookahead(plan)
    assert lookahead_from_lags(plan) == expected
    assert field_lookahead(receptive_field(plan, min_steps(plan))) == expected


@pytest.mark.parametrize("start", ["staggered", "zero"])
def test_stacked_field_is_exactly_causal(start):
    plan = stacked_plan("elman", 2, [1, 2, 3, 1], start=start)
    T = 7
    assert np.array_equal(receptive_field(plan, T), np.tril(np.ones((T, T), dtype=bool)))
    assert lookahead(plan) == 0 and shortest_input_path(plan) == 3


@pytest.mark.parametrize("d", [0, 1, 3])
def test_dense_field_sees_exactly_d_ahead(d):
    plan = relaxed_plan("elman", 1, [2, 1], np.ones((2, 2), bool), np.ones(2, bool), delay=d)
    T = 6
    t, s = np.indices((T, T))
    assert np.array_equal(receptive_field(plan, T), s <= t + d)
    assert lookahead(plan) == d


def test_elman_without_self_loops_sees_only_some_lags():
    # Two blocks feeding each other, no self-loops, readout block 0, input into block 0: only even path lengths.
    plan = relaxed_plan("elman", 1, [1, 1], np.array([[False, True], [True, False]]), np.array([True, False]),
                        delay=0, readout=[0])
    f = receptive_field(plan, 6)
    t, s = np.indices(f.shape)
    assert np.array_equal(f, (s <= t) & ((t - s) % 2 == 0))
    # The LSTM cell state makes every block read itself, which fills in the odd lags.
    g = receptive_field(replace(plan, cell="lstm", blocks=tuple(replace(b, activation=None) for b in plan.blocks)), 6)
    assert np.array_equal(g, s <= t)


def test_holds_and_warmup_independence():
    plan = stacked_plan("elman", 1, [1, 1, 1], start="zero")
    bf = block_fields(plan, 5)
    # Block l cannot depend on any input before step l: the warm-up states are input-free.
    for l in range(3):
        assert not bf[:l, l].any()
        assert bf[l, l].any()
    never = replace(plan, blocks=tuple(replace(b, hold=100) for b in plan.blocks))
    assert not receptive_field(never, 5).any()
    assert field_lookahead(receptive_field(never, 5)) is None


def test_no_path_means_no_lookahead():
    plan = relaxed_plan("elman", 1, [1, 1], np.zeros((2, 2), bool), np.array([True, False]), delay=2)
    assert lookahead(plan) is None and lookahead_from_lags(plan) is None
    assert not receptive_field(plan, 4).any()


def test_bad_arguments():
    plan = stacked_plan("elman", 1, [1])
    with pytest.raises(ValueError, match="steps"):
        receptive_field(plan, -1)
    with pytest.raises(TypeError, match="plan"):
        receptive_field("plan", 3)
    with pytest.raises(ValueError, match="field"):
        field_lookahead(np.ones((2, 3), bool))


def test_unrolled_search_agrees_with_the_block_field_and_sees_the_weights():
    import numpy as np

    from theory.layout import relaxed_plan, stacked_plan
    from theory.receptive import receptive_field, unrolled_field

    for plan in (stacked_plan("elman", 2, [2, 1, 3]), stacked_plan("lstm", 1, [1, 2], None, start="zero"),
                 relaxed_plan("gru", 1, [1, 2, 1], np.eye(3, k=-1, dtype=bool), np.array([1, 0, 1], bool),
                              delay=3)):
        whh, wih = plan.weight_hh_mask() * 1.0, plan.weight_ih_mask() * 1.0
        assert (unrolled_field(plan, whh, wih, 7) == receptive_field(plan, 7)).all()
    # The search reads the weights, not the plan's edges: zero the sub-diagonal and the output goes blind.
    plan = stacked_plan("elman", 1, [1, 1])
    whh = plan.weight_hh_mask() * 1.0
    whh[1, 0] = 0.0
    assert not unrolled_field(plan, whh, plan.weight_ih_mask() * 1.0, 4).any()
