"""A catalogue of semantic mutants of the construction, the engines, the receptive fields and the GRU variant.

Each mutant is a deliberate, plausible bug, applied in-process with
:class:`pytest.MonkeyPatch` and undone afterwards. :func:`run_mutant` runs
every claim of ``drnn verify`` (PyTorch hidden, as in the README's first
command) under the mutant; the mutant is *killed* when some claim's verdict
differs from its expectation without any method crashing for it.

A function is replaced in every ``theory``/``numerics`` module that bound it
by name (``from theory.layout import stacked_plan``), so the mutant behaves
like an edit of the source file.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest

import numerics.engine.dense as dense
import numerics.engine.layer as layer
import numerics.engine.units as schedule
import numerics.engine.wavefront as blocked
import numerics.models.delayed as delayed
import theory.layout as layout
import theory.receptive as receptive
import theory.symbolic as symbolic
from numerics.models.stacked import StackedRNN
from numerics.verify import oracle, runner
from numerics.verify.registry import EFFORTS, Effort
from theory.claims import ClaimResult


@dataclass(frozen=True)
class Mutant:
    """A named bug: ``apply(mp)`` installs it on a :class:`pytest.MonkeyPatch`."""

    name: str
    area: str
    description: str
    apply: Callable[[pytest.MonkeyPatch], None]


def rebind(mp: pytest.MonkeyPatch, original: Any, replacement: Any) -> None:
    """Replace ``original`` by ``replacement`` wherever a project module bound it by name."""
    for name, mod in list(sys.modules.items()):
        if not (name == "theory" or name.startswith(("theory.", "numerics"))):
            continue
        for attr, value in list(vars(mod).items()):
            if value is original:
                mp.setattr(mod, attr, replacement)


def _plan_mutant(edit: Callable[[layout.Plan], layout.Plan]) -> Callable[[pytest.MonkeyPatch], None]:
    original = layout.stacked_plan

    def apply(mp: pytest.MonkeyPatch) -> None:
        rebind(mp, original, lambda *a, **k: edit(original(*a, **k)))

    return apply


def _symbolic_plan_mutant(edit: Callable[[layout.Plan], layout.Plan]) -> Callable[[pytest.MonkeyPatch], None]:
    """Edit the plans :mod:`theory.symbolic` builds, and no other module's: a bug only the symbolic and exact
    methods can see."""
    original = layout.stacked_plan

    def apply(mp: pytest.MonkeyPatch) -> None:
        mp.setattr(symbolic, "stacked_plan", lambda *a, **k: edit(original(*a, **k)))

    return apply


def _arbitrary_lags(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(layout.Plan, "lags", property(lambda self: tuple((5 * i + 3) % 4 for i in range(len(self.blocks)))))


def _blocks(plan: layout.Plan, f: Callable[[int, layout.Block], layout.Block]) -> layout.Plan:
    return replace(plan, blocks=tuple(f(i, b) for i, b in enumerate(plan.blocks)))


def _reverse_activations(plan: layout.Plan) -> layout.Plan:
    acts = [b.activation for b in plan.blocks][::-1]
    return _blocks(plan, lambda i, b: replace(b, activation=acts[i]))


def _placements_mutant(edit: Callable[[layout.Plan, list[layout.Placement]], list[layout.Placement]]
                       ) -> Callable[[pytest.MonkeyPatch], None]:
    original = layout.Plan.placements

    def apply(mp: pytest.MonkeyPatch) -> None:
        mp.setattr(layout.Plan, "placements", lambda self: edit(self, original(self)))

    return apply


def _drop_upper_bias_hh(plan: layout.Plan, ps: list[layout.Placement]) -> list[layout.Placement]:
    first = plan.span(0)[1]
    return [p for p in ps if not (p.matrix == "bias_hh" and p.rows[0] % plan.hidden_size >= first)]


def _swap_input_gates(plan: layout.Plan, ps: list[layout.Placement]) -> list[layout.Placement]:
    """Copy gate 0's input weights into gate 1's rows and back (a gate-slice bug in the construction)."""
    if plan.gates == 1:
        return ps
    out = []
    for p in ps:
        w = p.rows[1] - p.rows[0]
        g = p.source_rows[0] // w if w else 0
        if p.matrix == "weight_ih" and g in (0, 1):
            p = replace(p, source_rows=((1 - g) * w, (2 - g) * w))
        out.append(p)
    return out


def _recurrent_source_shift(plan: layout.Plan, ps: list[layout.Placement]) -> list[layout.Placement]:
    """Place each layer's input weights one gate-row lower in the next block (row offset bug) when widths match."""
    out = []
    for p in ps:
        if p.matrix == "weight_hh" and p.cols is not None and p.cols[0] != p.rows[0] % plan.hidden_size:
            # the sub-diagonal block reads block l-1: read block l instead when the widths allow it
            c0, c1 = p.cols
            w = c1 - c0
            r0 = p.rows[0] % plan.hidden_size
            if r0 + w <= plan.hidden_size:
                p = replace(p, cols=(r0, r0 + w))
        out.append(p)
    return out


