"""The tagger's pieces (numerics.train.tagger): finite differences, exact padding, PyTorch agreement in float64."""

from __future__ import annotations

import numpy as np
import pytest

from numerics.experiments.specs import ModelSpec, build_model
from numerics.train.losses import softmax_cross_entropy
from numerics.train.tagger import CharEncoder, Embedding, Tagger, evaluate_tagger, train_tagger

F64 = np.float64


def _body(kind: str, n_in: int, width: int = 5, delay: int = 0, seed: int = 0):
    spec = ModelSpec(kind, "lstm", width, 2 if kind == "stacked" else 1, delay)
    return build_model(spec, n_in, seed=seed, dtype=F64)


def _batch(rng, V=9, lengths=(4, 2, 3), chars=None):
    T, B = max(lengths), len(lengths)
    lengths = np.array(lengths)
    ids = rng.integers(1, V, (T, B))
    mask = np.arange(T)[:, None] < lengths[None, :]
    ids[~mask] = 0
    tags = rng.integers(0, 4, (T, B))
    ch = cl = None
    if chars is not None:
        L = 4
        cl = np.where(mask, rng.integers(1, L + 1, (T, B)), 0)
        ch = rng.integers(1, chars, (L, T, B))
        ch[np.arange(L)[:, None, None] >= cl[None]] = 0
    return ids, tags, mask, lengths, ch, cl


def _loss(model: Tagger, ids, tags, mask, lengths, ch, cl) -> float:
    return softmax_cross_entropy(model(ids, lengths, ch, cl), tags, mask)[0]


def _fd_check(model: Tagger, args, n_checks: int = 6, seed: int = 0) -> None:
    """Central differences on random entries of every parameter against Tagger.backward."""
    logits, cache = model.forward(args[0], args[3], args[4], args[5])
    _, d = softmax_cross_entropy(logits, args[1], args[2])
    grads = model.backward(cache, d).state_dict()
    params = model.state_dict()
    rng = np.random.default_rng(seed)
    eps = 1e-6
    for name, p in params.items():
        flat = [int(i) for i in rng.choice(p.size, size=min(n_checks, p.size), replace=False)]
        if name.endswith("embedding.weight"):
            flat = [i for i in flat if i >= p.shape[1]] + [0]  # row 0 is padding: gradient exactly zero
        for i in flat:
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            plus[name].flat[i] += eps
            minus[name].flat[i] -= eps
            num = (_loss(model.load_state_dict(plus), *args) - _loss(model.load_state_dict(minus), *args)) / (2 * eps)
            if name.endswith("embedding.weight") and i < p.shape[1]:
                assert grads[name].flat[i] == 0.0
            else:
                assert grads[name].flat[i] == pytest.approx(num, rel=1e-5, abs=1e-8), (name, i)


@pytest.mark.parametrize("kind,delay", [("delayed", 0), ("delayed", 2), ("bidirectional", 0), ("stacked", 0)])
def test_tagger_gradients_match_finite_differences(kind, delay):
    rng = np.random.default_rng(1)
    body = _body(kind, 3, delay=delay)
    model = Tagger.random(body, 9, 3, 4, seed=2)
    _fd_check(model, _batch(rng))


def test_char_encoder_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    enc = CharEncoder.random(7, 3, 4, seed=0, dtype=F64)
    body = _body("delayed", 3 + 4, delay=1)
    model = Tagger.random(body, 9, 3, 4, seed=2, chars=enc)
    _fd_check(model, _batch(rng, chars=7))


