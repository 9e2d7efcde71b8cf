"""Finite-difference checks of backpropagation through time (float64, central differences).

Every cell × model, masked delayed networks, held (staggered) starts, T = 1,
and gradients with respect to inputs, initial states and final states. The
loss is ``Σ w ⊙ y`` for a fixed random ``w``, so its gradient with respect
to ``y`` is ``w``; central differences with step 1e-6 have truncation error
~1e-12·|f'''| and rounding error ~1e-16/1e-6, hence the tolerance 1e-7.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from numerics import BidirectionalRNN, DelayedRNN, LayerParams, StackedRNN
from numerics.models import delayed_gru
from theory.layout import relaxed_plan

EPS = 1e-6
TOL = 1e-7
CELLS = ("elman", "lstm", "gru")


def _with_param(net: Any, key: str, value: np.ndarray) -> Any:
    sd = dict(net.state_dict())
    sd[key] = value
    if isinstance(net, DelayedRNN):
        p = LayerParams(sd["weight_ih_l0"], sd["weight_hh_l0"], sd.get("bias_ih_l0"), sd.get("bias_hh_l0"))
        return replace(net, params=p, masked=False)
    acts = list(net.activations) if net.cell == "elman" else None
    return type(net).from_state_dict(sd, net.cell, acts)


def _loss(net: Any, x: np.ndarray, h0: Any, w: np.ndarray) -> float:
    return float(np.sum(net.forward(x, h0)[0] * w))


def _numeric(f: Any, a: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Central differences of ``f(a')`` over every entry of ``a`` (entries outside ``mask`` left 0)."""
    g = np.zeros_like(a)
    for idx in np.ndindex(*a.shape):
        if mask is not None and not mask[idx]:
            continue
        ap, am = a.copy(), a.copy()
        ap[idx] += EPS
        am[idx] -= EPS
        g[idx] = (f(ap) - f(am)) / (2 * EPS)
    return g


def _flat_states(h0: Any) -> list[np.ndarray]:
    if isinstance(h0, tuple):
        return [a for part in h0 for a in _flat_states(part)]
    if isinstance(h0, list):
        return list(h0)
    return [h0]


def _rebuild_states(h0: Any, arrays: list[np.ndarray]) -> Any:
    it = iter(arrays)

    def go(v: Any) -> Any:
        if isinstance(v, tuple):
            return tuple(go(p) for p in v)
        if isinstance(v, list):
            return [go(p) for p in v]
        return next(it)

    return go(h0)


def gradcheck(net: Any, x: np.ndarray, h0: Any = None, seed: int = 0) -> None:
    """Compare ``net.backward`` with central differences for every parameter, input and initial state."""
    rng = np.random.default_rng(seed)
    y, cache = net.forward(x, h0)
    w = rng.standard_normal(y.shape)
    dx, grads, dh0 = net.backward(cache, w, return_state_grads=True)
    assert type(grads) is type(net)
    gsd = grads.state_dict()
    assert gsd.keys() == net.state_dict().keys()
    masks = {}
    if isinstance(net, DelayedRNN) and net.masked:
        masks = {"weight_ih_l0": net.plan.weight_ih_mask(), "weight_hh_l0": net.plan.weight_hh_mask()}
    for key, a in net.state_dict().items():
        m = masks.get(key)
        num = _numeric(lambda v, k=key: _loss(_with_param(net, k, v), x, h0, w), a, m)
        assert gsd[key].shape == a.shape and gsd[key].dtype == a.dtype
        np.testing.assert_allclose(gsd[key], num, rtol=TOL, atol=TOL, err_msg=key)
        if m is not None:
            assert np.all(gsd[key][~m] == 0), f"{key}: masked gradient must be exactly zero outside the pattern"
    np.testing.assert_allclose(dx, _numeric(lambda v: _loss(net, v, h0, w), x), rtol=TOL, atol=TOL, err_msg="dx")
    if h0 is not None:
        states = _flat_states(h0)
        for i, (s, g) in enumerate(zip(states, _flat_states(dh0))):
            def f(v: np.ndarray, i: int = i) -> float:
                new = list(states)
                new[i] = v
                return _loss(net, x, _rebuild_states(h0, new), w)

            np.testing.assert_allclose(g, _numeric(f, s), rtol=TOL, atol=TOL, err_msg=f"initial state {i}")


