"""The symbolic evaluator: one recurrent layer, a stacked network and a delayed network unrolled as SymPy trees.

Split from :mod:`theory.symbolic` (which builds the cases and compares the
trees): the evaluator interns every node it builds (hash-consing), so equal
sub-trees of the stacked and the delayed run are the same object. With
uninterpreted activations (:func:`uninterpreted`) the trees hold for every
activation at once; with concrete ones and rational numbers the same code is
the exact-arithmetic check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sympy
from sympy.core.cache import clear_cache

from theory._checks import ELMAN_ACTIVATIONS, GATES, check_choice, check_count
from theory.layout import Plan, layer_param

#: Largest width, depth, input size and number of steps the symbolic functions accept: SymPy expressions grow
#: with all of them, and a bigger case would run for minutes or hours rather than fail.
MAX_SYMBOLIC = 32

Expr = Any  # a sympy expression or number
Vec = list[Expr]
Fn = Callable[[Expr], Expr]


# ------------------------------------------------------------------ evaluator
def _rows(m: Any) -> list[Vec]:
    return [list(m.row(i)) for i in range(m.rows)]


#: Hash-consing table: one canonical object per expression built by the evaluator.
_TABLE: dict[Any, Any] = {}


def _intern(e: Expr) -> Expr:
    """The canonical object equal to ``e`` (``e`` itself the first time it is seen).

    Why: an unrolled network is a DAG whose trees are exponentially large.
    When the stacked and the delayed runs build *equal but distinct* nodes,
    every ``==`` between them (and every lookup in SymPy's own cache, which
    compares arguments) walks both trees in full. Interning each node as it
    is built makes equal sub-trees the same object, so comparing two nodes
    only compares their (already identical) children by identity.
    """
    return _TABLE.setdefault(e, e)


def clear_interned() -> None:
    """Forget all interned expressions, and SymPy's cache with them (called before each identity check).

    Both must go together: a SymPy cache entry left over from an earlier
    check would be found by *equality* with a freshly interned argument —
    equal but not identical, so the lookup walks both trees in full.
    """
    _TABLE.clear()
    clear_cache()


def _ivec(v: Vec) -> Vec:
    return [_intern(e) for e in v]


def _matvec(rows: list[Vec], v: Vec) -> Vec:
    # Zero terms are dropped up front; SymPy's Add would drop them anyway (0·a = 0),
    # so this is only a speed-up, not a rewriting the identity could depend on.
    return [_intern(sympy.Add(*[_intern(a * b) for a, b in zip(r, v) if a != 0 and b != 0])) for r in rows]


def _add(*vs: Vec) -> Vec:
    return [_intern(sympy.Add(*parts)) for parts in zip(*vs)]


_SIGMA = sympy.Function("sigma")
_TAU = sympy.Function("tau")


@dataclass(frozen=True)
class Activations:
    """The activation functions an unrolled network applies.

    Attributes
    ----------
    phi : tuple of callables
        Elman activation of each layer of a stacked network, by index.
    sigma, tanh : callables
        Gate nonlinearities of LSTM and GRU cells.
    named : dict of str to callable
        Elman activation by name (``"tanh"``, ``"relu"`` …): a delayed network
        takes each block's function from the name its plan gives the block.
        Empty: the delayed network falls back to ``phi`` by block index.
    """

    phi: tuple[Fn, ...] = ()
    sigma: Fn = _SIGMA
    tanh: Fn = _TAU
    named: dict[str, Fn] = field(default_factory=dict)


def uninterpreted(layers: int, *, zero_fixed: bool = False, names: Sequence[str] | None = None) -> Activations:
    """Uninterpreted activations ``phi_1 … phi_L`` (or one per activation name), ``sigma``, ``tau``.

    With ``names`` (one activation name per layer), layer ``l`` gets the
    uninterpreted function ``phi_<names[l]>``, and :attr:`Activations.named`
    maps each name to its function, so a delayed network applies to each
    block the function of the activation *its plan* names. With
    ``zero_fixed`` the Elman activations and ``tau`` satisfy ``f(0) = 0``
    (docs/theory/theorem1.md (a)) and nothing else: ``f(0)`` is rewritten to
    0, every other argument is left uninterpreted. ``sigma`` stays free (the
    logistic function has ``σ(0) = 1/2``).
    """
    layers = check_count(layers, "layers", 0, MAX_SYMBOLIC)
    if not isinstance(zero_fixed, bool):
        raise TypeError(f"zero_fixed must be a bool; got {type(zero_fixed).__name__}")
    if names is not None:
        if isinstance(names, str) or not isinstance(names, Sequence):
            raise TypeError(f"names must be a sequence of activation names; got {type(names).__name__}")
        for i, n in enumerate(names):
            check_choice(n, ELMAN_ACTIVATIONS, f"names[{i}]")
    if names is not None and len(names) != layers:
        raise ValueError(f"names must have {layers} entries (one per layer); got {len(names)}")

    def fix(f: Fn) -> Fn:
        return (lambda z: sympy.S.Zero if z == 0 else f(z)) if zero_fixed else f

    if names is None:
        phis = tuple(fix(sympy.Function(f"phi_{l + 1}")) for l in range(layers))
        return Activations(phis, _SIGMA, fix(_TAU))
    named = {n: fix(sympy.Function(f"phi_{n}")) for n in dict.fromkeys(names)}
    return Activations(tuple(named[n] for n in names), _SIGMA, fix(_TAU), named)


#: Elman activations the symbolic check cycles through layer by layer (distinct neighbours, so a block given
#: another layer's activation is seen); the zero-bias start needs ``f(0) = 0``, which excludes sigmoid.
SYMBOLIC_ACTIVATIONS: dict[bool, tuple[str, ...]] = {
    False: ("tanh", "sigmoid", "relu", "identity"),
    True: ("tanh", "relu", "identity"),
}


def layer_activations(layers: int, zero_fixed: bool = False) -> list[str]:
    """The per-layer Elman activation names of a symbolic case: :data:`SYMBOLIC_ACTIVATIONS` in turn."""
    layers = check_count(layers, "layers", 0, MAX_SYMBOLIC)
    if not isinstance(zero_fixed, bool):
        raise TypeError(f"zero_fixed must be a bool; got {type(zero_fixed).__name__}")
    cyc = SYMBOLIC_ACTIVATIONS[zero_fixed]
    return [cyc[l % len(cyc)] for l in range(layers)]


@dataclass
class Trace:
    """Everything one unrolled layer computed (lists over steps; step ``τ`` is index ``τ``).

    ``h[τ]``, ``c[τ]`` are states *after* step ``τ``; ``n_arg[τ]`` is the
    argument of ``tanh`` in a GRU's candidate ``n`` (for residuals).
    """

    h: list[Vec] = field(default_factory=list)
    c: list[Vec] = field(default_factory=list)
    n_arg: list[Vec] = field(default_factory=list)
    r: list[Vec] = field(default_factory=list)


def run_layer(
    cell: str,
    mats: dict[str, Any],
    xs: list[Vec],
    h0: Vec,
    c0: Vec | None,
    acts: Activations,
    unit_phi: Sequence[int] = (),
    hold: Sequence[int] = (),
    own: Any = None,
) -> Trace:
    """Unroll one recurrent layer (Elman, LSTM or GRU) over ``xs``.

    Parameters
    ----------
    cell : {"elman", "lstm", "gru"}
    mats : dict
        ``weight_ih (G·H, I)``, ``weight_hh (G·H, H)``, optional ``bias_ih``,
        ``bias_hh (G·H, 1)`` (SymPy matrices).
    xs : list of T vectors of length I
    h0, c0 : vectors of length H (``c0`` for LSTM only)
    acts : Activations
    unit_phi : sequence of int, length H
        Index into ``acts.phi`` of each unit's Elman activation.
    hold : sequence of int, length H, optional
        Unit ``j`` keeps its previous value (``h`` and ``c``) at steps ``τ < hold[j]``.
    own : matrix (H, H) of 0/1, optional
        GRU only: the own-reset cell. Entries with 1 are multiplied by the
        reset gate, the others are added outside it (``None``: all are, as
        in PyTorch's GRU).

    Returns
    -------
    Trace
    """
    H = mats["weight_hh"].cols
    G = GATES[cell]
    wih, whh = _rows(mats["weight_ih"]), _rows(mats["weight_hh"])
    zero = [sympy.S.Zero] * (G * H)
    bih = list(mats["bias_ih"]) if "bias_ih" in mats else zero
    bhh = list(mats["bias_hh"]) if "bias_hh" in mats else zero
    if own is not None:
        # Only the candidate's rows (gate n) are split; r and z read every block as usual.
        n_rows = whh[2 * H:]
        whh_in = [[w if own[i, j] else 0 for j, w in enumerate(r)] for i, r in enumerate(n_rows)]
        whh_out = [[w if not own[i, j] else 0 for j, w in enumerate(r)] for i, r in enumerate(n_rows)]
    phi = [(lambda z, f=f: _intern(f(_intern(z)))) for f in acts.phi]
    sig = lambda z: _intern(acts.sigma(_intern(z)))  # noqa: E731
    tanh = lambda z: _intern(acts.tanh(_intern(z)))  # noqa: E731
    tr = Trace()
    h = _ivec(h0)
    c = _ivec(c0) if c0 is not None else [sympy.S.Zero] * H
    for t, x in enumerate(xs):
        x = _ivec(x)
        xw = _add(_matvec(wih, x), bih)
        if cell == "elman":
            a = _add(xw, _matvec(whh, h), bhh)
            hn, cn = [phi[unit_phi[j]](a[j]) for j in range(H)], c
        elif cell == "lstm":
            a = _add(xw, _matvec(whh, h), bhh)
            i_, f_, g_, o_ = (a[k * H:(k + 1) * H] for k in range(4))
            cn = _ivec([_intern(sig(f_[j]) * c[j]) + _intern(sig(i_[j]) * tanh(g_[j])) for j in range(H)])
            hn = _ivec([sig(o_[j]) * tanh(cn[j]) for j in range(H)])
        else:
            gh = _add(_matvec(whh, h), bhh)
            outside = [sympy.S.Zero] * H
            if own is not None:
                gh[2 * H:] = _add(_matvec(whh_in, h), bhh[2 * H:])
                outside = _matvec(whh_out, h)
            r = [sig(xw[j] + gh[j]) for j in range(H)]
            z = [sig(xw[H + j] + gh[H + j]) for j in range(H)]
            arg = _ivec([xw[2 * H + j] + outside[j] + _intern(r[j] * gh[2 * H + j]) for j in range(H)])
            n = [tanh(v) for v in arg]
            hn, cn = _ivec([_intern((1 - z[j]) * n[j]) + _intern(z[j] * h[j]) for j in range(H)]), c
            tr.n_arg.append(arg)
            tr.r.append(r)
        if hold:
            hn = [h[j] if t < hold[j] else hn[j] for j in range(H)]
            cn = [c[j] if t < hold[j] else cn[j] for j in range(H)]
        h, c = hn, cn
        tr.h.append(h)
        tr.c.append(c)
    return tr


def run_stacked(cell: str, params: dict[str, Any], xs: list[Vec], h0: list[Vec], c0: list[Vec] | None,
                acts: Activations) -> list[Trace]:
    """Unroll an ``L``-layer stacked network; returns one :class:`Trace` per layer."""
    layers = len(h0)
    out, inp = [], xs
    for l in range(layers):
        mats = {k: params[layer_param(k, l)] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                if layer_param(k, l) in params}
        tr = run_layer(cell, mats, inp, h0[l], None if c0 is None else c0[l], acts,
                       unit_phi=[l] * len(h0[l]))
        out.append(tr)
        inp = tr.h
    return out


def run_delayed(plan: Plan, mats: dict[str, Any], xs: list[Vec], s0: Vec, c0: Vec | None, acts: Activations,
                reset: str = "all") -> Trace:
    """Unroll the delayed network of ``plan`` for ``T + d`` steps on the zero-padded input.

    Block ``l``'s Elman activation is ``acts.named[a]`` for the activation
    ``a`` the plan gives block ``l`` (``acts.phi[l]`` by index only when
    ``acts.named`` is empty); holds and the delay come from the plan;
    ``reset="own"`` runs the own-reset GRU cell, whose reset gate multiplies
    only the plan's diagonal (own-block) recurrent blocks.
    """
    H = plan.hidden_size
    if plan.cell == "elman" and acts.named:
        missing = sorted({str(b.activation) for b in plan.blocks} - set(acts.named))
        if missing:
            raise ValueError(f"acts.named has no function for the plan's activations {missing}")
        acts = replace(acts, phi=tuple(acts.named[b.activation] for b in plan.blocks))
    pad = [[sympy.S.Zero] * plan.input_size for _ in range(plan.delay)]
    unit_phi = [l for l, b in enumerate(plan.blocks) for _ in range(b.width)]
    hold = [b.hold for b in plan.blocks for _ in range(b.width)] if any(plan.holds) else []
    own = None
    if reset == "own":
        own = sympy.zeros(H, H)
        for e in plan.recurrent:
            if e.src == e.dst:
                (a, b) = plan.span(e.dst)
                own[a:b, a:b] = sympy.ones(b - a, b - a)
    return run_layer(plan.cell, mats, list(xs) + pad, s0, c0, acts, unit_phi, hold, own)


# ----------------------------------------------------------- identity checks


__all__ = [
    "MAX_SYMBOLIC",
    "SYMBOLIC_ACTIVATIONS",
    "Activations",
    "Expr",
    "Fn",
    "Trace",
    "Vec",
    "clear_interned",
    "layer_activations",
    "run_delayed",
    "run_layer",
    "run_stacked",
    "uninterpreted",
]
