"""The ``drnn`` command line.

Each sub-command lives in its own module (:mod:`numerics.cli.verify`,
:mod:`numerics.cli.figures`, :mod:`numerics.cli.slides`,
:mod:`numerics.cli.reproduce`), which exposes
``register(subparsers)``: it adds its parser and sets its handler
``cmd_<name>(args) -> int`` as ``func``. Bad input (``ValueError``,
``TypeError``, ``OSError``) becomes a one-line message on stderr and exit
code 2; a run that completes with unexpected results exits 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from numerics.cli import figures, reproduce, slides, verify
from numerics.cli._common import take_backend_warning


def build_parser() -> argparse.ArgumentParser:
    """The ``drnn`` parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="drnn",
        description="Reference toolkit for delayed recurrent networks: verify the theory, "
                    "draw its figures and slides, reproduce its experiments.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in (verify, figures, slides, reproduce):
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``drnn`` console script; returns the exit code."""
    warning = take_backend_warning()
    if warning:
        print(warning, file=sys.stderr)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, TypeError, OSError) as exc:
        print(f"drnn {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"drnn {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = [
    "build_parser",
    "main",
]
