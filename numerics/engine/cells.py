"""The three cells, pointwise: gate layout, forward from pre-activations, local derivatives, backward.

Every schedule (:mod:`numerics.engine.registry`) multiplies matrices in its
own order and layout; what happens to a step's pre-activations after the
products, and to its gradients before the next products, is the cell's and is
written once, here. Nothing in this module multiplies two matrices.

Conventions: units are the last axis, any number of leading axes (steps,
blocks, batch) is allowed, and functions write into the arrays they are given
so a loop over time allocates nothing. The sigmoid gates' pre-activations
arrive halved (:func:`gate_scale`), so one ``tanh`` over a step's whole gate
buffer computes every gate (:mod:`numerics.engine.activations`).

Elman  ``h_t = φ(a)``.

LSTM   gates ``[i; f; g; o]`` (PyTorch's order), ``c_t = σ(f) c_{t-1} + σ(i) tanh(g)``,
       ``h_t = σ(o) tanh(c_t)``.

GRU    gates ``[r; z; n]``, ``n = tanh(a_n^x + C h + r (D h + b_hn))``,
       ``h_t = (1 - z) n + z h_{t-1}``; ``D + C = W_hn`` and ``C = 0`` for
       PyTorch's cell (the own-reset cell reads other blocks outside the gate).

Holds (a held unit keeps its state) is not a cell's business:
the schedules zero a held unit's gradients around these functions.

Each cell is a :class:`Cell` object in :data:`CELLS`: its structure (gate
count, whether it carries a second state, whether a reset gate keeps the last
gate's input and hidden sides apart), its pointwise steps in the two layouts
the schedules use (the dense unit layout and the wavefront's padded block
layout) and what the cost model (:mod:`numerics.engine.cost`) knows of it.
The schedules ask the cell object and name no cell. Adding a cell means a new
section and :class:`Cell` here, its row in :data:`theory.layout.GATES` (and
the symbolic side in :mod:`theory`), and the oracle
(:mod:`numerics.verify.stepwise`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from numerics.engine.activations import (
    ActGroup,
    activate_,
    activation_grad,
    derivative_from_output,
    sigmoid_from_half_,
)
from theory.layout import GATES


def gate_scale(cell: str, dtype: np.dtype) -> np.ndarray:
    """Per-gate factor, shape ``(G,)``: 0.5 for the sigmoid gates of ``cell``, 1 elsewhere."""
    scale = np.ones(GATES[cell], dtype=dtype)
    scale[list(CELLS[cell].sigmoid_gates)] = 0.5
    return scale


def _split(a: np.ndarray, k: int) -> np.ndarray:
    """``a (..., k·H)`` as a ``(..., k, H)`` view; raises rather than silently copying (outputs must be views)."""
    # reshape, then refuse a copy (setting .shape, which raised itself, is deprecated from NumPy 2.5 on)
    v = a.reshape(*a.shape[:-1], k, a.shape[-1] // k)
    if a.size and not np.may_share_memory(v, a):  # an empty array has no memory to share
        raise ValueError(f"an array of shape {a.shape} and strides {a.strides} cannot be split into {k} gate "
                         "groups without a copy")
    return v


# ------------------------------------------------------------------ Elman


def elman_forward(a: np.ndarray, groups: tuple[ActGroup, ...]) -> np.ndarray:
    """In place ``h = φ(a)`` for every activation group (units ``start:stop`` use ``name``)."""
    return activate_(a, groups)


def elman_forward_into(name: str, a: np.ndarray, out: np.ndarray) -> None:
    """``out = φ(a)`` for one activation ``name``, straight into ``out`` (``a`` may be overwritten)."""
    if name == "tanh":
        np.tanh(a, out=out)
    elif name == "relu":
        np.maximum(a, 0, out=out)
    else:
        out[...] = a
        activate_(out, (ActGroup(name, 0, out.shape[-1]),))


def elman_local(h: np.ndarray, groups: tuple[ActGroup, ...], out: np.ndarray | None = None) -> np.ndarray:
    """``φ'(a)`` from the outputs ``h = φ(a)`` (every group), into ``out`` if given."""
    return activation_grad(h, groups, out)


