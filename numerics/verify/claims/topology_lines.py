"""Delay lines and pipelines in gated plans, and PyTorch as the bidirectional network's reference.

Why the topology compiler (:mod:`numerics.verify.claims.topology`) is
Elman-only: no gated unit is an exact delay line, a small-signal tanh line
is only approximate, and a gated pipeline cannot truncate its own state.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from numerics.models import BidirectionalRNN, StackedRNN
from numerics.models.topology import TopologyRNN
from numerics.verify import oracle
from numerics.verify.claims.topology import SOURCE, TOLERANCE
from numerics.verify.registry import ClaimSet, Effort
from numerics.verify.search import property_check
from theory.claims import MethodResult
from theory.topology import bidirectional_topology

#: The claims of this module, in report order.
CLAIMS = ClaimSet()


# --------------------------------------------------------------------- gated and tanh delay lines
CLAIMS.claim(
    "gated-delay-line",
    "A gated unit can serve as an exact delay line: for some weights an LSTM or GRU block started from zero "
    "outputs h_2 = x_1 for every scalar input x_1 (so LSTM and GRU plans could host the compiler's exact "
    "delay lines).",
    SOURCE + " (delay lines in gated plans)",
    "fails",
    "An LSTM output is sigma(o) * tanh(c) and a GRU output a convex combination of tanh(n) and the previous "
    "output, starting from 0: |h_t| < 1 for every weight and input, so no gated unit reproduces x_1 = 1.5. "
    "Exact delay lines need per-block activations, which only Elman plans have; the compiler is Elman-only. "
    "Approximate lines are another matter: with saturated gates (i, o near 1, f near 0) an LSTM unit passes "
    "a small signal eps x through two tanh per step, about as good as a tanh line (tanh-delay-line).",
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
    "k eps^2 |x|^3 / 3 in exact arithmetic (in floating point: plus the rounding of the k + 2 operations, "
    "at most (4k + 8) u |x| with u = 2^-53).",
    SOURCE + " (delay lines in gated plans)",
    "holds",
    "|tanh(y) - y| <= |y|^3 / 3 and |tanh(y)| <= |y|; slot j holds y_j = tanh(y_{j-1}) with |y_j| <= eps |x|, "
    "so |y_k - eps x| <= sum_j |tanh(y_{j-1}) - y_{j-1}| <= k (eps |x|)^3 / 3. Divide by eps.",
)


#: Unit roundoff of float64.
UNIT_ROUNDOFF = 2.0 ** -53


def tanh_line_rounding(k: int, x: np.ndarray) -> np.ndarray:
    """A bound on the rounding error of the k-slot line's read-out ``slot_k / eps - x`` for input ``x``.

    The exact bound ``k eps^2 |x|^3 / 3`` is tight, and for tiny ``eps |x|`` it is far below one rounding
    of ``x``, so a comparison without rounding allowance fails by rounding alone. The line computes one
    product ``eps x``, ``k`` tanh (each within 2 ulp of its value, which is at most ``eps |x|`` in
    magnitude, and 1-Lipschitz, so earlier errors do not grow), one division by ``eps`` and the
    subtraction: at most ``(4k + 8) u |x|`` with room to spare.
    """
    return (4 * k + 8) * UNIT_ROUNDOFF * np.abs(x)


def _tanh_line_excess(c: dict[str, Any]) -> float:
    """Largest ``error - bound - rounding`` (relative to the bound plus rounding) of a k-slot tanh shift register
    on a random sequence: at most 0 when the bound holds."""
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
    bound = k * eps ** 2 * np.abs(x) ** 3 / 3 + tanh_line_rounding(k, x)
    return float(np.max((np.abs(got - x) - bound) / np.maximum(bound, 1e-300)))


@CLAIMS.method("tanh-delay-line", "property-float64")
def _tanh_line(effort: Effort) -> MethodResult:
    cases = st.fixed_dictionaries({"k": st.integers(1, 20), "eps": st.sampled_from((1.0, 0.5, 0.1, 0.01)),
                                   "amplitude": st.sampled_from((0.5, 1.0, 3.0)), "T": st.integers(1, 10),
                                   "seed": st.integers(0, 2**16)})
    return property_check("property-float64", cases, _tanh_line_excess, 0.0, dict, effort)


# ------------------------------------------------------------------ gated cells in the pipeline
CLAIMS.claim(
    "gated-pipeline",
    "The horizon-h pipeline extends to gated cells: with LSTM or GRU blocks as the h + 1 stages (stage j's "
    "gates read the input delayed by 2j steps, given exactly, and stage j - 1's previous output), stage h at "
    "step t + 2h equals the horizon-h truncated backward LSTM or GRU at 0-based time t.",
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


__all__ = ["CLAIMS", "UNIT_ROUNDOFF", "gated_pipeline_error", "tanh_line_rounding"]
