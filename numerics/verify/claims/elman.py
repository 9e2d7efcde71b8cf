"""Theorem 1 for Elman networks (docs/theory/theorem1.md): the staggered, warm-up, naive and zero-bias claims.

Each property method runs the delayed network under every schedule by name
(:func:`farthest`) and searches with :func:`numerics.testing.stacked_cases`
over layers 1–6, widths 1–8, inputs 1–5, ``T`` 0–30, batch 1–4, every
activation, bias on and off, float64 and float32. The external-reference
method compares against PyTorch's ``nn.RNN`` when torch is installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numerics.models import DelayedRNN, StackedRNN
from numerics.testing import EquivalenceCase, default_tolerance, first_difference, stacked_cases, stacked_rnns
from numerics.verify import oracle
from numerics.verify.registry import ClaimSet, Effort
from numerics.verify.search import property_check
from theory.claims import MethodResult

SOURCE = "paper §3"

#: The claims of this module, in report order.
CLAIMS = ClaimSet()


#: Largest relative error (see :func:`relative_error`) counted as agreement, per dtype.
#: float32 allows for rounding differences amplified by expansive recurrences over up to 30 steps
#: (see :func:`numerics.testing.default_tolerance`); a broken construction differs by O(0.1).
TOLERANCE = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-3}


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``max|a - b| / max(1, max|a|, max|b|)``: absolute for outputs of order 1, relative for large ones.

    Unbounded activations (relu, identity) can grow outputs to 1e10 and
    beyond, where a reordered sum legitimately differs by more than 1e-10 in
    absolute terms.
    """
    if a.size == 0:
        return 0.0
    scale = max(1.0, float(np.abs(a).max()), float(np.abs(b).max()))
    return float(np.abs(a.astype(np.float64) - b).max()) / scale


def farthest(ref: np.ndarray, net: DelayedRNN, x: np.ndarray, h0: Any = None) -> np.ndarray:
    """``net``'s outputs under the schedule farthest from ``ref``, over every schedule that runs it, by name.

    A claim about the delayed network then holds only if it holds under every
    schedule of :meth:`numerics.models.delayed.DelayedRNN.schedules`, whichever
    one ``engine="auto"`` would choose for the case at hand.
    """
    outs = [net(x, h0, engine=name) for name in net.schedules()]
    return max(outs, key=lambda y: relative_error(y, ref))


def _error(a: np.ndarray, b: np.ndarray, dtype: Any) -> tuple[float, float]:
    return relative_error(a, b), TOLERANCE[np.dtype(dtype)]


def _describe_pair(case: EquivalenceCase, ya: np.ndarray, yb: np.ndarray, labels: tuple[str, str]) -> dict[str, Any]:
    d = case.describe()
    rtol, atol = default_tolerance(case.net.dtype)
    where = first_difference(ya, yb, rtol, atol)
    if where is not None:
        t, i, j = where
        d["first_difference"] = {"time_step": t, "batch": i, "unit": j,
                                 labels[0]: float(ya[t, i, j]), labels[1]: float(yb[t, i, j])}
    d["max_abs_difference"] = float(np.abs(ya.astype(np.float64) - yb).max()) if ya.size else 0.0
    return d


DTYPES = (np.float64, np.float32)


def deep_and_long(case: EquivalenceCase) -> bool:
    """Non-trivial for Theorem 1: at least two layers and one step, so some block reads another block."""
    return case.net.num_layers >= 2 and case.x.shape[0] >= 1


def warmup_matters(case: EquivalenceCase) -> bool:
    """Non-trivial for the start rules: :func:`deep_and_long` and some block ``l >= 2`` (1-based) has a
    non-zero warm-up state, without which the zero start cannot differ from zero states (with it, it usually
    does, not always: ``U_2 = 0`` makes block 2 ignore its own state).

    A network whose warm-up states cannot be computed counts as trivial (the claim's own error reports
    the raise).
    """
    if not deep_and_long(case):
        return False
    try:
        warm = case.net.warmup_states()
    except Exception:  # the claim's error function reports it; here it only is not informative
        return False
    parts = warm if case.net.cell == "lstm" else (warm,)
    return any(bool(np.any(part[l] != 0)) for part in parts for l in range(1, case.net.num_layers))


