"""The truncated bidirectional network against the full one: error bounds and exactness at the end.

docs/theory/bidirectional.md §6 states and proves these; they continue the
claims of :mod:`numerics.verify.claims.topology` (which defines the shared
source and tolerance). The bound claims search over contractive tanh
networks (spectral norms rescaled to ``rho``) for a case where the measured
error exceeds the bound.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from numerics.models.topology import TopologyRNN, truncation_bound, truncation_error
from numerics.verify.claims.topology import SOURCE, TOLERANCE
from numerics.verify.registry import ClaimSet, Effort
from numerics.verify.search import property_check
from theory.claims import MethodResult
from theory.layout import ELMAN_ACTIVATIONS, layer_param
from theory.topology import bidirectional_topology

#: The claims of this module, in report order.
CLAIMS = ClaimSet()


# ------------------------------------------------------------------- approximation of the full network
@st.composite
def _contractive_cases(draw: Any, norm: str = "spectral-norm") -> dict[str, Any]:
    """One bidirectional tanh layer whose backward ``U_b`` is rescaled so that ``norm(U_b) = rho``."""
    return {"input_size": draw(st.integers(1, 3)), "width": draw(st.integers(2 if norm == "radius" else 1, 4)),
            "T": draw(st.integers(1, 14)), "B": draw(st.integers(1, 3)), "h": draw(st.integers(0, 6)),
            "rho": draw(st.sampled_from((0.05, 0.3, 0.6, 0.9, 0.99))), "bias": draw(st.booleans()),
            "input_scale": draw(st.sampled_from((0.5, 1.0, 3.0))), "seed": draw(st.integers(0, 2**16)),
            "norm": norm}


def _contractive_net(c: dict[str, Any]) -> TopologyRNN:
    top = bidirectional_topology(c["input_size"], [c["width"]], c["h"], "tanh")
    net = TopologyRNN.random(top, bias=c["bias"], seed=c["seed"], scale=c["input_scale"])
    params = dict(net.params)
    U = params["weight_hh_l0_reverse"]
    size = np.linalg.norm(U, 2) if c["norm"] == "spectral-norm" else np.abs(np.linalg.eigvals(U)).max()
    params["weight_hh_l0_reverse"] = U * (c["rho"] / max(float(size), 1e-300))
    return TopologyRNN(top, params, c["bias"])


def _bound_excess(c: dict[str, Any]) -> float:
    """Largest ``error - bound`` over steps and sequences (≤ 0 where the bound holds).

    Away from the end (``t + h < T``) the sharp bound ``ρ^{h+1} ‖b_{t+h+1}‖₂``
    (``b`` the full backward state); near the end ``√n ρ^{T-t+1}``, or 0
    without biases. The uniform bound ``√n ρ^{min(h, T-t)+1}`` follows.
    """
    net = _contractive_net(c)
    x = np.random.default_rng(c["seed"] + 1).normal(size=(c["T"], c["B"], c["input_size"]))
    err = truncation_error(net, x, c["h"])
    n, T, h, rho = c["width"], c["T"], c["h"], c["rho"]
    full_b = net(x, backward="full")[:, :, n:]
    bound = truncation_bound(rho, n, h, T, exact_end=not c["bias"])[:, None] * np.ones(c["B"])
    far = T - 1 - np.arange(T) > h
    sharp = rho ** (h + 1) * np.linalg.norm(full_b[np.minimum(np.arange(T) + h + 1, T - 1)], axis=2)
    bound[far] = sharp[far]
    return float((err - bound).max())


CLAIMS.claim(
    "bidir-approx-bound",
    "For one bidirectional tanh layer whose backward weights satisfy ||U_b||_2 <= rho, the single delayed "
    "layer compiled with horizon h (no retraining) differs from the full bidirectional layer at 0-based time "
    "t = 0 ... T-1 by at most rho^(h+1) ||b_{t+h+1}||_2 <= sqrt(n) rho^(h+1) when t + h < T - 1, and by at "
    "most sqrt(n) rho^(T-t) near the end (0 without backward bias): so ||y~_t - y_t||_2 <= "
    "sqrt(n) rho^(min(h, T-1-t)+1) for all t.",
    SOURCE + " §6 (approximation)",
    "holds",
    "The forward half is exact. b_t and b~_t are the same h+1 cell applications to u_{t+h}, ..., u_t, started "
    "from b_{t+h+1} and from 0; each application is rho-Lipschitz in the state (tanh is 1-Lipschitz), so the "
    "start difference shrinks by rho^(h+1). Near the end the compiled layer starts from the state reached on "
    "the padding zeros, and the windows share T-t+1 applications. |tanh| < 1 gives ||b|| <= sqrt(n).",
)


@CLAIMS.method("bidir-approx-bound", "property-float64")
def _approx_bound(effort: Effort) -> MethodResult:
    return property_check("property-float64", _contractive_cases(), _bound_excess, 1e-12,
                          lambda c: dict(c), effort)


CLAIMS.claim(
    "bidir-approx-spectral-radius",
    "The truncation bound of bidir-approx-bound still holds when rho is the spectral radius of U_b (the "
    "largest |eigenvalue|) instead of its spectral norm.",
    SOURCE + " §6 (approximation)",
    "fails",
    "A non-normal U_b can have a small spectral radius but a large norm: ||U_b^k|| decays like the radius "
    "only eventually, and one step can amplify the start difference by ||U_b||_2 > radius. The norm (a "
    "Lipschitz constant of one step), not the eigenvalues, is what the bound needs.",
)


@CLAIMS.method("bidir-approx-spectral-radius", "property-float64")
def _approx_radius(effort: Effort) -> MethodResult:
    return property_check("property-float64", _contractive_cases("radius"), _bound_excess, 1e-12,
                          lambda c: dict(c), effort)


CLAIMS.claim(
    "bidir-approx-bound-stacked",
    "For two stacked bidirectional tanh layers (widths n1, n2) with the same horizon h, whose layer-1 backward "
    "and layer-2 forward and backward recurrent weights have ||U||_2 <= rho < 1 and whose layer-2 input "
    "weights have ||W||_2 <= omega, the single delayed layer compiled with horizon h differs from the full "
    "network at every 0-based t with t + 2h < T by at most rho^(h+1) sqrt(F^2 + (sqrt(n2) + F)^2), "
    "F = omega sqrt(n1) / (1 - rho) (the forward half's error F rho^(h+1) and the backward half's "
    "(sqrt(n2) + F) rho^(h+1) added in quadrature; below the old constant rho^(h+1) (sqrt(n2) + 2F), which "
    "added them). A witness reaches error/bound >= 0.9 (tightness).",
    SOURCE + " §6 (approximation, stacked)",
    "holds",
    "Layer 1's forward half is exact and its backward half is off by e1 <= sqrt(n1) rho^(h+1) wherever the "
    "window stays inside the sequence (bidir-approx-bound). One tanh step is rho-Lipschitz in the state and "
    "omega-Lipschitz in the input, so layer 2's forward direction accumulates at most "
    "sum_k rho^k omega e1 <= omega e1 / (1 - rho), and its backward direction at most sqrt(n2) rho^(h+1) "
    "(the start) plus the same omega e1 / (1 - rho) (the inputs). The output is the concatenation [f; b], "
    "so its Euclidean error is the root of the sum of the halves' squared errors. t + 2h < T keeps every "
    "window used away from the padding, with or without biases. The rate is still rho^(h+1); only the "
    "constant grows. The witness (one saturating input step, rho <= 0.05, omega = 3 sqrt(n2/n1)) makes each "
    "term nearly attained at once; with the halves added the same witness reaches only about 0.7.",
)

#: Recurrent matrices rescaled to norm rho in the stacked check (layer 1's forward one is left as drawn).
_STACKED_RECURRENT = ("weight_hh_l0_reverse", "weight_hh_l1", "weight_hh_l1_reverse")


def stacked_contractive_net(c: dict[str, Any]) -> TopologyRNN:
    """A two-layer bidirectional tanh network with the recurrent matrices of the stacked bound at norm ``rho``."""
    top = bidirectional_topology(c["input_size"], [c["n1"], c["n2"]], c["h"], "tanh")
    net = TopologyRNN.random(top, bias=c["bias"], seed=c["seed"], scale=c["input_scale"])
    params = dict(net.params)
    for name in _STACKED_RECURRENT:
        params[name] = params[name] * (c["rho"] / max(float(np.linalg.norm(params[name], 2)), 1e-300))
    return TopologyRNN(top, params, c["bias"])


def stacked_bound(net: TopologyRNN, rho: float, h: int) -> float:
    """``ρ^{h+1} √(F² + (√n2 + F)²)``, ``F = ω√n1 / (1 - ρ)``, for a two-layer bidirectional ``net``.

    ``ω`` is the larger spectral norm of layer 2's two input matrices. ``F ρ^{h+1}`` bounds the forward
    half's error and ``(√n2 + F) ρ^{h+1}`` the backward half's; the output concatenates the halves, so
    their squares add (docs/theory/bidirectional.md, two stacked layers).
    """
    n1, n2 = (layer.width for layer in net.topology.layers)
    omega = max(float(np.linalg.norm(net.params[k], 2)) for k in ("weight_ih_l1", "weight_ih_l1_reverse"))
    F = omega * np.sqrt(n1) / (1 - rho)
    return float(rho ** (h + 1) * np.sqrt(F**2 + (np.sqrt(n2) + F) ** 2))


def _stacked_excess(c: dict[str, Any]) -> float:
    """Largest ``error - bound`` over the steps with ``t + 2h < T`` (-1 when there are none)."""
    net = stacked_contractive_net(c)
    x = np.random.default_rng(c["seed"] + 1).normal(size=(c["T"], c["B"], c["input_size"]))
    inner = c["T"] - 2 * c["h"]
    if inner <= 0:
        return -1.0
    err = truncation_error(net, x, c["h"])[:inner]
    return float((err - stacked_bound(net, c["rho"], c["h"])).max())


def _stacked_cases() -> Any:
    return st.fixed_dictionaries({
        "input_size": st.integers(1, 3), "n1": st.integers(1, 3), "n2": st.integers(1, 3), "T": st.integers(1, 14),
        "B": st.integers(1, 3), "h": st.integers(0, 4), "rho": st.sampled_from((0.05, 0.3, 0.6, 0.9)),
        "bias": st.booleans(), "input_scale": st.sampled_from((0.5, 1.0, 3.0)), "seed": st.integers(0, 2**16)})


@CLAIMS.method("bidir-approx-bound-stacked", "property-float64")
def _approx_stacked(effort: Effort) -> MethodResult:
    return property_check("property-float64", _stacked_cases(), _stacked_excess, 1e-12, dict, effort)


#: Layer 2's input norm in the stacked witness is STACKED_SATURATION * sqrt(n2 / n1): enough to saturate it.
STACKED_SATURATION = 3.0


def stacked_witness_net(n1: int, n2: int, rho: float, horizon: int) -> tuple[TopologyRNN, np.ndarray]:
    """A near-worst case of ``bidir-approx-bound-stacked`` at ``t = 0``, and its input (one sequence).

    Layer 1 is the one-layer witness (:func:`witness_net`: its backward state saturated at ``t = h + 1``,
    the input ``-rho/2`` at ``t = h``, so its error at ``t = 0`` is ``≈ √n1 ρ^{h+1}``; its forward half is 0).
    Both of layer 2's input matrices are ``ω u vᵀ`` on layer 1's backward half (``u``, ``v`` the normalised
    all-ones vectors, so ``‖W‖₂ = ω``) with ``ω = STACKED_SATURATION √(n2/n1)``, and its recurrent matrices
    are ``ρ I``. Then layer 2's backward state at ``h + 1`` is saturated (``tanh 3`` per unit), so its own
    truncation costs ``≈ √n2 ρ^{h+1}``; at ``t = 0`` both halves read layer 1's error through ``ω`` near 0,
    where tanh has slope 1, and in the backward half it adds to the start term: error
    ``≈ ρ^{h+1} √((ω√n1)² + (√n2 + ω√n1)²)``. Layer 1's errors at ``t ≥ 1`` are 0 (its windows start after
    the saturating step, on zeros), so ``1/(1 - ρ)`` is the main slack: ``ρ ≤ 0.05`` keeps it below 5%.
    ``T = max(h + 2, 2h + 1)`` keeps ``t = 0`` inside the claim (``t + 2h < T``).
    """
    top = bidirectional_topology(1, [n1, n2], horizon, "tanh")
    params = {k: np.zeros(s) for k, s in top.param_shapes(False).items()}
    params["weight_ih_l0_reverse"] = np.ones((n1, 1))
    params["weight_hh_l0_reverse"] = rho * np.eye(n1)
    params["weight_hh_l1"] = rho * np.eye(n2)
    params["weight_hh_l1_reverse"] = rho * np.eye(n2)
    omega = STACKED_SATURATION * np.sqrt(n2 / n1)
    read = np.concatenate([np.zeros((n2, n1)), np.full((n2, n1), omega / np.sqrt(n1 * n2))], axis=1)
    params["weight_ih_l1"] = read
    params["weight_ih_l1_reverse"] = read.copy()
    x = np.zeros((max(horizon + 2, 2 * horizon + 1), 1, 1))
    x[horizon + 1] = 20.0
    x[horizon] = -rho / 2
    return TopologyRNN(top, params, False), x


def _stacked_witness_ratio(c: dict[str, Any]) -> float:
    net, x = stacked_witness_net(c["n1"], c["n2"], c["rho"], c["h"])
    return float(truncation_error(net, x, c["h"])[0, 0] / stacked_bound(net, c["rho"], c["h"]))


@CLAIMS.method("bidir-approx-bound-stacked", "tightness")
def _stacked_tight(effort: Effort) -> MethodResult:
    rhos = (0.01, 0.02, 0.05) if effort.thorough else (0.02, 0.05)
    cases = [{"n1": n1, "n2": n2, "rho": r, "h": h} for n1 in (1, 2, 3) for n2 in (1, 2, 3) for r in rhos
             for h in (0, 1, 2)]
    return _witness_result("tightness", effort, _stacked_witness_ratio, cases,
                           nontrivial=lambda c: c["n1"] > 1 or c["n2"] > 1)


# -------------------------------------------------------- L stacked layers, and the end of the sequence
CLAIMS.claim(
    "bidir-approx-bound-deep",
    "For L stacked bidirectional tanh layers (widths n_l, horizons h_l, H = h_1 + ... + h_L) with "
    "||U_b^1||_2 <= rho_1 < 1, and for l >= 2 ||U_f^l||_2, ||U_b^l||_2 <= rho_l < 1 and ||W_f^l||_2, "
    "||W_b^l||_2 <= omega_l, the single delayed layer compiled with those horizons differs from the full "
    "network, at every 0-based t with t + H <= T - 1, by at most E_L, where E_1 = sqrt(n_1) rho_1^(h_1+1) and "
    "E_l = sqrt(n_l) rho_l^(h_l+1) + kappa_l E_(l-1), kappa_l = 2 omega_l / (1 - rho_l); in closed form "
    "E_L = sum_l sqrt(n_l) rho_l^(h_l+1) prod_(m>l) kappa_m. (max error: the largest error / E_L.)",
    SOURCE + " §6 (approximation, L layers)",
    "holds",
    "Induction over layers. Layer 1's forward half is exact, its backward half is off by at most "
    "sqrt(n_1) rho_1^(h_1+1) (bidir-approx-bound). If layer l-1's output is off by at most E_(l-1) at all times "
    "s with s + H_(l-1) <= T - 1, one tanh step of layer l moves by at most omega_l E_(l-1) + rho_l times the "
    "state difference, so its forward direction stays within omega_l E_(l-1) / (1 - rho_l) and its backward "
    "direction within sqrt(n_l) rho_l^(h_l+1) (the start, ||b|| <= sqrt(n_l)) plus the same sum; add the "
    "halves. t + H_l <= T - 1 keeps every window read by layer l inside the sequence. L = 2 with equal "
    "constants is bidir-approx-bound-stacked.",
)


def deep_contractive_net(c: dict[str, Any]) -> TopologyRNN:
    """``L`` stacked bidirectional tanh layers whose recurrent matrices in the deep bound have norm ``rhos[l]``.

    ``c`` has ``input_size``, ``widths``, ``horizons``, ``rhos`` (one per layer), ``bias``, ``input_scale`` and
    ``seed``. Layer 1's backward matrix and both recurrent matrices of every higher layer are rescaled; layer
    1's forward matrix is left as drawn (its half is exact and needs no contraction).
    """
    top = bidirectional_topology(c["input_size"], list(c["widths"]), list(c["horizons"]), "tanh")
    net = TopologyRNN.random(top, bias=c["bias"], seed=c["seed"], scale=c["input_scale"])
    params = dict(net.params)
    for l, rho in enumerate(c["rhos"]):
        for name in [layer_param("weight_hh", l, True)] + ([layer_param("weight_hh", l)] if l else []):
            params[name] = params[name] * (rho / max(float(np.linalg.norm(params[name], 2)), 1e-300))
    return TopologyRNN(top, params, c["bias"])


def deep_constants(net: TopologyRNN) -> list[dict[str, float]]:
    """Per layer the measured constants of the deep bound: ``n``, ``h``, ``rho`` and ``omega`` (layer 1: 0).

    ``rho`` is ``‖U_b‖₂`` for layer 1 and ``max(‖U_f‖₂, ‖U_b‖₂)`` above it; ``omega`` is
    ``max(‖W_f‖₂, ‖W_b‖₂)`` of the layer's input matrices. Every layer must be bidirectional.
    """
    out = []
    for l, layer in enumerate(net.topology.layers):
        if layer.direction != "bidirectional":
            raise ValueError(f"the deep bound is for stacked bidirectional layers; layer {l + 1} is {layer.direction}")

        def norm(kind: str, rev: bool, l: int = l) -> float:
            return float(np.linalg.norm(np.asarray(net.params[layer_param(kind, l, rev)], dtype=np.float64), 2))

        rho = norm("weight_hh", True) if l == 0 else max(norm("weight_hh", True), norm("weight_hh", False))
        omega = 0.0 if l == 0 else max(norm("weight_ih", True), norm("weight_ih", False))
        out.append({"n": float(layer.width), "h": float(layer.horizon), "rho": rho, "omega": omega})
    return out


def deep_bound(net: TopologyRNN) -> float:
    """``E_L`` of claim ``bidir-approx-bound-deep`` from ``net``'s own norms (``inf`` if some ``rho_l >= 1``).

    ``E_1 = √n_1 ρ_1^{h_1+1}``, ``E_l = √n_l ρ_l^{h_l+1} + 2 ω_l E_{l-1} / (1 - ρ_l)``.
    """
    E = 0.0
    for l, k in enumerate(deep_constants(net)):
        if k["rho"] >= 1:
            return float("inf")
        E = np.sqrt(k["n"]) * k["rho"] ** (k["h"] + 1) + (2 * k["omega"] * E / (1 - k["rho"]) if l else 0.0)
    return float(E)


def _deep_x(c: dict[str, Any]) -> np.ndarray:
    return np.random.default_rng(c["seed"] + 1).normal(size=(c["T"], c["B"], c["input_size"]))


def _deep_ratio(c: dict[str, Any]) -> tuple[float, float]:
    """Largest error / E_L over the steps with ``t + H <= T - 1`` (0 when there are none), against 1."""
    net = deep_contractive_net(c)
    inner = c["T"] - sum(c["horizons"])
    if inner <= 0:
        return 0.0, 1.0
    err = truncation_error(net, _deep_x(c), list(c["horizons"]))[:inner]
    return float(err.max() / deep_bound(net)), 1.0 + 1e-12


@st.composite
def _deep_cases(draw: Any, max_layers: int = 4) -> dict[str, Any]:
    L = draw(st.integers(1, max_layers))
    return {"input_size": draw(st.integers(1, 3)), "widths": draw(st.lists(st.integers(1, 3), min_size=L,
                                                                           max_size=L)),
            "horizons": draw(st.lists(st.integers(0, 3), min_size=L, max_size=L)),
            "rhos": draw(st.lists(st.sampled_from((0.05, 0.3, 0.6, 0.9)), min_size=L, max_size=L)),
            "T": draw(st.integers(1, 20)), "B": draw(st.integers(1, 3)), "bias": draw(st.booleans()),
            "input_scale": draw(st.sampled_from((0.5, 1.0, 3.0))), "seed": draw(st.integers(0, 2**16))}


def _deep_informative(c: dict[str, Any]) -> bool:
    """A layer reads an inexact layer, at some time the bound covers."""
    return len(c["widths"]) >= 2 and c["T"] > sum(c["horizons"])


@CLAIMS.method("bidir-approx-bound-deep", "property-float64")
def _approx_deep(effort: Effort) -> MethodResult:
    return property_check("property-float64", _deep_cases(), _deep_ratio, None, dict, effort,
                          nontrivial=_deep_informative)


CLAIMS.claim(
    "bidir-approx-bound-deep-clipped",
    "With every backward window clipped at the sequence end and started, like the full backward pass, from "
    "the zero state after the last real step (TopologyRNN backward='clipped'), the bound E_L of "
    "bidir-approx-bound-deep holds at every time t = 0 ... T-1, near the end included. (max error: the "
    "largest error / E_L.)",
    SOURCE + " §6 (approximation, the end)",
    "holds",
    "Near the end (t + h_l >= T - 1) layer l's clipped and full backward passes run the same cell "
    "applications to the same times from the same zero state, so the start term vanishes and only the "
    "inputs' error omega_l E_(l-1) / (1 - rho_l) remains; elsewhere the proof of bidir-approx-bound-deep "
    "applies unchanged, and no window reads padding.",
)


def _clipped_error(c: dict[str, Any]) -> np.ndarray:
    """``‖y^{clipped}_t - y^{full}_t‖₂``, shape ``(T, B)``."""
    net = deep_contractive_net(c)
    x = _deep_x(c)
    return np.linalg.norm(net(x, backward="clipped") - net(x, backward="full"), axis=2)


@CLAIMS.method("bidir-approx-bound-deep-clipped", "property-float64")
def _approx_deep_clipped(effort: Effort) -> MethodResult:
    def ratio(c: dict[str, Any]) -> tuple[float, float]:
        return float(_clipped_error(c).max() / deep_bound(deep_contractive_net(c))), 1.0 + 1e-12

    return property_check("property-float64", _deep_cases(), ratio, None, dict, effort,
                          nontrivial=lambda c: len(c["widths"]) >= 2 and c["T"] >= 2)


CLAIMS.claim(
    "bidir-near-end-exact",
    "For L stacked bidirectional Elman layers (any activation, any biases) whose backward windows are clipped "
    "at the sequence end and start from the zero state after the last real step, as the full backward pass "
    "does: if h_l >= T - 1 for every layer below the top, the output at every 0-based t with t + h_L >= T - 1 "
    "equals the full network's exactly (zero tolerance). For one layer: exact whenever t + h >= T - 1.",
    SOURCE + " §6 (the end of the sequence)",
    "holds",
    "A layer with h >= T - 1 computes its full backward pass at every t: the clipped window t ... T - 1 is the "
    "whole remaining sequence, and both passes apply the same cell to the same inputs in the same order from "
    "the same state, so even the floating-point operations coincide. Its forward half is always exact. So "
    "every layer below the top outputs exactly the full values, and the top layer's backward window reaches "
    "the end at t + h_L >= T - 1.",
)


@st.composite
def _near_end_cases(draw: Any, lower: str = "long", activations: tuple[str, ...] = ELMAN_ACTIVATIONS,
                    ) -> dict[str, Any]:
    """Stacked bidirectional layers; lower horizons ``>= T - 1`` (``"long"``) or ``< T - 1`` (``"short"``)."""
    T = draw(st.integers(2 if lower == "short" else 1, 10))
    L = draw(st.integers(2 if lower == "short" else 1, 3))
    low = st.integers(T - 1, T + 1) if lower == "long" else st.integers(0, T - 2)
    return {"input_size": draw(st.integers(1, 3)), "widths": draw(st.lists(st.integers(1, 3), min_size=L,
                                                                           max_size=L)),
            "horizons": [*draw(st.lists(low, min_size=L - 1, max_size=L - 1)), draw(st.integers(0, 4))],
            "activation": draw(st.sampled_from(activations)), "bias": draw(st.booleans()), "T": T,
            "B": draw(st.integers(1, 3)), "seed": draw(st.integers(0, 2**16))}


def _near_end_error(c: dict[str, Any], exact: bool = False) -> float:
    """Largest ``|y^{clipped}_t - y^{full}_t|`` over the times with ``t + h_L >= T - 1``."""
    top = bidirectional_topology(c["input_size"], list(c["widths"]), list(c["horizons"]), c["activation"])
    rng = np.random.default_rng(c["seed"])
    T, hL = c["T"], c["horizons"][-1]
    if exact:
        frac = np.vectorize(lambda v: Fraction(int(v), 4), otypes=[object])
        net = TopologyRNN(top, {k: frac(rng.integers(-4, 5, size=s)) for k, s in top.param_shapes(c["bias"]).items()},
                          c["bias"])
        x = frac(rng.integers(-4, 5, size=(T, c["B"], c["input_size"])))
    else:
        net = TopologyRNN.random(top, bias=c["bias"], seed=c["seed"])
        x = rng.normal(size=(T, c["B"], c["input_size"]))
    first = max(0, T - 1 - hL)
    diff = (net(x, backward="clipped") - net(x, backward="full"))[first:]
    return float(max((abs(v) for v in diff.flat), default=0.0))


def _near_end_informative(c: dict[str, Any]) -> bool:
    """Some time is truncated (the top window is short) or a layer reads another."""
    return len(c["widths"]) >= 2 or c["horizons"][-1] < c["T"] - 1


@CLAIMS.method("bidir-near-end-exact", "property-float64")
def _near_end_float(effort: Effort) -> MethodResult:
    return property_check("property-float64", _near_end_cases(), _near_end_error, 0.0, dict, effort,
                          nontrivial=_near_end_informative)


@CLAIMS.method("bidir-near-end-exact", "exact")
def _near_end_exact(effort: Effort) -> MethodResult:
    return property_check("exact", _near_end_cases(activations=("identity", "relu")),
                          lambda c: _near_end_error(c, exact=True), 0.0, dict, effort,
                          examples=max(10, effort.examples // 3), nontrivial=_near_end_informative)


CLAIMS.claim(
    "bidir-near-end-exact-top-only",
    "For stacked bidirectional Elman layers with clipped backward windows, the output at 0-based t with "
    "t + h_L >= T - 1 equals the full network's whenever the top layer's window reaches the end, whatever "
    "the horizons of the layers below.",
    SOURCE + " §6 (the end of the sequence)",
    "fails",
    "A lower layer with h < T - 1 is truncated at its early times, and the top layer reads those times: its "
    "forward direction at every t, its backward window at the times it covers. So the top layer's exact start "
    "does not make the output exact; the lower horizons must reach the end too (bidir-near-end-exact).",
)


@CLAIMS.method("bidir-near-end-exact-top-only", "property-float64")
def _near_end_top_only(effort: Effort) -> MethodResult:
    return property_check("property-float64", _near_end_cases("short", ("tanh", "identity")), _near_end_error,
                          TOLERANCE, dict, effort)


# ------------------------------------------------------------ bounds from the other side
# A bound checked only as error <= bound passes when it is made looser (an exponent one short) or the error
# smaller (a max-norm instead of the Euclidean norm). Each bound claim therefore also has a tightness
# witness, a known near-worst case whose error/bound must reach WITNESS_RATIO, and a check of its error
# measure against an independent computation of the norm.

#: Smallest error / bound a tightness witness must reach (the one-layer witness gives 2 tanh(rho/2) / rho).
WITNESS_RATIO = 0.9


def witness_net(width: int, rho: float, horizon: int, layers: int = 1) -> tuple[TopologyRNN, np.ndarray]:
    """The near-worst case of the one-layer bound, and its input (``T = h + 2``, one sequence).

    Every backward unit reads the scalar input with weight 1 and has ``U_b = rho I`` (so ``‖U_b‖₂ = rho``),
    no bias. The input saturates the full backward state at ``t = h + 1`` (``b ≈ 1``), puts ``-rho/2`` at
    ``t = h`` and zeros before: the full and the truncated backward passes at ``t = 0`` then run the same
    ``h + 1`` steps from states ``≈ 1`` and ``0``, symmetric about 0 where tanh has slope 1, and differ by
    ``≈ √n rho^(h+1) · 2 tanh(rho/2) / rho`` in the Euclidean norm over the units. ``layers > 1`` stacks
    copies above with zero input weights, which add no error (``omega = 0``).
    """
    top = bidirectional_topology(1, [width] * layers, horizon, "tanh")
    shapes = top.param_shapes(False)
    params = {k: np.zeros(s) for k, s in shapes.items()}
    params["weight_ih_l0_reverse"] = np.ones((width, 1))
    for l in range(layers):
        params[layer_param("weight_hh", l, True)] = rho * np.eye(width)
    T = horizon + 2
    x = np.zeros((T, 1, 1))
    x[horizon + 1] = 20.0
    x[horizon] = -rho / 2
    return TopologyRNN(top, params, False), x


def _witnesses(effort: Effort) -> list[dict[str, Any]]:
    rhos = (0.05, 0.1, 0.2, 0.3) if effort.thorough else (0.05, 0.2)
    return [{"width": n, "rho": r, "h": h} for n in (1, 2, 3) for r in rhos for h in (0, 1, 2)]


def _witness_result(name: str, effort: Effort, ratio: Any, cases: list[dict[str, Any]] | None = None,
                    nontrivial: Any = lambda c: c["width"] > 1) -> MethodResult:
    """Every witness must have ``|1 - error/bound| <= 1 - WITNESS_RATIO``; ``max error`` is the largest gap.

    ``cases`` defaults to the one-layer witnesses of :func:`_witnesses`.
    """
    worst, cex = 0.0, None
    cases = _witnesses(effort) if cases is None else cases
    for c in cases:
        r = float(ratio(c))
        gap = abs(1.0 - r)
        worst = max(worst, gap)
        if not gap <= 1 - WITNESS_RATIO and cex is None:
            cex = dict(c, ratio=r, wanted=f"error/bound in [{WITNESS_RATIO}, {2 - WITNESS_RATIO}]")
    return MethodResult(name, len(cases), worst, counterexample=cex, nontrivial=sum(map(nontrivial, cases)))


def euclidean_error(net: TopologyRNN, x: np.ndarray, horizon: int | list[int]) -> np.ndarray:
    """``‖y~_t - y_t‖₂`` computed without :func:`truncation_error`: the layer-by-layer truncated network
    (:meth:`TopologyRNN.layer_outputs`, no compiled layer) against the full one, squares summed by hand."""
    T = x.shape[0]
    top = net.topology
    hs = [horizon] * len(top.layers) if isinstance(horizon, int) else list(horizon)
    truncated = TopologyRNN(type(top)(top.input_size, tuple(
        type(la)(la.width, la.reads, la.direction, h, la.activation) for la, h in zip(top.layers, hs)),
        top.readout, top.name), net.params, net.bias)
    d = truncated(x, backward="truncated")[:T] - net(x, backward="full")
    return np.sqrt(np.sum(d * d, axis=2))


def _norm_method(claim_id: str, cases: Any, build: Any, nontrivial: Any) -> None:
    @CLAIMS.method(claim_id, "norm")
    def check(effort: Effort) -> MethodResult:
        def err(c: dict[str, Any]) -> float:
            net, x, h = build(c)
            ref = euclidean_error(net, x, h)
            return float(np.abs(truncation_error(net, x, h) - ref).max() / max(1e-300, float(ref.max(initial=1.0))))

        return property_check("norm", cases, err, 1e-9, dict, effort, examples=max(10, effort.examples // 3),
                              nontrivial=nontrivial)


def _one_layer_ratio(c: dict[str, Any]) -> float:
    net, x = witness_net(c["width"], c["rho"], c["h"])
    return float(truncation_error(net, x, c["h"])[0, 0] / truncation_bound(c["rho"], c["width"], c["h"], x.shape[0])[0])


@CLAIMS.method("bidir-approx-bound", "tightness")
def _approx_tight(effort: Effort) -> MethodResult:
    return _witness_result("tightness", effort, _one_layer_ratio)


def _deep_witness_ratio(c: dict[str, Any], layers: int, clipped: bool = False) -> float:
    net, x = witness_net(c["width"], c["rho"], c["h"], layers)
    if clipped:
        d = net(x, backward="clipped") - net(x, backward="full")
        err = float(np.sqrt(np.sum(d[0] * d[0])))
    else:
        err = float(truncation_error(net, x, [c["h"]] * layers)[0, 0])
    return err / deep_bound(net)


@CLAIMS.method("bidir-approx-bound-deep", "tightness")
def _deep_tight(effort: Effort) -> MethodResult:
    # L = 1 is inside the claim (E_1 = sqrt(n_1) rho_1^(h_1+1)); the layers above it can only add slack
    return _witness_result("tightness", effort, lambda c: _deep_witness_ratio(c, 1))


@CLAIMS.method("bidir-approx-bound-deep-clipped", "tightness")
def _deep_clipped_tight(effort: Effort) -> MethodResult:
    return _witness_result("tightness", effort, lambda c: _deep_witness_ratio(c, 1, clipped=True))


def _one_layer_build(c: dict[str, Any]) -> tuple[TopologyRNN, np.ndarray, int]:
    net = _contractive_net(c)
    return net, np.random.default_rng(c["seed"] + 1).normal(size=(c["T"], c["B"], c["input_size"])), c["h"]


def _stacked_build(c: dict[str, Any]) -> tuple[TopologyRNN, np.ndarray, int]:
    net = stacked_contractive_net(c)
    return net, np.random.default_rng(c["seed"] + 1).normal(size=(c["T"], c["B"], c["input_size"])), c["h"]


def _deep_build(c: dict[str, Any]) -> tuple[TopologyRNN, np.ndarray, list[int]]:
    return deep_contractive_net(c), _deep_x(c), list(c["horizons"])


# Informative: a truncated step exists (the output always has >= 2 units, forward and backward halves, so the
# Euclidean and the max norm differ whenever the error is not 0).
_norm_method("bidir-approx-bound", _contractive_cases(), _one_layer_build, lambda c: c["T"] > 1)
_norm_method("bidir-approx-bound-stacked", _stacked_cases(), _stacked_build, lambda c: c["T"] > 1)
_norm_method("bidir-approx-bound-deep", _deep_cases(), _deep_build, _deep_informative)


__all__ = [
    "CLAIMS",
    "STACKED_SATURATION",
    "WITNESS_RATIO",
    "deep_bound",
    "deep_constants",
    "deep_contractive_net",
    "euclidean_error",
    "stacked_bound",
    "stacked_contractive_net",
    "stacked_witness_net",
    "witness_net",
]
