"""Parameters leave and enter the networks under PyTorch's names: the state-dict round trip.

Claim ``state-dict-roundtrip``: for stacked and bidirectional LSTM and GRU
networks with distinct ``bias_ih`` and ``bias_hh`` (drawn independently, so a
swap of the two is visible), ``from_state_dict(state_dict())`` recovers every
array bit for bit, and the exported state dict drives the independent
per-step reference (:mod:`numerics.verify.stepwise`, which reads parameters
by name only) to the network's own outputs. The second method sees a swap
that export and import make consistently: in a GRU the two biases are not
interchangeable (``b_hn`` sits inside the reset gate).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numerics.models import BidirectionalRNN, StackedRNN
from numerics.verify.registry import ClaimSet, Effort
from numerics.verify.stepwise import reference_run
from theory.claims import MethodResult

#: The claims of this module, in report order.
CLAIMS = ClaimSet()

CLAIMS.claim(
    "state-dict-roundtrip",
    "For stacked and bidirectional LSTM and GRU networks with distinct bias_ih and bias_hh, "
    "from_state_dict(state_dict()) recovers every parameter bit for bit, and the exported state dict, read by "
    "PyTorch's names in an independent per-step evaluation, gives the network's own outputs.",
    "ours (PyTorch's state-dict names, including the _reverse suffix)",
    "holds",
    "Export and import copy arrays under fixed names; the per-step reference knows the names' meaning "
    "(gate order, which bias sits inside the GRU reset gate) without the models' code.",
)

_KINDS: tuple[tuple[str, str, bool], ...] = tuple(
    (f"{'bidirectional' if bi else 'stacked'}-{cell}", cell, bi) for bi in (True, False) for cell in ("lstm", "gru"))


def _cases(effort: Effort, salt: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng([effort.seed, salt])
    return [{"input": int(rng.integers(1, 4)),
             "widths": [int(w) for w in rng.integers(1, 4, size=int(rng.integers(1, 4)))],
             "T": int(rng.integers(1, 6)), "B": int(rng.integers(1, 3)), "seed": int(rng.integers(0, 2**31))}
            for _ in range(60 if effort.thorough else 12)]


def _net(case: dict[str, Any], cell: str, bidirectional: bool) -> StackedRNN | BidirectionalRNN:
    cls = BidirectionalRNN if bidirectional else StackedRNN
    return cls.random(case["input"], case["widths"], cell=cell, seed=case["seed"], scale=2.0)


def _roundtrip_error(case: dict[str, Any], cell: str, bidirectional: bool) -> float:
    net = _net(case, cell, bidirectional)
    sd = net.state_dict()
    back = type(net).from_state_dict({k: v.copy() for k, v in sd.items()}, cell=cell).state_dict()
    if set(back) != set(sd):
        return float("inf")
    return max(float(np.abs(back[k] - sd[k]).max()) for k in sd)


def _reference_error(case: dict[str, Any], cell: str, bidirectional: bool) -> float:
    net = _net(case, cell, bidirectional)
    x = np.random.default_rng(case["seed"] + 1).normal(size=(case["T"], case["B"], case["input"]))
    ref = reference_run(cell, net.state_dict(), net.activations, x, bidirectional=bidirectional)[0]
    return float(np.abs(net(x) - ref).max() / max(1.0, float(np.abs(ref).max())))


def _check(name: str, effort: Effort, error: Any, cell: str, bidirectional: bool, tolerance: float) -> MethodResult:
    worst, cex = 0.0, None
    cases = _cases(effort, 11)
    for c in cases:
        try:
            e = error(c, cell, bidirectional)
        except Exception as exc:  # a valid network that cannot be exported or read back refutes the claim
            e, c = float("inf"), dict(c, exception=f"{type(exc).__name__}: {exc}")
        worst = max(worst, e)
        if not e <= tolerance and cex is None:
            cex = dict(c, error=e)
    deep = sum(len(c["widths"]) >= 2 for c in cases)
    return MethodResult(name, len(cases), worst, counterexample=cex, nontrivial=deep)


for _name, _cell, _bi in _KINDS:
    CLAIMS.method("state-dict-roundtrip", f"roundtrip-{_name}")(
        lambda effort, n=f"roundtrip-{_name}", c=_cell, b=_bi: _check(n, effort, _roundtrip_error, c, b, 0.0))
    CLAIMS.method("state-dict-roundtrip", f"reference-{_name}")(
        lambda effort, n=f"reference-{_name}", c=_cell, b=_bi: _check(n, effort, _reference_error, c, b, 1e-10))


__all__ = ["CLAIMS"]