def add_property(claims: ClaimSet, claim_id: str, pair: Any, labels: tuple[str, str],
                 dtypes: tuple[Any, ...] = DTYPES, nontrivial: Any = deep_and_long, **case_kwargs: Any) -> None:
    """Add to ``claims`` one property method per dtype comparing ``pair(case) -> (a, b)`` outputs.

    ``case_kwargs`` go to :func:`numerics.testing.stacked_cases` (e.g.
    ``cells=("lstm",)``); ``labels`` name the two sides in counterexamples;
    ``nontrivial`` says which cases are informative for the claim (counted in
    the report; default :func:`deep_and_long`).
    """
    for dt in dtypes:
        name = f"property-{np.dtype(dt).name}"

        def check(effort: Effort, dt: Any = dt, name: str = name) -> MethodResult:
            return property_check(
                name, stacked_cases(dtypes=(dt,), **case_kwargs),
                lambda c: _error(*pair(c), c.net.dtype), None,
                lambda c: _describe_pair(c, *pair(c), labels), effort, nontrivial=nontrivial,
            )

        claims.method(claim_id, name)(check)


# ------------------------------------------------------------------ staggered
CLAIMS.claim(
    "elman-staggered",
    "For every stacked Elman RNN and all initial states h0, the single-layer network with block "
    "lower-bidiagonal weights, delay L-1 and the staggered start (block l held at h0_l for its first "
    "l steps) reproduces the stacked outputs at every time step.",
    SOURCE + " (Theorem 1, start rule (c))",
    "holds",
    "By induction on t: block l at step t holds layer l at time t - l, and holding it at h0_l for l "
    "steps makes the base case exact for any initial state.",
)


def _staggered(case: EquivalenceCase) -> tuple[np.ndarray, np.ndarray]:
    y = case.net(case.x, case.h0)
    return y, farthest(y, case.net.to_delayed("staggered"), case.x, case.h0)


add_property(CLAIMS, "elman-staggered", _staggered, ("stacked", "delayed"))

# -------------------------------------------------------------------- warm-up
CLAIMS.claim(
    "elman-warmup",
    "The zero-start delayed network (all blocks updated from step 1, s_0 = 0) equals the stacked network "
    "run from the input-independent warm-up states returned by StackedRNN.warmup_states().",
    SOURCE + " (start rule (b))",
    "holds",
    "Before its first real input reaches it, block l runs l steps driven by biases alone; those states "
    "do not depend on the input, so they are exactly the stacked initial states the delayed network uses.",
)


def _warmup(case: EquivalenceCase) -> tuple[np.ndarray, np.ndarray]:
    y = case.net(case.x, case.net.warmup_states())
    return y, farthest(y, case.net.to_delayed("zero"), case.x)


add_property(CLAIMS, "elman-warmup", _warmup, ("stacked_from_warmup", "delayed_zero_start"), with_h0=(False,),
             nontrivial=warmup_matters)

# ---------------------------------------------------------------------- naive
CLAIMS.claim(
    "elman-naive-zero-start",
    "The zero-start delayed network equals the stacked network started from zero states, for any biases.",
    SOURCE + " (the paper's construction read literally)",
    "fails",
    "The outputs can differ only if some warm-up state of a block l >= 2 (1-based) is non-zero: that block "
    "enters its first real step from it while the stacked layer starts from 0 (not exactly then: with L = 2, "
    "U_2 = 0 and b_2 != 0 the warm-up state is non-zero and the outputs are equal, because block 2 never "
    "reads its own state). A non-zero b_1 alone never "
    "matters (block 1 starts at 0), and a sigmoid block differs even with zero biases (sigma(0) = 1/2).",
)


def _naive(case: EquivalenceCase) -> tuple[np.ndarray, np.ndarray]:
    y = case.net(case.x)
    return y, farthest(y, case.net.to_delayed("zero"), case.x)