def _states(net: Any, batch: int, rng: np.random.Generator, sizes: list[int]) -> Any:
    hs = [rng.standard_normal((batch, n)) for n in sizes]
    if net.cell == "lstm":
        return hs, [rng.standard_normal((batch, n)) for n in sizes]
    return hs


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("T", [1, 4])
def test_stacked(cell: str, T: int) -> None:
    rng = np.random.default_rng(1)
    net = StackedRNN.random(2, [3, 2], cell=cell, activations="tanh" if cell == "elman" else None, seed=3)
    x = rng.standard_normal((T, 2, 2))
    gradcheck(net, x, _states(net, 2, rng, [3, 2]))


@pytest.mark.parametrize("activation", ["relu", "identity", "sigmoid"])
def test_stacked_elman_activations_without_bias(activation: str) -> None:
    rng = np.random.default_rng(2)
    net = StackedRNN.random(2, [3, 2], activations=[activation, "tanh"], bias=False, seed=4)
    gradcheck(net, rng.standard_normal((3, 2, 2)))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("T", [1, 3])
def test_bidirectional(cell: str, T: int) -> None:
    rng = np.random.default_rng(5)
    net = BidirectionalRNN.random(2, [2, 2], cell=cell, seed=6)
    x = rng.standard_normal((T, 2, 2))
    gradcheck(net, x, _states(net, 2, rng, [2, 2, 2, 2]))


@pytest.mark.parametrize("cell", ["elman", "lstm"])
@pytest.mark.parametrize("start", ["staggered", "zero"])
@pytest.mark.parametrize("T", [1, 4])
def test_delayed_from_stacked_masked(cell: str, start: str, T: int) -> None:
    # Masked, with the staggered start's held units: gradients pass through held steps.
    rng = np.random.default_rng(7)
    net = StackedRNN.random(2, [2, 3, 2], cell=cell, seed=8).to_delayed(start)
    assert net.masked
    h0 = rng.standard_normal((2, net.hidden_size))
    if cell == "lstm":
        h0 = (h0, rng.standard_normal((2, net.hidden_size)))
    gradcheck(net, rng.standard_normal((T, 2, 2)), h0)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("masked", [True, False])
def test_delayed_relaxed(cell: str, masked: bool) -> None:
    # Acausal relaxed pattern, mixed activations, read-out of two blocks in swapped order, holds.
    rm = np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1]], bool)
    plan = relaxed_plan(cell, 2, [2, 1, 2], rm, np.array([1, 0, 1], bool), delay=2, readout=[2, 0],
                        activations=["tanh", "relu", "sigmoid"] if cell == "elman" else None)
    plan = replace(plan, blocks=tuple(replace(b, hold=h) for b, h in zip(plan.blocks, (0, 1, 2))))
    net = DelayedRNN.random(plan, masked=masked, seed=9, scale=0.8)
    gradcheck(net, np.random.default_rng(10).standard_normal((3, 2, 2)))


@pytest.mark.parametrize("start", ["staggered", "zero"])
@pytest.mark.parametrize("T", [1, 4])
def test_own_reset_gru_from_stacked(start: str, T: int) -> None:
    # The own-reset cell's own backward pass (W_hn split inside/outside the reset gate), with holds.
    rng = np.random.default_rng(13)
    net = delayed_gru(StackedRNN.random(2, [2, 3, 2], cell="gru", seed=14), "own", start)
    assert net.plan.gru_reset == "own" and net.masked
    gradcheck(net, rng.standard_normal((T, 2, 2)), rng.standard_normal((2, net.hidden_size)))


@pytest.mark.parametrize("masked", [True, False])
def test_own_reset_gru_relaxed(masked: bool) -> None:
    # Cross-block edges both ways and a block that does not read itself: D and C both non-trivial.
    rm = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1]], bool)
    plan = relaxed_plan("gru", 2, [2, 1, 2], rm, np.array([1, 0, 1], bool), delay=1, readout=[2, 0])
    plan = replace(plan, gru_reset="own", blocks=tuple(replace(b, hold=h) for b, h in zip(plan.blocks, (0, 1, 2))))
    net = DelayedRNN.random(plan, masked=masked, seed=15, scale=0.8)
    gradcheck(net, np.random.default_rng(16).standard_normal((3, 2, 2)))


