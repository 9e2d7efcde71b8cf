"""Symbolic unrolling: stacked and delayed networks as SymPy expression trees.

The stacked network's parameters are matrices of named symbols (PyTorch
names: ``weight_ih_l1[2,0]`` is row 2, column 0 of layer 1's input weights).
The delayed network's matrices are assembled from the *same* symbols by
iterating over :meth:`theory.layout.Plan.placements` — the list the NumPy
assembly in :mod:`numerics.models.construction` uses — so the symbolic check
verifies the layout the numerical code runs.

Activations are uninterpreted :class:`sympy.Function` objects (``phi_1``,
``sigma``, ``tau``): an identity between the unrolled expressions then holds
for *every* activation at once. Nothing is simplified: SymPy's automatic
canonicalisation (flattened, sorted sums and products; ``0·a = 0``) is the
only rewriting, so "equal" means the two trees compare equal with ``==``.
The same code runs with concrete rational numbers and concrete activations
(relu, identity), which makes the exact-arithmetic check of
:func:`exact_check` a second use of one evaluator rather than a second
implementation.

Indices are 0-based throughout: block ``l`` holds stacked layer ``l``
(``h1`` in display names), step ``τ`` consumes input ``x_τ``, and block ``l``
at step ``τ`` stands for time ``τ - lag[l]``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import sympy

from theory._checks import (
    GATES,
    check_cell,
    check_choice,
    check_count,
    check_sequence,
    check_sizes,
    check_type,
)
from theory.layout import START_RULES, Plan, check_plan, layer_param, stacked_plan
from theory.symbolic_run import (  # the evaluator, re-exported: the names this module's users import from it
    MAX_SYMBOLIC,
    SYMBOLIC_ACTIVATIONS,
    Activations,
    Fn,
    Trace,
    Vec,
    clear_interned,
    layer_activations,
    run_delayed,
    run_layer,
    run_stacked,
    uninterpreted,
)


def _symbolic_sizes(widths: object, name: str = "widths") -> tuple[int, ...]:
    """``widths`` as a tuple of positive ints, with at most ``MAX_SYMBOLIC`` layers of at most that width."""
    sizes = check_sizes(widths, name)
    if len(sizes) > MAX_SYMBOLIC or max(sizes) > MAX_SYMBOLIC:
        raise ValueError(f"{name} must have at most {MAX_SYMBOLIC} layers of width at most {MAX_SYMBOLIC} "
                         f"(symbolic unrolling grows with both); got {list(sizes)[:8]}")
    return sizes


#: Start rules of the symbolic identity check: docs/theory/theorem1.md (c), (b) and (a).
SYMBOLIC_STARTS: tuple[str, ...] = ("staggered", "zero", "zero-bias")

#: Reset-gate variants of a delayed GRU: PyTorch's cell, and the own-block-only cell.
RESETS: tuple[str, ...] = ("all", "own")


# --------------------------------------------------------------------- symbols
def stacked_symbols(cell: str, input_size: int, widths: Sequence[int], *, bias: bool = True,
                    ) -> dict[str, sympy.ImmutableMatrix]:
    """Named symbolic parameters of a stacked network.

    Parameters
    ----------
    cell : {"elman", "lstm", "gru"}
    input_size : int
        ``n_0``.
    widths : sequence of int
        ``n_1 … n_L`` (0-based layer ``l`` has width ``widths[l]``).
    bias : bool

    Returns
    -------
    dict of str to ImmutableMatrix
        ``weight_ih_l{l}`` of shape ``(G·n_l, n_{l-1})``, ``weight_hh_l{l}``
        ``(G·n_l, n_l)``, and (with ``bias``) ``bias_ih_l{l}``,
        ``bias_hh_l{l}`` of shape ``(G·n_l, 1)``; entry ``[i, j]`` is the
        symbol ``weight_ih_l{l}[i,j]``.
    """
    G = GATES[check_cell(cell)]
    n0 = check_count(input_size, "input_size", 1, MAX_SYMBOLIC)
    sizes = _symbolic_sizes(widths)
    out: dict[str, sympy.ImmutableMatrix] = {}
    ins = (n0, *sizes[:-1])
    for l, (m, n) in enumerate(zip(ins, sizes)):
        for kind, cols in (("weight_ih", m), ("weight_hh", n)):
            name = layer_param(kind, l)
            out[name] = sympy.ImmutableMatrix(G * n, cols, lambda i, j, name=name: sympy.Symbol(f"{name}[{i},{j}]"))
        if bias:
            for kind in ("bias_ih", "bias_hh"):
                name = layer_param(kind, l)
                out[name] = sympy.ImmutableMatrix(G * n, 1, lambda i, _j, name=name: sympy.Symbol(f"{name}[{i}]"))
    return out


def input_symbols(steps: int, input_size: int) -> list[Vec]:
    """Symbolic inputs ``x[τ,i]``: a list of ``steps`` vectors of length ``input_size``."""
    steps = check_count(steps, "steps", 0, MAX_SYMBOLIC)
    input_size = check_count(input_size, "input_size", 0, MAX_SYMBOLIC)
    return [[sympy.Symbol(f"x[{t},{i}]") for i in range(input_size)] for t in range(steps)]


def state_symbols(prefix: str, widths: Sequence[int]) -> list[Vec]:
    """Symbolic per-layer initial states ``{prefix}_l{l}[i]``, one vector per layer."""
    check_type(prefix, str, "prefix")
    widths = _symbolic_sizes(widths)
    return [[sympy.Symbol(f"{prefix}_l{l}[{i}]") for i in range(n)] for l, n in enumerate(widths)]


def assemble(plan: Plan, params: dict[str, Any]) -> dict[str, sympy.ImmutableMatrix]:
    """The delayed network's matrices, filled from stacked parameters by the plan's placements.

    The symbolic twin of :func:`numerics.models.construction.assemble`: the
    same operation, zero matrices of the plan's shapes with every placement
    of ``plan.placements()`` copied in from its stacked source, done here by
    :func:`fill_placements` on SymPy matrices and there by
    :func:`numerics.models.construction.fill_placements` on NumPy arrays.
    The names stay apart because notebooks and exercises import both.

    Parameters
    ----------
    plan : Plan
    params : dict of str to matrix
        Stacked parameters (symbolic or numeric SymPy matrices) under PyTorch
        names, as returned by :func:`stacked_symbols`.

    Returns
    -------
    dict of str to ImmutableMatrix
        ``weight_ih (G·N, n_0)``, ``weight_hh (G·N, N)``, and with
        ``plan.bias`` ``bias_ih``, ``bias_hh`` ``(G·N, 1)``; entries no
        placement covers are exactly 0.
    """
    plan = check_plan(plan)
    check_type(params, dict, "params")
    return fill_placements(plan, plan.placements(), params)


def fill_placements(
    plan: Plan, placements: Sequence[Any], params: dict[str, Any], identity: str | None = None
) -> dict[str, sympy.ImmutableMatrix]:
    """Zero matrices of ``plan``'s shapes with each placement's slice of its source copied in.

    The symbolic twin of :func:`numerics.models.construction.fill_placements`
    and the kernel of :func:`assemble` and of
    :func:`theory.topology_symbolic.compiled_matrices`, which check their
    arguments. A placement whose source is ``identity`` copies a slice of an
    identity matrix (the delay lines of a compiled topology).
    """
    gn = plan.gates * plan.hidden_size
    out = {"weight_ih": sympy.zeros(gn, plan.input_size), "weight_hh": sympy.zeros(gn, plan.hidden_size)}
    if plan.bias:
        out.update(bias_ih=sympy.zeros(gn, 1), bias_hh=sympy.zeros(gn, 1))
    for p in placements:
        if p.matrix not in out:
            raise ValueError(f"placement into {p.matrix!r}, which a plan with bias={plan.bias} does not have")
        if identity is not None and p.source == identity:
            src = sympy.eye(max(p.source_rows[1], p.source_cols[1]) if p.source_cols else p.source_rows[1])
        elif p.source in params:
            src = sympy.Matrix(params[p.source])
        else:
            raise ValueError(f"params is missing {p.source!r}, needed for {p.matrix}")
        (r0, r1), (s0, s1) = p.rows, p.source_rows
        c0, c1 = p.cols if p.cols is not None else (0, 1)
        d0, d1 = p.source_cols if p.source_cols is not None else (0, 1)
        if src.rows < s1 or src.cols < d1:
            raise ValueError(f"params[{p.source!r}] has shape {src.shape}; the placement needs at least ({s1}, {d1})")
        out[p.matrix][r0:r1, c0:c1] = src[s0:s1, d0:d1]
    return {k: sympy.ImmutableMatrix(v) for k, v in out.items()}


#: True while :func:`sweep` runs its cases on one shared table.
_SWEEPING = False


@dataclass(frozen=True)
class IdentityCheck:
    """Result of comparing an unrolled delayed network with its stacked network.

    Attributes
    ----------
    cell, start, reset : str
    widths : tuple of int
    steps : int
        Sequence length ``T``.
    compared : int
        Number of scalar expressions compared (every block at every step
        that stands for a real time ``0 … T-1``; LSTM cell states too).
    equal : bool
        All compared pairs are identical trees (``==``).
    seconds : float
    mismatch : dict or None
        The first differing pair: ``step``, ``block``, ``unit``, ``time``,
        ``kind`` (``"h"``/``"c"``/``"warm-up"``), and both expressions as strings.
    """

    cell: str
    widths: tuple[int, ...]
    steps: int
    start: str
    reset: str
    compared: int
    equal: bool
    seconds: float
    mismatch: dict[str, Any] | None = None


def trees_equal(a: Any, b: Any, memo: dict[tuple[int, int], bool] | None = None) -> bool:
    """Structural equality of two SymPy expressions, linear in the size of their DAGs.

    The same answer as ``a == b`` (node types, atoms and argument tuples
    agree recursively), but memoised on pairs of nodes. ``==`` on two
    separately built copies of a tree with shared sub-expressions revisits
    each shared node once per path to it — exponential in the depth of an
    unrolled network — unless SymPy's cache happened to hand both sides the
    same objects; this function does not depend on the cache.
    """
    if a is b:
        return True
    if not (isinstance(a, sympy.Basic) and isinstance(b, sympy.Basic)) or not a.args or not b.args:
        return bool(a == b)  # atoms (symbols, numbers) and non-SymPy values
    if a.func != b.func or hash(a) != hash(b) or len(a.args) != len(b.args):
        return False
    memo = {} if memo is None else memo
    key = (id(a), id(b))
    if key not in memo:
        memo[key] = all(trees_equal(x, y, memo) for x, y in zip(a.args, b.args))
    return memo[key]


def _aligned_units(plan: Plan, steps: int) -> Iterator[tuple[int, int, int, int, int]]:
    """``(tau, l, t, a0, j)``: unit ``a0 + j`` of block ``l`` at delayed step ``tau`` stands for stacked
    layer ``l``'s unit ``j`` at time ``t = tau - lag[l]``, for every ``t`` inside the sequence."""
    for tau in range(steps + plan.delay):
        for l, b in enumerate(plan.blocks):
            t = tau - b.lag
            if 0 <= t < steps:
                a0, a1 = plan.span(l)
                for j in range(a1 - a0):
                    yield tau, l, t, a0, j


