"""Recurrent topologies as data, and their compiler to one delayed Elman layer (docs/theory/bidirectional.md).

A :class:`Topology` lists layers (width, activation, direction) and which
earlier layers (or the input) each one reads: stacked, skip, dense and
bidirectional networks are all topologies. :func:`compile_topology` turns
one into a :class:`theory.layout.Plan` for a single delayed Elman layer plus
the :class:`theory.layout.Placement` list saying where each reference
parameter goes, with

* **delay lines**: identity blocks whose recurrent weights shift a buffer by
  one slot per step, so a value produced early waits exactly as long as its
  reader needs; one line per source, shared by all its readers;
* **backward pipelines**: a backward layer with horizon ``h`` becomes
  ``h + 1`` stages; stage ``j`` applies the backward cell to the layer's
  input ``2j`` steps late (from a delay line) and to stage ``j - 1``'s
  previous state, so stage ``h`` holds the horizon-``h`` truncation
  ``b̃_t = f(u_t, f(u_{t+1}, … f(u_{t+h}, 0)))`` at step ``t + c + 2h``.

Conventions. Layers are numbered ``1 … L``; source ``0`` is the input.
Reference parameters use PyTorch names with 0-based layer numbers:
``weight_ih_l{l-1}`` of shape ``(n_l, Σ_k out_k)`` (columns in the order of
``reads``), ``weight_hh_l{l-1}`` ``(n_l, n_l)``, ``bias_ih_l{l-1}`` and
``bias_hh_l{l-1}`` ``(n_l,)``; the backward direction adds ``_reverse``.
A bidirectional layer outputs ``[forward; backward]`` (width ``2 n_l``).

Time. Block lag ``λ`` means: at d-RNN step ``τ`` the block holds represented
time ``τ - λ``. A block of lag ``λ`` reads its sources at lag ``λ - 1``
(the previous step) or, if ``λ = 0``, the input directly. A forward layer
gets lag ``c = 1 + max`` (lags of the layers it reads), ``0`` if it reads only
the input. A layer with horizon ``h`` ends at lag ``c + 2h``, its forward
half (if bidirectional) is placed at the same lag. The delay is the largest
lag among the read-out layers; read-out layers that are ready earlier wait
in delay lines.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from theory._checks import (
    check_activation,
    check_allocation,
    check_choice,
    check_count,
    check_records,
    check_sequence,
    check_sizes,
    check_type,
)
from theory.layout import Block, Edge, InputEdge, Placement, Plan, layer_param

#: Directions of a topology layer.
DIRECTIONS: tuple[str, ...] = ("forward", "backward", "bidirectional")

#: ``Placement.source`` of a delay-line copy: the identity matrix, not a reference parameter.
IDENTITY = "identity"


#: Largest backward horizon a layer may have. A horizon-``h`` layer compiles to at least ``3h`` units,
#: so its dense recurrent matrix has ``9h²`` entries: 1.2 GB of float64 at this limit already.
MAX_HORIZON = 4096


@dataclass(frozen=True)
class Layer:
    """One layer of a recurrent topology (Elman cell).

    Attributes
    ----------
    width : int
        Units per direction ``n_l``.
    reads : tuple of int
        Sources, ``0`` for the input and ``k`` for layer ``k < l``; the layer's
        input ``u_t`` concatenates their outputs at time ``t`` in this order.
    direction : {"forward", "backward", "bidirectional"}
    horizon : int
        Backward look-ahead ``h`` (backward and bidirectional layers only).
    activation : str
        Elman activation of both directions.
    """

    width: int
    reads: tuple[int, ...]
    direction: str = "forward"
    horizon: int = 0
    activation: str = "tanh"

    def __post_init__(self) -> None:
        check_count(self.width, "width")
        check_choice(self.direction, DIRECTIONS, "direction")
        check_count(self.horizon, "horizon", minimum=0, maximum=MAX_HORIZON)
        check_activation(self.activation)
        if self.direction == "forward" and self.horizon:
            raise ValueError(f"a forward layer has no horizon; got horizon={self.horizon}")
        if not isinstance(self.reads, tuple) or not self.reads:
            raise ValueError(f"reads must be a non-empty tuple of source numbers; got {self.reads!r}")
        if len(set(self.reads)) != len(self.reads):
            raise ValueError(f"reads must not repeat a source; got {self.reads}")

    @property
    def out_width(self) -> int:
        """Width of the layer's output: ``2 n`` if bidirectional, else ``n``."""
        return 2 * self.width if self.direction == "bidirectional" else self.width

    @property
    def has_forward(self) -> bool:
        return self.direction in ("forward", "bidirectional")

    @property
    def has_backward(self) -> bool:
        return self.direction in ("backward", "bidirectional")


