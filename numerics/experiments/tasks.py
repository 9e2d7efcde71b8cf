"""Synthetic tasks of the paper's experiments (docs/experiments.md): sequence reversal and sine filtering.

Both generators are seeded, return time-major arrays ``(T, B, features)``
and come with train / validation / test splits, like the data scripts of the
authors' reference code (``build_reverse_dataset.py``,
``build_sin_dataset.py``), with two deliberate differences: the reversal
splits never share a sequence (the reference draws each split
independently), and every parameter is validated with an error that names it.

Sequence reversal
    ``V`` symbols, one-hot inputs of length ``T``; the target at time ``t``
    (1-based) is the input symbol at time ``T - t + 1``. A network that sees
    ``d`` steps ahead can emit the symbol for time ``t`` only if
    ``T - t + 1 <= t + d``; every ``t`` qualifies iff ``d >= T - 1``.
Sine filtering
    Inputs ``x_t ~ U[0, 1]``; one random filter ``w ~ U[0, 1]^(c + a)``
    shared by all splits, with ``c`` causal taps (offsets ``-(c-1) … 0``, the
    current step included) and ``a`` acausal taps (offsets ``1 … a``);
    ``y_t = sin(scale · Σ_k w_k x_{t+k})``, the sum running over the offsets
    that stay inside the sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from numerics._validate import as_float_array, check_allocation
from theory._checks import check_choice, check_count, check_real

#: Split names, in the order the sizes are given.
SPLITS: tuple[str, ...] = ("train", "val", "test")

#: Below this many distinct sequences the reversal sampler enumerates the
#: space (exact sampling without replacement); above it, it draws rows and
#: rejects the rare duplicates.
_ENUMERATE_LIMIT = 1 << 24


def _sizes(sizes: Any) -> tuple[int, int, int]:
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a sequence of three ints (train, val, test); got {type(sizes).__name__}")
    if len(sizes) != 3:
        raise ValueError(f"sizes must have three entries (train, val, test); got {len(sizes)}")
    return tuple(check_count(s, f"sizes[{i}] ({SPLITS[i]})", 1) for i, s in enumerate(sizes))  # type: ignore[return-value]


@dataclass(frozen=True)
class Split:
    """One split of a task.

    Attributes
    ----------
    x : ndarray, shape (T, B, features)
        Inputs, time-major.
    y : ndarray
        Targets: integer symbols ``(T, B)`` for reversal, reals ``(T, B, 1)``
        for sine filtering.
    """

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return int(self.x.shape[1])


@dataclass(frozen=True)
class TaskData:
    """A task's three splits and the parameters that generated them.

    Attributes
    ----------
    name : {"reversal", "sine"}
    train, val, test : Split
    params : dict
        Generator arguments (JSON-serialisable), e.g. ``{"V": 4, "T": 20, …}``.
    filter : ndarray, shape (c + a,), or None
        The sine task's filter ``w`` (``w[c-1]`` weights the current step).
    """

    name: str
    train: Split
    val: Split
    test: Split
    params: dict[str, Any]
    filter: np.ndarray | None = None

    @property
    def kind(self) -> str:
        """``"classification"`` (integer targets) or ``"regression"``."""
        return "classification" if self.name == "reversal" else "regression"

    @property
    def input_size(self) -> int:
        return int(self.train.x.shape[2])

    @property
    def output_size(self) -> int:
        """Read-out width: ``V`` logits for reversal, 1 value for sine."""
        return int(self.params["V"]) if self.name == "reversal" else 1


# ---------------------------------------------------------------- reversal
def _distinct_symbol_rows(rng: np.random.Generator, V: int, T: int, n: int) -> np.ndarray:
    """``n`` pairwise distinct rows of ``T`` symbols in ``[0, V)``, shape ``(n, T)``."""
    space = V ** T
    if space <= _ENUMERATE_LIMIT:
        # Small space: draw n distinct sequence indices and write them in base V.
        idx = rng.choice(space, size=n, replace=False)
        powers = V ** np.arange(T - 1, -1, -1, dtype=np.int64)
        return ((idx[:, None] // powers) % V).astype(np.int64)
    # Large space (more than 2**24 sequences, n far smaller): duplicates are
    # rare, so draw, keep the first occurrence of each row, top up until n rows.
    rows = np.empty((0, T), dtype=np.int64)
    while rows.shape[0] < n:
        extra = rng.integers(0, V, size=(n - rows.shape[0], T), dtype=np.int64)
        both = np.concatenate([rows, extra], axis=0)
        _, first = np.unique(both, axis=0, return_index=True)
        rows = both[np.sort(first)]
    return rows


def reversal_targets(symbols: np.ndarray) -> np.ndarray:
    """Targets of the reversal task: the symbol sequence read backwards along time.

    Parameters
    ----------
    symbols : int array, shape (T, B)

    Returns
    -------
    ndarray, shape (T, B)
        ``out[t] = symbols[T - 1 - t]`` (0-based; the paper's ``T - t + 1`` 1-based).
    """
    symbols = np.asarray(symbols)
    if not np.issubdtype(symbols.dtype, np.integer):
        raise TypeError(f"symbols must be an int array of shape (T, B); got dtype {symbols.dtype}")
    if symbols.ndim != 2:
        raise ValueError(f"symbols must be an int array of shape (T, B); got shape {symbols.shape}")
    return np.ascontiguousarray(symbols[::-1])


def reversal(V: int = 4, T: int = 20, sizes: Any = (10_000, 2_000, 2_000), *, seed: int = 0,
             dtype: Any = np.float64) -> TaskData:
    """Sequence reversal (docs/experiments.md, paper §4.1).

    Parameters
    ----------
    V : int
        Number of symbols, ``>= 2``.
    T : int
        Sequence length, ``>= 1``.
    sizes : sequence of 3 ints
        Sequences in the train, validation and test splits.
    seed : int
    dtype : float32 or float64
        Dtype of the one-hot inputs.

    Returns
    -------
    TaskData
        ``x`` one-hot ``(T, B, V)``; ``y`` integer symbols ``(T, B)``. No
        sequence appears twice, within or across splits.

    Raises
    ------
    ValueError
        If a split, or the three together, ask for more sequences than the
        ``V**T`` distinct ones.

    Examples
    --------
    >>> data = reversal(V=3, T=5, sizes=(20, 5, 5), seed=1)
    >>> data.train.x.shape, data.train.y.shape
    ((5, 20, 3), (5, 20))
    """
    V = check_count(V, "V", 2)
    T = check_count(T, "T", 1)
    n = _sizes(sizes)
    seed = check_count(seed, "seed", 0)
    # Symbols, one-hot inputs and targets; the product of the arguments is what cannot fit.
    check_allocation(V * V, 8, f"V ({V} symbols: their one-hot table)")
    check_allocation(sum(n) * T * (V + 2), 8, f"V = {V}, T = {T} and sizes = {n} together")
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dt}")
    space = V ** T  # Python int: exact even when it exceeds int64
    for name, k in zip(SPLITS, n):
        if k > space:
            raise ValueError(f"sizes: the {name} split asks for {k} sequences but V**T = {V}**{T} = {space} "
                             "distinct sequences exist")
    if sum(n) > space:
        raise ValueError(f"sizes: the splits together ask for {sum(n)} sequences but only V**T = {V}**{T} = "
                         f"{space} distinct sequences exist, so the splits cannot be disjoint")
    rng = np.random.default_rng(seed)
    rows = _distinct_symbol_rows(rng, V, T, sum(n))  # (total, T), pairwise distinct
    eye = np.eye(V, dtype=dt)
    out = []
    start = 0
    for k in n:
        sym = rows[start:start + k].T  # (T, k) time-major
        start += k
        out.append(Split(eye[sym], reversal_targets(sym)))
    params = {"V": V, "T": T, "sizes": list(n), "seed": seed}
    return TaskData("reversal", out[0], out[1], out[2], params)


# -------------------------------------------------------------- sine filter
def sine_targets(x: np.ndarray, w: np.ndarray, causal: int, scale: float) -> np.ndarray:
    """Targets of the sine-filtering task for inputs ``x`` and filter ``w``.

    Parameters
    ----------
    x : array, shape (T, B) or (T, B, 1)
    w : array, shape (causal + acausal,)
        ``w[causal - 1 + k]`` weights ``x_{t+k}``, ``k = -(causal-1) … acausal``.
    causal : int
        Number of causal taps (current step included), ``>= 1``.
    scale : float

    Returns
    -------
    ndarray, shape (T, B, 1)
        ``sin(scale · Σ_k w[causal-1+k] x_{t+k})`` over the ``k`` with
        ``0 <= t + k < T`` (the filter is clipped at the sequence ends).
    """
    xs = as_float_array(x, "x", np.dtype(np.float64))
    scale = check_real(scale, "scale")
    if xs.ndim == 3:
        if xs.shape[2] != 1:
            raise ValueError(f"x must have shape (T, B) or (T, B, 1); got {xs.shape}")
        xs = xs[:, :, 0]
    if xs.ndim != 2:
        raise ValueError(f"x must have shape (T, B) or (T, B, 1); got {xs.shape}")
    w = as_float_array(w, "w", np.dtype(np.float64))
    causal = check_count(causal, "causal", 1)
    if w.ndim != 1 or w.shape[0] < causal:
        raise ValueError(f"w must be 1-D with at least causal = {causal} taps; got shape {w.shape}")
    T = xs.shape[0]
    s = np.zeros_like(xs)
    # One shifted, clipped copy of the input per tap: a vectorised correlation
    # whose missing terms at the ends are simply absent (not zero-padded twice).
    for j, wj in enumerate(w):
        k = j - (causal - 1)
        lo, hi = max(0, -k), min(T, T - k)
        if lo < hi:
            s[lo:hi] += wj * xs[lo + k:hi + k]
    return np.sin(scale * s)[:, :, None]


def sine(T: int = 30, causal: int = 10, acausal: int = 5, scale: float = 0.1,
         sizes: Any = (10_000, 2_000, 2_000), *, seed: int = 0, dtype: Any = np.float64) -> TaskData:
    """Sine filtering (docs/experiments.md, paper §4.2).

    Parameters
    ----------
    T : int
        Sequence length, ``>= 1``.
    causal : int
        Causal taps ``c >= 1`` (offsets ``-(c-1) … 0``, the current step included).
    acausal : int
        Acausal taps ``a >= 0`` (offsets ``1 … a``: the future).
    scale : float
        ``> 0``; larger scales make the target more non-linear in the filtered sum.
    sizes : sequence of 3 ints
    seed : int
        Draws the filter first, then the inputs of each split.
    dtype : float32 or float64

    Returns
    -------
    TaskData
        ``x`` ``(T, B, 1)`` uniform on ``[0, 1]``; ``y`` ``(T, B, 1)``;
        ``filter`` the ``c + a`` taps.

    Examples
    --------
    >>> data = sine(T=12, causal=3, acausal=2, sizes=(8, 4, 4), seed=0)
    >>> data.train.x.shape, data.train.y.shape, data.filter.shape
    ((12, 8, 1), (12, 8, 1), (5,))
    """
    T = check_count(T, "T", 1)
    causal = check_count(causal, "causal", 1)
    acausal = check_count(acausal, "acausal", 0)
    scale = check_real(scale, "scale", positive=True)
    n = _sizes(sizes)
    seed = check_count(seed, "seed", 0)
    # Noise, signal, inputs and targets; the product of the arguments is what cannot fit.
    check_allocation(sum(n) * (T + causal + acausal) * 4, 8,
                     f"T = {T}, causal = {causal}, acausal = {acausal} and sizes = {n} together")
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dt}")
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.0, 1.0, size=causal + acausal)
    out = []
    for k in n:
        x = rng.uniform(0.0, 1.0, size=(T, k, 1))
        out.append(Split(x.astype(dt), sine_targets(x, w, causal, scale).astype(dt)))
    params = {"T": T, "causal": causal, "acausal": acausal, "scale": scale, "sizes": list(n), "seed": seed}
    return TaskData("sine", out[0], out[1], out[2], params, filter=w)


def make_task(name: str, **kwargs: Any) -> TaskData:
    """Build a task by name: ``"reversal"`` → :func:`reversal`, ``"sine"`` → :func:`sine`."""
    check_choice(name, ("reversal", "sine"), "name")
    return reversal(**kwargs) if name == "reversal" else sine(**kwargs)


def lookahead_needed(data: TaskData) -> int:
    """Smallest delay with which a causal reader sees every input its target depends on.

    ``T - 1`` for reversal (the first output is the last input), ``a`` for sine filtering.
    """
    return int(data.params["T"]) - 1 if data.name == "reversal" else int(data.params["acausal"])


def reversal_accuracy_bound(V: int, T: int, delay: int) -> float:
    """Best expected per-symbol accuracy of a reader with look-ahead ``delay``.

    Target ``t`` (1-based) is visible iff ``T - t + 1 <= t + delay``; the
    others can only be guessed (probability ``1/V``). A causal network has
    ``delay = 0``; a bidirectional one, or ``delay >= T - 1``, reaches 1.

    Returns
    -------
    float
    """
    V = check_count(V, "V", 2)
    T = check_count(T, "T", 1)
    delay = check_count(delay, "delay", 0)
    # Target t is visible iff t >= (T + 1 - delay) / 2: count them in closed form (T may be huge).
    seen = max(0, T - max(1, -(-(T + 1 - delay) // 2)) + 1)
    return (seen + (T - seen) / V) / T


__all__ = [
    "SPLITS",
    "Split",
    "TaskData",
    "lookahead_needed",
    "make_task",
    "reversal",
    "reversal_accuracy_bound",
    "reversal_targets",
    "sine",
    "sine_targets",
]