def _outputs(plan: Plan, steps: int) -> Iterator[tuple[int, int, int, int]]:
    """``(t, tau, k, u)``: entry ``k`` of the output for time ``t`` is the plan's ``k``-th read-out unit ``u``
    at step ``tau = t + plan.delay``."""
    units = plan.readout_units().tolist()
    for t in range(steps):
        for k, u in enumerate(units):
            yield t, t + plan.delay, k, u


def _compare(plan: Plan, delayed: Trace, stacked: list[Trace], steps: int, gated_c: bool,
             ) -> tuple[int, dict[str, Any] | None]:
    """Compare the outputs (read-out units at step ``t + delay`` against the top layer at ``t``), then every
    block against its layer by the lags (the induction invariant). Returns the count and the first mismatch."""
    compared, memo = 0, {}
    top = stacked[-1].h
    n_out = len(plan.readout_units())
    for t, tau, k, u in _outputs(plan, steps):
        compared += 1
        if n_out != len(top[t]) or not trees_equal(delayed.h[tau][u], top[t][k], memo):
            block = next(l for l in range(len(plan.blocks)) if plan.span(l)[0] <= u < plan.span(l)[1])
            return compared, {"kind": "output", "step": tau, "block": block, "time": t, "unit": k,
                              "delayed": str(delayed.h[tau][u]),
                              "stacked": str(top[t][k]) if k < len(top[t]) else "(no such unit)"}
    for tau, l, t, a0, j in _aligned_units(plan, steps):
        kinds = [("h", delayed.h, stacked[l].h)] + ([("c", delayed.c, stacked[l].c)] if gated_c else [])
        for kind, dv, sv in kinds:
            compared += 1
            if not trees_equal(dv[tau][a0 + j], sv[t][j], memo):
                return compared, {"kind": kind, "step": tau, "block": l, "unit": j, "time": t,
                                  "delayed": str(dv[tau][a0 + j]), "stacked": str(sv[t][j])}
    return compared, None


