"""PyTorch parity of outputs and gradients (float64, <= 1e-10) for nn.RNN / nn.LSTM / nn.GRU."""

from __future__ import annotations

import numpy as np
import pytest

from numerics import from_torch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

MODES = {"RNN_TANH": ("RNN", {"nonlinearity": "tanh"}), "RNN_RELU": ("RNN", {"nonlinearity": "relu"}),
         "LSTM": ("LSTM", {}), "GRU": ("GRU", {})}


def _case(mode: str, layers: int, bidirectional: bool, bias: bool, T: int = 6, B: int = 3, seed: int = 0):
    torch.manual_seed(seed)
    kind, kw = MODES[mode]
    I, H = 3, 4
    mod = getattr(torch.nn, kind)(I, H, num_layers=layers, bias=bias, bidirectional=bidirectional, **kw).double()
    D = 2 if bidirectional else 1
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, I))
    h0 = rng.standard_normal((layers * D, B, H))
    c0 = rng.standard_normal((layers * D, B, H))
    return mod, x, h0, c0


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("layers", [1, 2, 3, 4])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_outputs_and_gradients_match(mode: str, layers: int, bidirectional: bool, bias: bool) -> None:
    mod, x, h0, c0 = _case(mode, layers, bidirectional, bias, seed=layers)
    lstm = mode == "LSTM"
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    c0t = torch.tensor(c0, requires_grad=True)
    yt, _ = mod(xt, (h0t, c0t) if lstm else h0t)
    w = np.random.default_rng(99).standard_normal(tuple(yt.shape))
    (yt * torch.tensor(w)).sum().backward()

    net = from_torch({k: v.detach().numpy() for k, v in mod.state_dict().items()}, mode)
    y, cache = net.forward(x, (h0, c0) if lstm else h0)
    dx, grads, dh0 = net.backward(cache, w, return_state_grads=True)
    tol = 1e-10
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=0, atol=tol)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=tol)
    gsd = grads.state_dict()
    tsd = dict(mod.named_parameters())
    assert set(gsd) == set(tsd)
    for k, p in tsd.items():
        np.testing.assert_allclose(gsd[k], p.grad.numpy(), rtol=0, atol=tol, err_msg=k)
    dh = dh0[0] if lstm else dh0
    np.testing.assert_allclose(np.stack(dh), h0t.grad.numpy(), rtol=0, atol=tol)
    if lstm:
        np.testing.assert_allclose(np.stack(dh0[1]), c0t.grad.numpy(), rtol=0, atol=tol)


@pytest.mark.parametrize("mode", ["RNN_TANH", "LSTM", "GRU"])
def test_final_state_gradient_matches(mode: str) -> None:
    # Loss on the final states h_n (and c_n) only: the dh_final path.
    mod, x, h0, c0 = _case(mode, 2, False, True, seed=7)
    lstm = mode == "LSTM"
    xt = torch.tensor(x, requires_grad=True)
    _, hn = mod(xt, (torch.tensor(h0), torch.tensor(c0)) if lstm else torch.tensor(h0))
    rng = np.random.default_rng(3)
    v, vc = rng.standard_normal(h0.shape), rng.standard_normal(h0.shape)
    loss = (hn[0] * torch.tensor(v)).sum() + (hn[1] * torch.tensor(vc)).sum() if lstm \
        else (hn * torch.tensor(v)).sum()
    loss.backward()
    net = from_torch({k: t.detach().numpy() for k, t in mod.state_dict().items()}, mode)
    y, cache = net.forward(x, (h0, c0) if lstm else h0)
    dx, _ = net.backward(cache, np.zeros_like(y), dh_final=(v, vc) if lstm else v)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-10)


def test_float32_matches() -> None:
    mod, x, _, _ = _case("LSTM", 2, True, True, seed=11)
    mod = mod.float()
    xt = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    yt, _ = mod(xt)
    yt.sum().backward()
    net = from_torch({k: v.detach().numpy() for k, v in mod.state_dict().items()}, "LSTM")
    y, cache = net.forward(x.astype(np.float32))
    dx, grads = net.backward(cache, np.ones_like(y))
    assert dx.dtype == np.float32
    # float32: reordered sums over 6 steps and widths <= 8 err by ~1e-6.
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-5)
    for k, p in mod.named_parameters():
        np.testing.assert_allclose(grads.state_dict()[k], p.grad.numpy(), rtol=0, atol=1e-5, err_msg=k)