@dataclass(frozen=True)
class Topology:
    """A recurrent network as data: its layers and which sources each reads.

    Attributes
    ----------
    input_size : int
        Input features ``n_0``.
    layers : tuple of Layer
        Layer ``l`` (1-based) may read the input (``0``) and layers ``1 … l-1``.
    readout : tuple of int
        Layers whose outputs, concatenated, are the network output (default: the last layer).
    name : str

    Raises
    ------
    TypeError, ValueError
        When built with a field of the wrong kind or out of range, naming it (``layers[1]``,
        ``readout[0]``). Any sequence is accepted and stored as a tuple.
    """

    input_size: int
    layers: tuple[Layer, ...]
    readout: tuple[int, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        check_count(self.input_size, "input_size")
        check_type(self.name, str, "name")
        # Stored as tuples whatever sequence was given: a Topology is hashable and its fields immutable.
        layers = check_records(self.layers, Layer, "layers", nonempty=True)
        readout = check_sequence(self.readout, "readout", "layer numbers") or (len(layers),)
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "readout", readout)
        for l, layer in enumerate(layers, start=1):
            bad = [k for k in layer.reads if not (isinstance(k, int) and 0 <= k < l)]
            if bad:
                raise ValueError(f"layer {l} may read the input (0) and layers 1..{l - 1}; got sources {bad}")
        for i, r in enumerate(readout):
            check_count(r, f"readout[{i}]", minimum=1, maximum=len(layers))
        if len(set(readout)) != len(readout):
            raise ValueError(f"readout must list distinct layers; got {readout}")

    def source_width(self, k: int) -> int:
        """Width of source ``k``: ``n_0`` for the input, else layer ``k``'s output width."""
        check_count(k, "k", minimum=0, maximum=len(self.layers))
        return self.input_size if k == 0 else self.layers[k - 1].out_width

    def input_width(self, l: int) -> int:
        """Width of layer ``l``'s input ``u_t`` (sum of its sources' widths)."""
        check_count(l, "l", minimum=1, maximum=len(self.layers))
        return sum(self.source_width(k) for k in self.layers[l - 1].reads)

    @property
    def output_size(self) -> int:
        return sum(self.layers[r - 1].out_width for r in self.readout)

    @property
    def reference_units(self) -> int:
        """Hidden units of the reference network (both directions of a bidirectional layer count)."""
        return sum(layer.out_width for layer in self.layers)

    @property
    def lookahead(self) -> int:
        """Input steps ahead the output can see: the largest sum of horizons along a path of reads."""
        ahead = [0]
        for layer in self.layers:
            ahead.append(layer.horizon + max(ahead[k] for k in layer.reads))
        return max(ahead[r] for r in self.readout)

    def param_shapes(self, bias: bool = True) -> dict[str, tuple[int, ...]]:
        """Reference parameter names and shapes (see the module docstring)."""
        check_type(bias, bool, "bias")
        out: dict[str, tuple[int, ...]] = {}
        for l, layer in enumerate(self.layers, start=1):
            n, m = layer.width, self.input_width(l)
            for rev, present in ((False, layer.has_forward), (True, layer.has_backward)):
                if not present:
                    continue
                out[layer_param("weight_ih", l - 1, rev)] = (n, m)
                out[layer_param("weight_hh", l - 1, rev)] = (n, n)
                if bias:
                    out[layer_param("bias_ih", l - 1, rev)] = (n,)
                    out[layer_param("bias_hh", l - 1, rev)] = (n,)
        return out


