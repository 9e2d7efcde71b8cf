"""The paper's language experiment: part-of-speech tagging on a UD treebank, delayed LSTM against bidirectional.

One run (:func:`pos_run`) trains a :class:`~numerics.train.tagger.Tagger`
— word embedding, a recurrent body, softmax read-out over the 17 UPOS tags
— on the train split, keeps the epoch with the best dev accuracy, and counts
correctly tagged words over the whole test split (UD English EWT: 25,094
words). The bodies (:func:`pos_models`) are the d-LSTM for each delay, the
bidirectional LSTM and a 2-layer stacked LSTM, all of **equal width**: the
reference code (``run_pos.py``) compares the delayed and the bidirectional
word layer at the same number of units, and the paper's cost argument is
about equal-width networks (a bidirectional layer then has twice the
recurrent parameters and twice the work of a d-LSTM).

:data:`POS_PROFILES` fixes the sizes, :func:`plan_pos` the runs (3 seeds per
model outside ``smoke``); the runs are :class:`~numerics.experiments.specs.RunSpec`
of task ``"pos"``, stored and resumed like every other experiment.
:func:`majority_baseline` is the per-word majority-tag baseline from train,
:func:`measure_cost` the inference and training throughput of the networks in
one process.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from numerics.experiments.specs import ModelSpec, RunSpec, TrainConfig, build_model
from numerics.experiments.treebank import (
    UPOS_TAGS,
    Batch,
    Sentence,
    Treebank,
    Vocabulary,
    char_vocabulary,
    check_sentences,
    load_treebank,
    majority_tags,
    make_batches,
)
from numerics.train.tagger import CharEncoder, Tagger, evaluate_tagger, train_tagger
from theory._checks import check_choice, check_count, check_type

__all__ = [
    "POS_PROFILES",
    "PosProfile",
    "bucketed_batches",
    "build_tagger",
    "check_profile",
    "latency_steps",
    "majority_baseline",
    "measure_cost",
    "plan_pos",
    "pos_data",
    "pos_models",
    "pos_run",
    "unpack_correct",
]


@dataclass(frozen=True)
class PosProfile:
    """Sizes of one reproduction of the tagging experiment.

    Attributes
    ----------
    name : str
    train_sentences : int or None
        First ``n`` sentences of train (``None``: all); dev and test are always whole.
    width : int
        Units of every word-level LSTM (per direction for the bidirectional one).
    embedding : int
        Word-embedding width.
    delays : tuple of int
    train : TrainConfig
        ``epochs``, ``batch_size``, ``lr``, ``clip``; ``patience`` is not used
        (every epoch runs; the best dev epoch is kept).
    seeds : tuple of int
    char_width, char_embedding : int
        Character-level word encoder (0: none, the word-level configuration).
    dev_sentences, test_sentences : int or None
        Only for ``smoke``: first ``n`` sentences (``None``: whole split).
    embedding_scale : float
        Word embeddings start ``N(0, scale²)``; 1 is PyTorch's default (the reference). At the reduced
        budgets 0.1 is used: with Adam a rare word's row moves about ``lr`` per update, so ``N(0, 1)`` rows
        of words seen a few times stay mostly random (measured on the quick sizes, 3 epochs at lr 1e-2: dev
        accuracy d = 0 84.1 % -> 84.9 %, d = 3 68.2 % -> 77.4 %).
    """

    name: str
    train_sentences: int | None
    width: int
    embedding: int
    delays: tuple[int, ...]
    train: TrainConfig
    seeds: tuple[int, ...] = (0, 1, 2)
    char_width: int = 0
    char_embedding: int = 0
    dev_sentences: int | None = None
    test_sentences: int | None = None
    embedding_scale: float = 1.0
    notes: str = ""


POS_PROFILES: dict[str, PosProfile] = {
    # The reference code's word-level sizes (run_pos.py defaults): never run here; estimated cost in
    # docs/experiments.md (one seed of one d-LSTM: about 20 epochs x 6 minutes on one core at width 300).
    "paper": PosProfile("paper", None, 300, 64, (0, 1, 2, 3, 4),
                        TrainConfig(epochs=20, batch_size=32, lr=1e-3, clip=5.0, patience=20),
                        char_width=200, char_embedding=100,
                        notes="reference sizes: word LSTM 300 units / 64-dim embeddings, char LSTM 200 units / "
                              "100-dim embeddings, batch 32, lr 1e-3, 20 epochs, all of EWT, 3 seeds"),
    "standard": PosProfile("standard", None, 128, 64, (0, 1, 2, 3, 4),
                           TrainConfig(epochs=8, batch_size=32, lr=5e-3, clip=5.0, patience=8), embedding_scale=0.1,
                           notes="all of EWT (12,544 train sentences), word-level LSTMs of width 128, 64-dim "
                                 "embeddings (init N(0, 0.1²)), 8 epochs at lr 5e-3, 3 seeds; no character encoder"),
    "quick": PosProfile("quick", 5000, 64, 64, (0, 1, 2, 3, 4),
                        TrainConfig(epochs=8, batch_size=32, lr=1e-2, clip=5.0, patience=8), embedding_scale=0.1,
                        notes="first 5,000 EWT train sentences, whole dev and test; word-level LSTMs of width 64, "
                              "64-dim embeddings (init N(0, 0.1²)), 8 epochs at lr 1e-2, 3 seeds; no character "
                              "encoder"),
    "smoke": PosProfile("smoke", 60, 8, 8, (0, 2), TrainConfig(epochs=1, batch_size=16, lr=1e-2, clip=5.0,
                                                                 patience=1),
                        seeds=(0,), char_width=4, char_embedding=4, dev_sentences=20, test_sentences=40,
                        notes="tiny sizes for tests"),
}


def pos_models(profile: PosProfile) -> list[ModelSpec]:
    """d-LSTM for each delay, the bidirectional LSTM, the 2-layer stacked LSTM; all of ``profile.width``."""
    check_type(profile, PosProfile, "profile")
    w = profile.width
    return ([ModelSpec("delayed", "lstm", w, 1, d) for d in profile.delays]
            + [ModelSpec("bidirectional", "lstm", w, 1), ModelSpec("stacked", "lstm", w, 2)])


def plan_pos(profile: PosProfile, treebank: str | None = None) -> list[RunSpec]:
    """Every run of ``profile`` (seed-major), on the bundled EWT extract or the treebank directory given."""
    check_type(profile, PosProfile, "profile")
    if treebank is not None and not isinstance(treebank, str):
        raise TypeError(f"treebank must be a directory path (str) or None; got {type(treebank).__name__}")
    tp: dict[str, Any] = {"treebank": treebank or "bundled:ud_english_ewt-2.15",
                          "train_sentences": profile.train_sentences, "dev_sentences": profile.dev_sentences,
                          "test_sentences": profile.test_sentences, "embedding": profile.embedding,
                          "char_width": profile.char_width, "char_embedding": profile.char_embedding,
                          "min_count": 2, "lower": False, "embedding_scale": profile.embedding_scale}
    return [RunSpec("pos", dict(tp), m, s, profile.train) for s in profile.seeds for m in pos_models(profile)]


# ---------------------------------------------------------------- data
@lru_cache(maxsize=2)
def _treebank(source: str) -> Treebank:
    return load_treebank(None if source.startswith("bundled:") else source)


def pos_data(task_params: dict[str, Any]) -> tuple[list[Sentence], list[Sentence], list[Sentence], Vocabulary,
                                                   Vocabulary | None]:
    """Train, dev, test sentences, the word vocabulary (from the train part used) and the character vocabulary."""
    tb = _treebank(str(task_params["treebank"]))

    def cut(s: list[Sentence], n: Any) -> list[Sentence]:
        return s if n is None else s[:int(n)]

    train = cut(tb.train, task_params.get("train_sentences"))
    dev = cut(tb.dev, task_params.get("dev_sentences"))
    test = cut(tb.test, task_params.get("test_sentences"))
    vocab = Vocabulary.build(train, min_count=int(task_params.get("min_count", 2)),
                             lower=bool(task_params.get("lower", False)))
    chars = char_vocabulary(train) if int(task_params.get("char_width", 0)) else None
    return train, dev, test, vocab, chars


def bucketed_batches(sentences: list[Sentence], vocab: Vocabulary, batch_size: int, rng: np.random.Generator,
                     chars: Vocabulary | None = None, pool: int = 20) -> list[Batch]:
    """Shuffled batches of sentences of similar length (less padding, hence less work).

    The sentences are shuffled, cut into pools of ``pool · batch_size``,
    sorted by length within each pool and batched; the batches are shuffled.
    """
    sentences = check_sentences(sentences, "sentences")
    batch_size = check_count(batch_size, "batch_size")
    pool = check_count(pool, "pool")
    check_type(rng, np.random.Generator, "rng")
    order = rng.permutation(len(sentences))
    step = pool * batch_size
    lens = np.array([len(s) for s in sentences])
    parts = [o[np.argsort(lens[o], kind="stable")] for o in (order[i:i + step] for i in range(0, len(order), step))]
    order = np.concatenate(parts) if parts else order
    batches = make_batches(sentences, vocab, batch_size, order=order, chars=chars)
    return [batches[i] for i in rng.permutation(len(batches))]


def _eval_batches(sentences: list[Sentence], vocab: Vocabulary, chars: Vocabulary | None) -> tuple[list[Batch],
                                                                                                   np.ndarray]:
    order = np.argsort([len(s) for s in sentences], kind="stable")
    return make_batches(sentences, vocab, 128, order=order, chars=chars), order


def build_tagger(spec: RunSpec, vocab: Vocabulary, chars: Vocabulary | None) -> Tagger:
    """The randomly initialised tagger of a ``pos`` run (float32 unless the spec says float64)."""
    tp = spec.task_params
    dt = np.dtype(spec.dtype)
    enc = None
    n_in = int(tp["embedding"])
    if chars is not None and int(tp.get("char_width", 0)):
        enc = CharEncoder.random(len(chars), int(tp["char_embedding"]), int(tp["char_width"]),
                                 seed=20_000 + spec.seed, dtype=dt)
        n_in += enc.output_size
    assert spec.model is not None
    body = build_model(spec.model, n_in, seed=spec.seed, dtype=dt)
    return Tagger.random(body, len(vocab), int(tp["embedding"]), len(UPOS_TAGS), seed=10_000 + spec.seed, chars=enc,
                         embedding_scale=float(tp.get("embedding_scale", 1.0)))


def _pack(correct: np.ndarray) -> str:
    return base64.b64encode(np.packbits(correct.astype(np.uint8)).tobytes()).decode()


def unpack_correct(text: str, words: int) -> np.ndarray:
    """The per-word correctness stored in a record (``test_correct``), in test-file order, as a bool array."""
    check_type(text, str, "text")
    words = check_count(words, "words", minimum=0)
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as exc:  # binascii.Error
        raise ValueError(f"text must be base64 (a record's test_correct); {exc}") from None
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8))
    if bits.size < words or bits.size >= words + 8 + (words == 0) * 0:
        if not words <= bits.size < words + 8:
            raise ValueError(f"text holds {bits.size} bits; words={words} needs {words} to {words + 7}")
    return bits[:words].astype(bool)


def pos_run(spec: RunSpec) -> dict[str, Any]:
    """Train and test one tagger; the result of a ``pos`` :class:`RunSpec`.

    Returns
    -------
    dict
        ``test_accuracy`` (fraction of all test words), ``test_words``,
        ``dev_accuracy``, ``params``, ``epochs``, ``best_epoch``,
        ``train_seconds``, ``history``, ``engine`` (the schedule the body ran,
        at the run's batch size and mean padded length), ``test_correct``
        (per-word hits in test-file order, packed; :func:`unpack_correct`).
    """
    if spec.task != "pos" or spec.model is None or spec.train is None:
        raise ValueError(f"pos_run needs a pos spec with a model and a training config; got {spec}")
    train, dev, test, vocab, chars = pos_data(spec.task_params)
    model = build_tagger(spec, vocab, chars)
    cfg = spec.train
    val, _ = _eval_batches(dev, vocab, chars)
    test_b, order = _eval_batches(test, vocab, chars)
    t0 = time.perf_counter()
    epoch_shapes: list[tuple[int, int]] = []

    def make_epoch(rng: np.random.Generator) -> list[Batch]:
        b = bucketed_batches(train, vocab, cfg.batch_size, rng, chars)
        epoch_shapes.extend(x.ids.shape for x in b)
        return b

    model, history, best_epoch = train_tagger(model, make_epoch, val=val, epochs=cfg.epochs, lr=cfg.lr,
                                              clip=cfg.clip, seed=spec.seed)
    seconds = time.perf_counter() - t0
    ev = evaluate_tagger(model, test_b)
    correct = np.zeros(len(test), dtype=object)
    for b, p, start in zip(test_b, ev["predictions"], range(0, len(test), 128)):
        for j in range(b.ids.shape[1]):
            n = int(b.lengths[j])
            correct[order[start + j]] = (p[:n, j] == b.tags[:n, j])
    flat = np.concatenate(list(correct)) if len(test) else np.zeros(0, bool)
    steps = round(np.mean([s[0] for s in epoch_shapes])) if epoch_shapes else 1
    batch = round(np.mean([s[1] for s in epoch_shapes])) if epoch_shapes else 1
    engine = model.body.engine(batch=batch, steps=steps) if hasattr(model.body, "engine") else "layer"
    return {
        "test_accuracy": float(ev["accuracy"]), "test_words": int(ev["words"]), "test_loss": float(ev["loss"]),
        "dev_accuracy": float(history[best_epoch - 1].get("val_accuracy", float("nan"))),
        "params": model.parameter_count(), "vocabulary": len(vocab), "epochs": len(history),
        "best_epoch": best_epoch, "train_seconds": seconds, "engine": engine,
        "engine_batch": batch, "engine_steps": steps,
        "history": [{k: round(float(v), 6) for k, v in h.items()} for h in history],
        "test_correct": _pack(flat),
    }


# ----------------------------------------------------------- baseline, cost
def majority_baseline(train: list[Sentence], test: list[Sentence]) -> dict[str, float]:
    """Accuracy on ``test`` of tagging each word with its most frequent train tag (unseen words: the overall one)."""
    per, overall = majority_tags(train)
    test = check_sentences(test, "test")
    words = sum(len(s) for s in test)
    if not words:
        raise ValueError("test must contain at least one word")
    hits = sum(per.get(f, overall) == t for s in test for f, t in zip(s.forms, s.tags))
    return {"accuracy": hits / words, "words": words, "fallback_tag": overall}


def latency_steps(model: ModelSpec, lengths: Sequence[int]) -> float:
    """Words a tagger must read past a word before it can tag it, averaged over the words of sentences of ``lengths``.

    ``d`` for a d-LSTM, 0 for the stacked LSTM, and for the bidirectional
    LSTM the rest of the sentence: ``n − 1 − t`` for word ``t`` of a sentence
    of ``n`` words, i.e. ``Σ n(n−1)/2 / Σ n`` over the sentences.
    """
    check_type(model, ModelSpec, "model")
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, Sequence) or not lengths or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) and 1 <= n < 10**9 for n in lengths):
        raise ValueError("lengths must be a non-empty sequence of sentence lengths (ints >= 1)")
    if model.kind == "delayed":
        return float(model.delay)
    if model.kind == "stacked":
        return 0.0
    n = np.asarray(lengths, dtype=float)
    return float((n * (n - 1) / 2).sum() / n.sum())


def measure_cost(specs: list[RunSpec], *, batches: int = 20, repeats: int = 3) -> list[dict[str, Any]]:
    """Inference and training throughput (words/s) of each spec's tagger, measured in this process.

    Every repeat runs every model on the same ``batches`` training batches in
    turn (so load changes hit them alike); the reported rate is the median
    over repeats. Rates are of untrained networks: cost does not depend on
    the weights.
    """
    check_count(batches, "batches")
    check_count(repeats, "repeats")
    if not specs:
        return []
    train, _, test, vocab, chars = pos_data(specs[0].task_params)
    rng = np.random.default_rng(0)
    bs = bucketed_batches(train, vocab, specs[0].train.batch_size if specs[0].train else 32, rng, chars)[:batches]
    words = sum(b.words for b in bs)
    models = [build_tagger(s, vocab, chars) for s in specs]
    inf: list[list[float]] = [[] for _ in specs]
    trn: list[list[float]] = [[] for _ in specs]
    for m in models:  # warm-up
        _, c = m.forward(bs[0].ids, bs[0].lengths, bs[0].chars, bs[0].char_lengths)
    for _ in range(repeats):
        for i, m in enumerate(models):
            t0 = time.perf_counter()
            for b in bs:
                m(b.ids, b.lengths, b.chars, b.char_lengths)
            inf[i].append(words / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            for b in bs:
                y, c = m.forward(b.ids, b.lengths, b.chars, b.char_lengths)
                m.backward(c, np.ones_like(y) / b.words)
            trn[i].append(words / (time.perf_counter() - t0))
    lengths = [len(s) for s in test]
    out = []
    for s, i_r, t_r in zip(specs, inf, trn):
        assert s.model is not None
        out.append({"model": s.model.label, "kind": s.model.kind, "delay": s.model.delay,
                    "inference_words_per_s": float(np.median(i_r)), "training_words_per_s": float(np.median(t_r)),
                    "latency_steps": latency_steps(s.model, lengths)})
    return out


def check_profile(name: str) -> PosProfile:
    """The profile called ``name`` (ValueError naming the choices otherwise)."""
    return POS_PROFILES[check_choice(name, tuple(POS_PROFILES), "name")]
