"""Claims checked by the theory package: symbolic identities, the induction, exact arithmetic,
the GRU counterexample and its fix, look-ahead and receptive fields (docs/theory).

Where a claim is stated by :mod:`numerics.verify.claims.elman` or
:mod:`numerics.verify.claims.cells` (``elman-staggered`` …), this module adds
its symbolic and exact methods to it by id, so each claim is checked by every
method that applies; ``lstm-zero-bias``, which only the symbolic method
checks, is stated here.
Default sizes keep all of these under ~10 s on two cores; ``--thorough``
runs the paper's sizes (``L <= 8``, ``T <= 12``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from numerics.models import DelayedRNN, StackedRNN, delayed_gru
from numerics.models.jacobian import input_jacobian
from numerics.testing import mostly_at_least, relaxed_plans
from numerics.verify.claims.elman import farthest
from numerics.verify.registry import ClaimSet, Effort
from numerics.verify.search import property_check
from theory.claims import MethodResult
from theory.induction import check_induction, gru_step
from theory.layout import relaxed_plan, stacked_plan
from theory.receptive import field_lookahead, lookahead, min_steps, receptive_field, unrolled_field, unrolled_reach
from theory.symbolic import IdentityCheck, check_identity, exact_check, gru_residual, sweep

INF = float("inf")

#: The claims of this module, in report order, and its methods for claims of the other modules.
CLAIMS = ClaimSet()


# ------------------------------------------------------------------ helpers
def _sizes(effort: Effort, default: tuple[int, int], thorough: tuple[int, int] = (8, 12)) -> tuple[int, int]:
    return thorough if effort.thorough else default


def _sweep_result(name: str, checks: list[IdentityCheck]) -> MethodResult:
    """Cases = configurations (L, T, start); a failed comparison is a counterexample with max_error inf.
    Non-trivial: at least two layers and one step (a block reads another block)."""
    nontrivial = sum(len(c.widths) >= 2 and c.steps >= 1 for c in checks)
    for c in checks:
        if not c.equal:
            cex = {"cell": c.cell, "hidden_sizes": list(c.widths), "steps": c.steps, "start": c.start,
                   "reset": c.reset, **(c.mismatch or {})}
            return MethodResult(name, len(checks), INF, counterexample=cex, nontrivial=nontrivial)
    return MethodResult(name, len(checks), 0.0, nontrivial=nontrivial)


def _mixed(activation: str, layers: int) -> list[str]:
    """``activation`` on even layers, the other exact activation on odd ones (so a block given another
    layer's activation is seen)."""
    other = "identity" if activation == "relu" else "relu"
    return [activation if i % 2 == 0 else other for i in range(layers)]


# ------------------------------------------ Elman and LSTM symbolic (Theorem 1)
_STARTS = {
    "staggered": ("staggered", "(c) staggered start, symbolic initial states"),
    "zero": ("warmup", "(b) zero start, stacked run from the warm-up states"),
    "zero-bias": ("zero-bias", "(a) no biases, phi(0) = 0 (LSTM: tanh(0) = 0), both from zero"),
}
_CELL_TEXT = {
    "elman": ("Elman", "paper §3", (6, 8)),
    "lstm": ("LSTM (same block layout for every gate, cell state held with h)", "ours (docs/theory/cells.md)", (3, 4)),
}

#: Claims of the other claim modules that the symbolic sweep also checks; the rest are stated here.
_STATED_ELSEWHERE = ("elman-staggered", "elman-warmup", "elman-zero-bias", "lstm-staggered", "lstm-warmup")

for _cell, (_name, _source, _default) in _CELL_TEXT.items():
    for _start, (_suffix, _what) in _STARTS.items():
        _id = f"{_cell}-{_suffix}"
        if _id not in _STATED_ELSEWHERE:
            CLAIMS.claim(
                _id,
                f"With uninterpreted activations and symbolic weights, the unrolled stacked {_name} network and "
                f"its delayed construction are identical expression trees, start rule {_what}.",
                _source, "holds", "SymPy builds both networks from the same symbols (the delayed matrices from the "
                "plan's placements); the trees compare equal with ==, no simplification.")

        @CLAIMS.method(_id, "symbolic")
        def _symbolic(effort: Effort, cell: str = _cell, start: str = _start,
                      default: tuple[int, int] = _default) -> MethodResult:
            L, T = _sizes(effort, default)
            return _sweep_result("symbolic", sweep(cell, L, T, starts=(start,)))


# ------------------------------------------------------------ exact rationals
CLAIMS.claim(
    "exact-rational",
    "Stacked Elman networks with relu or identity activations, rational weights, biases, inputs and initial "
    "states agree exactly (zero tolerance) with their delayed construction, for the staggered start and for "
    "the zero start run against the warm-up states.",
    "paper §3",
    "holds",
    "relu and identity map rationals to rationals, so both networks can be evaluated without rounding; "
    "the delayed weights are assembled from the plan's placements.",
)


def _exact(effort: Effort, activation: str) -> MethodResult:
    rng = np.random.default_rng(effort.seed)
    n_cases = 24 if effort.thorough else 6
    compared, worst, cex, nontrivial = 0, 0.0, None, 0
    for k in range(n_cases):
        L = int(rng.integers(2, 6 if effort.thorough else 4))
        widths = [int(w) for w in rng.integers(1, 4, size=L)]
        T = int(rng.integers(1, 9 if effort.thorough else 6))
        start = ("staggered", "zero")[k % 2]
        acts = _mixed(activation, L) if k % 3 == 2 else activation
        nontrivial += L >= 2
        n, err = exact_check(widths, T, activation=acts, start=start, seed=int(rng.integers(2**31)))
        compared += n
        worst = max(worst, float(err))
        if err != 0 and cex is None:
            cex = {"widths": widths, "steps": T, "start": start, "activation": acts, "error": float(err)}
    return MethodResult(f"exact-{activation}", n_cases, worst, counterexample=cex, nontrivial=nontrivial)


def _exact_one(effort: Effort, activation: str, start: str) -> MethodResult:
    rng = np.random.default_rng(effort.seed + 1)
    n_cases = 12 if effort.thorough else 3
    worst, cex, nontrivial = 0.0, None, 0
    for k in range(n_cases):
        widths = [int(w) for w in rng.integers(1, 4, size=int(rng.integers(2, 5)))]
        T = int(rng.integers(1, 6))
        acts = _mixed(activation, len(widths)) if k % 2 else activation
        nontrivial += len(widths) >= 2
        _, err = exact_check(widths, T, activation=acts, start=start, seed=int(rng.integers(2**31)))
        worst = max(worst, float(err))
        if err != 0 and cex is None:
            cex = {"widths": widths, "steps": T, "activation": acts, "error": float(err)}
    return MethodResult(f"exact-{activation}", n_cases, worst, counterexample=cex, nontrivial=nontrivial)


for _act in ("relu", "identity"):
    CLAIMS.method("exact-rational", f"exact-{_act}")(lambda effort, a=_act: _exact(effort, a))
    for _cid, _start in (("elman-staggered", "staggered"), ("elman-warmup", "zero")):
        CLAIMS.method(_cid, f"exact-{_act}")(lambda effort, a=_act, s=_start: _exact_one(effort, a, s))


# ----------------------------------------------------------------- induction
CLAIMS.claim(
    "induction-step",
    "Theorem 1 holds for every depth L and length T (Elman and LSTM): the induction step, checked on a generic "
    "window of blocks with symbolic widths, layer index and step, reproduces the stacked recursion, and each "
    "base case (staggered, warm-up, zero-bias) holds.",
    "paper §3",
    "holds",
    "Row l of the recurrent matrix is [0 ... W_l U_l ... 0]; on a state split as [S_<; s^{l-1}; s^l; S_>] with "
    "symbolic widths the zero blocks annihilate S_< and S_>, and the hypothesis s^k_{t-1} = h^k_{t-k} turns "
    "the remainder into the stacked step (theory.induction.PROOF).",
)


@CLAIMS.method("induction-step", "symbolic")
def _induction(effort: Effort) -> MethodResult:
    rep = check_induction(max_layers=256 if effort.thorough else 64)
    bad = [s.name for s in rep.steps if not s.ok] + list(rep.plan_problems)
    cex = {"failed": bad} if bad else None
    return MethodResult("symbolic", len(rep.steps) + rep.plans_checked, INF if bad else 0.0, counterexample=cex)


# ----------------------------------------------------------------------- GRU
CLAIMS.claim(
    "gru-naive",
    "The Theorem 1 block construction carries over to GRU: a single GRU layer with the stacked GRU's weights "
    "in the block lower-bidiagonal layout (every gate), delay L-1 and the staggered start equals the stacked GRU.",
    "paper §4 (ours to check)",
    "fails",
    "In a stacked GRU the candidate n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) does not reset-gate the "
    "input path W_in h^{l-1}; in the single layer block l reads block l-1 through W_hn, so that term is "
    "multiplied by r^l. The candidate's argument differs by (r - 1) * W_in h^{l-1}, already with 2 layers of "
    "width 1 at the first step where block 2 reads block 1.",
)


def _gru_case() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "widths": mostly_at_least(1, 4, 2).flatmap(lambda L: st.lists(st.integers(1, 3), min_size=L, max_size=L)),
        "input_size": st.integers(1, 3),
        "steps": st.integers(1, 6),
        "seed": st.integers(0, 2**16),
    })


