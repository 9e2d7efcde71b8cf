"""What every cell object gives the schedules: :class:`Cell`, and the records its methods exchange.

A cell (:mod:`numerics.engine.cells`) is a subclass of :class:`Cell` in its
own module of this package, with its pointwise kernels beside it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, NamedTuple

import numpy as np

from numerics.engine.activations import ActGroup


def _split(a: np.ndarray, k: int) -> np.ndarray:
    """``a (..., k·H)`` as a ``(..., k, H)`` view; raises rather than silently copying (outputs must be views)."""
    # reshape, then refuse a copy (setting .shape, which raised itself, is deprecated from NumPy 2.5 on)
    v = a.reshape(*a.shape[:-1], k, a.shape[-1] // k)
    if a.size and not np.may_share_memory(v, a):  # an empty array has no memory to share
        raise ValueError(f"an array of shape {a.shape} and strides {a.strides} cannot be split into {k} gate "
                         "groups without a copy")
    return v


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


class Cell(ABC):
    """A recurrent cell as every schedule sees it: structure, pointwise steps, cost figures.

    The six pointwise steps (dense and wavefront layout, forward, local
    derivatives, backward) are abstract: a subclass that leaves one out
    cannot be instantiated, so a new cell fails where it is registered, not
    inside a schedule.

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

    @abstractmethod
    def forward_pointwise(self, xw: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray | None,
                          gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None, h: np.ndarray,
                          b_hn: np.ndarray | None, acts: tuple[ActGroup, ...], hh: np.ndarray | None) -> None:
        """Finish a step after the product into :meth:`product_target`: writes ``h`` (``gates``, ``c``, ``inner``)."""

    @abstractmethod
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

    @abstractmethod
    def backward_pointwise(self, dh: np.ndarray, dc: np.ndarray | None, loc: StepLocals, t: int, dax: np.ndarray,
                           dah: np.ndarray, held: np.ndarray | None) -> np.ndarray:
        """Pre-activation gradients of step ``t`` into ``dax`` (and ``dah``); returns what multiplies ``W_hh``.

        ``held`` (bool ``(H,)``) units get zero gradients; ``dc`` becomes ``c_{t-1}``'s gradient.
        """

    def backward_direct(self, dh: np.ndarray, loc: StepLocals, t: int, dh_prev: np.ndarray,
                        held: np.ndarray | None) -> None:
        """Add the gradient ``h_{t-1}`` receives outside ``W_hh`` (held units pass ``dh`` straight through)."""
        if held is not None:
            dh_prev[:, held] += dh[:, held]

    # ---- wavefront's padded block layout: (L, B, n) states of a step, (L, B, G·n) gates.

    @abstractmethod
    def wave_pointwise(self, t: int, a: np.ndarray, prod: np.ndarray, xside: Any, blocks: np.ndarray, C: Any, E: Any,
                       b_hn: np.ndarray | None, runs: tuple[ActGroup, ...], own: bool) -> None:
        """Finish wavefront step ``t``: ``a`` holds the additive terms, ``prod`` the product; writes ``blocks[t + 1]``.

        ``xside`` (reset-gate cells: the input side), ``C`` (cell states) and
        ``E`` (inner values) are the whole ``(T', L, B, ·)`` arrays or None;
        ``runs`` the activation runs over the block axis.
        """

    @abstractmethod
    def wave_locals(self, wc: Any, runs: tuple[ActGroup, ...], Gh: int, take: Any) -> StepLocals:
        """The local derivatives of a wavefront pass (``wc`` a :class:`numerics.engine.wavefront.WaveCache`)."""

    @abstractmethod
    def wave_backward_pointwise(self, wl: StepLocals, t: int, dh: np.ndarray, dhB: np.ndarray, dc: Any,
                                da: np.ndarray, daB: np.ndarray, held: np.ndarray | None, tmp: np.ndarray) -> None:
        """Gate gradients of wavefront step ``t`` into ``da`` (``(L, B, Gh)``; ``daB`` its batch-major view).

        ``dh`` is the state gradient ``(L, B, n)``, ``dhB`` the same batch-major.
        """

    def wave_direct(self, wl: StepLocals, t: int, dh: np.ndarray, dhB: np.ndarray, prev: np.ndarray,
                    held: np.ndarray | None, tmp: np.ndarray) -> None:
        """Add the gradient the previous state receives outside ``W_hh`` to ``prev`` (``(B, L, n)``)."""
        if held is not None:
            prev[:, held] += dhB[:, held]


__all__ = ["Cell", "CellCosts", "StepLocals"]
