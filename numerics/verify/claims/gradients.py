"""Every backward pass computes the gradient of its forward pass: central differences of the per-step reference.

One claim per model family: stacked networks (``gradient-stacked``),
bidirectional networks (``gradient-bidirectional``), delayed networks under
every schedule by name (``gradient-delayed``) and networks compiled from
topologies (``gradient-topology``). Each method draws tiny seeded cases
(widths 1–3, ``T`` 1–4, batch 1–2, random weights, inputs, initial states
and gradients of the outputs and final states), runs the model's forward and
backward pass, and compares every gradient it returns (weights, biases,
inputs, initial states; for LSTM the cell states too) with central
differences in float64 of the loss
``Σ y·dy + Σ h_final·dh_final (+ Σ c_final·dc_final)`` computed by
:mod:`numerics.verify.stepwise`, which shares no code with the engine
(:mod:`numerics.verify.gradients`). A delayed or compiled network's
gradient outside its plan's mask must be exactly zero.

The delayed and topology methods also compare each schedule's outputs and
final state with the reference, so one method covers a schedule's forward
pass, backward pass and final-state gradients: the verdict does not depend on
which schedule ``engine="auto"`` would pick.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np

from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN, delayed_gru
from numerics.models.topology import TopologyRNN, compiled_delayed
from numerics.verify.gradients import TOLERANCE, central_differences, gradient_error
from numerics.verify.registry import ClaimSet, Effort
from numerics.verify.stepwise import reference_delayed, reference_run
from theory.claims import MethodResult
from theory.layout import ELMAN_ACTIVATIONS
from theory.topology_symbolic import random_topology

#: The claims of this module, in report order.
CLAIMS = ClaimSet()

SOURCE = "ours (backpropagation through time, checked against central differences)"

#: The cells and Elman activations every model family is checked with: (method name, cell, activation or reset).
CELLS: tuple[tuple[str, str, str | None], ...] = (
    *((f"elman-{a}", "elman", a) for a in ELMAN_ACTIVATIONS), ("lstm", "lstm", None), ("gru", "gru", None),
)


def cases_per_method(effort: Effort) -> int:
    """Seeded cases per method: tiny networks, so central differences stay cheap."""
    return 40 if effort.thorough else 8


def sampled_check(name: str, effort: Effort, draw: Callable[[np.random.Generator], dict[str, Any]],
                  error: Callable[[dict[str, Any]], tuple[float, str]],
                  nontrivial: Callable[[dict[str, Any]], bool], salt: int) -> MethodResult:
    """Run ``error`` on :func:`cases_per_method` cases drawn by ``draw``; the worst case over tolerance is reported.

    A case on which the code under test raises refutes the claim (it is a
    valid case with no gradient), reported with the exception's text.
    """
    rng = np.random.default_rng([effort.seed, salt])
    worst, cex, count, informative = 0.0, None, 0, 0
    for _ in range(cases_per_method(effort)):
        case = draw(rng)
        count += 1
        informative += bool(nontrivial(case))
        try:
            err, where = error(case)
        except Exception as exc:  # the code under test failed on a valid case: that refutes it
            err, where = float("inf"), f"{type(exc).__name__}: {exc}"
        worst = max(worst, err)
        if not err <= TOLERANCE and (cex is None or err > cex["error"]):
            cex = dict(case, error=err, where=where)
    return MethodResult(name, count, worst, counterexample=cex, nontrivial=informative)


def _normal(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.normal(size=shape)


def _stacked_case(rng: np.random.Generator, cell: str, act: str | None, layers: int = 3) -> dict[str, Any]:
    return {"cell": cell, "activation": act, "input": int(rng.integers(1, 4)),
            "widths": [int(w) for w in rng.integers(1, 4, size=int(rng.integers(1, layers + 1)))],
            "T": int(rng.integers(1, 5)), "B": int(rng.integers(1, 3)),
            # relu: a zero state and zero bias would put pre-activations exactly on the kink
            "bias": True if act == "relu" else bool(rng.integers(0, 2)),
            "h0": True if act == "relu" else bool(rng.integers(0, 2)), "seed": int(rng.integers(0, 2**31))}


def _deep(case: dict[str, Any]) -> bool:
    return len(case["widths"]) >= 2 and case["T"] >= 2


def _network_loss(case: dict[str, Any], bidirectional: bool) -> tuple[float, str]:
    cell, L = case["cell"], len(case["widths"])
    cls = BidirectionalRNN if bidirectional else StackedRNN
    net = cls.random(case["input"], case["widths"], cell=cell, activations=case["activation"] or "tanh",
                     bias=case["bias"], seed=case["seed"])
    rng = np.random.default_rng(case["seed"] + 1)
    B, T = case["B"], case["T"]
    sizes = [n for n in case["widths"] for _ in range(2 if bidirectional else 1)]
    x = _normal(rng, T, B, case["input"])
    h0 = [_normal(rng, B, n) if case["h0"] else np.zeros((B, n)) for n in sizes]
    c0 = [_normal(rng, B, n) if case["h0"] else np.zeros((B, n)) for n in sizes]
    dy = _normal(rng, T, B, net.output_size)
    dh = [_normal(rng, B, n) for n in sizes]
    dc = [_normal(rng, B, n) for n in sizes]
    lstm = cell == "lstm"
    states = (h0, c0) if lstm else h0
    _, cache = net.forward(x, states)
    dx, grads, d0 = net.backward(cache, dy, dh_final=(dh, dc) if lstm else dh, return_state_grads=True)
    dh0, dc0 = d0 if lstm else (d0, None)
    claimed = dict(grads.state_dict(), x=dx)
    arrays = dict(net.state_dict(), x=x)
    for j in range(len(sizes)):
        claimed[f"h0[{j}]"], arrays[f"h0[{j}]"] = dh0[j], h0[j]
        if lstm:
            claimed[f"c0[{j}]"], arrays[f"c0[{j}]"] = dc0[j], c0[j]

    def loss(a: dict[str, np.ndarray]) -> float:
        sd = {k: v for k, v in a.items() if k.startswith(("weight", "bias"))}
        hs = [a[f"h0[{j}]"] for j in range(len(sizes))]
        cs = [a[f"c0[{j}]"] for j in range(len(sizes))] if lstm else None
        y, hT, cT = reference_run(cell, sd, net.activations, a["x"], hs, cs, bidirectional=bidirectional)
        total = float(np.sum(y * dy)) + sum(float(np.sum(h * g)) for h, g in zip(hT, dh))
        if lstm:
            total += sum(float(np.sum(c * g)) for c, g in zip(cT, dc))
        return total

    assert len(net.activations) == L
    return gradient_error(claimed, central_differences(loss, arrays))


# ------------------------------------------------------------------ stacked
CLAIMS.claim(
    "gradient-stacked",
    "StackedRNN.backward returns the gradient of sum(y * dy) + the final states' inner product with dh_final "
    "with respect to every weight and bias, the inputs and the initial states (h0, and c0 for LSTM), for "
    "Elman cells with each activation, LSTM and GRU.",
    SOURCE,
    "holds",
    "Backpropagation through time is the chain rule; the check differentiates the independent per-step "
    "reference numerically, so it shares neither the engine's forward nor its backward code.",
)
for _name, _cell, _act in CELLS:
    @CLAIMS.method("gradient-stacked", _name)
    def _stacked(effort: Effort, name: str = _name, cell: str = _cell, act: str | None = _act) -> MethodResult:
        return sampled_check(name, effort, lambda rng: _stacked_case(rng, cell, act),
                             lambda c: _network_loss(c, False), _deep, salt=1)

# ------------------------------------------------------------ bidirectional
CLAIMS.claim(
    "gradient-bidirectional",
    "BidirectionalRNN.backward returns the gradient of sum(y * dy) + the final states' inner product with "
    "dh_final with respect to every weight and bias of both directions, the inputs and the initial states of "
    "both directions, for Elman cells with each activation, LSTM and GRU.",
    SOURCE,
    "holds",
    "Each direction's backward pass is the chain rule through its own time order; the input gradient of a "
    "layer is the sum of both directions' contributions.",
)
for _name, _cell, _act in CELLS:
    @CLAIMS.method("gradient-bidirectional", _name)
    def _bidirectional(effort: Effort, name: str = _name, cell: str = _cell, act: str | None = _act) -> MethodResult:
        return sampled_check(name, effort, lambda rng: _stacked_case(rng, cell, act, layers=2),
                             lambda c: _network_loss(c, True), _deep, salt=2)


# ------------------------------------------------------------------ delayed
def delayed_error(net: DelayedRNN, x: np.ndarray, rng: np.random.Generator, with_h0: bool) -> tuple[float, str]:
    """Worst discrepancy over every schedule that runs ``net``: outputs, final state and every gradient.

    Outputs and final states are compared with :func:`numerics.verify.stepwise.reference_delayed`
    relative to ``max(1, |reference|)``; the gradients with its central differences (entries outside
    the plan's masks of a masked network must be exactly zero).
    """
    plan, lstm = net.plan, net.cell == "lstm"
    T, B = x.shape[:2]
    N = net.hidden_size
    h0 = _normal(rng, B, N) if with_h0 else np.zeros((B, N))
    c0 = _normal(rng, B, N) if with_h0 else np.zeros((B, N))
    dy, dh, dc = _normal(rng, T, B, net.output_size), _normal(rng, B, N), _normal(rng, B, N)
    arrays = dict(net.params.arrays(), x=x, h0=h0, **({"c0": c0} if lstm else {}))

    def loss(a: dict[str, np.ndarray]) -> float:
        params = {k: v for k, v in a.items() if k.startswith(("weight", "bias"))}
        y, hT, cT = reference_delayed(plan, params, a["x"], a["h0"], a.get("c0"))
        return float(np.sum(y * dy) + np.sum(hT * dh) + (np.sum(cT * dc) if lstm else 0.0))

    free = {"weight_ih": plan.weight_ih_mask(), "weight_hh": plan.weight_hh_mask()} if net.masked else None
    numeric = central_differences(loss, arrays, free)
    y_ref, h_ref, _ = reference_delayed(plan, net.params.arrays(), x, h0, c0)
    worst, where = 0.0, ""
    for name in net.schedules():
        y, cache = net.forward(x, (h0, c0) if lstm else h0, engine=name)
        final = cache.states[-1]
        errs = [(_rel(y, y_ref), f"{name}: outputs"), (_rel(final, h_ref), f"{name}: final state")]
        dx, grads, d0 = net.backward(cache, dy, dh_final=(dh, dc) if lstm else dh, return_state_grads=True)
        dh0, dc0 = d0 if lstm else (d0, None)
        claimed = dict(grads.params.arrays(), x=dx, h0=dh0, **({"c0": dc0} if lstm else {}))
        e, w = gradient_error(claimed, numeric, free)
        errs.append((e, f"{name}: gradient of {w}"))
        for e, w in errs:
            if not e <= worst:
                worst, where = e, w
    return worst, where


def _rel(a: np.ndarray, ref: np.ndarray) -> float:
    if a.shape != ref.shape:
        return float("inf")
    return float(np.abs(a - ref).max() / max(1.0, float(np.abs(ref).max()))) if a.size else 0.0


#: Delayed networks built from stacked ones: (method name, cell, activation, how to build).
_DELAYED: tuple[tuple[str, str, str | None, str], ...] = (
    *((f"elman-{a}", "elman", a, "staggered") for a in ELMAN_ACTIVATIONS),
    ("elman-tanh-zero-start", "elman", "tanh", "zero"),
    ("lstm", "lstm", None, "staggered"), ("lstm-zero-start", "lstm", None, "zero"),
    ("gru-own-reset", "gru", None, "own"), ("gru-full-reset", "gru", None, "full"),
)


def _delayed_case_error(case: dict[str, Any]) -> tuple[float, str]:
    net = StackedRNN.random(case["input"], case["widths"], cell=case["cell"],
                            activations=case["activation"] or "tanh", bias=case["bias"], seed=case["seed"])
    how = case["build"]
    d = delayed_gru(net, how) if case["cell"] == "gru" else net.to_delayed(how)
    rng = np.random.default_rng(case["seed"] + 1)
    x = _normal(rng, case["T"], case["B"], case["input"])
    return delayed_error(d, x, rng, case["h0"])


CLAIMS.claim(
    "gradient-delayed",
    "Under every schedule that runs it (numerics.engine.registry, DelayedRNN.schedules()), a delayed "
    "network's forward pass outputs what the per-step reference of its plan outputs and reaches the same "
    "final state, and its backward pass returns the gradient of sum(y * dy) + the final state's inner "
    "product with dh_final with respect to the weights and biases (exact zeros outside a masked plan), the "
    "inputs and the initial state (h0, and c0 for LSTM): staggered and zero-start Elman with each "
    "activation and LSTM, own-reset and full-reset GRU.",
    SOURCE,
    "holds",
    "Every schedule computes the same recurrence in a different order; the check runs each one by name, "
    "so no schedule's forward or backward pass can hide behind the cost model's choice.",
)
for _name, _cell, _act, _how in _DELAYED:
    @CLAIMS.method("gradient-delayed", _name)
    def _delayed(effort: Effort, name: str = _name, cell: str = _cell, act: str | None = _act,
                 how: str = _how) -> MethodResult:
        def draw(rng: np.random.Generator) -> dict[str, Any]:
            case = _stacked_case(rng, cell, act)
            case["widths"] = case["widths"][:2] if cell != "elman" else case["widths"]
            return dict(case, build=how)

        return sampled_check(name, effort, draw, _delayed_case_error, _deep, salt=3)


# ----------------------------------------------------------------- topology
def _topology_case(rng: np.random.Generator) -> dict[str, Any]:
    return {"topology_seed": int(rng.integers(0, 2**31)), "bias": bool(rng.integers(0, 2)),
            "T": int(rng.integers(1, 5)), "B": int(rng.integers(1, 3)), "seed": int(rng.integers(0, 2**31))}


def _topology_net(case: dict[str, Any]) -> TopologyRNN:
    top = random_topology(random.Random(case["topology_seed"]), max_layers=3, max_horizon=2)
    return TopologyRNN.random(top, bias=case["bias"], seed=case["seed"])


def _topology_error(case: dict[str, Any]) -> tuple[float, str]:
    net = _topology_net(case)
    _, d = compiled_delayed(net)
    rng = np.random.default_rng(case["seed"] + 1)
    x = _normal(rng, case["T"], case["B"], net.topology.input_size)
    return delayed_error(d, x, rng, with_h0=True)


def _topology_informative(case: dict[str, Any]) -> bool:
    top = _topology_net(case).topology
    return len(top.layers) >= 2 and any(la.direction != "forward" for la in top.layers) and case["T"] >= 2


CLAIMS.claim(
    "gradient-topology",
    "For random topologies (1-3 Elman layers of mixed activations, any reads, forward, backward and "
    "bidirectional layers with horizons 0-2) compiled to one masked delayed layer, every schedule that runs "
    "the compiled network outputs what the per-step reference of its plan outputs, and its backward pass "
    "returns the gradient of the outputs' and final state's loss with respect to the weights and biases "
    "(exact zeros outside the plan), the inputs and the initial state.",
    SOURCE,
    "holds",
    "A compiled topology is a delayed layer with per-block activations, holds and lags; its gradient is "
    "backpropagation through that one layer, whatever the order the schedule computes it in.",
)


@CLAIMS.method("gradient-topology", "compiled")
def _topology(effort: Effort) -> MethodResult:
    return sampled_check("compiled", effort, _topology_case, _topology_error, _topology_informative, salt=4)


__all__ = ["CELLS", "CLAIMS", "cases_per_method", "delayed_error", "sampled_check"]
