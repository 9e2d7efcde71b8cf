"""Losses, Adam, clipping, the read-out layer and the training loop."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest

from numerics import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics._progress import Progress, bar
from numerics.train.loop import evaluate, predict, train
from numerics.train.losses import accuracy, mse, softmax_cross_entropy
from numerics.train.optim import Adam, clip_grad_norm, global_norm
from numerics.train.readout import Readout, count_parameters, load_state_dict
from theory.layout import relaxed_plan


def _fd(f, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(a)
    for idx in np.ndindex(*a.shape):
        ap, am = a.copy(), a.copy()
        ap[idx] += eps
        am[idx] -= eps
        g[idx] = (f(ap) - f(am)) / (2 * eps)
    return g


# ------------------------------------------------------------------ losses
def test_mse_value_and_gradient() -> None:
    rng = np.random.default_rng(0)
    y, t = rng.standard_normal((3, 2, 2)), rng.standard_normal((3, 2, 2))
    mask = np.array([[True, False], [True, True], [False, True]])
    value, dy = mse(y, t, mask)
    assert value == pytest.approx(np.sum(((y - t) ** 2)[mask]) / (4 * 2), rel=1e-14)
    np.testing.assert_allclose(dy, _fd(lambda v: mse(v, t, mask)[0], y), rtol=1e-7, atol=1e-9)
    assert np.all(dy[~mask] == 0)


def test_cross_entropy_value_gradient_and_stability() -> None:
    rng = np.random.default_rng(1)
    logits, t = rng.standard_normal((4, 3, 5)), rng.integers(0, 5, (4, 3))
    mask = rng.random((4, 3)) > 0.3
    value, d = softmax_cross_entropy(logits, t, mask)
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    want = -np.log(np.take_along_axis(p, t[..., None], -1)[..., 0])[mask].mean()
    assert value == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(d, _fd(lambda v: softmax_cross_entropy(v, t, mask)[0], logits), rtol=1e-7, atol=1e-9)
    # Logits of 1e4: no overflow, exact limits.
    big = np.array([[[1e4, -1e4]]])
    v, g = softmax_cross_entropy(big, np.array([[0]]))
    assert v == 0.0 and np.all(np.isfinite(g))
    assert softmax_cross_entropy(big, np.array([[1]]))[0] == pytest.approx(2e4)
    assert accuracy(logits, t, mask) == pytest.approx((logits.argmax(-1) == t)[mask].mean())


@pytest.mark.parametrize("call,err,match", [
    (lambda: softmax_cross_entropy(np.zeros((2, 1, 3)), np.zeros((2, 1))), TypeError, "integer"),
    (lambda: softmax_cross_entropy(np.zeros((2, 1, 3)), np.full((2, 1), 3)), ValueError, "0..2"),
    (lambda: mse(np.zeros((2, 1, 3)), np.zeros((2, 1, 2))), ValueError, "target"),
    (lambda: mse(np.zeros((2, 1, 1)), np.zeros((2, 1, 1)), np.ones((2, 1))), TypeError, "mask"),
])
def test_loss_bad_input(call, err, match) -> None:
    with pytest.raises(err, match=match):
        call()


# ------------------------------------------------------------------- optim
def test_adam_matches_reference_formula_and_clipping() -> None:
    p = {"w": np.array([1.0, -2.0])}
    g = {"w": np.array([0.5, 0.0])}
    opt = Adam(lr=0.1)
    p1 = opt.step(p, g)
    p2 = opt.step(p1, g)
    # Bias-corrected Adam with a constant gradient moves by lr per step; a zero gradient never moves.
    np.testing.assert_allclose(p2["w"], [1.0 - 0.2, -2.0], rtol=0, atol=1e-7)
    assert p2["w"][1] == -2.0
    big = {"a": np.array([3.0]), "b": np.array([4.0])}
    clipped, norm = clip_grad_norm(big, 1.0)
    assert norm == pytest.approx(5.0)
    assert global_norm(clipped) == pytest.approx(1.0, rel=1e-6)
    assert clip_grad_norm(big, 10.0)[0]["a"][0] == 3.0
    with pytest.raises(ValueError, match="lr"):
        Adam(lr=0)
    with pytest.raises(ValueError, match="keys"):
        opt.step(p, {"v": np.zeros(2)})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_leaves_its_inputs_and_earlier_results_alone(dtype) -> None:
    # Adam updates its moments in place with reused scratch: no input or returned array may alias them.
    rng = np.random.default_rng(5)
    p = {"w": rng.standard_normal((4, 3)).astype(dtype), "b": rng.standard_normal(3).astype(dtype)}
    g = {k: rng.standard_normal(v.shape).astype(dtype) for k, v in p.items()}
    before = {k: v.copy() for k, v in {**p, **{"g" + k: v for k, v in g.items()}}.items()}
    opt = Adam(lr=0.1)
    p1 = opt.step(p, g)
    p1_copy = {k: v.copy() for k, v in p1.items()}
    p2 = opt.step(p1, g)
    for k, v in {**p, **{"g" + k: v for k, v in g.items()}}.items():
        np.testing.assert_array_equal(v, before[k])
    for k in p:
        np.testing.assert_array_equal(p1[k], p1_copy[k])
        assert p1[k].dtype == p2[k].dtype == dtype
        assert not np.shares_memory(p2[k], p1[k]) and not np.shares_memory(p2[k], opt.m[k])


@pytest.mark.torch
@pytest.mark.parametrize("dtype, atol", [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_adam_matches_torch(dtype, atol) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal(5).astype(dtype)
    wt = torch.tensor(w0, requires_grad=True)
    topt = torch.optim.Adam([wt], lr=0.01)
    opt, p = Adam(lr=0.01), {"w": w0}
    for _ in range(5):
        g = rng.standard_normal(5).astype(dtype)
        wt.grad = torch.tensor(g)
        topt.step()
        p = opt.step(p, {"w": g})
    assert p["w"].dtype == dtype
    np.testing.assert_allclose(p["w"], wt.detach().numpy(), rtol=0, atol=atol)


# ----------------------------------------------------------------- readout
@pytest.mark.parametrize("body", [
    lambda: StackedRNN.random(2, [3], cell="gru", seed=0),
    lambda: StackedRNN.random(2, [3, 2], seed=0).to_delayed(),
])
def test_readout_gradients(body) -> None:
    m = Readout.random(body(), 3, seed=1)
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((3, 2, 2)), rng.standard_normal((3, 2, 3))
    _, cache = m.forward(x)
    dx, g = m.backward(cache, w)
    sd = m.state_dict()
    assert set(g.state_dict()) == set(sd) and "readout.weight" in sd and "rnn.weight_hh_l0" in sd
    for k in ("readout.weight", "readout.bias", "rnn.weight_ih_l0"):
        num = _fd(lambda v, k=k: float(np.sum(load_state_dict(m, {**sd, k: v})(x) * w)), sd[k])
        ours = g.state_dict()[k]
        if isinstance(m.body, DelayedRNN) and k.startswith("rnn."):
            mask = m.body.plan.weight_ih_mask()
            num, ours = num * mask, ours * mask
        np.testing.assert_allclose(ours, num, rtol=1e-7, atol=1e-9, err_msg=k)
    np.testing.assert_allclose(dx, _fd(lambda v: float(np.sum(m(v) * w)), x), rtol=1e-7, atol=1e-9)


def test_load_state_dict_validates() -> None:
    net = StackedRNN.random(2, [3], seed=0)
    with pytest.raises(ValueError, match="missing"):
        load_state_dict(net, {})
    sd = net.state_dict()
    with pytest.raises(ValueError, match="shape"):
        load_state_dict(net, {**sd, "weight_hh_l0": np.zeros((2, 2))})


# ---------------------------------------------------------------- training
def _memory_task(V: int = 3, T: int = 8, N: int = 96, seed: int = 0):
    """Emit the previous step's symbol: needs one step of memory, solvable by every model type."""
    rng = np.random.default_rng(seed)
    s = rng.integers(0, V, (T, N))
    y = np.roll(s, 1, axis=0)
    y[0] = 0
    return np.eye(V)[s], y


