"""Reference networks for :class:`theory.topology.Topology`, and the compiled delayed layer's weights.

:class:`TopologyRNN` runs a topology the obvious way, layer by layer, from
zero states (docs/theory/bidirectional.md). A backward direction is either
truncated to its horizon ``h`` (``b̃_t`` = the backward cell run over
``u_{t+h}, …, u_t`` from the zero state, on the input padded with zeros) or
run in full over the real sequence (``b_{T+1} = 0``), as a bidirectional RNN.

:func:`assemble_compiled` fills the single layer of a
:class:`theory.topology.Compiled` plan from the reference parameters and
:func:`compiled_delayed` wraps it as a :class:`DelayedRNN`.
:func:`run_plan_exact` runs a plan on object arrays (``fractions.Fraction``)
for the identity and relu activations, so equality can be checked without
rounding.

Approximation of the full bidirectional network: :func:`streaming` compiles
a network at any horizon without retraining, :func:`truncation_error`
measures how far its outputs are from the full backward pass, and
:func:`truncation_bound` is the bound ``√n ρ^{min(h, T-t)+1}`` of a
contractive tanh backward cell (``ρ = ‖U_b‖₂ < 1``,
:func:`backward_contraction`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from numerics._validate import as_float_array, as_sequence, check_choice, check_dtype, check_seed, check_time_major
from numerics.engine.params import LayerParams
from numerics.models.construction import fill_placements
from numerics.models.delayed import DelayedRNN
from theory._checks import check_allocation, check_count, check_real, check_type
from theory.layout import Plan, layer_param
from theory.topology import IDENTITY, Compiled, Topology, compile_topology, with_horizon

#: How a backward direction is run by :meth:`TopologyRNN.forward`.
BACKWARD_MODES: tuple[str, ...] = ("truncated", "clipped", "full")


def _act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.where(z > 0, z, z * 0)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    return z


@dataclass(frozen=True)
class TopologyRNN:
    """A topology with its reference parameters, run layer by layer.

    Attributes
    ----------
    topology : Topology
    params : dict of str to ndarray
        Names and shapes of :meth:`theory.topology.Topology.param_shapes`
        (float arrays, or object arrays of ``Fraction`` for exact runs).
    bias : bool
    """

    topology: Topology
    params: Mapping[str, np.ndarray]
    bias: bool = True

    def __post_init__(self) -> None:
        check_type(self.topology, Topology, "topology", "a theory.topology.Topology")
        check_type(self.params, Mapping, "params", "a mapping of parameter names to arrays")
        check_type(self.bias, bool, "bias")
        shapes = self.topology.param_shapes(self.bias)
        if set(self.params) != set(shapes):
            raise ValueError(f"params must have exactly the keys {sorted(shapes)}; got {sorted(self.params)}")
        for k, s in shapes.items():
            if np.shape(self.params[k]) != s:
                raise ValueError(f"params[{k!r}] must have shape {s}; got {np.shape(self.params[k])}")

    @classmethod
    def random(cls, topology: Topology, *, bias: bool = True, seed: int | np.random.Generator | None = 0,
               scale: float = 1.0, dtype: Any = np.float64) -> TopologyRNN:
        """Random parameters ``U(-scale/sqrt(n), scale/sqrt(n))`` for every reference matrix."""
        check_type(topology, Topology, "topology", "a theory.topology.Topology")
        check_type(bias, bool, "bias")
        rng = np.random.default_rng(check_seed(seed))
        dt = check_dtype(dtype)
        scale = check_real(scale, "scale", positive=True)
        params = {k: rng.uniform(-scale / np.sqrt(s[0]), scale / np.sqrt(s[0]), size=s).astype(dt)
                  for k, s in topology.param_shapes(bias).items()}
        return cls(topology, params, bias)

    def _cell(self, l: int, rev: bool, u: np.ndarray, h: np.ndarray) -> np.ndarray:
        p = self.params
        z = u @ p[layer_param("weight_ih", l - 1, rev)].T + h @ p[layer_param("weight_hh", l - 1, rev)].T
        if self.bias:
            z = z + p[layer_param("bias_ih", l - 1, rev)] + p[layer_param("bias_hh", l - 1, rev)]
        return _act(self.topology.layers[l - 1].activation, z)

    def layer_outputs(self, x: np.ndarray, backward: str = "truncated") -> list[np.ndarray]:
        """Every layer's output, ``[x, h^1, …, h^L]``, each of shape ``(T', B, width)``.

        With ``backward="truncated"`` the input is first padded with
        ``Σ_l h_l`` zero steps (``T' = T + Σ h_l``), enough for every output
        at ``t ≤ T`` to see its whole horizon; ``"clipped"`` cuts each window
        at the last real step instead (no padding) and ``"full"`` runs the
        whole backward pass; both have ``T' = T``.
        """
        check_choice(backward, BACKWARD_MODES, "backward")
        top = self.topology
        if not (isinstance(x, np.ndarray) and x.dtype == object):  # object arrays: exact Fraction runs
            x = as_sequence(x, top.input_size, np.result_type(*self.params.values()))
        elif x.ndim != 3 or x.shape[2] != top.input_size:
            raise ValueError(f"x must have shape (T, B, {top.input_size}); got {x.shape}")
        pad = sum(layer.horizon for layer in top.layers) if backward == "truncated" else 0
        x = np.concatenate([x, np.zeros((pad, *x.shape[1:]), dtype=x.dtype)], axis=0)
        Tp, B = x.shape[:2]
        outs = [x]
        for l, layer in enumerate(top.layers, start=1):
            u = np.concatenate([outs[k] for k in layer.reads], axis=2)
            zero = np.zeros((B, layer.width), dtype=x.dtype)
            parts = []
            if layer.has_forward:
                h, hs = zero, []
                for t in range(Tp):
                    h = self._cell(l, False, u[t], h)
                    hs.append(h)
                parts.append(np.stack(hs) if hs else np.zeros((0, B, layer.width), x.dtype))
            if layer.has_backward:
                bs = []
                for t in range(Tp):
                    if backward == "full":
                        continue
                    b = zero
                    for s in range(min(t + layer.horizon, Tp - 1), t - 1, -1):
                        b = self._cell(l, True, u[s], b)
                    bs.append(b)
                if backward == "full":
                    b, bs = zero, [zero] * Tp
                    for t in range(Tp - 1, -1, -1):
                        b = self._cell(l, True, u[t], b)
                        bs[t] = b
                parts.append(np.stack(bs) if bs else np.zeros((0, B, layer.width), x.dtype))
            outs.append(np.concatenate(parts, axis=2))
        return outs

    def forward(self, x: Any, backward: str = "truncated") -> np.ndarray:
        """Outputs of the read-out layers, concatenated, aligned with the input.

        Parameters
        ----------
        x : array, shape (T, B, input_size)
            Float, or an object array of ``Fraction`` (identity/relu only).
        backward : {"truncated", "clipped", "full"}
            Horizon-``h`` truncation on the zero-padded input (what the
            compiled layer computes), the same with windows clipped at the
            sequence end, or the full backward pass of a bidirectional RNN
            (horizons ignored).

        Returns
        -------
        ndarray, shape (T, B, output_size)
        """
        if isinstance(x, np.ndarray) and x.dtype == object:
            x = check_time_major(x, self.topology.input_size)
        else:
            x = as_sequence(x, self.topology.input_size, np.result_type(*self.params.values()))
        T = x.shape[0]
        outs = self.layer_outputs(x, backward)
        return np.concatenate([outs[r][:T] for r in self.topology.readout], axis=2)

    __call__ = forward


def assemble_compiled(compiled: Compiled, params: Mapping[str, np.ndarray], dtype: Any = None) -> LayerParams:
    """The single layer's ``weight_ih (N, n_0)``, ``weight_hh (N, N)`` and biases ``(N,)`` from reference parameters.

    Delay lines get identity blocks; entries no placement covers are zero.
    ``dtype=object`` keeps ``Fraction`` entries exact.
    """
    plan = compiled.plan
    dt = np.dtype(dtype) if dtype is not None else np.result_type(*params.values())
    N = plan.hidden_size
    check_allocation(N * N, dt.itemsize, "compiled (the single layer's N × N recurrent matrix)")
    return fill_placements(plan, compiled.placements, params, dt, identity=IDENTITY)


def compiled_delayed(net: TopologyRNN) -> tuple[Compiled, DelayedRNN]:
    """Compile ``net.topology`` and fill the delayed layer with ``net``'s parameters (masked to the plan)."""
    check_type(net, TopologyRNN, "net", "a numerics.models.topology.TopologyRNN")
    compiled = compile_topology(net.topology, bias=net.bias)
    params = assemble_compiled(compiled, {k: as_float_array(v, k) for k, v in net.params.items()})
    return compiled, DelayedRNN(compiled.plan, params, masked=True)


def run_plan_exact(plan: Plan, params: LayerParams, x: np.ndarray) -> np.ndarray:
    """Run a delayed Elman plan step by step on any dtype (``Fraction`` objects included).

    A plain loop with per-block activations and holds, independent of
    :mod:`numerics.engine`: ``s_τ = φ(W x_τ + U s_{τ-1} + b)`` from
    ``s_0 = 0`` on the input padded with ``d`` zero steps, block ``l`` kept
    at 0 for its first ``hold_l`` steps.

    Parameters
    ----------
    plan : Plan
        An Elman plan with identity and relu activations only if ``x`` is an object array.
    params : LayerParams
    x : ndarray, shape (T, B, input_size)

    Returns
    -------
    ndarray, shape (T, B, output_size)
        The read-out units of steps ``d … d + T - 1``.
    """
    if plan.cell != "elman":
        raise ValueError(f"run_plan_exact runs Elman plans only; got cell={plan.cell!r}")
    T, B, _ = x.shape
    xp = np.concatenate([x, np.zeros((plan.delay, B, plan.input_size), dtype=x.dtype)], axis=0)
    s = np.zeros((B, plan.hidden_size), dtype=x.dtype)
    out = []
    for tau in range(1, T + plan.delay + 1):
        z = xp[tau - 1] @ params.weight_ih.T + s @ params.weight_hh.T
        if params.bias:
            z = z + params.bias_ih + params.bias_hh
        new = s.copy()
        for i, b in enumerate(plan.blocks):
            if tau > b.hold:
                r0, r1 = plan.span(i)
                new[:, r0:r1] = _act(str(b.activation), z[:, r0:r1])
        s = new
        out.append(s)
    states = np.stack(out) if out else np.zeros((0, B, plan.hidden_size), x.dtype)
    return states[plan.delay:][:, :, plan.readout_units()]


# ------------------------------------------------------------------ approximation of the full network
def backward_contraction(net: TopologyRNN) -> dict[int, float]:
    """``ρ_l = ‖U_b‖₂`` (largest singular value of ``weight_hh_l{l-1}_reverse``) of every backward layer ``l``.

    For a tanh cell this is a Lipschitz constant of ``s ↦ tanh(W u + U_b s + b)``
    in the state, for every input ``u`` (tanh is 1-Lipschitz elementwise).
    """
    net = check_type(net, TopologyRNN, "net")
    out = {}
    for l, layer in enumerate(net.topology.layers, start=1):
        if layer.has_backward:
            U = np.asarray(net.params[layer_param("weight_hh", l - 1, True)], dtype=np.float64)
            out[l] = float(np.linalg.norm(U, 2))
    return out


def streaming(net: TopologyRNN, horizon: int | list[int]) -> tuple[Compiled, DelayedRNN]:
    """The single delayed layer computing ``net`` with its backward directions truncated to ``horizon``.

    No retraining: the same parameters, compiled for the new horizon(s)
    (:func:`theory.topology.with_horizon`). Delay ``Σ 2 h_l + (L - 1)`` for a
    stack of bidirectional layers.
    """
    net = check_type(net, TopologyRNN, "net")
    return compiled_delayed(TopologyRNN(with_horizon(net.topology, horizon), net.params, net.bias))


def truncation_error(net: TopologyRNN, x: Any, horizon: int | list[int]) -> np.ndarray:
    """``‖y^{stream}_t - y^{full}_t‖₂`` per time step and sequence.

    Parameters
    ----------
    net : TopologyRNN
        Float parameters.
    x : array, shape (T, B, input_size)
    horizon : int or list of int

    Returns
    -------
    ndarray, shape (T, B)
        Euclidean norm over the output units of the difference between the
        compiled horizon-``h`` network and ``net(x, backward="full")``.
    """
    net = check_type(net, TopologyRNN, "net")
    x = as_sequence(x, net.topology.input_size, np.result_type(*net.params.values()))
    _, delayed = streaming(net, horizon)
    return np.linalg.norm(delayed(x) - net(x, backward="full"), axis=2)


def truncation_bound(rho: float, width: int, horizon: int, steps: int, *, exact_end: bool = False) -> np.ndarray:
    """The bound on :func:`truncation_error` for one bidirectional (or backward) tanh layer.

    ``‖b̃_t - b_t‖₂ ≤ √n ρ^{min(h, T-t)+1}`` (``t = 1 … T``), where
    ``ρ ≥ ‖U_b‖₂`` and ``√n ≥ sup‖b‖₂`` because ``|tanh| < 1``
    (docs/theory/bidirectional.md). Away from the end (``t + h < T``) this is
    ``√n ρ^{h+1}``; near the end the compiled layer feeds padding zeros
    through the cell, which with biases costs ``√n ρ^{T-t+1}``. With
    ``exact_end=True`` (no backward bias, ``φ(0) = 0``) the error is 0 there.

    Parameters
    ----------
    rho : float
        ``‖U_b‖₂``, in ``[0, 1)`` for the bound to decay.
    width : int
        Backward width ``n``.
    horizon : int
        ``h``, the look-ahead of the truncated backward pass; any ``h >= T`` is exact.
    steps : int
        ``T``.
    exact_end : bool
        Whether the layer has no backward bias and ``φ(0) = 0``.

    Returns
    -------
    ndarray, shape (T,)
    """
    rho = check_real(rho, "rho", nonnegative=True)
    width = check_count(width, "width")
    horizon = check_count(horizon, "horizon", minimum=0)
    steps = check_count(steps, "steps", minimum=0)
    check_allocation(steps, 8, "steps")
    left = steps - 1 - np.arange(steps)  # T - t for t = 1 … T
    # Past the sequence a longer horizon changes nothing, and clipping keeps a huge int out of int64.
    horizon = min(horizon, steps)
    bound = np.sqrt(width) * float(rho) ** (np.minimum(horizon, left) + 1)
    return np.where(left <= horizon, 0.0, bound) if exact_end else bound


__all__ = [
    "BACKWARD_MODES",
    "TopologyRNN",
    "assemble_compiled",
    "backward_contraction",
    "compiled_delayed",
    "run_plan_exact",
    "streaming",
    "truncation_bound",
    "truncation_error",
]