def _gru_deep(c: dict[str, Any]) -> bool:
    """Non-trivial GRU case: at least two layers (every case has a step), so block 2 reads block 1."""
    return len(c["widths"]) >= 2


def _gru_nets(c: dict[str, Any]) -> tuple[StackedRNN, np.ndarray, list[np.ndarray]]:
    net = StackedRNN.random(c["input_size"], c["widths"], cell="gru", seed=c["seed"], scale=1.0)
    rng = np.random.default_rng(c["seed"] + 1)
    x = rng.uniform(-1, 1, size=(c["steps"], 1, c["input_size"]))
    h0 = [rng.uniform(-1, 1, size=n) for n in c["widths"]]
    return net, x, h0


def _naive_error(c: dict[str, Any]) -> float:
    net, x, h0 = _gru_nets(c)
    return float(np.abs(net(x, h0) - delayed_gru(net, "full")(x, h0)).max())


@CLAIMS.method("gru-naive", "property")
def _gru_naive_property(effort: Effort) -> MethodResult:
    def describe(c: dict[str, Any]) -> dict[str, Any]:
        net, x, h0 = _gru_nets(c)
        ys, yd = net(x, h0), delayed_gru(net, "full")(x, h0)
        t, _, k = np.unravel_index(int(np.argmax(np.abs(ys - yd) > 1e-10)), ys.shape)
        return {"hidden_sizes": list(c["widths"]), "layers": len(c["widths"]), "input_size": c["input_size"],
                "steps": c["steps"], "batch": 1, "seed": c["seed"],
                "first_difference": {"time_step": int(t), "batch": 0, "unit": int(k),
                                     "stacked": float(ys[t, 0, k]), "naive_delayed": float(yd[t, 0, k])},
                "max_abs_difference": float(np.abs(ys - yd).max()),
                "explanation": "block l's reading of block l-1 is multiplied by the reset gate r^l"}

    return property_check("property", _gru_case(), _naive_error, 1e-10, describe, effort, nontrivial=_gru_deep)