def build_case(cell: str, widths: Sequence[int], steps: int, *, input_size: int = 2, start: str = "staggered",
               ) -> tuple[Plan, dict[str, Any], list[Vec]]:
    """The plan, symbolic stacked parameters and symbolic inputs of one identity check."""
    check_cell(cell)
    sizes = _symbolic_sizes(widths)
    input_size = check_count(input_size, "input_size", 1, MAX_SYMBOLIC)
    check_choice(start, SYMBOLIC_STARTS, "start")
    acts = layer_activations(len(sizes), start == "zero-bias") if cell == "elman" else None
    plan = stacked_plan(cell, input_size, sizes, acts, bias=start != "zero-bias",
                        start="staggered" if start == "staggered" else "zero", allow_gru=cell == "gru")
    params = stacked_symbols(cell, input_size, sizes, bias=plan.bias)
    return plan, params, input_symbols(check_count(steps, "steps", 0, MAX_SYMBOLIC), input_size)


def check_identity(cell: str, widths: Sequence[int], steps: int, *, input_size: int = 2,
                   start: str = "staggered", reset: str = "all") -> IdentityCheck:
    """Unroll the stacked network and its delayed construction symbolically and compare the trees.

    Parameters
    ----------
    cell : {"elman", "lstm", "gru"}
        For ``"gru"`` the *naive* layout is used (``stacked_plan(..., allow_gru=True)``).
    widths : sequence of int
        Layer widths ``n_1 … n_L``.
    steps : int
        Sequence length ``T >= 0``.
    input_size : int
    start : {"staggered", "zero", "zero-bias"}
        ``"staggered"``: symbolic initial states ``h0_l{l}`` (and ``c0``),
        held blocks (docs/theory/theorem1.md (c)). ``"zero"``: the delayed network starts
        from 0; its warm-up states (block ``l`` after step ``l-1``) must be
        free of input symbols, and the stacked network starts from them
        (§3 (b)). ``"zero-bias"``: no biases, activations with ``f(0) = 0``,
        both networks start from 0 (§3 (a)).
    reset : {"all", "own"}
        GRU only: PyTorch's cell or the own-reset cell in the delayed network.

    Returns
    -------
    IdentityCheck
    """
    check_cell(cell)
    check_choice(reset, RESETS, "reset")
    if reset == "own" and cell != "gru":
        raise ValueError(f"reset='own' applies to cell='gru' only; got cell={cell!r}")
    t0 = time.perf_counter()
    if not _SWEEPING:
        clear_interned()
    plan, params, xs = build_case(cell, widths, steps, input_size=input_size, start=start)
    sizes = check_sizes(widths, "widths")
    zero_fixed = start == "zero-bias"
    names = layer_activations(len(sizes), zero_fixed) if cell == "elman" else None
    acts = uninterpreted(len(sizes), zero_fixed=zero_fixed, names=names)
    mats = assemble(plan, params)
    lstm = cell == "lstm"
    if start == "staggered":
        h0 = state_symbols("h0", sizes)
        c0 = state_symbols("c0", sizes) if lstm else None
    else:
        h0 = [[sympy.S.Zero] * n for n in sizes]
        c0 = [list(v) for v in h0] if lstm else None
    s0 = [v for vec in h0 for v in vec]
    sc0 = [v for vec in c0 for v in vec] if lstm else None
    delayed = run_delayed(plan, mats, xs, s0, sc0, acts, reset)
    if start == "zero":
        h0, c0 = warmup_states(plan, mats, acts, reset)
    stacked = run_stacked(cell, params, xs, h0, c0, acts)
    compared, mm = _compare(plan, delayed, stacked, steps, lstm)
    return IdentityCheck(cell, tuple(sizes), steps, start, reset, compared, mm is None,
                         time.perf_counter() - t0, mm)


