"""Sequence tagging in NumPy: word embedding, character-level word encoder, a recurrent body, softmax read-out.

The pieces of the paper's part-of-speech tagger (reference code
``TuKo/dRNN``), each with a forward and a backward pass:

* :class:`Embedding` — ``nn.Embedding`` with ``padding_idx=0``: the padding
  row is held at zero and gets no gradient.
* :class:`CharEncoder` — a character embedding and a one-layer LSTM
  (:class:`~numerics.models.StackedRNN`) run over the characters of each
  word; the word's vector is the LSTM's state after its last character.
* :class:`Tagger` — word embedding (and optionally the character encoder),
  a recurrent body (a :class:`~numerics.models.DelayedRNN`, a
  :class:`~numerics.models.StackedRNN` or a one-layer
  :class:`~numerics.models.BidirectionalRNN`) and a linear read-out whose
  softmax is trained with :func:`~numerics.train.losses.softmax_cross_entropy`.

Padding is exact: a batch's padded positions add nothing to the loss and
nothing to any gradient, so a padded batch gives the parameter gradient of
its sentences run one by one. The embedding of padding is zero, which is
also what a delayed network reads past a sentence's end (its ``d`` padding
zeros); the backward direction of a bidirectional body reads each sentence
reversed within its own length, so it starts at the sentence's last word,
not at the batch's padding.

:func:`train_tagger` runs Adam with gradient clipping over shuffled,
length-bucketed batches and keeps the epoch with the best validation
accuracy; :func:`evaluate_tagger` counts correct tags over real words.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from numerics._validate import as_float_array, check_seed
from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics.train.losses import softmax_cross_entropy
from numerics.train.optim import Adam, clip_grad_norm
from numerics.train.readout import load_state_dict
from theory._checks import check_allocation, check_choice, check_count, check_type

__all__ = ["CharEncoder", "Embedding", "Tagger", "TaggerCache", "evaluate_tagger", "train_tagger"]


def _ids(ids: Any, name: str, vocab: int, ndim: int) -> np.ndarray:
    a = np.asarray(ids)
    if a.ndim != ndim or not np.issubdtype(a.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array with {ndim} dimensions; got {a.dtype} of shape {a.shape}")
    if a.size and (a.min() < 0 or a.max() >= vocab):
        raise ValueError(f"{name} must hold ids in 0 … {vocab - 1}; got {a.min()} … {a.max()}")
    return a


# ----------------------------------------------------------------- embedding
@dataclass(frozen=True)
class Embedding:
    """Lookup table ``(num_embeddings, dim)``; row 0 is padding, held at zero (``nn.Embedding(padding_idx=0)``).

    Attributes
    ----------
    weight : ndarray, shape (V, E)
    """

    weight: np.ndarray

    def __post_init__(self) -> None:
        if not isinstance(self.weight, np.ndarray) or self.weight.ndim != 2 or self.weight.shape[0] < 1:
            raise ValueError(f"weight must be an ndarray of shape (V >= 1, E); got "
                             f"{getattr(self.weight, 'shape', type(self.weight).__name__)}")
        if self.weight.dtype not in (np.float32, np.float64):
            raise TypeError(f"weight must be float32 or float64; got {self.weight.dtype}")

    @classmethod
    def random(cls, num_embeddings: int, dim: int, *, seed: int | np.random.Generator | None = 0,
               dtype: Any = np.float64, scale: float = 1.0) -> Embedding:
        """``N(0, scale²)`` entries (``scale = 1``: PyTorch's initialisation), padding row zero."""
        V = check_count(num_embeddings, "num_embeddings")
        E = check_count(dim, "dim")
        if isinstance(scale, bool) or not (isinstance(scale, (int, float)) and 0 < scale < math.inf):
            raise ValueError(f"scale must be a positive number; got {scale!r}")
        check_allocation(V * E, np.dtype(dtype).itemsize, "num_embeddings × dim")
        w = (scale * np.random.default_rng(check_seed(seed)).standard_normal((V, E))).astype(dtype)
        w[0] = 0
        return cls(w)

    @property
    def dim(self) -> int:
        return int(self.weight.shape[1])

    def forward(self, ids: Any) -> np.ndarray:
        """Rows of ``weight`` for integer ``ids`` of any shape ``S``: shape ``S + (E,)``; padding gives zeros."""
        a = _ids(ids, "ids", self.weight.shape[0], np.ndim(ids))
        out = self.weight[a]
        out[a == 0] = 0  # whatever row 0 holds, padding reads zeros
        return out

    def backward(self, ids: Any, dy: Any) -> Embedding:
        """Gradient of ``weight`` (an :class:`Embedding`): rows summed over occurrences, padding row zero."""
        a = _ids(ids, "ids", self.weight.shape[0], np.ndim(ids))
        g = as_float_array(dy, "dy", self.weight.dtype)
        if g.shape != (*a.shape, self.dim):
            raise ValueError(f"dy must have shape ids.shape + (dim,) = {(*a.shape, self.dim)}; got {g.shape}")
        dw = np.zeros_like(self.weight)
        np.add.at(dw, a.reshape(-1), g.reshape(-1, self.dim))
        dw[0] = 0
        return Embedding(dw)


# ----------------------------------------------------------- char encoder
@dataclass(frozen=True)
class CharEncoderCache:
    chars: np.ndarray
    rows: np.ndarray
    last: np.ndarray
    rnn: Any
    shape: tuple[int, int]


@dataclass(frozen=True)
class CharEncoder:
    """A word's vector from its characters: char embedding, one-layer LSTM, state after the last character.

    Attributes
    ----------
    embedding : Embedding
        Character ids (0 padding, 1 unknown).
    rnn : StackedRNN
        One LSTM layer, input ``embedding.dim``.
    """

    embedding: Embedding
    rnn: StackedRNN

    def __post_init__(self) -> None:
        check_type(self.embedding, Embedding, "embedding")
        check_type(self.rnn, StackedRNN, "rnn")
        if self.rnn.input_size != self.embedding.dim:
            raise ValueError(f"rnn.input_size ({self.rnn.input_size}) must equal embedding.dim ({self.embedding.dim})")

    @classmethod
    def random(cls, num_chars: int, dim: int, width: int, *, seed: int = 0, dtype: Any = np.float64) -> CharEncoder:
        """PyTorch-style initialisation of both parts."""
        check_count(num_chars, "num_chars")
        check_count(dim, "dim")
        check_seed(seed)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int; got {type(seed).__name__}")
        try:
            rnn = StackedRNN.random(dim, [check_count(width, "width")], cell="lstm", dtype=dtype, seed=seed + 1)
        except ValueError as exc:
            raise ValueError(f"width ({width}) or dim ({dim}): {exc}") from None
        # Checked here so that the message names this method's arguments, not Embedding.random's.
        check_allocation(num_chars * dim, np.dtype(dtype).itemsize, "num_chars × dim")
        return cls(Embedding.random(num_chars, dim, seed=seed, dtype=dtype), rnn)

    @property
    def output_size(self) -> int:
        return int(self.rnn.output_size)

    def forward(self, chars: Any, lengths: Any) -> tuple[np.ndarray, CharEncoderCache]:
        """Word vectors ``(T, B, width)`` from char ids ``(L, T, B)`` and lengths ``(T, B)``; zero where length is 0."""
        c = _ids(chars, "chars", self.embedding.weight.shape[0], 3)
        n = _ids(lengths, "lengths", c.shape[0] + 1, 2)
        L, T, B = c.shape
        if n.shape != (T, B):
            raise ValueError(f"lengths must have shape {(T, B)} (chars' T and B); got {n.shape}")
        rows = np.flatnonzero(n.reshape(-1) > 0)  # only real words run through the LSTM
        out = np.zeros((T * B, self.output_size), dtype=self.embedding.weight.dtype)
        cw = c.reshape(L, T * B)[:, rows]
        last = n.reshape(-1)[rows] - 1
        Lw = int(last.max()) + 1 if rows.size else 0
        cw = cw[:Lw]
        h, cache = self.rnn.forward(self.embedding.forward(cw)) if rows.size else (None, None)
        if rows.size:
            out[rows] = h[last, np.arange(rows.size)]
        return out.reshape(T, B, -1), CharEncoderCache(cw, rows, last, cache, (T, B))

    def backward(self, cache: CharEncoderCache, dy: Any) -> CharEncoder:
        """Parameter gradients (a :class:`CharEncoder`) for ``dy`` of shape ``(T, B, width)``."""
        check_type(cache, CharEncoderCache, "cache")
        T, B = cache.shape
        g = as_float_array(dy, "dy", self.embedding.weight.dtype)
        if g.shape != (T, B, self.output_size):
            raise ValueError(f"dy must have shape {(T, B, self.output_size)}; got {g.shape}")
        if not cache.rows.size:
            return CharEncoder(Embedding(np.zeros_like(self.embedding.weight)),
                               replace(self.rnn, layers=tuple(replace(p, **{k: np.zeros_like(v) for k, v in
                                       vars(p).items() if isinstance(v, np.ndarray)}) for p in self.rnn.layers)))
        dh = np.zeros((cache.chars.shape[0], cache.rows.size, self.output_size), dtype=g.dtype)
        dh[cache.last, np.arange(cache.rows.size)] = g.reshape(T * B, -1)[cache.rows]
        dx, grnn = self.rnn.backward(cache.rnn, dh)
        return CharEncoder(self.embedding.backward(cache.chars, dx), grnn)


# ------------------------------------------------------------------ tagger
def _reverse_index(lengths: np.ndarray, T: int) -> np.ndarray:
    """``(T, B)`` time index reversing each column within its length (padding stays in place)."""
    t = np.arange(T)[:, None]
    return np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)


