"""``input_jacobian``: one batched backward pass equals the Jacobian, with the expected receptive fields."""

from __future__ import annotations

import numpy as np
import pytest

from numerics import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics.models.jacobian import input_jacobian
from theory.layout import relaxed_plan


def _fd_jacobian(net: object, x: np.ndarray, h0: object = None, eps: float = 1e-6) -> np.ndarray:
    T, n_in = x.shape
    y0 = net.forward(x[:, None], h0)[0]
    J = np.zeros((T, y0.shape[2], T, n_in))
    for s in range(T):
        for i in range(n_in):
            xp, xm = x.copy(), x.copy()
            xp[s, i] += eps
            xm[s, i] -= eps
            yp = net.forward(xp[:, None], h0)[0][:, 0]
            ym = net.forward(xm[:, None], h0)[0][:, 0]
            J[:, :, s, i] = (yp - ym) / (2 * eps)
    return J


NETS = {
    "stacked-lstm": lambda: StackedRNN.random(2, [3, 2], cell="lstm", seed=0),
    "bidirectional-gru": lambda: BidirectionalRNN.random(2, [2], cell="gru", seed=1),
    "delayed-elman": lambda: StackedRNN.random(2, [3, 2, 2], seed=2).to_delayed(),
    "dense-delayed-gru": lambda: DelayedRNN.random(
        relaxed_plan("gru", 2, [2, 2], np.ones((2, 2), bool), np.ones(2, bool), delay=2), masked=False, seed=3),
}


@pytest.mark.parametrize("name", sorted(NETS))
def test_matches_finite_differences(name: str) -> None:
    net = NETS[name]()
    x = np.random.default_rng(4).standard_normal((5, 2))
    J = input_jacobian(net, x)
    assert J.shape == (5, net.output_size, 5, 2)
    # Central differences in float64: error ~1e-9.
    np.testing.assert_allclose(J, _fd_jacobian(net, x), rtol=1e-6, atol=1e-8)


def test_initial_state_and_batch_axis_input() -> None:
    net = StackedRNN.random(2, [3, 3], seed=5)
    x = np.random.default_rng(6).standard_normal((4, 1, 2))
    h0 = np.random.default_rng(7).standard_normal((2, 1, 3))
    np.testing.assert_allclose(input_jacobian(net, x, h0), _fd_jacobian(net, x[:, 0], h0), rtol=1e-6, atol=1e-8)


def test_receptive_fields() -> None:
    # Structural zeros are exact zeros; generic weights make the rest non-zero.
    x = np.random.default_rng(8).standard_normal((6, 2))
    block = lambda J: np.abs(J).max(axis=(1, 3)) > 0  # noqa: E731  (t, s) dependence
    t, s = np.indices((6, 6))
    assert np.array_equal(block(input_jacobian(StackedRNN.random(2, [3, 3], seed=9), x)), s <= t)
    assert np.array_equal(block(input_jacobian(BidirectionalRNN.random(2, [3], seed=9), x)), np.ones((6, 6), bool))
    dense = DelayedRNN.random(relaxed_plan("elman", 2, [3, 3], np.ones((2, 2), bool), np.ones(2, bool), delay=2),
                              masked=False, seed=9)
    assert np.array_equal(block(input_jacobian(dense, x)), s <= t + 2)
    # The staggered d-RNN of a stacked network is causal despite its delay.
    stag = StackedRNN.random(2, [3, 3, 3], seed=10).to_delayed()
    assert np.array_equal(block(input_jacobian(stag, x)), s <= t)


def test_float32_and_bad_input() -> None:
    net = StackedRNN.random(2, [3], dtype=np.float32, seed=0)
    assert input_jacobian(net, np.ones((3, 2), np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="x must be one sequence"):
        input_jacobian(net, np.ones((3, 2, 2)))
    with pytest.raises(ValueError, match="h0 must describe one sequence"):
        input_jacobian(net, np.ones((3, 2)), np.zeros((1, 2, 3)))
