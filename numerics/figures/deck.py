"""Pages of the lecture deck, drawn with matplotlib, and the PDF writer of ``drnn slides``.

Every page is ``8 × 4.5`` inches (16:9) with no text smaller than
:data:`~numerics.figures.slides.MIN_TEXT_PX` pixels at 1024 pixels wide and
no text closer than :data:`MARGIN_IN` inches to the page's edge. The page
kinds are :func:`title_page`, :func:`bullets_page`, :func:`equation_page`,
:func:`table_page` and the slide figures of
:data:`~numerics.figures.slides.SLIDE_FIGURES`; text is wrapped by measuring
it, so a reworded sentence still fits. :func:`write_deck` numbers the pages
and saves them as one PDF. Which pages, in which order and with which words,
is the lecture source (:mod:`numerics.figures.lecture`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from numerics._validate import check_path
from numerics.figures._style import check_figure
from numerics.figures.results_tables import ResultTable
from numerics.figures.slides import MIN_TEXT_PT, SLIDE_TITLE_PT, bidirectional_diagram, slide_figure
from theory._checks import check_count, check_sequence, check_type

__all__ = ["DECK_METADATA", "EQUATION_PT", "MARGIN_IN", "bidirectional_diagram", "bullets_page", "content_box",
           "equation_page", "finish_page", "table_page", "title_page", "write_deck"]

#: Font size (points) of the equations on an equation page (smaller only when a line would not fit).
EQUATION_PT = 17.0
#: Font size (points) of bullet text.
BULLET_PT = 15.0
#: Font size (points) of a page title.
PAGE_TITLE_PT = SLIDE_TITLE_PT + 4
#: No text closer than this to the page's edge, in inches (32 pixels at 1024 pixels wide).
MARGIN_IN = 0.25
#: Height of the band at the bottom that holds the slide number and the footer, in inches.
FOOTER_IN = 0.32

#: PDF metadata of the deck; no creation date, so two runs write the same bytes.
DECK_METADATA = {"Title": "Stacked, delayed and bidirectional RNNs", "Author": "drnn-toolkit",
                 "CreationDate": None}

_GREY = "0.3"


def content_box(fig: Figure) -> tuple[float, float, float, float]:
    """``(left, bottom, right, top)`` of the area text may use, as fractions of the page (footer band excluded)."""
    w, h = check_figure(fig).get_size_inches()
    return MARGIN_IN / w, (MARGIN_IN + FOOTER_IN) / h, 1 - MARGIN_IN / w, 1 - MARGIN_IN / h


def _renderer(fig: Figure):
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def _size(fig: Figure, text: str, fontsize: float, **kw) -> tuple[float, float]:
    """Width and height of ``text`` at ``fontsize`` as fractions of the page."""
    t = Text(0, 0, text, fontsize=fontsize, figure=fig, **kw)
    bb = t.get_window_extent(_renderer(fig))
    return bb.width / fig.bbox.width, bb.height / fig.bbox.height


def _words(text: str) -> list[str]:
    """Words of ``text``; a ``$…$`` formula is one word, so a line never breaks inside mathtext."""
    return re.findall(r"(?:\$[^$]*\$|\S)+", text)


def wrap(fig: Figure, text: str, fontsize: float, width: float, **kw) -> str:
    """``text`` with line breaks so that no line is wider than ``width`` (a fraction of the page)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in _words(paragraph):
            trial = f"{line} {word}" if line else word
            if line and _size(fig, trial, fontsize, **kw)[0] > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return "\n".join(lines)


def _title(fig: Figure, title: str) -> float:
    """Draw the page title at the top; returns the fraction of the page below it."""
    left, _, right, top = content_box(fig)
    text = wrap(fig, title, PAGE_TITLE_PT, right - left, fontweight="bold")
    t = fig.text(left, top, text, ha="left", va="top", fontsize=PAGE_TITLE_PT, fontweight="bold")
    bb = t.get_window_extent(_renderer(fig))
    bottom = bb.y0 / fig.bbox.height
    fig.add_artist(Line2D([left, right], [bottom - 0.02] * 2, color="0.75", lw=1.0))
    return bottom - 0.05


