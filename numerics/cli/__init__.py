"""The ``drnn`` command line: the only part of the package that prints and exits."""

from numerics.cli.main import main

__all__ = ["main"]
