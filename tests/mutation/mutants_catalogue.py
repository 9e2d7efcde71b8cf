"""A catalogue of semantic mutants: construction, engines, backward passes, bounds, contracts, export, helpers.

Each mutant is a deliberate, plausible bug, applied in-process with
:class:`pytest.MonkeyPatch` and undone afterwards. :func:`run_mutant` runs
every claim of ``drnn verify`` (PyTorch hidden, as in the README's first
command) under the mutant; the mutant is *killed* when some claim's verdict
differs from its expectation without any method crashing for it.

A function is replaced in every ``theory``/``numerics`` module that bound it
by name (``from theory.layout import stacked_plan``), so the mutant behaves
like an edit of the source file; :func:`source_mutant` makes the edit
literally, recompiling a function from its source with one string replaced
(and fails loudly when that string is gone, so a refactor cannot silently
turn a mutant into a no-op).

Mutants in code ``drnn verify`` does not exercise by design (the testing
helpers users test with) carry the test files that must catch them
(:attr:`Mutant.tests`); :func:`run_tests_under` runs those files in a fresh
process with the mutant installed.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest

import numerics.engine.activations as activations
import numerics.engine.cells as cells
import numerics.engine.dense as dense
import numerics.engine.layer as layer
import numerics.engine.layerorder as layerorder
import numerics.engine.units as schedule
import numerics.engine.wavefront as blocked
import numerics.models.delayed as delayed
import numerics.models.topology as topology_models
import numerics.testing as testing
import theory.layout as layout
import theory.receptive as receptive
import theory.symbolic as symbolic
import theory.topology as topology
from numerics.models.stacked import BidirectionalRNN, StackedRNN
from numerics.verify import oracle, runner
from numerics.verify.claims import topology_bounds
from numerics.verify.registry import EFFORTS, Effort
from theory.claims import ClaimResult


@dataclass(frozen=True)
class Mutant:
    """A named bug: ``apply(mp)`` installs it on a :class:`pytest.MonkeyPatch`."""

    name: str
    area: str
    description: str
    apply: Callable[[pytest.MonkeyPatch], None]
    #: Test files that must fail under the mutant, for code ``drnn verify`` does not exercise by design.
    tests: tuple[str, ...] = ()
    #: Claims that refute the mutant (from the table); the slow test runs only these to keep CI short,
    #: the table (make_table.py) runs every claim. Empty: the test runs every claim.
    killed_by: tuple[str, ...] = ()


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
    original = cells.lstm_pointwise

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
        # The last T states are read out (shapes stay right, every output is one step early), so the claims
        # refute the mutant by its values rather than crash on a short output.
        out = states if full else states[states.shape[0] - T:][:, :, self.plan.readout_units()]
        return out, (delayed.DelayedCache(cache, T) if keep_cache else None)

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


def source_mutant(owner: Any, name: str, old: str, new: str) -> Callable[[pytest.MonkeyPatch], None]:
    """Replace ``owner.name`` (a module function or a method) by its source with ``old`` replaced by ``new``.

    ``old`` must occur exactly once; a module function is rebound in every project module that bound it.
    """

    def apply(mp: pytest.MonkeyPatch) -> None:
        fn = inspect.unwrap(vars(owner)[name] if isinstance(owner, type) else getattr(owner, name))
        src = textwrap.dedent(inspect.getsource(fn))
        if src.count(old) != 1:
            raise AssertionError(f"mutant of {fn.__qualname__}: {old!r} occurs {src.count(old)} times in its source")
        ns = dict(fn.__globals__)
        exec(compile(src.replace(old, new), inspect.getsourcefile(fn) or "<mutant>", "exec"), ns)
        if isinstance(owner, type):
            mp.setattr(owner, name, ns[fn.__name__])
        else:
            rebind(mp, fn, ns[fn.__name__])

    return apply


def _wrap(module: Any, name: str, make: Callable[[Any], Any]) -> Callable[[pytest.MonkeyPatch], None]:
    """Rebind ``module.name`` everywhere to ``make(original)``."""

    def apply(mp: pytest.MonkeyPatch) -> None:
        original = getattr(module, name)
        rebind(mp, original, make(original))

    return apply


def _gru_z_sign(original: Any) -> Any:
    def gru_local(r, z, n, hn, h_prev, d_r, d_z, d_hn, d_n):  # type: ignore[no-untyped-def]
        original(r, z, n, hn, h_prev, d_r, d_z, d_hn, d_n)
        d_z *= -1  # ∂h/∂a_z with the wrong sign

    return gru_local


def _lstm_forget_tanh_c(original: Any) -> Any:
    def lstm_local(gates4, c_prev, tc, local4, dh_dc, scratch4=None):  # type: ignore[no-untyped-def]
        return original(gates4, tc, tc, local4, dh_dc, scratch4)  # tanh(c_t) where c_{t-1} belongs

    return lstm_local


def _sigmoid_as_tanh(original: Any) -> Any:
    def derivative_from_output(name, h, out=None):  # type: ignore[no-untyped-def]
        return original("tanh" if name == "sigmoid" else name, h, out)  # 1 - h² for the sigmoid

    return derivative_from_output


def _readout_one_early(original: Any) -> Any:
    def wave_backward(cache, dy, delay, dh_final=None, dc_final=None):  # type: ignore[no-untyped-def]
        early = np.zeros_like(dy)
        early[:-1] = dy[1:]  # the gradient of y_t lands on the state of step t + d - 1
        return original(cache, early, delay, dh_final, dc_final)

    return wave_backward


def _loose_bound(original: Any) -> Any:
    def truncation_bound(rho, width, horizon, steps, *, exact_end=False):  # type: ignore[no-untyped-def]
        left = steps - 1 - np.arange(steps)
        bound = np.sqrt(width) * float(rho) ** np.minimum(horizon, left)  # exponent min(h, T - t), no + 1
        return np.where(left <= horizon, 0.0, bound) if exact_end else bound

    return truncation_bound


def _max_norm_error(original: Any) -> Any:
    def truncation_error(net, x, horizon):  # type: ignore[no-untyped-def]
        x = np.asarray(x, dtype=np.float64)
        _, d = topology_models.streaming(net, horizon)
        return np.abs(d(x) - net(x, backward="full")).max(axis=2)  # max-norm instead of the Euclidean norm

    return truncation_error


def _min_steps_short(original: Any) -> Any:
    return lambda plan: max(original(plan) - 1, 1)


def _reference_field_short(original: Any) -> Any:
    def reference_field(top, steps):  # type: ignore[no-untyped-def]
        return original(topology.with_horizon(top, [max(la.horizon - 1, 0) for la in top.layers]), steps)

    return reference_field


def _swap_reverse_biases(mp: pytest.MonkeyPatch) -> None:
    original = BidirectionalRNN.state_dict

    def state_dict(self: BidirectionalRNN) -> dict[str, np.ndarray]:
        sd = original(self)
        for k in [k for k in sd if k.startswith("bias_ih") and k.endswith("_reverse")]:
            other = k.replace("bias_ih", "bias_hh")
            sd[k], sd[other] = sd[other], sd[k]
        return sd

    mp.setattr(BidirectionalRNN, "state_dict", state_dict)


#: The mutants of issue 21: backward passes in every schedule, bounds, contracts, bidirectional export, helpers.
GRADIENT_MUTANTS: tuple[Mutant, ...] = (
    Mutant("gru-z-derivative-sign", "backward", "the GRU update gate's local derivative has the wrong sign",
           _wrap(cells, "gru_local", _gru_z_sign),
           killed_by=('gradient-stacked', 'gradient-bidirectional', 'gradient-delayed')),
    Mutant("lstm-forget-derivative-tanh-c", "backward", "the LSTM forget gate's derivative uses tanh(c_t), not c_{t-1}",
           _wrap(cells, "lstm_local", _lstm_forget_tanh_c),
           killed_by=('gradient-stacked', 'gradient-bidirectional', 'gradient-delayed')),
    Mutant("sigmoid-derivative-1-h2", "backward", "the sigmoid derivative computed as 1 - h^2",
           _wrap(activations, "derivative_from_output", _sigmoid_as_tanh),
           killed_by=('gradient-stacked', 'gradient-bidirectional', 'gradient-delayed', 'gradient-topology')),
    Mutant("gru-bias-hh-grad-input-side", "backward", "the GRU bias_hh gradient taken from the input side",
           source_mutant(layer, "layer_backward", "bias_hh=dah2[:, : G * H].sum(axis=0)", "bias_hh=dax2.sum(axis=0)"),
           killed_by=('gradient-stacked', 'gradient-bidirectional', 'gradient-delayed')),
    Mutant("wavefront-readout-one-early", "backward",
           "the wavefront backward places the read-out gradient one step early",
           _wrap(blocked, "wave_backward", _readout_one_early),
           killed_by=('gradient-delayed', 'gradient-topology')),
    Mutant("layer-order-drops-held-gradient", "backward",
           "the layer-order backward drops gradients reaching a block before its first step (other blocks' "
           "readings of h0)",
           source_mutant(layerorder, "layer_order_grads", "held += a[: min(s, o + k) - o].sum(axis=0)", "pass"),
           killed_by=('gradient-delayed',)),
    Mutant("layer-order-gradient-outside-plan", "backward",
           "the layer-order backward keeps recurrent gradients of a block without a self edge",
           source_mutant(layerorder, "layer_order_grads", "if not all(rec[l, l] for l in range(L)):", "if False:"),
           killed_by=('gradient-topology',)),
    Mutant("bidirectional-drops-reverse-input-grad", "bidirectional",
           "BidirectionalRNN.backward drops the reverse direction's input gradient",
           source_mutant(BidirectionalRNN, "backward", "g = dxf + dxb", "g = dxf"),
           killed_by=('gradient-bidirectional',)),
    Mutant("bidirectional-export-swaps-reverse-biases", "bidirectional",
           "BidirectionalRNN.state_dict swaps the reverse bias_ih and bias_hh", _swap_reverse_biases,
           killed_by=('gradient-bidirectional', 'state-dict-roundtrip')),
    Mutant("bound-exponent-one-short", "bounds", "truncation_bound with exponent min(h, T - t) instead of + 1",
           _wrap(topology_models, "truncation_bound", _loose_bound),
           killed_by=('bidir-approx-bound',)),
    Mutant("truncation-error-max-norm", "bounds", "truncation_error in the max-norm instead of the Euclidean norm",
           _wrap(topology_models, "truncation_error", _max_norm_error),
           killed_by=('bidir-approx-bound', 'bidir-approx-bound-stacked', 'bidir-approx-bound-deep')),
    Mutant("stacked-bound-halves-added", "bounds",
           "the two-layer bound adds the halves' errors instead of adding them in quadrature (the old constant)",
           source_mutant(topology_bounds, "stacked_bound", "np.sqrt(F**2 + (np.sqrt(n2) + F) ** 2)",
                         "(np.sqrt(n2) + 2 * F)"),
           killed_by=('bidir-approx-bound-stacked',)),
    Mutant("stacked-bound-exponent-one-short", "bounds", "the two-layer bound with rho^h instead of rho^(h+1)",
           source_mutant(topology_bounds, "stacked_bound", "rho ** (h + 1)", "rho ** h"),
           killed_by=('bidir-approx-bound-stacked',)),
    Mutant("min-steps-one-short", "contracts", "min_steps one step short of the shortest length",
           _wrap(receptive, "min_steps", _min_steps_short),
           killed_by=('min-steps-exact', 'lookahead-dense', 'lookahead-relaxed')),
    Mutant("reference-field-horizon-short", "contracts", "reference_field with every backward horizon one short",
           _wrap(topology, "reference_field", _reference_field_short),
           killed_by=('reference-field',)),
    Mutant("assert-equivalent-rtol-atol-swapped", "testing helpers", "assert_equivalent passes rtol as atol and back",
           source_mutant(testing, "assert_equivalent", "first_difference(ya, yb, rtol, atol)",
                         "first_difference(ya, yb, atol, rtol)"),
           tests=("tests/numerics/test_testing_semantics.py",)),
    Mutant("gradients-match-ignores-mask", "testing helpers",
           "assert_gradients_match accepts non-zero gradients outside the mask",
           source_mutant(testing, "assert_gradients_match", "if np.any(grad[~mask] != 0):", "if False:"),
           tests=("tests/numerics/test_testing_semantics.py", "tests/numerics/test_testing.py")),
)


MUTANTS: tuple[Mutant, ...] = (
    Mutant("delay+1", "construction", "stacked_plan's delay is L instead of L-1",
           _plan_mutant(lambda p: replace(p, delay=p.delay + 1)),
           killed_by=('elman-staggered', 'lstm-staggered')),
    Mutant("readout-first-block", "construction", "read-out from block 0 instead of the last block",
           _plan_mutant(lambda p: replace(p, readout=(0,)) if len(p.blocks) > 1 else p),
           killed_by=('elman-staggered', 'lstm-staggered')),
    Mutant("activations-reversed", "construction", "block l gets the activation of layer L-1-l",
           _plan_mutant(_reverse_activations),
           killed_by=('elman-staggered', 'engine-reference')),
    Mutant("symbolic-delay+1", "construction", "delay L instead of L-1 in the plans the symbolic methods see only",
           _symbolic_plan_mutant(lambda p: replace(p, delay=p.delay + 1)),
           killed_by=('elman-staggered', 'exact-rational')),
    Mutant("symbolic-activations-reversed", "construction",
           "activations reversed in the plans the symbolic methods see only",
           _symbolic_plan_mutant(_reverse_activations),
           killed_by=('elman-staggered',)),
    Mutant("lag-bookkeeping-arbitrary", "construction", "Plan.lags replaced by arbitrary numbers in every plan",
           _arbitrary_lags,
           killed_by=('induction-step', 'lookahead-stacked')),
    Mutant("holds+1", "construction", "staggered start holds each held block one step too long",
           _plan_mutant(lambda p: _blocks(p, lambda i, b: replace(b, hold=b.hold + 1 if b.hold else 0))),
           killed_by=('elman-staggered', 'lstm-staggered')),
    Mutant("lags-arbitrary", "construction", "block lags replaced by 2*lag+1 (lag bookkeeping wrong)",
           _plan_mutant(lambda p: _blocks(p, lambda i, b: replace(b, lag=2 * b.lag + 1))),
           killed_by=('elman-staggered', 'exact-rational')),
    Mutant("bias-hh-copies-dropped", "construction", "bias_hh copied into block 0 only",
           _placements_mutant(_drop_upper_bias_hh),
           killed_by=('elman-staggered', 'lstm-staggered')),
    Mutant("input-gate-slices-swapped", "construction", "weight_ih gate slices 0 and 1 swapped when copied",
           _placements_mutant(_swap_input_gates),
           killed_by=('lstm-staggered', 'engine-reference')),
    Mutant("subdiagonal-placed-on-diagonal", "construction", "W_l (reading layer l-1) placed in the diagonal columns",
           _placements_mutant(_recurrent_source_shift),
           killed_by=('elman-staggered', 'lstm-staggered')),
    Mutant("warmup-one-block-early", "construction", "warmup_states reads block l's state after step l-1",
           _warmup_one_block_early,
           killed_by=('elman-warmup', 'lstm-warmup')),
    Mutant("lstm-gate-order-i-f", "engine", "LSTM gates i and f swapped in the engine both networks share",
           _swap_lstm_gates,
           killed_by=('engine-reference',)),
    Mutant("dense-engine-ignores-holds", "engine", "the dense engine runs held blocks from step 1",
           _no_dense_holds,
           killed_by=('elman-staggered', 'engine-reference')),
    Mutant("padding-one-short", "engine", "the delayed network pads its input with d-1 zero steps instead of d",
           _short_padding,
           killed_by=('elman-staggered', 'lstm-staggered', 'engine-reference')),
    Mutant("blocked-engine-full-reset", "engine", "the blocked engine ignores the own-reset mask (GRU)",
           _blocked_ignores_reset_mask,
           killed_by=('gru-own-reset', 'engine-reference')),
    Mutant("own-reset-every-block", "gru", "the own-reset d-GRU resets every block (PyTorch's cell)",
           _own_reset_everywhere,
           killed_by=('gru-own-reset', 'engine-reference')),
    Mutant("receptive-ignores-holds", "receptive", "receptive fields ignore the start schedule's holds",
           _receptive_ignores_holds,
           killed_by=('jacobian-support',)),
    Mutant("receptive-no-gated-self-edge", "receptive", "receptive fields drop the gated cells' self-edge",
           _receptive_no_gated_self_edge,
           killed_by=('jacobian-support',)),
    *GRADIENT_MUTANTS,
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


def run_mutant(mutant: Mutant | None, effort: Effort = EFFORTS["default"],
               ids: tuple[str, ...] | None = None) -> list[ClaimResult]:
    """Every claim of ``drnn verify`` (or the claims ``ids``) under ``mutant``, PyTorch hidden."""
    with installed(mutant):
        return runner.run(ids, effort=effort)


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


def run_tests_under(mutant: Mutant) -> int:
    """Run ``mutant.tests`` in a fresh process with the mutant installed; 10 + pytest's exit code.

    11: some test failed (the mutant is caught); 10: all passed; anything else: the run itself broke
    (e.g. the mutant could not be applied), which must not count as caught.
    """
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    here = os.path.dirname(os.path.abspath(__file__))
    script = (
        "import sys, pytest\n"
        f"sys.path.insert(0, {here!r})\n"
        "from mutants_catalogue import MUTANTS, installed\n"
        f"m = next(m for m in MUTANTS if m.name == {mutant.name!r})\n"
        "with installed(m):\n"
        f"    sys.exit(10 + pytest.main(['-q', '-x', '-p', 'no:cacheprovider', '-n', '0', *{list(mutant.tests)!r}]))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, env_path] if (env_path := os.environ.get("PYTHONPATH"))
                                                      else [root]))
    return subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True).returncode
