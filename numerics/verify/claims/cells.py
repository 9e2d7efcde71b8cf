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
from numerics.models.torch_io import from_torch
from numerics.testing import EquivalenceCase, stacked_cases
from numerics.verify.claims.elman import register_property, relative_error
from numerics.verify.registry import Profile, method, property_check, register_claim
from theory.claims import MethodResult

SOURCE = "ours (the construction carried to LSTM, docs/theory/cells.md)"
DTYPES = (np.float64, np.float32)


def _describe(case: EquivalenceCase) -> dict[str, Any]:
    d = case.describe()
    d.pop("state_dict", None)  # keep reports short: the shrunk sizes say enough
    return d


# ------------------------------------------------------------------ staggered
register_claim(
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
    return case.net(case.x, case.h0), case.net.to_delayed("staggered")(case.x, case.h0)


register_property("lstm-staggered", _staggered, ("stacked", "delayed"), cells=("lstm",))


@method("lstm-staggered", "torch")
def _staggered_torch(profile: Profile) -> MethodResult:
    try:
        import torch
    except ImportError:
        return MethodResult("torch", 0, 0.0, skipped="torch is not installed")
    rng = np.random.default_rng(profile.seed)
    n = 40 if profile.thorough else 8
    worst, cex = 0.0, None
    for _ in range(n):
        c = {"layers": int(rng.integers(1, 5)), "hidden": int(rng.integers(1, 9)), "input": int(rng.integers(1, 6)),
             "bias": bool(rng.integers(0, 2)), "T": int(rng.integers(1, 16)), "B": int(rng.integers(1, 4)),
             "seed": int(rng.integers(0, 2**31))}
        torch.manual_seed(c["seed"])
        m = torch.nn.LSTM(c["input"], c["hidden"], num_layers=c["layers"], bias=c["bias"]).double()
        g = np.random.default_rng(c["seed"])
        x = g.normal(size=(c["T"], c["B"], c["input"]))
        h0 = g.normal(size=(c["layers"], c["B"], c["hidden"]))
        c0 = g.normal(size=(c["layers"], c["B"], c["hidden"]))
        with torch.no_grad():
            ref = m(torch.from_numpy(x), (torch.from_numpy(h0), torch.from_numpy(c0)))[0].numpy()
        net = from_torch({k: v.detach().numpy() for k, v in m.state_dict().items()}, "LSTM")
        hs, cs = list(h0), list(c0)
        ours = net.to_delayed("staggered")(x, (hs, cs))
        err = float(np.abs(ref - ours).max())
        worst = max(worst, err)
        if err > 1e-12 and cex is None:
            cex = dict(c, error=err)
    return MethodResult("torch", n, worst, counterexample=cex)


# -------------------------------------------------------------------- warm-up
register_claim(
    "lstm-warmup",
    "The zero-start d-LSTM (all blocks updated from step 1, h = c = 0) equals the stacked LSTM run from "
    "the input-independent warm-up states (h, c) returned by StackedRNN.warmup_states().",
    SOURCE,
    "holds",
    "Before its first real input arrives, block l runs l steps driven by biases alone (and by block l-1's "
    "equally input-independent warm-up); those (h, c) are the stacked initial states it effectively uses.",
)


def _warmup(case: EquivalenceCase) -> tuple[np.ndarray, np.ndarray]:
    return case.net(case.x, case.net.warmup_states()), case.net.to_delayed("zero")(case.x)


register_property("lstm-warmup", _warmup, ("stacked_from_warmup", "delayed_zero_start"), cells=("lstm",),
                  with_h0=(False,))

# ---------------------------------------------------------------------- naive
register_claim(
    "lstm-naive-zero-start",
    "The zero-start d-LSTM equals the stacked LSTM started from zero states, for any biases.",
    SOURCE,
    "fails",
    "With non-zero biases the gates of block l >= 1 are open during its first l steps, so its h and c "
    "are non-zero when its first real input arrives, while the stacked layer starts from 0.",
)
register_property("lstm-naive-zero-start", lambda c: (c.net(c.x), c.net.to_delayed("zero")(c.x)),
                  ("stacked_from_zero", "delayed_zero_start"), cells=("lstm",), dtypes=(np.float64,),
                  with_h0=(False,), bias=(True,))

# ------------------------------------------------------------------ gradient
register_claim(
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
    _, cd = d.forward(x, h0)
    ddx, dg, ddh0 = d.backward(cd, w, return_state_grads=True)
    mapped, ref = disassemble(d.plan, dg.params), g.state_dict()
    errs = [relative_error(ddx, dx)] + [relative_error(mapped[k], ref[k]) for k in ref]
    parts = (ddh0[0], ddh0[1]) if net.cell == "lstm" else (ddh0,)
    wants = (dh0[0], dh0[1]) if net.cell == "lstm" else (dh0,)
    for part, want in zip(parts, wants):
        errs += [relative_error(part[:, slice(*d.plan.span(l))], want[l]) for l in range(net.num_layers)]
    return max(errs)


@method("gradient-staggered", "property-float64")
def _gradient_property(profile: Profile) -> MethodResult:
    strategy = st.tuples(stacked_cases(cells=("elman", "lstm"), activations=_GRAD_ACTS, dtypes=(np.float64,),
                                       steps=(1, 20)), st.integers(0, 2**16))
    return property_check(
        "property-float64", strategy, lambda cs: _gradient_error(*cs), 1e-9,
        lambda cs: dict(_describe(cs[0]), seed=cs[1]), profile,
    )


@method("gradient-staggered", "torch")
def _gradient_torch(profile: Profile) -> MethodResult:
    """PyTorch's autograd on nn.LSTM against the staggered d-LSTM's gradient mapped back."""
    try:
        import torch
    except ImportError:
        return MethodResult("torch", 0, 0.0, skipped="torch is not installed")
    rng = np.random.default_rng(profile.seed + 1)
    n = 20 if profile.thorough else 4
    worst, cex = 0.0, None
    for _ in range(n):
        L, H, I, T, B = (int(rng.integers(1, 5)), int(rng.integers(1, 7)), int(rng.integers(1, 5)),
                         int(rng.integers(1, 12)), int(rng.integers(1, 4)))
        seed = int(rng.integers(0, 2**31))
        torch.manual_seed(seed)
        m = torch.nn.LSTM(I, H, num_layers=L).double()
        g = np.random.default_rng(seed)
        x, w = g.normal(size=(T, B, I)), g.normal(size=(T, B, H))
        y = m(torch.from_numpy(x))[0]
        (y * torch.from_numpy(w)).sum().backward()
        net = from_torch({k: v.detach().numpy() for k, v in m.state_dict().items()}, "LSTM")
        d = net.to_delayed("staggered")
        _, cd = d.forward(x)
        mapped = disassemble(d.plan, d.backward(cd, w)[1].params)
        err = max(float(np.abs(mapped[k] - p.grad.numpy()).max()) for k, p in m.named_parameters())
        worst = max(worst, err)
        if err > 1e-10 and cex is None:
            cex = {"layers": L, "hidden": H, "input": I, "T": T, "B": B, "seed": seed, "error": err}
    return MethodResult("torch", n, worst, counterexample=cex)