@pytest.mark.parametrize("kind,delay", [("delayed", 2), ("bidirectional", 0), ("stacked", 0)])
def test_padding_adds_nothing_to_loss_or_gradient(kind, delay):
    """A padded batch gives the loss and parameter gradient of its sentences run one at a time (weighted by words)."""
    rng = np.random.default_rng(4)
    enc = CharEncoder.random(7, 3, 4, seed=0, dtype=F64)
    model = Tagger.random(_body(kind, 7, delay=delay), 9, 3, 4, seed=2, chars=enc)
    ids, tags, mask, lengths, ch, cl = _batch(rng, lengths=(5, 2, 3), chars=7)
    logits, cache = model.forward(ids, lengths, ch, cl)
    loss, d = softmax_cross_entropy(logits, tags, mask)
    grads = model.backward(cache, d).state_dict()
    total = int(mask.sum())
    acc = {k: np.zeros_like(v) for k, v in grads.items()}
    loss_sum = 0.0
    for b, n in enumerate(lengths):
        sl = (slice(0, n), slice(b, b + 1))
        lg, c = model.forward(ids[sl], lengths[b:b + 1], ch[(slice(None), *sl)], cl[sl])
        l1, d1 = softmax_cross_entropy(lg, tags[sl])
        loss_sum += l1 * n
        for k, v in model.backward(c, d1 * n / total).state_dict().items():
            acc[k] += v
    assert loss == pytest.approx(loss_sum / total, rel=1e-12)
    for k in grads:
        np.testing.assert_allclose(grads[k], acc[k], rtol=1e-10, atol=1e-13, err_msg=k)
    # and garbage at padded positions changes nothing
    tags2 = tags.copy()
    tags2[~mask] = 3
    assert softmax_cross_entropy(logits, tags2, mask)[0] == loss


def test_embedding_padding_row_reads_zero_and_gets_no_gradient():
    e = Embedding(np.arange(12, dtype=F64).reshape(4, 3))
    ids = np.array([[0, 2], [2, 0]])
    y = e.forward(ids)
    assert np.all(y[0, 0] == 0) and np.all(y[1, 0] == 2 * 3 + np.arange(3))
    g = e.backward(ids, np.ones((2, 2, 3)))
    np.testing.assert_array_equal(g.weight, [[0, 0, 0], [0, 0, 0], [2, 2, 2], [0, 0, 0]])
    with pytest.raises(ValueError, match="ids must hold ids in 0"):
        e.forward(np.array([4]))
    with pytest.raises(TypeError, match="integer array"):
        e.forward(np.array([1.0]))


def test_training_lowers_the_loss_and_keeps_the_best_epoch():
    rng = np.random.default_rng(5)
    batch = type("B", (), {})()
    batch.ids, batch.tags, batch.mask, batch.lengths, batch.chars, batch.char_lengths = _batch(rng)
    batch.tags = np.where(batch.ids % 2 == 0, 1, 2)  # learnable: tag from the word
    model = Tagger.random(_body("delayed", 3, delay=1), 9, 3, 4, seed=0)
    before = evaluate_tagger(model, [batch])["loss"]
    model, hist, best = train_tagger(model, lambda r: [batch], val=[batch], epochs=30, lr=0.05, seed=0)
    after = evaluate_tagger(model, [batch])
    assert after["loss"] < before / 3 and after["accuracy"] == 1.0
    assert hist[best - 1]["val_accuracy"] == max(h["val_accuracy"] for h in hist)


