"""Symbolic unrolling of a topology and of its compiled delayed layer (docs/theory/bidirectional.md).

:func:`theory.symbolic.check_identity` proves Theorem 1 from
:meth:`theory.layout.Plan.placements`. A compiled topology
(:func:`theory.topology.compile_topology`) places its parameters by its own
:attr:`theory.topology.Compiled.placements` (column slices, identity
matrices of delay lines), so it needs its own unrolling; this module
provides it, with the same evaluator and the same rules:

* the reference network (:func:`run_reference`) runs the topology layer by
  layer from zero states on the input padded with ``Σ_l h_l`` zeros, as
  :class:`numerics.models.topology.TopologyRNN` does with
  ``backward="truncated"``: forward directions over the whole padded
  sequence, a backward direction with horizon ``h`` as the backward cell run
  over ``u_{t+h}, …, u_t`` from the zero state;
* the compiled layer (:func:`run_compiled`) is one Elman layer whose
  matrices are filled from the *same* parameter symbols by the compiled
  placements (:func:`compiled_matrices`), run from zero for ``T + d`` steps
  on the input padded with ``d`` zeros, block holds from the plan;
* every cell activation is an uninterpreted SymPy function per activation
  name (``phi_tanh``, ``phi_identity`` …, the same in both networks), and a
  delay-line block — one whose rows only receive identity placements — with
  activation ``"identity"`` applies the exact identity. An identity *cell*
  is uninterpreted too, so a cell placed where a line should be (or the
  reverse) shows up as a difference.

Then :func:`check_topology` compares, as expression trees (``==`` on
interned nodes, no simplification), the compiled read-out at step
``t + d`` with the reference output at time ``t``, and every layer's output
blocks at step ``t + Λ_l`` with that layer at time ``t``. Equal trees for
uninterpreted activations and symbolic weights prove the identity for all
activations and weights at once, for that topology and length.

Indices are 0-based: input ``x_t`` for ``t = 0 … T-1``, d-RNN step ``τ``
consumes the (padded) input ``τ``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from theory._checks import ELMAN_ACTIVATIONS, check_choice, check_count, check_type
from theory.layout import layer_param
from theory.symbolic import (
    MAX_SYMBOLIC,
    Activations,
    Trace,
    Vec,
    clear_interned,
    fill_placements,
    input_symbols,
    run_layer,
    trees_equal,
)
from theory.topology import IDENTITY, Compiled, Layer, Topology, compile_topology

#: Largest width ``N`` of the compiled layer the symbolic check accepts. The delayed run multiplies an
#: ``N × N`` symbolic matrix at each of ``T + d`` steps; beyond this it takes minutes, not seconds.
MAX_SYMBOLIC_UNITS = 160

Fn = Callable[[Any], Any]


#: Characters of each expression kept in a mismatch report (the trees of a deep unrolling run to megabytes).
SHOWN = 400


def _identity(z: Any) -> Any:
    return z


def _shown(a: Any, b: Any) -> tuple[str, str]:
    """Both expressions as strings; long ones cut to :data:`SHOWN` characters around their first difference."""
    sa, sb = str(a), str(b)
    if max(len(sa), len(sb)) <= SHOWN:
        return sa, sb
    first = next((i for i, (p, q) in enumerate(zip(sa, sb)) if p != q), min(len(sa), len(sb)))
    lo = max(0, first - SHOWN // 3)

    def cut(s: str) -> str:
        return ("… " if lo else "") + s[lo:lo + SHOWN] + (" …" if lo + SHOWN < len(s) else "")

    return cut(sa), cut(sb)


def activation_functions(names: Sequence[str] = ELMAN_ACTIVATIONS) -> dict[str, Fn]:
    """One uninterpreted SymPy function ``phi_<name>`` per Elman activation name in ``names``."""
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence):
        raise TypeError(f"names must be a sequence of activation names; got {type(names).__name__}")
    return {check_choice(n, ELMAN_ACTIVATIONS, f"names[{i}]"): sympy.Function(f"phi_{n}") for i, n in enumerate(names)}


def _check_acts(acts: object, names: set[str]) -> dict[str, Fn]:
    if not isinstance(acts, dict):
        raise TypeError(f"acts must be a dict of activation names to callables; got {type(acts).__name__}")
    missing = sorted(names - set(acts))
    if missing:
        raise ValueError(f"acts has no function for the activations {missing}")
    bad = sorted(str(n) for n in names if not callable(acts[n]))
    if bad:
        raise TypeError(f"acts must map activation names to callables; not callable for {bad}")
    return acts


def topology_symbols(top: Topology, bias: bool = True) -> dict[str, sympy.ImmutableMatrix]:
    """Named symbolic reference parameters of a topology.

    Parameters
    ----------
    top : Topology
    bias : bool

    Returns
    -------
    dict of str to ImmutableMatrix
        The names and shapes of :meth:`Topology.param_shapes` (biases as
        column vectors ``(n_l, 1)``); entry ``[i, j]`` of
        ``weight_ih_l0_reverse`` is the symbol ``weight_ih_l0_reverse[i,j]``.
    """
    top = check_type(top, Topology, "top", "a theory.topology.Topology")
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be a bool; got {type(bias).__name__}")
    out = {}
    for name, shape in top.param_shapes(bias).items():
        rows, cols = shape[0], shape[1] if len(shape) == 2 else 1
        if len(shape) == 2:
            out[name] = sympy.ImmutableMatrix(rows, cols, lambda i, j, name=name: sympy.Symbol(f"{name}[{i},{j}]"))
        else:
            out[name] = sympy.ImmutableMatrix(rows, 1, lambda i, _j, name=name: sympy.Symbol(f"{name}[{i}]"))
    return out


def compiled_matrices(compiled: Compiled, params: dict[str, Any]) -> dict[str, sympy.ImmutableMatrix]:
    """The compiled layer's matrices filled from reference parameters by ``compiled.placements``.

    Parameters
    ----------
    compiled : Compiled
    params : dict of str to matrix
        Reference parameters (SymPy matrices, biases ``(n, 1)``) as returned
        by :func:`topology_symbols`; a placement with source
        :data:`theory.topology.IDENTITY` copies a slice of an identity matrix.

    Returns
    -------
    dict of str to ImmutableMatrix
        ``weight_ih (N, n_0)``, ``weight_hh (N, N)`` and, with
        ``compiled.plan.bias``, ``bias_ih``, ``bias_hh (N, 1)``; entries no
        placement covers are exactly 0.
    """
    compiled = check_type(compiled, Compiled, "compiled", "a theory.topology.Compiled")
    check_type(params, dict, "params")
    return fill_placements(compiled.plan, compiled.placements, params, identity=IDENTITY)


def line_blocks(compiled: Compiled) -> frozenset[int]:
    """Indices of the delay-line blocks: blocks whose rows receive identity placements only."""
    compiled = check_type(compiled, Compiled, "compiled", "a theory.topology.Compiled")
    plan = compiled.plan
    sources: dict[int, set[str]] = {i: set() for i in range(len(plan.blocks))}
    starts = {plan.span(i)[0]: i for i in range(len(plan.blocks))}
    for p in compiled.placements:
        if p.rows[0] in starts:
            sources[starts[p.rows[0]]].add(p.source)
    return frozenset(i for i, s in sources.items() if s == {IDENTITY})


def _layer_mats(params: dict[str, Any], l: int, rev: bool) -> dict[str, Any]:
    return {k: params[layer_param(k, l - 1, rev)] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            if layer_param(k, l - 1, rev) in params}


def run_reference(top: Topology, params: dict[str, Any], xs: list[Vec], acts: dict[str, Fn]) -> list[list[Vec]]:
    """Unroll the reference network layer by layer on the zero-padded input.

    Parameters
    ----------
    top : Topology
    params : dict of str to matrix
        Reference parameters (:func:`topology_symbols`).
    xs : list of T vectors of length n_0
    acts : dict of str to callable
        Function applied for each activation name (:func:`activation_functions`).

    Returns
    -------
    list of list of vectors
        ``outs[k][t]``: source ``k``'s output at time ``t`` (``k = 0`` the
        padded input), for ``t = 0 … T + Σ h_l - 1``; a bidirectional
        layer's output is ``[forward; backward]``.
    """
    pad = sum(layer.horizon for layer in top.layers)
    xs = [list(x) for x in xs] + [[sympy.S.Zero] * top.input_size for _ in range(pad)]
    Tp = len(xs)
    outs: list[list[Vec]] = [xs]
    for l, layer in enumerate(top.layers, start=1):
        u = [[v for k in layer.reads for v in outs[k][t]] for t in range(Tp)]
        zero = [sympy.S.Zero] * layer.width
        one = Activations(phi=(acts[layer.activation],))
        phi = [0] * layer.width
        parts: list[list[Vec]] = []
        if layer.has_forward:
            parts.append(run_layer("elman", _layer_mats(params, l, False), u, zero, None, one, phi).h)
        if layer.has_backward:
            mats = _layer_mats(params, l, True)
            # Each window restarts from the zero state: the truncation, not the full backward pass.
            parts.append([run_layer("elman", mats, u[t:min(t + layer.horizon, Tp - 1) + 1][::-1], zero, None, one,
                                    phi).h[-1] for t in range(Tp)])
        outs.append([[v for part in parts for v in part[t]] for t in range(Tp)])
    return outs


def run_compiled(compiled: Compiled, mats: dict[str, Any], xs: list[Vec], acts: dict[str, Fn]) -> Trace:
    """Unroll the compiled delayed layer for ``T + d`` steps from zero on the zero-padded input.

    Parameters
    ----------
    compiled : Compiled
    mats : dict
        Its matrices (:func:`compiled_matrices`).
    xs : list of T vectors of length n_0
    acts : dict of str to callable
        Function per activation name for cell blocks; a delay-line block
        (:func:`line_blocks`) named ``"identity"`` applies the exact identity.

    Returns
    -------
    Trace
        ``h[τ]``: the state after step ``τ`` (``τ = 0 … T + d - 1``).
    """
    plan = compiled.plan
    lines = line_blocks(compiled)
    fns = tuple(_identity if (i in lines and b.activation == "identity") else acts[str(b.activation)]
                for i, b in enumerate(plan.blocks))
    unit_phi = [i for i, b in enumerate(plan.blocks) for _ in range(b.width)]
    hold = [b.hold for b in plan.blocks for _ in range(b.width)] if any(plan.holds) else []
    pad = [[sympy.S.Zero] * plan.input_size for _ in range(plan.delay)]
    return run_layer("elman", mats, [list(x) for x in xs] + pad, [sympy.S.Zero] * plan.hidden_size, None,
                     Activations(phi=fns), unit_phi, hold)


@dataclass(frozen=True)
class TopologyCheck:
    """Result of comparing a topology's reference network with its compiled layer, symbolically.

    Attributes
    ----------
    name : str
        The topology's name.
    layers : int
    steps : int
        Sequence length ``T``.
    bias : bool
    delay, units : int
        Of the compiled layer.
    compared : int
        Scalar expressions compared: the outputs (``T`` times the output
        size) and every layer's output at its lag (for the times whose step
        ``t + Λ_l`` the run reaches).
    equal : bool
        All compared pairs are identical trees.
    seconds : float
    mismatch : dict or None
        The first differing pair: ``kind`` (``"output"`` or ``"layer"``),
        ``layer``, ``time``, ``unit``, ``step`` and both expressions as strings
        (long ones cut to :data:`SHOWN` characters around their first difference).
    """

    name: str
    layers: int
    steps: int
    bias: bool
    delay: int
    units: int
    compared: int
    equal: bool
    seconds: float
    mismatch: dict[str, Any] | None = field(default=None)


def _layer_units(compiled: Compiled, l: int) -> list[int]:
    """State units holding layer ``l``'s output ``[forward; backward]`` at its ready lag."""
    plan, layer = compiled.plan, compiled.topology.layers[l - 1]
    names = ([f"h{l}"] if layer.has_forward else []) + ([f"b{l}.{layer.horizon}"] if layer.has_backward else [])
    index = {b.name: i for i, b in enumerate(plan.blocks)}
    return [u for n in names for u in range(*plan.span(index[n]))]