# ------------------------------------------------------------------------------------ named topologies
def stacked_topology(input_size: int, widths: Sequence[int], activation: str = "tanh") -> Topology:
    """The plain stacked network: layer ``l`` reads layer ``l - 1`` (layer 1 the input)."""
    widths = check_sizes(widths, "widths")
    layers = tuple(Layer(w, (l,), activation=activation) for l, w in enumerate(widths))
    return Topology(input_size, layers, name=f"stacked x{len(layers)}")


def skip_topology(input_size: int, widths: Sequence[int], skip: int = 1, activation: str = "tanh") -> Topology:
    """Stacked, and each layer also reads the source ``skip + 1`` below it (the input for the first ones).

    ``skip = 1``: layer ``l`` reads layers ``l - 1`` and ``l - 2`` (layer 2 reads layer 1 and the input).
    """
    check_count(skip, "skip")
    widths = check_sizes(widths, "widths")
    layers = tuple(Layer(w, tuple(sorted({l, max(l - skip, 0)}, reverse=True)), activation=activation)
                   for l, w in enumerate(widths))
    return Topology(input_size, layers, name=f"skip-{skip} x{len(layers)}")


def dense_topology(input_size: int, widths: Sequence[int], activation: str = "tanh") -> Topology:
    """Every layer reads the input and every layer below it (DenseNet-style)."""
    widths = check_sizes(widths, "widths")
    layers = tuple(Layer(w, tuple(range(l, -1, -1)), activation=activation) for l, w in enumerate(widths))
    return Topology(input_size, layers, name=f"dense x{len(layers)}")


def bidirectional_topology(input_size: int, widths: Sequence[int], horizon: int | Sequence[int],
                           activation: str = "tanh") -> Topology:
    """A stacked bidirectional network (PyTorch convention), each backward direction truncated to a horizon."""
    widths = check_sizes(widths, "widths")
    if isinstance(horizon, (str, bytes)) or not isinstance(horizon, (int, Sequence)):
        raise TypeError(f"horizon must be an int >= 0 or a sequence of them; got {type(horizon).__name__}")
    hs = [horizon] * len(widths) if isinstance(horizon, int) else list(horizon)
    hs = [check_count(h, f"horizon[{i}]" if isinstance(horizon, Sequence) else "horizon", minimum=0,
                      maximum=MAX_HORIZON)
          for i, h in enumerate(hs)]
    if len(hs) != len(widths):
        raise ValueError(f"horizon must be one int or one per layer ({len(widths)}); got {len(hs)}")
    layers = tuple(Layer(w, (l,), "bidirectional", h, activation) for l, (w, h) in enumerate(zip(widths, hs)))
    return Topology(input_size, layers, name=f"bidirectional x{len(layers)} (h={','.join(map(str, hs))})")


