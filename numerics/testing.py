"""Tools for checking equivalence claims in your own test suite.

Hypothesis strategies in the style of :mod:`hypothesis.extra.numpy` (small
functions that compose) and :func:`assert_equivalent`, which compares two
sequence models and says where they first differ.

Examples
--------
>>> from hypothesis import given
>>> from numerics.testing import stacked_cases, assert_equivalent
>>> @given(stacked_cases(layers=(1, 3)))
... def test_staggered(case):
...     d = case.net.to_delayed("staggered")
...     assert_equivalent(case.net, d, case.x, h0=case.h0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from numerics._validate import check_dtype
from numerics.engine.params import LayerParams
from numerics.models import StackedRNN
from theory.layout import ELMAN_ACTIVATIONS, GATES, check_cell

Range = tuple[int, int]

__all__ = [
    "EquivalenceCase",
    "assert_equivalent",
    "default_tolerance",
    "first_difference",
    "initial_states",
    "sequences",
    "stacked_cases",
    "stacked_rnns",
    "weights",
]


def _range(value: Range | int, name: str, minimum: int) -> Range:
    lo, hi = (value, value) if isinstance(value, int) else value
    if not (isinstance(lo, int) and isinstance(hi, int)) or lo < minimum or hi < lo:
        raise ValueError(f"{name} must be an int or a (min, max) pair with {minimum} <= min <= max; got {value!r}")
    return lo, hi


def weights(shape: tuple[int, ...], dtype: Any = np.float64, bound: float = 1.0) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` with finite entries in ``[-bound, bound]``; they shrink towards 0."""
    dt = check_dtype(dtype)
    return hnp.arrays(dt, shape, elements=st.floats(-bound, bound, width=8 * dt.itemsize,
                                                    allow_nan=False, allow_infinity=False))


@st.composite
def stacked_rnns(
    draw: st.DrawFn,
    *,
    cells: Sequence[str] = ("elman",),
    layers: Range | int = (1, 6),
    widths: Range | int = (1, 8),
    input_sizes: Range | int = (1, 5),
    activations: Sequence[str] = ELMAN_ACTIVATIONS,
    bias: Sequence[bool] = (True, False),
    dtypes: Sequence[Any] = (np.float64,),
    bound: float = 1.0,
) -> StackedRNN:
    """Random stacked networks with unequal widths and per-layer activations.

    Parameters
    ----------
    cells : sequence of {"elman", "lstm", "gru"}
    layers, widths, input_sizes : int or (min, max)
        Ranges of the depth ``L``, each layer's width and the input size.
    activations : sequence of str
        Elman activations to draw from (one per layer).
    bias : sequence of bool
        Whether the network has biases.
    dtypes : sequence of dtype
    bound : float
        Weights are drawn from ``[-bound, bound]``.

    Returns
    -------
    strategy of StackedRNN
    """
    cell = draw(st.sampled_from([check_cell(c) for c in cells]))
    lo, hi = _range(layers, "layers", 1)
    w_range = _range(widths, "widths", 1)
    n_in = draw(st.integers(*_range(input_sizes, "input_sizes", 1)))
    dt = check_dtype(draw(st.sampled_from(list(dtypes))))
    has_bias = draw(st.sampled_from(list(bias)))
    G = GATES[cell]
    ps: list[LayerParams] = []
    acts: list[str | None] = []
    prev = n_in
    # Each layer's width, weights and activation are drawn together, behind a "one more layer?"
    # choice, so the shrinker can delete any whole layer and counterexamples shrink in depth.
    while len(ps) < hi and (len(ps) < lo or draw(st.booleans())):
        n = draw(st.integers(*w_range))
        ps.append(LayerParams(
            draw(weights((G * n, prev), dt, bound)),
            draw(weights((G * n, n), dt, bound)),
            draw(weights((G * n,), dt, bound)) if has_bias else None,
            draw(weights((G * n,), dt, bound)) if has_bias else None,
        ))
        acts.append(draw(st.sampled_from(list(activations))) if cell == "elman" else None)
        prev = n
    return StackedRNN(cell, tuple(ps), tuple(acts))


def sequences(
    input_size: int,
    *,
    steps: Range | int = (0, 30),
    batch: Range | int = (1, 4),
    dtype: Any = np.float64,
    bound: float = 1.0,
) -> st.SearchStrategy[np.ndarray]:
    """Time-major input sequences of shape ``(T, B, input_size)``."""
    t_range = _range(steps, "steps", 0)
    b_range = _range(batch, "batch", 1)
    return st.tuples(st.integers(*t_range), st.integers(*b_range)).flatmap(
        lambda tb: weights((tb[0], tb[1], input_size), dtype, bound)
    )


def initial_states(net: StackedRNN, batch: int, bound: float = 1.0) -> st.SearchStrategy[Any]:
    """Initial states for ``net``: a list of ``(B, n_l)`` arrays (a pair of lists for LSTM)."""
    one = st.tuples(*[weights((batch, n), net.dtype, bound) for n in net.hidden_sizes]).map(list)
    return st.tuples(one, one) if net.cell == "lstm" else one


