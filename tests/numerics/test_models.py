"""Forward passes of the stacked, bidirectional and delayed models: shapes, dtypes, states, stability."""

import warnings

import numpy as np
import pytest

from numerics import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics.engine.activations import ActGroup, activate_
from numerics.engine.params import LayerParams

RNG = np.random.default_rng(0)


def elman_reference(x, layers, act, h0=None):
    """Loop-per-time-step reference written directly from the equations."""
    f = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "identity": lambda z: z,
         "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[act]
    out = x
    for l, p in enumerate(layers):
        h = np.zeros((x.shape[1], p.hidden_size)) if h0 is None else h0[l]
        ys = []
        for t in range(out.shape[0]):
            z = out[t] @ p.weight_ih.T + h @ p.weight_hh.T
            if p.bias_ih is not None:
                z = z + p.bias_ih + p.bias_hh
            h = f(z)
            ys.append(h)
        out = np.stack(ys) if ys else np.zeros((0, x.shape[1], p.hidden_size))
    return out


@pytest.mark.parametrize("act", ["tanh", "relu", "identity", "sigmoid"])
def test_stacked_matches_equations(act):
    net = StackedRNN.random(3, [4, 5, 2], activations=act, seed=1)
    x = RNG.normal(size=(6, 2, 3))
    np.testing.assert_allclose(net(x), elman_reference(x, net.layers, act), rtol=0, atol=1e-14)


def test_shapes_T0_B1_and_float32():
    net = StackedRNN.random(3, [4, 2], seed=0)
    assert net(np.zeros((0, 1, 3))).shape == (0, 1, 2)
    assert net(np.zeros((5, 1, 3))).shape == (5, 1, 2)
    n32 = StackedRNN.random(3, [4, 2], dtype=np.float32, seed=0)
    assert n32(RNG.normal(size=(5, 2, 3))).dtype == np.float32
    d = n32.to_delayed()
    assert d.states(np.zeros((5, 2, 3))).shape == (5 + 1, 2, 6)
    assert d(np.zeros((5, 2, 3))).dtype == np.float32


def test_initial_state_formats_agree():
    net = StackedRNN.random(2, [3, 3], seed=2)
    x = RNG.normal(size=(4, 2, 2))
    h0 = RNG.normal(size=(2, 2, 3))
    y_torch_layout = net(x, h0)
    y_list = net(x, [h0[0], h0[1]])
    np.testing.assert_array_equal(y_torch_layout, y_list)
    np.testing.assert_allclose(y_torch_layout, elman_reference(x, net.layers, "tanh", h0), rtol=0, atol=1e-14)
    v = [RNG.normal(size=3), RNG.normal(size=3)]
    np.testing.assert_array_equal(net(x, v), net(x, [np.tile(v[0], (2, 1)), np.tile(v[1], (2, 1))]))


def test_unequal_widths_need_a_list():
    net = StackedRNN.random(2, [3, 4], seed=0)
    with pytest.raises(ValueError, match="h0"):
        net(np.zeros((2, 1, 2)), np.zeros((2, 1, 3)))


def test_sigmoid_and_gates_are_stable_at_large_arguments():
    z = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = activate_(z.copy(), (ActGroup("sigmoid", 0, z.size),))
        assert np.all(np.isfinite(s)) and s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
        for cell in ["elman", "lstm", "gru"]:
            kw = {"activations": "sigmoid"} if cell == "elman" else {}
            net = StackedRNN.random(2, [3], cell=cell, scale=1e4 / 3, seed=0, **kw)
            y = net(np.full((3, 1, 2), 1.0))
            assert np.all(np.isfinite(y))


def test_bidirectional_is_forward_plus_reversed():
    bi = BidirectionalRNN.random(3, [4, 2], seed=3)
    x = RNG.normal(size=(5, 2, 3))
    y = bi(x)
    assert y.shape == (5, 2, 4)
    # Layer 0 by hand: forward cell on x, backward cell on reversed x, reversed back.
    f0 = StackedRNN("elman", (bi.forward_layers[0],), ("tanh",))
    b0 = StackedRNN("elman", (bi.backward_layers[0],), ("tanh",))
    l0 = np.concatenate([f0(x), b0(x[::-1])[::-1]], axis=-1)
    f1 = StackedRNN("elman", (bi.forward_layers[1],), ("tanh",))
    b1 = StackedRNN("elman", (bi.backward_layers[1],), ("tanh",))
    np.testing.assert_allclose(y, np.concatenate([f1(l0), b1(l0[::-1])[::-1]], axis=-1), atol=1e-15)


def test_delayed_create_reads_out_with_delay():
    N, d = 3, 2
    w_hh = RNG.normal(size=(N, N)) * 0.5
    w_ih = RNG.normal(size=(N, 2))
    net = DelayedRNN.from_weights(w_ih, w_hh, delay=d)
    x = RNG.normal(size=(4, 1, 2))
    s = net.states(x)
    assert s.shape == (4 + d, 1, N)
    np.testing.assert_array_equal(net(x), s[d:])
    # The padded steps see zero input: recompute the last state by hand.
    np.testing.assert_allclose(s[-1], np.tanh(s[-2] @ w_hh.T), atol=1e-15)


def test_delayed_per_block_activations_and_hold():
    w_hh = np.eye(3)
    w_ih = np.ones((3, 1))
    net = DelayedRNN.from_weights(w_ih, w_hh, delay=0, widths=[1, 2], activations=["identity", "relu"], hold=[0, 2],
                            readout=[0, 1])
    s = net.states(-np.ones((3, 1, 1)))
    # Block 0 (identity) accumulates -1 per step; block 1 (relu) is held at 0 for two steps, then relu(<0) = 0.
    np.testing.assert_array_equal(s[:, 0, 0], [-1, -2, -3])
    np.testing.assert_array_equal(s[:, 0, 1:], np.zeros((3, 2)))
    h0 = [np.array([5.0]), np.array([7.0, 8.0])]
    s = net.states(np.zeros((3, 1, 1)), h0)
    np.testing.assert_array_equal(s[:, 0, 1], [7, 7, 7])  # held twice, then relu(7) = 7


def test_random_is_reproducible():
    a = StackedRNN.random(2, [3, 4], seed=5).state_dict()
    b = StackedRNN.random(2, [3, 4], seed=5).state_dict()
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_layer_params_shapes_checked():
    p = LayerParams(np.zeros((3, 2)), np.zeros((3, 3)), np.zeros(3), np.zeros(3))
    q = LayerParams(np.zeros((4, 3)), np.zeros((4, 5)), np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match=r"layer 1: weight_ih must have shape \(5, 3\)"):
        StackedRNN("elman", (p, q), ("tanh", "tanh"))


def test_every_model_forward_returns_outputs_aligned_with_the_input() -> None:
    # One forward convention: (T, B, output_size) for stacked, bidirectional and delayed networks;
    # the delayed network's raw (T + d, B, N) states come from states() or the cache.
    net = StackedRNN.random(3, [4, 2], seed=0)
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    d = net.to_delayed()
    y, cache = d.forward(x)
    assert y.shape == (5, 2, 2)
    np.testing.assert_array_equal(cache.states, d.states(x))
    assert cache.states.shape == (5 + 1, 2, 6)
    np.testing.assert_array_equal(d.readout(cache.states), y)
    dx, grads = d.backward(cache, np.ones_like(y))
    assert dx.shape == x.shape and isinstance(grads, DelayedRNN)
    with pytest.raises(ValueError, match="dy must have shape"):
        d.backward(cache, np.ones_like(cache.states))
