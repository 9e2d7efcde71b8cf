"""Topologies compiled to one delayed layer, the horizon-h bidirectional construction and its delay bound.

docs/theory/bidirectional.md states and proves these. The property methods
search over random topologies (1–4 Elman layers of widths 1–3, any reads of
the input and lower layers, forward, backward or bidirectional with horizons
0–3, every activation, bias on and off, several read-out layers); the exact
methods use fractions with the identity and relu activations; the symbolic
methods unroll the reference network and the compiled layer with
uninterpreted activations and symbolic weights and compare the expression
trees (:mod:`theory.topology_symbolic`); the lower bound is checked by
polynomial degrees with SymPy.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import numpy as np
import sympy
from hypothesis import strategies as st

from numerics.models import BidirectionalRNN, StackedRNN
from numerics.models.topology import (
    TopologyRNN,
    assemble_compiled,
    compiled_delayed,
    run_plan_exact,
    truncation_bound,
    truncation_error,
)
from numerics.verify import oracle
from numerics.verify.registry import ClaimSet, Effort
from numerics.verify.search import property_check
from theory.claims import MethodResult
from theory.layout import ELMAN_ACTIVATIONS, layer_param
from theory.topology import (
    DIRECTIONS,
    Layer,
    Topology,
    bidirectional_topology,
    compile_topology,
    dense_topology,
    skip_topology,
)
from theory.topology_symbolic import check_topology, random_topology

SOURCE = "ours (paper §5–6, docs/theory/bidirectional.md)"

#: The claims of this module, in report order.
CLAIMS = ClaimSet()

#: float64 agreement: a different summation order, over at most ~25 steps of bounded activations.
TOLERANCE = 1e-10


@st.composite
def topologies(draw: Any, bidirectional_only: bool = False, max_layers: int = 4) -> Topology:
    """Random topologies (see the module docstring); ``bidirectional_only`` gives stacked bidirectional ones."""
    L = draw(st.integers(1, max_layers))
    act = draw(st.sampled_from(ELMAN_ACTIVATIONS))
    n0 = draw(st.integers(1, 3))
    if bidirectional_only:
        widths = draw(st.lists(st.integers(1, 3), min_size=L, max_size=L))
        hs = draw(st.lists(st.integers(0, 3), min_size=L, max_size=L))
        return bidirectional_topology(n0, widths, hs, act)
    layers = []
    for l in range(1, L + 1):
        direction = draw(st.sampled_from(DIRECTIONS))
        horizon = 0 if direction == "forward" else draw(st.integers(0, 3))
        reads = tuple(k for k in range(l - 1, -1, -1) if draw(st.booleans()))
        layers.append(Layer(draw(st.integers(1, 3)), reads or (l - 1,), direction, horizon, act))
    readout = tuple(r for r in range(1, L + 1) if draw(st.booleans())) or (L,)
    return Topology(n0, tuple(layers), readout)


def _describe(top: Topology) -> dict[str, Any]:
    return {"input_size": top.input_size, "readout": list(top.readout),
            "layers": [{"width": la.width, "reads": list(la.reads), "direction": la.direction,
                        "horizon": la.horizon, "activation": la.activation} for la in top.layers]}


@st.composite
def _cases(draw: Any, bidirectional_only: bool = False, bias: tuple[bool, ...] = (True, False),
           max_layers: int = 4) -> dict[str, Any]:
    return {"topology": draw(topologies(bidirectional_only, max_layers)), "bias": draw(st.sampled_from(bias)),
            "T": draw(st.integers(1, 12)), "B": draw(st.integers(1, 3)), "seed": draw(st.integers(0, 2**16))}


def _compiled_error(case: dict[str, Any], backward: str = "truncated") -> float:
    net = TopologyRNN.random(case["topology"], bias=case["bias"], seed=case["seed"])
    _, delayed = compiled_delayed(net)
    x = np.random.default_rng(case["seed"] + 1).normal(size=(case["T"], case["B"], net.topology.input_size))
    ref = net(x, backward=backward)
    scale = max(1.0, float(np.abs(ref).max()))
    return float(np.abs(delayed(x) - ref).max()) / scale


def _describe_case(case: dict[str, Any]) -> dict[str, Any]:
    return {**_describe(case["topology"]), **{k: case[k] for k in ("bias", "T", "B", "seed")}}


def _exact_error(top: Topology, seed: int, T: int = 6) -> float:
    """0 if the compiled layer equals the reference exactly on fractions, else the largest difference."""
    rng = np.random.default_rng(seed)
    frac = np.vectorize(lambda v: Fraction(int(v), 4), otypes=[object])
    params = {k: frac(rng.integers(-4, 5, size=s)) for k, s in top.param_shapes(True).items()}
    net = TopologyRNN(top, params)
    compiled = compile_topology(top)
    x = frac(rng.integers(-4, 5, size=(T, 2, top.input_size)))
    got, ref = run_plan_exact(compiled.plan, assemble_compiled(compiled, params, dtype=object), x), net(x)
    return float(max((abs(a - b) for a, b in zip(got.flat, ref.flat)), default=Fraction(0)))


def _exact_method(name: str, bidirectional_only: bool) -> Any:
    def check(effort: Effort) -> MethodResult:
        strategy = st.builds(lambda top, act, seed: (_with_activation(top, act), seed),
                             topologies(bidirectional_only, max_layers=3), st.sampled_from(("identity", "relu")),
                             st.integers(0, 2**16))
        return property_check(name, strategy, lambda c: _exact_error(*c), 0.0,
                              lambda c: {**_describe(c[0]), "seed": c[1]}, effort,
                              examples=max(10, effort.examples // 3))
    return check


def _with_activation(top: Topology, act: str) -> Topology:
    return Topology(top.input_size, tuple(Layer(la.width, la.reads, la.direction, la.horizon, act)
                                          for la in top.layers), top.readout, top.name)


def _symbolic_cases(effort: Effort, bidirectional_only: bool) -> list[tuple[Topology, bool, int]]:
    """``(topology, bias, T)``: named topologies, then random ones drawn with the effort's seed.

    Default effort: up to 3 layers, horizons up to 2, ``T = 6`` (about a second); thorough: up to 4 layers,
    horizons up to 3, ``T = 8``.
    """
    rng = random.Random(effort.seed + (101 if bidirectional_only else 0))
    T = 8 if effort.thorough else 6
    named = [bidirectional_topology(1, [1], 2, "tanh"), bidirectional_topology(2, [2, 1], [2, 1], "relu"),
             Topology(2, (Layer(2, (0,), "bidirectional", 1, "identity"), Layer(1, (1, 0), "bidirectional", 2),
                          Layer(1, (2,), "backward", 1, "sigmoid")), (1, 3), "bidirectional with skip reads")]
    if not bidirectional_only:
        named += [skip_topology(2, [2, 1, 2], 1, "tanh"), dense_topology(1, [1, 2, 1], "identity"),
                  Topology(1, (Layer(2, (0,), "backward", 2, "relu"), Layer(1, (1, 0)), Layer(2, (2, 1), "forward",
                                                                                       0, "identity")),
                           (1, 2, 3), "backward, then forward reading every source")]
    n_random = 120 if effort.thorough else 24
    drawn = [random_topology(rng, max_layers=4 if effort.thorough else 3, max_horizon=3 if effort.thorough else 2,
                             bidirectional_only=bidirectional_only) for _ in range(n_random)]
    return [(top, bias, T) for top in named + drawn for bias in (True, False)]


def _symbolic_method(bidirectional_only: bool) -> Any:
    def check(effort: Effort) -> MethodResult:
        cases = _symbolic_cases(effort, bidirectional_only)
        nontrivial = 0
        for i, (top, bias, T) in enumerate(cases, start=1):
            r = check_topology(top, T, bias=bias)
            # Informative: a block reads another block (two layers, or a backward pipeline of two stages).
            nontrivial += len(top.layers) >= 2 or any(la.horizon >= 1 for la in top.layers)
            if not r.equal:
                return MethodResult("symbolic", i, float("inf"), nontrivial=nontrivial, counterexample={
                    **_describe(top), "bias": bias, "T": T, "delay": r.delay, "units": r.units, **(r.mismatch or {})})
        return MethodResult("symbolic", len(cases), 0.0, nontrivial=nontrivial)
    return check


# ------------------------------------------------------------------------------------------ compiler
CLAIMS.claim(
    "topology-compiled",
    "For every topology of Elman layers (forward, backward or bidirectional with horizons, reading the input "
    "and any lower layers) and all weights and biases, the single delayed layer built by compile_topology, "
    "with identity delay lines, run from zero on the zero-padded input, equals the reference network run layer "
    "by layer from zero states (backward directions truncated to their horizons on the zero-padded input).",
    SOURCE,
    "holds",
    "Induction over d-RNN steps: a block of lag λ at step τ holds its layer at time τ - λ; it reads each "
    "source at lag λ - 1, which is either the source's own output block or a delay-line slot holding the same "
    "value copied unchanged; forward blocks are held at 0 until their first real step (hold = lag).",
)


@CLAIMS.method("topology-compiled", "property-float64")
def _compiled_property(effort: Effort) -> MethodResult:
    return property_check("property-float64", _cases(), _compiled_error, TOLERANCE, _describe_case, effort)


CLAIMS.method("topology-compiled", "exact")(_exact_method("exact", False))
CLAIMS.method("topology-compiled", "symbolic")(_symbolic_method(False))

# ----------------------------------------------------------------------------------- bidirectional
CLAIMS.claim(
    "bidir-horizon-exact",
    "A stacked bidirectional Elman RNN whose backward directions are truncated to horizons h_l (the backward "
    "cell run over u_{t+h}, ..., u_t from the zero state, on the zero-padded input) equals one delayed Elman "
    "layer with delay sum_l 2 h_l + (L - 1): per layer an input delay line, h_l + 1 pipeline stages (stage j "
    "reads the layer input 2j steps late and stage j-1's previous state) and the forward block at the last "
    "stage's lag.",
    SOURCE + " §6",
    "holds",
    "Stage j at step τ consumes u at time τ - c - 2j from stage j-1, which one step earlier consumed time "
    "τ - c - 2j + 1: so stage h holds the truncated state for time τ - c - 2h. Stage 0 has no recurrent "
    "input, which is the zero starting state of the window.",
)


@CLAIMS.method("bidir-horizon-exact", "property-float64")
def _bidir_property(effort: Effort) -> MethodResult:
    return property_check("property-float64", _cases(True), _compiled_error, TOLERANCE, _describe_case, effort)


CLAIMS.method("bidir-horizon-exact", "exact")(_exact_method("exact", True))
CLAIMS.method("bidir-horizon-exact", "symbolic")(_symbolic_method(True))

CLAIMS.claim(
    "bidir-clipped-any-bias",
    "The compiled horizon-h bidirectional layer equals the truncation clipped at the sequence end (windows "
    "u_t ... u_min(t+h, T), no padding) for any backward biases.",
    SOURCE + " §6 (the end condition)",
    "fails",
    "Near the end (t + h > T) the pipeline feeds the padding zeros through the backward cell; with a non-zero "
    "backward bias (or phi(0) != 0) f(0, .) is not the identity on the zero state, so the padded and the "
    "clipped windows differ. With zero backward bias and phi(0) = 0 they agree (claim bidir-clipped-zero-bias).",
)


@CLAIMS.method("bidir-clipped-any-bias", "property-float64")
def _clipped_bias(effort: Effort) -> MethodResult:
    return property_check("property-float64", _cases(True, bias=(True,)), lambda c: _compiled_error(c, "clipped"),
                          TOLERANCE, _describe_case, effort)


CLAIMS.claim(
    "bidir-clipped-zero-bias",
    "For one bidirectional Elman layer with no biases and phi(0) = 0 (tanh, relu, identity), the compiled "
    "horizon-h layer equals the truncation clipped at the sequence end.",
    SOURCE + " §6 (the end condition)",
    "holds",
    "The layer reads the input, which is zero on the padding; f(0, 0) = phi(0) = 0, so feeding padding zeros "
    "from the zero state keeps the state at zero: the padded window starts exactly where the clipped one does.",
)


def _no_sigmoid(c: dict[str, Any]) -> bool:
    return c["topology"].layers[0].activation != "sigmoid"


@CLAIMS.method("bidir-clipped-zero-bias", "property-float64")
def _clipped_zero(effort: Effort) -> MethodResult:
    return property_check("property-float64", _cases(True, bias=(False,), max_layers=1).filter(_no_sigmoid),
                          lambda c: _compiled_error(c, "clipped"), TOLERANCE, _describe_case, effort)


CLAIMS.claim(
    "bidir-clipped-stacked-zero-bias",
    "For stacked bidirectional Elman layers with no biases and phi(0) = 0, the compiled network equals the "
    "truncation clipped at the sequence end.",
    SOURCE + " §6 (the end condition, stacked)",
    "fails",
    "A backward layer above the first reads the layer below past the end, and the forward direction of that "
    "layer keeps running on the padding from a non-zero state (h_{T+1} = phi(U h_T) != 0): its input on the "
    "padding is not zero, so even without biases the padded and the clipped windows differ. The exact "
    "statement for stacks is the padded one (bidir-horizon-exact).",
)


@CLAIMS.method("bidir-clipped-stacked-zero-bias", "property-float64")
def _clipped_stacked(effort: Effort) -> MethodResult:
    return property_check("property-float64", _cases(True, bias=(False,)).filter(_no_sigmoid),
                          lambda c: _compiled_error(c, "clipped"), TOLERANCE, _describe_case, effort)


# ------------------------------------------------------------------------------------- lower bound
CLAIMS.claim(
    "bidir-delay-lower-bound",
    "No single delayed Elman layer reproduces the horizon-h truncation of a backward layer with a delay below "
    "2h: in the pipeline kind of plan (each backward-cell application done by one block in one step) by path "
    "length, and for the square activation phi(z) = z^2 for any width and weights by polynomial degree; the "
    "construction's delay 2h is therefore optimal.",
    SOURCE + " §6",
    "holds",
    "x_{t+h} enters at step t+h at the earliest; b~_t applies the cell h+1 times after it, one step each, so "
    "b~_t is ready at step t+2h or later. Degree version: one step of a layer with phi = z^2 at most doubles "
    "the degree in x_{t+h}, so the output at step t+d has degree <= 2^(d-h+1), while b~_t has degree 2^(h+1).",
)


def _square_degrees(h: int, n: int, N: int, d: int, seed: int) -> tuple[int, int]:
    """Degrees in ``X = x_{1+h}`` of the truncated backward state ``b~_1`` and of a dense d-RNN's output at step 1+d.

    Width ``n`` backward cell and width ``N`` dense delayed layer, scalar input, integer weights, phi = z^2,
    the other inputs fixed integers.
    """
    rng = np.random.default_rng(seed)
    X = sympy.Symbol("X")
    xs = [sympy.Integer(int(v)) for v in rng.integers(1, 4, size=h + 1)]
    xs[h] = X

    def mat(r: int, c: int) -> sympy.Matrix:
        return sympy.Matrix(rng.integers(1, 4, size=(r, c)).tolist())

    W, U, b = mat(n, 1), mat(n, n), mat(n, 1)
    state = sympy.zeros(n, 1)
    for s in range(h, -1, -1):
        state = (W * xs[s] + U * state + b).applyfunc(lambda z: sympy.expand(z ** 2))
    target = max(sympy.Poly(v, X).degree() for v in state)
    Wd, Ud, bd = mat(N, 1), mat(N, N), mat(N, 1)
    s_vec = sympy.zeros(N, 1)
    for tau in range(1, d + 2):
        x_tau = xs[tau - 1] if tau <= h + 1 else 0
        s_vec = (Wd * x_tau + Ud * s_vec + bd).applyfunc(lambda z: sympy.expand(z ** 2))
    got = max(sympy.Poly(v, X).degree() if v.has(X) else 0 for v in s_vec)
    return target, got


@CLAIMS.method("bidir-delay-lower-bound", "degree")
def _degree(effort: Effort) -> MethodResult:
    cases, worst = 0, 0.0
    hs = (1, 2, 3) if effort.thorough else (1, 2)
    for h in hs:
        for d in range(h, 2 * h + 1):
            target, got = _square_degrees(h, 2, 2, d, effort.seed + 7 * h + d)
            cases += 1
            # The proof's counts, both attained by generic positive weights: 2^(h+1) and 2^(d-h+1).
            if target != 2 ** (h + 1) or got != 2 ** (d - h + 1) or (d < 2 * h) != (got < target):
                return MethodResult("degree", cases, float("inf"), counterexample={
                    "h": h, "d": d, "target_degree": target, "delayed_degree": got})
    return MethodResult("degree", cases, worst)


@CLAIMS.method("bidir-delay-lower-bound", "path-length")
def _path_length(effort: Effort) -> MethodResult:
    """The compiler reaches the bound: a backward layer with horizon h compiles to delay exactly 2h, and every
    path in its plan from an input edge to the last stage passes through at least h + 1 cell applications."""
    cases = 0
    for h in range(0, 7 if effort.thorough else 5):
        c = compile_topology(Topology(1, (Layer(2, (0,), "backward", h),)))
        cases += 1
        stages = [i for i, b in enumerate(c.plan.blocks) if b.name.startswith("b1.")]
        # Stage j reads stage j-1 only (no skip between stages): h recurrent hops after stage 0.
        reads = {e.dst: e.src for e in c.plan.recurrent if e.dst in stages and e.src in stages}
        chain_ok = all(reads.get(stages[j]) == stages[j - 1] for j in range(1, len(stages)))
        if c.delay != 2 * h or not chain_ok or c.plan.blocks[stages[-1]].lag != 2 * h:
            return MethodResult("path-length", cases, float("inf"),
                                counterexample={"h": h, "delay": c.delay, "stage_chain": chain_ok})
    return MethodResult("path-length", cases, 0.0)


# ------------------------------------------------------------------- approximation of the full network
@st.composite
def _contractive_cases(draw: Any, norm: str = "spectral-norm") -> dict[str, Any]:
    """One bidirectional tanh layer whose backward ``U_b`` is rescaled so that ``norm(U_b) = rho``."""
    return {"input_size": draw(st.integers(1, 3)), "width": draw(st.integers(2 if norm == "radius" else 1, 4)),
            "T": draw(st.integers(1, 14)), "B": draw(st.integers(1, 3)), "h": draw(st.integers(0, 6)),
            "rho": draw(st.sampled_from((0.05, 0.3, 0.6, 0.9, 0.99))), "bias": draw(st.booleans()),
            "input_scale": draw(st.sampled_from((0.5, 1.0, 3.0))), "seed": draw(st.integers(0, 2**16)),
            "norm": norm}


def _contractive_net(c: dict[str, Any]) -> TopologyRNN:
    top = bidirectional_topology(c["input_size"], [c["width"]], c["h"], "tanh")
    net = TopologyRNN.random(top, bias=c["bias"], seed=c["seed"], scale=c["input_scale"])
    params = dict(net.params)
    U = params["weight_hh_l0_reverse"]
    size = np.linalg.norm(U, 2) if c["norm"] == "spectral-norm" else np.abs(np.linalg.eigvals(U)).max()
    params["weight_hh_l0_reverse"] = U * (c["rho"] / max(float(size), 1e-300))
    return TopologyRNN(top, params, c["bias"])


def _bound_excess(c: dict[str, Any]) -> float:
    """Largest ``error - bound`` over steps and sequences (≤ 0 where the bound holds).

    Away from the end (``t + h < T``) the sharp bound ``ρ^{h+1} ‖b_{t+h+1}‖₂``
    (``b`` the full backward state); near the end ``√n ρ^{T-t+1}``, or 0
    without biases. The uniform bound ``√n ρ^{min(h, T-t)+1}`` follows.
    """
    net = _contractive_net(c)
    x = np.random.default_rng(c["seed"] + 1).normal(size=(c["T"], c["B"], c["input_size"]))
    err = truncation_error(net, x, c["h"])
    n, T, h, rho = c["width"], c["T"], c["h"], c["rho"]
    full_b = net(x, backward="full")[:, :, n:]
    bound = truncation_bound(rho, n, h, T, exact_end=not c["bias"])[:, None] * np.ones(c["B"])
    far = T - 1 - np.arange(T) > h
    sharp = rho ** (h + 1) * np.linalg.norm(full_b[np.minimum(np.arange(T) + h + 1, T - 1)], axis=2)
    bound[far] = sharp[far]
    return float((err - bound).max())


CLAIMS.claim(
    "bidir-approx-bound",
    "For one bidirectional tanh layer whose backward weights satisfy ||U_b||_2 <= rho, the single delayed "
    "layer compiled with horizon h (no retraining) differs from the full bidirectional layer at time t by at "
    "most rho^(h+1) ||b_{t+h+1}||_2 <= sqrt(n) rho^(h+1) when t + h < T, and by at most sqrt(n) rho^(T-t+1) "
    "near the end (0 without backward bias): so ||y~_t - y_t||_2 <= sqrt(n) rho^(min(h, T-t)+1) for all t.",
    SOURCE + " §6 (approximation)",
    "holds",
    "The forward half is exact. b_t and b~_t are the same h+1 cell applications to u_{t+h}, ..., u_t, started "
    "from b_{t+h+1} and from 0; each application is rho-Lipschitz in the state (tanh is 1-Lipschitz), so the "
    "start difference shrinks by rho^(h+1). Near the end the compiled layer starts from the state reached on "
    "the padding zeros, and the windows share T-t+1 applications. |tanh| < 1 gives ||b|| <= sqrt(n).",
)


@CLAIMS.method("bidir-approx-bound", "property-float64")
def _approx_bound(effort: Effort) -> MethodResult:
    return property_check("property-float64", _contractive_cases(), _bound_excess, 1e-12,
                          lambda c: dict(c), effort)


CLAIMS.claim(
    "bidir-approx-spectral-radius",
    "The truncation bound of bidir-approx-bound still holds when rho is the spectral radius of U_b (the "
    "largest |eigenvalue|) instead of its spectral norm.",
    SOURCE + " §6 (approximation)",
    "fails",
    "A non-normal U_b can have a small spectral radius but a large norm: ||U_b^k|| decays like the radius "
    "only eventually, and one step can amplify the start difference by ||U_b||_2 > radius. The norm (a "
    "Lipschitz constant of one step), not the eigenvalues, is what the bound needs.",
)


@CLAIMS.method("bidir-approx-spectral-radius", "property-float64")
def _approx_radius(effort: Effort) -> MethodResult:
    return property_check("property-float64", _contractive_cases("radius"), _bound_excess, 1e-12,
                          lambda c: dict(c), effort)


CLAIMS.claim(
    "bidir-approx-bound-stacked",
    "For two stacked bidirectional tanh layers (widths n1, n2) with the same horizon h, whose layer-1 backward "
    "and layer-2 forward and backward recurrent weights have ||U||_2 <= rho < 1 and whose layer-2 input "
    "weights have ||W||_2 <= omega, the single delayed layer compiled with horizon h differs from the full "
    "network at every t with t + 2h < T by at most rho^(h+1) (sqrt(n2) + 2 omega sqrt(n1) / (1 - rho)).",
    SOURCE + " §6 (approximation, stacked)",
    "holds",
    "Layer 1's forward half is exact and its backward half is off by e1 <= sqrt(n1) rho^(h+1) wherever the "
    "window stays inside the sequence (bidir-approx-bound). One tanh step is rho-Lipschitz in the state and "
    "omega-Lipschitz in the input, so layer 2's forward direction accumulates at most "
    "sum_k rho^k omega e1 <= omega e1 / (1 - rho), and its backward direction at most sqrt(n2) rho^(h+1) "
    "(the start) plus the same omega e1 / (1 - rho) (the inputs). t + 2h < T keeps every window used away "
    "from the padding, with or without biases. The rate is still rho^(h+1); only the constant grows.",
)

#: Recurrent matrices rescaled to norm rho in the stacked check (layer 1's forward one is left as drawn).
_STACKED_RECURRENT = ("weight_hh_l0_reverse", "weight_hh_l1", "weight_hh_l1_reverse")


def stacked_contractive_net(c: dict[str, Any]) -> TopologyRNN:
    """A two-layer bidirectional tanh network with the recurrent matrices of the stacked bound at norm ``rho``."""
    top = bidirectional_topology(c["input_size"], [c["n1"], c["n2"]], c["h"], "tanh")
    net = TopologyRNN.random(top, bias=c["bias"], seed=c["seed"], scale=c["input_scale"])
    params = dict(net.params)
    for name in _STACKED_RECURRENT:
        params[name] = params[name] * (c["rho"] / max(float(np.linalg.norm(params[name], 2)), 1e-300))
    return TopologyRNN(top, params, c["bias"])


def stacked_bound(net: TopologyRNN, rho: float, h: int) -> float:
    """``ρ^{h+1} (√n2 + 2ω√n1 / (1 - ρ))`` for a two-layer bidirectional ``net``; ``ω`` its layer-2 input norm."""
    n1, n2 = (layer.width for layer in net.topology.layers)
    omega = max(float(np.linalg.norm(net.params[k], 2)) for k in ("weight_ih_l1", "weight_ih_l1_reverse"))
    return rho ** (h + 1) * (np.sqrt(n2) + 2 * omega * np.sqrt(n1) / (1 - rho))


def _stacked_excess(c: dict[str, Any]) -> float:
    """Largest ``error - bound`` over the steps with ``t + 2h < T`` (-1 when there are none)."""
    net = stacked_contractive_net(c)
    x = np.random.default_rng(c["seed"] + 1).normal(size=(c["T"], c["B"], c["input_size"]))
    inner = c["T"] - 2 * c["h"]
    if inner <= 0:
        return -1.0
    err = truncation_error(net, x, c["h"])[:inner]
    return float((err - stacked_bound(net, c["rho"], c["h"])).max())


@CLAIMS.method("bidir-approx-bound-stacked", "property-float64")
def _approx_stacked(effort: Effort) -> MethodResult:
    cases = st.fixed_dictionaries({
        "input_size": st.integers(1, 3), "n1": st.integers(1, 3), "n2": st.integers(1, 3), "T": st.integers(1, 14),
        "B": st.integers(1, 3), "h": st.integers(0, 4), "rho": st.sampled_from((0.05, 0.3, 0.6, 0.9)),
        "bias": st.booleans(), "input_scale": st.sampled_from((0.5, 1.0, 3.0)), "seed": st.integers(0, 2**16)})
    return property_check("property-float64", cases, _stacked_excess, 1e-12, dict, effort)


# -------------------------------------------------------- L stacked layers, and the end of the sequence
CLAIMS.claim(
    "bidir-approx-bound-deep",
    "For L stacked bidirectional tanh layers (widths n_l, horizons h_l, H = h_1 + ... + h_L) with "
    "||U_b^1||_2 <= rho_1 < 1, and for l >= 2 ||U_f^l||_2, ||U_b^l||_2 <= rho_l < 1 and ||W_f^l||_2, "
    "||W_b^l||_2 <= omega_l, the single delayed layer compiled with those horizons differs from the full "
    "network, at every 0-based t with t + H <= T - 1, by at most E_L, where E_1 = sqrt(n_1) rho_1^(h_1+1) and "
    "E_l = sqrt(n_l) rho_l^(h_l+1) + kappa_l E_(l-1), kappa_l = 2 omega_l / (1 - rho_l); in closed form "
    "E_L = sum_l sqrt(n_l) rho_l^(h_l+1) prod_(m>l) kappa_m. (max error: the largest error / E_L.)",
    SOURCE + " §6 (approximation, L layers)",
    "holds",
    "Induction over layers. Layer 1's forward half is exact, its backward half is off by at most "
    "sqrt(n_1) rho_1^(h_1+1) (bidir-approx-bound). If layer l-1's output is off by at most E_(l-1) at all times "
    "s with s + H_(l-1) <= T - 1, one tanh step of layer l moves by at most omega_l E_(l-1) + rho_l times the "
    "state difference, so its forward direction stays within omega_l E_(l-1) / (1 - rho_l) and its backward "
    "direction within sqrt(n_l) rho_l^(h_l+1) (the start, ||b|| <= sqrt(n_l)) plus the same sum; add the "
    "halves. t + H_l <= T - 1 keeps every window read by layer l inside the sequence. L = 2 with equal "
    "constants is bidir-approx-bound-stacked.",
)


def deep_contractive_net(c: dict[str, Any]) -> TopologyRNN:
    """``L`` stacked bidirectional tanh layers whose recurrent matrices in the deep bound have norm ``rhos[l]``.

    ``c`` has ``input_size``, ``widths``, ``horizons``, ``rhos`` (one per layer), ``bias``, ``input_scale`` and
    ``seed``. Layer 1's backward matrix and both recurrent matrices of every higher layer are rescaled; layer
    1's forward matrix is left as drawn (its half is exact and needs no contraction).
    """
    top = bidirectional_topology(c["input_size"], list(c["widths"]), list(c["horizons"]), "tanh")
    net = TopologyRNN.random(top, bias=c["bias"], seed=c["seed"], scale=c["input_scale"])
    params = dict(net.params)
    for l, rho in enumerate(c["rhos"]):
        for name in [layer_param("weight_hh", l, True)] + ([layer_param("weight_hh", l)] if l else []):
            params[name] = params[name] * (rho / max(float(np.linalg.norm(params[name], 2)), 1e-300))
    return TopologyRNN(top, params, c["bias"])


def deep_constants(net: TopologyRNN) -> list[dict[str, float]]:
    """Per layer the measured constants of the deep bound: ``n``, ``h``, ``rho`` and ``omega`` (layer 1: 0).

    ``rho`` is ``‖U_b‖₂`` for layer 1 and ``max(‖U_f‖₂, ‖U_b‖₂)`` above it; ``omega`` is
    ``max(‖W_f‖₂, ‖W_b‖₂)`` of the layer's input matrices. Every layer must be bidirectional.
    """
    out = []
    for l, layer in enumerate(net.topology.layers):
        if layer.direction != "bidirectional":
            raise ValueError(f"the deep bound is for stacked bidirectional layers; layer {l + 1} is {layer.direction}")

        def norm(kind: str, rev: bool, l: int = l) -> float:
            return float(np.linalg.norm(np.asarray(net.params[layer_param(kind, l, rev)], dtype=np.float64), 2))

        rho = norm("weight_hh", True) if l == 0 else max(norm("weight_hh", True), norm("weight_hh", False))
        omega = 0.0 if l == 0 else max(norm("weight_ih", True), norm("weight_ih", False))
        out.append({"n": float(layer.width), "h": float(layer.horizon), "rho": rho, "omega": omega})
    return out


def deep_bound(net: TopologyRNN) -> float:
    """``E_L`` of claim ``bidir-approx-bound-deep`` from ``net``'s own norms (``inf`` if some ``rho_l >= 1``).

    ``E_1 = √n_1 ρ_1^{h_1+1}``, ``E_l = √n_l ρ_l^{h_l+1} + 2 ω_l E_{l-1} / (1 - ρ_l)``.
    """
    E = 0.0
    for l, k in enumerate(deep_constants(net)):
        if k["rho"] >= 1:
            return float("inf")
        E = np.sqrt(k["n"]) * k["rho"] ** (k["h"] + 1) + (2 * k["omega"] * E / (1 - k["rho"]) if l else 0.0)
    return float(E)


def _deep_x(c: dict[str, Any]) -> np.ndarray:
    return np.random.default_rng(c["seed"] + 1).normal(size=(c["T"], c["B"], c["input_size"]))


def _deep_ratio(c: dict[str, Any]) -> tuple[float, float]:
    """Largest error / E_L over the steps with ``t + H <= T - 1`` (0 when there are none), against 1."""
    net = deep_contractive_net(c)
    inner = c["T"] - sum(c["horizons"])
    if inner <= 0:
        return 0.0, 1.0
    err = truncation_error(net, _deep_x(c), list(c["horizons"]))[:inner]
    return float(err.max() / deep_bound(net)), 1.0 + 1e-12


@st.composite
def _deep_cases(draw: Any, max_layers: int = 4) -> dict[str, Any]:
    L = draw(st.integers(1, max_layers))
    return {"input_size": draw(st.integers(1, 3)), "widths": draw(st.lists(st.integers(1, 3), min_size=L,
                                                                           max_size=L)),
            "horizons": draw(st.lists(st.integers(0, 3), min_size=L, max_size=L)),
            "rhos": draw(st.lists(st.sampled_from((0.05, 0.3, 0.6, 0.9)), min_size=L, max_size=L)),
            "T": draw(st.integers(1, 20)), "B": draw(st.integers(1, 3)), "bias": draw(st.booleans()),
            "input_scale": draw(st.sampled_from((0.5, 1.0, 3.0))), "seed": draw(st.integers(0, 2**16))}


def _deep_informative(c: dict[str, Any]) -> bool:
    """A layer reads an inexact layer, at some time the bound covers."""
    return len(c["widths"]) >= 2 and c["T"] > sum(c["horizons"])


@CLAIMS.method("bidir-approx-bound-deep", "property-float64")
def _approx_deep(effort: Effort) -> MethodResult:
    return property_check("property-float64", _deep_cases(), _deep_ratio, None, dict, effort,
                          nontrivial=_deep_informative)


CLAIMS.claim(
    "bidir-approx-bound-deep-clipped",
    "With every backward window clipped at the sequence end and started, like the full backward pass, from "
    "the zero state after the last real step (TopologyRNN backward='clipped'), the bound E_L of "
    "bidir-approx-bound-deep holds at every time t = 0 ... T-1, near the end included. (max error: the "
    "largest error / E_L.)",
    SOURCE + " §6 (approximation, the end)",
    "holds",
    "Near the end (t + h_l >= T - 1) layer l's clipped and full backward passes run the same cell "
    "applications to the same times from the same zero state, so the start term vanishes and only the "
    "inputs' error omega_l E_(l-1) / (1 - rho_l) remains; elsewhere the proof of bidir-approx-bound-deep "
    "applies unchanged, and no window reads padding.",
)


def _clipped_error(c: dict[str, Any]) -> np.ndarray:
    """``‖y^{clipped}_t - y^{full}_t‖₂``, shape ``(T, B)``."""
    net = deep_contractive_net(c)
    x = _deep_x(c)
    return np.linalg.norm(net(x, backward="clipped") - net(x, backward="full"), axis=2)


@CLAIMS.method("bidir-approx-bound-deep-clipped", "property-float64")
def _approx_deep_clipped(effort: Effort) -> MethodResult:
    def ratio(c: dict[str, Any]) -> tuple[float, float]:
        return float(_clipped_error(c).max() / deep_bound(deep_contractive_net(c))), 1.0 + 1e-12

    return property_check("property-float64", _deep_cases(), ratio, None, dict, effort,
                          nontrivial=lambda c: len(c["widths"]) >= 2 and c["T"] >= 2)


CLAIMS.claim(
    "bidir-near-end-exact",
    "For L stacked bidirectional Elman layers (any activation, any biases) whose backward windows are clipped "
    "at the sequence end and start from the zero state after the last real step, as the full backward pass "
    "does: if h_l >= T - 1 for every layer below the top, the output at every 0-based t with t + h_L >= T - 1 "
    "equals the full network's exactly (zero tolerance). For one layer: exact whenever t + h >= T - 1.",
    SOURCE + " §6 (the end of the sequence)",
    "holds",
    "A layer with h >= T - 1 computes its full backward pass at every t: the clipped window t ... T - 1 is the "
    "whole remaining sequence, and both passes apply the same cell to the same inputs in the same order from "
    "the same state, so even the floating-point operations coincide. Its forward half is always exact. So "
    "every layer below the top outputs exactly the full values, and the top layer's backward window reaches "
    "the end at t + h_L >= T - 1.",
)


@st.composite
def _near_end_cases(draw: Any, lower: str = "long", activations: tuple[str, ...] = ELMAN_ACTIVATIONS,
                    ) -> dict[str, Any]:
    """Stacked bidirectional layers; lower horizons ``>= T - 1`` (``"long"``) or ``< T - 1`` (``"short"``)."""
    T = draw(st.integers(2 if lower == "short" else 1, 10))
    L = draw(st.integers(2 if lower == "short" else 1, 3))
    low = st.integers(T - 1, T + 1) if lower == "long" else st.integers(0, T - 2)
    return {"input_size": draw(st.integers(1, 3)), "widths": draw(st.lists(st.integers(1, 3), min_size=L,
                                                                           max_size=L)),
            "horizons": [*draw(st.lists(low, min_size=L - 1, max_size=L - 1)), draw(st.integers(0, 4))],
            "activation": draw(st.sampled_from(activations)), "bias": draw(st.booleans()), "T": T,
            "B": draw(st.integers(1, 3)), "seed": draw(st.integers(0, 2**16))}


def _near_end_error(c: dict[str, Any], exact: bool = False) -> float:
    """Largest ``|y^{clipped}_t - y^{full}_t|`` over the times with ``t + h_L >= T - 1``."""
    top = bidirectional_topology(c["input_size"], list(c["widths"]), list(c["horizons"]), c["activation"])
    rng = np.random.default_rng(c["seed"])
    T, hL = c["T"], c["horizons"][-1]
    if exact:
        frac = np.vectorize(lambda v: Fraction(int(v), 4), otypes=[object])
        net = TopologyRNN(top, {k: frac(rng.integers(-4, 5, size=s)) for k, s in top.param_shapes(c["bias"]).items()},
                          c["bias"])
        x = frac(rng.integers(-4, 5, size=(T, c["B"], c["input_size"])))
    else:
        net = TopologyRNN.random(top, bias=c["bias"], seed=c["seed"])
        x = rng.normal(size=(T, c["B"], c["input_size"]))
    first = max(0, T - 1 - hL)
    diff = (net(x, backward="clipped") - net(x, backward="full"))[first:]
    return float(max((abs(v) for v in diff.flat), default=0.0))


def _near_end_informative(c: dict[str, Any]) -> bool:
    """Some time is truncated (the top window is short) or a layer reads another."""
    return len(c["widths"]) >= 2 or c["horizons"][-1] < c["T"] - 1


@CLAIMS.method("bidir-near-end-exact", "property-float64")
def _near_end_float(effort: Effort) -> MethodResult:
    return property_check("property-float64", _near_end_cases(), _near_end_error, 0.0, dict, effort,
                          nontrivial=_near_end_informative)


@CLAIMS.method("bidir-near-end-exact", "exact")
def _near_end_exact(effort: Effort) -> MethodResult:
    return property_check("exact", _near_end_cases(activations=("identity", "relu")),
                          lambda c: _near_end_error(c, exact=True), 0.0, dict, effort,
                          examples=max(10, effort.examples // 3), nontrivial=_near_end_informative)


CLAIMS.claim(
    "bidir-near-end-exact-top-only",
    "For stacked bidirectional Elman layers with clipped backward windows, the output at t with "
    "t + h_L >= T - 1 equals the full network's whenever the top layer's window reaches the end, whatever the "
    "horizons of the layers below.",
    SOURCE + " §6 (the end of the sequence)",
    "fails",
    "A lower layer with h < T - 1 is truncated at its early times, and the top layer reads those times: its "
    "forward direction at every t, its backward window at the times it covers. So the top layer's exact start "
    "does not make the output exact; the lower horizons must reach the end too (bidir-near-end-exact).",
)


@CLAIMS.method("bidir-near-end-exact-top-only", "property-float64")
def _near_end_top_only(effort: Effort) -> MethodResult:
    return property_check("property-float64", _near_end_cases("short", ("tanh", "identity")), _near_end_error,
                          TOLERANCE, dict, effort)


# --------------------------------------------------------------------- gated and tanh delay lines
CLAIMS.claim(
    "gated-delay-line",
    "A gated unit can serve as a delay line: for some weights an LSTM or GRU block started from zero outputs "
    "h_2 = x_1 for every scalar input x_1 (so LSTM and GRU plans could host the compiler's delay lines).",
    SOURCE + " (delay lines in gated plans)",
    "fails",
    "An LSTM output is sigma(o) * tanh(c) and a GRU output a convex combination of tanh(n) and the previous "
    "output, starting from 0: |h_t| < 1 for every weight and input, so no gated unit reproduces x_1 = 1.5. "
    "Exact delay lines need per-block activations, which only Elman plans have; the compiler is Elman-only.",
)


def _gated_copy_error(c: dict[str, Any]) -> float:
    net = StackedRNN.random(1, [1], cell=c["cell"], seed=c["seed"], scale=c["scale"])
    y, _ = net.forward(np.array([[[c["x"]]], [[0.0]]]))
    return abs(float(y[1, 0, 0]) - c["x"])


@CLAIMS.method("gated-delay-line", "property-float64")
def _gated_line(effort: Effort) -> MethodResult:
    cases = st.fixed_dictionaries({"cell": st.sampled_from(("lstm", "gru")), "seed": st.integers(0, 2**16),
                                   "scale": st.sampled_from((1.0, 10.0, 100.0, 1000.0)),
                                   "x": st.sampled_from((1.5, -1.5, 2.0, -3.0))})
    return property_check("property-float64", cases, _gated_copy_error, 1e-6, dict, effort)


CLAIMS.claim(
    "tanh-delay-line",
    "A tanh-only delay line with small-signal scaling (write eps * x into the first slot, shift with identity "
    "recurrent weights through k tanh slots, read the last slot divided by eps) returns x with error at most "
    "k eps^2 |x|^3 / 3.",
    SOURCE + " (delay lines in gated plans)",
    "holds",
    "|tanh(y) - y| <= |y|^3 / 3 and |tanh(y)| <= |y|; slot j holds y_j = tanh(y_{j-1}) with |y_j| <= eps |x|, "
    "so |y_k - eps x| <= sum_j |tanh(y_{j-1}) - y_{j-1}| <= k (eps |x|)^3 / 3. Divide by eps.",
)


def _tanh_line_excess(c: dict[str, Any]) -> float:
    """Largest ``error - bound`` (relative to the bound) of a k-slot tanh shift register on a random sequence."""
    k, eps = c["k"], c["eps"]
    x = np.random.default_rng(c["seed"]).uniform(-c["amplitude"], c["amplitude"], size=c["T"])
    slots, out = np.zeros(k), []
    W = np.zeros(k)
    W[0] = eps
    U = np.eye(k, k, -1)  # slot j <- slot j-1
    for tau in range(c["T"] + k - 1):
        slots = np.tanh(W * (x[tau] if tau < c["T"] else 0.0) + U @ slots)
        out.append(slots[-1] / eps)
    got = np.array(out[k - 1:])
    bound = k * eps ** 2 * np.abs(x) ** 3 / 3
    return float(np.max((np.abs(got - x) - bound) / np.maximum(bound, 1e-300)))


@CLAIMS.method("tanh-delay-line", "property-float64")
def _tanh_line(effort: Effort) -> MethodResult:
    cases = st.fixed_dictionaries({"k": st.integers(1, 20), "eps": st.sampled_from((1.0, 0.5, 0.1, 0.01)),
                                   "amplitude": st.sampled_from((0.5, 1.0, 3.0)), "T": st.integers(1, 10),
                                   "seed": st.integers(0, 2**16)})
    return property_check("property-float64", cases, _tanh_line_excess, 1e-6, dict, effort)


# ------------------------------------------------------------------ gated cells in the pipeline
CLAIMS.claim(
    "gated-pipeline",
    "The horizon-h pipeline extends to gated cells: with LSTM or GRU blocks as the h + 1 stages (stage j's "
    "gates read the input delayed by 2j steps, given exactly, and stage j - 1's previous output), stage h at "
    "step t + 2h equals the horizon-h truncated backward LSTM or GRU at time t.",
    SOURCE + " (gated pipeline)",
    "fails",
    "In any single gated layer the cell-state recurrence c_t = f * c_{t-1} + i * g (LSTM) and the "
    "interpolation h_t = (1 - z) * n + z * h_{t-1} (GRU) are elementwise in the block's own previous c or h; "
    "recurrent weights reach only the gates and the candidate. A stage therefore mixes in its own earlier "
    "window, with weight f or z in (0, 1), never 0. Already h = 0, one unit, T = 2 fails: stage 0 at step 1 "
    "carries f * c_0 where the truncation starts from 0. Handing the previous stage's c (or h) to the next "
    "stage instead makes the pipeline exact for both cells (the check's control), so this own-state read is "
    "the whole obstruction; the compiler is Elman-only.",
)


def _gated_step(cell: str, p: dict[str, np.ndarray], u: np.ndarray, h_in: np.ndarray, own: np.ndarray,
                c_own: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One gated step with PyTorch's gate order: gates read ``h_in``, the elementwise carry reads ``own``/``c_own``."""
    def sig(z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-z))

    gi = p["weight_ih_l0"] @ u + p["bias_ih_l0"]
    gh = p["weight_hh_l0"] @ h_in + p["bias_hh_l0"]
    n = h_in.shape[0]
    if cell == "lstm":
        i, f, g, o = (sig(gi[:n] + gh[:n]), sig(gi[n:2 * n] + gh[n:2 * n]), np.tanh(gi[2 * n:3 * n] + gh[2 * n:3 * n]),
                      sig(gi[3 * n:] + gh[3 * n:]))
        c = f * c_own + i * g
        return o * np.tanh(c), c
    r, z = sig(gi[:n] + gh[:n]), sig(gi[n:2 * n] + gh[n:2 * n])
    cand = np.tanh(gi[2 * n:] + r * gh[2 * n:])
    return (1.0 - z) * cand + z * own, c_own


