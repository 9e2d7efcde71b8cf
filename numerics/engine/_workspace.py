"""Scratch arrays the wavefront engine reuses from call to call.

A fresh array of a few megabytes is not free: the allocator maps new pages
and the first write to each page costs a page fault (on the development
machine up to ~10 µs per 4 KiB page, a few milliseconds for the states of a
small network over 200 steps — as long as the computation itself). Glibc
hands large freed blocks back to the system when they sit at the top of the
heap, so a network whose per-call arrays add up to more than the trim
threshold pays the faults on every call. :func:`take` hands out an array that
an earlier call left behind, but only if nothing references it any more (its
reference count shows only the pool), so a cache or an output that is still
alive is never overwritten.

Bounds: arrays of more than :data:`MAX_ARRAY_BYTES` are never pooled (for
them the computation dwarfs the faults), each name keeps at most
:data:`PER_NAME` arrays, and the pool as a whole holds at most
:data:`MAX_POOL_BYTES`; the pool is per thread. :func:`clear` empties it,
``DRNN_WORKSPACE=0`` in the environment (read at import) disables it.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import numpy as np

#: Largest array that is kept for reuse, bytes.
MAX_ARRAY_BYTES: int = 32 << 20
#: Most bytes the pool of one thread holds.
MAX_POOL_BYTES: int = 128 << 20
#: Arrays kept per name: a stacked network's forward pass keeps one per layer alive in its cache
#: (and a training loop may hold the previous cache while the next forward pass runs).
PER_NAME: int = 16
#: False disables pooling (every :func:`take` is a plain ``np.empty``): ``DRNN_WORKSPACE=0``, or an
#: interpreter on which :func:`refcount_rule_holds` fails.
ENABLED: bool = os.environ.get("DRNN_WORKSPACE", "1") != "0"

_local = threading.local()
# References to an unused pooled array while take() inspects it: the pool's list, the loop variable
# and getrefcount's own argument.
_FREE_REFS = 3


def _pool() -> dict[tuple[str, np.dtype], list[np.ndarray]]:
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    return pool


def pooled_bytes() -> int:
    """Bytes held by this thread's pool."""
    return sum(a.nbytes for arrays in _pool().values() for a in arrays)


def clear() -> None:
    """Drop this thread's pooled arrays (arrays still in use elsewhere stay valid)."""
    _pool().clear()


def take(name: str, shape: tuple[int, ...], dtype: Any, *, zero: bool = False) -> np.ndarray:
    """An array of ``shape`` and ``dtype``, reused from an earlier call if one is free.

    Parameters
    ----------
    name : str
        Which scratch array (one per role, e.g. ``"wave.S"``): arrays are only
        reused under the same name.
    shape : tuple of int
    dtype : dtype
    zero : bool
        Fill with zeros (else the contents are arbitrary).

    Returns
    -------
    ndarray, shape ``shape``
        C-contiguous. A reused array is a view of the first elements of a
        pooled buffer, which stays referenced (and so out of the pool's
        reach) as long as the view lives.
    """
    dt = np.dtype(dtype)
    size = int(np.prod(shape, dtype=np.int64))
    nbytes = size * dt.itemsize
    if not ENABLED or nbytes > MAX_ARRAY_BYTES or nbytes == 0:
        return np.zeros(shape, dt) if zero else np.empty(shape, dt)
    arrays = _pool().setdefault((name, dt), [])
    out = None
    for i in range(len(arrays)):
        buf = arrays[i]
        if sys.getrefcount(buf) == _FREE_REFS:
            if buf.size < size:
                arrays.pop(i)                      # too small: replaced below
                break
            out = buf[:size].reshape(shape)
            break
    if out is None:
        buf = np.empty(size, dt)
        if len(arrays) < PER_NAME and pooled_bytes() + nbytes <= MAX_POOL_BYTES:
            arrays.append(buf)
        out = buf.reshape(shape)
    if zero:
        out.fill(0)
    return out


def refcount_rule_holds() -> bool:
    """Whether this interpreter counts references the way :func:`take` relies on; checked once at import.

    ``sys.getrefcount`` is a CPython detail (other implementations, or
    reference counting changes such as deferred or biased counts in
    free-threaded builds, may report other numbers). The check runs
    :func:`take` itself on a private name: a buffer whose array, view, view of a
    view or reshaped view is alive must never be handed out again, and a
    buffer nothing references must be. Any other outcome turns the pool off.
    """
    if sys.implementation.name != "cpython" or not hasattr(sys, "getrefcount"):
        return False
    key = ("_selftest", np.dtype(np.float64))
    saved = _pool().pop(key, None)
    views = (lambda a: a, lambda a: a[1:], lambda a: a.T.reshape(-1)[::2], lambda a: a[None][0])
    try:
        for view in views:
            a = take("_selftest", (2, 3), np.float64)
            address = a.ctypes.data
            kept = view(a)
            del a
            b = take("_selftest", (2, 3), np.float64)
            if np.shares_memory(b, kept):
                return False                               # handed out while an array or view of it is alive
            del b, kept
            if take("_selftest", (2, 3), np.float64).ctypes.data != address:
                return False                               # nothing references it any more: must be reused
        return True
    finally:
        _pool().pop(key, None)
        if saved is not None:
            _pool()[key] = saved


if ENABLED and not refcount_rule_holds():
    ENABLED = False


__all__ = ["ENABLED", "MAX_ARRAY_BYTES", "MAX_POOL_BYTES", "PER_NAME", "clear", "pooled_bytes", "refcount_rule_holds",
           "take"]