def title_page(title: str = "Stacked, delayed and bidirectional RNNs",
               subtitle: str = "A stacked RNN is one wide recurrent layer with a delay",
               lines: Sequence[str] = ()) -> Figure:
    """The deck's title page: title, subtitle and lines such as the citation, centred."""
    check_type(title, str, "title")
    check_type(subtitle, str, "subtitle")
    lines = [check_type(v, str, f"lines[{i}]") for i, v in enumerate(check_sequence(lines, "lines", "str"))]
    fig = slide_figure()
    fig.set_layout_engine(None)
    left, _, right, _ = content_box(fig)
    width = right - left
    fig.text(0.5, 0.72, wrap(fig, title, SLIDE_TITLE_PT + 9, width, fontweight="bold"), ha="center",
             va="center", fontsize=SLIDE_TITLE_PT + 9, fontweight="bold", multialignment="center")
    fig.text(0.5, 0.55, wrap(fig, subtitle, SLIDE_TITLE_PT + 1, width), ha="center", va="center",
             fontsize=SLIDE_TITLE_PT + 1, multialignment="center")
    y = 0.40
    for line in lines:
        text = wrap(fig, line, MIN_TEXT_PT + 2, width)
        t = fig.text(0.5, y, text, ha="center", va="top", fontsize=MIN_TEXT_PT + 2, color=_GREY,
                     multialignment="center")
        y = t.get_window_extent(_renderer(fig)).y0 / fig.bbox.height - 0.02
    return fig


def bullets_page(title: str, items: Sequence[str | Sequence[str]], note: str | None = None) -> Figure:
    """A page of bullet points; an item that is a list of str is a list of sub-points of the item before it.

    The font shrinks from :data:`BULLET_PT` (to no less than ``MIN_TEXT_PT + 1``) when the items would
    not fit the page.

    Raises
    ------
    TypeError, ValueError
        If ``title`` is not a str, ``items`` not a non-empty list of str and lists of str, or the items do
        not fit the page even at the smallest font.
    """
    check_type(title, str, "title")
    if note is not None:
        check_type(note, str, "note", "a str or None")
    items = check_sequence(items, "items", "str or list of str", nonempty=True)
    flat: list[tuple[int, str]] = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            flat.append((0, item))
        else:
            for j, sub in enumerate(check_sequence(item, f"items[{i}]", "str")):
                flat.append((1, check_type(sub, str, f"items[{i}][{j}]")))
    fig = slide_figure()
    fig.set_layout_engine(None)
    left, bottom, right, _ = content_box(fig)
    top = _title(fig, title)
    note_h = 0.0
    if note:
        note_text = wrap(fig, note, MIN_TEXT_PT + 1, right - left)
        fig.text(left, bottom, note_text, ha="left", va="bottom", fontsize=MIN_TEXT_PT + 1, color=_GREY)
        note_h = _size(fig, note_text, MIN_TEXT_PT + 1)[1] + 0.04
    size = BULLET_PT
    while True:
        blocks = []
        for level, text in flat:
            fs = size - 1.5 * level
            x = left + 0.03 + 0.05 * level
            wrapped = wrap(fig, text, fs, right - x - 0.02)
            blocks.append((level, x, fs, wrapped, _size(fig, wrapped, fs)[1]))
        gap = 0.028
        if sum(b[4] for b in blocks) + gap * len(blocks) <= top - bottom - note_h or size <= MIN_TEXT_PT + 1:
            break
        size -= 0.5
    y = top
    for level, x, fs, wrapped, height in blocks:
        fig.text(x - 0.025, y, "•" if level == 0 else "–", ha="left", va="top", fontsize=fs, color=_GREY)
        fig.text(x, y, wrapped, ha="left", va="top", fontsize=fs)
        y -= height + gap
    if y + gap < bottom + note_h - 1e-9:
        raise ValueError(f"items of the page {title!r} do not fit the page; shorten or split them")
    return fig