def gated_pipeline_error(c: dict[str, Any]) -> float:
    """Largest gap between a gated horizon-h pipeline and the truncated backward cell, over ``T`` steps.

    ``c["carry"] == "own"`` is what a single gated layer can do (each stage's cell state or GRU
    interpolation reads its own previous value); ``"previous"`` hands the previous stage's value over
    instead, which no gated plan can express (the control: error 0 up to rounding).
    """
    cell, h, n, T = c["cell"], c["h"], c["width"], c["T"]
    net = StackedRNN.random(1, [n], cell=cell, seed=c["seed"], scale=c["scale"])
    p = net.state_dict()
    x = np.random.default_rng(c["seed"]).normal(size=T + 2 * h)
    x[T:] = 0.0  # the padding zeros
    H, C = np.zeros((h + 1, n)), np.zeros((h + 1, n))
    out = np.zeros((T, n))
    for tau in range(T + 2 * h):
        newH, newC = np.zeros_like(H), np.zeros_like(C)
        for j in range(h + 1):
            k = tau - 2 * j
            u = np.array([x[k] if k >= 0 else 0.0])
            h_in = H[j - 1] if j > 0 else np.zeros(n)
            if c["carry"] == "own":
                own, c_own = H[j], C[j]
            else:
                own, c_own = h_in, (C[j - 1] if j > 0 else np.zeros(n))
            newH[j], newC[j] = _gated_step(cell, p, u, h_in, own, c_own)
        H, C = newH, newC
        if tau - 2 * h >= 0:
            out[tau - 2 * h] = H[h]
    ref = np.array([net.forward(x[t:t + h + 1][::-1].reshape(-1, 1, 1))[0][-1, 0] for t in range(T)])
    return float(np.abs(out - ref).max())