@CLAIMS.method("gru-naive", "symbolic")
def _gru_naive_symbolic(effort: Effort) -> MethodResult:
    chk = check_identity("gru", [1, 1], 1, input_size=1)
    if chk.equal:
        return MethodResult("symbolic", 1, 0.0)
    res = gru_residual((1, 1), 1, input_size=1)
    return MethodResult("symbolic", 1, INF, counterexample={
        "hidden_sizes": [1, 1], "steps": 1, "input_size": 1, "step": res["step"], "block": res["block"],
        "residual": res["text"], "residual_over_W_n_h_below": str(res["factor"])})


CLAIMS.claim(
    "gru-own-reset",
    "With one cell change (not shown to be the smallest) — the reset gate multiplies only each block's own "
    "(diagonal) recurrent block "
    "of W_hn, the other blocks are added outside it — the single-layer GRU with the Theorem 1 layout equals the "
    "stacked GRU (staggered start; zero start from the warm-up states; zero biases).",
    "ours",
    "holds",
    "The own-reset candidate is tanh(W_in^{(0)} x [block 1 only] + b_in + W_in^{(l)} s^{l-1} + r * (U_n^{(l)} "
    "s^l + b_hn)), term for term the "
    "stacked candidate of layer l; r and z read the same blocks in both networks.",
)


