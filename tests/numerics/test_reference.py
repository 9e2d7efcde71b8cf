"""The independent per-step reference: hand-computed values and PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from numerics.verify.stepwise import reference_outputs


def _sig(a: float) -> float:
    return 1 / (1 + math.exp(-a))


def test_lstm_one_unit_by_hand():
    # gates i, f, g, o have input weights 1, 2, 3, 4 and no recurrence: c_1 = s(1) tanh(3), c_2 adds s(2) c_1
    sd = {"weight_ih_l0": np.array([[1.0], [2.0], [3.0], [4.0]]), "weight_hh_l0": np.zeros((4, 1))}
    y = reference_outputs("lstm", sd, [None], np.ones((2, 1, 1)))[:, 0, 0]
    c1 = _sig(1) * math.tanh(3)
    c2 = _sig(2) * c1 + c1
    assert y.tolist() == pytest.approx([_sig(4) * math.tanh(c1), _sig(4) * math.tanh(c2)], abs=1e-15)


def test_gru_reset_gate_multiplies_the_hidden_part_only():
    # r = s(0) = 1/2 and z = s(0) = 1/2; candidate tanh(x W_n + b_in + r (U_n h + b_hn)) with h0 = 1
    sd = {"weight_ih_l0": np.array([[0.0], [0.0], [1.0]]), "weight_hh_l0": np.array([[0.0], [0.0], [2.0]]),
          "bias_ih_l0": np.array([0.0, 0.0, 0.5]), "bias_hh_l0": np.array([0.0, 0.0, 1.0])}
    y = reference_outputs("gru", sd, [None], np.ones((1, 1, 1)), h0=[np.ones(1)])[0, 0, 0]
    n = math.tanh(1.0 + 0.5 + 0.5 * (2.0 + 1.0))
    assert y == pytest.approx(0.5 * n + 0.5 * 1.0, abs=1e-15)


def test_two_layer_elman_feeds_layer_one_into_layer_two():
    sd = {"weight_ih_l0": np.array([[1.0]]), "weight_hh_l0": np.array([[1.0]]),
          "weight_ih_l1": np.array([[10.0]]), "weight_hh_l1": np.array([[0.0]])}
    y = reference_outputs("elman", sd, ["identity", "relu"], np.array([[[1.0]], [[-3.0]]]))[:, 0, 0]
    assert y.tolist() == [10.0, 0.0]  # layer 1: 1, then -2; relu(10 * -2) = 0


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_reference_matches_pytorch(cell):
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    cls = {"elman": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    m = cls(3, 4, num_layers=3).double()
    sd = {k: v.detach().numpy() for k, v in m.state_dict().items()}
    x = np.random.default_rng(0).normal(size=(7, 2, 3))
    want = m(torch.from_numpy(x))[0].detach().numpy()
    got = reference_outputs(cell, sd, ["tanh"] * 3, x)
    assert np.abs(got - want).max() < 1e-12
