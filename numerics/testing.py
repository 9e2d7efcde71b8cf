"""Tools for checking equivalence claims in your own test suite.

Hypothesis strategies in the style of :mod:`hypothesis.extra.numpy` (small
functions that compose, raising :class:`hypothesis.errors.InvalidArgument`
for bad arguments when they are called) and :func:`assert_equivalent`, which
compares two sequence models and says where they first differ.

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

import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

from numerics._validate import check_allocation, check_dtype
from numerics.engine.cells import cell_of
from numerics.engine.params import LayerParams
from numerics.models import StackedRNN
from theory._checks import check_activation, check_count, check_real, check_sequence, check_type
from theory.layout import ELMAN_ACTIVATIONS, GATES, Plan, check_cell, relaxed_plan

Range = tuple[int, int]

__all__ = [
    "EquivalenceCase",
    "assert_equivalent",
    "assert_gradients_match",
    "default_tolerance",
    "first_difference",
    "initial_states",
    "relaxed_plans",
    "sequences",
    "stacked_cases",
    "stacked_rnns",
    "weights",
]


@contextmanager
def _arguments() -> Iterator[None]:
    """Report a bad strategy argument as hypothesis does: ``InvalidArgument``, naming the argument."""
    try:
        yield
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(str(exc)) from exc


def _range(value: Range | int, name: str, minimum: int) -> Range:
    if isinstance(value, (tuple, list)) and len(value) == 2:
        lo, hi = value
    else:
        lo = hi = value  # type: ignore[assignment]
    ok = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (lo, hi))
    if not ok or lo < minimum or hi < lo:
        raise InvalidArgument(f"{name} must be an int or a (min, max) pair with {minimum} <= min <= max; "
                              f"got {value!r}")
    return int(lo), int(hi)


def _choices(values: Sequence[Any], name: str, check: Callable[[Any], Any]) -> list[Any]:
    """A non-empty list of checked values for ``st.sampled_from``."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
        raise InvalidArgument(f"{name} must be a non-empty sequence; got {values!r}")
    with _arguments():
        return [check(v) for v in values]


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} entries must be bools; got {value!r}")
    return bool(value)