BODIES = {
    "stacked-elman": lambda: StackedRNN.random(3, [12], seed=0),
    "stacked-lstm": lambda: StackedRNN.random(3, [8, 8], cell="lstm", seed=0),
    "stacked-gru": lambda: StackedRNN.random(3, [12], cell="gru", seed=0),
    "bidirectional-lstm": lambda: BidirectionalRNN.random(3, [6], cell="lstm", seed=0),
    "delayed-masked-elman": lambda: StackedRNN.random(3, [8, 8], seed=0).to_delayed(),
    "delayed-relaxed-gru": lambda: DelayedRNN.random(
        relaxed_plan("gru", 3, [6, 6], np.ones((2, 2), bool), np.ones(2, bool), delay=1), masked=False, seed=0),
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_loss_falls_on_a_tiny_task(name: str) -> None:
    x, y = _memory_task()
    model = Readout.random(BODIES[name](), 3, seed=1)
    before = evaluate(model, x, y, loss="cross_entropy")["loss"]
    res = train(model, x, y, loss="cross_entropy", epochs=15, batch_size=16, lr=2e-2, seed=0)
    after = evaluate(res.model, x, y, loss="cross_entropy")["loss"]
    # Chance level is log 3 ≈ 1.1; a model that learned the one-step memory is far below.
    assert after < 0.5 * before, (before, after)
    assert res.epochs == 15 and res.best_epoch == 15


def test_regression_with_mse_and_padding_mask() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 64, 1))
    y = np.cumsum(x, axis=0) * 0.3  # running sum: a causal target
    mask = np.ones((6, 64), bool)
    mask[4:, ::2] = False           # every other sequence is "padded" after 4 steps
    model = Readout.random(StackedRNN.random(1, [8], seed=0), 1, seed=0)
    res = train(model, x, y, loss="mse", mask=mask, epochs=20, batch_size=16, lr=1e-2, seed=0)
    assert res.train_losses[-1] < 0.3 * res.train_losses[0]
    assert predict(res.model, x, batch_size=10).shape == (6, 64, 1)


