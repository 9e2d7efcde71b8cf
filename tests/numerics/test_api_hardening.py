"""The public API cases of the hardening issue: each bad call is one clear ValueError/TypeError naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

from numerics.engine import layer_forward
from numerics.experiments import tasks
from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics.models.construction import assemble, disassemble
from numerics.testing import assert_equivalent, first_difference
from numerics.train.optim import Adam, clip_grad_norm
from numerics.train.readout import Readout

NET = StackedRNN.random(2, [3], cell="elman", seed=0)
PLAN = NET.to_delayed().plan

CASES = [
    (lambda: Readout.random(NET, 10**13), ValueError, r"output_size: .* do not fit in this machine's memory"),
    (lambda: StackedRNN.random(2, [10**7]), ValueError, r"hidden_sizes \(10000000 units\): .* do not fit"),
    (lambda: StackedRNN.random(10**13, [3]), ValueError, r"input_size \(10000000000000\) with hidden_sizes"),
    (lambda: tasks.reversal(V=3, T=40, sizes=(10**13, 1, 1)), ValueError, r"sizes = \(10000000000000, 1, 1\)"),
    (lambda: tasks.reversal(V=3, T=10**13, sizes=(2, 2, 2)), ValueError, r"T = 10000000000000 .* do not fit"),
    (lambda: tasks.sine(T=4, causal=10**13, sizes=(2, 2, 2)), ValueError, r"causal = 10000000000000, .* do not fit"),
    (lambda: DelayedRNN.random(PLAN, seed="x"), TypeError, r"seed must be None, an int >= 0"),
    (lambda: StackedRNN.random(2, [3], seed=1.5), TypeError, r"seed must be None, an int >= 0"),
    (lambda: BidirectionalRNN.random(2, [3], seed=-1), ValueError, r"seed must be an int >= 0; got -1"),
    (lambda: Readout.random(NET, 2, seed=[1]), TypeError, r"seed must be None, an int >= 0"),
    (lambda: Readout.random(None, 2), TypeError, r"body must be a model .* got NoneType"),
    (lambda: tasks.sine(T=4, sizes=(2, 2, 2), seed=-1), ValueError, r"seed must be an int >= 0"),
    (lambda: StackedRNN.random(2, [3], scale=float("nan")), ValueError, r"scale must be finite; got nan"),
    (lambda: StackedRNN.random(2, [3], scale=float("inf")), ValueError, r"scale must be finite; got inf"),
    (lambda: StackedRNN.random(2, [3], scale=-1.0), ValueError, r"scale must be > 0"),
    (lambda: layer_forward("foo", None, np.zeros((1, 1, 2)), None), ValueError, r"cell must be one of"),
    (lambda: StackedRNN.from_state_dict(NET.state_dict(), cell="foo"), ValueError, r"cell must be one of"),
    (lambda: StackedRNN.from_state_dict(NET.state_dict(), cell=None), TypeError, r"cell must be a str"),
    (lambda: assemble(PLAN, {}), ValueError, r"state_dict is empty"),
    (lambda: assemble(PLAN, [1]), TypeError, r"state_dict must be a mapping"),
    (lambda: assemble(None, NET.state_dict()), TypeError, r"plan must be a Plan; got NoneType"),
    (lambda: disassemble(None, None), TypeError, r"plan must be a Plan; got NoneType"),
    (lambda: disassemble(PLAN, None), TypeError, r"params must be a LayerParams"),
    (lambda: Adam().step([1.0], [1.0]), TypeError, r"params must be a mapping"),
    (lambda: clip_grad_norm([1.0], 1.0), TypeError, r"grads must be a mapping"),
    (lambda: first_difference(np.zeros(3), np.zeros(4), 0, 0), ValueError, r"same shape; got \(3,\) and \(4,\)"),
    (lambda: first_difference(np.zeros(3), np.zeros(3), 0, -1), ValueError, r"atol must be a finite number >= 0"),
    (lambda: first_difference(np.array(["x"]), np.array(["y"]), 0, 0), TypeError, r"a must be a numeric array"),
    (lambda: assert_equivalent(np.zeros, np.zeros, 0, atol=-1), ValueError, r"atol must be a finite number >= 0"),
    (lambda: assert_equivalent(np.zeros, np.zeros, 0, rtol="1"), TypeError, r"rtol must be a real number"),
    (lambda: assert_equivalent(None, np.zeros, 0), TypeError, r"a must be a callable model"),
]


@pytest.mark.parametrize("call, exc, message", CASES)
def test_bad_call_raises_a_clear_error(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_first_difference_works_for_any_rank():
    assert first_difference(np.zeros(3), np.array([0.0, 0.0, 1.0]), 0, 0) == (2,)
    assert first_difference(np.zeros((2, 3)), np.zeros((2, 3)), 0, 0) is None
    b = np.zeros((2, 3))
    b[1, 2] = 1e-3
    assert first_difference(np.zeros((2, 3)), b, 0, 1e-4) == (1, 2)
    assert first_difference(np.zeros((2, 3)), b, 0, 1e-2) is None
    assert first_difference(np.array([np.nan]), np.array([0.0]), 1, 1) == (0,)
    assert first_difference(np.zeros(0), np.zeros(0), 0, 0) is None


def test_assert_equivalent_names_the_first_difference_on_2d_outputs():
    with pytest.raises(AssertionError, match=r"first differ at index \(0, 1\): 0\.0 vs 2\.0"):
        assert_equivalent(lambda x: np.zeros((2, 3)), lambda x: np.array([[0.0, 2.0, 0.0], [0, 0, 0]]), None)
    with pytest.raises(AssertionError, match=r"time step 1, batch item 0, unit 1: 0\.0 vs 1\.0"):
        assert_equivalent(lambda x: np.zeros((2, 1, 2)), lambda x: np.array([[[0.0, 0]], [[0, 1]]]), None)
    assert assert_equivalent(lambda x: np.ones((2, 1, 3)), lambda x: np.ones((2, 1, 3)), None, atol=0) == 0.0
