"""Editing arrays between ``forward`` and ``backward`` never changes the gradients silently (issue 22, item 2).

Two ways a user can reach what the backward pass reads: the output ``y`` (a view into the cache's
states) and the input ``x`` (kept by the cache). The outputs of ``forward`` are read-only, so an
in-place edit raises (as PyTorch does for a tensor saved for backward); the input is copied into
the cache whenever the cache would otherwise share the caller's buffer, so refilling that buffer
(a data loader reusing its batch array) changes nothing. Every model and every schedule.
"""

from __future__ import annotations

import numpy as np
import pytest

from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN
from theory.layout import relaxed_plan

STACKED = StackedRNN.random(3, [4, 5], cell="lstm", seed=0)
DELAYED = STACKED.to_delayed()
ELMAN0 = StackedRNN.random(3, [4], cell="elman", seed=1).to_delayed()  # delay 0: x is used unpadded


def _models():
    yield "stacked", STACKED, {}
    yield "bidirectional", BidirectionalRNN.random(3, [4, 3], cell="gru", seed=0), {}
    for net, tag in ((DELAYED, "delayed-lstm"), (ELMAN0, "delayed-d0")):
        for schedule in net.schedules():
            yield f"{tag}-{schedule}", net, {"engine": schedule}
    mask = [[True, True], [True, True]]  # feedback from block 1 to block 0: no stacked structure
    relaxed = DelayedRNN.random(relaxed_plan("elman", 3, [4, 4], mask, [True, False], delay=1), seed=0)
    for schedule in relaxed.schedules():
        yield f"relaxed-{schedule}", relaxed, {"engine": schedule}


MODELS = list(_models())


def _grads(net, x, dy, kw):
    _, cache = net.forward(x, **kw)
    return net.backward(cache, dy)


def _flat(result):
    dx, grads = result[0], result[1]
    return dx, grads.state_dict() if hasattr(grads, "state_dict") else grads.arrays()


@pytest.mark.parametrize("name, net, kw", MODELS, ids=[m[0] for m in MODELS])
def test_editing_the_output_in_place_raises(name, net, kw):
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    y, _ = net.forward(x, **kw)
    with pytest.raises(ValueError, match="read-only"):
        y[0, 0, 0] = 123.0
    with pytest.raises(ValueError, match="read-only"):
        y *= 2
    assert y.copy().flags.writeable  # a copy is the user's to edit


@pytest.mark.parametrize("name, net, kw", MODELS, ids=[m[0] for m in MODELS])
def test_refilling_the_input_buffer_does_not_change_the_gradients(name, net, kw):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 2, 3))
    dy = rng.standard_normal(net.forward(x, **kw)[0].shape)
    dx_ref, g_ref = _flat(_grads(net, x.copy(), dy, kw))
    buffer = x.copy()
    _, cache = net.forward(buffer, **kw)
    buffer[:] = rng.standard_normal(buffer.shape)  # the loader reuses its batch array
    dx, g = _flat(net.backward(cache, dy))
    np.testing.assert_array_equal(dx, dx_ref)
    for k, v in g_ref.items():
        np.testing.assert_array_equal(g[k], v, err_msg=k)


@pytest.mark.parametrize("name, net, kw", MODELS, ids=[m[0] for m in MODELS])
def test_call_outputs_stay_writable(name, net, kw):
    # The inference call keeps no cache, so its output is the user's own array.
    y = net(np.zeros((4, 1, 3)), **kw)
    y += 1.0
    assert np.all(np.isfinite(y))