def elman_local_one(name: str, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``φ'(a)`` from ``h = φ(a)`` for one activation ``name``."""
    if name == "tanh" and out is not None:
        np.multiply(h, h, out=out)          # in place: no temporaries of a whole pass
        return np.subtract(1, out, out=out)
    r = derivative_from_output(name, h)
    if out is None:
        return r
    out[...] = r
    return out


def elman_backward(dh: np.ndarray, dphi: np.ndarray, da: np.ndarray) -> None:
    """``da = dh φ'(a)``: the pre-activation gradient of one step."""
    np.multiply(dh, dphi, out=da)


# ------------------------------------------------------------------- LSTM

_FINISH: dict[tuple[int, np.dtype], tuple[np.ndarray, np.ndarray]] = {}


def _lstm_finish(H: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Per-column scale and shift, shape ``(4H,)``, that turn ``tanh`` of the halved gates into the gates.

    0.5 and 0.5 on the sigmoid gates i, f, o; 1 and 0 on g. Kept per width
    and dtype (a handful of entries) so a step builds nothing.
    """
    key = (H, np.dtype(dtype))
    if key not in _FINISH:
        scale = np.full(4 * H, 0.5, dtype=dtype)
        scale[2 * H : 3 * H] = 1
        shift = np.full(4 * H, 0.5, dtype=dtype)
        shift[2 * H : 3 * H] = 0
        scale.flags.writeable = shift.flags.writeable = False
        _FINISH[key] = (scale, shift)
    return _FINISH[key]


def lstm_pointwise(gates: np.ndarray, c_prev: np.ndarray, c: np.ndarray, tc: np.ndarray, h: np.ndarray) -> None:
    """The elementwise half of an LSTM step (any number of leading axes).

    ``gates (..., 4H)`` holds the pre-activations (sigmoid gates halved) on
    entry and ``σ(i), σ(f), tanh(g), σ(o)`` on exit; ``c``, ``tc``, ``h``
    ``(..., H)`` receive ``c_t``, ``tanh(c_t)``, ``h_t``. Eight NumPy calls,
    no temporaries: at small widths the calls, not the arithmetic, are the cost.
    """
    H = h.shape[-1]
    np.tanh(gates, out=gates)                    # tanh(a_g) and tanh(a/2) for the sigmoid gates
    # σ = (1 + tanh(a/2)) / 2 on i, f, o and tanh(g) unchanged (·1 + 0 is exact), in two calls over all gates.
    scale, shift = _lstm_finish(H, gates.dtype)
    gates *= scale
    gates += shift
    i, f, g, o = gates[..., :H], gates[..., H : 2 * H], gates[..., 2 * H : 3 * H], gates[..., 3 * H :]
    np.multiply(f, c_prev, out=c)
    np.multiply(i, g, out=tc)                    # tc as scratch for σ(i)·tanh(g)
    c += tc
    np.tanh(c, out=tc)
    np.multiply(o, tc, out=h)


def lstm_local(gates4: np.ndarray, c_prev: np.ndarray, tc: np.ndarray, local4: np.ndarray,
               dh_dc: np.ndarray, scratch4: np.ndarray | None = None) -> np.ndarray:
    """The local derivatives of LSTM steps (any leading axes), for :func:`lstm_backward`.

    Parameters
    ----------
    gates4 : ndarray, shape (..., 4, H)
        The gates ``σ(i), σ(f), tanh(g), σ(o)`` (a view of any layout).
    c_prev, tc : ndarray, shape (..., H)
        ``c_{t-1}`` and ``tanh(c_t)``.
    local4 : ndarray, shape (..., 4, H)
        Receives ``tanh(g) σ'(i)``, ``c_{t-1} σ'(f)``, ``σ(i) tanh'(g)``, ``tanh(c_t) σ'(o)``.
    dh_dc : ndarray, shape (..., H)
        Receives ``∂h_t/∂c_t = σ(o) (1 - tanh²(c_t))``.
    scratch4 : ndarray, shape (..., 4, H), optional
        Room for the gates' own derivatives (a new array if omitted).

    Returns
    -------
    dh_dc : ndarray

    The factors are four strided copies times one product over the whole
    array: cheaper than four strided products, since every sweep over a gate
    slice pays per run of ``H`` numbers.
    """
    sd = np.empty(local4.shape, local4.dtype) if scratch4 is None else scratch4
    np.subtract(1, gates4, out=sd)
    sd *= gates4                                          # σ(1 - σ) of every gate, one sweep
    sg = sd[..., 2, :]
    np.multiply(gates4[..., 2, :], gates4[..., 2, :], out=sg)   # the candidate's factor is 1 - g² instead
    np.subtract(1, sg, out=sg)
    np.multiply(tc, tc, out=dh_dc)
    np.subtract(1, dh_dc, out=dh_dc)
    dh_dc *= gates4[..., 3, :]
    local4[..., 0, :] = gates4[..., 2, :]
    local4[..., 1, :] = c_prev
    local4[..., 2, :] = gates4[..., 0, :]
    local4[..., 3, :] = tc
    local4 *= sd
    return dh_dc


def lstm_backward(dh: np.ndarray, dc: np.ndarray, dh_dc: np.ndarray, local4: np.ndarray, f: np.ndarray,
                  da4: np.ndarray, tmp: np.ndarray | None = None) -> None:
    """The elementwise half of an LSTM step's backward; ``dc`` becomes the gradient of ``c_{t-1}``.

    Parameters
    ----------
    dh : ndarray, shape (..., H)
        Gradient arriving at ``h_t``.
    dc : ndarray, shape (..., H)
        Gradient arriving at ``c_t`` from step ``t + 1``; overwritten with ``c_{t-1}``'s.
    dh_dc : ndarray, shape (..., H)
        From :func:`lstm_local`.
    local4 : ndarray, shape (..., 4, H)
        From :func:`lstm_local`.
    f : ndarray, shape (..., H)
        ``σ(a_f)``.
    da4 : ndarray, shape (..., 4, H)
        Receives the gradients of the gate pre-activations.
    tmp : ndarray, shape (..., H), optional
        Scratch (a temporary if omitted).
    """
    if tmp is None:
        dc += dh * dh_dc                                  # total gradient of c_t: direct + through h_t
    else:
        np.multiply(dh, dh_dc, out=tmp)
        dc += tmp
    np.multiply(local4[..., :3, :], dc[..., None, :], out=da4[..., :3, :])
    np.multiply(local4[..., 3, :], dh, out=da4[..., 3, :])
    dc *= f


# -------------------------------------------------------------------- GRU


def gru_pointwise(
    xw: np.ndarray, h_prev: np.ndarray, b_hn: np.ndarray | None, gates: np.ndarray, hn: np.ndarray, h: np.ndarray,
    cross: np.ndarray | None = None,
) -> None:
    """The elementwise half of a GRU step (any number of leading axes).

    ``xw (..., 3H)`` is the input side (r, z halved, with their hidden-side
    biases); ``gates (..., 3H)`` holds ``W_hh h_{t-1}`` (r, z rows halved, no
    bias; for the own-reset cell the ``n`` part is ``D h_{t-1}``) on entry and
    ``σ(r), σ(z), n`` on exit; ``hn`` receives the reset gate's operand
    ``D h_{t-1} + b_hn``; ``cross`` is the own-reset cell's ``C h_{t-1}``,
    added to the candidate outside the reset gate. ``b_hn`` may be a per-step
    array that broadcasts.
    """
    H = h.shape[-1]
    if b_hn is not None:
        np.add(gates[..., 2 * H :], b_hn, out=hn)
    else:
        hn[...] = gates[..., 2 * H :]
    rz = gates[..., : 2 * H]
    rz += xw[..., : 2 * H]
    sigmoid_from_half_(rz)
    r, z, n = gates[..., :H], gates[..., H : 2 * H], gates[..., 2 * H :]
    np.multiply(r, hn, out=n)
    n += xw[..., 2 * H :]
    if cross is not None:
        n += cross
    np.tanh(n, out=n)
    np.subtract(h_prev, n, out=h)                # h_t = n + z ⊙ (h_{t-1} - n)
    h *= z
    h += n


def gru_local(r: np.ndarray, z: np.ndarray, n: np.ndarray, hn: np.ndarray, h_prev: np.ndarray,
              d_r: np.ndarray, d_z: np.ndarray, d_hn: np.ndarray, d_n: np.ndarray) -> None:
    """The local derivatives of GRU steps (any leading axes, outputs views of any layout).

    Parameters
    ----------
    r, z, n : ndarray, shape (..., H)
        The gates ``σ(r), σ(z), n``.
    hn : ndarray, shape (..., H)
        What the reset gate multiplied.
    h_prev : ndarray, shape (..., H)
    d_r, d_z : ndarray, shape (..., H)
        Receive ``∂h_t/∂a_r = (1-z)(1-n²) hn σ'(r)`` and ``∂h_t/∂a_z = (h_{t-1} - n) σ'(z)``.
    d_hn : ndarray, shape (..., H)
        Receives ``∂h_t/∂(D h + b_hn) = (1-z)(1-n²) r``.
    d_n : ndarray, shape (..., H)
        Receives ``∂h_t/∂a_n = (1-z)(1-n²)`` (the input side's candidate, and ``C h``).
    """
    np.subtract(1, z, out=d_n)
    q = n * n
    np.subtract(1, q, out=q)
    d_n *= q                                              # (1 - z)(1 - n²)
    np.multiply(d_n, r, out=d_hn)
    np.subtract(1, r, out=q)
    q *= r
    q *= hn
    np.multiply(d_n, q, out=d_r)
    np.subtract(1, z, out=q)
    q *= z
    np.subtract(h_prev, n, out=d_z)
    d_z *= q


def gru_backward(dh: np.ndarray, local: np.ndarray, da: np.ndarray) -> None:
    """Gradients of a GRU step's pre-activation groups: each local derivative group times ``dh``.

    ``local`` and ``da`` are ``(..., k, H)`` with the groups of
    :func:`gru_local` in the order the schedule stores them; the direct path
    ``∂h_t/∂h_{t-1} = z`` is added by the schedule after its product.
    """
    np.multiply(local, dh[..., None, :], out=da)


# ------------------------------------------------------------ cell objects


class StepLocals(NamedTuple):
    """Local derivatives of every step of a pass, computed before the backward loop.

    ``local`` is ``φ'`` (Elman), the four LSTM factors ``(T, B, 4H)``, or the
    GRU's ``(T, B, 3H)`` ``[∂/∂a_r, ∂/∂a_z, ∂/∂a_n]``; ``extra`` is ``∂h/∂c``
    (LSTM) or ``∂h/∂(D h + b_hn)`` (GRU); ``gate`` is ``f`` (LSTM) or ``z``
    (GRU). In the wavefront's layout (:meth:`Cell.wave_locals`) ``local`` is
    grouped per gate slot and ``xside`` holds the GRU's input-side candidate
    gradients ``(L, T', B, n)`` when they differ from the hidden side's.
    """

    local: np.ndarray
    extra: np.ndarray | None
    gate: np.ndarray | None
    xside: np.ndarray | None = None


class CellCosts(NamedTuple):
    """What the cost model (:mod:`numerics.engine.cost`) has measured of a cell, per schedule name.

    Each entry is a ``(forward, backward)`` pair: ``step_us`` the overhead per
    sequential step (µs), ``pointwise_us`` the pointwise work per state
    element and step (µs), ``scale`` the calibration factor of the modelled
    time. A schedule missing here is priced by the cost model's fallback.
    """

    step_us: dict[str, tuple[float, float]]
    pointwise_us: dict[str, tuple[float, float]]
    scale: dict[str, tuple[float, float]]


class Cell:
    """A recurrent cell as every schedule sees it: structure, pointwise steps, cost figures.

    Attributes
    ----------
    name : str
        The cell's name in :data:`theory.layout.GATES`.
    gates : int
        ``G``: gate groups of the pre-activations (``G·H`` rows of ``W_ih``).
    sigmoid_gates : tuple of int
        Gates (PyTorch's order) through a sigmoid; their pre-activations arrive halved.
    second_state : bool
        Carries a cell state ``c`` besides ``h`` (its own initial state, final-state gradient, holds).
    keeps_gates : bool
        A cache keeps the gates ``(T, B, G·H)`` and one inner value per unit
        and step (named :attr:`inner`); else only the states.
    reset_gate : bool
        The last gate's hidden-side reading ``W_hn h + b_hn`` is multiplied by
        a reset gate, so its input and hidden sides (and ``b_hn``) stay apart
        and the plan's ``gru_reset`` applies (``"own"``: an extra slot for the
        readings of other blocks, outside the gate).
    activated : bool
        The state is ``φ(a)`` with the plan's per-block activation.
    inner : str or None
        The :class:`numerics.engine.params.LayerCache` field holding the inner value.
    direct : bool
        ``h_t`` depends on ``h_{t-1}`` outside ``W_hh`` (GRU's ``z h_{t-1}``):
        :meth:`backward_direct` and :meth:`wave_direct` add that path (for
        other cells they only pass held units' gradients, and the schedules
        skip the call when nothing is held).
    costs : CellCosts or None
        The cost model's measured figures (None: priced by its fallback).
    """

    name: str = ""
    gates: int = 1
    sigmoid_gates: tuple[int, ...] = ()
    second_state: bool = False
    keeps_gates: bool = False
    reset_gate: bool = False
    activated: bool = False
    inner: str | None = None
    direct: bool = False
    costs: CellCosts | None = None

    def __repr__(self) -> str:
        return f"<cell {self.name!r}>"

    def slots(self, own_reset: bool) -> int:
        """Gate slots of the recurrent product: ``G``, plus one for an own-reset reading outside the reset gate."""
        return self.gates + 1 if (self.reset_gate and own_reset) else self.gates

    def inner_fields(self, inner: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        """``(tanh_c, hn)`` of a :class:`numerics.engine.params.LayerCache` holding ``inner`` in :attr:`inner`."""
        return (inner if self.inner == "tanh_c" else None), (inner if self.inner == "hn" else None)

    def inner_of(self, cache: Any) -> np.ndarray | None:
        """The inner value a :class:`numerics.engine.params.LayerCache` holds, or None."""
        return None if self.inner is None else getattr(cache, self.inner)

    def wave_run(self, n: int, L: int) -> int:
        """Contiguous run (numbers) the wavefront's pointwise kernels sweep (the cost model's ``w``)."""
        return n

    # ---- dense unit layout: (B, H) states, (B, G·H) gates; the schedule multiplies, the cell does the rest.

    def product_target(self, gates: np.ndarray | None, h: np.ndarray, hh: np.ndarray | None) -> np.ndarray:
        """Where the schedule writes ``h_{t-1} W_hh^T`` (``hh``: the own-reset cell's ``(B, 4H)`` scratch)."""
        return gates

    def forward_pointwise(self, xw: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray | None,
                          gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None, h: np.ndarray,
                          b_hn: np.ndarray | None, acts: tuple[ActGroup, ...], hh: np.ndarray | None) -> None:
        """Finish a step after the product into :meth:`product_target`: writes ``h`` (``gates``, ``c``, ``inner``)."""
        raise NotImplementedError

    def step_locals(self, h: np.ndarray, gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None,
                    acts: tuple[ActGroup, ...], take: Any) -> StepLocals:
        """The local derivatives of all steps of a pass (scratch arrays from ``take(name, shape, dtype)``).

        Parameters
        ----------
        h : ndarray, shape (T + 1, B, H)
        gates : ndarray, shape (T, B, G, H) (a view of any layout), or None
        c : ndarray, shape (T + 1, B, H), or None
        inner : ndarray, shape (T, B, H), or None
        acts : tuple of ActGroup
            Activation groups over the ``H`` units.
        take : callable
        """
        return StepLocals(elman_local(h[1:], acts, take("cell.local", h[1:].shape, h.dtype)), None, None)

    def backward_pointwise(self, dh: np.ndarray, dc: np.ndarray | None, loc: StepLocals, t: int, dax: np.ndarray,
                           dah: np.ndarray, held: np.ndarray | None) -> np.ndarray:
        """Pre-activation gradients of step ``t`` into ``dax`` (and ``dah``); returns what multiplies ``W_hh``.

        ``held`` (bool ``(H,)``) units get zero gradients; ``dc`` becomes ``c_{t-1}``'s gradient.
        """
        elman_backward(dh, loc.local[t], dax)
        if held is not None:
            dax[:, held] = 0
        return dax

    def backward_direct(self, dh: np.ndarray, loc: StepLocals, t: int, dh_prev: np.ndarray,
                        held: np.ndarray | None) -> None:
        """Add the gradient ``h_{t-1}`` receives outside ``W_hh`` (held units pass ``dh`` straight through)."""
        if held is not None:
            dh_prev[:, held] += dh[:, held]

    # ---- wavefront's padded block layout: (L, B, n) states of a step, (L, B, G·n) gates.

    def wave_pointwise(self, t: int, a: np.ndarray, prod: np.ndarray, xside: Any, blocks: np.ndarray, C: Any, E: Any,
                       b_hn: np.ndarray | None, runs: tuple[ActGroup, ...], own: bool) -> None:
        """Finish wavefront step ``t``: ``a`` holds the additive terms, ``prod`` the product; writes ``blocks[t + 1]``.

        ``xside`` (reset-gate cells: the input side), ``C`` (cell states) and
        ``E`` (inner values) are the whole ``(T', L, B, ·)`` arrays or None;
        ``runs`` the activation runs over the block axis.
        """
        a += prod
        s_new = blocks[t + 1]
        for name, b0, b1 in runs:
            elman_forward_into(name, a[b0:b1], s_new[b0:b1])   # straight into the state

    def wave_locals(self, wc: Any, runs: tuple[ActGroup, ...], Gh: int, take: Any) -> StepLocals:
        """The local derivatives of a wavefront pass (``wc`` a :class:`numerics.engine.wavefront.WaveCache`)."""
        Tp1, B, _ = wc.S.shape
        L, n = len(wc.plan.blocks), wc.n
        # φ'(a) from the states, in S's batch-major order (a transposed view is slow to sweep).
        dphi = take("wave.dphi", (Tp1 - 1, B, L, n), wc.S.dtype)
        S4 = wc.S.reshape(Tp1, B, L + 1, n)
        for name, b0, b1 in runs:
            elman_local_one(name, S4[1:, :, 1 + b0 : 1 + b1], dphi[:, :, b0:b1])
        return StepLocals(dphi, None, None)

    def wave_backward_pointwise(self, wl: StepLocals, t: int, dh: np.ndarray, dhB: np.ndarray, dc: Any,
                                da: np.ndarray, daB: np.ndarray, held: np.ndarray | None, tmp: np.ndarray) -> None:
        """Gate gradients of wavefront step ``t`` into ``da`` (``(L, B, Gh)``; ``daB`` its batch-major view).

        ``dh`` is the state gradient ``(L, B, n)``, ``dhB`` the same batch-major.
        """
        elman_backward(dhB, wl.local[t], daB)

    def wave_direct(self, wl: StepLocals, t: int, dh: np.ndarray, dhB: np.ndarray, prev: np.ndarray,
                    held: np.ndarray | None, tmp: np.ndarray) -> None:
        """Add the gradient the previous state receives outside ``W_hh`` to ``prev`` (``(B, L, n)``)."""
        if held is not None:
            prev[:, held] += dhB[:, held]


class Elman(Cell):
    """``h_t = φ(a)``."""

    name, gates, activated = "elman", 1, True
    costs = CellCosts(
        step_us={"dense": (2.7, 6.4), "wavefront": (5.1, 12.6), "layers": (2.7, 2.2), "sparse": (4.0, 0.0)},
        pointwise_us={"dense": (0.00003, 0.0028), "wavefront": (0.0002, 0.0002), "layers": (0.00003, 0.0003),
                      "sparse": (0.0, 0.0085)},
        scale={"dense": (0.92, 0.51), "wavefront": (0.89, 0.71), "layers": (0.90, 1.00), "sparse": (0.46, 0.47)})

    def wave_run(self, n: int, L: int) -> int:
        return L * n                     # one sweep over all blocks

    def product_target(self, gates: np.ndarray | None, h: np.ndarray, hh: np.ndarray | None) -> np.ndarray:
        return h                         # straight into the state: no gates are kept

    def forward_pointwise(self, xw: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray | None,
                          gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None, h: np.ndarray,
                          b_hn: np.ndarray | None, acts: tuple[ActGroup, ...], hh: np.ndarray | None) -> None:
        h += xw
        elman_forward(h, acts)


class LSTM(Cell):
    """Gates ``[i; f; g; o]``, cell state ``c``, inner value ``tanh(c_t)``."""

    name, gates, sigmoid_gates = "lstm", 4, (0, 1, 3)
    second_state, keeps_gates, inner = True, True, "tanh_c"
    costs = CellCosts(
        step_us={"dense": (18.6, 37.5), "wavefront": (17.1, 58.8), "layers": (11.8, 5.0), "sparse": (17.0, 23.0)},
        pointwise_us={"dense": (0.0019, 0.0113), "wavefront": (0.0019, 0.0012), "layers": (0.0017, 0.0090),
                      "sparse": (0.0019, 0.0202)},
        scale={"dense": (0.84, 0.58), "wavefront": (0.78, 0.83), "layers": (0.72, 0.55), "sparse": (0.78, 0.64)})

    def wave_run(self, n: int, L: int) -> int:
        return 2 * n                     # the gate slices

    def forward_pointwise(self, xw: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray | None,
                          gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None, h: np.ndarray,
                          b_hn: np.ndarray | None, acts: tuple[ActGroup, ...], hh: np.ndarray | None) -> None:
        gates += xw
        lstm_pointwise(gates, c_prev, c, inner, h)

    def step_locals(self, h: np.ndarray, gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None,
                    acts: tuple[ActGroup, ...], take: Any) -> StepLocals:
        shape = (*gates.shape[:-2], 4 * gates.shape[-1])
        local = take("cell.local", shape, gates.dtype)
        dh_dc = take("cell.dh_dc", inner.shape, gates.dtype)
        lstm_local(gates, c[:-1], inner, _split(local, 4), dh_dc, _split(take("cell.sd", shape, gates.dtype), 4))
        return StepLocals(local, dh_dc, gates[..., 1, :])

    def backward_pointwise(self, dh: np.ndarray, dc: np.ndarray | None, loc: StepLocals, t: int, dax: np.ndarray,
                           dah: np.ndarray, held: np.ndarray | None) -> np.ndarray:
        keep = dc[:, held] if held is not None else None
        da4 = _split(dax, 4)
        lstm_backward(dh, dc, loc.extra[t], _split(loc.local[t], 4), loc.gate[t], da4)
        if held is not None:
            da4[:, :, held] = 0
            dc[:, held] = keep           # a held unit's c is copied, its gradient passes unchanged
        return dax

    def wave_pointwise(self, t: int, a: np.ndarray, prod: np.ndarray, xside: Any, blocks: np.ndarray, C: Any, E: Any,
                       b_hn: np.ndarray | None, runs: tuple[ActGroup, ...], own: bool) -> None:
        a += prod
        lstm_pointwise(a, C[t], C[t + 1], E[t], blocks[t + 1])

    def wave_locals(self, wc: Any, runs: tuple[ActGroup, ...], Gh: int, take: Any) -> StepLocals:
        A, tc, dt = wc.A, wc.E, wc.A.dtype
        loc4 = _split(take("wave.local", A.shape, dt), 4)
        dh_dc = lstm_local(_split(A, 4), wc.C[:-1], tc, loc4, take("wave.dh_dc", tc.shape, dt),
                           _split(take("wave.sd", A.shape, dt), 4))
        return StepLocals(loc4, dh_dc, A[..., wc.n : 2 * wc.n])

    def wave_backward_pointwise(self, wl: StepLocals, t: int, dh: np.ndarray, dhB: np.ndarray, dc: Any,
                                da: np.ndarray, daB: np.ndarray, held: np.ndarray | None, tmp: np.ndarray) -> None:
        keep = dc[held] if held is not None else None
        lstm_backward(dh, dc, wl.extra[t], wl.local[t], wl.gate[t], _split(da, 4), tmp)
        if held is not None:
            dc[held] = keep


class GRU(Cell):
    """Gates ``[r; z; n]``, the reset gate over ``W_hn h + b_hn``, inner value ``D h_{t-1} + b_hn``."""

    name, gates, sigmoid_gates = "gru", 3, (0, 1)
    keeps_gates, reset_gate, inner, direct = True, True, "hn", True
    costs = CellCosts(
        step_us={"dense": (26.7, 1.5), "wavefront": (41.7, 59.3), "layers": (16.2, 10.5), "sparse": (24.7, 60.0)},
        pointwise_us={"dense": (0.0025, 0.0179), "wavefront": (0.0019, 0.0015), "layers": (0.0016, 0.0013),
                      "sparse": (0.0019, 0.0225)},
        scale={"dense": (0.90, 0.61), "wavefront": (0.88, 0.84), "layers": (0.88, 0.88), "sparse": (0.83, 0.46)})

    def product_target(self, gates: np.ndarray | None, h: np.ndarray, hh: np.ndarray | None) -> np.ndarray:
        return gates if hh is None else hh

    def forward_pointwise(self, xw: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray | None,
                          gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None, h: np.ndarray,
                          b_hn: np.ndarray | None, acts: tuple[ActGroup, ...], hh: np.ndarray | None) -> None:
        if hh is None:
            gru_pointwise(xw, h_prev, b_hn, gates, inner, h)
            return
        G3 = gates.shape[-1]
        gates[...] = hh[..., :G3]
        gru_pointwise(xw, h_prev, b_hn, gates, inner, h, cross=hh[..., G3:])

    def step_locals(self, h: np.ndarray, gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None,
                    acts: tuple[ActGroup, ...], take: Any) -> StepLocals:
        H = gates.shape[-1]
        local = take("cell.local", (*gates.shape[:-2], 3 * H), gates.dtype)
        d_hn = take("cell.dhn", inner.shape, gates.dtype)
        r, z, n = gates[..., 0, :], gates[..., 1, :], gates[..., 2, :]
        gru_local(r, z, n, inner, h[:-1], local[..., :H], local[..., H : 2 * H], d_hn, local[..., 2 * H :])
        return StepLocals(local, d_hn, z)

    def backward_pointwise(self, dh: np.ndarray, dc: np.ndarray | None, loc: StepLocals, t: int, dax: np.ndarray,
                           dah: np.ndarray, held: np.ndarray | None) -> np.ndarray:
        # The input and hidden sides see different gradients in the n gate: r multiplies only D h + b_hn.
        H = dh.shape[1]
        dax3 = _split(dax, 3)
        gru_backward(dh, _split(loc.local[t], 3), dax3)
        dah[:, : 2 * H] = dax[:, : 2 * H]
        gru_backward(dh, loc.extra[t][:, None, :], dah[:, None, 2 * H : 3 * H])
        if held is not None:
            dax3[:, :, held] = 0
            _split(dah, dah.shape[1] // H)[:, :, held] = 0
        if dah.shape[1] > 3 * H:
            dah[:, 3 * H :] = dax[:, 2 * H :]        # C h, outside the reset gate, sees the input side's n gradient
        return dah

    def backward_direct(self, dh: np.ndarray, loc: StepLocals, t: int, dh_prev: np.ndarray,
                        held: np.ndarray | None) -> None:
        z = loc.gate[t]                              # ∂h_t/∂h_{t-1} = z
        if held is None:
            dh_prev += dh * z
        else:
            direct = dh * z
            direct[:, held] = dh[:, held]
            dh_prev += direct

    def wave_pointwise(self, t: int, a: np.ndarray, prod: np.ndarray, xside: Any, blocks: np.ndarray, C: Any, E: Any,
                       b_hn: np.ndarray | None, runs: tuple[ActGroup, ...], own: bool) -> None:
        n = blocks.shape[-1]
        a[..., : 2 * n] += prod[..., : 2 * n]
        a[..., 2 * n :] = prod[..., 2 * n : 3 * n]
        gru_pointwise(xside[t], blocks[t], b_hn, a, E[t], blocks[t + 1], prod[..., 3 * n :] if own else None)

    def wave_locals(self, wc: Any, runs: tuple[ActGroup, ...], Gh: int, take: Any) -> StepLocals:
        A, hn, n, dt = wc.A, wc.E, wc.n, wc.A.dtype
        Tp, L, B, _ = A.shape
        own = Gh > 3 * n
        r, z, nn = (A[..., k * n : (k + 1) * n] for k in range(3))
        # The hidden side's groups [r, z, the reset gate's operand, (own reset) the reading of block l - 1]:
        # one broadcast product per step gives every hidden-side gradient; the input side's n part is the
        # last group (own reset) or kept apart (xside).
        local = take("wave.local", (Tp, L, B, Gh), dt)
        dn = local[..., 3 * n :] if own else take("wave.dn", nn.shape, dt)      # (1 - z)(1 - n²)
        gru_local(r, z, nn, hn, wc.blocks[:-1], local[..., :n], local[..., n : 2 * n], local[..., 2 * n : 3 * n], dn)
        xside = None if own else take("wave.DXn", (L, Tp, B, n), dt)
        return StepLocals(_split(local, Gh // n), dn, z, xside)

    def wave_backward_pointwise(self, wl: StepLocals, t: int, dh: np.ndarray, dhB: np.ndarray, dc: Any,
                                da: np.ndarray, daB: np.ndarray, held: np.ndarray | None, tmp: np.ndarray) -> None:
        gru_backward(dh, wl.local[t], _split(da, wl.local.shape[-2]))
        if wl.xside is not None:
            dxn = wl.xside[:, t]
            gru_backward(dh, wl.extra[t][:, :, None], dxn[:, :, None])
            if held is not None:
                dxn[held] = 0

    def wave_direct(self, wl: StepLocals, t: int, dh: np.ndarray, dhB: np.ndarray, prev: np.ndarray,
                    held: np.ndarray | None, tmp: np.ndarray) -> None:
        np.multiply(dh, wl.gate[t], out=tmp)
        if held is not None:
            tmp[held] = dh[held]
        prev += tmp.transpose(1, 0, 2)


#: Every cell, by name (the names of :data:`theory.layout.GATES`).
CELLS: dict[str, Cell] = {c.name: c for c in (Elman(), LSTM(), GRU())}

#: Gates (by index in PyTorch's order) that go through a sigmoid: LSTM i, f, o; GRU r, z.
SIGMOID_GATES: dict[str, tuple[int, ...]] = {name: c.sigmoid_gates for name, c in CELLS.items()}


def cell_of(name: str) -> Cell:
    """The :class:`Cell` named ``name`` (a checked cell name, e.g. ``plan.cell``)."""
    return CELLS[name]


def step_locals(cell: str, h: np.ndarray, gates: np.ndarray | None, c: np.ndarray | None,
                inner: np.ndarray | None, activations: tuple[ActGroup, ...], take: Any) -> StepLocals:
    """:meth:`Cell.step_locals` of ``cell`` from a dense-layout pass (``gates (T, B, G·H)``)."""
    C = CELLS[cell]
    return C.step_locals(h, None if gates is None else _split(gates, C.gates), c, inner, activations, take)


__all__ = [
    "CELLS", "GRU", "LSTM", "SIGMOID_GATES", "Cell", "CellCosts", "Elman", "StepLocals", "cell_of", "elman_backward",
    "elman_forward", "elman_forward_into", "elman_local", "elman_local_one", "gate_scale", "gru_backward", "gru_local",
    "gru_pointwise", "lstm_backward", "lstm_local", "lstm_pointwise", "step_locals",
]