@CLAIMS.method("gru-own-reset", "symbolic")
def _gru_own_symbolic(effort: Effort) -> MethodResult:
    L, T = _sizes(effort, (3, 4), (6, 8))
    return _sweep_result("symbolic", sweep("gru", L, T, reset="own"))


@CLAIMS.method("gru-own-reset", "induction")
def _gru_own_induction(effort: Effort) -> MethodResult:
    s = gru_step("own")
    return MethodResult("induction", 1, 0.0 if s.holds else INF,
                        counterexample=None if s.holds else {"delayed": str(s.delayed), "stacked": str(s.stacked)})


@CLAIMS.method("gru-own-reset", "property")
def _gru_own_property(effort: Effort) -> MethodResult:
    def err(c: dict[str, Any]) -> float:
        net, x, h0 = _gru_nets(c)
        y = net(x, h0)
        return float(np.abs(y - farthest(y, delayed_gru(net, "own"), x, h0)).max())

    return property_check("property", _gru_case(), err, 1e-10, dict, effort, nontrivial=_gru_deep)


# ------------------------------------------------------------------ look-ahead
def _assembled(plan: Any) -> tuple[np.ndarray, np.ndarray]:
    """``weight_hh`` and ``weight_ih`` of a random network on ``plan`` (stacked sources filled by placements)."""
    net = DelayedRNN.random(plan, seed=0, scale=1.0)
    return net.params.weight_hh, net.params.weight_ih


def _long_enough(plan: Any) -> int:
    """A length past the look-ahead formula's condition ``T >= max hold + |d - m| + 1``, without computing ``m``
    (``|d - m| <= d + L - 1``)."""
    return max(plan.holds) + plan.delay + len(plan.blocks) + 1


def _three_ways(plan: Any) -> tuple[int | None, int | None, int | None]:
    """Closed form ``d - m`` (block graph), the unit-level search over the assembled weights, and the block
    field's ``max(s - t)`` at ``T = min_steps`` (the shortest length that reaches it)."""
    unrolled = field_lookahead(unrolled_field(plan, *_assembled(plan), _long_enough(plan)))
    return lookahead(plan), unrolled, field_lookahead(receptive_field(plan, min_steps(plan)))


def _lag_violation(plan: Any) -> dict[str, int] | None:
    """Where a block of a stacked plan does not stand for time ``τ - λ_l``: the newest input reaching block
    ``l`` after step ``τ`` (past its hold) must be ``x_{τ-λ_l}`` (unit-level search, assembled weights)."""
    T = _long_enough(plan)
    reach = unrolled_reach(plan, *_assembled(plan), T)
    for l, lag in enumerate(plan.lags):
        a, b = plan.span(l)
        for tau in range(max(plan.holds[l], lag), T):
            s = np.nonzero(reach[tau, a:b].any(axis=0))[0]
            newest = int(s.max()) if s.size else -1
            if newest != tau - lag:
                return {"block": l, "step": tau, "lag": lag, "newest_input": newest}
    return None


def _jacobian_lookahead(net: Any, T: int, seed: int) -> int | None:
    x = np.random.default_rng(seed).normal(size=(T, 1, net.input_size))
    J = input_jacobian(net, x)
    return field_lookahead(np.abs(J).max(axis=(1, 3)) > 0)


CLAIMS.claim(
    "lookahead-stacked",
    "The delayed construction of a stacked network (any cell, depth, widths, start rule) has look-ahead 0: "
    "y_t depends on x_1 … x_t only, and on x_t itself; and every block l stands for time tau - lambda_l: past its "
    "hold, the newest input reaching it at step tau is x_{tau - lambda_l}.",
    "paper §5",
    "holds",
    "The shortest path from the input block to block l has l edges, which is its lag, and to the read-out block "
    "L-1 edges, exactly the delay L-1. Checked three ways: the block graph's shortest path, a unit-level "
    "breadth-first search over the unrolled graph of the assembled weights, and the block receptive field.",
)