def warmup_states(plan: Plan, mats: dict[str, Any], acts: Activations, reset: str = "all",
                  ) -> tuple[list[Vec], list[Vec] | None]:
    """Warm-up states of a zero-start delayed network (docs/theory/theorem1.md (b)).

    Block ``l``'s warm-up state is its state after step ``l - 1`` of the
    network started from 0 on zero input (block 0: the zero initial state).
    Before step ``l`` no input can reach block ``l`` (it is ``l`` edges from
    the input), so these states are the same for every input sequence.

    Returns
    -------
    h : list of vectors, one per block
    c : list of vectors or None
        Cell states (LSTM only).
    """
    L, lstm = len(plan.blocks), plan.cell == "lstm"
    s0 = [sympy.S.Zero] * plan.hidden_size
    zeros = [[sympy.S.Zero] * plan.input_size for _ in range(L - 1)]
    tr = run_delayed(replace(plan, delay=0), mats, zeros, s0, list(s0) if lstm else None, acts, reset)
    h = [s0[slice(*plan.span(l))] if l == 0 else tr.h[l - 1][slice(*plan.span(l))] for l in range(L)]
    if not lstm:
        return h, None
    c = [s0[slice(*plan.span(l))] if l == 0 else tr.c[l - 1][slice(*plan.span(l))] for l in range(L)]
    return h, c