@dataclass(frozen=True)
class TaggerCache:
    ids: np.ndarray
    lengths: np.ndarray
    body: Any
    h: np.ndarray
    chars: Any = None


@dataclass(frozen=True)
class Tagger:
    """Word embedding [+ character encoder] → recurrent body → linear read-out (logits over tags).

    Attributes
    ----------
    embedding : Embedding
    body : DelayedRNN, StackedRNN or BidirectionalRNN (one layer)
        Input size ``embedding.dim`` (+ ``chars.output_size``).
    weight : ndarray, shape (tags, body.output_size)
    bias : ndarray, shape (tags,)
    chars : CharEncoder, optional
    """

    embedding: Embedding
    body: Any
    weight: np.ndarray
    bias: np.ndarray
    chars: CharEncoder | None = None

    def __post_init__(self) -> None:
        check_type(self.embedding, Embedding, "embedding")
        check_type(self.body, (DelayedRNN, StackedRNN, BidirectionalRNN), "body",  # type: ignore[arg-type]
                   "a DelayedRNN, StackedRNN or BidirectionalRNN")
        if isinstance(self.body, BidirectionalRNN) and self.body.num_layers != 1:
            raise ValueError(f"a bidirectional body must have one layer; got {self.body.num_layers}")
        if self.chars is not None:
            check_type(self.chars, CharEncoder, "chars")
        n_in = self.embedding.dim + (0 if self.chars is None else self.chars.output_size)
        if self.body.input_size != n_in:
            raise ValueError(f"body.input_size ({self.body.input_size}) must equal the embedding width "
                             f"plus the character encoder's ({n_in})")
        n = self.body.output_size
        if not isinstance(self.weight, np.ndarray) or self.weight.ndim != 2 or self.weight.shape[1] != n:
            raise ValueError(f"weight must be an ndarray of shape (tags, {n})")
        if not isinstance(self.bias, np.ndarray) or self.bias.shape != (self.weight.shape[0],):
            raise ValueError(f"bias must be an ndarray of shape ({self.weight.shape[0]},)")

    @classmethod
    def random(cls, body: Any, vocab_size: int, embedding_dim: int, tags: int, *, seed: int = 0,
               chars: CharEncoder | None = None, embedding_scale: float = 1.0) -> Tagger:
        """Embedding ``N(0, embedding_scale²)``, read-out ``U(-k, k)``, ``k = 1/sqrt(features)`` (PyTorch's
        defaults for ``embedding_scale = 1``)."""
        check_type(body, (DelayedRNN, StackedRNN, BidirectionalRNN), "body",  # type: ignore[arg-type]
                   "a DelayedRNN, StackedRNN or BidirectionalRNN")
        check_count(vocab_size, "vocab_size")
        check_count(embedding_dim, "embedding_dim")
        check_allocation(vocab_size * embedding_dim, np.dtype(body.dtype).itemsize, "vocab_size × embedding_dim")
        n_in = embedding_dim + (0 if chars is None else chars.output_size)
        if body.input_size != n_in:
            raise ValueError(f"body.input_size ({body.input_size}) must equal embedding_dim ({embedding_dim}) plus "
                             f"the character encoder's width ({n_in - embedding_dim})")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int; got {type(seed).__name__}")
        rng = np.random.default_rng(check_seed(seed))
        dt = body.dtype
        emb = Embedding.random(vocab_size, embedding_dim, seed=rng, dtype=dt, scale=embedding_scale)
        k = 1.0 / math.sqrt(body.output_size)
        tags = check_count(tags, "tags")
        w = rng.uniform(-k, k, (tags, body.output_size)).astype(dt)
        return cls(emb, body, w, rng.uniform(-k, k, tags).astype(dt), chars)

    @property
    def dtype(self) -> np.dtype:
        return self.body.dtype

    def _inputs(self, ids: np.ndarray, chars: Any, char_lengths: Any) -> tuple[np.ndarray, Any]:
        x = self.embedding.forward(ids)
        if self.chars is None:
            return x, None
        if chars is None or char_lengths is None:
            raise ValueError("this tagger has a character encoder: pass chars and char_lengths")
        v, cc = self.chars.forward(chars, char_lengths)
        return np.concatenate([x, v], axis=-1), cc

    def forward(self, ids: Any, lengths: Any, chars: Any = None, char_lengths: Any = None
                ) -> tuple[np.ndarray, TaggerCache]:
        """Logits ``(T, B, tags)`` for word ids ``(T, B)`` of sentences of ``lengths`` ``(B,)``."""
        a = _ids(ids, "ids", self.embedding.weight.shape[0], 2)
        n = _ids(lengths, "lengths", a.shape[0] + 1, 1)
        if n.shape != (a.shape[1],):
            raise ValueError(f"lengths must have shape ({a.shape[1]},) (one per column of ids); got {n.shape}")
        x, cc = self._inputs(a, chars, char_lengths)
        if isinstance(self.body, BidirectionalRNN):
            fwd = StackedRNN(self.body.cell, self.body.forward_layers, self.body.activations)
            bwd = StackedRNN(self.body.cell, self.body.backward_layers, self.body.activations)
            r = _reverse_index(n, a.shape[0])
            cols = np.arange(a.shape[1])[None, :]
            hf, cf = fwd.forward(x)
            hb, cb = bwd.forward(x[r, cols])
            h = np.concatenate([hf, hb[r, cols]], axis=-1)
            body_cache: Any = (cf, cb, r)
        else:
            h, body_cache = self.body.forward(x)
        T, B, m = h.shape
        y = (h.reshape(T * B, m) @ self.weight.T).reshape(T, B, -1) + self.bias
        return y, TaggerCache(a, n, body_cache, h, cc)

    def __call__(self, ids: Any, lengths: Any, chars: Any = None, char_lengths: Any = None) -> np.ndarray:
        return self.forward(ids, lengths, chars, char_lengths)[0]

    def backward(self, cache: TaggerCache, dy: Any) -> Tagger:
        """Parameter gradients as a :class:`Tagger` of the same shapes, for ``dy`` = d loss / d logits."""
        check_type(cache, TaggerCache, "cache")
        h = cache.h
        T, B, m = h.shape
        g = as_float_array(dy, "dy", self.dtype)
        if g.shape != (T, B, self.weight.shape[0]):
            raise ValueError(f"dy must have shape {(T, B, self.weight.shape[0])}; got {g.shape}")
        g2 = g.reshape(T * B, -1)
        dw, db = g2.T @ h.reshape(T * B, m), g2.sum(axis=0)
        dh = (g2 @ self.weight).reshape(T, B, m)
        if isinstance(self.body, BidirectionalRNN):
            cf, cb, r = cache.body
            H = self.body.hidden_sizes[0]
            cols = np.arange(B)[None, :]
            fwd = StackedRNN(self.body.cell, self.body.forward_layers, self.body.activations)
            bwd = StackedRNN(self.body.cell, self.body.backward_layers, self.body.activations)
            dxf, gf = fwd.backward(cf, dh[..., :H])
            dxb_r, gb = bwd.backward(cb, dh[..., H:][r, cols])
            dxb = np.empty_like(dxb_r)
            dxb[r, cols] = dxb_r  # r is its own inverse per column; this undoes the gather
            dx = dxf + dxb
            gbody: Any = replace(self.body, forward_layers=gf.layers, backward_layers=gb.layers)
        else:
            dx, gbody = self.body.backward(cache.body, dh)[:2]
        E = self.embedding.dim
        gemb = self.embedding.backward(cache.ids, dx[..., :E])
        gchars = None if self.chars is None else self.chars.backward(cache.chars, dx[..., E:])
        return Tagger(gemb, gbody, dw, db, gchars)

    def state_dict(self) -> dict[str, np.ndarray]:
        """``embedding.weight``, ``chars.*``, ``rnn.*`` (PyTorch names of the body), ``readout.weight/bias``."""
        sd = {"embedding.weight": self.embedding.weight}
        if self.chars is not None:
            sd["chars.embedding.weight"] = self.chars.embedding.weight
            sd.update({f"chars.rnn.{k}": v for k, v in self.chars.rnn.state_dict().items()})
        sd.update({f"rnn.{k}": v for k, v in self.body.state_dict().items()})
        sd["readout.weight"] = self.weight
        sd["readout.bias"] = self.bias
        return sd

    def load_state_dict(self, sd: dict[str, np.ndarray]) -> Tagger:
        """A copy with parameters from ``sd`` (the keys of :meth:`state_dict`)."""
        if not isinstance(sd, dict):
            raise TypeError(f"sd must be a dict of arrays (Tagger.state_dict()); got {type(sd).__name__}")
        own = self.state_dict()
        if set(sd) != set(own):
            raise ValueError("sd must have exactly the keys of Tagger.state_dict()")
        sd = {k: as_float_array(v, f"sd[{k!r}]", self.dtype) for k, v in sd.items()}
        for k, v in sd.items():
            if v.shape != own[k].shape:
                raise ValueError(f"sd[{k!r}] must have shape {own[k].shape}; got {v.shape}")
        body = load_state_dict(self.body, {k[4:]: v for k, v in sd.items() if k.startswith("rnn.")})
        chars = None
        if self.chars is not None:
            chars = CharEncoder(Embedding(np.asarray(sd["chars.embedding.weight"], self.dtype)),
                                load_state_dict(self.chars.rnn, {k[10:]: v for k, v in sd.items()
                                                                 if k.startswith("chars.rnn.")}))
        return Tagger(Embedding(np.asarray(sd["embedding.weight"], self.dtype)), body,
                      np.asarray(sd["readout.weight"], self.dtype), np.asarray(sd["readout.bias"], self.dtype), chars)

    def parameter_count(self) -> int:
        """Trainable parameters (the padding rows, held at zero, not counted)."""
        n = sum(v.size for v in self.state_dict().values()) - self.embedding.dim
        return int(n - (0 if self.chars is None else self.chars.embedding.dim))


