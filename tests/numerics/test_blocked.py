"""The block-batched delayed engine equals the dense one, and ``engine="auto"`` chooses sensibly."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings

from numerics import DelayedRNN, StackedRNN
from numerics.engine.select import prefer_wavefront
from numerics.engine.wavefront import has_stacked_structure
from numerics.models import delayed_gru
from numerics.testing import EquivalenceCase, stacked_cases
from theory.layout import relaxed_plan

FIELDS = ("h", "c", "gates", "tanh_c", "hn")


def _compare(d: DelayedRNN, x: np.ndarray, h0: object, rtol: float, atol: float) -> None:
    a, ca = d.forward(x, h0, engine="dense")
    b, cb = d.forward(x, h0, engine="blocked")
    # Same products, different summation order (zero blocks skipped): rounding-level differences.
    np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)
    for f in FIELDS:
        va, vb = getattr(ca.layer, f), getattr(cb.layer, f)
        assert (va is None) == (vb is None)
        if va is not None:
            np.testing.assert_allclose(vb, va, rtol=rtol, atol=atol, err_msg=f)
    w = np.random.default_rng(0).standard_normal((x.shape[0], x.shape[1], d.output_size)).astype(d.dtype)
    ga, gb = d.backward(ca, w)[1].params, d.backward(cb, w)[1].params
    for k, v in ga.arrays().items():
        np.testing.assert_allclose(getattr(gb, k), v, rtol=rtol, atol=atol * 10, err_msg=k)


@settings(max_examples=40, deadline=None)
@given(case=stacked_cases(cells=("elman", "lstm"), layers=(1, 5), widths=(1, 6), steps=(0, 10)))
def test_blocked_equals_dense_for_stacked_constructions(case: EquivalenceCase) -> None:
    for start in ("staggered", "zero"):
        d = case.net.to_delayed(start)
        h0 = None
        if case.h0 is not None:
            h0 = (case.h0[0], case.h0[1]) if case.net.cell == "lstm" else case.h0
        _compare(d, case.x, h0, 1e-9, 1e-12)


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_blocked_equals_dense_relaxed_subpattern(cell: str) -> None:
    # A sub-pattern of the stacked one (block 1 does not read itself), holds, sigmoid/relu mix.
    rm = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 1]], bool)
    plan = relaxed_plan(cell, 3, [3, 2, 4], rm, np.array([1, 0, 0], bool), delay=2,
                        activations=["sigmoid", "relu", "tanh"] if cell == "elman" else None)
    plan = replace(plan, blocks=tuple(replace(b, hold=h) for b, h in zip(plan.blocks, (0, 1, 2))))
    d = DelayedRNN.random(plan, seed=1)
    assert has_stacked_structure(plan)
    _compare(d, np.random.default_rng(2).standard_normal((6, 3, 3)), None, 1e-9, 1e-12)


@pytest.mark.parametrize("start", ["staggered", "zero"])
def test_blocked_equals_dense_own_reset_gru(start: str) -> None:
    # The own-reset cell in the blocked engine: the reading of block l-1 moves outside the reset gate.
    net = StackedRNN.random(3, [3, 2, 4], cell="gru", seed=5, scale=1.0)
    d = delayed_gru(net, "own", start)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((6, 2, 3))
    _compare(d, x, rng.standard_normal((2, d.hidden_size)), 1e-9, 1e-12)
    if start == "staggered":
        h0 = [rng.standard_normal((2, n)) for n in net.hidden_sizes]
        np.testing.assert_allclose(d.forward(x, h0, engine="blocked")[0], net(x, h0), rtol=1e-9, atol=1e-12)


def test_float32() -> None:
    d = StackedRNN.random(4, [16, 16, 16], cell="lstm", dtype=np.float32, seed=3).to_delayed()
    _compare(d, np.random.default_rng(4).standard_normal((9, 2, 4)).astype(np.float32), None, 1e-4, 1e-5)
    assert d.forward(np.zeros((2, 1, 4), np.float32), engine="blocked")[0].dtype == np.float32


def test_engine_choice() -> None:
    equal = StackedRNN.random(2, [16] * 6, seed=0).to_delayed()
    # Narrow blocks: per-step overhead dominates, so a T + d step schedule wins.
    assert prefer_wavefront(equal.plan) and equal.engine(batch=32, steps=100) == "wavefront"
    wide = StackedRNN.random(2, [256, 256, 256], seed=0).to_delayed()
    assert wide.engine(batch=32, steps=100) == "layers"
    # Very unequal widths: padding to the widest block costs more than the dense product.
    skewed = StackedRNN.random(2, [64, 1, 1], seed=0).to_delayed()
    assert skewed.engine() != "wavefront" and skewed.engine(training=False) != "wavefront"
    assert skewed.engine("blocked") == skewed.engine("wavefront") == "wavefront"    # the old name is an alias
    dense_plan = relaxed_plan("elman", 2, [3, 3], np.ones((2, 2), bool), np.ones(2, bool), delay=1)
    d = DelayedRNN.random(dense_plan, seed=0)
    assert not has_stacked_structure(dense_plan) and d.engine() == "dense"
    with pytest.raises(ValueError, match="engine='blocked'"):
        d.forward(np.zeros((2, 1, 2)), engine="blocked")
    with pytest.raises(ValueError, match="engine must be one of"):
        equal.forward(np.zeros((2, 1, 2)), engine="fast")


def test_unmasked_with_stray_weight_is_not_blocked() -> None:
    d = StackedRNN.random(2, [3, 3, 3], seed=0).to_delayed()
    w = d.params.weight_hh.copy()
    w[0, 8] = 0.5  # block 0 reads block 2: outside the stacked structure
    loose = replace(d, params=replace(d.params, weight_hh=w), masked=False)
    assert loose.engine() == "dense"
    with pytest.raises(ValueError, match="engine='blocked' needs zero weights outside the plan's blocks"):
        loose.forward(np.zeros((1, 1, 2)), engine="blocked")