def _sweep(cell: str, max_layers: int, max_steps: int, *, starts: Sequence[str] = SYMBOLIC_STARTS,
          width_cycle: Sequence[int] = (2, 1, 3), input_size: int = 2, reset: str = "all",
          ) -> list[IdentityCheck]:
    """The loop of :func:`sweep`, without its table management."""
    max_layers = check_count(max_layers, "max_layers", 1, MAX_SYMBOLIC)
    max_steps = check_count(max_steps, "max_steps", 1, MAX_SYMBOLIC)
    cyc = _symbolic_sizes(width_cycle, "width_cycle")
    starts = check_sequence(starts, "starts", f"start rules {list(SYMBOLIC_STARTS)}")
    for i, s in enumerate(starts):
        check_choice(s, SYMBOLIC_STARTS, f"starts[{i}]")
    out = []
    for L in range(1, max_layers + 1):
        widths = [cyc[l % len(cyc)] for l in range(L)]
        for T in range(1, max_steps + 1):
            for s in starts:
                out.append(check_identity(cell, widths, T, input_size=input_size, start=s, reset=reset))
    return out


def sweep(cell: str, max_layers: int, max_steps: int, *, starts: Sequence[str] = SYMBOLIC_STARTS,
          width_cycle: Sequence[int] = (2, 1, 3), input_size: int = 2, reset: str = "all",
          ) -> list[IdentityCheck]:
    """:func:`check_identity` for every ``L <= max_layers``, ``T <= max_steps`` and start rule.

    Widths cycle through ``width_cycle`` (unequal widths exercise the block
    offsets). Returns one :class:`IdentityCheck` per case. The cases share
    one interning table (cleared before and after): consecutive cases build
    largely the same sub-expressions, which are then reused, not rebuilt.

    Raises
    ------
    TypeError, ValueError
        Naming the bad argument, e.g. ``starts[1]`` for a start rule not in :data:`SYMBOLIC_STARTS`.
    """
    global _SWEEPING
    clear_interned()
    _SWEEPING = True
    try:
        return _sweep(cell, max_layers, max_steps, starts=starts, width_cycle=width_cycle,
                      input_size=input_size, reset=reset)
    finally:
        _SWEEPING = False
        clear_interned()


