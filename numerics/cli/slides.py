"""``drnn slides``: write the lecture deck (:data:`numerics.figures.deck.DECK`) as one 16:9 PDF."""

from __future__ import annotations

import argparse
import time

from numerics.cli._common import output_dir
from numerics.figures.deck import DECK, write_deck

#: File name of the deck inside ``--out``.
DECK_FILE = "drnn_lecture.pdf"


def cmd_slides(args: argparse.Namespace) -> int:
    """Handler of ``drnn slides``."""
    if args.list:
        for i, (name, _draw) in enumerate(DECK, 1):
            print(f"{i:>2}. {name}")
        return 0
    if args.out is None:
        raise ValueError("--out DIR is required (or use --list)")
    out = output_dir(args.out)
    t0 = time.perf_counter()
    path = write_deck(out / DECK_FILE)
    print(f"wrote {path} ({len(DECK)} pages, 16:9, {time.perf_counter() - t0:.1f} s)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``slides`` sub-command."""
    p = subparsers.add_parser(
        "slides",
        help="write the lecture deck as one 16:9 PDF",
        description="Draw the lecture deck (stacked -> delayed -> receptive fields -> bidirectional), "
                    f"one figure or equation per page, and save it as DIR/{DECK_FILE}.",
    )
    p.add_argument("--out", metavar="DIR", help="output directory (created if missing)")
    p.add_argument("--list", action="store_true", help="list the pages and exit")
    p.set_defaults(func=cmd_slides)


__all__ = [
    "DECK_FILE",
    "cmd_slides",
    "register",
]
