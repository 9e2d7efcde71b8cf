"""Slide versions of the lecture figures: 16:9, one idea per figure, text readable from the back row.

Every figure of :data:`SLIDE_FIGURES` is ``8 × 4.5`` inches (16:9) and no text
in it is smaller than :data:`MIN_TEXT_PT` points, which is at least
:data:`MIN_TEXT_PX` pixels when the figure is shown 1024 pixels wide (a
projector). :func:`text_sizes_px` measures that from the figure's text
artists; ``drnn figures --style slide`` writes these figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, Patch, Rectangle
from matplotlib.text import Text

from numerics.figures._style import (
    BLOCK_ALPHA,
    FIELD_COLOUR,
    GATE_NAMES,
    HIGHLIGHT,
    SHIFT_COLOURS,
    check_figure,
    new_figure,
    set_labels,
)
from numerics.figures.architecture import plot_sparsity_patterns, plot_wavefront
from numerics.figures.bidirectional import plot_horizon_error, plot_pipeline
from numerics.figures.gru import plot_gru_counterexample
from numerics.figures.palette import OKABE_ITO
from numerics.figures.receptive import _field_outline, _time_ticks, plot_receptive_field, receptive_spectrum
from theory._checks import check_choice, check_count, check_real
from theory.layout import Plan, check_plan, stacked_plan
from theory.topologies import shift_kind, topology_patterns

#: Size of a slide figure in inches (16:9).
SLIDE_SIZE: tuple[float, float] = (8.0, 4.5)
#: Width in pixels at which slide text is measured (a projector).
SLIDE_WIDTH_PX = 1024
#: Smallest text allowed on a slide, in pixels at :data:`SLIDE_WIDTH_PX`.
MIN_TEXT_PX = 18.0
#: Smallest font size used on a slide figure, in points (19.6 px at 1024 px wide).
MIN_TEXT_PT = 11.0
#: Title size of a slide figure, in points.
SLIDE_TITLE_PT = 15.0


def slide_figure() -> Figure:
    """A new empty 16:9 constrained-layout Figure of :data:`SLIDE_SIZE` inches."""
    return Figure(figsize=SLIDE_SIZE, layout="constrained")


def _visible_texts(fig: Figure) -> list[Text]:
    FigureCanvasAgg(check_figure(fig)).draw()  # tick labels exist only once the figure is drawn
    out = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip():
            continue
        if isinstance(t.axes, Axes) and not t.axes.get_visible():
            continue
        out.append(t)
    return out


def text_sizes_px(fig: Figure, width_px: float = SLIDE_WIDTH_PX) -> list[tuple[float, str]]:
    """Height in pixels of every visible text of ``fig`` when the figure is shown ``width_px`` wide.

    A font of ``p`` points is ``p / 72`` inches tall; a figure ``w`` inches
    wide shown ``width_px`` pixels wide has ``width_px / w`` pixels per
    inch, so the text is ``p * width_px / (72 w)`` pixels.

    Parameters
    ----------
    fig : Figure
    width_px : float
        Displayed width of the whole figure in pixels.

    Returns
    -------
    list of (float, str)
        ``(pixels, text)`` of each visible non-empty text artist (titles,
        labels, tick labels, legend entries, annotations), smallest first.

    Raises
    ------
    TypeError, ValueError
        If ``fig`` is not a Figure or ``width_px`` is not a finite number ``> 0``.
    """
    width_px = check_real(width_px, "width_px", positive=True)
    scale = width_px / (72.0 * check_figure(fig).get_figwidth())
    return sorted((t.get_fontsize() * scale, t.get_text()) for t in _visible_texts(fig))


def enlarge_text(fig: Figure, min_pt: float = MIN_TEXT_PT) -> Figure:
    """Raise every visible text of ``fig`` smaller than ``min_pt`` points to ``min_pt``; returns ``fig``."""
    min_pt = check_real(min_pt, "min_pt", positive=True)
    for t in _visible_texts(fig):
        if t.get_fontsize() < min_pt:
            t.set_fontsize(min_pt)
    for ax in fig.axes:
        ax.tick_params(labelsize=max(min_pt, ax.xaxis.get_ticklabels()[0].get_fontsize()
                                     if ax.xaxis.get_ticklabels() else min_pt))
    return fig


def _relegend(fig: Figure, ncol: int, loc: str = "outside lower center") -> None:
    """Redraw the figure legend with ``ncol`` columns at slide size."""
    if not fig.legends:
        return
    old = fig.legends[0]
    handles, labels = old.legend_handles, [t.get_text() for t in old.get_texts()]
    old.remove()
    fig.legend(handles=handles, labels=labels, loc=loc, ncol=ncol, fontsize=MIN_TEXT_PT + 1, frameon=False)


def _title(fig: Figure, text: str) -> None:
    fig.suptitle(text, fontsize=SLIDE_TITLE_PT + 1)


def slide_wavefront() -> Figure:
    """The wavefront of one d-RNN step (4 layers, 6 time steps) as a slide."""
    fig = slide_figure()
    ax = plot_wavefront(L=4, T=6, step=4, ax=fig.add_subplot())
    ax.set_title("")
    _title(fig, "One d-RNN step computes a diagonal wavefront (L = 4, d = 3)")
    return enlarge_text(fig)


def _short_source(source: str | None) -> str:
    """``weight_ih_l0`` → ``$W_1$``, ``weight_hh_l1`` → ``$U_2$`` (1-based layers, as in the theory)."""
    if not source:
        return "free"
    m = re.fullmatch(r"weight_(ih|hh)_l(\d+)", source)
    if not m:
        return source
    return f"${'W' if m.group(1) == 'ih' else 'U'}_{{{int(m.group(2)) + 1}}}$"


def plot_gate_matrices(plan: Plan, *, fig: Figure | None = None) -> Figure:
    """Landscape block matrices: one panel per gate, each the gate's ``[Ŵ | Û]`` with named blocks.

    Panel ``g`` shows the rows of gate ``g`` (PyTorch order; one panel for
    an Elman cell) of the input weights ``Ŵ`` (left of the thick line) and
    the recurrent weights ``Û``. Each non-zero block is coloured by the
    kind of connection and labelled with the stacked matrix it copies,
    ``W_l`` (input to layer ``l``) or ``U_l`` (recurrence of layer ``l``),
    layers numbered from 1.

    Parameters
    ----------
    plan : Plan
    fig : Figure, optional
        Default: a new slide figure.

    Returns
    -------
    Figure
        One Axes per gate.
    """
    check_plan(plan)
    fig = new_figure(fig, SLIDE_SIZE)
    N, n0, G = plan.hidden_size, plan.input_size, plan.gates
    axes = fig.subplots(1, G, squeeze=False, sharey=True)[0]
    # Blocks of a stacked plan are the d-RNN state's blocks s^l (the plan calls them h1, h2, ...).
    names = [re.sub(r"^h(\d+)$", r"$s^{\1}$", b.name) for b in plan.blocks]
    centres = [(a + b) / 2 for a, b in (plan.span(i) for i in range(len(plan.blocks)))]
    for g, ax in enumerate(axes):
        ax.set_xlim(0, n0 + N)
        ax.set_ylim(N, 0)
        boxes = [(plan.span(e.dst), (0, n0), e.source, "input" if plan.blocks[e.dst].lag == 0 else "acausal")
                 for e in plan.inputs]
        boxes += [(plan.span(e.dst), tuple(n0 + c for c in plan.span(e.src)), e.source,
                   shift_kind(plan.shift(e))) for e in plan.recurrent]
        for (r0, r1), (c0, c1), source, kind in boxes:
            ax.fill_between([c0, c1], r0, r1, color=SHIFT_COLOURS[kind], alpha=BLOCK_ALPHA["block_matrices"],
                            lw=0)
            ax.plot([c0, c1, c1, c0, c0], [r0, r0, r1, r1, r0], color="black", lw=1.4)
            ax.text((c0 + c1) / 2, (r0 + r1) / 2, _short_source(source), ha="center", va="center",
                    fontsize=MIN_TEXT_PT + 3)
        ax.axvline(n0, color="black", lw=3)
        for o in plan.offsets[1:-1]:
            ax.axhline(o, color="0.5", lw=0.8, ls=":")
            ax.axvline(n0 + o, color="0.5", lw=0.8, ls=":")
        ax.set_aspect("equal")
        ax.set_xticks([n0 / 2] + [n0 + c for c in centres], ["$x$", *names])
        ax.set_yticks(centres, names)
        ax.tick_params(length=0)
        gate = GATE_NAMES[plan.cell][g]
        set_labels(ax, f"gate {gate}" if gate else None, "reads", "block" if g == 0 else None)
    labels = {"input": "input / layer below (shift 0)", "vertical": "input / layer below (shift 0)",
              "recurrent": "own past (shift 1)", "acausal": "look-ahead (shift < 0)",
              "feedback": "feedback (shift ≥ 2)"}
    others = sorted({shift_kind(plan.shift(e)) for e in plan.recurrent} - {"vertical"},
                    key=list(SHIFT_COLOURS).index)
    kinds = ["vertical", *others]
    handles = [Patch(facecolor=SHIFT_COLOURS[k], alpha=BLOCK_ALPHA["block_matrices"], edgecolor="black",
                     label=labels[k]) for k in kinds]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=MIN_TEXT_PT + 1,
               frameon=False)
    return fig


def slide_block_matrices() -> Figure:
    """The Theorem 1 block layout of a 3-layer Elman network as a slide."""
    fig = plot_gate_matrices(stacked_plan("elman", 2, [2, 2, 2]))
    _title(fig, "Theorem 1 layout: $[\\hat W \\mid \\hat U]$ is block lower-bidiagonal")
    return enlarge_text(fig)


def slide_block_matrices_lstm() -> Figure:
    """The LSTM block layout, gate by gate, as a landscape slide."""
    fig = plot_gate_matrices(stacked_plan("lstm", 2, [2, 2], None))
    _title(fig, "LSTM: every gate gets the same block layout")
    return enlarge_text(fig)


def slide_sparsity(name: str) -> Callable[[], Figure]:
    """A function drawing the sparsity pattern of the topology ``name`` of :func:`topology_patterns`."""
    check_choice(name, tuple(topology_patterns()), "name")

    def draw() -> Figure:
        plan = topology_patterns()[name]
        fig = plot_sparsity_patterns({name: plan}, fig=slide_figure())
        fig.axes[0].set_title("")
        _relegend(fig, 1, "outside right center")
        _title(fig, f"Sparsity pattern: {name}; entry = time shift")
        return enlarge_text(fig)
    draw.__doc__ = f"The block-sparsity pattern of {name!r}, one slide."
    return draw


#: The networks of :func:`receptive_spectrum`, in its order.
_SPECTRUM = ("stacked", "skip 1 layer", "skip 1–2 layers", "dense d-RNN", "bidirectional")


def slide_receptive(index: int) -> Callable[[], Figure]:
    """A function drawing entry ``index`` of :func:`receptive_spectrum`: measured field beside structure."""
    check_count(index, "index", 0, len(_SPECTRUM) - 1)

    def draw() -> Figure:
        e = receptive_spectrum()[index]
        fig = slide_figure()
        ax_j, ax_f = fig.subplots(1, 2)
        plot_receptive_field(e["jacobian"], e["field"], ax=ax_j, title="measured Jacobian")
        T = e["field"].shape[0]
        ax_f.imshow(e["field"], cmap=ListedColormap(["white", FIELD_COLOUR]), vmin=0, vmax=1,
                    extent=(0.5, T + 0.5, T + 0.5, 0.5), interpolation="nearest")
        ax_f.add_collection(LineCollection(_field_outline(e["field"]), colors=HIGHLIGHT, linewidths=2.2))
        ax_f.plot([0.5, T + 0.5], [0.5, T + 0.5], ls="--", color="0.35", lw=1.0)
        ax_f.set_xticks(_time_ticks(T))
        ax_f.set_yticks(_time_ticks(T))
        ax_f.set_aspect("equal")
        set_labels(ax_f, "structure: " + ("matches ✓" if e["matches"] else "differs ✗"), "input time $s$", None)
        ahead = "whole sequence" if e["name"] == "bidirectional" else str(e["lookahead"])
        _title(fig, f"Receptive field, {e['name']}: look-ahead {ahead}")
        return enlarge_text(fig)
    draw.__doc__ = f"Receptive field of spectrum entry {index}, one slide."
    return draw


def slide_gru_counterexample() -> Figure:
    """The GRU counterexample (outputs and per-step error) as a slide; one legend below both panels, off the data."""
    fig = plot_gru_counterexample(fig=slide_figure())
    ax_y, ax_e = fig.axes[:2]
    ax_y.set_title("output $h^L_t$, unit 1")
    ax_e.set_title("max |stacked − delayed| per step")
    ax_e.set_ylabel("error (0 drawn at $10^{-17}$)")
    entries: dict[str, object] = {}
    for ax in (ax_y, ax_e):
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
        ax.get_legend().remove()
    # One entry per network: the GRU lines of the two panels share colours.
    keep = {"stacked GRU": "stacked GRU", "naive d-GRU (block layout)": "naive d-GRU (block layout)",
            "own-reset d-GRU (the fix)": "own-reset d-GRU (the fix)", "LSTM: d-LSTM": "d-LSTM",
            "Elman: d-RNN": "d-RNN (Elman)"}
    fig.legend([entries[k] for k in keep], list(keep.values()), loc="outside lower center", ncol=3,
               fontsize=MIN_TEXT_PT, frameon=False)
    _title(fig, "LSTM holds, GRU breaks (the reset gate mixes blocks)")
    return enlarge_text(fig)


_R = 0.3  # radius of a node of the bidirectional diagram, in data units


def _node(ax: Axes, x: float, y: float, text: str, colour: str, square: bool = False) -> None:
    patch = (Rectangle((x - _R, y - _R), 2 * _R, 2 * _R, facecolor="white", edgecolor="0.3", lw=1.4)
             if square else Circle((x, y), _R, facecolor=colour, edgecolor="0.2", lw=1.2))
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=MIN_TEXT_PT + 2, zorder=4)


def _arrow(ax: Axes, a: tuple[float, float], b: tuple[float, float], colour: str = "0.45") -> None:
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=16, color=colour, lw=1.8,
                                 shrinkA=0, shrinkB=0, zorder=1))


def bidirectional_diagram(T: int = 5) -> Figure:
    """The unrolled one-layer bidirectional network: a forward and a backward chain, concatenated.

    Parameters
    ----------
    T : int
        Number of time steps drawn (2 to 6).

    Returns
    -------
    Figure
        A 16:9 slide figure with one Axes.
    """
    T = check_count(T, "T", minimum=2, maximum=6)
    fig = slide_figure()
    ax = fig.add_subplot()
    gap = 1.6  # horizontal distance of two time steps
    side = 0.45  # horizontal offset of the edges that pass a node
    for t in range(1, T + 1):
        c = gap * t
        _node(ax, c, 0, f"$x_{t}$", "white", square=True)
        _node(ax, c, 1, f"$h^f_{t}$", SHIFT_COLOURS["input"])
        _node(ax, c, 2, f"$h^b_{t}$", SHIFT_COLOURS["acausal"])
        _node(ax, c, 3, f"$y_{t}$", "white", square=True)
        _arrow(ax, (c, _R), (c, 1 - _R))                                   # x -> forward
        ax.plot([c, c - side, c - side], [_R, _R + 0.15, 2 - 0.1], color="0.45", lw=1.8, zorder=1)
        _arrow(ax, (c - side, 2 - 0.1), (c - _R, 2 - 0.05))                  # x -> backward
        _arrow(ax, (c, 2 + _R), (c, 3 - _R))                               # backward -> y
        ax.plot([c + _R, c + side, c + side], [1.05, 1.1, 3 - _R - 0.15], color="0.45", lw=1.8, zorder=1)
        _arrow(ax, (c + side, 3 - _R - 0.15), (c + 0.15, 3 - _R))            # forward -> y
        if t > 1:
            _arrow(ax, (c - gap + _R, 1), (c - _R, 1), colour=OKABE_ITO["blue"])
            _arrow(ax, (c - _R, 2), (c - gap + _R, 2), colour=HIGHLIGHT)
    ax.set_xlim(gap - 0.8, gap * T + 0.8)
    ax.set_ylim(-0.5, 3.5)
    ax.set_aspect("equal")
    ax.set_xticks([gap * t for t in range(1, T + 1)], [str(t) for t in range(1, T + 1)])
    ax.set_yticks([0, 1, 2, 3], ["input $x_t$", "forward $h^f_t$", "backward $h^b_t$",
                                 "output $y_t = [h^f_t; h^b_t]$"])
    ax.tick_params(labelsize=MIN_TEXT_PT + 1, length=0)
    ax.set_xlabel("time $t$", fontsize=MIN_TEXT_PT + 1)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.suptitle(f"Bidirectional: $y_1$ needs $h^b_1$, which needs every input up to $x_{T}$",
                 fontsize=SLIDE_TITLE_PT + 1)
    return fig


def slide_pipeline() -> Figure:
    """The horizon-2 bidirectional layer compiled to one delayed layer (delay 2h = 4), as a slide."""
    fig = slide_figure()
    plot_pipeline(h=2, steps=6, t=2, ax=fig.add_subplot(), slide=True)
    _title(fig, "Horizon $h = 2$ as one delayed layer: delay $2h = 4$")
    return enlarge_text(fig)


def slide_horizon_error() -> Figure:
    """Truncation error against horizon with the bound :math:`\\sqrt{n}\\,\\rho^{h+1}`, as a slide."""
    fig = slide_figure()
    plot_horizon_error(horizons=tuple(range(0, 13)), T=30, ax=fig.add_subplot(), slide=True)
    _title(fig, "Cutting the backward pass at horizon $h$ costs at most $\\sqrt{n}\\,\\rho^{h+1}$")
    return enlarge_text(fig)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


#: Name → zero-argument function drawing each slide figure (``drnn figures --style slide``).
SLIDE_FIGURES: dict[str, Callable[[], Figure]] = {
    "wavefront": slide_wavefront,
    "block_matrices": slide_block_matrices,
    "block_matrices_lstm": slide_block_matrices_lstm,
    **{f"sparsity_{_slug(n)}": slide_sparsity(n) for n in topology_patterns()},
    "gru_counterexample": slide_gru_counterexample,
    "bidirectional_diagram": bidirectional_diagram,
    "bidirectional_pipeline": slide_pipeline,
    "horizon_error": slide_horizon_error,
    **{f"receptive_{_slug(n)}": slide_receptive(i) for i, n in enumerate(_SPECTRUM)},
}


def smallest_text_px(fig: Figure, width_px: float = SLIDE_WIDTH_PX) -> float:
    """Size in pixels of the smallest visible text of ``fig`` shown ``width_px`` wide (``inf`` if none)."""
    sizes = text_sizes_px(fig, width_px)
    return sizes[0][0] if sizes else float(np.inf)


__all__ = [
    "MIN_TEXT_PT",
    "MIN_TEXT_PX",
    "SLIDE_FIGURES",
    "SLIDE_SIZE",
    "SLIDE_TITLE_PT",
    "SLIDE_WIDTH_PX",
    "enlarge_text",
    "plot_gate_matrices",
    "slide_block_matrices",
    "slide_block_matrices_lstm",
    "slide_figure",
    "slide_gru_counterexample",
    "slide_receptive",
    "slide_sparsity",
    "slide_wavefront",
    "smallest_text_px",
    "text_sizes_px",
]
