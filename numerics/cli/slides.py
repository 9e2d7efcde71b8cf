"""``drnn slides``: draw the lecture deck from its YAML source as one 16:9 PDF, with its figures as PNG and SVG."""

from __future__ import annotations

import argparse
import time

from numerics.cli._common import output_dir
from numerics.figures.deck import write_deck
from numerics.figures.lecture import DEFAULT_SOURCE, lecture_pages, load_lecture

#: File name of the deck inside ``--out``.
DECK_FILE = "drnn_lecture.pdf"
#: Sub-directory of ``--out`` that receives the deck's figures (PNG and SVG).
FIGURES_DIR = "figures"


def cmd_slides(args: argparse.Namespace) -> int:
    """Handler of ``drnn slides``."""
    pages = lecture_pages(args.source, args.results)  # checked before --out is created
    if args.list:
        for i, (name, _draw) in enumerate(pages, 1):
            print(f"{i:>2}. {name}")
        return 0
    if args.out is None:
        raise ValueError("--out DIR is required (or use --list)")
    footer = load_lecture(args.source)["deck"]["footer"]
    out = output_dir(args.out)
    t0 = time.perf_counter()
    path = write_deck(out / DECK_FILE, pages, footer=footer)
    print(f"wrote {path} ({len(pages)} pages, 16:9, {time.perf_counter() - t0:.1f} s)")
    if not args.no_figures:
        from numerics.cli.figures import write_figures  # the figure writer of `drnn figures --style slide`

        names = [p["figure"] for p in load_lecture(args.source)["pages"] if p["kind"] == "figure"]
        folder = output_dir(str(out / FIGURES_DIR))
        written = write_figures(folder, ("png", "svg"), list(dict.fromkeys(names)), log=False, style="slide")
        print(f"wrote {len(written)} figure files (PNG and SVG) to {folder}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``slides`` sub-command."""
    p = subparsers.add_parser(
        "slides",
        help="write the lecture deck as one 16:9 PDF (and its figures as PNG and SVG)",
        description="Draw the 90-minute lecture deck from its YAML source (title, motivation, Theorem 1 and "
                    "its start rule, gated cells, receptive fields, bidirectional networks, experiments read "
                    f"from the committed results, summary), numbered, as DIR/{DECK_FILE}, and every figure it "
                    f"uses as PNG and SVG in DIR/{FIGURES_DIR}/. Copy the source ({DEFAULT_SOURCE.name}, shown "
                    "by --print-source) to reorder or reword the pages without Python.",
    )
    p.add_argument("--out", metavar="DIR", help="output directory (created if missing)")
    p.add_argument("--source", metavar="YAML", help=f"lecture source (default: the packaged {DEFAULT_SOURCE.name})")
    p.add_argument("--results", metavar="DIR",
                   help="directory of committed results (reproduce-<profile>/, bidirectional_conversion.json); "
                        "default: the checkout's benchmarks/; without one the results pages are left out")
    p.add_argument("--no-figures", action="store_true", help="write the PDF only")
    p.add_argument("--list", action="store_true", help="list the pages and exit")
    p.add_argument("--print-source", action="store_true", help="print the packaged lecture source and exit")
    p.set_defaults(func=_dispatch)


def _dispatch(args: argparse.Namespace) -> int:
    if args.print_source:
        print(DEFAULT_SOURCE.read_text(encoding="utf-8"), end="")
        return 0
    return cmd_slides(args)


__all__ = [
    "DECK_FILE",
    "FIGURES_DIR",
    "cmd_slides",
    "register",
]
