"""The public hypothesis strategies of numerics.testing: what they draw and how they reject bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.errors import InvalidArgument

from numerics import StackedRNN
from numerics.testing import initial_states, relaxed_plans, sequences, stacked_cases, stacked_rnns, weights
from theory.layout import Plan
from theory.receptive import lookahead, lookahead_from_lags


@pytest.mark.parametrize("make", [
    lambda: stacked_rnns(layers=(0, 2)),
    lambda: stacked_rnns(layers=(3, 2)),
    lambda: stacked_rnns(widths="wide"),
    lambda: stacked_rnns(cells=("transformer",)),
    lambda: stacked_rnns(cells=()),
    lambda: stacked_rnns(activations=("softmax",)),
    lambda: stacked_rnns(dtypes=(np.int32,)),
    lambda: stacked_rnns(bias=(1,)),
    lambda: stacked_rnns(bound=-1.0),
    lambda: stacked_cases(steps=(-1, 2)),
    lambda: stacked_cases(with_h0=()),
    lambda: stacked_cases(depth=3),
    lambda: sequences(0),
    lambda: sequences(2, batch=(0, 1)),
    lambda: weights((2,), dtype="int8"),
    lambda: initial_states("net", 1),
    lambda: initial_states(StackedRNN.random(1, [1]), 0),
    lambda: relaxed_plans(cells=("lstm", "attention")),
    lambda: relaxed_plans(max_blocks=0),
    lambda: relaxed_plans(max_delay=-1),
    lambda: relaxed_plans(max_width=1.5),
])
def test_bad_strategy_arguments_raise_invalid_argument(make):
    with pytest.raises(InvalidArgument):
        make()


@pytest.mark.parametrize(("shape", "match"), [
    (None, r"shape must be a sequence of ints >= 0, or an int; got NoneType"),
    (2.5, r"shape must be .* got float"),
    ((2, True), r"shape\[1\] must be an int >= 0; got bool"),
    ((-1,), r"shape\[0\] must be an int >= 0; got -1"),
    ((10**13, 10**13), r"shape: .* do not fit in this machine's memory"),
])
def test_weights_names_a_bad_shape(shape, match):
    with pytest.raises(InvalidArgument, match=match):
        weights(shape).validate()


@pytest.mark.parametrize(("make", "match"), [
    (lambda: initial_states(StackedRNN.random(1, [2], seed=0), 10**13), r"batch × hidden sizes: .* do not fit"),
    (lambda: sequences(10**13), r"steps × batch × input_size: .* do not fit"),
])
def test_sizes_too_large_for_memory_name_the_argument(make, match):
    with pytest.raises(InvalidArgument, match=match):
        make().validate()


@given(weights(3))
def test_weights_takes_an_int_shape(w):
    assert w.shape == (3,)


@settings(max_examples=30, deadline=None)
@given(relaxed_plans(max_blocks=3, max_width=2, max_delay=2, max_hold=1))
def test_relaxed_plans_respect_their_bounds(plan):
    assert isinstance(plan, Plan)
    assert 1 <= len(plan.blocks) <= 3 and plan.input_size == 1
    assert all(1 <= b.width <= 2 and 0 <= b.hold <= 1 for b in plan.blocks)
    assert 0 <= plan.delay <= 2
    assert lookahead(plan) == lookahead_from_lags(plan)


@settings(max_examples=20, deadline=None)
@given(stacked_cases(layers=(2, 3), widths=(1, 2), cells=("lstm",), steps=3, batch=2, with_h0=(True,)))
def test_stacked_cases_respect_their_bounds(case):
    assert case.net.cell == "lstm" and 2 <= case.net.num_layers <= 3
    assert all(1 <= n <= 2 for n in case.net.hidden_sizes)
    assert case.x.shape == (3, 2, case.net.input_size)
    h0, c0 = case.h0
    assert [h.shape for h in h0] == [(2, n) for n in case.net.hidden_sizes] == [c.shape for c in c0]


def test_assert_gradients_match_accepts_true_and_rejects_wrong_gradients():
    from dataclasses import replace

    from numerics.testing import assert_gradients_match

    net = StackedRNN.random(2, [3], cell="lstm", seed=0, scale=1.0)
    x = np.random.default_rng(0).standard_normal((4, 2, 2))
    w = np.random.default_rng(1).standard_normal((4, 2, 3))

    def loss(p):
        return float((replace(net, layers=(p,))(x) * w).sum())

    _, cache = net.forward(x)
    grads = net.backward(cache, w)[1].layers[0]
    p = net.layers[0]
    assert assert_gradients_match(loss, p, grads, samples=6) == 24
    wrong = replace(grads, weight_hh=grads.weight_hh.copy())
    wrong.weight_hh[0, 0] += 1e-3                     # a gradient that is off in one entry
    with pytest.raises(AssertionError, match=r"weight_hh\[0, 0\]: gradient"):
        assert_gradients_match(loss, p, wrong, samples=100)
    mask = np.ones(p.weight_hh.shape, bool)
    mask[0, 0] = False                                # that entry is then a fixed zero, and its gradient is not
    with pytest.raises(AssertionError, match="weight_hh: gradient outside the mask is not zero"):
        assert_gradients_match(loss, p, grads, masks={"weight_hh": mask})
    with pytest.raises(TypeError, match="loss"):
        assert_gradients_match(None, p, grads)
    with pytest.raises(ValueError, match="eps"):
        assert_gradients_match(loss, p, grads, eps=0.0)
    with pytest.raises(ValueError, match=r"masks\['weight_hh'\]"):
        assert_gradients_match(loss, p, grads, masks={"weight_hh": mask[:1]})
