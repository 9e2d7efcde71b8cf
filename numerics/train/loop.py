"""The training loop: mini-batch Adam with clipping and early stopping, evaluation and prediction.

* :func:`train` runs mini-batch epochs with gradient-norm clipping, early
  stopping on a validation loss (restoring the best weights), a progress
  bar on a terminal, and returns a :class:`TrainResult` with the history.
* :func:`evaluate` and :func:`predict` run a trained model in batches.

Models are any of the toolkit's networks, usually wrapped in a
:class:`numerics.train.readout.Readout`; parameters travel as plain dicts of
arrays between the model and the optimiser (:func:`numerics.train.readout.load_state_dict`).

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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from numerics._progress import Progress
from numerics._validate import as_float_array, as_sequence, check_choice, check_dtype, check_seed
from numerics.train.losses import LOSSES, accuracy, check_class_targets, check_mask
from numerics.train.optim import Adam, clip_grad_norm, global_norm
from numerics.train.readout import Model, check_model, load_state_dict
from theory._checks import check_count


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
    """Targets for ``x``: class indices ``(T, N)`` for cross-entropy, values ``(T, N, out_size)`` for MSE."""
    T, N = x.shape[:2]
    if loss == "cross_entropy":
        return check_class_targets(y, (T, N), out_size, f"{name} (one per position of x)")
    t = as_float_array(y, name, dtype)
    if t.shape != (T, N, out_size):
        raise ValueError(f"{name} must have shape {(T, N, out_size)} for loss='mse' (x's T and N, the model's "
                         f"output_size); got {t.shape}")
    return t


def _diverged(what: str, epoch: int, lr: float, clip: float | None) -> None:
    """Stop a diverging run naming the arguments the user passed, not the engine's internal ``dy``."""
    raise FloatingPointError(f"training diverged at epoch {epoch}: {what} (lr={lr!r}, clip={clip!r}); "
                             "lower lr or set clip")


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
    check_model(model)
    check_choice(loss, tuple(LOSSES), "loss")
    batch_size = check_count(batch_size, "batch_size")
    x = as_sequence(x, model.input_size, model.dtype)
    if x.shape[0] < 1:  # the models accept T = 0, but there is nothing to learn from (and no loss to average)
        raise ValueError(f"x must have at least one time step (axis 0); got shape {x.shape}")
    y = _check_targets(y, x, loss, model.output_size, model.dtype, "y")
    m = check_mask(mask, x.shape[:2], "mask")
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
    check_model(model)
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
    check_model(model)
    loss = check_choice(loss, tuple(LOSSES), "loss")
    check_dtype(model.dtype, "model dtype")
    epochs = check_count(epochs, "epochs")
    batch_size = check_count(batch_size, "batch_size")
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, (int, float))):
        raise TypeError(f"clip must be a positive number or None; got {type(clip).__name__}")
    if clip is not None and not clip > 0:
        raise ValueError(f"clip must be a positive number or None; got {clip!r}")
    if patience is not None:
        patience = check_count(patience, "patience")
    x = as_sequence(x, model.input_size, model.dtype)
    if x.shape[0] < 1:  # the models accept T = 0, but there is nothing to learn from (and no loss to average)
        raise ValueError(f"x must have at least one time step (axis 0); got shape {x.shape}")
    y = _check_targets(y, x, loss, model.output_size, model.dtype, "y")
    m = check_mask(mask, x.shape[:2], "mask")
    if val is not None:
        if not isinstance(val, (tuple, list)) or len(val) not in (2, 3):
            raise TypeError("val must be a tuple (x_val, y_val) or (x_val, y_val, mask_val)")
        vx = as_sequence(val[0], model.input_size, model.dtype, "val[0] (x_val)")
        vy = _check_targets(val[1], vx, loss, model.output_size, model.dtype, "val[1] (y_val)")
        vm = check_mask(val[2] if len(val) == 3 else None, vx.shape[:2], "val[2] (mask_val)")
    loss_fn = LOSSES[loss]
    rng = np.random.default_rng(check_seed(seed))
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
                with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported just below, by name
                    value, dout = loss_fn(out, y[:, idx], None if m is None else m[:, idx])
                if not (math.isfinite(value) and np.all(np.isfinite(dout))):
                    _diverged(f"the loss became {value}", epoch, lr, clip)
                grads = model.backward(cache, dout)[1].state_dict()
                if clip is not None:
                    grads, norm = clip_grad_norm(grads, clip)
                else:
                    norm = global_norm(grads)
                params = opt.step(params, grads)
                if not all(np.all(np.isfinite(v)) for v in params.values()):
                    _diverged("a parameter overflowed", epoch, lr, clip)
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


__all__ = [
    "TrainResult",
    "evaluate",
    "predict",
    "train",
]
