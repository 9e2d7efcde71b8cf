"""The layer-order schedule equals the dense reference: outputs, final states, caches and gradients."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import DelayedRNN, StackedRNN
from numerics.engine.cost import schedule_costs
from numerics.engine.layer import layer_backward, layer_forward
from numerics.engine.layerorder import (
    dense_cache,
    layer_order_backward,
    layer_order_forward,
    supports_layer_order,
)
from numerics.engine.select import cheapest
from numerics.engine.units import reset_mask, unit_groups, unit_holds
from numerics.models import delayed_gru
from numerics.testing import assert_gradients_match
from theory.layout import relaxed_plan

TOL = {np.float64: (1e-9, 1e-11), np.float32: (2e-4, 2e-5)}
FIELDS = ("h", "c", "gates", "tanh_c", "hn")


def _delayed(cell: str, widths: list[int], start: str, dtype: type, seed: int) -> DelayedRNN:
    net = StackedRNN.random(3, widths, cell=cell, seed=seed, scale=1.0, dtype=dtype,
                            activations=["tanh", "relu", "sigmoid", "identity"][: len(widths)] if cell == "elman"
                            else None)
    return delayed_gru(net, "own", start) if cell == "gru" else net.to_delayed(start)


@settings(max_examples=40, deadline=None)
@given(cell=st.sampled_from(["elman", "lstm", "gru"]),
       widths=st.lists(st.integers(1, 5), min_size=1, max_size=4),
       start=st.sampled_from(["staggered", "zero"]),
       T=st.integers(0, 6), B=st.integers(1, 3),
       dtype=st.sampled_from([np.float64, np.float32]),
       seed=st.integers(0, 1000))
def test_layer_order_equals_dense(cell: str, widths: list[int], start: str, T: int, B: int, dtype: type,
                                  seed: int) -> None:
    d = _delayed(cell, widths, start, dtype, seed)
    assert supports_layer_order(d.plan)
    rtol, atol = TOL[dtype]
    rng = np.random.default_rng(seed)
    N, Tp = d.hidden_size, T + d.delay
    x = rng.standard_normal((Tp, B, 3)).astype(dtype)
    h0 = rng.standard_normal((B, N)).astype(dtype)
    c0 = rng.standard_normal((B, N)).astype(dtype) if cell == "lstm" else None
    sa, ca = layer_forward(cell, d.params, x, h0, c0, activations=unit_groups(d.plan), hold=unit_holds(d.plan),
                           reset_mask=reset_mask(d.plan))
    sb, bc = layer_order_forward(d.plan, d.params, x, h0, c0)
    sc, none = layer_order_forward(d.plan, d.params, x, h0, c0, keep_cache=False)
    assert none is None
    np.testing.assert_allclose(sb, sa, rtol=rtol, atol=atol)
    np.testing.assert_allclose(sc, sa, rtol=rtol, atol=atol)
    cb = dense_cache(bc)
    held = unit_holds(d.plan)
    for f in FIELDS:
        va, vb = getattr(ca, f), getattr(cb, f)
        assert (va is None) == (vb is None), f
        if va is None:
            continue
        if f in ("gates", "tanh_c", "hn") and held is not None:
            # The dense engine computes and discards a held block's gates; the layer order skips them.
            G = va.shape[-1] // N
            for t in range(Tp):
                live = np.tile(held <= t, G) if f == "gates" else held <= t
                np.testing.assert_allclose(vb[t][:, live], va[t][:, live], rtol=rtol, atol=atol, err_msg=f)
        else:
            np.testing.assert_allclose(vb, va, rtol=rtol, atol=atol, err_msg=f)
    ds = rng.standard_normal(sa.shape).astype(dtype)
    fh = rng.standard_normal((B, N)).astype(dtype)
    fc = rng.standard_normal((B, N)).astype(dtype) if cell == "lstm" else None
    ref = layer_backward(ca, ds, fh, fc)
    got = layer_order_backward(bc, ds, fh, fc)
    via_dense = layer_backward(cb, ds, fh, fc)
    masks = {"weight_ih": d.plan.weight_ih_mask(), "weight_hh": d.plan.weight_hh_mask()}
    for k, v in ref[1].arrays().items():
        m = masks.get(k, True)
        np.testing.assert_allclose(getattr(got[1], k), v * m, rtol=rtol, atol=atol * 10, err_msg=k)
        np.testing.assert_allclose(getattr(via_dense[1], k), v, rtol=rtol, atol=atol * 10, err_msg=k)
    for i, name in ((0, "dx"), (2, "dh0"), (3, "dc0")):
        if ref[i] is None:
            assert got[i] is None
        else:
            np.testing.assert_allclose(got[i], ref[i], rtol=rtol, atol=atol * 10, err_msg=name)


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_model_engines_agree(cell: str) -> None:
    # Through the model: outputs, final states, inference path and all gradients for every engine.
    d = _delayed(cell, [3, 2, 4], "staggered", np.float64, 7)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 2, 3))
    dy = rng.standard_normal((5, 2, d.output_size))
    ya, ca = d.forward(x, engine="dense")
    ga = d.backward(ca, dy, return_state_grads=True)
    for engine in ("blocked", "layers"):
        y, c = d.forward(x, engine=engine)
        np.testing.assert_allclose(y, ya, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(d(x, engine=engine), ya, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(c.states, ca.states, rtol=1e-10, atol=1e-12)
        g = d.backward(c, dy, return_state_grads=True)
        np.testing.assert_allclose(g[0], ga[0], rtol=1e-9, atol=1e-11)
        for k, v in ga[1].params.arrays().items():
            np.testing.assert_allclose(getattr(g[1].params, k), v, rtol=1e-9, atol=1e-11, err_msg=k)
        pairs = zip(g[2], ga[2]) if cell == "lstm" else [(g[2], ga[2])]
        for a, b in pairs:
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


def test_finite_differences_layer_order() -> None:
    # Central differences of a scalar loss through the layer-order engine, LSTM with holds and a final state.
    d = _delayed("lstm", [2, 3], "staggered", np.float64, 3)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 2, 3))
    w = rng.standard_normal((4, 2, d.output_size))

    def loss(net: DelayedRNN) -> float:
        return float((net.forward(x, engine="layers")[0] * w).sum())

    _, cache = d.forward(x, engine="layers")
    assert cache.schedule == "layers"
    grads = d.backward(cache, w)[1].params
    masks = {"weight_hh": d.plan.weight_hh_mask(), "weight_ih": d.plan.weight_ih_mask()}
    assert assert_gradients_match(lambda p: loss(replace(d, params=p)), d.params, grads, masks=masks,
                                  samples=12) >= 40


def test_unmasked_network_gets_dense_gradient() -> None:
    # An unmasked network's gradient has entries outside the pattern: the backward falls back to the dense pass.
    d = replace(_delayed("elman", [2, 2, 2], "staggered", np.float64, 1), masked=False)
    x = np.random.default_rng(0).standard_normal((3, 1, 3))
    dy = np.ones((3, 1, d.output_size))
    ga = d.backward(d.forward(x, engine="dense")[1], dy)[1].params
    gb = d.backward(d.forward(x, engine="layers")[1], dy)[1].params
    assert np.any(ga.weight_hh[~d.plan.weight_hh_mask()] != 0)
    np.testing.assert_allclose(gb.weight_hh, ga.weight_hh, rtol=1e-10, atol=1e-12)


def test_support_and_errors() -> None:
    full_gru = StackedRNN.random(2, [3, 3], cell="gru", seed=0)
    assert supports_layer_order(delayed_gru(full_gru, "own").plan)
    plan = relaxed_plan("elman", 2, [3, 3], np.ones((2, 2), bool), np.ones(2, bool), delay=1)
    d = DelayedRNN.random(plan, seed=0)
    assert not supports_layer_order(plan) and d.engine() == "dense"
    with pytest.raises(ValueError, match="engine='layers'"):
        d.forward(np.zeros((2, 1, 2)), engine="layers")


def test_cost_model_orders_schedules() -> None:
    narrow = StackedRNN.random(2, [16] * 5, seed=0).to_delayed().plan
    wide = StackedRNN.random(2, [256] * 5, seed=0).to_delayed().plan
    options = ("dense", "wavefront", "layers")
    assert cheapest(narrow, 32, 100, options) != "layers"
    assert cheapest(wide, 32, 100, options) == "layers"
    costs = schedule_costs(wide, 32, 100, options)
    assert costs["dense"] > costs["wavefront"] > costs["layers"]
    with pytest.raises(ValueError, match=r"schedules\[0\] must be one of"):
        schedule_costs(wide, 1, 1, ("fast",))


@settings(max_examples=40, deadline=None)
@given(cell=st.sampled_from(["elman", "lstm", "gru"]),
       widths=st.lists(st.integers(1, 4), min_size=1, max_size=4),
       data=st.data(),
       T=st.integers(0, 5), B=st.integers(1, 3), delay=st.integers(0, 4),
       final=st.booleans(), seed=st.integers(0, 1000))
def test_skipped_tail_steps_match_dense(cell: str, widths: list[int], data: st.DataObject, T: int, B: int,
                                        delay: int, final: bool, seed: int) -> None:
    # The model's layer-order pass stops each block at the last step the read-out needs; outputs,
    # states (recomputed on demand) and gradients (with and without a final-state gradient) equal dense.
    L = len(widths)
    readout = data.draw(st.lists(st.integers(0, L - 1), min_size=1, max_size=L, unique=True).map(sorted))
    hold = data.draw(st.lists(st.integers(0, 3), min_size=L, max_size=L))
    rm = np.eye(L, dtype=bool) | np.eye(L, k=-1, dtype=bool)
    im = np.arange(L) == 0
    plan = relaxed_plan(cell, 2, widths, rm, im, delay=delay, readout=readout)
    plan = replace(plan, blocks=tuple(replace(b, hold=h) for b, h in zip(plan.blocks, hold)),
                   gru_reset="own" if cell == "gru" else plan.gru_reset)
    d = DelayedRNN.random(plan, seed=seed, scale=1.0)
    assert d.engine("layers") == "layers"
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, 2))
    dy = rng.standard_normal((T, B, d.output_size))
    N = d.hidden_size
    fin = None
    if final:
        fin = rng.standard_normal((B, N))
        fin = (fin, rng.standard_normal((B, N))) if cell == "lstm" else fin
    ya, ca = d.forward(x, engine="dense")
    yb, cb = d.forward(x, engine="layers")
    np.testing.assert_allclose(yb, ya, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d(x, engine="layers"), ya, rtol=1e-10, atol=1e-12)
    ga = d.backward(ca, dy, dh_final=fin, return_state_grads=True)
    gb = d.backward(cb, dy, dh_final=fin, return_state_grads=True)
    np.testing.assert_allclose(gb[0], ga[0], rtol=1e-9, atol=1e-11)
    for k, v in ga[1].params.arrays().items():
        np.testing.assert_allclose(getattr(gb[1].params, k), v, rtol=1e-9, atol=1e-11, err_msg=k)
    for a, b in (zip(gb[2], ga[2]) if cell == "lstm" else [(gb[2], ga[2])]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(cb.states, ca.states, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d.states(x, engine="layers"), ca.states, rtol=1e-10, atol=1e-12)


def test_tail_steps_are_skipped() -> None:
    # Only the steps the read-out needs are run: block l stops d - l steps early (staggered start).
    d = StackedRNN.random(2, [3, 3, 3], seed=0).to_delayed()
    _, cache = d.forward(np.zeros((5, 1, 2)), engine="layers")
    assert cache.run.blocks.ranges == ((0, 5), (1, 6), (2, 7)) and not cache.run.blocks.full
    assert cache.run.full_blocks.ranges == ((0, 7), (1, 7), (2, 7))
    with pytest.raises(ValueError, match="full pass"):
        _ = cache.run.blocks.states


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_auto_runs_one_block_as_the_stacked_layer(cell: str) -> None:
    # One block: the layer order is the stacked layer itself, so "auto" takes it over the dense engine.
    net = StackedRNN.random(3, [4], cell=cell, seed=0)
    d = delayed_gru(net, "own") if cell == "gru" else net.to_delayed()
    assert d.engine("auto", batch=32, steps=50) == "layers"
    x = np.random.default_rng(1).standard_normal((6, 2, 3))
    np.testing.assert_allclose(d(x), net(x), rtol=1e-12, atol=1e-14)
