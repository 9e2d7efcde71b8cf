"""PyTorch interoperability: state dicts in and out, and the d-RNN against torch.nn.RNN."""

import numpy as np
import pytest

from numerics import BidirectionalRNN, StackedRNN, from_torch
from numerics.testing import assert_equivalent


def test_state_dict_round_trip_without_torch():
    for cls in (StackedRNN, BidirectionalRNN):
        for cell, mode in (("elman", "RNN_TANH"), ("lstm", "LSTM"), ("gru", "GRU")):
            for bias in (True, False):
                net = cls.random(3, [4, 4], cell=cell, bias=bias, seed=1)
                back = from_torch(net.state_dict(), mode)
                assert type(back) is cls
                assert back.state_dict().keys() == net.state_dict().keys()
                x = np.random.default_rng(0).normal(size=(5, 2, 3))
                np.testing.assert_array_equal(back(x), net(x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_from_torch_keeps_dtype(dtype):
    sd = {k: v.astype(dtype) for k, v in StackedRNN.random(2, [3]).state_dict().items()}
    assert from_torch(sd).dtype == dtype


def test_relu_mode_sets_activation():
    net = from_torch(StackedRNN.random(2, [3, 3]).state_dict(), "RNN_RELU")
    assert net.activations == ("relu", "relu")


@pytest.mark.torch
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("layers", [1, 2, 3, 4])
@pytest.mark.parametrize("bias", [True, False])
def test_delayed_network_built_from_torch_reproduces_torch(nonlinearity, layers, bias):
    torch = pytest.importorskip("torch")
    torch.manual_seed(layers)
    m = torch.nn.RNN(3, 5, num_layers=layers, nonlinearity=nonlinearity, bias=bias).double()
    net = from_torch({k: v.detach().numpy() for k, v in m.state_dict().items()},
                     "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU")
    rng = np.random.default_rng(layers)
    x = rng.normal(size=(9, 2, 3))
    h0 = rng.normal(size=(layers, 2, 5))
    with torch.no_grad():
        ref = m(torch.from_numpy(x), torch.from_numpy(h0))[0].numpy()
    d = net.to_delayed("staggered")
    assert np.abs(d(x, h0) - ref).max() <= 1e-12
    assert_equivalent(lambda x_, h_: ref, d, x, h0=h0, rtol=0, atol=1e-12)


@pytest.mark.torch
def test_float32_torch_model_to_delayed_within_1e5():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    m = torch.nn.RNN(4, 6, num_layers=3)
    net = from_torch(m.state_dict(), "RNN_TANH")  # tensors are accepted and detached
    assert net.dtype == np.float32
    x = np.random.default_rng(0).normal(size=(20, 3, 4)).astype(np.float32)
    with torch.no_grad():
        ref = m(torch.from_numpy(x))[0].numpy()
    assert np.abs(net.to_delayed()(x) - ref).max() <= 1e-5
    assert np.abs(net(x) - ref).max() <= 1e-5


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda sd: sd.pop("weight_hh_l1"), r"missing \['weight_hh_l1'\]"),
        (lambda sd: sd.update(weight_hh_l5=np.zeros((3, 3))), r"missing .*weight_ih_l2"),
        (lambda sd: sd.update(extra=np.zeros(1)), r"unexpected keys \['extra'\]"),
        (lambda sd: sd.update(weight_hh_l0=np.zeros((3, 4))), r"weight_hh_l0'\] must have shape"),
        (lambda sd: sd.update(bias_ih_l0=np.zeros(4)), r"bias_ih_l0'\] must have shape \(3,\)"),
        (lambda sd: sd.update(weight_ih_l1=np.zeros((3, 2))), r"layer 1: weight_ih must have shape \(3, 3\)"),
        (lambda sd: sd.update(bias_hh_l0=np.zeros(3, dtype=np.float32)), "share one dtype"),
        (lambda sd: sd.update(weight_ih_l0=np.full((3, 2), np.nan)), "must be finite"),
        (lambda sd: sd.update(weight_ih_l0=np.array([["a", "b"]] * 3)), "numeric"),
    ],
)
def test_mismatched_state_dicts_are_rejected(mutate, message):
    sd = dict(StackedRNN.random(2, [3, 3]).state_dict())
    mutate(sd)
    with pytest.raises((ValueError, TypeError), match=message):
        from_torch(sd)


def test_bad_mode_and_bad_container():
    sd = StackedRNN.random(2, [3]).state_dict()
    with pytest.raises(ValueError, match="mode must be one of"):
        from_torch(sd, "RNN_SIGMOID")
    with pytest.raises(TypeError, match="state_dict must be a mapping"):
        from_torch([1, 2, 3])
    with pytest.raises(ValueError, match=r"must have shape \(4·H, H\) for cell 'lstm'"):
        from_torch(sd, "LSTM")  # weight_hh (3, 3) is not (4·H, H)
