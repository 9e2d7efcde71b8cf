"""Training any model of the toolkit: a linear read-out, losses, Adam, clipping, early stopping.

The pieces (all NumPy, all seeded):

* :class:`Readout` puts ``y_t = W h_t + b`` on top of any model
  (``StackedRNN``, ``BidirectionalRNN``, ``DelayedRNN``); it has the same
  ``forward`` / ``backward`` / ``state_dict`` interface as the models, with
  PyTorch-style names ``rnn.weight_ih_l0 …``, ``readout.weight``,
  ``readout.bias``.
* :func:`load_state_dict` rebuilds any model from a dict of arrays, so the
  optimiser (:class:`numerics.train.optim.Adam`) works on plain dicts.
* :func:`train` runs mini-batch epochs with gradient-norm clipping, early
  stopping on a validation loss (restoring the best weights), a progress
  bar on a terminal, and returns a :class:`TrainResult` with the history.
* :func:`evaluate` and :func:`predict` run a trained model in batches.

A masked delayed network keeps its masked weights exactly zero: its
gradients are masked, Adam never moves an entry whose gradient is always
zero, and :func:`load_state_dict` re-applies the mask regardless.

Examples
--------
Sequence reversal in a few lines (docs/experiments.md; ``numerics.experiments.tasks`` makes the data)::

    from numerics.experiments.tasks import reversal
    data = reversal(V=4, T=8, sizes=(2000, 200, 200), seed=0)
    body = StackedRNN.random(4, [32, 32], cell="lstm", seed=0).to_delayed("zero")   # or any model
    model = Readout.random(body, output_size=4, seed=0)
    res = train(model, data.train.x, data.train.y, loss="cross_entropy",
                val=(data.val.x, data.val.y), epochs=50, batch_size=32, lr=1e-3, clip=1.0, patience=5, seed=0)
    evaluate(res.model, data.test.x, data.test.y, loss="cross_entropy")["accuracy"]
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

import numpy as np

from numerics._validate import as_float_array, as_sequence, check_choice, check_dtype
from numerics.engine.params import LayerParams
from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics.train.losses import LOSSES, accuracy
from numerics.train.optim import Adam, clip_grad_norm, global_norm
from theory.layout import check_count

Model = Any  # StackedRNN | BidirectionalRNN | DelayedRNN | Readout


# ----------------------------------------------------------------- readout
@dataclass(frozen=True)
class ReadoutCache:
    """Cache of :meth:`Readout.forward`: the body's cache and outputs."""

    body: Any
    h: np.ndarray