def _jacobian_or_exception(net: DelayedRNN, steps: int, t: int) -> Any:
    """The Jacobian look-ahead, or the exception's text: a network that raises on a valid case refutes the claim."""
    try:
        return _jacobian_lookahead(net, steps, t)
    except Exception as exc:
        return f"raised {type(exc).__name__}: {exc}"


@CLAIMS.method("lookahead-stacked", "structural")
def _la_stacked(effort: Effort) -> MethodResult:
    worst, n, cex = 0, 0, None
    for cell in ("elman", "lstm"):
        for start in ("staggered", "zero"):
            for L in range(1, (12 if effort.thorough else 6) + 1):
                plan = stacked_plan(cell, 2, [1 + k % 3 for k in range(L)], None if cell == "lstm" else "tanh",
                                    start=start)
                got = _three_ways(plan)
                lag = _lag_violation(plan)
                n += 1
                bad = max(abs(v) if v is not None else INF for v in got)
                worst = max(worst, bad, INF if lag else 0)
                if (bad or lag) and cex is None:
                    cex = {"cell": cell, "layers": L, "start": start, "closed_form_unrolled_field": list(got),
                           "lag_violation": lag}
    return MethodResult("structural", n, float(worst), counterexample=cex, nontrivial=n - 4)


@CLAIMS.method("lookahead-stacked", "jacobian")
def _la_stacked_jac(effort: Effort) -> MethodResult:
    worst, n, cex = 0.0, 0, None
    for L in range(1, (6 if effort.thorough else 4) + 1):
        net = StackedRNN.random(2, [2] * L, seed=L).to_delayed("staggered")
        got = _jacobian_or_exception(net, L + 3, L)
        n += 1
        if got != 0:
            worst, cex = INF, cex or {"layers": L, "jacobian_lookahead": got}
    return MethodResult("jacobian", n, worst, counterexample=cex)


CLAIMS.claim(
    "lookahead-dense",
    "A dense (unconstrained) delayed network with delay d has look-ahead exactly d: y_t depends on x_{t+d} "
    "and on no later input.",
    "paper §5",
    "holds",
    "Every block reads the input, so the read-out block is 0 edges from it: look-ahead d - 0 = d.",
)


@CLAIMS.method("lookahead-dense", "structural")
def _la_dense(effort: Effort) -> MethodResult:
    n, cex = 0, None
    for cell in ("elman", "lstm", "gru"):
        for L in range(1, (6 if effort.thorough else 4) + 1):
            for d in range((10 if effort.thorough else 5) + 1):
                plan = relaxed_plan(cell, 1, [1] * L, np.ones((L, L), bool), np.ones(L, bool), delay=d)
                got = _three_ways(plan)
                n += 1
                if got != (d, d, d) and cex is None:
                    cex = {"cell": cell, "blocks": L, "delay": d, "closed_form_unrolled_field": list(got)}
    return MethodResult("structural", n, INF if cex else 0.0, counterexample=cex)


@CLAIMS.method("lookahead-dense", "jacobian")
def _la_dense_jac(effort: Effort) -> MethodResult:
    n, cex = 0, None
    for d in range((6 if effort.thorough else 3) + 1):
        plan = relaxed_plan("elman", 2, [3], np.ones((1, 1), bool), np.ones(1, bool), delay=d)
        got = _jacobian_or_exception(DelayedRNN.random(plan, seed=d), d + 4, d)
        n += 1
        if got != d and cex is None:
            cex = {"delay": d, "jacobian_lookahead": got}
    return MethodResult("jacobian", n, INF if cex else 0.0, counterexample=cex)


CLAIMS.claim(
    "lookahead-relaxed",
    "For every block-sparsity pattern (with any delay, read-out and holds) and sequences long enough "
    "(T >= max hold + |d - m| + 1), the look-ahead max(s - t) read off the exact receptive field equals the "
    "closed form d - m (m: fewest recurrent edges from an input-fed block to a read-out block) and the "
    "look-ahead found by breadth-first search over the unrolled unit-level graph of the assembled weights.",
    "paper §5",
    "holds",
    "Each recurrent edge advances one step, so a path of m edges links x_s to y_t with s - t = d - m. The lags "
    "play no part: in lag terms the shifts 1 + lambda_k - lambda_l of a path telescope to m + lambda_first - "
    "lambda_readout whatever the lags are, so a lag formula is not an independent check. Shorter sequences "
    "can show a smaller look-ahead (the shortest path does not fit after the holds).",
)


