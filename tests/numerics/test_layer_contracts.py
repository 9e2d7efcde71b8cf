"""Contracts of one recurrent layer (numerics/engine/layer.py) that mutation testing found unpinned.

mutmut over layer.py with the model and gradient-check tests left alive the inference path
(``keep_cache=False``) and the LSTM's default initial cell state; both are checked here against
independent values.
"""

from __future__ import annotations

import numpy as np
import pytest

from numerics.engine.layer import layer_forward
from numerics.engine.params import LayerParams
from theory._checks import GATES


def _params(cell: str, rng: np.random.Generator, I: int = 3, H: int = 4) -> LayerParams:
    G = GATES[cell]
    return LayerParams(0.5 * rng.standard_normal((G * H, I)), 0.5 * rng.standard_normal((G * H, H)),
                       0.3 * rng.standard_normal(G * H), 0.3 * rng.standard_normal(G * H))


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
@pytest.mark.parametrize("reverse", [False, True])
def test_inference_path_equals_the_training_path(cell, reverse):
    rng = np.random.default_rng(11)
    p = _params(cell, rng)
    x, h0 = rng.standard_normal((7, 2, 3)), rng.standard_normal((2, 4))
    c0 = rng.standard_normal((2, 4)) if cell == "lstm" else None
    hold = np.array([0, 1, 3, 0])
    mask = (rng.random((4, 4)) < 0.5) if cell == "gru" else None
    kw = dict(hold=hold, reverse=reverse, reset_mask=mask)
    y, cache = layer_forward(cell, p, x, h0, c0, **kw)
    y_inf, none = layer_forward(cell, p, x, h0, c0, keep_cache=False, **kw)
    assert cache is not None and none is None
    np.testing.assert_array_equal(y_inf, y)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def test_lstm_without_c0_starts_from_a_zero_cell_state():
    rng = np.random.default_rng(12)
    p = _params("lstm", rng)
    x, h0 = rng.standard_normal((3, 2, 3)), rng.standard_normal((2, 4))
    y, _ = layer_forward("lstm", p, x, h0)
    np.testing.assert_array_equal(y, layer_forward("lstm", p, x, h0, np.zeros((2, 4)))[0])
    # First step by hand (PyTorch's gate order i, f, g, o): with c0 = 0, c1 = i * g.
    a = x[0] @ p.weight_ih.T + h0 @ p.weight_hh.T + p.bias_ih + p.bias_hh
    i, _f, g, o = np.split(a, 4, axis=1)
    c1 = _sigmoid(i) * np.tanh(g)
    np.testing.assert_allclose(y[0], _sigmoid(o) * np.tanh(c1), rtol=1e-12, atol=1e-14)