def equation_page(title: str, lines: Sequence[str], note: str | None = None,
                  where: Sequence[str] = ()) -> Figure:
    """A page of equations: a title, centred mathtext lines, the symbols they use, and a closing note.

    Parameters
    ----------
    title : str
    lines : sequence of str
        One equation (mathtext, ``$…$``) or short sentence per line, at most 5.
    note : str, optional
        One closing sentence in grey at the bottom.
    where : sequence of str
        Definitions of the symbols of the equations (``"$W_l$: input weights of layer $l$"``), drawn
        smaller below them.

    Returns
    -------
    Figure
        A 16:9 slide figure.

    Raises
    ------
    TypeError, ValueError
        If ``title`` or ``note`` is not a str, ``lines`` is not 1 to 5 strings, or ``where`` not strings.
    """
    check_type(title, str, "title")
    if note is not None:
        check_type(note, str, "note", "a str or None")
    lines = check_sequence(lines, "lines", "str (1 to 5 lines)", nonempty=True)
    if len(lines) > 5:
        raise ValueError(f"lines must hold 1 to 5 lines (an equation page); got {len(lines)}")
    for i, line in enumerate(lines):
        check_type(line, str, f"lines[{i}]")
    where = [check_type(w, str, f"where[{i}]") for i, w in enumerate(check_sequence(where, "where", "str"))]
    fig = slide_figure()
    fig.set_layout_engine(None)
    left, bottom, right, _ = content_box(fig)
    top = _title(fig, title)
    width = right - left
    if note:
        text = wrap(fig, note, MIN_TEXT_PT + 1, width)
        fig.text(left, bottom, text, ha="left", va="bottom", fontsize=MIN_TEXT_PT + 1, color=_GREY)
        bottom += _size(fig, text, MIN_TEXT_PT + 1)[1] + 0.04
    if where:
        text = wrap(fig, "where  " + ";   ".join(where), MIN_TEXT_PT + 1, width)
        fig.text(left, bottom, text, ha="left", va="bottom", fontsize=MIN_TEXT_PT + 1, linespacing=1.5)
        bottom += _size(fig, text, MIN_TEXT_PT + 1, linespacing=1.5)[1] + 0.05
    # One font for every line: the largest (up to EQUATION_PT) at which the widest line fits.
    size = EQUATION_PT
    while size > MIN_TEXT_PT + 1 and max(_size(fig, line, size)[0] for line in lines) > width:
        size -= 0.5
    heights = [_size(fig, line, size)[1] for line in lines]
    spare = (top - bottom) - sum(heights)
    gap = min(max(spare / (len(lines) + 1), 0.0), 0.09)
    y = top - gap
    for line, height in zip(lines, heights):
        fig.text(0.5, y, wrap(fig, line, size, width), ha="center", va="top", fontsize=size,
                 multialignment="center")
        y -= height + gap
    return fig


def table_page(title: str, table: ResultTable, note: str | None = None) -> Figure:
    """A page with one table of results: header in bold, rows below, the table's note (its source) at the bottom.

    The columns are as wide as their widest cell; the font shrinks (to no less than ``MIN_TEXT_PT``)
    until the table fits the width.
    """
    check_type(title, str, "title")
    check_type(table, ResultTable, "table", "a ResultTable")
    if note is not None:
        check_type(note, str, "note", "a str or None")
    fig = slide_figure()
    fig.set_layout_engine(None)
    left, bottom, right, _ = content_box(fig)
    top = _title(fig, title)
    width = right - left
    foot = " ".join(s for s in (note, table.note) if s)
    text = wrap(fig, foot, MIN_TEXT_PT + 1, width)
    fig.text(left, bottom, text, ha="left", va="bottom", fontsize=MIN_TEXT_PT + 1, color=_GREY)
    bottom += _size(fig, text, MIN_TEXT_PT + 1)[1] + 0.04
    cols = list(zip(table.header, *table.rows))
    size, pad = MIN_TEXT_PT + 4, 0.03
    while True:  # the largest font at which the table fits the width and the height
        widths = [max(_size(fig, c, size, fontweight="bold" if i == 0 else "normal")[0]
                      for i, c in enumerate(col)) for col in cols]
        row_h = _size(fig, "Ag", size)[1] * 1.6
        fits = sum(widths) + pad * (len(cols) - 1) <= width and row_h * (len(table.rows) + 1) <= top - bottom
        if fits or size <= MIN_TEXT_PT:
            break
        size -= 0.5
    if row_h * (len(table.rows) + 1) > top - bottom:
        raise ValueError(f"the table of the page {title!r} has too many rows for one page")
    if sum(widths) + pad * (len(cols) - 1) > width:
        raise ValueError(f"the table of the page {title!r} is too wide for one page at the smallest font; "
                         "shorten its headers or cells")
    x = left + max(0.0, (width - sum(widths) - pad * (len(cols) - 1)) / 2)
    y0 = top - 0.01
    for col, w in zip(cols, widths):
        for r, cell in enumerate(col):
            fig.text(x + w if r and _numeric(cell) else x, y0 - r * row_h, cell, ha="right" if r and _numeric(cell)
                     else "left", va="top", fontsize=size, fontweight="bold" if r == 0 else "normal")
        x += w + pad
    xs = [left + max(0.0, (width - sum(widths) - pad * (len(cols) - 1)) / 2), x - pad]
    for yy in (y0 - row_h * 0.82, y0 - row_h * (len(table.rows) + 0.82) + row_h * 0.0):
        fig.add_artist(Line2D(xs, [yy, yy], color="0.5", lw=1.0))
    return fig