# ------------------------------------------------------------------ PyTorch
@pytest.mark.torch
def test_tagger_matches_pytorch_embedding_lstm_linear():
    """Word embedding -> LSTM (delayed: d zero inputs appended, first d outputs dropped; bidirectional: packed)
    -> Linear -> cross-entropy, against nn.Embedding / nn.LSTM / nn.Linear in float64 to 1e-10."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    rng = np.random.default_rng(6)
    ids, tags, mask, lengths, _, _ = _batch(rng, lengths=(5, 2, 4))
    for kind, delay in (("delayed", 0), ("delayed", 2), ("bidirectional", 0)):
        model = Tagger.random(_body(kind, 3, delay=delay), 9, 3, 4, seed=7)
        logits, cache = model.forward(ids, lengths)
        loss, d = softmax_cross_entropy(logits, tags, mask)
        grads = model.backward(cache, d).state_dict()
        sd = {k: torch.tensor(v, requires_grad=True) for k, v in model.state_dict().items()}
        emb = nn.Embedding(9, 3, padding_idx=0).double()
        lstm = nn.LSTM(3, 5, bidirectional=kind == "bidirectional").double()
        lin = nn.Linear(lstm.hidden_size * (2 if kind == "bidirectional" else 1), 4).double()
        with torch.no_grad():
            emb.weight.copy_(sd["embedding.weight"])
            for name, p in lstm.named_parameters():
                p.copy_(sd[f"rnn.{name}"])
            lin.weight.copy_(sd["readout.weight"])
            lin.bias.copy_(sd["readout.bias"])
        x = emb(torch.tensor(ids))
        if kind == "bidirectional":
            packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
            h = nn.utils.rnn.pad_packed_sequence(lstm(packed)[0], total_length=ids.shape[0])[0]
        else:
            xp = torch.cat([x, torch.zeros(delay, *x.shape[1:], dtype=x.dtype)])
            h = lstm(xp)[0][delay:]
        out = lin(h)
        t = torch.tensor(np.where(mask, tags, -100))
        tl = nn.functional.cross_entropy(out.reshape(-1, 4), t.reshape(-1), ignore_index=-100)
        tl.backward()
        np.testing.assert_allclose(logits[mask], out.detach().numpy()[mask], rtol=0, atol=1e-10)
        assert loss == pytest.approx(tl.item(), abs=1e-10)
        named = {"embedding.weight": emb.weight, "readout.weight": lin.weight, "readout.bias": lin.bias,
                 **{f"rnn.{n}": p for n, p in lstm.named_parameters()}}
        for k, p in named.items():
            np.testing.assert_allclose(grads[k], p.grad.numpy(), rtol=0, atol=1e-10, err_msg=f"{kind} {k}")


@pytest.mark.torch
def test_char_encoder_matches_pytorch_lstm():
    """Last-character state of a packed nn.LSTM over each word's nn.Embedding(padding_idx=0) characters."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    rng = np.random.default_rng(8)
    _, _, mask, _, ch, cl = _batch(rng, lengths=(3, 1, 2), chars=7)
    enc = CharEncoder.random(7, 3, 4, seed=1, dtype=F64)
    y, cache = enc.forward(ch, cl)
    dy = rng.standard_normal(y.shape)
    g = enc.backward(cache, dy)
    emb = nn.Embedding(7, 3, padding_idx=0).double()
    lstm = nn.LSTM(3, 4).double()
    with torch.no_grad():
        emb.weight.copy_(torch.tensor(enc.embedding.weight))
        for name, p in lstm.named_parameters():
            p.copy_(torch.tensor(enc.rnn.state_dict()[name]))
    L, T, B = ch.shape
    rows = np.flatnonzero(cl.reshape(-1) > 0)
    x = emb(torch.tensor(ch.reshape(L, T * B)[:, rows]))
    packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor(cl.reshape(-1)[rows]), enforce_sorted=False)
    hn = lstm(packed)[1][0][0]  # (words, 4): state after each word's last character
    out = torch.zeros(T * B, 4, dtype=torch.float64)
    out[torch.tensor(rows)] = hn
    np.testing.assert_allclose(y.reshape(T * B, 4), out.detach().numpy(), rtol=0, atol=1e-10)
    (out * torch.tensor(dy.reshape(T * B, 4))).sum().backward()
    np.testing.assert_allclose(g.embedding.weight, emb.weight.grad.numpy(), rtol=0, atol=1e-10)
    for name, p in lstm.named_parameters():
        np.testing.assert_allclose(g.rnn.state_dict()[name], p.grad.numpy(), rtol=0, atol=1e-10, err_msg=name)
    assert np.all(y[~mask] == 0)


def test_char_encoder_too_large_names_its_own_arguments():
    # The 10,000-call fuzz found the message naming Embedding.random's arguments instead.
    with pytest.raises(ValueError, match=r"num_chars × dim: .* do not fit"):
        CharEncoder.random(10**13, 2, 3)