@CLAIMS.method("lookahead-relaxed", "property")
def _la_relaxed(effort: Effort) -> MethodResult:
    def err(plan: Any) -> float:
        a, b, c = _three_ways(plan)
        return 0.0 if a == b == c else 1.0

    return property_check("property", relaxed_plans(), err, 0.0,
                          lambda p: {"plan": p.summary(), "closed_form_unrolled_field": list(_three_ways(p))}, effort,
                          nontrivial=_inner_input)


def _inner_input(plan: Any) -> bool:
    """Non-trivial relaxed plan: the input feeds a block other than the first, so the shortest walk does
    not have to start at block 1."""
    return any(e.dst != 0 for e in plan.inputs)


# ---------------------------------------------------------------- Jacobian
CLAIMS.claim(
    "jacobian-support",
    "For random block-sparsity masks, holds and weights (tanh Elman, LSTM and GRU), the support of the "
    "Jacobian dy_t/dx_s (from the backward pass) equals the structural receptive field: structural zeros are "
    "exact zeros and structural non-zeros are non-zero.",
    "paper §5",
    "holds",
    "Derivatives flow only along edges of the unrolled graph (masked weights are exact zeros, held blocks "
    "copy a constant); along an existing path the product of generic non-zero factors does not vanish.",
)


def _support_mismatch(case: tuple[Any, int, int]) -> float:
    plan, T, seed = case
    net = DelayedRNN.random(plan, seed=seed, scale=1.0)
    x = np.random.default_rng(seed).normal(size=(T, 1, plan.input_size))
    J = input_jacobian(net, x)
    support = np.abs(J).max(axis=(1, 3)) > 0
    return float(np.count_nonzero(support != receptive_field(plan, T)))


@CLAIMS.method("jacobian-support", "property")
def _jacobian_support(effort: Effort) -> MethodResult:
    cases = st.tuples(relaxed_plans(max_width=3, max_delay=3), mostly_at_least(0, 8, 1), st.integers(0, 2**16))

    def describe(c: tuple[Any, int, int]) -> dict[str, Any]:
        plan, T, seed = c
        return {"plan": plan.summary(), "steps": T, "seed": seed,
                "structural": receptive_field(plan, T).astype(int).tolist()}

    return property_check("property", cases, _support_mismatch, 0.0, describe, effort,
                          nontrivial=lambda c: c[1] >= 1)


@CLAIMS.method("jacobian-support", "gated-self-edge")
def _jacobian_support_gated(effort: Effort) -> MethodResult:
    """Gated plans whose recurrent mask has no diagonal block: the self-edge comes from the cell alone.

    A random search reaches such plans rarely; these fixed ones make the gated self-edge of the
    unrolled graph (the LSTM cell state, the GRU's ``z ⊙ h``) a check of its own.
    """
    worst, n, cex = 0.0, 0, None
    no_diagonal = [[False, True, False], [True, False, True], [False, True, False]]
    for cell in ("lstm", "gru"):
        for inputs in ([True, False, False], [False, False, True]):
            plan = relaxed_plan(cell, 1, [2, 1, 2], no_diagonal, inputs, delay=2)
            for T in (3, 6):
                for seed in range(2 if effort.thorough else 1):
                    n += 1
                    info = {"cell": cell, "inputs": inputs, "steps": T, "seed": seed, "plan": plan.summary()}
                    try:
                        bad = _support_mismatch((plan, T, seed))
                    except Exception as exc:  # code under test raising on a valid plan refutes the claim
                        bad, info["exception"] = INF, f"{type(exc).__name__}: {exc}"
                    if bad > worst:
                        worst, cex = bad, {**info, "mismatched_entries": bad}
    return MethodResult("gated-self-edge", n, worst, counterexample=cex, nontrivial=n)


__all__ = ["CLAIMS", "INF"]