def _swap_lstm_gates(mp: pytest.MonkeyPatch) -> None:
    original = layer.lstm_pointwise

    def swapped(gates: np.ndarray, c_prev: np.ndarray, c: np.ndarray, tc: np.ndarray, h: np.ndarray) -> None:
        H = c_prev.shape[-1]
        i = gates[..., :H].copy()
        gates[..., :H] = gates[..., H:2 * H]
        gates[..., H:2 * H] = i
        original(gates, c_prev, c, tc, h)

    rebind(mp, original, swapped)


def _no_dense_holds(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(dense, "unit_holds", lambda plan: None)


def _short_padding(mp: pytest.MonkeyPatch) -> None:
    # DelayedRNN._run with the padded length off by one: d - 1 zero steps instead of d
    def run(self: delayed.DelayedRNN, x: Any, h0: Any, engine: str, keep_cache: bool = True,
            full: bool = False) -> Any:
        x = delayed.as_sequence(x, self.input_size, self.dtype)
        T, B, I = x.shape
        h, c = self.initial_states(h0, B)
        xp = np.concatenate([x, np.zeros((max(self.delay - 1, 0), B, I), dtype=self.dtype)], axis=0)
        name = self.engine(engine, batch=B, steps=T, training=keep_cache)
        states, cache = delayed.get_schedule(name).run(self.plan, self.params, self._prepare(name), xp, h, c,
                                                       keep_cache, True)
        return (states if full else self.readout(states)), (delayed.DelayedCache(cache, T) if keep_cache else None)

    mp.setattr(delayed.DelayedRNN, "_run", run)


def _blocked_ignores_reset_mask(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(blocked, "reset_mask", lambda plan: None)


def _own_reset_everywhere(mp: pytest.MonkeyPatch) -> None:
    original = schedule.reset_mask

    def every(plan: layout.Plan) -> np.ndarray | None:
        m = original(plan)
        return None if m is None else np.ones_like(m)

    rebind(mp, original, every)


def _warmup_one_block_early(mp: pytest.MonkeyPatch) -> None:
    def warmup_states(self: StackedRNN) -> Any:
        d = self.to_delayed("zero")
        _, cache = d.forward(np.zeros((0, 1, self.input_size), dtype=self.dtype))
        hs, cs = [], []
        for l in range(self.num_layers):
            a, b = d.plan.span(l)
            k = max(l - 1, 0)
            hs.append(cache.layer.h[k, 0, a:b].copy())
            if self.cell == "lstm":
                cs.append(cache.layer.c[k, 0, a:b].copy())
        return (hs, cs) if self.cell == "lstm" else hs

    mp.setattr(StackedRNN, "warmup_states", warmup_states)


def _receptive_ignores_holds(mp: pytest.MonkeyPatch) -> None:
    original = receptive.block_fields

    def fields(plan: layout.Plan, steps: int) -> np.ndarray:
        return original(_blocks(plan, lambda i, b: replace(b, hold=0)), steps)

    rebind(mp, original, fields)


def _receptive_no_gated_self_edge(mp: pytest.MonkeyPatch) -> None:
    def dependency(plan: layout.Plan) -> np.ndarray:
        return layout.check_plan(plan).recurrent_block_mask().copy()

    rebind(mp, receptive.dependency_matrix, dependency)


MUTANTS: tuple[Mutant, ...] = (
    Mutant("delay+1", "construction", "stacked_plan's delay is L instead of L-1",
           _plan_mutant(lambda p: replace(p, delay=p.delay + 1))),
    Mutant("readout-first-block", "construction", "read-out from block 0 instead of the last block",
           _plan_mutant(lambda p: replace(p, readout=(0,)) if len(p.blocks) > 1 else p)),
    Mutant("activations-reversed", "construction", "block l gets the activation of layer L-1-l",
           _plan_mutant(_reverse_activations)),
    Mutant("symbolic-delay+1", "construction", "delay L instead of L-1 in the plans the symbolic methods see only",
           _symbolic_plan_mutant(lambda p: replace(p, delay=p.delay + 1))),
    Mutant("symbolic-activations-reversed", "construction",
           "activations reversed in the plans the symbolic methods see only",
           _symbolic_plan_mutant(_reverse_activations)),
    Mutant("lag-bookkeeping-arbitrary", "construction", "Plan.lags replaced by arbitrary numbers in every plan",
           _arbitrary_lags),
    Mutant("holds+1", "construction", "staggered start holds each held block one step too long",
           _plan_mutant(lambda p: _blocks(p, lambda i, b: replace(b, hold=b.hold + 1 if b.hold else 0)))),
    Mutant("lags-arbitrary", "construction", "block lags replaced by 2*lag+1 (lag bookkeeping wrong)",
           _plan_mutant(lambda p: _blocks(p, lambda i, b: replace(b, lag=2 * b.lag + 1)))),
    Mutant("bias-hh-copies-dropped", "construction", "bias_hh copied into block 0 only",
           _placements_mutant(_drop_upper_bias_hh)),
    Mutant("input-gate-slices-swapped", "construction", "weight_ih gate slices 0 and 1 swapped when copied",
           _placements_mutant(_swap_input_gates)),
    Mutant("subdiagonal-placed-on-diagonal", "construction", "W_l (reading layer l-1) placed in the diagonal columns",
           _placements_mutant(_recurrent_source_shift)),
    Mutant("warmup-one-block-early", "construction", "warmup_states reads block l's state after step l-1",
           _warmup_one_block_early),
    Mutant("lstm-gate-order-i-f", "engine", "LSTM gates i and f swapped in the engine both networks share",
           _swap_lstm_gates),
    Mutant("dense-engine-ignores-holds", "engine", "the dense engine runs held blocks from step 1",
           _no_dense_holds),
    Mutant("padding-one-short", "engine", "the delayed network pads its input with d-1 zero steps instead of d",
           _short_padding),
    Mutant("blocked-engine-full-reset", "engine", "the blocked engine ignores the own-reset mask (GRU)",
           _blocked_ignores_reset_mask),
    Mutant("own-reset-every-block", "gru", "the own-reset d-GRU resets every block (PyTorch's cell)",
           _own_reset_everywhere),
    Mutant("receptive-ignores-holds", "receptive", "receptive fields ignore the start schedule's holds",
           _receptive_ignores_holds),
    Mutant("receptive-no-gated-self-edge", "receptive", "receptive fields drop the gated cells' self-edge",
           _receptive_no_gated_self_edge),
)


@contextmanager
def installed(mutant: Mutant | None) -> Iterator[None]:
    """Install ``mutant`` (``None``: no mutant) with PyTorch hidden; undo both on exit."""
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(oracle, "torch_missing", lambda: "hidden for the mutation suite")
        if mutant is not None:
            mutant.apply(mp)
        yield
    finally:
        mp.undo()


def run_mutant(mutant: Mutant | None, effort: Effort = EFFORTS["default"]) -> list[ClaimResult]:
    """Every claim of ``drnn verify`` under ``mutant``, PyTorch hidden."""
    with installed(mutant):
        return runner.run(effort=effort)


def killers(results: list[ClaimResult]) -> dict[str, list[str]]:
    """``{claim id: [methods that refuted it]}`` for every claim whose verdict is not the expected one.

    For a claim expected to fail, a kill is the methods finding no counterexample any more (listed as
    ``"(none refutes)"``).
    """
    out: dict[str, list[str]] = {}
    for r in results:
        if r.verdict in ("error", "unchecked") or r.as_expected:
            continue
        names = [m.name + ("!" if m.counterexample and "exception" in m.counterexample else "")
                 for m in r.methods if m.refuted]
        out[r.claim.id] = names or ["(none refutes)"]
    return out


def crashes(results: list[ClaimResult]) -> dict[str, list[str]]:
    """``{claim id: [methods that raised]}``."""
    return {r.claim.id: [m.name for m in r.methods if m.error] for r in results if r.verdict == "error"}
