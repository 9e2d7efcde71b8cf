"""Topology plans: the block layout of a delayed RNN, as plain data.

A *plan* says which block of a single wide recurrent layer feeds which,
with what lag, and from which parameter of a stacked network each block of
the assembled weight matrices is copied. It is the one source of truth for
every construction in the toolkit: :mod:`numerics` assembles NumPy arrays
from :meth:`Plan.placements`, :mod:`theory.symbolic` assembles SymPy
matrices from the very same placements.

Conventions (see ``docs/theory``):

* Blocks are numbered ``0 … L-1``; block ``l`` has width ``n_l`` and
  occupies units ``offset[l] : offset[l] + n_l`` of the state
  ``s_t ∈ R^N``, ``N = Σ n_l``.
* Gated cells stack their gates the PyTorch way: the assembled
  ``weight_hh`` has ``G·N`` rows, gate ``g`` occupying rows
  ``g·N … (g+1)·N - 1``, and inside a gate the blocks are in block order.
* Block ``l`` at step ``t`` represents time ``t - lag[l]``. A recurrent edge
  ``k → l`` moves information forward by ``shift = 1 + lag[k] - lag[l]``
  steps of represented time; an input edge into block ``l`` looks
  ``lag[l]`` steps ahead.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from theory._checks import (
    ELMAN_ACTIVATIONS as ELMAN_ACTIVATIONS,  # re-exported: part of the layout's public vocabulary
)
from theory._checks import (
    GATES,
    check_activation,
    check_cell,
    check_choice,
    check_count,
    check_records,
    check_sequence,
    check_sizes,
    check_type,
)

#: Start rules of a delayed network built from a stacked one.
START_RULES: tuple[str, ...] = ("staggered", "zero")

#: Gate names per cell (PyTorch order), used as superscripts in the LaTeX of a plan.
GATE_NAMES: dict[str, tuple[str, ...]] = {"elman": ("",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}

#: What the reset gate of a delayed GRU multiplies: all of ``W_hn h`` (PyTorch) or each block's own part.
GRU_RESETS: tuple[str, ...] = ("full", "own")

Span = tuple[int, int]


def layer_param(kind: str, layer: int, reverse: bool = False) -> str:
    """PyTorch name of a stacked-network parameter, e.g. ``weight_hh_l1``."""
    check_choice(kind, ("weight_ih", "weight_hh", "bias_ih", "bias_hh"), "kind")
    check_count(layer, "layer", minimum=0)
    check_type(reverse, bool, "reverse")
    return f"{kind}_l{layer}" + ("_reverse" if reverse else "")


@dataclass(frozen=True)
class Block:
    """One block of the delayed network's state.

    Attributes
    ----------
    name : str
        Display name, e.g. ``"h1"`` for the block holding stacked layer 1.
    width : int
        Number of units ``n_l``.
    activation : str or None
        Elman activation of the block; ``None`` for gated cells.
    lag : int
        Block at d-RNN step ``t`` represents time ``t - lag``.
    hold : int
        Start schedule: the block keeps its initial state for its first
        ``hold`` steps (``lag`` for the staggered start, 0 for a plain start).
    layer : int or None
        Stacked layer whose parameters fill this block (``None`` if free).
    """

    name: str
    width: int
    activation: str | None
    lag: int
    hold: int = 0
    layer: int | None = None


@dataclass(frozen=True)
class Edge:
    """A recurrent edge ``src → dst``: block ``dst`` reads block ``src`` at the previous step.

    ``source`` names the stacked parameter copied into this block of
    ``weight_hh`` (``None`` for a free, trainable block of a relaxed plan).
    """

    src: int
    dst: int
    source: str | None = None


@dataclass(frozen=True)
class InputEdge:
    """The input ``x_t`` feeds block ``dst`` (through ``weight_ih``)."""

    dst: int
    source: str | None = None


@dataclass(frozen=True)
class Placement:
    """Copy ``source[source_rows, source_cols]`` into ``matrix[rows, cols]``.

    Row and column spans are half-open ``(start, stop)`` pairs. ``cols`` and
    ``source_cols`` are ``None`` for bias vectors.
    """

    matrix: str
    rows: Span
    cols: Span | None
    source: str
    source_rows: Span
    source_cols: Span | None


@dataclass(frozen=True)
class Plan:
    """Block layout of a delayed recurrent network.

    Attributes
    ----------
    cell : {"elman", "lstm", "gru"}
    input_size : int
        Input features ``n_0``.
    blocks : tuple of Block
    recurrent : tuple of Edge
        Non-zero blocks of ``weight_hh`` (per gate, the same pattern).
    inputs : tuple of InputEdge
        Non-zero blocks of ``weight_ih``.
    readout : tuple of int
        Blocks whose concatenated state is the network's output.
    delay : int
        Output for time ``t`` is read at step ``t + delay``.
    bias : bool
        Whether the assembled network has biases (copied per block from
        ``bias_ih_l{layer}`` / ``bias_hh_l{layer}`` when ``layer`` is set).
    gru_reset : {"full", "own"}
        GRU only. ``"full"``: PyTorch's cell, the reset gate multiplies all
        of ``W_hn h + b_hn``. ``"own"``: it multiplies only the own-block
        (diagonal) edges of ``W_hn`` and ``b_hn``; the other edges are added
        outside it (the own-reset d-GRU, claim ``gru-own-reset``).

    Raises
    ------
    TypeError, ValueError
        When built with a field of the wrong kind or out of range, naming it (``blocks[1].width``,
        ``recurrent[0].src``). Any sequence of records is accepted and stored as a tuple.
    """

    cell: str
    input_size: int
    blocks: tuple[Block, ...]
    recurrent: tuple[Edge, ...]
    inputs: tuple[InputEdge, ...]
    readout: tuple[int, ...]
    delay: int
    bias: bool = True
    description: str = field(default="", compare=False)
    gru_reset: str = "full"

    def __post_init__(self) -> None:
        check_cell(self.cell)
        check_choice(self.gru_reset, GRU_RESETS, "gru_reset")
        if self.gru_reset != "full" and self.cell != "gru":
            raise ValueError(f"gru_reset={self.gru_reset!r} applies to cell='gru' only; got cell={self.cell!r}")
        check_count(self.input_size, "input_size")
        check_count(self.delay, "delay", minimum=0)
        check_type(self.bias, bool, "bias")
        check_type(self.description, str, "description")
        # Stored as tuples whatever sequence was given: a Plan is hashable and its fields immutable.
        blocks = check_records(self.blocks, Block, "blocks", nonempty=True)
        recurrent = check_records(self.recurrent, Edge, "recurrent")
        inputs = check_records(self.inputs, InputEdge, "inputs")
        readout = check_sequence(self.readout, "readout", "block indices", nonempty=True)
        for name, value in (("blocks", blocks), ("recurrent", recurrent), ("inputs", inputs), ("readout", readout)):
            object.__setattr__(self, name, value)
        for i, b in enumerate(blocks):
            check_count(b.width, f"blocks[{i}].width")
            check_count(b.lag, f"blocks[{i}].lag", minimum=0)
            check_count(b.hold, f"blocks[{i}].hold", minimum=0)
        last = len(blocks) - 1
        for i, e in enumerate(recurrent):
            check_count(e.src, f"recurrent[{i}].src", minimum=0, maximum=last)
            check_count(e.dst, f"recurrent[{i}].dst", minimum=0, maximum=last)
        for i, e in enumerate(inputs):
            check_count(e.dst, f"inputs[{i}].dst", minimum=0, maximum=last)
        for i, r in enumerate(readout):
            check_count(r, f"readout[{i}]", minimum=0, maximum=last)
        pairs = [(e.src, e.dst) for e in recurrent]
        if len(set(pairs)) != len(pairs):
            raise ValueError("recurrent edges must be distinct (one edge per block pair)")

    # ------------------------------------------------------------------ sizes
    @property
    def gates(self) -> int:
        """Gates per unit: 1 (Elman), 4 (LSTM), 3 (GRU)."""
        return GATES[self.cell]

    @property
    def widths(self) -> tuple[int, ...]:
        """Block widths ``(n_1, …, n_L)``."""
        return tuple(b.width for b in self.blocks)

    @property
    def offsets(self) -> tuple[int, ...]:
        """First unit of each block in the state vector."""
        return tuple(int(o) for o in np.concatenate([[0], np.cumsum(self.widths)[:-1]]))

    @property
    def hidden_size(self) -> int:
        """Width ``N`` of the single recurrent layer."""
        return int(sum(self.widths))

    @property
    def output_size(self) -> int:
        """Width of the read-out (sum of the read-out blocks' widths)."""
        return int(sum(self.blocks[r].width for r in self.readout))

    @property
    def lags(self) -> tuple[int, ...]:
        return tuple(b.lag for b in self.blocks)

    @property
    def holds(self) -> tuple[int, ...]:
        return tuple(b.hold for b in self.blocks)

    @property
    def activations(self) -> tuple[str | None, ...]:
        return tuple(b.activation for b in self.blocks)

    def span(self, block: int) -> Span:
        """Units ``(start, stop)`` of a block in the state vector."""
        check_count(block, "block", minimum=0, maximum=len(self.blocks) - 1)
        o = self.offsets[block]
        return (o, o + self.blocks[block].width)

    def readout_units(self) -> np.ndarray:
        """Indices of the state units that form the output, in read-out order."""
        return np.concatenate([np.arange(*self.span(r)) for r in self.readout])

    def shift(self, edge: Edge) -> int:
        """Represented-time shift ``1 + lag[src] - lag[dst]`` carried by a recurrent edge."""
        check_type(edge, Edge, "edge", "a theory.layout.Edge")
        for end in ("src", "dst"):
            check_count(getattr(edge, end), f"edge.{end}", minimum=0, maximum=len(self.blocks) - 1)
        return 1 + self.blocks[edge.src].lag - self.blocks[edge.dst].lag

    # ------------------------------------------------------------------ masks
    def recurrent_block_mask(self) -> np.ndarray:
        """Boolean ``(L, L)`` array, ``[dst, src]`` true where block ``dst`` reads ``src``."""
        m = np.zeros((len(self.blocks),) * 2, dtype=bool)
        for e in self.recurrent:
            m[e.dst, e.src] = True
        return m

    def input_block_mask(self) -> np.ndarray:
        """Boolean ``(L,)`` array, true where the input feeds the block."""
        m = np.zeros(len(self.blocks), dtype=bool)
        for e in self.inputs:
            m[e.dst] = True
        return m

    def _expand(self, block_mask: np.ndarray, col_widths: Sequence[int]) -> np.ndarray:
        rows = np.repeat(block_mask, self.widths, axis=0)
        units = np.repeat(rows, col_widths, axis=1)
        return np.tile(units, (self.gates, 1))

    def weight_hh_mask(self) -> np.ndarray:
        """Boolean ``(G·N, N)`` unit mask of the recurrent weights."""
        return self._expand(self.recurrent_block_mask(), self.widths)

    def weight_ih_mask(self) -> np.ndarray:
        """Boolean ``(G·N, n_0)`` unit mask of the input weights."""
        return self._expand(self.input_block_mask()[:, None], [self.input_size])

    # ------------------------------------------------------------ placements
    def placements(self) -> list[Placement]:
        """Where each stacked parameter goes in the assembled matrices.

        Only edges and blocks with a stacked source are listed; a relaxed
        plan's free blocks have none. Both the NumPy and the SymPy assembly
        iterate over exactly this list.
        """
        n, out = self.hidden_size, []
        for g in range(self.gates):
            for e in self.inputs:
                if e.source is None:
                    continue
                r0, r1 = self.span(e.dst)
                w = r1 - r0
                out.append(Placement("weight_ih", (g * n + r0, g * n + r1), (0, self.input_size),
                                     e.source, (g * w, (g + 1) * w), (0, self.input_size)))
            for e in self.recurrent:
                if e.source is None:
                    continue
                r0, r1 = self.span(e.dst)
                c0, c1 = self.span(e.src)
                w = r1 - r0
                out.append(Placement("weight_hh", (g * n + r0, g * n + r1), (c0, c1),
                                     e.source, (g * w, (g + 1) * w), (0, c1 - c0)))
            if self.bias:
                for i, b in enumerate(self.blocks):
                    if b.layer is None:
                        continue
                    r0, r1 = self.span(i)
                    w = r1 - r0
                    for kind in ("bias_ih", "bias_hh"):
                        out.append(Placement(kind, (g * n + r0, g * n + r1), None,
                                             layer_param(kind, b.layer), (g * w, (g + 1) * w), None))
        return out

    # --------------------------------------------------------------- display
    def summary(self) -> str:
        """A short human-readable description of the plan; blocks are numbered from 1, as in the theory."""
        lines = [
            f"{self.description or 'delayed ' + self.cell + ' plan'}: {len(self.blocks)} blocks, "
            f"N = {self.hidden_size}, input {self.input_size}, delay {self.delay}"
        ]
        for i, b in enumerate(self.blocks, 1):
            act = f", {b.activation}" if b.activation else ""
            lines.append(f"  block {i} {b.name}: width {b.width}{act}, lag {b.lag}, hold {b.hold}")
        for e in self.inputs:
            lines.append(f"  x -> {self.blocks[e.dst].name}: looks {self.blocks[e.dst].lag} ahead"
                         + (f"  [{e.source}]" if e.source else ""))
        for e in self.recurrent:
            lines.append(f"  {self.blocks[e.src].name} -> {self.blocks[e.dst].name}: shift {self.shift(e)}"
                         + (f"  [{e.source}]" if e.source else ""))
        lines.append("  readout: " + ", ".join(self.blocks[r].name for r in self.readout))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_latex_(self) -> str:
        """Jupyter display: the block matrices ``Û``, ``Ŵ``, ``b̂`` (:func:`plan_latex`)."""
        return plan_latex(self)

    def _repr_html_(self) -> str:
        """Jupyter display: a table of the blocks followed by the block matrices (:func:`plan_html`)."""
        return plan_html(self)


def check_plan(plan: object, name: str = "plan") -> Plan:
    """Return ``plan`` if it is a :class:`Plan`, else raise ``TypeError``."""
    return check_type(plan, Plan, name, "a theory.layout.Plan")


def _block_activations(cell: str, activations: Sequence[str] | str | None, count: int, per: str,
                       ) -> list[str | None]:
    """One checked Elman activation per block (``None`` means ``"tanh"``); all ``None`` for gated cells.

    ``per`` names what the activations belong to in the message ("layer" or "block").
    """
    if cell != "elman":
        return [None] * count
    acts = [activations] * count if isinstance(activations, str) or activations is None else list(activations)
    if len(acts) != count:
        raise ValueError(f"activations must be one str or {count} of them (one per {per}); got {len(acts)}")
    return [check_activation("tanh" if a is None else a, f"activations[{i}]") for i, a in enumerate(acts)]


def stacked_plan(
    cell: str,
    input_size: int,
    hidden_sizes: Sequence[int],
    activations: Sequence[str] | str | None = "tanh",
    *,
    bias: bool = True,
    start: str = "staggered",
    allow_gru: bool = False,
) -> Plan:
    """Plan of the delayed network equivalent to an ``L``-layer stacked RNN (Theorem 1).

    Input weights feed block 0 only; ``weight_hh`` is block lower-bidiagonal
    with ``U_l`` (``weight_hh_l{l}``) on the diagonal and ``W_l``
    (``weight_ih_l{l}``) just below it; block ``l`` has lag ``l``; the read-out
    is the last block with delay ``L - 1``.

    Parameters
    ----------
    cell : {"elman", "lstm"}
        ``"gru"`` is refused: the construction does not hold for GRU (see
        ``docs/theory``; the claim ``gru-naive`` exhibits the counterexample).
    input_size : int
    hidden_sizes : sequence of int, length L
    activations : str or sequence of str, optional
        Elman activation(s), one per layer; ignored (must be ``None`` or
        default) for LSTM.
    bias : bool
    start : {"staggered", "zero"}
        ``"staggered"`` holds block ``l`` at its initial state for its first
        ``l`` steps, reproducing any initial states; ``"zero"`` starts every
        block at once (exact only from the warm-up states).
    allow_gru : bool
        Build the *naive* GRU layout anyway (same blocks as for Elman/LSTM).
        It is not equivalent to the stacked GRU; it exists so the toolkit can
        exhibit the counterexample (claim ``gru-naive``) and run the modified
        own-reset cell (claim ``gru-own-reset``) on the very same layout.

    Returns
    -------
    Plan
    """
    check_cell(cell)
    check_type(allow_gru, bool, "allow_gru")
    if cell == "gru" and not allow_gru:
        raise ValueError(
            "cell='gru' has no block construction: in a single GRU layer the reset gate multiplies "
            "every recurrent input, including block l's reading of block l-1, which a stacked GRU "
            "feeds without the reset gate; see claim 'gru-naive'"
        )
    input_size = check_count(input_size, "input_size")
    sizes = check_sizes(hidden_sizes, "hidden_sizes")
    L = len(sizes)
    acts = _block_activations(cell, activations, L, "layer")
    check_choice(start, START_RULES, "start")
    blocks = tuple(
        Block(f"h{l + 1}", sizes[l], acts[l], lag=l, hold=l if start == "staggered" else 0, layer=l)
        for l in range(L)
    )
    recurrent = tuple(Edge(l, l, layer_param("weight_hh", l)) for l in range(L)) + tuple(
        Edge(l - 1, l, layer_param("weight_ih", l)) for l in range(1, L)
    )
    recurrent = tuple(sorted(recurrent, key=lambda e: (e.dst, e.src)))
    return Plan(
        cell=cell,
        input_size=input_size,
        blocks=blocks,
        recurrent=recurrent,
        inputs=(InputEdge(0, layer_param("weight_ih", 0)),),
        readout=(L - 1,),
        delay=L - 1,
        bias=bias,
        description=f"{'naive ' if cell == 'gru' else ''}stacked {cell} x{L} ({start} start)",
    )


def relaxed_plan(
    cell: str,
    input_size: int,
    widths: Sequence[int],
    recurrent_mask: np.ndarray | Sequence[Sequence[bool]],
    input_mask: np.ndarray | Sequence[bool],
    *,
    delay: int,
    readout: Sequence[int] | None = None,
    activations: Sequence[str] | str | None = "tanh",
    lags: Sequence[int] | None = None,
    bias: bool = True,
    description: str = "",
) -> Plan:
    """Plan of a delayed network with an arbitrary block-sparsity pattern.

    Parameters
    ----------
    cell : {"elman", "lstm", "gru"}
    input_size : int
    widths : sequence of int, length L
    recurrent_mask : bool array, shape (L, L)
        ``[dst, src]`` true where block ``dst`` reads block ``src``.
    input_mask : bool array, shape (L,)
        True where the input feeds the block.
    delay : int
    readout : sequence of int, optional
        Read-out blocks; default the last block.
    activations : str or sequence of str, optional
        Elman activations per block.
    lags : sequence of int, optional
        Represented-time lags for display and the shift bookkeeping; default
        ``(0, 1, …, L-1)`` as in the stacked construction.

    Returns
    -------
    Plan
        All blocks free (no stacked source); ``hold`` is 0.
    """
    check_cell(cell)
    sizes = check_sizes(widths, "widths")
    L = len(sizes)
    rm = np.asarray(recurrent_mask)
    if rm.shape != (L, L) or rm.dtype != bool:
        raise ValueError(f"recurrent_mask must be a bool array of shape ({L}, {L}) (one row and column per entry "
                         f"of widths); got {rm.dtype} {rm.shape}")
    im = np.asarray(input_mask)
    if im.shape != (L,) or im.dtype != bool:
        raise ValueError(f"input_mask must be a bool array of shape ({L},) (one entry per entry of widths); "
                         f"got {im.dtype} {im.shape}")
    acts = _block_activations(cell, activations, L, "block")
    lag_list = list(range(L)) if lags is None else [check_count(g, f"lags[{i}]", 0) for i, g in enumerate(lags)]
    if len(lag_list) != L:
        raise ValueError(f"lags must have {L} entries (one per block); got {len(lag_list)}")
    blocks = tuple(Block(f"b{l + 1}", sizes[l], acts[l], lag=lag_list[l]) for l in range(L))
    recurrent = tuple(Edge(int(s), int(d)) for d, s in zip(*np.nonzero(rm)))
    inputs = tuple(InputEdge(int(d)) for d in np.nonzero(im)[0])
    return Plan(
        cell=cell,
        input_size=check_count(input_size, "input_size"),
        blocks=blocks,
        recurrent=recurrent,
        inputs=inputs,
        readout=tuple(readout) if readout is not None else (L - 1,),
        delay=delay,
        bias=bias,
        description=description or f"relaxed {cell} plan",
    )


# ------------------------------------------------------------------------------------ LaTeX and HTML
# The block matrices live here, beside Plan, because Plan's Jupyter reprs show them: theory.latex
# (the unrolled and stacked equations) builds on these and imports this module, never the reverse.
def param_symbol(source: str, gate: str = "") -> str:
    """LaTeX name of a stacked parameter: ``weight_ih_l1`` → ``W_{2}``, with a gate superscript if given.

    Display names are 1-based as in the paper: ``weight_ih_l0`` is ``W_1``,
    ``weight_hh_l0`` is ``U_1``, ``bias_ih_l0`` is ``b_1``, ``bias_hh_l0`` is
    ``\\bar b_1``; a ``_reverse`` suffix adds the superscript ``r``.

    Raises
    ------
    ValueError
        If ``source`` is not a PyTorch-style ``{weight,bias}_{ih,hh}_l{k}`` name.
    """
    check_type(source, str, "source")
    check_type(gate, str, "gate")
    m = re.fullmatch(r"(weight|bias)_(ih|hh)_l(\d+)(_reverse)?", source)
    if m is None:
        raise ValueError(f"source must look like 'weight_ih_l0' or 'bias_hh_l2'; got {source!r}")
    kind, which, layer, rev = m.groups()
    base = {"weight": {"ih": "W", "hh": "U"}, "bias": {"ih": "b", "hh": r"\bar b"}}[kind][which]
    sup = ",".join(p for p in (gate, "r" if rev else "") if p)
    return f"{base}^{{({sup})}}_{{{int(layer) + 1}}}" if sup else f"{base}_{{{int(layer) + 1}}}"


def bias_symbol(layer: int, gate: str = "") -> str:
    """LaTeX of stacked layer ``layer``'s two biases as one term: ``b_{l+1} + \\bar b_{l+1}`` (0-based ``layer``)."""
    check_count(layer, "layer", minimum=0)
    check_type(gate, str, "gate")
    return param_symbol(layer_param("bias_ih", layer), gate) + " + " + param_symbol(layer_param("bias_hh", layer), gate)


def _check_gate(plan: Plan, gate: str | None) -> str:
    """Return ``gate`` if it names a gate of ``plan.cell`` (``""`` for ``None``), else raise ``ValueError``."""
    return "" if gate is None else check_choice(gate, GATE_NAMES[plan.cell], f"gate of a {plan.cell} plan")


def block_matrix(plan: Plan, matrix: str = "weight_hh", gate: str | None = None) -> str:
    """The block pattern of ``weight_hh`` (``L × L`` blocks) or ``weight_ih`` (``L × 1``) as a ``bmatrix``.

    Parameters
    ----------
    plan : Plan
    matrix : {"weight_hh", "weight_ih"}
    gate : str, optional
        For gated cells, the gate whose rows are shown (``"i"``, ``"f"``, …);
        by default the pattern without gate superscripts (every gate has it).

    Returns
    -------
    str
        ``\\begin{bmatrix} … \\end{bmatrix}``; entry ``[l, k]`` names the
        stacked parameter copied there, ``A_{lk}`` for a free block, ``0`` otherwise.
    """
    plan = check_plan(plan)
    g = _check_gate(plan, gate)
    check_choice(matrix, ("weight_hh", "weight_ih"), "matrix")
    L = len(plan.blocks)
    if matrix == "weight_hh":
        cells = [["0"] * L for _ in range(L)]
        for e in plan.recurrent:
            cells[e.dst][e.src] = param_symbol(e.source, g) if e.source else f"A_{{{e.dst + 1}{e.src + 1}}}"
    else:
        cells = [["0"] for _ in range(L)]
        for e in plan.inputs:
            cells[e.dst][0] = param_symbol(e.source, g) if e.source else f"B_{{{e.dst + 1}}}"
    rows = r" \\ ".join(" & ".join(r) for r in cells)
    return rf"\begin{{bmatrix}} {rows} \end{{bmatrix}}"


def bias_vector(plan: Plan, gate: str | None = None) -> str:
    """The assembled bias ``b̂ = [b_1 + b̄_1; …]`` as a one-column ``bmatrix`` (``c_l`` rows for free blocks)."""
    plan = check_plan(plan)
    g = _check_gate(plan, gate)
    rows = []
    for l, b in enumerate(plan.blocks):
        if not plan.bias:
            rows.append("0")
        elif b.layer is None:
            rows.append(rf"c_{{{l + 1}}}")
        else:
            rows.append(bias_symbol(b.layer, g))
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def plan_latex(plan: Plan) -> str:
    """Display math for a plan: ``Û``, ``Ŵ``, ``b̂`` and the delay (for ``_repr_latex_``)."""
    plan = check_plan(plan)
    gates = "" if plan.cell == "elman" else r"\quad \text{(each gate)}"
    return (rf"$$\hat U = {block_matrix(plan)}, \quad \hat W = {block_matrix(plan, 'weight_ih')}, \quad "
            rf"\hat b = {bias_vector(plan)}, \quad d = {plan.delay}{gates}$$")


def plan_html(plan: Plan) -> str:
    """An HTML summary table of the blocks and edges, followed by the block matrices (MathJax)."""
    plan = check_plan(plan)
    head = html.escape(plan.description or f"delayed {plan.cell} plan")
    rows = "".join(
        f"<tr><td>{i + 1}</td><td>{html.escape(b.name)}</td><td>{b.width}</td><td>{html.escape(str(b.activation))}"
        f"</td><td>{b.lag}</td><td>{b.hold}</td><td>{'' if b.layer is None else b.layer + 1}</td></tr>"
        for i, b in enumerate(plan.blocks))
    table = ("<table><thead><tr><th>block</th><th>name</th><th>width</th><th>activation</th><th>lag</th>"
             f"<th>hold</th><th>layer</th></tr></thead><tbody>{rows}</tbody></table>")
    return (f"<div><p><b>{head}</b>: {len(plan.blocks)} blocks, N = {plan.hidden_size}, input "
            f"{plan.input_size}, delay {plan.delay}</p>{table}<p>{html.escape(plan_latex(plan))}</p></div>")


__all__ = [
    "GATE_NAMES",
    "GRU_RESETS",
    "START_RULES",
    "Block",
    "Edge",
    "InputEdge",
    "Placement",
    "Plan",
    "bias_symbol",
    "bias_vector",
    "block_matrix",
    "check_plan",
    "layer_param",
    "param_symbol",
    "plan_html",
    "plan_latex",
    "relaxed_plan",
    "stacked_plan",
]
