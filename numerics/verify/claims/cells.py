"""Theorem 1 carried to LSTM cells (ours, docs/theory/cells.md) and the gradient of the construction.

The LSTM claims mirror the Elman ones in :mod:`numerics.verify.claims.elman`: the
block construction is applied gate by gate and the cell state ``c`` gets the
same blocks and start rule. Property methods search with
:func:`numerics.testing.stacked_cases` restricted to LSTM cells (layers 1–6,
widths 1–8, inputs 1–5, ``T`` 0–30, batch 1–4, bias on/off, with and
without initial states); the external-reference method compares the
staggered d-LSTM with PyTorch's ``nn.LSTM`` when torch is installed.

The gradient claim says backpropagation commutes with the construction: the
gradient of the staggered d-RNN, taken apart with
:func:`numerics.models.construction.disassemble`, is the stacked network's
gradient (the chain rule through a copy is the identity), for Elman and
LSTM cells.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from numerics.models.construction import disassemble
from numerics.testing import EquivalenceCase, stacked_cases
from numerics.verify import oracle
from numerics.verify.claims.elman import add_property, deep_and_long, farthest, relative_error, warmup_matters
from numerics.verify.registry import ClaimSet, Effort
from numerics.verify.search import property_check
from theory.claims import MethodResult

SOURCE = "ours (the construction carried to LSTM, docs/theory/cells.md)"
DTYPES = (np.float64, np.float32)

#: The claims of this module, in report order.
CLAIMS = ClaimSet()


def _describe(case: EquivalenceCase) -> dict[str, Any]:
    d = case.describe()
    d.pop("state_dict", None)  # keep reports short: the shrunk sizes say enough
    return d


# ------------------------------------------------------------------ staggered
CLAIMS.claim(
    "lstm-staggered",
    "For every stacked LSTM and all initial states (h0, c0), the single LSTM layer whose gate weights "
    "each have the block lower-bidiagonal layout, with delay L-1 and the staggered start (block l holds "
    "h and c at their initial values for its first l steps), reproduces the stacked outputs.",
    SOURCE,
    "holds",
    "Every gate pre-activation of block l reads only block l (its recurrence) and block l-1 (its input), "
    "exactly as the stacked layer does; the cell state is per unit, so the Elman induction goes through "
    "gate by gate, and holding h and c makes the base case exact.",
)


def _staggered(case: EquivalenceCase) -> tuple[np.ndarray, np.ndarray]:
    y = case.net(case.x, case.h0)
    return y, farthest(y, case.net.to_delayed("staggered"), case.x, case.h0)


add_property(CLAIMS, "lstm-staggered", _staggered, ("stacked", "delayed"), cells=("lstm",))


def _lstm_torch_cases(effort: Effort) -> list[dict[str, Any]]:
    rng = np.random.default_rng(effort.seed)
    return [{"layers": int(rng.integers(1, 5)), "hidden": int(rng.integers(1, 9)), "input": int(rng.integers(1, 6)),
             "bias": bool(rng.integers(0, 2)), "T": int(rng.integers(1, 16)), "B": int(rng.integers(1, 4)),
             "seed": int(rng.integers(0, 2**31))}
            for _ in range(40 if effort.thorough else 8)]


def _lstm_torch_error(c: dict[str, Any]) -> float:
    ref = oracle.torch_reference("lstm", c["input"], c["hidden"], c["layers"], bias=c["bias"], seed=c["seed"])
    g = np.random.default_rng(c["seed"])
    x = g.normal(size=(c["T"], c["B"], c["input"]))
    h0 = g.normal(size=(c["layers"], c["B"], c["hidden"]))
    c0 = g.normal(size=(c["layers"], c["B"], c["hidden"]))
    ours = ref.net.to_delayed("staggered")(x, (list(h0), list(c0)))
    return float(np.abs(ref.outputs(x, (h0, c0)) - ours).max())


@CLAIMS.method("lstm-staggered", "torch")
def _staggered_torch(effort: Effort) -> MethodResult:
    if oracle.torch_missing():
        return oracle.skipped("torch")
    return oracle.compare_cases("torch", _lstm_torch_cases(effort), _lstm_torch_error, 1e-12)


# -------------------------------------------------------------------- warm-up
CLAIMS.claim(
    "lstm-warmup",
    "The zero-start d-LSTM (all blocks updated from step 1, h = c = 0) equals the stacked LSTM run from "
    "the input-independent warm-up states (h, c) returned by StackedRNN.warmup_states().",
    SOURCE,
    "holds",
    "Before its first real input arrives, block l runs l steps driven by biases alone (and by block l-1's "
    "equally input-independent warm-up); those (h, c) are the stacked initial states it effectively uses.",
)


def _warmup(case: EquivalenceCase) -> tuple[np.ndarray, np.ndarray]:
    y = case.net(case.x, case.net.warmup_states())
    return y, farthest(y, case.net.to_delayed("zero"), case.x)


add_property(CLAIMS, "lstm-warmup", _warmup, ("stacked_from_warmup", "delayed_zero_start"), cells=("lstm",),
             with_h0=(False,), nontrivial=warmup_matters)

# ---------------------------------------------------------------------- naive
CLAIMS.claim(
    "lstm-naive-zero-start",
    "The zero-start d-LSTM equals the stacked LSTM started from zero states, for any biases.",
    SOURCE,
    "fails",
    "With non-zero biases the gates of block l >= 1 are open during its first l steps, so its h and c "
    "are non-zero when its first real input arrives, while the stacked layer starts from 0.",
)
def _naive(case: EquivalenceCase) -> tuple[np.ndarray, np.ndarray]:
    # An expected failure needs one differing schedule, not all of them (and shrinking runs it hundreds of times).
    return case.net(case.x), case.net.to_delayed("zero")(case.x)


add_property(CLAIMS, "lstm-naive-zero-start", _naive,
                  ("stacked_from_zero", "delayed_zero_start"), cells=("lstm",), dtypes=(np.float64,),
             with_h0=(False,), bias=(True,), nontrivial=warmup_matters)

# ------------------------------------------------------------------ gradient
CLAIMS.claim(
    "gradient-staggered",
    "For stacked Elman and LSTM networks, the gradient of any output loss with respect to the staggered "
    "d-RNN's weights, taken apart along the construction's placements, equals the gradient with respect "
    "to the stacked weights; the input and initial-state gradients are equal too.",
    "ours",
    "holds",
    "The d-RNN computes the same function of the stacked parameters, each copied into one block; the "
    "chain rule through a copy is the identity, and the masked gradient is zero outside the pattern.",
)

# relu is excluded: the two networks round differently, and a pre-activation within rounding of 0
# may fall on different sides of the kink, which is not a property of the construction.
_GRAD_ACTS = ("tanh", "identity", "sigmoid")


def _gradient_error(case: EquivalenceCase, seed: int) -> float:
    net, x, h0 = case.net, case.x, case.h0
    d = net.to_delayed("staggered")
    w = np.random.default_rng(seed).standard_normal((x.shape[0], x.shape[1], net.output_size))
    _, cs = net.forward(x, h0)
    dx, g, dh0 = net.backward(cs, w, return_state_grads=True)
    errs = []
    for name in d.schedules():  # every schedule by name, forward and backward
        _, cd = d.forward(x, h0, engine=name)
        ddx, dg, ddh0 = d.backward(cd, w, return_state_grads=True)
        mapped, ref = disassemble(d.plan, dg.params), g.state_dict()
        errs += [relative_error(ddx, dx)] + [relative_error(mapped[k], ref[k]) for k in ref]
        parts = (ddh0[0], ddh0[1]) if net.cell == "lstm" else (ddh0,)
        wants = (dh0[0], dh0[1]) if net.cell == "lstm" else (dh0,)
        for part, want in zip(parts, wants):
            errs += [relative_error(part[:, slice(*d.plan.span(l))], want[l]) for l in range(net.num_layers)]
    return max(errs)


@CLAIMS.method("gradient-staggered", "property-float64")
def _gradient_property(effort: Effort) -> MethodResult:
    strategy = st.tuples(stacked_cases(cells=("elman", "lstm"), activations=_GRAD_ACTS, dtypes=(np.float64,),
                                       steps=(1, 20)), st.integers(0, 2**16))
    return property_check(
        "property-float64", strategy, lambda cs: _gradient_error(*cs), 1e-9,
        lambda cs: dict(_describe(cs[0]), seed=cs[1]), effort, nontrivial=lambda cs: deep_and_long(cs[0]),
    )


def _gradient_torch_cases(effort: Effort) -> list[dict[str, Any]]:
    rng = np.random.default_rng(effort.seed + 1)
    return [{"layers": int(rng.integers(1, 5)), "hidden": int(rng.integers(1, 7)), "input": int(rng.integers(1, 5)),
             "T": int(rng.integers(1, 12)), "B": int(rng.integers(1, 4)), "seed": int(rng.integers(0, 2**31))}
            for _ in range(20 if effort.thorough else 4)]


def _gradient_torch_error(c: dict[str, Any]) -> float:
    ref = oracle.torch_reference("lstm", c["input"], c["hidden"], c["layers"], seed=c["seed"])
    g = np.random.default_rng(c["seed"])
    x, w = g.normal(size=(c["T"], c["B"], c["input"])), g.normal(size=(c["T"], c["B"], c["hidden"]))
    want = ref.gradients(x, w)
    d = ref.net.to_delayed("staggered")
    _, cd = d.forward(x)
    mapped = disassemble(d.plan, d.backward(cd, w)[1].params)
    return max(float(np.abs(mapped[k] - want[k]).max()) for k in want)


@CLAIMS.method("gradient-staggered", "torch")
def _gradient_torch(effort: Effort) -> MethodResult:
    """PyTorch's autograd on nn.LSTM against the staggered d-LSTM's gradient mapped back."""
    if oracle.torch_missing():
        return oracle.skipped("torch")
    return oracle.compare_cases("torch", _gradient_torch_cases(effort), _gradient_torch_error, 1e-10)


__all__ = ["CLAIMS", "DTYPES", "SOURCE"]