def test_delayed_without_bias_T1() -> None:
    net = StackedRNN.random(3, [2, 2], bias=False, seed=11).to_delayed()
    gradcheck(net, np.random.default_rng(12).standard_normal((1, 1, 3)))


@pytest.mark.parametrize("cell", CELLS)
def test_final_state_gradient(cell: str) -> None:
    # Loss Σ v ⊙ h_T on the final states only: dh_final seeds backward, dy = 0.
    rng = np.random.default_rng(13)
    net = StackedRNN.random(2, [3, 2], cell=cell, seed=14)
    x = rng.standard_normal((4, 2, 2))
    v = [rng.standard_normal((2, 3)), rng.standard_normal((2, 2))]
    vc = [rng.standard_normal((2, 3)), rng.standard_normal((2, 2))]

    def loss(xx: np.ndarray) -> float:
        _, c = net.forward(xx)
        out = sum(float(np.sum(vl * lc.h[-1])) for vl, lc in zip(v, c.layers))
        if cell == "lstm":
            out += sum(float(np.sum(vl * lc.c[-1])) for vl, lc in zip(vc, c.layers))
        return out

    _, cache = net.forward(x)
    dx, _ = net.backward(cache, np.zeros((4, 2, 2)), dh_final=(v, vc) if cell == "lstm" else v)
    np.testing.assert_allclose(dx, _numeric(loss, x), rtol=TOL, atol=TOL)


def test_float32_backward_keeps_dtype() -> None:
    net = StackedRNN.random(2, [3, 2], cell="lstm", dtype=np.float32, seed=15)
    x = np.random.default_rng(16).standard_normal((5, 2, 2)).astype(np.float32)
    y, cache = net.forward(x)
    dx, g = net.backward(cache, np.ones_like(y))
    assert dx.dtype == np.float32
    assert all(a.dtype == np.float32 for a in g.state_dict().values())
    dx64, _ = net.astype(np.float64).backward(net.astype(np.float64).forward(x)[1], np.ones(y.shape))
    # float32 gradients of a 5-step, width-3 network: relative error ~1e-6.
    np.testing.assert_allclose(dx, dx64, rtol=1e-4, atol=1e-5)


def test_empty_sequence() -> None:
    net = StackedRNN.random(2, [3], seed=0)
    y, cache = net.forward(np.zeros((0, 2, 2)))
    dx, g, dh0 = net.backward(cache, y, return_state_grads=True)
    assert dx.shape == (0, 2, 2)
    assert all(np.all(a == 0) for a in g.state_dict().values())
    assert np.all(dh0[0] == 0)


@pytest.mark.parametrize("bad,err", [(np.zeros((4, 2, 3)), ValueError), ("nope", TypeError)])
def test_bad_dy(bad: Any, err: type) -> None:
    net = StackedRNN.random(2, [3, 2], seed=0)
    _, cache = net.forward(np.zeros((4, 2, 2)))
    with pytest.raises(err, match="dy"):
        net.backward(cache, bad)


def test_bad_cache() -> None:
    net = StackedRNN.random(2, [3, 2], seed=0)
    d = net.to_delayed()
    _, cache = d.forward(np.zeros((4, 2, 2)))
    with pytest.raises(TypeError, match="cache"):
        net.backward(cache, np.zeros((4, 2, 2)))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_saturated_gates_are_finite(cell: str, dtype: type) -> None:
    # Pre-activations of order ±1e4: sigmoid/tanh saturate exactly, no overflow warning
    # (the test configuration turns RuntimeWarnings into errors), gradients stay finite.
    net = StackedRNN.random(2, [3, 2], cell=cell, dtype=dtype, seed=0, scale=1e4)
    x = np.random.default_rng(0).standard_normal((4, 2, 2)).astype(dtype)
    y, cache = net.forward(x)
    dx, g = net.backward(cache, np.ones_like(y))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))
    assert all(np.all(np.isfinite(a)) for a in g.state_dict().values())
