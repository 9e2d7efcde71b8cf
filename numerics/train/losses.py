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


def _mask(mask: Any, shape: tuple[int, int]) -> np.ndarray | None:
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.dtype != bool:
        raise TypeError(f"mask must be a bool array of shape {shape}; got dtype {m.dtype}")
    if m.shape != shape:
        raise ValueError(f"mask must have shape {shape} (T, B); got {m.shape}")
    return m


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
    tgt = as_float_array(target, "target", y.dtype)
    if tgt.shape != y.shape:
        raise ValueError(f"target must have the outputs' shape {y.shape}; got {tgt.shape}")
    m = _mask(mask, y.shape[:2])
    diff = y - tgt
    if m is not None:
        diff *= m[..., None]
    count = (y.size if m is None else int(m.sum()) * y.shape[2])
    if count == 0:
        return 0.0, np.zeros_like(y)
    return float(np.sum(diff * diff) / count), diff * (2.0 / count)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """``log softmax`` over the last axis, stable for large logits (shifted by the maximum)."""
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
    t = np.asarray(targets)
    T, B, V = logits.shape
    if not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"targets must be an integer array of class indices, shape {(T, B)}; got dtype {t.dtype}")
    if t.shape != (T, B):
        raise ValueError(f"targets must have shape {(T, B)} (T, B); got {t.shape}")
    if t.size and (t.min() < 0 or t.max() >= V):
        raise ValueError(f"targets must lie in 0..{V - 1} (the logits' last axis); got range {t.min()}..{t.max()}")
    m = _mask(mask, (T, B))
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
    t = np.asarray(targets)
    hit = logits.argmax(axis=-1) == t
    m = _mask(mask, t.shape)
    if m is not None:
        return float(hit[m].mean()) if m.any() else float("nan")
    return float(hit.mean()) if hit.size else float("nan")


#: name -> loss function ``(outputs, targets, mask) -> (loss, doutputs)``
LOSSES = {"mse": mse, "cross_entropy": softmax_cross_entropy}
