"""The wavefront's own backward pass and its reused scratch arrays; the training/inference engine choice."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import DelayedRNN, StackedRNN
from numerics.engine import _workspace as workspace
from numerics.engine.cost import schedule_costs
from numerics.engine.select import MARGIN, cheapest
from numerics.engine.wavefront import WaveCache, has_stacked_structure
from numerics.models import delayed_gru
from numerics.testing import assert_gradients_match
from theory.layout import relaxed_plan

TOL = {np.float64: (1e-9, 1e-11), np.float32: (2e-4, 2e-5)}


@st.composite
def stacked_plans(draw: st.DrawFn) -> DelayedRNN:
    """A masked delayed network on a random sub-pattern of the stacked structure, with holds."""
    cell = draw(st.sampled_from(["elman", "lstm", "gru"]))
    L = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 4), min_size=L, max_size=L))
    rm = np.zeros((L, L), bool)
    for l in range(L):
        rm[l, l] = draw(st.booleans())
        if l:
            rm[l, l - 1] = draw(st.booleans())
    im = np.zeros(L, bool)
    im[0] = draw(st.booleans())
    acts = [draw(st.sampled_from(["tanh", "relu", "sigmoid", "identity"])) for _ in range(L)] if cell == "elman" \
        else None
    readout = sorted(draw(st.sets(st.integers(0, L - 1), min_size=1)))
    plan = relaxed_plan(cell, 2, widths, rm, im, delay=draw(st.integers(0, 3)), readout=readout, activations=acts,
                        bias=draw(st.booleans()))
    holds = [draw(st.integers(0, 3)) for _ in range(L)]
    plan = replace(plan, blocks=tuple(replace(b, hold=h) for b, h in zip(plan.blocks, holds)))
    if cell == "gru":
        plan = replace(plan, gru_reset=draw(st.sampled_from(["full", "own"])))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    return DelayedRNN.random(plan, seed=draw(st.integers(0, 1000)), dtype=dtype, scale=1.0)


@settings(max_examples=60, deadline=None)
@given(d=stacked_plans(), T=st.integers(0, 6), B=st.integers(1, 3), with_h0=st.booleans(), final=st.booleans(),
       seed=st.integers(0, 1000))
def test_wavefront_backward_equals_dense(d: DelayedRNN, T: int, B: int, with_h0: bool, final: bool,
                                         seed: int) -> None:
    # Every cell (both GRU resets), sub-patterns, holds, unequal widths, T = 0, B = 1, both dtypes,
    # initial and final states: the wavefront's own backward pass equals the dense engine's, masked.
    assert has_stacked_structure(d.plan)
    rtol, atol = TOL[d.dtype.type]
    rng = np.random.default_rng(seed)
    N, lstm = d.hidden_size, d.cell == "lstm"
    x = rng.standard_normal((T, B, 2)).astype(d.dtype)
    h0 = None
    if with_h0:
        h = rng.standard_normal((B, N)).astype(d.dtype)
        h0 = (h, rng.standard_normal((B, N)).astype(d.dtype)) if lstm else h
    dy = rng.standard_normal((T, B, d.output_size)).astype(d.dtype)
    fin = None
    if final:
        f = rng.standard_normal((B, N)).astype(d.dtype)
        fin = (f, rng.standard_normal((B, N)).astype(d.dtype)) if lstm else f
    ya, ca = d.forward(x, h0, engine="dense")
    yb, cb = d.forward(x, h0, engine="blocked")
    assert isinstance(cb.run, WaveCache) and cb.schedule == "wavefront"
    np.testing.assert_allclose(yb, ya, rtol=rtol, atol=atol)
    np.testing.assert_allclose(d(x, h0, engine="blocked"), ya, rtol=rtol, atol=atol)
    np.testing.assert_allclose(cb.states, ca.states, rtol=rtol, atol=atol)
    ga = d.backward(ca, dy, dh_final=fin, return_state_grads=True)
    gb = d.backward(cb, dy, dh_final=fin, return_state_grads=True)
    np.testing.assert_allclose(gb[0], ga[0], rtol=rtol, atol=atol * 10, err_msg="dx")
    for k, v in ga[1].params.arrays().items():
        np.testing.assert_allclose(getattr(gb[1].params, k), v, rtol=rtol, atol=atol * 10, err_msg=k)
    for a, b in zip(gb[2], ga[2]) if lstm else [(gb[2], ga[2])]:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol * 10, err_msg="dh0")


@pytest.mark.parametrize("cell,reset", [("elman", "full"), ("lstm", "full"), ("gru", "own"), ("gru", "full")])
def test_finite_differences_wavefront(cell: str, reset: str) -> None:
    # Central differences of a scalar loss through the wavefront, unequal widths, holds and a final-state term.
    net = StackedRNN.random(3, [2, 3, 2], cell=cell, seed=5, scale=1.0)
    d = delayed_gru(net, reset) if cell == "gru" else net.to_delayed()
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 2, 3))
    w = rng.standard_normal((4, 2, d.output_size))
    v = rng.standard_normal((2, d.hidden_size))

    def loss(m: DelayedRNN) -> float:
        y, c = m.forward(x, engine="blocked")
        return float((y * w).sum() + (c.layer.h[-1] * v).sum())

    _, cache = d.forward(x, engine="blocked")
    grads = d.backward(cache, w, dh_final=(v, np.zeros_like(v)) if cell == "lstm" else v)[1].params
    masks = {"weight_hh": d.plan.weight_hh_mask(), "weight_ih": d.plan.weight_ih_mask()}
    assert assert_gradients_match(lambda p: loss(replace(d, params=p)), d.params, grads, masks=masks) >= 30


def test_scratch_arrays_are_reused_only_when_free() -> None:
    # Outputs and caches stay valid while later calls run: the pool only hands out unreferenced arrays.
    d = StackedRNN.random(3, [4, 4, 4], cell="lstm", seed=0).to_delayed()
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 2, 3))
    ref1, ref2 = d(x1, engine="dense"), d(x2, engine="dense")
    y1 = d(x1, engine="blocked")
    y1_copy = y1.copy()
    _, c1 = d.forward(x1, engine="blocked")
    y2, c2 = d.forward(x2, engine="blocked")
    np.testing.assert_array_equal(y1, y1_copy)
    np.testing.assert_allclose(y1, ref1, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y2, ref2, rtol=1e-10, atol=1e-12)
    assert not np.shares_memory(c1.run.S, c2.run.S)
    g1 = d.backward(c1, np.ones_like(y1))[1].params
    del y1, c1, y2, c2
    _, c3 = d.forward(x1, engine="blocked")           # may reuse the freed arrays
    g3 = d.backward(c3, np.ones_like(ref1))[1].params
    for k, v in g1.arrays().items():
        np.testing.assert_array_equal(getattr(g3, k), v)


def test_workspace_take() -> None:
    a = workspace.take("test.a", (3, 4), np.float32)
    address = a.ctypes.data
    del a
    b = workspace.take("test.a", (3, 4), np.float32)
    assert b.ctypes.data == address                   # freed: reused
    c = workspace.take("test.a", (2, 2), np.float32, zero=True)
    assert not np.shares_memory(b, c) and np.all(c == 0)
    assert workspace.take("test.a", (0,), np.float32).shape == (0,)
    big = workspace.take("test.big", (workspace.MAX_ARRAY_BYTES // 4 + 1,), np.float32)
    assert ("test.big", np.dtype(np.float32)) not in workspace._pool() and big.size
    assert workspace.pooled_bytes() > 0
    workspace.clear()
    assert workspace.pooled_bytes() == 0


def test_training_and_inference_choose_separately() -> None:
    # Narrow Elman blocks: the dense engine's single product wins the forward pass, the wavefront
    # forward + backward (the dense backward multiplies the whole (N, N) matrix, zeros included).
    d = StackedRNN.random(8, [16] * 6, seed=0).to_delayed()
    assert d.engine(batch=32, steps=200, training=False) == "dense"
    assert d.engine(batch=32, steps=200, training=True) == "wavefront"
    lstm = StackedRNN.random(8, [24] * 5, cell="lstm", seed=0).to_delayed()
    assert lstm.engine(batch=32, steps=100, training=False) == lstm.engine(batch=32, steps=100) == "wavefront"
    one = StackedRNN.random(8, [16], cell="gru", seed=0)
    assert delayed_gru(one, "own").engine(batch=32, steps=50, training=False) == "layers"
    wide = StackedRNN.random(8, [256] * 6, cell="lstm", seed=0).to_delayed().plan
    opts = ("dense", "wavefront", "layers")
    assert cheapest(wide, 64, 200, opts) == cheapest(wide, 64, 200, opts, backward=True) == "layers"
    fwd = schedule_costs(wide, 64, 200, opts)
    both = schedule_costs(wide, 64, 200, opts, backward=True)
    assert all(both[s] > fwd[s] > 0 for s in opts)


def test_unequal_widths_pad_with_zeros() -> None:
    # Padded units stay out of the results even with a sigmoid block (σ(0) = 1/2 in the padding).
    plan = relaxed_plan("elman", 2, [1, 4, 2], np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1]], bool),
                        np.array([1, 0, 0], bool), delay=2, activations=["sigmoid", "tanh", "sigmoid"])
    d = DelayedRNN.random(plan, seed=3)
    x = np.random.default_rng(1).standard_normal((5, 1, 2))
    np.testing.assert_allclose(d(x, engine="blocked"), d(x, engine="dense"), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(d.states(x, engine="blocked"), d.states(x, engine="dense"), rtol=1e-12, atol=1e-14)


def test_auto_keeps_the_layer_order_unless_clearly_faster() -> None:
    # Moderate widths: other schedules are modelled only slightly cheaper (within the model's error),
    # so auto keeps the stacked network's own computation.
    lstm = StackedRNN.random(8, [64] * 3, cell="lstm", seed=0).to_delayed()
    assert lstm.engine(batch=32, steps=100, training=False) == lstm.engine(batch=32, steps=100) == "layers"
    gru = delayed_gru(StackedRNN.random(8, [32] * 4, cell="gru", seed=0), "own")
    assert gru.engine(batch=64, steps=50, training=False) == "layers"
    # Elman L=3 n=64 training: the wavefront is modelled a few percent cheaper, within the margin.
    elman = StackedRNN.random(8, [64] * 3, seed=0).to_delayed()
    opts = ("dense", "wavefront", "sparse", "layers")
    costs = schedule_costs(elman.plan, 32, 100, opts, backward=True)
    assert min(costs, key=lambda s: costs[s]) != "layers"          # the margin, not the ranking, decides
    assert min(costs.values()) >= MARGIN * costs["layers"]
    assert elman.engine(batch=32, steps=100) == "layers"
    # Without the layer order among the options, the cheapest modelled schedule is taken.
    rest = ("dense", "wavefront", "sparse")
    assert cheapest(elman.plan, 32, 100, rest, backward=True) == min(rest, key=lambda s: costs[s])


def test_auto_trains_an_unmasked_network_with_the_dense_engine() -> None:
    # Every weight of an unmasked network trains, and only the dense cache gives all their gradients
    # directly; another engine's forward would have to be converted before the backward pass.
    from numerics.experiments.specs import ModelSpec, build_model

    one = build_model(ModelSpec("delayed", "lstm", 40, 1, 2), 1, seed=2)
    assert not one.masked
    assert one.engine(batch=32, steps=50) == "dense"
    stacked = StackedRNN.random(8, [16] * 3, cell="lstm", seed=0)
    unmasked = DelayedRNN(stacked.to_delayed().plan, stacked.to_delayed().params, masked=False)
    assert unmasked.engine(batch=32, steps=100) == "dense"
    assert unmasked.engine(batch=32, steps=100, training=False) == stacked.to_delayed().engine(
        batch=32, steps=100, training=False)
    x = np.random.default_rng(0).standard_normal((7, 2, 8))
    y, cache = unmasked.forward(x)
    assert cache.schedule == "dense"
    np.testing.assert_allclose(y, stacked(x), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_auto_keeps_stacked_plans_off_the_block_sparse_engine(cell: str) -> None:
    # On a stacked plan the block-sparse engine repeats the layer order or the wavefront with more overhead;
    # on a skip-one-layer plan (outside the stacked structure) it is the engine auto takes.
    for L, n in ((6, 256), (4, 32), (6, 16)):
        net = StackedRNN.random(8, [n] * L, cell=cell, seed=0)
        d = delayed_gru(net, "own") if cell == "gru" else net.to_delayed()
        for training in (False, True):
            assert d.engine(batch=32, steps=100, training=training) not in ("sparse", "blocks")
    idx = np.arange(8)
    below = idx[:, None] - idx[None, :]
    skip = DelayedRNN.random(relaxed_plan(cell, 8, [64] * 8, (below >= 0) & (below <= 2), idx == 0, delay=7), seed=0)
    # 8 blocks of width 64: the block order rather than the block-sparse wavefront (select.prefer_block_order).
    assert skip.engine(batch=32, steps=100) == "blocks"
