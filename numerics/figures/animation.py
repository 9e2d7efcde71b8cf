"""The wavefront animation: step by step, which nodes of the stacked network one d-RNN step computes."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib as mpl
from matplotlib.animation import Animation, FuncAnimation, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import Circle, FancyArrowPatch

from numerics._validate import check_path
from numerics.figures._style import HIGHLIGHT, MAX_GRID
from numerics.figures.slides import MIN_TEXT_PT, SLIDE_TITLE_PT, slide_figure
from theory._checks import check_choice, check_count, check_type

#: Highest resolution of the saved frames: 600 dpi is 4800 × 2700 pixels per frame already.
MAX_DPI = 600
#: Lowest: below a few dpi the frames round to a handful of pixels and the GIF writer fails (IndexError).
MIN_DPI = 10


def wavefront_animation(L: int = 4, T: int = 8, *, interval_ms: int = 900) -> FuncAnimation:
    """An animation of the d-RNN steps ``1 … T + L - 1`` over the unrolled stacked network.

    Frame ``s`` fills the nodes computed so far (``t + l - 1 <= s``),
    outlines the nodes of step ``s`` (its wavefront: ``h^l_t`` with
    ``t + l - 1 = s``, one per busy block) and leaves later nodes empty.
    The figure is a 16:9 slide figure.

    Parameters
    ----------
    L, T : int
        Layers and time steps (1 to :data:`~numerics.figures._style.MAX_GRID`).
    interval_ms : int
        Time between frames in milliseconds.

    Returns
    -------
    FuncAnimation
        ``T + L - 1`` frames; save with :func:`save_wavefront_animation`
        or show in a notebook with ``to_jshtml()``.
    """
    L, T = check_count(L, "L", maximum=MAX_GRID), check_count(T, "T", maximum=MAX_GRID)
    interval_ms = check_count(interval_ms, "interval_ms")
    last = T + L - 1
    fig = slide_figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    cmap = mpl.colormaps["viridis"].resampled(last)
    r = 0.3
    for l in range(1, L + 1):
        for t in range(1, T + 1):
            ax.add_patch(FancyArrowPatch((t, l - 1 + r), (t, l - r), arrowstyle="-|>", mutation_scale=10,
                                         color="0.6", lw=1.0))
            if t > 1:
                ax.add_patch(FancyArrowPatch((t - 1 + r, l), (t - r, l), arrowstyle="-|>", mutation_scale=10,
                                             color="0.6", lw=1.0))
    for t in range(1, T + 1):
        ax.text(t, 0, f"$x_{{{t}}}$", ha="center", va="center", fontsize=MIN_TEXT_PT + 3)
    nodes = {}
    for l in range(1, L + 1):
        for t in range(1, T + 1):
            nodes[(l, t)] = ax.add_patch(Circle((t, l), r, facecolor="white", edgecolor="0.3", lw=1.0))
    labels = {key: ax.text(key[1], key[0], "", ha="center", va="center", fontsize=MIN_TEXT_PT + 2,
                           fontweight="bold") for key in nodes}
    ax.set_xlim(0.55, T + 0.45)
    ax.set_ylim(-0.45, L + 0.45)
    ax.set_aspect("equal")
    ax.set_xticks(range(1, T + 1))
    ax.set_yticks(range(0, L + 1), ["input $x_t$", *[f"layer {l}: $h^{l}_t$" for l in range(1, L + 1)]])
    ax.tick_params(labelsize=MIN_TEXT_PT + 2, length=0)
    ax.set_xlabel("time $t$", fontsize=MIN_TEXT_PT + 2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    title = fig.suptitle("", fontsize=SLIDE_TITLE_PT + 1)

    def draw(s: int) -> list:
        for (l, t), node in nodes.items():
            k = t + l - 1
            node.set_facecolor(cmap(k - 1) if k <= s else "white")
            node.set_edgecolor(HIGHLIGHT if k == s else "0.3")
            node.set_linewidth(4.0 if k == s else 1.0)
            labels[(l, t)].set_text(str(k) if k <= s else "")
            labels[(l, t)].set_color("white" if k < 0.6 * last else "black")
        busy = sum(1 for l in range(1, L + 1) if 1 <= s - l + 1 <= T)
        title.set_text(f"d-RNN step {s} of {last}: {busy} block{'s' if busy != 1 else ''} busy, "
                       f"one wide recurrent step")
        return [*nodes.values(), *labels.values(), title]

    return FuncAnimation(fig, draw, frames=range(1, last + 1), interval=interval_ms, blit=False)


#: Text of the player's buttons in place of matplotlib's Font Awesome icons (loaded from a CDN).
_BUTTON_TEXT = {
    "fa fa-minus": "−", "fa fa-fast-backward": "⇤", "fa fa-step-backward": "◁",
    "fa fa-play fa-flip-horizontal": "◀", "fa fa-pause": "❚❚", "fa fa-play": "▶",
    "fa fa-step-forward": "▷", "fa fa-fast-forward": "⇥", "fa fa-plus": "+",
}


def offline_jshtml(anim: FuncAnimation, default_mode: str = "once") -> str:
    """The animation as an HTML5/JavaScript fragment that needs no network.

    :meth:`FuncAnimation.to_jshtml` embeds the frames and the player's
    script, but links the Font Awesome style sheet from a CDN for the icons
    of its buttons; offline the buttons would be blank. Here the link is
    removed and each icon replaced by a Unicode symbol.

    Parameters
    ----------
    anim : FuncAnimation
    default_mode : {"once", "loop", "reflect"}

    Returns
    -------
    str
        An HTML fragment (a ``<div>`` and its ``<script>``) with no network reference.

    Raises
    ------
    TypeError, ValueError
        If ``anim`` is not a matplotlib Animation or ``default_mode`` not one of the modes above.
    ValueError
        If the fragment still names a network resource (a new matplotlib player).
    """
    check_type(anim, Animation, "anim", "a matplotlib Animation")
    check_choice(default_mode, ("once", "loop", "reflect"), "default_mode")
    page = anim.to_jshtml(default_mode=default_mode)
    page = re.sub(r"<link[^>]*font-awesome[^>]*>", "", page, flags=re.S)
    for icon, text in _BUTTON_TEXT.items():
        page = page.replace(f'<i class="{icon}"></i>', f'<span aria-hidden="true">{text}</span>')
    left = re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}/", page)
    if left or 'class="fa ' in page:
        raise ValueError(f"the animation player still needs the network: {left[:1] or 'an icon'}")
    return page


#: Resolution of the saved GIF: 160 dpi makes the 8 × 4.5 inch frames 1280 × 720 pixels (720p).
GIF_DPI = 160


def save_wavefront_animation(out: Path, L: int = 4, T: int = 8, *, dpi: int = GIF_DPI) -> list[Path]:
    """Write ``wavefront_animation.gif`` (Pillow) and ``wavefront_animation.html`` (HTML5/JavaScript) to ``out``.

    Parameters
    ----------
    out : Path or str
        Existing directory.
    L, T : int
        Layers and time steps (1 to :data:`~numerics.figures._style.MAX_GRID`).
    dpi : int
        Resolution of the frames (the default 160 gives 1280 × 720 pixels, every label at least
        24 pixels tall), at most :data:`MAX_DPI`.

    Returns
    -------
    list of Path
        The GIF and the HTML file (which needs no network: :func:`offline_jshtml`).

    Raises
    ------
    TypeError, ValueError
        Naming the argument: ``out`` not an existing directory, ``L``, ``T`` or ``dpi`` out of range.
    """
    out = check_path(out, "out", directory=True)
    dpi = check_count(dpi, "dpi", minimum=MIN_DPI, maximum=MAX_DPI)
    anim = wavefront_animation(L, T)
    gif, html = out / "wavefront_animation.gif", out / "wavefront_animation.html"
    anim.save(gif, writer=PillowWriter(fps=1), dpi=dpi)
    page = offline_jshtml(anim)
    html.write_text("<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>The d-RNN wavefront</title>"
                    f"</head><body>\n{page}\n</body></html>\n", encoding="utf-8")
    return [gif, html]


__all__ = [
    "MAX_DPI",
    "offline_jshtml",
    "save_wavefront_animation",
    "wavefront_animation",
]
