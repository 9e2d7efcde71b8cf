"""Input Jacobians ``∂y_t / ∂x_s`` of a sequence model with one backward pass.

A network's receptive field is read off the Jacobian: the output for time
``t`` depends on input ``s`` exactly where the block ``J[t, :, s, :]`` is
non-zero (docs/theory/acausality.md). Instead of ``T_out · n_out`` separate backward passes,
the sequence is copied ``T_out · n_out`` times along the batch axis and
copy ``b = t · n_out + k`` is seeded with the one-hot output gradient
``e_{t,k}``: a single vectorised backward pass then returns every row of the
Jacobian at once (batch items are independent, so the copies do not mix).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numerics._validate import as_float_array


def _tile_batch(h0: Any, copies: int) -> Any:
    """Repeat batch-1 state arrays ``copies`` times; per-unit vectors broadcast by themselves."""
    if h0 is None:
        return None
    if isinstance(h0, tuple):
        return tuple(_tile_batch(v, copies) for v in h0)
    if isinstance(h0, list):
        return [_tile_batch(v, copies) for v in h0]
    a = np.asarray(h0)
    if a.ndim >= 2:
        if a.shape[-2] != 1:
            raise ValueError(f"h0 must describe one sequence (batch axis of size 1, or per-unit vectors); "
                             f"got an array of shape {a.shape}")
        reps = [1] * a.ndim
        reps[-2] = copies
        return np.tile(a, reps)
    return a


def input_jacobian(net: Any, x: Any, h0: Any = None) -> np.ndarray:
    """Jacobian of the outputs with respect to the inputs for one sequence.

    Parameters
    ----------
    net : StackedRNN, BidirectionalRNN, DelayedRNN or a model with a readout
        Any model whose ``forward(x, h0) -> (y, cache)`` returns outputs aligned with the input and whose
        ``backward(cache, dy)`` returns ``(dx, grads)``.
    x : array, shape (T, n_in) or (T, 1, n_in)
        One input sequence (time-major).
    h0 : optional
        Initial state for this sequence in any format ``net.forward``
        accepts, with a batch axis of size 1 or per-unit vectors.

    Returns
    -------
    J : ndarray, shape (T, n_out, T, n_in)
        ``J[t, k, s, i] = ∂y_t[k] / ∂x_s[i]`` in the network's dtype. For a
        delayed network ``y_t`` is the read-out aligned with the input, so
        ``J[t, :, s, :]`` is non-zero only for ``s <= t + d``.

    Examples
    --------
    >>> from numerics import StackedRNN
    >>> net = StackedRNN.random(input_size=2, hidden_sizes=[3, 3], seed=0)
    >>> J = input_jacobian(net, np.ones((5, 2)))
    >>> J.shape, bool(np.all(J[0, :, 1:, :] == 0))   # causal: y_0 ignores x_1…
    ((5, 3, 5, 2), True)
    """
    missing = [a for a in ("forward", "backward", "output_size") if not hasattr(net, a)]
    if missing:
        raise TypeError(f"net must be a model with forward(), backward() and output_size; "
                        f"got {type(net).__name__} without {', '.join(missing)}")
    dtype = getattr(net, "dtype", None)
    arr = as_float_array(x, "x", dtype)
    if arr.ndim == 2:
        arr = arr[:, None, :]
    if arr.ndim != 3 or arr.shape[1] != 1:
        raise ValueError(f"x must be one sequence of shape (T, n_in) or (T, 1, n_in); got shape {np.shape(x)}")
    T, _, n_in = arr.shape
    n_out = int(net.output_size)
    copies = T * n_out
    if copies == 0:
        return np.zeros((T, n_out, T, n_in), dtype=arr.dtype)
    xb = np.broadcast_to(arr, (T, copies, n_in))
    y, cache = net.forward(xb, _tile_batch(h0, copies))
    # Copy b = t·n_out + k receives the one-hot gradient at output (t, k).
    dy = np.zeros(y.shape, dtype=y.dtype)
    b = np.arange(copies)
    dy[b // n_out, b, b % n_out] = 1
    dx = net.backward(cache, dy)[0]
    # dx[s, t·n_out + k, i] -> J[t, k, s, i]
    return dx.reshape(T, T, n_out, n_in).transpose(1, 2, 0, 3).copy()


__all__ = [
    "input_jacobian",
]
