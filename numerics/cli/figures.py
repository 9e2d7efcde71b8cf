"""``drnn figures``: write every lecture figure of :data:`numerics.figures.catalogue.FIGURES` to a directory."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from numerics.cli._common import output_dir
from numerics.figures.catalogue import FIGURES

#: Formats ``--format`` accepts; PNG and SVG are written by default.
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")

#: Metadata that would make repeated runs differ byte for byte is left out.
_METADATA = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}


def check_options(names: Sequence[str] | None, formats: Sequence[str], dpi: int) -> tuple[list[str], list[str]]:
    """Validated figure names and formats, each once and in the given order (all figures if ``names`` is empty).

    Raises
    ------
    ValueError
        On an unknown name or format, or a ``dpi`` outside 1–10000.
    """
    chosen = list(dict.fromkeys(names)) if names else list(FIGURES)
    unknown = [n for n in chosen if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure name(s) {unknown}; choose from {list(FIGURES)}")
    fmts = list(dict.fromkeys(formats))
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise ValueError(f"--format must be among {list(FORMATS)}; got {bad or fmts}")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 1 <= dpi <= 10_000:
        raise ValueError(f"--dpi must be an int from 1 to 10000; got {dpi!r}")
    return chosen, fmts


def write_figures(out: Path, formats: Sequence[str] = ("png", "svg"), names: Sequence[str] | None = None,
                  dpi: int = 150, log: bool = True) -> list[Path]:
    """Draw the figures and save each in every format.

    Parameters
    ----------
    out : Path
        Existing directory.
    formats : sequence of {"png", "svg", "pdf"}
    names : sequence of str, optional
        Figure names from :data:`numerics.figures.catalogue.FIGURES` (default: all).
    dpi : int
        Resolution of the PNG files.
    log : bool
        Print one progress line per figure.

    Returns
    -------
    list of Path
        The files written.
    """
    chosen, formats = check_options(names, formats, dpi)
    written: list[Path] = []
    for i, name in enumerate(chosen, 1):
        t0 = time.perf_counter()
        fig = FIGURES[name]()
        paths = []
        for fmt in formats:
            path = out / f"{name}.{fmt}"
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
        for name in FIGURES:
            print(name)
        return 0
    if args.out is None:
        raise ValueError("--out DIR is required (or use --list)")
    # Every option is checked before --out is created, so a mistake leaves no empty directory behind.
    names, formats = check_options(args.only, args.format, args.dpi)
    out = output_dir(args.out)
    written = write_figures(out, formats, names, dpi=args.dpi)
    print(f"wrote {len(written)} files to {out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``figures`` sub-command."""
    p = subparsers.add_parser(
        "figures",
        help="write the lecture figures (PNG and SVG, PDF on request)",
        description="Draw every lecture figure (wavefront, block matrices, sparsity patterns, GRU "
                    "counterexample, receptive fields) and save them to a directory.",
    )
    p.add_argument("--out", metavar="DIR", help="output directory (created if missing)")
    p.add_argument("--format", nargs="+", choices=FORMATS, default=["png", "svg"], metavar="FMT",
                   help="file formats among png, svg, pdf (default: png svg)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="draw only these figures (see --list)")
    p.add_argument("--dpi", type=int, default=150, help="PNG resolution (default 150)")
    p.add_argument("--list", action="store_true", help="list the figure names and exit")
    p.set_defaults(func=cmd_figures)