def _gated_pipeline_cases(carry: str) -> Any:
    return st.fixed_dictionaries({"cell": st.sampled_from(("lstm", "gru")), "h": st.integers(0, 3),
                                  "width": st.integers(1, 3), "T": st.integers(1, 6), "seed": st.integers(0, 2**16),
                                  "scale": st.sampled_from((None, 0.1, 1.0, 3.0)), "carry": st.just(carry)})


@CLAIMS.method("gated-pipeline", "property-float64")
def _gated_pipeline(effort: Effort) -> MethodResult:
    return property_check("property-float64", _gated_pipeline_cases("own"), gated_pipeline_error, TOLERANCE,
                          dict, effort)


# ------------------------------------------------------------------------- PyTorch as the reference
CLAIMS.claim(
    "bidir-reference-torch",
    "TopologyRNN(backward='full') on a stacked bidirectional Elman topology equals PyTorch's "
    "nn.RNN(bidirectional=True) with the same state dict (tanh and relu, with and without bias).",
    SOURCE + " (the reference network)",
    "holds",
    "Both run each direction over the whole sequence from zero states and feed layer l the concatenation "
    "[forward; backward] of layer l-1 (PyTorch's convention, the same parameter names).",
)


def _torch_bidir_cases(effort: Effort) -> list[dict[str, Any]]:
    rng = np.random.default_rng(effort.seed + 11)
    return [{"input": int(rng.integers(1, 4)), "hidden": int(rng.integers(1, 5)), "layers": int(rng.integers(1, 4)),
             "nonlinearity": ("tanh", "relu")[i % 2], "bias": bool(i % 3), "T": int(rng.integers(1, 9)),
             "seed": int(rng.integers(0, 2**16))} for i in range(12 if effort.thorough else 4)]


