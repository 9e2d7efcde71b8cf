"""A lecture deck as one 16:9 PDF: stacked → delayed → receptive fields → bidirectional.

Every page is one slide figure of :data:`numerics.figures.slides.SLIDE_FIGURES`
or one page of equations drawn with matplotlib's mathtext, all ``8 × 4.5``
inches (16:9) with no text smaller than
:data:`~numerics.figures.slides.MIN_TEXT_PX` pixels at 1024 pixels wide.
:data:`DECK` lists the pages in order; :func:`write_deck` saves them with
``PdfPages`` (``drnn slides --out DIR``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

from numerics._validate import check_path
from numerics.figures._style import HIGHLIGHT, SHIFT_COLOURS, check_figure
from numerics.figures.palette import OKABE_ITO
from numerics.figures.slides import MIN_TEXT_PT, SLIDE_FIGURES, SLIDE_TITLE_PT, slide_figure
from theory._checks import check_count, check_sequence, check_type

#: Font size (points) of the equations on an equation page.
EQUATION_PT = 17.0

#: PDF metadata of the deck; no creation date, so two runs write the same bytes.
DECK_METADATA = {"Title": "Stacked, delayed and bidirectional RNNs", "Author": "drnn-toolkit",
                 "CreationDate": None}


def title_page() -> Figure:
    """The deck's title page."""
    fig = slide_figure()
    fig.text(0.5, 0.66, "Stacked, delayed and bidirectional RNNs", ha="center", va="center",
             fontsize=SLIDE_TITLE_PT + 9, fontweight="bold")
    fig.text(0.5, 0.50, "A stacked RNN is one wide recurrent layer with a delay", ha="center",
             va="center", fontsize=SLIDE_TITLE_PT + 1)
    fig.text(0.5, 0.30, "stacked  →  delayed  →  receptive fields  →  bidirectional", ha="center",
             va="center", fontsize=SLIDE_TITLE_PT, color="0.3")
    fig.text(0.5, 0.10, "drawn by drnn-toolkit:  drnn slides --out DIR", ha="center", va="center",
             fontsize=MIN_TEXT_PT + 1, color="0.4", family="monospace")
    return fig


def equation_page(title: str, lines: Sequence[str], note: str | None = None) -> Figure:
    """A page of equations: a title, centred mathtext lines, and an optional plain-text note.

    Parameters
    ----------
    title : str
    lines : sequence of str
        One equation (mathtext, ``$…$``) or short sentence per line, at most 5.
    note : str, optional
        One closing sentence in grey at the bottom.

    Returns
    -------
    Figure
        A 16:9 slide figure.

    Raises
    ------
    TypeError, ValueError
        If ``title`` or ``note`` is not a str, or ``lines`` is not 1 to 5 strings.
    """
    check_type(title, str, "title")
    if note is not None:
        check_type(note, str, "note", "a str or None")
    lines = check_sequence(lines, "lines", "str (1 to 5 lines)", nonempty=True)
    if len(lines) > 5:
        raise ValueError(f"lines must hold 1 to 5 lines (an equation page); got {len(lines)}")
    for i, line in enumerate(lines):
        check_type(line, str, f"lines[{i}]")
    fig = slide_figure()
    fig.text(0.5, 0.9, title, ha="center", va="center", fontsize=SLIDE_TITLE_PT + 4, fontweight="bold")
    top, bottom = 0.72, 0.28 if note else 0.18
    step = (top - bottom) / max(len(lines) - 1, 1)
    for i, line in enumerate(lines):
        y = top - i * step if len(lines) > 1 else (top + bottom) / 2
        fig.text(0.5, y, line, ha="center", va="center", fontsize=EQUATION_PT)
    if note:
        fig.text(0.5, 0.1, note, ha="center", va="center", fontsize=MIN_TEXT_PT + 2, color="0.3", wrap=True)
    return fig


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
        _node(ax, c, 1, f"$\\overrightarrow{{h}}_{t}$", SHIFT_COLOURS["input"])
        _node(ax, c, 2, f"$\\overleftarrow{{h}}_{t}$", SHIFT_COLOURS["acausal"])
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
    ax.set_yticks([0, 1, 2, 3], ["input $x_t$", "forward", "backward",
                                 "$y_t = [\\overrightarrow{h}_t; \\overleftarrow{h}_t]$"])
    ax.tick_params(labelsize=MIN_TEXT_PT + 1, length=0)
    ax.set_xlabel("time $t$", fontsize=MIN_TEXT_PT + 1)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.suptitle("Bidirectional: $y_1$ needs $\\overleftarrow{h}_1$, which needs every input up to $x_T$",
                 fontsize=SLIDE_TITLE_PT + 1)
    return fig


def _eq(title: str, lines: Sequence[str], note: str | None = None) -> Callable[[], Figure]:
    def draw() -> Figure:
        return equation_page(title, lines, note)
    draw.__doc__ = f"Equation page: {title}."
    return draw


def _slide(name: str) -> Callable[[], Figure]:
    def draw() -> Figure:
        return SLIDE_FIGURES[name]()
    draw.__doc__ = f"The slide figure {name!r}."
    return draw


