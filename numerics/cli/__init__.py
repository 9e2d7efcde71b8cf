"""The ``drnn`` command line: the only part of the package that prints and exits."""

from numerics.cli._common import settle_matplotlib_backend

# Before any sub-command imports matplotlib (see settle_matplotlib_backend); main() prints the warning.
settle_matplotlib_backend()

from numerics.cli.main import main  # noqa: E402

__all__ = ["main"]