# ------------------------------------------------------------------------------------------ compiler
@dataclass(frozen=True)
class Compiled:
    """A topology compiled to one delayed Elman layer.

    Attributes
    ----------
    topology : Topology
    plan : Plan
        Blocks, edges, lags, holds, read-out and delay. Its edges carry no
        ``source`` names: a reader may take a column slice of a reference
        matrix, which :meth:`Plan.placements` cannot express; use
        :attr:`placements` instead.
    placements : tuple of Placement
        Where each reference parameter (or, with source :data:`IDENTITY`, an
        identity matrix of a delay line) goes in ``weight_ih``,
        ``weight_hh``, ``bias_ih``, ``bias_hh``.
    layer_lags : tuple of int
        Lag at which each layer's output is ready (``Λ_l``).
    line_units : int
        Units spent on delay lines.
    """

    topology: Topology
    plan: Plan
    placements: tuple[Placement, ...]
    layer_lags: tuple[int, ...]
    line_units: int

    @property
    def delay(self) -> int:
        return self.plan.delay

    @property
    def units(self) -> int:
        """Width ``N`` of the single layer."""
        return self.plan.hidden_size

    @property
    def overhead(self) -> int:
        """Units beyond the reference network's: delay lines and the extra backward stages."""
        return self.units - self.topology.reference_units

    def report(self) -> dict[str, int | str]:
        """``name, delay, lookahead, reference_units, units, line_units, overhead`` as a table row."""
        return {"name": self.topology.name, "delay": self.delay, "lookahead": self.topology.lookahead,
                "reference_units": self.topology.reference_units, "units": self.units,
                "line_units": self.line_units, "overhead": self.overhead}


def _layer_lags(top: Topology) -> tuple[list[int], list[int]]:
    """Per layer: the lag ``c_l`` of its first computation and the lag ``Λ_l`` of its output."""
    start, ready = [], [0]
    for layer in top.layers:
        c = 1 + max((ready[k] for k in layer.reads if k > 0), default=-1)
        start.append(c)
        ready.append(c + 2 * layer.horizon)
    return start, ready[1:]


