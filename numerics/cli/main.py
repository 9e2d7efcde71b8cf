"""The ``drnn`` command line.

Sub-commands live in their own modules; each module in :data:`COMMAND_MODULES`
exposes ``register(subparsers)``, which adds its parser and sets
``func(args) -> int`` as the handler. Bad input (``ValueError``,
``TypeError``, ``OSError``) becomes a one-line message on stderr and exit
code 2; a run that completes with unexpected results exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Modules providing sub-commands (``register(subparsers)``).
COMMAND_MODULES: tuple[str, ...] = (
    "numerics.cli.verify",
    "numerics.cli.figures",
    "numerics.cli.reproduce",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drnn",
        description="Reference toolkit for delayed recurrent networks: verify the theory, "
                    "draw its figures, reproduce its experiments.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``drnn`` console script; returns the exit code."""
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
