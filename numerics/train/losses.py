"""Losses for sequence outputs, each returning the loss and its gradient.

Every loss takes time-major outputs ``(T, B, k)`` and an optional boolean
``mask`` of shape ``(T, B)`` marking the positions that count (padded steps
are ``False``). The loss is the mean over counted positions, and the
returned gradient is with respect to the outputs, ready for
``model.backward(cache, dy)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numerics._validate import as_float_array
from theory._checks import check_allocation, check_count


def _check_outputs(value: Any, name: str, ndim: int | None = 3) -> np.ndarray:
    """Model outputs as a float array (of ``ndim`` axes ``(T, B, k)``), else raise naming ``name``.

    A float ndarray passes unchanged, NaN included: a diverged run's loss is
    reported by :func:`numerics.train.loop.train`, not refused here.
    """
    if not (isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating)):
        value = as_float_array(value, name)
    # Every loss makes full-size temporaries: refuse a huge broadcast view here, before minutes of work.
    check_allocation(value.size, value.itemsize, name)
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array (T, B, k); got shape {value.shape}")
    if value.ndim == 0 or value.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one output (last axis); got shape {value.shape}")
    return value


def _check_shape(shape: Any) -> tuple[int, int]:
    """``shape`` as a pair ``(T, B)`` of ints >= 0, else raise naming ``shape``."""
    if not isinstance(shape, tuple) or len(shape) != 2:
        raise TypeError(f"shape must be a tuple (T, B) of two ints; got {shape!r}"[:200])
    return (check_count(shape[0], "shape[0]", 0), check_count(shape[1], "shape[1]", 0))


def check_mask(mask: Any, shape: tuple[int, int], name: str = "mask") -> np.ndarray | None:
    """``mask`` as a bool array of ``shape`` ``(T, B)``, or ``None`` if none was given.

    Raises
    ------
    TypeError
        If ``mask`` is not boolean.
    ValueError
        If its shape is not ``shape``.
    """
    shape = _check_shape(shape)
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.dtype != bool:
        raise TypeError(f"{name} must be a bool array of shape {shape} (T, B); got dtype {m.dtype}")
    if m.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (T, B); got {m.shape}")
    return m


def check_class_targets(targets: Any, shape: tuple[int, int], classes: int, name: str = "targets") -> np.ndarray:
    """``targets`` as integer class indices of ``shape`` ``(T, B)``, each in ``0 … classes - 1``.

    Raises
    ------
    TypeError
        If the targets are not integers.
    ValueError
        If their shape is not ``shape`` or an index is out of range.
    """
    shape = _check_shape(shape)
    classes = check_count(classes, "classes")
    t = np.asarray(targets)
    if not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"{name} must be integer class indices of shape {shape}; got dtype {t.dtype}")
    if t.shape != shape:
        raise ValueError(f"{name} must be integer class indices of shape {shape} (T, B); got {t.shape}")
    if t.size and (t.min() < 0 or t.max() >= classes):
        raise ValueError(f"{name} must lie in 0..{classes - 1} (the number of classes); got range {t.min()}..{t.max()}")
    return t


def mse(y: np.ndarray, target: Any, mask: Any = None) -> tuple[float, np.ndarray]:
    """Mean squared error ``mean((y - target)²)`` over counted positions and features.

    Parameters
    ----------
    y : ndarray, shape (T, B, k)
    target : array, shape (T, B, k)
    mask : bool array, shape (T, B), optional

    Returns
    -------
    loss : float
        0.0 when no position counts.
    dy : ndarray, shape (T, B, k)
        ``2 (y - target) / count`` at counted positions, 0 elsewhere.
    """
    y = _check_outputs(y, "y")
    tgt = as_float_array(target, "target", y.dtype)
    if tgt.shape != y.shape:
        raise ValueError(f"target must have the shape of the outputs y, {y.shape}; got {tgt.shape}")
    m = check_mask(mask, y.shape[:2])
    diff = y - tgt
    if m is not None:
        diff *= m[..., None]
    count = (y.size if m is None else int(m.sum()) * y.shape[2])
    if count == 0:
        return 0.0, np.zeros_like(y)
    return float(np.sum(diff * diff) / count), diff * (2.0 / count)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """``log softmax`` over the last axis, stable for large logits (shifted by the maximum)."""
    logits = _check_outputs(logits, "logits", ndim=None)
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(logits: np.ndarray, targets: Any, mask: Any = None) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of integer targets under ``softmax(logits)`` over counted positions.

    Parameters
    ----------
    logits : ndarray, shape (T, B, V)
    targets : int array, shape (T, B)
        Class indices in ``0 … V-1``.
    mask : bool array, shape (T, B), optional

    Returns
    -------
    loss : float
    dlogits : ndarray, shape (T, B, V)
        ``(softmax(logits) - onehot(targets)) / count`` at counted positions.
    """
    logits = _check_outputs(logits, "logits")
    T, B, V = logits.shape
    t = check_class_targets(targets, (T, B), V, "targets (one per position of logits)")
    m = check_mask(mask, (T, B))
    count = T * B if m is None else int(m.sum())
    if count == 0:
        return 0.0, np.zeros_like(logits)
    logp = log_softmax(logits)
    picked = np.take_along_axis(logp, t[..., None], axis=-1)[..., 0]
    grad = np.exp(logp)
    np.put_along_axis(grad, t[..., None], np.take_along_axis(grad, t[..., None], axis=-1) - 1, axis=-1)
    if m is not None:
        picked = picked * m
        grad *= m[..., None]
    grad /= count
    return float(-picked.sum() / count), grad


def accuracy(logits: np.ndarray, targets: Any, mask: Any = None) -> float:
    """Fraction of counted positions where ``argmax(logits) == targets`` (nan if none count)."""
    logits = _check_outputs(logits, "logits")
    t = check_class_targets(targets, logits.shape[:2], logits.shape[2], "targets (one per position of logits)")
    hit = logits.argmax(axis=-1) == t
    m = check_mask(mask, t.shape)
    if m is not None:
        return float(hit[m].mean()) if m.any() else float("nan")
    return float(hit.mean()) if hit.size else float("nan")


#: name -> loss function ``(outputs, targets, mask) -> (loss, doutputs)``
LOSSES = {"mse": mse, "cross_entropy": softmax_cross_entropy}


__all__ = [
    "LOSSES",
    "accuracy",
    "check_class_targets",
    "check_mask",
    "log_softmax",
    "mse",
    "softmax_cross_entropy",
]
