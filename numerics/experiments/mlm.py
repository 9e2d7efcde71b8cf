"""A character-level masked language model on the text of a UD treebank: delayed LSTM against bidirectional.

The paper's reference code (``TuKo/dRNN``, ``run_mlm.py``) trains a
character-level masked language model on text8; text8 cannot be fetched
offline, so this experiment uses the text of the treebank that ships with the
package (UD English EWT v2.15, :mod:`numerics.experiments.treebank`).

* **Text.** The FORM column of each split: words joined by one space,
  sentences joined by one space too (text8 is one stream of words and
  spaces), case and punctuation kept (:func:`mlm_text`).
* **Characters.** :func:`mlm_vocabulary` takes every character of the train
  text (most frequent first) after three reserved ids: :data:`PAD` (0,
  padding, embedding held at zero), :data:`UNK` (1, a character not seen in
  train) and :data:`MASK` (2, the masked input).
* **Chunks.** Each split's text is cut into consecutive chunks of ``chunk``
  characters (:func:`chunk_ids`); the last, shorter one is padded and its
  padding counts nowhere.
* **Masking** (the reference's rule, ``experiments.py``: ``p = 0.2``): each
  real character is masked independently with probability ``mask_prob``,
  i.e. its input id becomes :data:`MASK`; the loss is the cross-entropy of
  the original character at the masked positions only
  (:func:`mask_batches`). Training draws new masks every epoch; dev and test
  masks are drawn once from a fixed seed, so every model and seed is scored on
  the same masked characters (the reference draws them anew per evaluation).
* **Model.** Exactly :class:`~numerics.train.tagger.Tagger` with characters
  as its "words" and the original characters as its "tags"; the d-LSTM reads
  ``d`` characters past the one it predicts, and zeros past the chunk's end
  (the reference appends ``d`` real characters of the next chunk instead).
* **Measure.** Bits per character (:func:`masked_bits`,
  :func:`evaluate_mlm`): mean cross-entropy in nats over the masked test
  characters, divided by ``ln 2``.

:data:`MLM_PROFILES` fixes the sizes and :func:`plan_mlm` the runs
(:class:`~numerics.experiments.specs.RunSpec` of task ``"mlm"``, stored and
resumed like every other experiment); :mod:`numerics.experiments.mlm_report`
writes the tables.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from numerics.experiments.specs import ModelSpec, RunSpec, TrainConfig, build_model
from numerics.experiments.treebank import (
    PAD,
    UNK,
    Batch,
    Sentence,
    Treebank,
    Vocabulary,
    check_sentences,
    load_treebank,
)
from numerics.train.losses import softmax_cross_entropy
from numerics.train.tagger import Tagger, train_tagger
from theory._checks import check_choice, check_count, check_type

__all__ = [
    "MASK",
    "MLM_PROFILES",
    "MlmProfile",
    "build_mlm_model",
    "check_mlm_profile",
    "chunk_ids",
    "encode_chars",
    "evaluate_mlm",
    "mask_batches",
    "masked_bits",
    "mlm_data",
    "mlm_models",
    "mlm_run",
    "mlm_text",
    "mlm_vocabulary",
    "plan_mlm",
]

#: Input id of a masked character (never a target: targets are the original characters).
MASK = 2
_SPECIALS = ("<pad>", "<unk>", "<mask>")
#: Seeds of the fixed dev and test masks (the same for every model and seed).
_EVAL_MASK_SEED = {"dev": 7001, "test": 7002}


# ----------------------------------------------------------------- text
def mlm_text(sentences: Iterable[Sentence], separator: str = " ") -> str:
    """The running text of ``sentences``: words joined by one space, sentences by ``separator``.

    Parameters
    ----------
    sentences : iterable of Sentence
    separator : str
        Between sentences (default one space, as in text8's single stream).

    Returns
    -------
    str
    """
    check_type(separator, str, "separator")
    return separator.join(" ".join(s.forms) for s in check_sentences(sentences, "sentences"))


def mlm_vocabulary(text: str) -> Vocabulary:
    """Characters of ``text`` (most frequent first, ties by code point) after ``<pad>``, ``<unk>``, ``<mask>``.

    Parameters
    ----------
    text : str
        The train text.

    Returns
    -------
    Vocabulary
        ``words[i]`` is the character of id ``i``; ids 0, 1, 2 are
        :data:`PAD`, :data:`UNK` and :data:`MASK`.
    """
    check_type(text, str, "text")
    if not text:
        raise ValueError("text must contain at least one character")
    counts = Counter(text)
    kept = sorted(counts, key=lambda c: (-counts[c], c))
    return Vocabulary((*_SPECIALS, *kept), False, 1)


def _check_vocab(vocab: Any) -> dict[str, int]:
    check_type(vocab, Vocabulary, "vocab")
    if tuple(vocab.words[:3]) != _SPECIALS:
        raise ValueError("vocab must start with <pad>, <unk>, <mask> (build it with mlm_vocabulary)")
    return {c: i for i, c in enumerate(vocab.words) if i >= 3}


def encode_chars(text: str, vocab: Vocabulary) -> np.ndarray:
    """Character ids of ``text``, shape ``(len(text),)``, int64; characters not in ``vocab`` get :data:`UNK`."""
    check_type(text, str, "text")
    ix = _check_vocab(vocab)
    return np.fromiter((ix.get(c, UNK) for c in text), dtype=np.int64, count=len(text))


def chunk_ids(ids: Any, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut a stream of ids into consecutive chunks, time-major; the last one padded with :data:`PAD`.

    Parameters
    ----------
    ids : int array, shape (N,)
        Character ids (``>= 1``), e.g. from :func:`encode_chars`.
    chunk : int
        Characters per chunk.

    Returns
    -------
    chunks : int array, shape (min(chunk, N), ceil(N / chunk))
    lengths : int array, shape (ceil(N / chunk),)
        Real characters per chunk (``chunk`` but for the last).
    """
    a = np.asarray(ids)
    if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
        raise TypeError(f"ids must be a one-dimensional integer array; got {a.dtype} of shape {a.shape}")
    if a.size and a.min() < 1:
        raise ValueError(f"ids must be character ids >= 1 (0 is padding); got a minimum of {a.min()}")
    chunk = check_count(chunk, "chunk")
    n = -(-a.size // chunk)
    T = min(chunk, a.size)  # a text shorter than one chunk is one chunk of its own length
    flat = np.full(n * T, PAD, dtype=np.int64)
    flat[:a.size] = a
    lengths = np.full(n, T, dtype=np.int64)
    if n:
        lengths[-1] = a.size - (n - 1) * T
    return np.ascontiguousarray(flat.reshape(n, T).T), lengths


def mask_batches(chunks: Any, lengths: Any, batch_size: int, rng: np.random.Generator, *, mask_prob: float = 0.2,
                 order: Any = None) -> list[Batch]:
    """Masked batches of chunks: inputs with masked characters replaced by :data:`MASK`, targets the originals.

    Every real character (position ``t < lengths[b]``) is masked with
    probability ``mask_prob``, independently, by one uniform draw per position
    of ``chunks`` from ``rng`` (padding draws too, so the masks of real
    characters do not depend on the padding).

    Parameters
    ----------
    chunks : int array, shape (T, N)
        From :func:`chunk_ids`.
    lengths : int array, shape (N,)
    batch_size : int
    rng : numpy.random.Generator
    mask_prob : float
        In ``(0, 1]``.
    order : int array, shape (N,), optional
        Permutation of the chunks (default: as given).

    Returns
    -------
    list of Batch
        ``ids`` (T, B) masked inputs, ``tags`` (T, B) original characters
        (:data:`PAD` at padding), ``mask`` (T, B) True exactly at masked real
        characters, ``lengths`` (B,).
    """
    c = np.asarray(chunks)
    if c.ndim != 2 or not np.issubdtype(c.dtype, np.integer):
        raise TypeError(f"chunks must be a (T, N) integer array; got {c.dtype} of shape {c.shape}")
    n_len = np.asarray(lengths)
    if n_len.shape != (c.shape[1],) or not np.issubdtype(n_len.dtype, np.integer):
        raise ValueError(f"lengths must be an integer array of shape ({c.shape[1]},); got {n_len.dtype} "
                         f"of shape {n_len.shape}")
    if n_len.size and (n_len.min() < 1 or n_len.max() > c.shape[0]):
        raise ValueError(f"lengths must lie in 1 … {c.shape[0]}")
    batch_size = check_count(batch_size, "batch_size")
    check_type(rng, np.random.Generator, "rng")
    if isinstance(mask_prob, bool) or not isinstance(mask_prob, (int, float)) or not 0 < mask_prob <= 1:
        raise ValueError(f"mask_prob must be a number in (0, 1]; got {mask_prob!r}")
    n = c.shape[1]
    idx = np.arange(n) if order is None else np.asarray(order)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer) or sorted(idx.tolist()) != list(range(n)):
        raise ValueError(f"order must be a permutation of range({n})")
    real = np.arange(c.shape[0])[:, None] < n_len[None, :]
    masked = (rng.random(c.shape) < mask_prob) & real
    inputs = np.where(masked, MASK, np.where(real, c, PAD)).astype(np.int64)
    targets = np.where(real, c, PAD).astype(np.int64)
    out = []
    for start in range(0, n, batch_size):
        cols = idx[start:start + batch_size]
        T = int(n_len[cols].max())
        out.append(Batch(inputs[:T, cols], targets[:T, cols], masked[:T, cols], n_len[cols].astype(np.int64)))
    return out


# ------------------------------------------------------------- measure
def masked_bits(logits: Any, targets: Any, mask: Any) -> tuple[float, int]:
    """Total bits of the targets at the masked positions under ``softmax(logits)``, and how many there are.

    Computed from :func:`~numerics.train.losses.softmax_cross_entropy` (the
    training loss): its mean in nats times the count, divided by ``ln 2``.

    Parameters
    ----------
    logits : ndarray, shape (T, B, V)
    targets : int array, shape (T, B)
    mask : bool array, shape (T, B)

    Returns
    -------
    bits : float
    count : int
    """
    if mask is None:
        raise TypeError("mask must be a bool array of shape (T, B) marking the masked characters; got None")
    mean, _ = softmax_cross_entropy(logits, targets, mask)
    count = int(np.asarray(mask).sum())
    return mean * count / math.log(2), count


def evaluate_mlm(model: Tagger, batches: Iterable[Batch]) -> dict[str, Any]:
    """Bits per character and accuracy over the masked characters of ``batches``.

    Returns
    -------
    dict
        ``bpc`` (bits per masked character), ``loss`` (mean cross-entropy in
        nats, ``bpc · ln 2``), ``accuracy`` (argmax right), ``chars`` (masked
        characters counted).
    """
    check_type(model, Tagger, "model")
    if isinstance(batches, (str, bytes, np.ndarray)) or not isinstance(batches, Iterable):
        raise TypeError(f"batches must be an iterable of Batch (mask_batches); got {type(batches).__name__}")
    bits, count, hits = 0.0, 0, 0
    for b in batches:
        check_type(b, Batch, "batches item")
        logits = model(b.ids, b.lengths)
        s, n = masked_bits(logits, b.tags, b.mask)
        bits += s
        count += n
        hits += int(((logits.argmax(axis=-1) == b.tags) & b.mask).sum())
    bpc = bits / count if count else float("nan")
    return {"bpc": bpc, "loss": bpc * math.log(2), "accuracy": hits / count if count else float("nan"),
            "chars": count}


# ------------------------------------------------------------- profiles
@dataclass(frozen=True)
class MlmProfile:
    """Sizes of one reproduction of the masked-language-model experiment.

    Attributes
    ----------
    name : str
    train_chars, dev_chars, test_chars : int or None
        First ``n`` characters of each split's text (``None``: all of it).
    chunk : int
        Characters per training / evaluation chunk.
    width : int
        Units of every LSTM (per direction for the bidirectional one); equal widths, as in the reference.
    embedding : int
        Character-embedding width.
    delays : tuple of int
    train : TrainConfig
        ``epochs``, ``batch_size``, ``lr``, ``clip``; every epoch runs, the best dev epoch (bits) is kept.
    seeds : tuple of int
    mask_prob : float
    notes : str
    """

    name: str
    train_chars: int | None
    dev_chars: int | None
    test_chars: int | None
    chunk: int
    width: int
    embedding: int
    delays: tuple[int, ...]
    train: TrainConfig
    seeds: tuple[int, ...] = (0, 1, 2)
    mask_prob: float = 0.2
    notes: str = ""


MLM_PROFILES: dict[str, MlmProfile] = {
    # The reference's run_mlm.py defaults on text8 (1024 units, 10-dim embedding, batch 128, 180 characters,
    # lr 1e-3, clip 1, 20 epochs); here on all of EWT. Never run: cost estimate in docs/experiments.md.
    "paper": MlmProfile("paper", None, None, None, 180, 1024, 10, (0, 1, 2, 4, 8),
                        TrainConfig(epochs=20, batch_size=128, lr=1e-3, clip=1.0, patience=20),
                        notes="reference sizes (run_mlm.py on text8): LSTM 1024 units, 10-dim character embedding, "
                              "batch 128, chunks of 180 characters, lr 1e-3, clip 1, 20 epochs; here all of EWT"),
    "standard": MlmProfile("standard", None, None, None, 150, 128, 16, (0, 1, 2, 4, 8),
                           TrainConfig(epochs=6, batch_size=32, lr=1e-2, clip=1.0, patience=6),
                           notes="all of the EWT text (1.04 M train characters), LSTMs of width 128, 16-dim "
                                 "character embedding, chunks of 150, 6 epochs at lr 1e-2, 3 seeds"),
    # Batch 16 at lr 1e-2: at batch 32 / lr 2e-2 the stacked LSTM stayed at the unigram level for all 7 epochs
    # (4.69 bits against 4.66 for the character frequencies; 3.85 after 7 epochs at batch 16 / lr 1e-2).
    "quick": MlmProfile("quick", 200_000, 30_000, None, 150, 64, 16, (0, 1, 2, 4, 8),
                        TrainConfig(epochs=7, batch_size=16, lr=1e-2, clip=1.0, patience=7),
                        notes="first 200,000 characters of the EWT train text, first 30,000 of dev, all of test; "
                              "LSTMs of width 64, 16-dim character embedding, chunks of 150, batch 16, 7 epochs at "
                              "lr 1e-2, 3 seeds"),
    "smoke": MlmProfile("smoke", 3000, 600, 1000, 50, 8, 4, (0, 2),
                        TrainConfig(epochs=1, batch_size=16, lr=1e-2, clip=1.0, patience=1), seeds=(0,),
                        notes="tiny sizes for tests"),
}


def check_mlm_profile(name: str) -> MlmProfile:
    """The profile called ``name`` (ValueError naming the choices otherwise)."""
    return MLM_PROFILES[check_choice(name, tuple(MLM_PROFILES), "name")]


def mlm_models(profile: MlmProfile) -> list[ModelSpec]:
    """d-LSTM for each delay, the bidirectional LSTM, the 2-layer stacked LSTM; all of ``profile.width``."""
    check_type(profile, MlmProfile, "profile")
    w = profile.width
    return ([ModelSpec("delayed", "lstm", w, 1, d) for d in profile.delays]
            + [ModelSpec("bidirectional", "lstm", w, 1), ModelSpec("stacked", "lstm", w, 2)])


def plan_mlm(profile: MlmProfile, treebank: str | None = None) -> list[RunSpec]:
    """Every run of ``profile`` (seed-major), on the bundled EWT extract's text or the treebank directory given."""
    check_type(profile, MlmProfile, "profile")
    if treebank is not None and not isinstance(treebank, str):
        raise TypeError(f"treebank must be a directory path (str) or None; got {type(treebank).__name__}")
    tp: dict[str, Any] = {"treebank": treebank or "bundled:ud_english_ewt-2.15", "separator": " ",
                          "train_chars": profile.train_chars, "dev_chars": profile.dev_chars,
                          "test_chars": profile.test_chars, "chunk": profile.chunk, "embedding": profile.embedding,
                          "mask_prob": profile.mask_prob, "eval_mask_seeds": dict(_EVAL_MASK_SEED)}
    return [RunSpec("mlm", dict(tp), m, s, profile.train) for s in profile.seeds for m in mlm_models(profile)]


# ------------------------------------------------------------------ runs
@lru_cache(maxsize=2)
def _treebank(source: str) -> Treebank:
    return load_treebank(None if source.startswith("bundled:") else source)


def mlm_data(task_params: dict[str, Any]) -> dict[str, Any]:
    """The vocabulary and each split's chunks of an ``mlm`` run.

    Returns
    -------
    dict
        ``vocab`` (Vocabulary from the train text used) and, for ``train``,
        ``dev``, ``test``, a pair ``(chunks (T, N), lengths (N,))``.
    """
    check_type(task_params, dict, "task_params")
    tb = _treebank(str(task_params["treebank"]))
    sep = str(task_params.get("separator", " "))
    chunk = int(task_params["chunk"])

    def text(split: str) -> str:
        t = mlm_text(getattr(tb, split), sep)
        n = task_params.get(f"{split}_chars")
        return t if n is None else t[:int(n)]

    train = text("train")
    vocab = mlm_vocabulary(train)
    out: dict[str, Any] = {"vocab": vocab}
    for split, t in (("train", train), ("dev", text("dev")), ("test", text("test"))):
        out[split] = chunk_ids(encode_chars(t, vocab), chunk)
    return out


def build_mlm_model(spec: RunSpec, vocab: Vocabulary) -> Tagger:
    """The randomly initialised :class:`Tagger` of an ``mlm`` run: characters in, characters out."""
    check_type(spec, RunSpec, "spec")
    check_type(vocab, Vocabulary, "vocab")
    if spec.model is None:
        raise ValueError("spec must have a model")
    dt = np.dtype(spec.dtype)
    e = int(spec.task_params["embedding"])
    body = build_model(spec.model, e, seed=spec.seed, dtype=dt)
    return Tagger.random(body, len(vocab), e, len(vocab), seed=10_000 + spec.seed)


def _eval_batches(data: dict[str, Any], split: str, tp: dict[str, Any]) -> list[Batch]:
    chunks, lengths = data[split]
    seed = int(tp.get("eval_mask_seeds", _EVAL_MASK_SEED)[split])
    return mask_batches(chunks, lengths, 128, np.random.default_rng(seed), mask_prob=float(tp["mask_prob"]))


def mlm_run(spec: RunSpec) -> dict[str, Any]:
    """Train and test one masked language model; the result of an ``mlm`` :class:`RunSpec`.

    Returns
    -------
    dict
        ``test_bpc`` (bits per masked test character), ``test_chars`` (masked
        test characters counted), ``test_accuracy``, ``dev_bpc``, ``params``,
        ``vocabulary``, ``epochs``, ``best_epoch`` (lowest dev bits),
        ``train_seconds``, ``engine`` (the schedule the body ran), ``history``.
    """
    check_type(spec, RunSpec, "spec")
    if spec.task != "mlm" or spec.model is None or spec.train is None:
        raise ValueError(f"mlm_run needs an mlm spec with a model and a training config; got {spec}")
    tp = spec.task_params
    data = mlm_data(tp)
    model = build_mlm_model(spec, data["vocab"])
    cfg = spec.train
    val = _eval_batches(data, "dev", tp)
    test = _eval_batches(data, "test", tp)
    chunks, lengths = data["train"]

    def make_epoch(rng: np.random.Generator) -> list[Batch]:
        return mask_batches(chunks, lengths, cfg.batch_size, rng, mask_prob=float(tp["mask_prob"]),
                            order=rng.permutation(chunks.shape[1]))

    t0 = time.perf_counter()
    model, history, best_epoch = train_tagger(model, make_epoch, val=val, epochs=cfg.epochs, lr=cfg.lr,
                                              clip=cfg.clip, seed=spec.seed, select="loss")
    seconds = time.perf_counter() - t0
    ev = evaluate_mlm(model, test)
    engine = (model.body.engine(batch=cfg.batch_size, steps=int(chunks.shape[0]))
              if hasattr(model.body, "engine") else "layer")
    return {
        "test_bpc": float(ev["bpc"]), "test_chars": int(ev["chars"]), "test_accuracy": float(ev["accuracy"]),
        "dev_bpc": float(history[best_epoch - 1]["val_loss"] / math.log(2)),
        "params": model.parameter_count(), "vocabulary": len(data["vocab"]), "epochs": len(history),
        "best_epoch": best_epoch, "train_seconds": seconds, "engine": engine,
        "history": [{k: round(float(v), 6) for k, v in h.items()} for h in history],
    }