def weights(shape: int | Sequence[int], dtype: Any = np.float64, bound: float = 1.0) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` with finite entries in ``[-bound, bound]``; they shrink towards 0.

    Parameters
    ----------
    shape : int or tuple of int
        Sizes ``>= 0`` of the axes (an int: one axis).
    dtype : float32 or float64
    bound : float
        Positive bound on the entries' magnitude.

    Returns
    -------
    strategy of ndarray, shape ``shape``

    Raises
    ------
    hypothesis.errors.InvalidArgument
        Naming the bad argument, also for a shape too large for this machine's memory.
    """
    with _arguments():
        dt = check_dtype(dtype)
        bound = check_real(bound, "bound", positive=True)
        dims = (shape,) if isinstance(shape, numbers.Integral) else shape
        dims = check_sequence(dims, "shape", "ints >= 0, or an int")
        dims = tuple(check_count(d, f"shape[{i}]", minimum=0) for i, d in enumerate(dims))
        check_allocation(math.prod(dims), dt.itemsize, "shape")
    return hnp.arrays(dt, dims, elements=st.floats(-bound, bound, width=8 * dt.itemsize,
                                                    allow_nan=False, allow_infinity=False))


@st.composite
def _layer(draw: st.DrawFn, cell: str, input_size: int, widths: Range, activations: list[str],
           dtype: np.dtype, bias: bool, bound: float) -> tuple[LayerParams, str | None]:
    """One layer's width, weights and activation: a single span, so the shrinker can delete it whole."""
    G = GATES[cell]
    n = draw(st.integers(*widths))
    params = LayerParams(
        draw(weights((G * n, input_size), dtype, bound)),
        draw(weights((G * n, n), dtype, bound)),
        draw(weights((G * n,), dtype, bound)) if bias else None,
        draw(weights((G * n,), dtype, bound)) if bias else None,
    )
    return params, draw(st.sampled_from(activations)) if cell_of(cell).activated else None


def mostly_at_least(low: int, high: int, informative: int) -> st.SearchStrategy[int]:
    """Integers in ``[low, high]``, drawn from ``[informative, high]`` nine times in ten.

    The informative range spends the search budget on cases that exercise a
    claim (e.g. two layers or more); the full range keeps every value
    reachable, and since the shrinker moves the choice towards the full range
    a counterexample still shrinks to ``low``.

    Parameters
    ----------
    low, high : int
        The full range, ``low <= high``.
    informative : int
        Lower end of the preferred range (clipped into ``[low, high]``).

    Returns
    -------
    strategy of int
    """
    preferred = min(max(informative, low), high)

    @st.composite
    def draw_int(draw: st.DrawFn) -> int:
        full = draw(st.integers(0, 9)) == 0
        return draw(st.integers(low if full else preferred, high))

    return draw_int()


def _mostly_first(values: list[Any]) -> st.SearchStrategy[Any]:
    """``values[0]`` nine times in ten, any of ``values`` otherwise (shrinks towards ``values[0]``)."""
    if len(values) == 1:
        return st.just(values[0])
    return st.integers(0, 9).flatmap(lambda k: st.sampled_from(values) if k == 0 else st.just(values[0]))


def stacked_rnns(
    *,
    cells: Sequence[str] = ("elman",),
    layers: Range | int = (1, 6),
    widths: Range | int = (1, 8),
    input_sizes: Range | int = (1, 5),
    activations: Sequence[str] = ELMAN_ACTIVATIONS,
    bias: Sequence[bool] = (True, False),
    dtypes: Sequence[Any] = (np.float64,),
    bound: float = 1.0,
) -> st.SearchStrategy[StackedRNN]:
    """Random stacked networks with unequal widths and per-layer activations.

    Most networks are informative: nine in ten have at least two layers
    (when ``layers`` allows), and the first entry of ``bias`` (biases on, by
    default) is drawn nine times in ten. Counterexamples shrink in depth as well as in width: a failing network
    loses any layer the failure does not need, not only the top ones.

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

    Raises
    ------
    hypothesis.errors.InvalidArgument
        For an unknown cell, activation or dtype, an empty choice, or a bad range.
    """
    cell_list = _choices(cells, "cells", check_cell)
    act_list = _choices(activations, "activations", check_activation)
    bias_list = _choices(bias, "bias", lambda b: _bool(b, "bias"))
    dtype_list = _choices(dtypes, "dtypes", check_dtype)
    depth, w_range, in_range = _range(layers, "layers", 1), _range(widths, "widths", 1), \
        _range(input_sizes, "input_sizes", 1)
    with _arguments():
        bound = check_real(bound, "bound", positive=True)

    @st.composite
    def draw_net(draw: st.DrawFn) -> StackedRNN:
        cell = draw(st.sampled_from(cell_list))
        n_in = draw(st.integers(*in_range))
        dt = draw(st.sampled_from(dtype_list))
        has_bias = draw(_mostly_first(bias_list))
        # The depth is drawn as an integer and each layer as its own span: when the shrinker lowers
        # a size it tries deleting any single span after it, so a middle layer the failure does
        # not need can go. ("One more layer?" booleans only let it cut the top layers, leaving
        # counterexamples five layers deep whose lower layers had been shrunk to zero weights.)
        L = draw(mostly_at_least(*depth, 2))
        ps: list[LayerParams] = []
        acts: list[str | None] = []
        prev = n_in
        for _ in range(L):
            p, a = draw(_layer(cell, prev, w_range, act_list, dt, has_bias, bound))
            ps.append(p)
            acts.append(a)
            prev = p.hidden_size
        return StackedRNN(cell, tuple(ps), tuple(acts))

    return draw_net()


def sequences(
    input_size: int,
    *,
    steps: Range | int = (0, 30),
    batch: Range | int = (1, 4),
    dtype: Any = np.float64,
    bound: float = 1.0,
) -> st.SearchStrategy[np.ndarray]:
    """Time-major input sequences.

    Parameters
    ----------
    input_size : int
    steps, batch : int or (min, max)
        Ranges of the length ``T`` (from 0) and the batch size ``B`` (from 1).
    dtype : float32 or float64
    bound : float
        Entries are drawn from ``[-bound, bound]``.

    Returns
    -------
    strategy of ndarray, shape (T, B, input_size)
    """
    with _arguments():
        input_size = check_count(input_size, "input_size")
        dtype = check_dtype(dtype)
        bound = check_real(bound, "bound", positive=True)
    t_range = _range(steps, "steps", 0)
    b_range = _range(batch, "batch", 1)
    with _arguments():
        check_allocation(t_range[1] * b_range[1] * input_size, dtype.itemsize, "steps × batch × input_size")
    return st.tuples(st.integers(*t_range), st.integers(*b_range)).flatmap(
        lambda tb: weights((tb[0], tb[1], input_size), dtype, bound)
    )


def initial_states(net: StackedRNN, batch: int, bound: float = 1.0) -> st.SearchStrategy[Any]:
    """Initial states for ``net``.

    Parameters
    ----------
    net : StackedRNN
    batch : int
        The batch size ``B``.
    bound : float
        Entries are drawn from ``[-bound, bound]``.

    Returns
    -------
    strategy
        A list of ``(B, n_l)`` arrays, one per layer; for LSTM a pair ``(h0, c0)`` of such lists.
    """
    with _arguments():
        check_type(net, StackedRNN, "net")
        batch = check_count(batch, "batch")
        bound = check_real(bound, "bound", positive=True)
        check_allocation(batch * sum(net.hidden_sizes), net.dtype.itemsize, "batch × hidden sizes")
    one = st.tuples(*[weights((batch, n), net.dtype, bound) for n in net.hidden_sizes]).map(list)
    return st.tuples(one, one) if cell_of(net.cell).second_state else one


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


def stacked_cases(
    *,
    steps: Range | int = (0, 30),
    batch: Range | int = (1, 4),
    with_h0: Sequence[bool] = (False, True),
    **net_kwargs: Any,
) -> st.SearchStrategy[EquivalenceCase]:
    """A stacked network, an input and optional initial states.

    Nine in ten inputs have at least one step (when ``steps`` allows), and
    networks are drawn as by :func:`stacked_rnns`, so most cases have a block
    that reads another block at some step.

    Parameters
    ----------
    steps, batch : int or (min, max)
        Ranges of the input's length ``T`` and batch size ``B`` (see :func:`sequences`).
    with_h0 : sequence of bool
        Whether the case has random initial states (``False``: ``h0`` is ``None``).
    **net_kwargs
        Keywords of :func:`stacked_rnns`.

    Returns
    -------
    strategy of EquivalenceCase
        ``x`` has shape ``(T, B, net.input_size)`` and the network's dtype.

    Raises
    ------
    hypothesis.errors.InvalidArgument
        For a bad argument, including an unknown keyword.
    """
    with _arguments():
        nets = stacked_rnns(**net_kwargs)
    t_range = _range(steps, "steps", 0)
    b_range = _range(batch, "batch", 1)
    h0_list = _choices(with_h0, "with_h0", lambda b: _bool(b, "with_h0"))

    @st.composite
    def draw_case(draw: st.DrawFn) -> EquivalenceCase:
        net = draw(nets)
        T = draw(mostly_at_least(*t_range, 1))
        x = draw(sequences(net.input_size, steps=T, batch=b_range, dtype=net.dtype))
        h0 = draw(initial_states(net, x.shape[1])) if draw(st.sampled_from(h0_list)) else None
        return EquivalenceCase(net, x, h0)

    return draw_case()


def relaxed_plans(
    *,
    cells: Sequence[str] = ("elman", "lstm", "gru"),
    max_blocks: int = 4,
    max_width: int = 1,
    max_delay: int = 5,
    max_hold: int = 2,
    max_lag: int = 5,
) -> st.SearchStrategy[Plan]:
    """Random relaxed plans (:func:`theory.layout.relaxed_plan`) for checking structural claims.

    Each plan has 1 to ``max_blocks`` blocks of widths 1 to ``max_width``, a
    random block-sparsity mask of the recurrent matrix, a random input mask,
    per-block lags in ``[0, max_lag]``, a delay in ``[0, max_delay]``, a
    non-empty read-out set of blocks and per-block holds in ``[0, max_hold]``.
    The input size is 1. Nine in ten plans have at least two blocks (when
    ``max_blocks`` allows), and nine in ten of those have an input edge into
    a block other than the first, which is where relaxed plans differ from
    stacked ones. Plans shrink towards one block, empty masks, zero delay,
    lags and holds.

    Parameters
    ----------
    cells : sequence of {"elman", "lstm", "gru"}
    max_blocks, max_width : int
        At least 1.
    max_delay, max_hold, max_lag : int
        At least 0.

    Returns
    -------
    strategy of theory.layout.Plan

    Raises
    ------
    hypothesis.errors.InvalidArgument
        For an unknown cell, an empty ``cells`` or a bad bound.

    Examples
    --------
    >>> from hypothesis import given
    >>> from theory.receptive import lookahead, lookahead_from_lags
    >>> @given(relaxed_plans(cells=("elman",)))
    ... def test_two_formulas_agree(plan):
    ...     assert lookahead(plan) == lookahead_from_lags(plan)
    """
    cell_list = _choices(cells, "cells", check_cell)
    with _arguments():
        max_blocks = check_count(max_blocks, "max_blocks", 1)
        max_width = check_count(max_width, "max_width", 1)
        max_delay = check_count(max_delay, "max_delay", 0)
        max_hold = check_count(max_hold, "max_hold", 0)
        max_lag = check_count(max_lag, "max_lag", 0)

    @st.composite
    def draw_plan(draw: st.DrawFn) -> Plan:
        L = draw(mostly_at_least(1, max_blocks, 2))
        cell = draw(st.sampled_from(cell_list))
        rm = np.array(draw(st.lists(st.booleans(), min_size=L * L, max_size=L * L)), dtype=bool).reshape(L, L)
        im = np.array(draw(st.lists(st.booleans(), min_size=L, max_size=L)), dtype=bool)
        if L >= 2 and draw(st.integers(0, 9)) != 0:  # shrinks to 0: no forced edge
            im[draw(st.integers(1, L - 1))] = True
        plan = relaxed_plan(cell, 1, draw(st.lists(st.integers(1, max_width), min_size=L, max_size=L)), rm, im,
                            delay=draw(st.integers(0, max_delay)),
                            readout=draw(st.lists(st.integers(0, L - 1), min_size=1, max_size=L, unique=True)),
                            lags=draw(st.lists(st.integers(0, max_lag), min_size=L, max_size=L)))
        holds = draw(st.lists(st.integers(0, max_hold), min_size=L, max_size=L))
        return replace(plan, blocks=tuple(replace(b, hold=h) for b, h in zip(plan.blocks, holds)))

    return draw_plan()


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
    return (1e-3, 1e-4) if check_dtype(dtype) == np.float32 else (1e-9, 1e-12)


def _tolerance(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number >= 0; got {type(value).__name__}")
    v = float(value)
    if not (np.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return v


def first_difference(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> tuple[int, ...] | None:
    """Index of the first entry (in C order, so time first) where ``a`` and ``b`` differ beyond tolerance.

    An entry differs when ``|a - b| > atol + rtol * scale``; ``scale`` is the
    largest magnitude of either array at that time step (axis 0) for arrays
    of rank 2 or more, the entry's own magnitude otherwise.

    Returns
    -------
    tuple of int or None
        ``(t, batch, unit)`` for sequence outputs, an index of ``a.ndim``
        entries in general; ``None`` if every entry is within tolerance.

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not numeric, or a tolerance is not a real number.
    ValueError
        If the shapes differ or a tolerance is negative or not finite.
    """
    rtol, atol = _tolerance(rtol, "rtol"), _tolerance(atol, "atol")
    arrays = []
    for name, v in (("a", a), ("b", b)):
        arr = np.asarray(v)
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise TypeError(f"{name} must be a numeric array; got dtype {arr.dtype}")
        check_allocation(arr.size, 8, name)  # a broadcast view can declare terabytes; the cast below allocates
        arrays.append(arr.astype(np.float64) if not np.iscomplexobj(arr) else arr)
    a, b = arrays
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    if a.size == 0:
        return None
    mag = np.maximum(np.abs(a), np.abs(b))
    scale = mag.max(axis=tuple(range(1, a.ndim)), keepdims=True) if a.ndim >= 2 else mag
    # NaN compares unequal to everything, so a NaN on one side only counts as a difference.
    bad = (np.abs(a - b) > atol + rtol * scale) | (np.isnan(a) != np.isnan(b))
    if not bad.any():
        return None
    return tuple(int(k) for k in np.argwhere(bad)[0])


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
    if rtol is not None:
        rtol = _tolerance(rtol, "rtol")
    if atol is not None:
        atol = _tolerance(atol, "atol")
    for name, f in zip(("a", "b"), (a, b)):
        if not callable(f):
            raise TypeError(f"{name} must be a callable model (called as {name}(x) or {name}(x, h0)); "
                            f"got {type(f).__name__}")
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
        va, vb = ya[where].item(), yb[where].item()
        at = (f"time step {where[0]}, batch item {where[1]}, unit {where[2]}" if len(where) == 3
              else f"index {where}")
        raise AssertionError(
            f"{names[0]} and {names[1]} first differ at {at}: "
            f"{va!r} vs {vb!r} (difference {abs(va - vb):.3g}; "
            f"max difference {err:.3g}; rtol={rtol:g}, atol={atol:g})"
        )
    return err


def assert_gradients_match(
    loss: Callable[[LayerParams], float],
    params: LayerParams,
    grads: LayerParams,
    *,
    masks: dict[str, np.ndarray] | None = None,
    eps: float = 1e-6,
    tol: float = 1e-6,
    samples: int = 15,
) -> int:
    """Assert that ``grads`` is the gradient of ``loss`` at ``params``, by central differences.

    The check a new backward pass needs: for up to ``samples`` entries of each
    parameter array (evenly spaced over its free entries), the analytic
    gradient must equal ``(loss(p + eps) - loss(p - eps)) / (2 eps)`` to
    ``tol · max(1, |numeric|)``; entries outside ``masks`` (fixed zeros of a
    masked network) must have a gradient of exactly 0. Use float64.

    Parameters
    ----------
    loss : callable
        ``loss(p) -> float`` for a :class:`~numerics.engine.params.LayerParams`
        ``p`` of the same shapes as ``params``.
    params : LayerParams
        Where the gradient is taken.
    grads : LayerParams
        The claimed gradient, same fields and shapes as ``params``.
    masks : dict of str to bool ndarray, optional
        Per field name (``"weight_hh"``, …), which entries are parameters;
        missing fields are free everywhere. Default: all entries free.
    eps : float
        Step of the central difference, > 0.
    tol : float
        Allowed difference relative to ``max(1, |numeric|)``, > 0.
    samples : int
        Entries checked per array, at least 1.

    Returns
    -------
    int
        Number of entries compared with a central difference.

    Raises
    ------
    AssertionError
        Naming the field, the entry and both values.
    """
    if not callable(loss):
        raise TypeError(f"loss must be a callable loss(params) -> float; got {type(loss).__name__}")
    check_type(params, LayerParams, "params", "a numerics.engine.params.LayerParams")
    check_type(grads, LayerParams, "grads", "a numerics.engine.params.LayerParams")
    for name, value in (("eps", eps), ("tol", tol)):
        if _tolerance(value, name) == 0:
            raise ValueError(f"{name} must be > 0; got {value!r}")
    samples = check_count(samples, "samples")
    masks = {} if masks is None else check_type(masks, dict, "masks", "a dict of field name to bool array")
    arrays, garrays = params.arrays(), grads.arrays()
    if set(arrays) != set(garrays):
        raise ValueError(f"grads must have the fields of params {sorted(arrays)}; got {sorted(garrays)}")
    checked = 0
    for name, arr in arrays.items():
        grad = garrays[name]
        if grad.shape != arr.shape:
            raise ValueError(f"grads.{name} must have shape {arr.shape}; got {grad.shape}")
        mask = np.ones(arr.shape, bool) if masks.get(name) is None else np.asarray(masks[name], bool)
        if mask.shape != arr.shape:
            raise ValueError(f"masks[{name!r}] must have shape {arr.shape}; got {mask.shape}")
        if np.any(grad[~mask] != 0):
            raise AssertionError(f"{name}: gradient outside the mask is not zero "
                                 f"(largest {np.abs(grad[~mask]).max():.3g})")
        free = list(zip(*np.nonzero(mask)))
        for idx in free[:: max(1, len(free) // samples)][:samples]:
            plus, minus = arr.copy(), arr.copy()
            plus[idx] += eps
            minus[idx] -= eps
            num = (loss(replace(params, **{name: plus})) - loss(replace(params, **{name: minus}))) / (2 * eps)
            if not abs(grad[idx] - num) <= tol * max(1.0, abs(num)):
                at = ", ".join(str(int(i)) for i in idx)
                raise AssertionError(f"{name}[{at}]: gradient {float(grad[idx])!r}, central difference {float(num)!r} "
                                     f"(difference {abs(grad[idx] - num):.3g}, tol {tol:g})")
            checked += 1
    return checked