def check_compiled(compiled: Compiled, steps: int, *, acts: dict[str, Fn] | None = None) -> TopologyCheck:
    """Unroll ``compiled`` and its topology's reference network symbolically and compare the trees.

    Parameters
    ----------
    compiled : Compiled
        As returned by :func:`theory.topology.compile_topology` (its
        ``plan.bias`` says whether the reference has biases).
    steps : int
        Sequence length ``T``, ``0 … MAX_SYMBOLIC``.
    acts : dict of str to callable, optional
        Function per activation name; default :func:`activation_functions`
        (uninterpreted).

    Returns
    -------
    TopologyCheck
    """
    compiled = check_type(compiled, Compiled, "compiled", "a theory.topology.Compiled")
    steps = check_count(steps, "steps", 0, MAX_SYMBOLIC)
    top, plan = compiled.topology, compiled.plan
    if top.input_size > MAX_SYMBOLIC or any(la.width > MAX_SYMBOLIC for la in top.layers):
        raise ValueError(f"the topology's input size and widths must be at most {MAX_SYMBOLIC} for a symbolic "
                         f"check; got input_size={top.input_size}, widths={[la.width for la in top.layers]}")
    if plan.hidden_size > MAX_SYMBOLIC_UNITS:
        raise ValueError(f"compiled must have at most {MAX_SYMBOLIC_UNITS} units for a symbolic check (the "
                         f"unrolling grows with N^2 (T + d)); got {plan.hidden_size}")
    t0 = time.perf_counter()
    clear_interned()
    if acts is None:
        acts = activation_functions()
    else:
        lines = line_blocks(compiled)
        acts = _check_acts(acts, {la.activation for la in top.layers} | {
            str(b.activation) for i, b in enumerate(plan.blocks) if not (i in lines and b.activation == "identity")})
    params = topology_symbols(top, plan.bias)
    xs = input_symbols(steps, top.input_size)
    ref = run_reference(top, params, xs, acts)
    run = run_compiled(compiled, compiled_matrices(compiled, params), xs, acts)
    memo: dict[tuple[int, int], bool] = {}
    compared = 0

    def result(mismatch: dict[str, Any] | None) -> TopologyCheck:
        out = TopologyCheck(top.name, len(top.layers), steps, plan.bias, plan.delay, plan.hidden_size, compared,
                            mismatch is None, time.perf_counter() - t0, mismatch)
        clear_interned()  # the trees are large; keep none alive between checks
        return out

    units = plan.readout_units().tolist()
    for t in range(steps):
        want = [v for r in top.readout for v in ref[r][t]]
        got = [run.h[t + plan.delay][u] for u in units]
        for k in range(max(len(want), len(got))):
            compared += 1
            if k >= len(want) or k >= len(got) or not trees_equal(got[k], want[k], memo):
                a, b = _shown(got[k] if k < len(got) else "(no such unit)",
                              want[k] if k < len(want) else "(no such unit)")
                return result({"kind": "output", "time": t, "unit": k, "step": t + plan.delay,
                               "compiled": a, "reference": b})
    for l in range(1, len(top.layers) + 1):
        lag = compiled.layer_lags[l - 1]
        lu = _layer_units(compiled, l)
        # A layer no read-out depends on may be ready later than the delay; the run stops at step T + d - 1.
        for t in range(min(steps, len(run.h) - lag)):
            for k, u in enumerate(lu):
                compared += 1
                if not trees_equal(run.h[t + lag][u], ref[l][t][k], memo):
                    a, b = _shown(run.h[t + lag][u], ref[l][t][k])
                    return result({"kind": "layer", "layer": l, "time": t, "unit": k, "step": t + lag,
                                   "compiled": a, "reference": b})
    return result(None)