# ------------------------------------------------------------------ training
def _check_batches(batches: Any, name: str) -> list[Any]:
    if isinstance(batches, (str, bytes, np.ndarray)) or not isinstance(batches, Sequence):
        raise TypeError(f"{name} must be a sequence of batches (make_batches); got {type(batches).__name__}")
    for b in batches:
        if not all(isinstance(getattr(b, a, None), np.ndarray) for a in ("ids", "tags", "mask", "lengths")):
            raise TypeError(f"{name} must hold batches with ids, tags, mask and lengths arrays (make_batches); "
                            f"got an item of type {type(b).__name__}")
    return list(batches)


def _run_batch(model: Tagger, batch: Any) -> tuple[np.ndarray, TaggerCache]:
    return model.forward(batch.ids, batch.lengths, batch.chars, batch.char_lengths)


def evaluate_tagger(model: Tagger, batches: Sequence[Any]) -> dict[str, Any]:
    """Loss and accuracy over the real words of ``batches`` (objects with ``ids, tags, mask, lengths``).

    Returns
    -------
    dict
        ``loss`` (mean cross-entropy per word), ``accuracy`` (fraction of
        words tagged right), ``words``, ``correct``, and ``predictions``: one
        int array per batch, shape ``(T, B)``.
    """
    check_type(model, Tagger, "model")
    total, correct, words, preds = 0.0, 0, 0, []
    for b in _check_batches(batches, "batches"):
        logits, _ = _run_batch(model, b)
        n = int(b.mask.sum())
        loss, _ = softmax_cross_entropy(logits, b.tags, b.mask)
        p = logits.argmax(axis=-1)
        preds.append(p)
        total += loss * n
        correct += int(((p == b.tags) & b.mask).sum())
        words += n
    return {"loss": total / words if words else float("nan"), "accuracy": correct / words if words else float("nan"),
            "words": words, "correct": correct, "predictions": preds}


