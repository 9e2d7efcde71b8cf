"""The gradient oracle: central differences in float64 of a plain function of named arrays.

A backward pass is right when it computes the gradient of its forward
pass. Comparing two backward passes that share step derivatives cannot show
that (a bug they share cancels), and PyTorch is optional. This module
differentiates numerically, entry by entry, any scalar function of a dict of
float64 arrays; the claims in :mod:`numerics.verify.claims.gradients` apply it
to the per-step reference of :mod:`numerics.verify.stepwise`, which shares
no code with the engine, so the check is independent of both the engine's
forward and its backward.

:func:`gradient_error` compares a claimed gradient with the numeric one,
with the mask rule of :func:`numerics.testing.assert_gradients_match`:
entries outside a mask (fixed zeros of a masked network) must be exactly 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

#: Step of the central difference: truncation error ~ EPS² and rounding ~ 1e-16 / EPS, both far below
#: :data:`TOLERANCE` for the tiny, smooth cases the claims draw.
EPS = 1e-6

#: Largest difference counted as agreement, relative to ``max(1, |numeric|)`` per entry.
TOLERANCE = 1e-6


def central_differences(f: Callable[[dict[str, np.ndarray]], float], arrays: Mapping[str, np.ndarray],
                        free: Mapping[str, np.ndarray] | None = None, eps: float = EPS) -> dict[str, np.ndarray]:
    """``∂f/∂a[i] ≈ (f(a + eps e_i) - f(a - eps e_i)) / (2 eps)`` for every free entry of every array.

    Parameters
    ----------
    f : callable
        ``f(arrays) -> float``, called with a dict of the same keys and shapes.
    arrays : mapping of str to ndarray
        Where the gradient is taken (converted to float64).
    free : mapping of str to bool ndarray, optional
        Per name, which entries to differentiate; the others get ``nan``.
        Missing names are free everywhere.
    eps : float

    Returns
    -------
    dict of str to ndarray
        Same keys and shapes as ``arrays``.
    """
    base = {k: np.array(v, dtype=np.float64) for k, v in arrays.items()}
    out = {}
    for name, arr in base.items():
        mask = np.ones(arr.shape, bool) if free is None or free.get(name) is None else np.asarray(free[name], bool)
        grad = np.full(arr.shape, np.nan)
        for idx in zip(*np.nonzero(mask)):
            old = arr[idx]
            arr[idx] = old + eps
            plus = f(base)
            arr[idx] = old - eps
            minus = f(base)
            arr[idx] = old
            grad[idx] = (plus - minus) / (2 * eps)
        out[name] = grad
    return out


def gradient_error(claimed: Mapping[str, np.ndarray], numeric: Mapping[str, np.ndarray],
                   free: Mapping[str, np.ndarray] | None = None) -> tuple[float, str]:
    """The largest discrepancy of ``claimed`` from ``numeric``, and the name of the array where it is.

    On free entries: ``|claimed - numeric| / max(1, |numeric|)``. Outside
    ``free``: a non-zero claimed entry counts ``1 + |claimed|`` (it must be
    exactly zero). A missing array or a shape mismatch counts ``inf``.

    Returns
    -------
    error : float
    where : str
        The array name of the worst entry (``""`` if all agree exactly).
    """
    worst, where = 0.0, ""
    for name, num in numeric.items():
        if name not in claimed or np.shape(claimed[name]) != num.shape:
            return float("inf"), name
        got = np.asarray(claimed[name], dtype=np.float64)
        mask = np.ones(num.shape, bool) if free is None or free.get(name) is None else np.asarray(free[name], bool)
        err = 0.0
        if mask.any():
            err = float((np.abs(got[mask] - num[mask]) / np.maximum(1.0, np.abs(num[mask]))).max())
        if (~mask).any() and np.any(got[~mask] != 0):
            err = max(err, 1.0 + float(np.abs(got[~mask]).max()))
        if not err <= worst:
            worst, where = err, name
    return worst, where


__all__ = ["EPS", "TOLERANCE", "central_differences", "gradient_error"]