@dataclass(frozen=True)
class Readout:
    """A linear read-out ``y_t = W h_t + b`` on top of a recurrent model.

    Attributes
    ----------
    body : StackedRNN, BidirectionalRNN or DelayedRNN
    weight : ndarray, shape (output_size, body.output_size)
    bias : ndarray, shape (output_size,)
    """

    body: Any
    weight: np.ndarray
    bias: np.ndarray

    def __post_init__(self) -> None:
        if not isinstance(self.body, (StackedRNN, BidirectionalRNN, DelayedRNN)):
            raise TypeError("body must be a StackedRNN, BidirectionalRNN or DelayedRNN; "
                            f"got {type(self.body).__name__}")
        n = self.body.output_size
        if not isinstance(self.weight, np.ndarray) or self.weight.ndim != 2 or self.weight.shape[1] != n:
            raise ValueError(f"weight must be an ndarray of shape (output_size, {n}); "
                             f"got {getattr(self.weight, 'shape', type(self.weight).__name__)}")
        if not isinstance(self.bias, np.ndarray) or self.bias.shape != (self.weight.shape[0],):
            raise ValueError(f"bias must be an ndarray of shape ({self.weight.shape[0]},); "
                             f"got {getattr(self.bias, 'shape', type(self.bias).__name__)}")
        if self.weight.dtype != self.body.dtype or self.bias.dtype != self.body.dtype:
            raise ValueError(f"weight and bias must have the body's dtype {self.body.dtype}; "
                             f"got {self.weight.dtype}, {self.bias.dtype}")

    @classmethod
    def random(cls, body: Any, output_size: int, *, seed: int | np.random.Generator | None = 0) -> Readout:
        """PyTorch ``nn.Linear`` initialisation ``U(-k, k)``, ``k = 1/sqrt(body.output_size)``."""
        output_size = check_count(output_size, "output_size")
        rng = np.random.default_rng(seed)
        k = 1.0 / math.sqrt(body.output_size)
        dt = body.dtype
        return cls(body, rng.uniform(-k, k, (output_size, body.output_size)).astype(dt),
                   rng.uniform(-k, k, output_size).astype(dt))

    @property
    def input_size(self) -> int:
        return int(self.body.input_size)

    @property
    def output_size(self) -> int:
        return int(self.weight.shape[0])

    @property
    def dtype(self) -> np.dtype:
        return self.body.dtype

    def forward(self, x: Any, h0: Any = None) -> tuple[np.ndarray, ReadoutCache]:
        """Outputs ``(T, B, output_size)`` aligned with the input, and the cache."""
        h, cache = self.body.forward(x, h0)
        T, B, n = h.shape
        y = (h.reshape(T * B, n) @ self.weight.T).reshape(T, B, -1) if T * B else np.zeros(
            (T, B, self.output_size), dtype=self.dtype)
        y += self.bias
        return y, ReadoutCache(cache, h)

    def __call__(self, x: Any, h0: Any = None) -> np.ndarray:
        return self.forward(x, h0)[0]

    def backward(self, cache: ReadoutCache, dy: Any, **kwargs: Any) -> tuple[Any, ...]:
        """``(dx, grads)`` with ``grads`` a :class:`Readout`; keywords go to the body's ``backward``."""
        if not isinstance(cache, ReadoutCache):
            raise TypeError(f"cache must be the ReadoutCache returned by forward(); got {type(cache).__name__}")
        h = cache.h
        T, B, n = h.shape
        dy = as_float_array(dy, "dy", self.dtype)
        if dy.shape != (T, B, self.output_size):
            raise ValueError(f"dy must have shape {(T, B, self.output_size)}; got {dy.shape}")
        dy2 = dy.reshape(T * B, -1)
        dw = dy2.T @ h.reshape(T * B, n)
        db = dy2.sum(axis=0)
        dh = (dy2 @ self.weight).reshape(T, B, n)
        out = self.body.backward(cache.body, dh, **kwargs)
        return (out[0], Readout(out[1], dw, db), *out[2:])

    def state_dict(self) -> dict[str, np.ndarray]:
        """``rnn.<body names>``, ``readout.weight``, ``readout.bias``."""
        sd = {f"rnn.{k}": v for k, v in self.body.state_dict().items()}
        sd["readout.weight"] = self.weight
        sd["readout.bias"] = self.bias
        return sd


# --------------------------------------------------------------- rebuilding
def load_state_dict(model: Model, state_dict: Mapping[str, Any]) -> Model:
    """A copy of ``model`` (same type, plan, activations) with parameters from ``state_dict``.

    Parameters
    ----------
    model : StackedRNN, BidirectionalRNN, DelayedRNN or Readout
    state_dict : mapping of str to array
        Exactly the keys of ``model.state_dict()``, arrays of the same shapes.

    Returns
    -------
    model
        For a masked ``DelayedRNN`` the weights are multiplied by the plan's
        masks, so masked entries are exactly zero whatever was given.
    """
    own = model.state_dict()
    if set(state_dict) != set(own):
        raise ValueError(f"state_dict must have the model's keys; missing {sorted(set(own) - set(state_dict))}, "
                         f"extra {sorted(set(state_dict) - set(own))}")
    sd = {}
    for k, ref in own.items():
        a = as_float_array(state_dict[k], f"state_dict[{k!r}]", ref.dtype)
        if a.shape != ref.shape:
            raise ValueError(f"state_dict[{k!r}] must have shape {ref.shape}; got {a.shape}")
        sd[k] = a
    if isinstance(model, Readout):
        body = load_state_dict(model.body, {k[4:]: v for k, v in sd.items() if k.startswith("rnn.")})
        return Readout(body, sd["readout.weight"], sd["readout.bias"])
    if isinstance(model, DelayedRNN):
        p = LayerParams(sd["weight_ih_l0"], sd["weight_hh_l0"], sd.get("bias_ih_l0"), sd.get("bias_hh_l0"))
        if model.masked:
            p = replace(p, weight_ih=p.weight_ih * model.plan.weight_ih_mask(),
                        weight_hh=p.weight_hh * model.plan.weight_hh_mask())
        return replace(model, params=p)

    def layer(l: int, suffix: str = "") -> LayerParams:
        g = lambda kind: sd.get(f"{kind}_l{l}{suffix}")  # noqa: E731
        return LayerParams(g("weight_ih"), g("weight_hh"), g("bias_ih"), g("bias_hh"))

    if isinstance(model, StackedRNN):
        return replace(model, layers=tuple(layer(l) for l in range(model.num_layers)))
    if isinstance(model, BidirectionalRNN):
        return replace(model, forward_layers=tuple(layer(l) for l in range(model.num_layers)),
                       backward_layers=tuple(layer(l, "_reverse") for l in range(model.num_layers)))
    raise TypeError(f"model must be a StackedRNN, BidirectionalRNN, DelayedRNN or Readout; got {type(model).__name__}")