def train_tagger(model: Tagger, make_epoch: Callable[[np.random.Generator], Sequence[Any]], *,
                 val: Sequence[Any] | None = None, epochs: int = 10, lr: float = 1e-3, clip: float | None = 5.0,
                 seed: int = 0, callback: Callable[[dict[str, float]], None] | None = None,
                 select: str = "accuracy") -> tuple[Tagger, list[dict[str, float]], int]:
    """Adam over the batches of each epoch; keeps the weights of the epoch with the best validation score.

    Parameters
    ----------
    model : Tagger
    make_epoch : callable
        Receives the run's random generator and returns the epoch's batches
        (shuffled as it likes); called once per epoch.
    val : sequence of batches, optional
        Validation batches; without them the last epoch's weights are kept.
    epochs : int
    lr : float
    clip : float or None
        Global gradient-norm clipping threshold.
    seed : int
    callback : callable, optional
        Receives each epoch's history entry.
    select : {"accuracy", "loss"}
        The validation score that picks the kept epoch: highest accuracy
        (tagging) or lowest mean cross-entropy (the masked language model,
        whose measure is bits per character).

    Returns
    -------
    model : Tagger
    history : list of dict
        Per epoch: ``epoch``, ``train_loss``, ``val_loss``, ``val_accuracy``, ``seconds``.
    best_epoch : int
    """
    check_type(model, Tagger, "model")
    epochs = check_count(epochs, "epochs")
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"lr must be a positive number; got {lr!r}")
    if clip is not None and not (isinstance(clip, (int, float)) and clip > 0):
        raise ValueError(f"clip must be a positive number or None; got {clip!r}")
    if not callable(make_epoch):
        raise TypeError(f"make_epoch must be a callable returning the epoch's batches; got {type(make_epoch).__name__}")
    if val is not None:
        val = _check_batches(val, "val")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int; got {type(seed).__name__}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None; got {type(callback).__name__}")
    check_choice(select, ("accuracy", "loss"), "select")
    rng = np.random.default_rng(check_seed(seed))
    opt = Adam(lr=lr)
    params = model.state_dict()
    best, best_params, best_epoch, history = -math.inf, params, 0, []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        losses, weights = [], []
        for b in _check_batches(make_epoch(rng), "make_epoch(rng)"):
            logits, cache = _run_batch(model, b)
            value, dlogits = softmax_cross_entropy(logits, b.tags, b.mask)
            grads = model.backward(cache, dlogits).state_dict()
            if clip is not None:
                grads, _ = clip_grad_norm(grads, clip)
            params = opt.step(params, grads)
            model = model.load_state_dict(params)
            params = model.state_dict()
            losses.append(value)
            weights.append(int(b.mask.sum()))
        entry: dict[str, float] = {"epoch": epoch, "train_loss": float(np.average(losses, weights=weights))}
        if not math.isfinite(entry["train_loss"]):
            raise FloatingPointError(f"training loss became {entry['train_loss']} at epoch {epoch}; lower lr")
        if val is not None:
            ev = evaluate_tagger(model, val)
            entry["val_loss"], entry["val_accuracy"] = float(ev["loss"]), float(ev["accuracy"])
        entry["seconds"] = time.perf_counter() - t0
        history.append(entry)
        if callback is not None:
            callback(entry)
        score = float(epoch) if val is None else (entry["val_accuracy"] if select == "accuracy"
                                                  else -entry["val_loss"])
        if score > best:
            best, best_params, best_epoch = score, params, epoch
    return model.load_state_dict(best_params), history, best_epoch
