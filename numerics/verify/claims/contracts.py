"""Exact contracts: the functions other checks build on return exactly what they promise, with no margin.

``min-steps-exact``: :func:`theory.receptive.min_steps` is the shortest
sequence length at which the receptive field reaches the look-ahead ``d - m``
(reached at that length, not one step shorter). A caller that adds a safety
margin (``min_steps(plan) + 2``) would hide a function one step short; the
check reads the field off the unit-level unrolled graph of the assembled
weights (:func:`theory.receptive.unrolled_field`), which shares nothing with
the block-level field ``min_steps`` searches.

``reference-field``: :func:`theory.topology.reference_field`, computed from
sets of time offsets, equals the field of the reference network's unrolled
time-step graph built here step by step from absolute times (a forward state
reads its sources now and its own previous state; a truncated backward state
reads its sources at ``t … t + h`` inside the sequence).
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
from hypothesis import strategies as st

from numerics.models import DelayedRNN
from numerics.testing import relaxed_plans
from numerics.verify.registry import ClaimSet, Effort
from numerics.verify.search import property_check
from theory.claims import MethodResult
from theory.layout import stacked_plan
from theory.receptive import field_lookahead, lookahead, min_steps, unrolled_field
from theory.topology import Topology, compile_topology, reference_field
from theory.topology_symbolic import random_topology

#: The claims of this module, in report order.
CLAIMS = ClaimSet()

CLAIMS.claim(
    "min-steps-exact",
    "min_steps(plan) is the shortest sequence length at which the receptive field's look-ahead max(s - t) equals "
    "the closed form d - m: at T = min_steps(plan) it does, at T - 1 (when >= 1) it does not. Checked on stacked "
    "plans (every cell and start rule), random relaxed plans and compiled topologies, with the field of the "
    "unrolled unit-level graph of the assembled weights.",
    "ours (paper §5, the look-ahead's length condition)",
    "holds",
    "The field's look-ahead never decreases with T, and max(hold) + |d - m| + 1 steps always suffice; min_steps "
    "bisects below that. The unit-level graph is an independent account of the same field (lookahead claims).",
)


def _unrolled_lookahead(plan: Any, steps: int) -> int | None:
    net = DelayedRNN.random(plan, seed=0, scale=1.0)
    return field_lookahead(unrolled_field(plan, net.params.weight_hh, net.params.weight_ih, steps))


def min_steps_error(plan: Any) -> tuple[float, dict[str, Any]]:
    """``0`` when ``min_steps`` is exact for ``plan`` (unit-level field), else ``1``, with what was seen."""
    want, T = lookahead(plan), min_steps(plan)
    at = _unrolled_lookahead(plan, T)
    before = _unrolled_lookahead(plan, T - 1) if T > 1 else None
    ok = at == want and (T == 1 or before != want)
    return (0.0 if ok else 1.0), {"min_steps": T, "lookahead": want, "field_lookahead_at_min_steps": at,
                                  "field_lookahead_one_shorter": before}


def _describe_plan(plan: Any) -> dict[str, Any]:
    return {"plan": plan.summary(), **min_steps_error(plan)[1]}


@CLAIMS.method("min-steps-exact", "stacked")
def _stacked(effort: Effort) -> MethodResult:
    worst, count, cex = 0.0, 0, None
    for cell in ("elman", "lstm", "gru"):
        for start in ("staggered", "zero"):
            for L in range(1, (10 if effort.thorough else 6) + 1):
                plan = stacked_plan(cell, 2, [1 + k % 3 for k in range(L)], "tanh" if cell == "elman" else None,
                                    start=start, allow_gru=True)
                err, seen = min_steps_error(plan)
                count += 1
                worst = max(worst, err)
                if err and cex is None:
                    cex = {"cell": cell, "start": start, "layers": L, **seen}
    return MethodResult("stacked", count, worst, counterexample=cex, nontrivial=count - 6)


@CLAIMS.method("min-steps-exact", "relaxed")
def _relaxed(effort: Effort) -> MethodResult:
    return property_check("relaxed", relaxed_plans(), lambda p: min_steps_error(p)[0], 0.0, _describe_plan, effort,
                          nontrivial=lambda p: min_steps(p) > 1)


@CLAIMS.method("min-steps-exact", "topology")
def _topologies(effort: Effort) -> MethodResult:
    rng = random.Random(effort.seed)
    worst, cex, count, deep = 0.0, None, 0, 0
    for _ in range(60 if effort.thorough else 20):
        plan = compile_topology(random_topology(rng, max_layers=3, max_horizon=2)).plan
        err, seen = min_steps_error(plan)
        count += 1
        deep += min_steps(plan) > 1
        worst = max(worst, err)
        if err and cex is None:
            cex = {"plan": plan.summary(), **seen}
    return MethodResult("topology", count, worst, counterexample=cex, nontrivial=deep)


CLAIMS.claim(
    "reference-field",
    "reference_field(top, T) is the receptive field of the reference network: x_s reaches y_t exactly when the "
    "unrolled time-step graph of the topology (forward states read their sources now and their previous state, "
    "backward states truncated to horizon h read their sources at t ... t + h inside the sequence, 0-based "
    "t = 0 ... T-1) links them.",
    "ours (docs/theory/bidirectional.md, the reference network)",
    "holds",
    "Both describe the same graph; reference_field collects offsets s - t layer by layer, the check unrolls "
    "absolute times step by step.",
)


def unrolled_reference_field(top: Topology, steps: int) -> np.ndarray:
    """``[t, s]``: ``x_s`` reaches layer outputs read out at ``t``, by a step-by-step pass over absolute times."""
    T = steps
    reach = [np.eye(T, dtype=bool)]  # layer 0 is the input: x_s at time s
    for layer in top.layers:
        src = np.zeros((T, T), dtype=bool)
        for k in layer.reads:
            src |= reach[k]
        out = np.zeros((T, T), dtype=bool)
        if layer.has_forward:
            state = np.zeros(T, dtype=bool)
            for t in range(T):
                state = state | src[t]
                out[t] |= state
        if layer.has_backward:
            for t in range(T):
                for j in range(layer.horizon + 1):
                    if t + j < T:
                        out[t] |= src[t + j]
        reach.append(out)
    field = np.zeros((T, T), dtype=bool)
    for r in top.readout:
        field |= reach[r]
    return field


@CLAIMS.method("reference-field", "unrolled")
def _reference_field(effort: Effort) -> MethodResult:
    def err(case: tuple[int, int]) -> float:
        top = random_topology(random.Random(case[0]), max_layers=3, max_horizon=3)
        return float(np.sum(np.array(reference_field(top, case[1]), dtype=bool) != unrolled_reference_field(top,
                                                                                                         case[1])))

    def describe(case: tuple[int, int]) -> dict[str, Any]:
        top = random_topology(random.Random(case[0]), max_layers=3, max_horizon=3)
        return {"topology": repr(top), "T": case[1]}

    return property_check("unrolled", st.tuples(st.integers(0, 2**31), st.integers(1, 8)), err, 0.0, describe,
                          effort, nontrivial=lambda c: c[1] >= 3)


__all__ = ["CLAIMS", "min_steps_error", "unrolled_reference_field"]