# ---------------------------------------------------------------- GRU residual
def gru_residual(widths: Sequence[int] = (1, 1), steps: int = 1, *, input_size: int = 1) -> dict[str, Any]:
    """Where the naive delayed GRU first departs from the stacked GRU, and by how much.

    Compares the arguments of ``tanh`` in the candidate ``n`` of the first
    block that differs. Their difference, with the reset gate and the lower
    block's state abbreviated as symbols ``r`` and ``h_below``, is
    ``(r - 1)·Σ_j W_n[i,j]·h_below[j]``: the single layer multiplies block
    ``l``'s reading of block ``l-1`` by its reset gate, the stacked GRU does not.

    Returns
    -------
    dict
        ``step``, ``block``, ``unit``, ``residual`` (the SymPy expression),
        ``text`` (its string), and ``factor`` — the residual divided by the
        term ``W_n h_below`` (should be ``r - 1``).
    """
    clear_interned()
    plan, params, xs = build_case("gru", widths, steps, input_size=input_size, start="staggered")
    sizes = plan.widths
    acts = uninterpreted(len(sizes))
    h0 = state_symbols("h0", sizes)
    delayed = run_delayed(plan, assemble(plan, params), xs, [v for vec in h0 for v in vec], None, acts)
    stacked = run_stacked("gru", params, xs, h0, None, acts)
    for tau, l, t, a0, j in _aligned_units(plan, steps):
        dv, sv = delayed.n_arg[tau][a0 + j], stacked[l].n_arg[t][j]
        if dv == sv:
            continue
        below = stacked[l - 1].h[t] if l > 0 else xs[t]
        names = {e: sympy.Symbol(f"h{l}[{t},{k}]") for k, e in enumerate(below)}
        r = sympy.Symbol(f"r{l + 1}[{t},{j}]")
        swap = {delayed.r[tau][a0 + j]: r, **names}
        res = sympy.factor_terms(sympy.expand((dv - sv).xreplace(swap)))
        w = params[layer_param("weight_ih", l)]
        read = sympy.Add(*[w[2 * plan.blocks[l].width + j, k] * names[e] for k, e in enumerate(below)])
        return {"step": tau, "block": l, "unit": j, "time": t, "residual": res, "text": str(res),
                "factor": sympy.cancel(res / read)}
    raise ValueError(f"the naive GRU layout agrees for widths={list(sizes)}, steps={steps}; "
                     "it needs at least 2 layers and 1 step to differ")


# ---------------------------------------------------------- exact arithmetic
_EXACT: dict[str, Fn] = {
    "relu": lambda z: z if z > 0 else sympy.S.Zero,
    "identity": lambda z: z,
}


def _rational(rng: random.Random, den: int = 8) -> sympy.Rational:
    f = Fraction(rng.randint(-2 * den, 2 * den), rng.randint(1, den))
    return sympy.Rational(f.numerator, f.denominator)