def _naive_any_schedule(case: EquivalenceCase) -> tuple[np.ndarray, np.ndarray]:
    # An expected failure needs one differing schedule, not all of them (and shrinking runs it hundreds of times).
    return case.net(case.x), case.net.to_delayed("zero")(case.x)


add_property(CLAIMS, "elman-naive-zero-start", _naive_any_schedule, ("stacked_from_zero", "delayed_zero_start"),
             dtypes=(np.float64,), with_h0=(False,), bias=(True,), nontrivial=warmup_matters)

# ------------------------------------------------------------------ zero bias
CLAIMS.claim(
    "elman-zero-bias",
    "Without biases and with activations satisfying phi(0) = 0 (tanh, relu, identity), the zero-start "
    "delayed network equals the stacked network started from zero states.",
    SOURCE + " (start rule (a))",
    "holds",
    "With no bias and phi(0) = 0, every block stays exactly 0 until its first real input arrives, which "
    "is the stacked network's zero initial state.",
)


add_property(CLAIMS, "elman-zero-bias", _naive, ("stacked_from_zero", "delayed_zero_start"),
                   with_h0=(False,), bias=(False,), activations=("tanh", "relu", "identity"))

# ------------------------------------------------------------------ round trip
CLAIMS.claim(
    "elman-roundtrip",
    "StackedRNN.from_delayed() inverts StackedRNN.to_delayed(): every stacked parameter is recovered bit for bit.",
    "ours",
    "holds",
    "Both directions copy the same placements of the shared block layout.",
)


@CLAIMS.method("elman-roundtrip", "property")
def _roundtrip_property(effort: Effort) -> MethodResult:
    def err(net: StackedRNN) -> float:
        back = StackedRNN.from_delayed(net.to_delayed()).state_dict()
        ref = net.state_dict()
        if set(back) != set(ref):
            return float("inf")
        return max(float(np.abs(back[k] - ref[k]).max()) if ref[k].size else 0.0 for k in ref)

    return property_check(
        "property", stacked_rnns(dtypes=DTYPES), err, 0.0,
        lambda n: {"hidden_sizes": list(n.hidden_sizes), "input_size": n.input_size}, effort,
        nontrivial=lambda n: n.num_layers >= 2,
    )


# ------------------------------------------------------------ PyTorch oracle
def _torch_cases(effort: Effort) -> list[dict[str, Any]]:
    rng = np.random.default_rng(effort.seed)
    n = 8 if not effort.thorough else 40
    cases = []
    for k in range(n):
        cases.append({
            "nonlinearity": ["tanh", "relu"][k % 2],
            "layers": int(rng.integers(1, 5)),
            "hidden": int(rng.integers(1, 9)),
            "input": int(rng.integers(1, 6)),
            "bias": bool(k % 4 < 2),
            "T": int(rng.integers(1, 16)),
            "B": int(rng.integers(1, 4)),
            "h0": bool(rng.integers(0, 2)),
            "seed": int(rng.integers(0, 2**31)),
        })
    return cases


def _torch_error(c: dict[str, Any]) -> float:
    ref = oracle.torch_reference("elman", c["input"], c["hidden"], c["layers"], nonlinearity=c["nonlinearity"],
                                 bias=c["bias"], seed=c["seed"])
    g = np.random.default_rng(c["seed"])
    x = g.normal(size=(c["T"], c["B"], c["input"]))
    h0 = g.normal(size=(c["layers"], c["B"], c["hidden"])) if c["h0"] else None
    return float(np.abs(ref.outputs(x, h0) - ref.net.to_delayed("staggered")(x, h0)).max())


@CLAIMS.method("elman-staggered", "torch")
def _staggered_torch(effort: Effort) -> MethodResult:
    if oracle.torch_missing():
        return oracle.skipped("torch")
    return oracle.compare_cases("torch", _torch_cases(effort), _torch_error, 1e-12)


__all__ = [
    "CLAIMS",
    "DTYPES",
    "SOURCE",
    "TOLERANCE",
    "add_property",
    "deep_and_long",
    "farthest",
    "relative_error",
    "warmup_matters",
]