def test_masked_delayed_weights_stay_exactly_zero() -> None:
    x, y = _memory_task()
    body = StackedRNN.random(3, [6, 6, 6], cell="lstm", seed=0).to_delayed()
    res = train(Readout.random(body, 3, seed=0), x, y, loss="cross_entropy", epochs=3, batch_size=16, lr=5e-2)
    trained = res.model.body
    assert trained.masked
    assert np.all(trained.params.weight_hh[~body.plan.weight_hh_mask()] == 0)
    assert np.all(trained.params.weight_ih[~body.plan.weight_ih_mask()] == 0)
    assert not np.array_equal(trained.params.weight_hh, body.params.weight_hh)
    StackedRNN.from_delayed(trained)  # still exactly a stacked network
    assert count_parameters(body) == count_parameters(StackedRNN.from_delayed(body))


def test_seeded_runs_are_identical_and_seeds_matter() -> None:
    x, y = _memory_task()
    model = Readout.random(StackedRNN.random(3, [6], cell="gru", seed=0), 3, seed=0)
    kw = dict(loss="cross_entropy", epochs=2, batch_size=16, lr=1e-2)
    a, b = train(model, x, y, seed=5, **kw), train(model, x, y, seed=5, **kw)
    c = train(model, x, y, seed=6, **kw)
    assert a.train_losses == b.train_losses
    assert all(np.array_equal(a.model.state_dict()[k], v) for k, v in b.model.state_dict().items())
    assert a.train_losses != c.train_losses


def test_early_stopping_returns_best_weights() -> None:
    x, y = _memory_task(N=64)
    vx, _ = _memory_task(N=32, seed=9)
    vy = np.random.default_rng(9).integers(0, 3, (8, 32))  # unlearnable validation targets
    model = Readout.random(StackedRNN.random(3, [16], seed=0), 3, seed=0)
    res = train(model, x, y, loss="cross_entropy", val=(vx, vy), epochs=60, batch_size=8, lr=3e-2, patience=3)
    assert res.stopped_early and res.epochs < 60
    assert res.epochs == res.best_epoch + 3
    best = min(res.val_losses)
    assert res.history[res.best_epoch - 1]["val_loss"] == best
    assert evaluate(res.model, vx, vy, loss="cross_entropy")["loss"] == pytest.approx(best, rel=1e-12)


def test_progress_bar_only_when_asked_or_on_a_terminal() -> None:
    x, y = _memory_task(N=16)
    model = Readout.random(StackedRNN.random(3, [4], seed=0), 3, seed=0)
    out = io.StringIO()
    train(model, x, y, loss="cross_entropy", epochs=2, batch_size=8, progress=True, stream=out)
    assert "\r[" in out.getvalue() and "2/2" in out.getvalue() and "loss" in out.getvalue()
    quiet = io.StringIO()
    train(model, x, y, loss="cross_entropy", epochs=2, batch_size=8, stream=quiet)
    assert quiet.getvalue() == ""  # a StringIO is not a terminal
    assert not Progress(3, io.StringIO()).enabled
    assert bar(1, 4, 8) == "##------" and bar(9, 4, 4) == "####" and bar(0, 0, 3) == "###"


def test_long_sequence_batch_one() -> None:
    # 10 000 steps, batch 1: one training step through the whole sequence.
    x = np.random.default_rng(0).standard_normal((10_000, 1, 2)).astype(np.float32)
    y = np.roll(x[..., :1], 1, axis=0)
    model = Readout.random(StackedRNN.random(2, [8], cell="lstm", dtype=np.float32, seed=0), 1, seed=0)
    res = train(model, x, y, loss="mse", epochs=2, batch_size=1, lr=1e-2)
    assert res.model.dtype == np.float32 and all(np.isfinite(res.train_losses))


@pytest.mark.parametrize("kw,err,match", [
    (dict(loss="hinge"), ValueError, "loss must be one of"),
    (dict(y=np.zeros((8, 16))), TypeError, "integer class indices"),
    (dict(mask=np.ones((8, 16))), TypeError, "mask"),
    (dict(epochs=0), ValueError, "epochs"),
    (dict(clip=-1.0), ValueError, "clip"),
    (dict(val=(np.zeros((8, 4, 3)),)), TypeError, "val"),
])
def test_train_bad_input(kw, err, match) -> None:
    x, y = _memory_task(N=16)
    model = Readout.random(StackedRNN.random(3, [4], seed=0), 3, seed=0)
    args = dict(loss="cross_entropy", epochs=1)
    args.update(kw)
    yy = args.pop("y", y)
    with pytest.raises(err, match=match):
        train(model, x, yy, **args)


def test_readout_validation() -> None:
    body = StackedRNN.random(2, [3], seed=0)
    with pytest.raises(ValueError, match="weight"):
        Readout(body, np.zeros((2, 4)), np.zeros(2))
    with pytest.raises(TypeError, match="body"):
        Readout("rnn", np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="dtype"):
        Readout(body, np.zeros((2, 3), np.float32), np.zeros(2, np.float32))
    assert replace(Readout.random(body, 2), bias=np.ones(2)).bias[0] == 1