def _torch_bidir_error(c: dict[str, Any]) -> float:
    import torch  # optional dependency: imported only when this method runs

    torch.manual_seed(c["seed"])
    module = torch.nn.RNN(c["input"], c["hidden"], c["layers"], nonlinearity=c["nonlinearity"], bias=c["bias"],
                          bidirectional=True).double()
    sd = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
    top = bidirectional_topology(c["input"], [c["hidden"]] * c["layers"], 0, c["nonlinearity"])
    net = TopologyRNN(top, sd, c["bias"])
    x = np.random.default_rng(c["seed"]).normal(size=(c["T"], 2, c["input"]))
    with torch.no_grad():
        ref = module(torch.from_numpy(x))[0].numpy()
    return float(np.abs(net(x, backward="full") - ref).max())


@CLAIMS.method("bidir-reference-torch", "torch")
def _torch_bidir(effort: Effort) -> MethodResult:
    if oracle.torch_missing():
        return oracle.skipped("torch")
    return oracle.compare_cases("torch", _torch_bidir_cases(effort), _torch_bidir_error, 1e-12)


@CLAIMS.method("bidir-reference-torch", "bidirectional-rnn")
def _vs_bidirectional_rnn(effort: Effort) -> MethodResult:
    """Against the package's own BidirectionalRNN (a separate implementation on the engine)."""
    def error(c: dict[str, Any]) -> float:
        body = BidirectionalRNN.random(c["input"], [c["hidden"]] * c["layers"], activations=c["nonlinearity"],
                                       bias=c["bias"], seed=c["seed"])
        top = bidirectional_topology(c["input"], [c["hidden"]] * c["layers"], 0, c["nonlinearity"])
        x = np.random.default_rng(c["seed"]).normal(size=(c["T"], 2, c["input"]))
        return float(np.abs(TopologyRNN(top, body.state_dict(), c["bias"])(x, backward="full")
                            - body.forward(x)[0]).max())
    return oracle.compare_cases("bidirectional-rnn", _torch_bidir_cases(effort), error, 1e-12)