@dataclass(frozen=True)
class EquivalenceCase:
    """A network, an input and initial states (``h0`` is ``None`` for zero states)."""

    net: StackedRNN
    x: np.ndarray
    h0: Any

    def describe(self) -> dict[str, Any]:
        """JSON-ready summary used in counterexample reports."""
        return {
            "cell": self.net.cell,
            "layers": self.net.num_layers,
            "hidden_sizes": list(self.net.hidden_sizes),
            "input_size": self.net.input_size,
            "activations": list(self.net.activations),
            "bias": self.net.bias,
            "dtype": str(self.net.dtype),
            "steps": int(self.x.shape[0]),
            "batch": int(self.x.shape[1]),
            "state_dict": {k: np.asarray(v).tolist() for k, v in self.net.state_dict().items()},
            "x": self.x.tolist(),
        }


@st.composite
def stacked_cases(
    draw: st.DrawFn,
    *,
    steps: Range | int = (0, 30),
    batch: Range | int = (1, 4),
    with_h0: Sequence[bool] = (False, True),
    **net_kwargs: Any,
) -> EquivalenceCase:
    """A stacked network (:func:`stacked_rnns` keywords), an input and optional initial states."""
    net = draw(stacked_rnns(**net_kwargs))
    x = draw(sequences(net.input_size, steps=steps, batch=batch, dtype=net.dtype))
    h0 = draw(initial_states(net, x.shape[1])) if draw(st.sampled_from(list(with_h0))) else None
    return EquivalenceCase(net, x, h0)


def default_tolerance(dtype: Any) -> tuple[float, float]:
    """``(rtol, atol)`` for comparing two evaluations that sum in different orders.

    float64: ``(1e-9, 1e-12)``; float32: ``(1e-3, 1e-4)``. The relative part
    is taken against the largest magnitude at that time step, since
    reordered sums err relative to their terms, not their result. float32
    gets three orders of magnitude of headroom over its epsilon (1.2e-7)
    because an expansive recurrence (identity or relu layers with weights
    near 1) amplifies a rounding difference at every one of up to 30 steps;
    a broken construction differs by O(0.1), far above either tolerance.
    """
    return (1e-3, 1e-4) if np.dtype(dtype) == np.float32 else (1e-9, 1e-12)


def first_difference(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> tuple[int, int, int] | None:
    """Index ``(t, batch, unit)`` of the first entry (in time order) outside tolerance, or ``None``."""
    if a.size == 0:
        return None
    scale = np.maximum(np.abs(a), np.abs(b)).max(axis=(1, 2), keepdims=True)
    bad = np.abs(a.astype(np.float64) - b) > atol + rtol * scale
    if not bad.any():
        return None
    t, i, j = np.argwhere(bad)[0]
    return int(t), int(i), int(j)


_SAME: Any = object()


def assert_equivalent(
    a: Callable[..., Any],
    b: Callable[..., Any],
    x: Any,
    *,
    h0: Any = None,
    h0_b: Any = _SAME,
    rtol: float | None = None,
    atol: float | None = None,
    names: tuple[str, str] = ("a", "b"),
) -> float:
    """Assert that two sequence models give the same outputs on ``x``.

    Parameters
    ----------
    a, b : callable
        Models called as ``a(x)`` or ``a(x, h0)``, returning ``(T, B, n)``
        arrays (any of this package's networks, or your own functions).
    x : array, shape (T, B, I)
    h0 : optional
        Initial state passed to ``a`` (and to ``b`` unless ``h0_b`` is given).
    h0_b : optional
        A different initial state for ``b`` (``None`` for its zero state);
        by default ``b`` gets ``h0`` too.
    rtol, atol : float, optional
        Defaults from :func:`default_tolerance` for the outputs' dtype.
    names : (str, str)
        Names used in the failure message.

    Returns
    -------
    float
        The largest absolute difference.

    Raises
    ------
    AssertionError
        Naming the first time step, batch item and unit where they differ,
        with both values, or a shape mismatch.
    """
    hb = h0 if h0_b is _SAME else h0_b
    ya = np.asarray(a(x) if h0 is None else a(x, h0))
    yb = np.asarray(b(x) if hb is None else b(x, hb))
    if ya.shape != yb.shape:
        raise AssertionError(f"{names[0]} and {names[1]} give outputs of different shapes: {ya.shape} vs {yb.shape}")
    d_rtol, d_atol = default_tolerance(np.result_type(ya, yb))
    rtol = d_rtol if rtol is None else rtol
    atol = d_atol if atol is None else atol
    where = first_difference(ya, yb, rtol, atol)
    err = float(np.abs(ya.astype(np.float64) - yb).max()) if ya.size else 0.0
    if where is not None:
        t, i, j = where
        va, vb = float(ya[t, i, j]), float(yb[t, i, j])
        raise AssertionError(
            f"{names[0]} and {names[1]} first differ at time step {t}, batch item {i}, unit {j}: "
            f"{va!r} vs {vb!r} (difference {abs(va - vb):.3g}; "
            f"max difference {err:.3g}; rtol={rtol:g}, atol={atol:g})"
        )
    return err
