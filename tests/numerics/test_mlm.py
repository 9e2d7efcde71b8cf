"""The character-level masked language model (issue 20 item 9): text, chunks, masking, bits per character, CLI."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from numerics.experiments.mlm import (
    MASK,
    MLM_PROFILES,
    chunk_ids,
    encode_chars,
    evaluate_mlm,
    mask_batches,
    masked_bits,
    mlm_text,
    mlm_vocabulary,
    plan_mlm,
)
from numerics.experiments.mlm_report import MLM_COLUMNS, mlm_markdown, mlm_summary, unigram_bits
from numerics.experiments.specs import ModelSpec, RunSpec, TrainConfig, build_model
from numerics.experiments.storage import make_record
from numerics.experiments.treebank import PAD, UNK, Sentence, Vocabulary
from numerics.train.losses import softmax_cross_entropy
from numerics.train.tagger import Tagger, train_tagger


def _s(*words: str) -> Sentence:
    return Sentence(tuple(words), ("X",) * len(words))


# ------------------------------------------------------------------ data builder
def test_text_vocabulary_and_encoding():
    assert mlm_text([_s("I", "saw"), _s("it", ".")]) == "I saw it ."
    assert mlm_text([_s("a"), _s("b")], separator="\n") == "a\nb"
    v = mlm_vocabulary("abca a")
    # <pad>, <unk>, <mask>, then by frequency (a: 3), ties by code point (' ' < 'b' < 'c')
    assert v.words == ("<pad>", "<unk>", "<mask>", "a", " ", "b", "c")
    assert encode_chars("cab z", v).tolist() == [6, 3, 5, 4, UNK]
    assert MASK == 2 and PAD == 0 and UNK == 1


def test_chunks_are_consecutive_and_the_last_is_padded():
    chunks, lengths = chunk_ids(np.array([3, 4, 5, 6, 7]), 2)
    assert chunks.tolist() == [[3, 5, 7], [4, 6, PAD]] and lengths.tolist() == [2, 2, 1]
    chunks, lengths = chunk_ids(np.array([3, 4, 5, 6]), 4)
    assert chunks.shape == (4, 1) and lengths.tolist() == [4]
    chunks, lengths = chunk_ids(np.array([3, 4]), 10**12)  # shorter than one chunk: one chunk, no padding
    assert chunks.tolist() == [[3], [4]] and lengths.tolist() == [2]
    chunks, lengths = chunk_ids(np.zeros(0, dtype=np.int64), 3)
    assert chunks.shape == (0, 0) and lengths.shape == (0,)


def test_masking_rate_targets_and_padding():
    """Each real character is masked with probability 0.2: over 20 draws of 29,950 characters (599,000 in all,
    s.d. of the rate 5.2e-4) the rate lies within 0.2 ± 0.003 (about 6 s.d.) with seed 0; MASK is never a target."""
    rng = np.random.default_rng(0)
    ids = rng.integers(3, 40, 29_950)  # 200 chunks of 150, the last one 100 long
    chunks, lengths = chunk_ids(ids, 150)
    assert lengths[-1] == 100
    masked = real = 0
    for _ in range(20):
        for b in mask_batches(chunks, lengths, 32, rng, mask_prob=0.2, order=rng.permutation(chunks.shape[1])):
            within = np.arange(b.ids.shape[0])[:, None] < b.lengths[None, :]
            assert not (b.mask & ~within).any()  # padding is never counted
            assert (b.ids[~within] == PAD).all() and (b.tags[~within] == PAD).all()
            assert (b.ids[b.mask] == MASK).all()  # masked input is MASK ...
            assert (b.tags[b.mask] >= 3).all()  # ... and its target the original character, never MASK or PAD
            assert (b.ids[within & ~b.mask] == b.tags[within & ~b.mask]).all()  # the rest is unchanged
            masked += int(b.mask.sum())
            real += int(within.sum())
    assert real == 20 * 29_950
    assert masked / real == pytest.approx(0.2, abs=0.003)
    # the targets of a batch in order are the text itself
    (b,) = mask_batches(chunks, lengths, 500, np.random.default_rng(1))
    assert b.tags.T[b.tags.T != PAD].tolist() == ids.tolist()


def test_eval_masks_are_fixed_by_their_seed():
    chunks, lengths = chunk_ids(np.arange(3, 103), 10)
    a = mask_batches(chunks, lengths, 4, np.random.default_rng(7002))
    b = mask_batches(chunks, lengths, 4, np.random.default_rng(7002))
    assert all((x.mask == y.mask).all() for x, y in zip(a, b))


@pytest.mark.parametrize("kind", ["delayed", "bidirectional"])
def test_padding_adds_nothing_to_loss_or_gradient(kind):
    """A batch holding a full and a short (padded) chunk gives the total bits and parameter gradient of the two
    chunks run one by one."""
    rng = np.random.default_rng(3)
    ids = rng.integers(3, 9, 13)
    chunks, lengths = chunk_ids(ids, 8)  # lengths 8 and 5
    (batch,) = mask_batches(chunks, lengths, 2, np.random.default_rng(0), mask_prob=0.5)
    assert batch.mask[:, 0].any() and batch.mask[:, 1].any()
    body = build_model(ModelSpec(kind, "lstm", 4, 1, 2 if kind == "delayed" else 0), 5, seed=1, dtype=np.float64)
    model = Tagger.random(body, 9, 5, 9, seed=2)

    def total(ids_, tags, mask, lens):
        y, cache = model.forward(ids_, lens)
        mean, d = softmax_cross_entropy(y, tags, mask)
        n = int(mask.sum())
        return mean * n, model.backward(cache, d * n).state_dict()

    bits_b, g_b = total(batch.ids, batch.tags, batch.mask, batch.lengths)
    parts = [total(batch.ids[:n, j:j + 1], batch.tags[:n, j:j + 1], batch.mask[:n, j:j + 1], np.array([n]))
             for j, n in enumerate(batch.lengths)]
    assert bits_b == pytest.approx(parts[0][0] + parts[1][0], rel=1e-12)
    for k, v in g_b.items():
        np.testing.assert_allclose(v, parts[0][1][k] + parts[1][1][k], rtol=1e-10, atol=1e-13, err_msg=k)


# ------------------------------------------------------------ bits per character
def test_bits_per_character_hand_checked():
    # uniform logits over V characters: log2 V bits per masked character, exactly
    V = 7
    logits = np.zeros((3, 2, V))
    targets = np.array([[3, 4], [5, 6], [3, 0]])
    mask = np.array([[True, False], [True, True], [True, False]])
    bits, n = masked_bits(logits, targets, mask)
    assert n == 4 and bits / n == pytest.approx(math.log2(7), rel=1e-14)
    # p(target) = 1 / (1 + 3) = 1/4: 2 bits
    two = np.array([[[0.0, math.log(3.0)]]])
    assert masked_bits(two, np.array([[0]]), np.array([[True]])) == (pytest.approx(2.0, rel=1e-14), 1)
    # nothing masked: nothing counted
    assert masked_bits(logits, targets, np.zeros((3, 2), bool)) == (0.0, 0)


def test_evaluate_mlm_of_a_uniform_model_is_log2_of_the_vocabulary():
    v = mlm_vocabulary("the cat sat on the mat")
    chunks, lengths = chunk_ids(encode_chars("the cat sat on the mat again", v), 6)
    body = build_model(ModelSpec("delayed", "lstm", 4, 1, 1), 3, seed=0, dtype=np.float64)
    m = Tagger.random(body, len(v), 3, len(v), seed=0)
    m = Tagger(m.embedding, m.body, np.zeros_like(m.weight), np.zeros_like(m.bias))
    ev = evaluate_mlm(m, mask_batches(chunks, lengths, 2, np.random.default_rng(0), mask_prob=0.5))
    assert ev["chars"] > 0 and ev["bpc"] == pytest.approx(math.log2(len(v)), rel=1e-13)
    assert ev["loss"] == pytest.approx(math.log(len(v)), rel=1e-13)


def test_unigram_bits_hand_checked():
    v = Vocabulary(("<pad>", "<unk>", "<mask>", "a", "b"), False, 1)
    train = chunk_ids(np.array([3, 4, 3, 4]), 4)
    test = chunk_ids(np.array([3] * 50), 10)
    tp = {"mask_prob": 0.5, "eval_mask_seeds": {"test": 1}}
    # add-one counts: unk 1, a 3, b 3 (pad and mask never targets): p(a) = 3/7
    assert unigram_bits({"vocab": v, "train": train, "test": test}, tp) == pytest.approx(math.log2(7 / 3), rel=1e-13)


def test_train_tagger_keeps_the_epoch_of_lowest_validation_loss():
    v = mlm_vocabulary("abcabcabd")
    chunks, lengths = chunk_ids(encode_chars("abcabcabdabcabc", v), 5)
    val = mask_batches(chunks, lengths, 4, np.random.default_rng(0), mask_prob=0.5)
    body = build_model(ModelSpec("delayed", "lstm", 4, 1, 1), 3, seed=0, dtype=np.float64)
    m = Tagger.random(body, len(v), 3, len(v), seed=0)
    model, hist, best = train_tagger(m, lambda rng: mask_batches(chunks, lengths, 4, rng), val=val, epochs=4,
                                     lr=0.3, seed=0, select="loss")  # lr large enough for the loss to move about
    losses = [h["val_loss"] for h in hist]
    assert best == 1 + int(np.argmin(losses))
    assert evaluate_mlm(model, val)["loss"] == pytest.approx(min(losses), rel=1e-12)
    with pytest.raises(ValueError, match="select"):
        train_tagger(m, lambda rng: val, val=val, epochs=1, select="bits")


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, exc, name", [
    (lambda: chunk_ids(np.ones((2, 2), int), 2), TypeError, "ids"),
    (lambda: chunk_ids([1.5, 2.0], 2), TypeError, "ids"),
    (lambda: chunk_ids(np.array([0, 3]), 2), ValueError, "ids"),
    (lambda: chunk_ids(np.array([3]), 0), ValueError, "chunk"),
    (lambda: mask_batches(np.ones((2, 2), int), np.array([2, 2]), 2, np.random.default_rng(0), mask_prob=0.0),
     ValueError, "mask_prob"),
    (lambda: mask_batches(np.ones((2, 2), int), np.array([2, 2]), 2, np.random.default_rng(0), mask_prob=True),
     ValueError, "mask_prob"),
    (lambda: mask_batches(np.ones((2, 2), int), np.array([2, 3]), 2, np.random.default_rng(0)), ValueError,
     "lengths"),
    (lambda: mask_batches(np.ones((2, 2), int), np.array([2]), 2, np.random.default_rng(0)), ValueError, "lengths"),
    (lambda: mask_batches(np.ones((2, 2), int), np.array([2, 2]), 2, 0), TypeError, "rng"),
    (lambda: mask_batches(np.ones((2, 2), int), np.array([2, 2]), 2, np.random.default_rng(0), order=[0, 0]),
     ValueError, "order"),
    (lambda: mask_batches(np.ones(4, int), np.array([2, 2]), 2, np.random.default_rng(0)), TypeError, "chunks"),
    (lambda: mlm_vocabulary(""), ValueError, "text"),
    (lambda: mlm_vocabulary(["a"]), TypeError, "text"),
    (lambda: encode_chars("ab", Vocabulary(("<pad>", "<unk>", "a"))), ValueError, "vocab"),
    (lambda: masked_bits(np.zeros((1, 1, 2)), np.array([[0]]), None), TypeError, "mask"),
    (lambda: mlm_text([_s("a")], separator=1), TypeError, "separator"),
    (lambda: mlm_text("abc"), TypeError, "sentences"),
    (lambda: plan_mlm("quick"), TypeError, "profile"),
    (lambda: plan_mlm(MLM_PROFILES["smoke"], treebank=3), TypeError, "treebank"),
])
def test_bad_input_names_the_argument(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


# ------------------------------------------------------------------ tables, CLI
def _rec(kind: str, delay: int, seed: int, bpc: float) -> dict:
    spec = RunSpec("mlm", {"treebank": "t"}, ModelSpec(kind, "lstm", 4, 2 if kind == "stacked" else 1, delay), seed,
                   TrainConfig(epochs=1))
    res = {"test_bpc": bpc, "test_chars": 100, "test_accuracy": 0.5, "params": 1, "epochs": 1, "train_seconds": 0.1,
           "best_epoch": 1}
    return make_record(spec, res, 1.0, {"package": "0.1.0", "commit": "abc"})


def test_summary_gap_is_per_seed_difference_in_bits():
    recs = [_rec("bidirectional", 0, s, b) for s, b in ((0, 2.0), (1, 2.2), (2, 2.4))]
    recs += [_rec("delayed", 4, s, b) for s, b in ((0, 2.1), (1, 2.2), (2, 2.6))]
    rows = mlm_summary(recs, unigram=4.5)
    d4 = next(r for r in rows if r["model"] == "d-LSTM d=4")
    # gaps per seed: +0.1, 0, +0.2 bits -> mean 0.1, s.d. 0.1
    assert d4["gap_mean"] == pytest.approx(0.1) and d4["gap_sd"] == pytest.approx(0.1)
    assert d4["bpc_mean"] == pytest.approx(2.3) and rows[1]["bpc_sd"] == pytest.approx(0.2)
    assert rows[-1]["kind"] == "baseline" and rows[-1]["bpc_mean"] == 4.5
    md = mlm_markdown(rows, recs, "quick")
    assert "| d-LSTM d=4 | 3 | 2.300 ± 0.265 | +0.100 ± 0.100 | 50.0 ± 0.0 |" in md


@pytest.mark.slow
def test_reproduce_mlm_smoke_then_resumes(tmp_path, capsys):
    from numerics.cli.main import main
    from numerics.experiments.storage import scan_runs

    out = tmp_path / "o"
    assert main(["reproduce", "mlm", "--profile", "smoke", "--out", str(out)]) == 0
    with open(out / "mlm.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == MLM_COLUMNS
    assert [r["model"] for r in rows] == ["d-LSTM d=0", "d-LSTM d=2", "bi-LSTM", "stacked LSTM ×2",
                                          "unigram (train character frequencies)"]
    assert all(0 < float(r["bpc_mean"]) < 10 for r in rows)
    assert (out / "mlm.md").is_file() and (out / "mlm_bpc.png").is_file()
    records = scan_runs(out, None)
    assert len(records) == 4
    chars = {rec["result"]["test_chars"] for _, rec in records.values()}
    assert len(chars) == 1 and 150 < chars.pop() < 250  # ~20 % of the smoke profile's 1,000 test characters
    for _, rec in records.values():
        assert set(rec["result"]["code"]) == {"package", "commit"}
    path = sorted((out / "runs").glob("mlm-*.json"))[0]
    rec = json.loads(path.read_text())
    rec["result"]["test_bpc"] = 0.5
    path.write_text(json.dumps(rec))
    capsys.readouterr()
    assert main(["reproduce", "mlm", "--profile", "smoke", "--out", str(out), "--no-plots"]) == 0
    text = capsys.readouterr().out
    assert "content hash mismatch" in text and "3 already done" in text and (out / "quarantine").is_dir()


def test_reproduce_mlm_bad_profile_and_treebank_are_one_line(tmp_path, capsys):
    from numerics.cli.main import main

    assert main(["reproduce", "mlm", "--profile", "nope", "--out", str(tmp_path / "o")]) == 2
    assert "--profile must be one of" in capsys.readouterr().err
    assert main(["reproduce", "mlm", "--profile", "smoke", "--out", str(tmp_path / "o"),
                 "--treebank", str(tmp_path / "missing")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--treebank" in err[0]


def test_plot_draws_the_delays_and_the_bidirectional_band():
    from numerics.figures.mlm import plot_mlm

    recs = [_rec("bidirectional", 0, s, 2.0 + 0.1 * s) for s in range(3)]
    recs += [_rec("delayed", d, s, 3.0 - 0.1 * d + 0.05 * s) for d in (0, 1, 2) for s in range(3)]
    ax = plot_mlm(mlm_summary(recs))
    lo, hi = ax.get_ylim()
    assert lo < 2.0 and hi > 3.1  # the bidirectional band (2.1 ± 0.1) and d = 0 (3.05 ± 0.05) are inside
    assert [int(t) for t in ax.get_xticks()] == [0, 1, 2]
    with pytest.raises(TypeError, match="rows"):
        plot_mlm("rows")


def test_whatever_lies_past_a_chunks_length_is_padding():
    chunks = np.array([[3, 4], [5, 6], [7, 8]])  # the second chunk is 1 long: 6 and 8 are past its end
    (b,) = mask_batches(chunks, np.array([3, 1]), 2, np.random.default_rng(0), mask_prob=1.0)
    assert b.ids[:, 1].tolist() == [MASK, PAD, PAD] and b.tags[:, 1].tolist() == [4, PAD, PAD]
    assert b.mask.tolist() == [[True, True], [True, False], [True, False]]