def _numeric(cell: str) -> bool:
    # A dash stands for a missing number, so it is aligned like one.
    return cell == "–" or bool(re.match(r"^[−+\-]?[\d.]", cell))


def finish_page(fig: Figure, number: int, total: int, footer: str = "") -> Figure:
    """Add the slide number ``number / total`` (and a footer) in the bottom band; keep figures off the margins.

    A figure laid out by the constrained layout is confined to the content box (:func:`content_box`), so
    its titles, labels and legends keep :data:`MARGIN_IN` from the edge and leave the bottom band free.
    """
    check_figure(fig)
    total = check_count(total, "total")
    number = check_count(number, "number", 1, total)
    check_type(footer, str, "footer")
    left, bottom, right, top = content_box(fig)
    engine = fig.get_layout_engine()
    if engine is not None and "rect" in engine.get():
        # The layout would put a suptitle at the figure's top edge whatever the rectangle: pin it at the top
        # of the content box and lay the rest out in the rectangle below it.
        head = top
        title = fig._suptitle
        if title is not None and title.get_text():
            title.set_y(top)
            title.set_verticalalignment("top")
            title._autopos = False
            head = top - title.get_window_extent(_renderer(fig)).height / fig.bbox.height - 0.035
        engine.set(rect=(left, bottom, right - left, head - bottom))
        if fig.legends:
            # The layout leaves room for an "outside" figure legend inside the rectangle but draws the legend
            # at the figure's edge, over the footer: lay out once, freeze, and move the legend into its room.
            FigureCanvasAgg(fig).draw()
            fig.set_layout_engine("none")
            for legend in fig.legends:
                legend.set_bbox_to_anchor((left, bottom, right - left, top - bottom), transform=fig.transFigure)
    base = MARGIN_IN / fig.get_size_inches()[1]
    fig.text(right, base, f"{number} / {total}", ha="right", va="bottom", fontsize=MIN_TEXT_PT, color=_GREY)
    if footer:
        fig.text(left, base, footer, ha="left", va="bottom", fontsize=MIN_TEXT_PT, color=_GREY)
    return fig


def write_deck(path: Path | str, pages: Sequence[tuple[str, Callable[[], Figure]]], footer: str = "") -> Path:
    """Draw the pages, number them and save them as one PDF, one page each.

    Parameters
    ----------
    path : Path or str
        The PDF file to write; its directory must exist.
    pages : sequence of (str, callable)
        Page names and zero-argument functions returning the page's Figure, such as
        :func:`numerics.figures.lecture.lecture_pages` of a lecture source.
    footer : str
        Text at the bottom left of every page but the first.

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
    check_type(footer, str, "footer")
    if path.suffix.lower() != ".pdf":
        raise ValueError(f"path must name a PDF file (the deck); got the file name {path.name!r}")
    pages = _check_pages(pages)
    with PdfPages(path, metadata=DECK_METADATA) as pdf:
        for i, (_name, draw) in enumerate(pages):
            fig = finish_page(check_figure(draw(), f"pages[{i}]'s figure"), i + 1, len(pages),
                              footer if i else "")
            pdf.savefig(fig)
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
    "BULLET_PT",
    "DECK_METADATA",
    "EQUATION_PT",
    "FOOTER_IN",
    "MARGIN_IN",
    "PAGE_TITLE_PT",
    "bullets_page",
    "content_box",
    "equation_page",
    "finish_page",
    "table_page",
    "title_page",
    "write_deck",
]
