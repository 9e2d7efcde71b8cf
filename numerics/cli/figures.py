"""``drnn figures``: write every lecture figure of :data:`numerics.figures.catalogue.FIGURES` to a directory."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from numerics.cli._common import naming, output_dir
from numerics.figures.animation import save_wavefront_animation
from numerics.figures.catalogue import FIGURES
from numerics.figures.slides import SLIDE_FIGURES

#: Formats ``--format`` accepts; PNG and SVG are written by default.
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")

#: Figure sets ``--style`` chooses between: the lecture notes' figures and their 16:9 slide versions.
STYLES: dict[str, dict] = {"notes": FIGURES, "slide": SLIDE_FIGURES}

#: Metadata that would make repeated runs differ byte for byte is left out.
_METADATA = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}


def check_options(names: Sequence[str] | None, formats: Sequence[str], dpi: int,
                  style: str = "notes") -> tuple[list[str], list[str]]:
    """Validated figure names and formats, each once and in the given order (all figures if ``names`` is empty).

    Raises
    ------
    ValueError
        On an unknown style, name or format, or a ``dpi`` outside 1–10000.
    """
    if style not in STYLES:
        raise ValueError(f"--style must be one of {list(STYLES)}; got {style!r}")
    figures = STYLES[style]
    chosen = list(dict.fromkeys(names)) if names else list(figures)
    unknown = [n for n in chosen if n not in figures]
    if unknown:
        raise ValueError(f"unknown figure name(s) {unknown}; choose from {list(figures)}")
    fmts = list(dict.fromkeys(formats))
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise ValueError(f"--format must be among {list(FORMATS)}; got {bad or fmts}")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 1 <= dpi <= 10_000:
        raise ValueError(f"--dpi must be an int from 1 to 10000; got {dpi!r}")
    return chosen, fmts


def write_figures(out: Path, formats: Sequence[str] = ("png", "svg"), names: Sequence[str] | None = None,
                  dpi: int = 150, log: bool = True, style: str = "notes") -> list[Path]:
    """Draw the figures and save each in every format.

    Parameters
    ----------
    out : Path
        Existing directory.
    formats : sequence of {"png", "svg", "pdf"}
    names : sequence of str, optional
        Figure names of the chosen style (default: all).
    dpi : int
        Resolution of the PNG files.
    log : bool
        Print one progress line per figure.
    style : {"notes", "slide"}
        ``"notes"``: :data:`numerics.figures.catalogue.FIGURES`; ``"slide"``:
        the 16:9 slide figures of :data:`numerics.figures.slides.SLIDE_FIGURES`.

    Returns
    -------
    list of Path
        The files written.
    """
    chosen, formats = check_options(names, formats, dpi, style)
    figures = STYLES[style]
    written: list[Path] = []
    for i, name in enumerate(chosen, 1):
        t0 = time.perf_counter()
        fig = figures[name]()
        paths = []
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            with naming(path):
                fig.savefig(path, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
            paths.append(path)
        written.extend(paths)
        if log:
            files = ", ".join(p.name for p in paths)
            print(f"[{i}/{len(chosen)}] {name:<22} {files}  ({time.perf_counter() - t0:.1f} s)", flush=True)
    return written


def cmd_figures(args: argparse.Namespace) -> int:
    """Handler of ``drnn figures``."""
    if args.list:
        for name in STYLES[args.style]:
            print(name)
        return 0
    if args.out is None:
        raise ValueError("--out DIR is required (or use --list)")
    # Every option is checked before --out is created, so a mistake leaves no empty directory behind.
    names, formats = check_options(args.only, args.format, args.dpi, args.style)
    out = output_dir(args.out)
    written = write_figures(out, formats, names, dpi=args.dpi, style=args.style)
    if not args.only:
        t0 = time.perf_counter()
        anim = save_wavefront_animation(out)
        written.extend(anim)
        print(f"[animation] wavefront_animation   {', '.join(p.name for p in anim)}  "
              f"({time.perf_counter() - t0:.1f} s)", flush=True)
    print(f"wrote {len(written)} files to {out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``figures`` sub-command."""
    p = subparsers.add_parser(
        "figures",
        help="write the lecture figures (PNG and SVG, PDF on request)",
        description="Draw every lecture figure (wavefront, block matrices, sparsity patterns, GRU "
                    "counterexample, receptive fields) and save them to a directory, with the wavefront "
                    "animation as a GIF and an HTML5 page unless --only is given.",
    )
    p.add_argument("--out", metavar="DIR", help="output directory (created if missing)")
    p.add_argument("--format", nargs="+", choices=FORMATS, default=["png", "svg"], metavar="FMT",
                   help="file formats among png, svg, pdf (default: png svg)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="draw only these figures (see --list)")
    p.add_argument("--dpi", type=int, default=150, help="PNG resolution (default 150)")
    p.add_argument("--style", choices=list(STYLES), default="notes",
                   help="notes (default) or slide: 16:9, one idea per figure, text >= 18 px at 1024 px wide")
    p.add_argument("--list", action="store_true", help="list the figure names and exit")
    p.set_defaults(func=cmd_figures)


__all__ = [
    "FORMATS",
    "STYLES",
    "check_options",
    "cmd_figures",
    "register",
    "write_figures",
]