def exact_check(widths: Sequence[int], steps: int, *, activation: str | Sequence[str] = "relu",
                input_size: int = 2, start: str = "staggered", seed: int = 0) -> tuple[int, Fraction]:
    """Stacked vs delayed Elman network in exact rational arithmetic.

    ``activation`` is one name for every layer or one per layer (relu or
    identity); the delayed network applies to each block the activation its
    plan names, the stacked network the one given for its layer. The outputs
    (read-out blocks at step ``t + delay``) and every block (by its lag) are
    compared. Weights, biases, inputs and initial states are random rationals
    ``p/q`` (``|p| <= 16``, ``1 <= q <= 8``); the delayed weights are
    assembled from them by the plan's placements. ``start="zero"`` runs the
    stacked network from the delayed network's warm-up states.

    Returns
    -------
    compared : int
        Number of scalar values compared.
    max_error : Fraction
        Largest absolute difference, exactly (0 when the networks agree).
    """
    sizes = _symbolic_sizes(widths)
    if not isinstance(activation, (str, Sequence)):
        raise TypeError(f"activation must be a name or a sequence of names; got {type(activation).__name__}")
    names = [activation] * len(sizes) if isinstance(activation, str) else list(activation)
    if len(names) != len(sizes):
        raise ValueError(f"activation must be one name or {len(sizes)} names (one per layer); got {len(names)}")
    for a in names:
        check_choice(a, sorted(_EXACT), "activation (exact arithmetic)")
    check_choice(start, START_RULES, "start")
    steps = check_count(steps, "steps", 0, MAX_SYMBOLIC)
    input_size = check_count(input_size, "input_size", 1, MAX_SYMBOLIC)
    rng = random.Random(seed)
    clear_interned()
    plan = stacked_plan("elman", input_size, sizes, names, start=start)
    sym = stacked_symbols("elman", input_size, sizes)
    params = {k: m.applyfunc(lambda _e: _rational(rng)) for k, m in sym.items()}
    xs = [[_rational(rng) for _ in range(input_size)] for _ in range(steps)]
    acts = Activations(tuple(_EXACT[a] for a in names), named=dict(_EXACT))
    mats = assemble(plan, params)
    if start == "staggered":
        h0 = [[_rational(rng) for _ in range(n)] for n in sizes]
        delayed = run_delayed(plan, mats, xs, [v for vec in h0 for v in vec], None, acts)
    else:
        delayed = run_delayed(plan, mats, xs, [sympy.S.Zero] * plan.hidden_size, None, acts)
        h0 = warmup_states(plan, mats, acts)[0]
    stacked = run_stacked("elman", params, xs, h0, None, acts)
    pairs = [(delayed.h[tau][u], stacked[-1].h[t][k]) for t, tau, k, u in _outputs(plan, steps)
             if k < sizes[-1]]
    if len(pairs) != steps * len(plan.readout_units()) or len(plan.readout_units()) != sizes[-1]:
        return len(pairs), Fraction(10**9)  # the read-out is not the top layer's width: no agreement possible
    pairs += [(delayed.h[tau][a0 + j], stacked[l].h[t][j]) for tau, l, t, a0, j in _aligned_units(plan, steps)]
    worst = Fraction(0)
    for a, b in pairs:
        d = sympy.Rational(a - b)
        worst = max(worst, Fraction(int(abs(d.p)), int(d.q)))
    return len(pairs), worst


__all__ = [
    "MAX_SYMBOLIC",
    "RESETS",
    "SYMBOLIC_ACTIVATIONS",
    "SYMBOLIC_STARTS",
    "Activations",
    "Fn",
    "IdentityCheck",
    "Trace",
    "Vec",
    "assemble",
    "build_case",
    "check_identity",
    "clear_interned",
    "exact_check",
    "fill_placements",
    "gru_residual",
    "input_symbols",
    "layer_activations",
    "run_delayed",
    "run_layer",
    "run_stacked",
    "stacked_symbols",
    "state_symbols",
    "sweep",
    "trees_equal",
    "uninterpreted",
    "warmup_states",
]