#: The deck, page by page: (page name, zero-argument function drawing the page).
DECK: list[tuple[str, Callable[[], Figure]]] = [
    ("title", title_page),
    ("stacked equations", _eq(
        "A stacked RNN: L layers, each reads the layer below",
        ["$h^0_t = x_t$",
         "$h^l_t = \\varphi_l\\,(W_l\\, h^{l-1}_t + U_l\\, h^l_{t-1} + b_l), \\quad l = 1, \\dots, L$",
         "output $y_t = h^L_t$"],
        "Layer l at time t needs layer l − 1 at the same time t: L sequential steps per input.")),
    ("delayed equations", _eq(
        "A delayed RNN: one wide layer, read out d steps late",
        ["$s_t = \\varphi\\,(\\hat W\\, \\tilde x_t + \\hat U\\, s_{t-1} + \\hat b), \\quad s_t \\in \\mathbb{R}^N$",
         "$s^l_t = \\varphi_l\\,(W_l\\, s^{l-1}_{t-1} + U_l\\, s^l_{t-1} + b_l), \\quad l \\geq 2$",
         "$y_t = C\\, s_{t+d}, \\quad d = L - 1$"],
        "Block l reads block l − 1 from the previous step: all blocks in one matrix product.")),
    ("wavefront", _slide("wavefront")),
    ("block matrices", _slide("block_matrices")),
    ("theorem 1", _eq(
        "Theorem 1: a stacked RNN is a delayed RNN",
        ["if $s^l_{l-1} = h^l_0$ for every block $l$, then",
         "$s^l_t = h^l_{t-l+1}$",
         "and the read-out is the stacked output: $s^L_{t+L-1} = h^L_t$"],
        "Proof: induction on the step t; block l lags l − 1 steps behind the input.")),
    ("block matrices, LSTM", _slide("block_matrices_lstm")),
    ("GRU counterexample", _slide("gru_counterexample")),
    ("lag bookkeeping", _eq(
        "Receptive fields: lags and shifts",
        ["block $k$ has lag $\\lambda_k$; an input edge into block $l$ looks $\\lambda_l$ steps ahead",
         "edge $k \\to l$ carries time forward by $1 + \\lambda_k - \\lambda_l$",
         "shift 0: layer below;  1: own past;  < 0: look-ahead;  ≥ 2: feedback"],
        "Look-ahead: the most steps any path from an input to the read-out runs back in time.")),
    ("sparsity: stacked", _slide("sparsity_stacked")),
    ("receptive field: stacked", _slide("receptive_stacked")),
    ("sparsity: skip 1 layer", _slide("sparsity_skip_1_layer")),
    ("receptive field: skip 1 layer", _slide("receptive_skip_1_layer")),
    ("sparsity: dense", _slide("sparsity_dense")),
    ("receptive field: dense", _slide("receptive_dense_d_rnn")),
    ("bidirectional equations", _eq(
        "A bidirectional RNN: a second layer reads backwards",
        ["$\\overrightarrow{h}_t = \\varphi\\,(W x_t + U \\overrightarrow{h}_{t-1} + b), \\quad t = 1, \\dots, T$",
         "$\\overleftarrow{h}_t = \\varphi\\,(W' x_t + U' \\overleftarrow{h}_{t+1} + b'), \\quad t = T, \\dots, 1$",
         "$y_t = [\\,\\overrightarrow{h}_t\\,;\\, \\overleftarrow{h}_t\\,] \\in \\mathbb{R}^{2n}$"],
        "Fill in the blank: “I went to the ____ to deposit a cheque.” The answer comes later.")),
    ("bidirectional diagram", bidirectional_diagram),
    ("receptive field: bidirectional", _slide("receptive_bidirectional")),
    ("latency", _eq(
        "Online or not: latency buys look-ahead",
        ["bidirectional: sees the whole sequence, no output before it ends",
         "delayed, delay $d$: look-ahead $\\leq d$, output for time $t$ at step $t + d$",
         "stacked: look-ahead 0, but $L$ sequential steps per input"],
        "A delay of d steps is a fixed latency; reversal of length T needs d = T − 1.")),
]


def write_deck(path: Path | str, pages: Sequence[tuple[str, Callable[[], Figure]]] | None = None) -> Path:
    """Draw the pages and save them as one PDF, one page each.

    Parameters
    ----------
    path : Path or str
        The PDF file to write; its directory must exist.
    pages : sequence of (str, callable), optional
        Page names and zero-argument functions returning the page's Figure. Default: :data:`DECK`.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    TypeError, ValueError
        If ``path`` is not a ``.pdf`` file in an existing directory, or ``pages`` not (name, function)
        pairs whose functions return Figures.
    """
    path = check_path(path, "path")
    if path.suffix.lower() != ".pdf":
        raise ValueError(f"path must name a PDF file (the deck); got the file name {path.name!r}")
    pages = DECK if pages is None else _check_pages(pages)
    with PdfPages(path, metadata=DECK_METADATA) as pdf:
        for i, (_name, draw) in enumerate(pages):
            pdf.savefig(check_figure(draw(), f"pages[{i}]'s figure"))
    return path


def _check_pages(pages: object) -> tuple[tuple[str, Callable[[], Figure]], ...]:
    """``pages`` as a tuple of (name, zero-argument drawing function) pairs, else raise naming the bad entry."""
    pairs = check_sequence(pages, "pages", "(name, drawing function) pairs")
    for i, pair in enumerate(pairs):
        pair = check_sequence(pair, f"pages[{i}]", "(name, drawing function)")
        if len(pair) != 2 or not isinstance(pair[0], str) or not callable(pair[1]):
            raise TypeError(f"pages[{i}] must be a (str, callable) pair; "
                            f"got ({', '.join(type(v).__name__ for v in pair)})")
    return pairs


__all__ = [
    "DECK",
    "DECK_METADATA",
    "EQUATION_PT",
    "bidirectional_diagram",
    "equation_page",
    "title_page",
    "write_deck",
]
