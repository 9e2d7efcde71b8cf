"""Checks of user input that turn bad arguments into clear errors."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from theory._checks import check_allocation as check_allocation  # re-exported for numerics modules
from theory._checks import check_choice as check_choice
from theory._checks import memory_limit as memory_limit

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_seed(seed: object, name: str = "seed") -> Any:
    """Return ``seed`` if :func:`numpy.random.default_rng` accepts it, else raise naming ``name``.

    Accepted: ``None``, an int ``>= 0``, or a NumPy ``Generator``,
    ``BitGenerator`` or ``SeedSequence``.

    Raises
    ------
    TypeError
        For any other kind of object (a float, a string, a bool, a list).
    ValueError
        For a negative int.
    """
    if seed is None or isinstance(seed, (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be None, an int >= 0 or a numpy Generator; got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"{name} must be an int >= 0; got {seed}")
    return seed


def check_path(value: object, name: str, *, directory: bool = False) -> Path:
    """Return ``value`` as a Path: an existing directory if ``directory``, else a file in an existing directory.

    Raises
    ------
    TypeError
        If ``value`` is not a str or ``os.PathLike`` naming a text path.
    ValueError
        If it is empty, or the directory does not exist.
    """
    what = "an existing directory" if directory else "a file path in an existing directory"
    text = os.fspath(value) if isinstance(value, os.PathLike) else value
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str or os.PathLike naming {what}; got {type(value).__name__}")
    if not text:
        raise ValueError(f"{name} must be {what}; got an empty path")
    path = Path(text)
    folder = path if directory else path.parent
    try:
        exists = folder.is_dir()
    except (OSError, ValueError):  # a NUL byte or a name too long for the file system
        exists = False
    if not exists:
        raise ValueError(f"{name} must be {what}; directory {str(folder)!r} does not exist")
    return path


def to_numpy(value: Any) -> Any:
    """Array-like to ndarray; tensors with ``.detach()`` (PyTorch) are detached first."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    return value


def check_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as float32 or float64, else raise."""
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError, SyntaxError) as exc:  # NumPy parses dicts, lists and ',' as structured dtypes
        raise TypeError(f"{name} must be float32 or float64; got {dtype!r}") from exc
    if dt not in FLOAT_DTYPES:
        raise ValueError(f"{name} must be float32 or float64; got {dt}")
    return dt


def as_float_array(value: Any, name: str, dtype: np.dtype | None = None) -> np.ndarray:
    """Numeric, finite array; cast to ``dtype`` (or to float64 if integral)."""
    value = to_numpy(value)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array; got {type(value).__name__}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array; got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real; got dtype {arr.dtype}")
    target = dtype if dtype is not None else (arr.dtype if arr.dtype in FLOAT_DTYPES else np.dtype(np.float64))
    # Before the cast and the finiteness check, which allocate the full size even for a broadcast or
    # zero-stride view (a (10^6, 10^4, 3) view of 3 numbers would otherwise end in MemoryError).
    check_allocation(arr.size, max(target.itemsize, 1), name)
    arr = arr.astype(target, copy=False)
    # The sum of finite numbers is finite unless it overflows, and NaN or inf reach it: one reduction
    # instead of a boolean array the size of the input (training reloads its parameters every step).
    # Only an overflowing sum pays for the full check.
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(arr)
    if not np.isfinite(total) and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} must be finite; got {arr[tuple(bad)]} at index {tuple(int(i) for i in bad)}")
    return arr


def as_sequence(x: Any, input_size: int, dtype: np.dtype, name: str = "x") -> np.ndarray:
    """Time-major input ``(T, B, input_size)`` cast to ``dtype``."""
    return check_time_major(as_float_array(x, name, dtype), input_size, name)


def owned_sequence(x: Any, input_size: int, dtype: np.dtype, name: str = "x") -> np.ndarray:
    """:func:`as_sequence`, copied when it would share memory with the caller's array.

    A cache kept for ``backward`` must not change when the caller refills
    its input buffer (a data loader reusing one batch array) between the
    two calls. The copy costs ``T·B·input_size`` entries, little next to the
    forward pass itself.
    """
    src = to_numpy(x)
    arr = as_sequence(src, input_size, dtype, name)
    if isinstance(src, np.ndarray) and np.may_share_memory(arr, src):
        arr = arr.copy()
    return arr


def read_only(y: np.ndarray) -> np.ndarray:
    """A read-only view of ``y``: an output that is also part of a cache for ``backward``.

    Editing it in place would change the gradients silently; now it raises
    NumPy's ``ValueError: assignment destination is read-only`` (PyTorch
    raises too when a tensor saved for backward is modified). ``y.copy()`` is
    writable. The cache's own array keeps its flags.
    """
    view = y.view()
    view.flags.writeable = False
    return view


def writable(y: np.ndarray) -> np.ndarray:
    """``y`` writable again: an output whose cache was discarded (the inference call)."""
    base = y.base if isinstance(y.base, np.ndarray) else None
    if not y.flags.writeable and base is not None and base.flags.writeable:
        y.flags.writeable = True
    return y


def check_time_major(arr: np.ndarray, input_size: int, name: str = "x") -> np.ndarray:
    """Return ``arr`` if it has the shape ``(T, B, input_size)`` of a time-major input with ``B >= 1``, else raise."""
    if arr.ndim != 3:
        raise ValueError(f"{name} must be a 3-D time-major array (T, B, {input_size}); got shape {arr.shape}")
    if arr.shape[2] != input_size:
        raise ValueError(f"{name} must have {input_size} features in its last axis, shape (T, B, {input_size}); "
                         f"got shape {arr.shape}")
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must have a batch of at least 1 (axis 1); got shape {arr.shape}")
    return arr


def per_layer_states(
    h0: Any, sizes: Sequence[int], batch: int, dtype: np.dtype, name: str = "h0"
) -> list[np.ndarray]:
    """Normalise initial states to one ``(B, n_l)`` array per layer.

    Accepts ``None`` (zeros), PyTorch's ``(layers·directions, B, H)`` array
    (all widths equal), or a sequence with one ``(n_l,)`` or ``(B, n_l)``
    array per layer.
    """
    L = len(sizes)
    if h0 is None:
        return [np.zeros((batch, n), dtype=dtype) for n in sizes]
    h0 = to_numpy(h0)
    if isinstance(h0, np.ndarray):
        if h0.ndim != 3 or h0.shape[0] != L or h0.shape[1] != batch or len(set(sizes)) != 1 \
                or h0.shape[2] != sizes[0]:
            hint = f"({L}, {batch}, {sizes[0]})" if len(set(sizes)) == 1 else "a list (unequal widths)"
            raise ValueError(f"{name} must be an array of shape {hint} or a list of {L} per-layer arrays; "
                             f"got shape {h0.shape}")
        return [as_float_array(h0[i], f"{name}[{i}]", dtype) for i in range(L)]
    if not isinstance(h0, (list, tuple)):
        raise TypeError(f"{name} must be None, an array (layers, B, H) or a list of per-layer arrays; "
                        f"got {type(h0).__name__}")
    if len(h0) != L:
        raise ValueError(f"{name} must have one entry per layer ({L}); got {len(h0)}")
    out = []
    for i, (s, n) in enumerate(zip(h0, sizes)):
        a = as_float_array(s, f"{name}[{i}]", dtype)
        if a.shape == (n,):
            a = np.broadcast_to(a, (batch, n))
        elif a.shape != (batch, n):
            raise ValueError(f"{name}[{i}] must have shape ({n},) or ({batch}, {n}); got {a.shape}")
        out.append(np.array(a, dtype=dtype))
    return out