def count_parameters(model: Model) -> int:
    """Number of trainable parameters (for a masked delayed network, only those inside the mask)."""
    if isinstance(model, Readout):
        return count_parameters(model.body) + model.weight.size + model.bias.size
    if isinstance(model, DelayedRNN) and model.masked:
        p = model.params
        n = int(model.plan.weight_ih_mask().sum() + model.plan.weight_hh_mask().sum())
        return n + (0 if p.bias_ih is None else p.bias_ih.size + p.bias_hh.size)
    return int(sum(a.size for a in model.state_dict().values()))


# ---------------------------------------------------------------- progress
class Progress:
    """A one-line progress bar redrawn in place (``\\r``) on a terminal.

    Parameters
    ----------
    total : int
        Number of ticks (epochs).
    stream : text stream, optional
        Default ``sys.stderr``.
    enabled : bool, optional
        Default: only when ``stream`` is a terminal, so logs and CI stay clean.
    width : int
        Characters of the bar.
    """

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool | None = None, width: int = 24) -> None:
        self.total, self.width = max(int(total), 1), width
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) if enabled is None else bool(enabled)
        self.t0 = time.perf_counter()

    def update(self, done: int, text: str = "") -> None:
        """Redraw with ``done`` of ``total`` ticks finished and a status ``text``."""
        if not self.enabled:
            return
        k = round(self.width * min(done, self.total) / self.total)
        elapsed = time.perf_counter() - self.t0
        self.stream.write(f"\r[{'#' * k}{'-' * (self.width - k)}] {done}/{self.total} {text} ({elapsed:.1f} s)\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


# ----------------------------------------------------------------- training
@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    model
        The trained model; with a validation set, the weights of the epoch
        with the lowest validation loss.
    history : list of dict
        One entry per epoch: ``epoch`` (1-based), ``train_loss`` (mean over
        the epoch's batches), ``grad_norm`` (mean pre-clipping norm),
        ``val_loss`` and ``val_accuracy`` (if a validation set was given;
        accuracy for ``cross_entropy`` only), ``seconds``.
    best_epoch : int
        Epoch whose weights were returned (the last one without validation).
    stopped_early : bool
        Training ended because the validation loss stopped improving.
    """

    model: Any
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        """Number of epochs run."""
        return len(self.history)

    @property
    def train_losses(self) -> list[float]:
        return [h["train_loss"] for h in self.history]

    @property
    def val_losses(self) -> list[float]:
        return [h["val_loss"] for h in self.history if "val_loss" in h]


def _check_targets(y: Any, x: np.ndarray, loss: str, out_size: int, dtype: np.dtype, name: str) -> np.ndarray:
    T, N = x.shape[:2]
    if loss == "cross_entropy":
        t = np.asarray(y)
        if not np.issubdtype(t.dtype, np.integer) or t.shape != (T, N):
            raise ValueError(f"{name} must be integer class indices of shape {(T, N)} for loss='cross_entropy'; "
                             f"got {t.dtype} {t.shape}")
        if t.size and (t.min() < 0 or t.max() >= out_size):
            raise ValueError(f"{name} must lie in 0..{out_size - 1} (the model's output size); "
                             f"got {t.min()}..{t.max()}")
        return t
    t = as_float_array(y, name, dtype)
    if t.shape != (T, N, out_size):
        raise ValueError(f"{name} must have shape {(T, N, out_size)} for loss='mse'; got {t.shape}")
    return t


def _check_mask(mask: Any, x: np.ndarray, name: str) -> np.ndarray | None:
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.dtype != bool or m.shape != x.shape[:2]:
        raise ValueError(f"{name} must be a bool array of shape {x.shape[:2]} (T, B); got {m.dtype} {m.shape}")
    return m


def _batches(n: int, batch_size: int) -> list[slice]:
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def evaluate(model: Model, x: Any, y: Any, *, loss: str = "mse", mask: Any = None,
             batch_size: int = 256) -> dict[str, float]:
    """Loss (and accuracy for ``cross_entropy``) of ``model`` on a data set, evaluated in batches.

    Parameters
    ----------
    model : any model
    x : array, shape (T, N, input_size)
    y : targets
        ``(T, N, output_size)`` floats for ``"mse"``, ``(T, N)`` ints for ``"cross_entropy"``.
    loss : {"mse", "cross_entropy"}
    mask : bool array, shape (T, N), optional
    batch_size : int

    Returns
    -------
    dict
        ``{"loss": …}`` plus ``"accuracy"`` for ``cross_entropy``; each is
        the mean over all counted positions (batches weighted by their counts).
    """
    check_choice(loss, tuple(LOSSES), "loss")
    batch_size = check_count(batch_size, "batch_size")
    x = as_sequence(x, model.input_size, model.dtype)
    y = _check_targets(y, x, loss, model.output_size, model.dtype, "y")
    m = _check_mask(mask, x, "mask")
    total, hits, count = 0.0, 0.0, 0
    for s in _batches(x.shape[1], batch_size):
        out = model(x[:, s])
        ms = None if m is None else m[:, s]
        c = out.shape[0] * out.shape[1] if ms is None else int(ms.sum())
        if c == 0:
            continue
        total += LOSSES[loss](out, y[:, s], ms)[0] * c
        if loss == "cross_entropy":
            hits += accuracy(out, y[:, s], ms) * c
        count += c
    res = {"loss": total / count if count else float("nan")}
    if loss == "cross_entropy":
        res["accuracy"] = hits / count if count else float("nan")
    return res


def predict(model: Model, x: Any, *, batch_size: int = 256) -> np.ndarray:
    """Outputs ``(T, N, output_size)`` aligned with the input, computed in batches."""
    batch_size = check_count(batch_size, "batch_size")
    x = as_sequence(x, model.input_size, model.dtype)
    parts = [model(x[:, s]) for s in _batches(x.shape[1], batch_size)]
    return np.concatenate(parts, axis=1)


def train(
    model: Model,
    x: Any,
    y: Any,
    *,
    loss: str = "mse",
    mask: Any = None,
    val: tuple[Any, ...] | None = None,
    epochs: int = 100,
    batch_size: int = 64,
    lr: float = 1e-3,
    clip: float | None = 1.0,
    patience: int | None = 10,
    seed: int | None = 0,
    progress: bool | None = None,
    stream: TextIO | None = None,
    callback: Callable[[dict[str, float]], None] | None = None,
) -> TrainResult:
    """Train ``model`` with Adam on mini-batches of sequences.

    Parameters
    ----------
    model : StackedRNN, BidirectionalRNN, DelayedRNN or Readout
        Its output at each step is compared with the target (wrap a
        recurrent model in :class:`Readout` to map its states to logits or
        values).
    x : array, shape (T, N, input_size)
        ``N`` training sequences, time-major, in the model's dtype.
    y : array
        ``(T, N, output_size)`` floats for ``loss="mse"``; ``(T, N)``
        integer classes for ``loss="cross_entropy"``.
    loss : {"mse", "cross_entropy"}
        Mean over counted positions (see :mod:`numerics.train.losses`).
    mask : bool array, shape (T, N), optional
        Positions that count (padded steps ``False``).
    val : (x_val, y_val) or (x_val, y_val, mask_val), optional
        Validation set for early stopping; evaluated after every epoch.
    epochs : int
        Maximum number of passes over the training set.
    batch_size : int
    lr : float
        Adam learning rate (betas 0.9, 0.999, eps 1e-8).
    clip : float or None
        Clip the global gradient norm to this value before each step.
    patience : int or None
        Stop after this many epochs without a lower validation loss and
        return the best epoch's weights (needs ``val``; ``None`` disables).
    seed : int or None
        Seeds the shuffling of the training sequences; with the same model,
        data and seed two runs give bitwise identical results.
    progress : bool or None
        Draw a progress bar; ``None`` draws it only when ``stream`` is a terminal.
    stream : text stream, optional
        Where the bar goes (default ``sys.stderr``).
    callback : callable, optional
        Called with each epoch's history entry.

    Returns
    -------
    TrainResult
    """
    loss = check_choice(loss, tuple(LOSSES), "loss")
    check_dtype(model.dtype, "model dtype")
    epochs = check_count(epochs, "epochs")
    batch_size = check_count(batch_size, "batch_size")
    if clip is not None and not (isinstance(clip, (int, float)) and clip > 0):
        raise ValueError(f"clip must be a positive number or None; got {clip!r}")
    if patience is not None:
        patience = check_count(patience, "patience")
    x = as_sequence(x, model.input_size, model.dtype)
    y = _check_targets(y, x, loss, model.output_size, model.dtype, "y")
    m = _check_mask(mask, x, "mask")
    if val is not None:
        if not isinstance(val, (tuple, list)) or len(val) not in (2, 3):
            raise TypeError("val must be a tuple (x_val, y_val) or (x_val, y_val, mask_val)")
        vx = as_sequence(val[0], model.input_size, model.dtype, "val[0] (x_val)")
        vy = _check_targets(val[1], vx, loss, model.output_size, model.dtype, "val[1] (y_val)")
        vm = _check_mask(val[2] if len(val) == 3 else None, vx, "val[2] (mask_val)")
    loss_fn = LOSSES[loss]
    rng = np.random.default_rng(seed)
    opt = Adam(lr=lr)
    params = model.state_dict()
    N = x.shape[1]
    bar = Progress(epochs, stream, progress)
    result = TrainResult(model)
    best, best_params, since = math.inf, params, 0
    try:
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            order = rng.permutation(N)
            losses, norms, weights = [], [], []
            for s in _batches(N, batch_size):
                idx = order[s]
                out, cache = model.forward(x[:, idx])
                value, dout = loss_fn(out, y[:, idx], None if m is None else m[:, idx])
                grads = model.backward(cache, dout)[1].state_dict()
                if clip is not None:
                    grads, norm = clip_grad_norm(grads, clip)
                else:
                    norm = global_norm(grads)
                params = opt.step(params, grads)
                model = load_state_dict(model, params)
                params = model.state_dict()
                losses.append(value)
                norms.append(norm)
                weights.append(len(idx))
            entry = {"epoch": epoch, "train_loss": float(np.average(losses, weights=weights)),
                     "grad_norm": float(np.mean(norms))}
            if val is not None:
                ev = evaluate(model, vx, vy, loss=loss, mask=vm, batch_size=max(batch_size, 256))
                entry["val_loss"] = ev["loss"]
                if "accuracy" in ev:
                    entry["val_accuracy"] = ev["accuracy"]
            entry["seconds"] = time.perf_counter() - t0
            result.history.append(entry)
            if callback is not None:
                callback(entry)
            status = f"loss {entry['train_loss']:.4g}" + (f" val {entry['val_loss']:.4g}" if val is not None else "")
            bar.update(epoch, status)
            if not math.isfinite(entry["train_loss"]):
                raise FloatingPointError(f"training loss became {entry['train_loss']} at epoch {epoch}; "
                                         "lower lr or set clip")
            if val is None:
                result.best_epoch = epoch
                continue
            if entry["val_loss"] < best:
                best, best_params, since, result.best_epoch = entry["val_loss"], params, 0, epoch
            else:
                since += 1
                if patience is not None and since >= patience:
                    result.stopped_early = True
                    break
    finally:
        bar.close()
    result.model = load_state_dict(model, best_params) if val is not None else model
    return result