def compile_topology(top: Topology, *, bias: bool = True) -> Compiled:
    """Compile a topology to a delayed Elman layer with delay lines and backward pipelines.

    Parameters
    ----------
    top : Topology
    bias : bool
        Whether the reference network (and so the plan) has biases.

    Returns
    -------
    Compiled
        With the plan (delay ``max Λ_l`` over the read-out layers), the
        placements of the reference parameters and the unit counts.

    Notes
    -----
    Exactness (``docs/theory/bidirectional.md``): the compiled network run
    from zero states on the zero-padded input equals the reference network
    (:class:`numerics.models.topology.TopologyRNN`) run on the input padded
    with enough zeros, at every time step, for any weights and biases. Forward
    blocks use the staggered start (``hold = lag``); backward stages need
    none; delay lines have identity activation and no bias.
    """
    top = check_type(top, Topology, "top", "a theory.topology.Topology")
    start, ready = _layer_lags(top)
    d = max(ready[r - 1] for r in top.readout)

    # Lags at which each source must be available: reader at lag λ > 0 reads at λ - 1.
    need: dict[int, set[int]] = {k: set() for k in range(len(top.layers) + 1)}
    for l, layer in enumerate(top.layers, start=1):
        reader_lags = [start[l - 1] + 2 * j for j in range(layer.horizon + 1)] if layer.has_backward else []
        if layer.has_forward:
            reader_lags.append(ready[l - 1])
        for k in layer.reads:
            need[k].update(lam - 1 for lam in reader_lags if lam > 0)
    for r in top.readout:
        if ready[r - 1] < d:
            need[r].add(d)

    blocks: list[Block] = []

    def add(name: str, width: int, act: str, lag: int, hold: int) -> int:
        blocks.append(Block(name, width, act, lag, hold))
        return len(blocks) - 1

    # Input delay line: slot at lag i holds x_{τ-i}; readers at lag 0 read x directly.
    slots: dict[int, dict[int, int]] = {k: {} for k in need}
    in_line = sorted(need[0])
    for i in range(max(in_line, default=-1) + 1):
        slots[0][i] = add(f"x@{i}", top.input_size, "identity", i, 0)
    fwd: dict[int, int] = {}
    stages: dict[int, list[int]] = {}
    for l, layer in enumerate(top.layers, start=1):
        if layer.has_forward:
            lag = ready[l - 1]
            fwd[l] = add(f"h{l}", layer.width, layer.activation, lag, lag)
        if layer.has_backward:
            stages[l] = [add(f"b{l}.{j}", layer.width, layer.activation, start[l - 1] + 2 * j, 0)
                         for j in range(layer.horizon + 1)]
        out_lag = ready[l - 1]
        for lag in range(out_lag + 1, max(need[l], default=out_lag) + 1):
            slots[l][lag] = add(f"h{l}@{lag}", layer.out_width, "identity", lag, 0)
    offsets = [sum(b.width for b in blocks[:i]) for i in range(len(blocks))]

    def span(i: int) -> tuple[int, int]:
        return offsets[i], offsets[i] + blocks[i].width

    edges: set[tuple[int, int]] = set()
    input_edges: set[int] = set()
    placements: list[Placement] = []

    def output_parts(k: int) -> list[tuple[int, int]]:
        """``(block, column offset within the output)`` of layer ``k``'s output at its ready lag."""
        layer = top.layers[k - 1]
        parts = []
        if layer.has_forward:
            parts.append((fwd[k], 0))
        if layer.has_backward:
            parts.append((stages[k][-1], layer.width if layer.has_forward else 0))
        return parts

    def connect(dst: int, source: str, src_cols: tuple[int, int], k: int, lag: int) -> None:
        """Block ``dst`` reads source ``k`` at lag ``lag`` through ``source[:, src_cols]``."""
        r = span(dst)
        width = r[1] - r[0]
        if k == 0 and lag == -1:
            input_edges.add(dst)
            placements.append(Placement("weight_ih", r, (0, top.input_size), source, (0, width), src_cols))
            return
        if k > 0 and lag == ready[k - 1]:
            for b, off in output_parts(k):
                edges.add((b, dst))
                c = span(b)
                cols = (src_cols[0] + off, src_cols[0] + off + c[1] - c[0])
                placements.append(Placement("weight_hh", r, c, source, (0, width), cols))
            return
        b = slots[k][lag]
        edges.add((b, dst))
        placements.append(Placement("weight_hh", r, span(b), source, (0, width), src_cols))

    def read_sources(l: int, dst: int, rev: bool) -> None:
        layer, col = top.layers[l - 1], 0
        for k in layer.reads:
            w = top.source_width(k)
            connect(dst, layer_param("weight_ih", l - 1, rev), (col, col + w), k, blocks[dst].lag - 1)
            col += w

    def add_bias(l: int, dst: int, rev: bool) -> None:
        if bias:
            w = blocks[dst].width
            for kind in ("bias_ih", "bias_hh"):
                placements.append(Placement(kind, span(dst), None, layer_param(kind, l - 1, rev), (0, w), None))

    # Delay lines: slot 0 of the input line copies x; every other slot copies the slot (or output) before it.
    for k, line in slots.items():
        for lag, b in line.items():
            w = blocks[b].width
            if k == 0 and lag == 0:
                connect(b, IDENTITY, (0, w), 0, -1)
            elif k == 0 or lag - 1 != ready[k - 1]:
                edges.add((line[lag - 1], b))
                placements.append(Placement("weight_hh", span(b), span(line[lag - 1]), IDENTITY, (0, w), (0, w)))
            else:
                connect(b, IDENTITY, (0, w), k, lag - 1)
    for l, layer in enumerate(top.layers, start=1):
        if layer.has_forward:
            f = fwd[l]
            read_sources(l, f, False)
            edges.add((f, f))
            placements.append(Placement("weight_hh", span(f), span(f), layer_param("weight_hh", l - 1),
                                        (0, layer.width), (0, layer.width)))
            add_bias(l, f, False)
        if layer.has_backward:
            for j, s in enumerate(stages[l]):
                read_sources(l, s, True)
                if j:
                    edges.add((stages[l][j - 1], s))
                    placements.append(Placement("weight_hh", span(s), span(stages[l][j - 1]),
                                                layer_param("weight_hh", l - 1, True), (0, layer.width),
                                                (0, layer.width)))
                add_bias(l, s, True)

    readout: list[int] = []
    for r in top.readout:
        readout.extend([slots[r][d]] if ready[r - 1] < d else [b for b, _ in output_parts(r)])
    plan = Plan(
        cell="elman", input_size=top.input_size, blocks=tuple(blocks),
        recurrent=tuple(Edge(s, t) for t, s in sorted((t, s) for s, t in edges)),
        inputs=tuple(InputEdge(i) for i in sorted(input_edges)), readout=tuple(readout), delay=d, bias=bias,
        description=f"compiled {top.name or 'topology'}",
    )
    line_units = sum(blocks[b].width for line in slots.values() for b in line.values())
    return Compiled(top, plan, tuple(placements), tuple(ready), line_units)