def check_topology(top: Topology, steps: int, *, bias: bool = True) -> TopologyCheck:
    """Compile ``top`` and compare the compiled layer with the reference network as expression trees.

    Parameters
    ----------
    top : Topology
    steps : int
        Sequence length ``T``, ``0 … MAX_SYMBOLIC``.
    bias : bool
        Whether both networks have (symbolic) biases.

    Returns
    -------
    TopologyCheck

    Examples
    --------
    >>> from theory.topology import bidirectional_topology
    >>> check_topology(bidirectional_topology(1, [1], 2), 3).equal
    True
    """
    top = check_type(top, Topology, "top", "a theory.topology.Topology")
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be a bool; got {type(bias).__name__}")
    return check_compiled(compile_topology(top, bias=bias), steps)


# ------------------------------------------------------------------------------------------ cases
#: Activations assigned to consecutive layers of a symbolic case: neighbours differ, so a block given another
#: layer's activation is seen, and ``identity`` cells sit next to identity delay lines.
CASE_ACTIVATIONS: tuple[str, ...] = ("tanh", "identity", "relu", "sigmoid")


def random_topology(rng: random.Random, *, max_layers: int = 3, max_horizon: int = 2,
                    bidirectional_only: bool = False) -> Topology:
    """A random small topology for the symbolic check (widths 1–2, input 1–2, activations cycling).

    Parameters
    ----------
    rng : random.Random
    max_layers : int
        ``1 … MAX_SYMBOLIC``.
    max_horizon : int
        Largest backward horizon.
    bidirectional_only : bool
        Stacked bidirectional layers (each reads the one below) instead of any directions and reads.

    Returns
    -------
    Topology
    """
    check_type(rng, random.Random, "rng", "a random.Random")
    check_type(bidirectional_only, bool, "bidirectional_only")
    max_layers = check_count(max_layers, "max_layers", 1, MAX_SYMBOLIC)
    max_horizon = check_count(max_horizon, "max_horizon", 0, MAX_SYMBOLIC)
    L = rng.randint(1, max_layers)
    offset = rng.randrange(len(CASE_ACTIVATIONS))
    layers = []
    for l in range(1, L + 1):
        act = CASE_ACTIVATIONS[(offset + l) % len(CASE_ACTIVATIONS)]
        if bidirectional_only:
            layers.append(Layer(rng.randint(1, 2), (l - 1,), "bidirectional", rng.randint(0, max_horizon), act))
            continue
        direction = rng.choice(("forward", "backward", "bidirectional"))
        reads = tuple(k for k in range(l - 1, -1, -1) if rng.random() < 0.5) or (l - 1,)
        horizon = 0 if direction == "forward" else rng.randint(0, max_horizon)
        layers.append(Layer(rng.randint(1, 2), reads, direction, horizon, act))
    readout = (L,) if bidirectional_only else tuple(r for r in range(1, L + 1) if rng.random() < 0.4) or (L,)
    return Topology(rng.randint(1, 2), tuple(layers), readout, f"random ({L} layers)")


__all__ = [
    "CASE_ACTIVATIONS",
    "MAX_SYMBOLIC_UNITS",
    "SHOWN",
    "TopologyCheck",
    "activation_functions",
    "check_compiled",
    "check_topology",
    "compiled_matrices",
    "line_blocks",
    "random_topology",
    "run_compiled",
    "run_reference",
    "topology_symbols",
]
