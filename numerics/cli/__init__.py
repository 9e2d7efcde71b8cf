"""The ``drnn`` command line: the only part of the package that prints and exits."""

import signal

from numerics.cli._common import quiet_interrupt, settle_matplotlib_backend

# Importing the sub-commands takes seconds; a Ctrl-C meanwhile ends the command in one line, not a traceback.
# Not in worker processes, which inherit SIGINT ignored or blocked and import this package too.
if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, quiet_interrupt)

# Before any sub-command imports matplotlib (see settle_matplotlib_backend); main() prints the warning.
settle_matplotlib_backend()

from numerics.cli.main import main  # noqa: E402

if signal.getsignal(signal.SIGINT) is quiet_interrupt:  # only while importing: a library import keeps Python's
    signal.signal(signal.SIGINT, signal.default_int_handler)

__all__ = ["main"]