def reference_field(top: Topology, steps: int) -> list[list[bool]]:
    """Structural receptive field of the reference network: ``[t][s]`` true when ``x_s`` can reach ``y_t``.

    Computed from the topology alone, as sets of offsets ``s - t``: a forward
    layer sees its sources now and at every earlier time, a backward layer
    with horizon ``h`` sees them at ``t … t + h``.

    Parameters
    ----------
    top : Topology
    steps : int
        Sequence length ``T``.

    Returns
    -------
    list of list of bool, shape (T, T)
    """
    check_type(top, Topology, "top", "a theory.topology.Topology")
    T = check_count(steps, "steps", minimum=0)
    check_allocation(T * T, 64, "steps")  # the (T, T) field and the offset sets
    offsets: list[set[int]] = [{0}]
    for layer in top.layers:
        src = set().union(*(offsets[k] for k in layer.reads))
        out: set[int] = set()
        if layer.has_forward:
            out |= {o - m for o in src for m in range(0, o + T)}
        if layer.has_backward:
            out |= {o + j for o in src for j in range(layer.horizon + 1)}
        offsets.append({o for o in out if -T < o < T})
    seen = set().union(*(offsets[r] for r in top.readout))
    return [[(s - t) in seen for s in range(T)] for t in range(T)]


def with_horizon(top: Topology, horizon: int | Sequence[int]) -> Topology:
    """The same topology with new backward horizons (one for all backward layers, or one per layer).

    Parameters
    ----------
    top : Topology
    horizon : int or sequence of int
        ``h >= 0``; a sequence gives one entry per layer (ignored for forward layers).

    Returns
    -------
    Topology
        Same layers, reads and read-out; the name gains ``h=…``.
    """
    top = check_type(top, Topology, "top", "a theory.topology.Topology")
    if isinstance(horizon, (str, bytes)) or not isinstance(horizon, (numbers.Integral, Sequence)):
        raise TypeError(f"horizon must be an int >= 0 or a sequence of them; got {type(horizon).__name__}")
    hs = [horizon] * len(top.layers) if isinstance(horizon, numbers.Integral) else list(horizon)
    if len(hs) != len(top.layers):
        raise ValueError(f"horizon must be one int or one per layer ({len(top.layers)}); got {len(hs)}")
    for h in hs:
        check_count(h, "horizon", minimum=0, maximum=MAX_HORIZON)
    layers = tuple(Layer(la.width, la.reads, la.direction, h if la.has_backward else 0, la.activation)
                   for la, h in zip(top.layers, hs))
    return Topology(top.input_size, layers, top.readout, f"{top.name} h={','.join(map(str, hs))}".strip())


__all__ = [
    "DIRECTIONS",
    "IDENTITY",
    "MAX_HORIZON",
    "Compiled",
    "Layer",
    "Topology",
    "bidirectional_topology",
    "compile_topology",
    "dense_topology",
    "reference_field",
    "skip_topology",
    "stacked_topology",
    "with_horizon",
]
