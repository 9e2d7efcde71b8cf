"""Pieces every ``drnn`` sub-command shares."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from numerics.experiments.storage import ensure_directory


def output_dir(path: str) -> Path:
    """Return ``--out PATH`` as an existing directory, creating it if needed.

    Raises
    ------
    ValueError
        If ``path`` is empty (it would mean the current directory), exists
        and is not a directory, or cannot be created (the command line
        prints it as one line and exits with code 2).
    """
    if not str(path).strip():
        raise ValueError("--out must name a directory; got an empty string")
    return ensure_directory(path, "--out")


@contextlib.contextmanager
def naming(path: str | Path) -> Iterator[None]:
    """Give an ``OSError`` raised inside the block ``path`` as its file name if it names none.

    A failed ``write()`` (``[Errno 27] File too large`` under ``ulimit -f``, a
    full disk) carries no file name, so the one-line message would not say
    which file could not be written.
    """
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc


#: The warning of :func:`settle_matplotlib_backend`, until :func:`take_backend_warning` hands it out.
_backend_warning: list[str] = []


def take_backend_warning() -> str | None:
    """The line saying that ``MPLBACKEND`` was replaced, once per process (``None`` if it was not)."""
    return _backend_warning.pop() if _backend_warning else None


def settle_matplotlib_backend() -> str | None:
    """Make ``MPLBACKEND`` safe to import matplotlib with; return a warning line if it had to be replaced.

    matplotlib refuses to import at all when ``MPLBACKEND`` names no backend,
    which would turn every ``drnn`` command (``--help`` included) into a
    traceback. The commands only write files and draw on ``Figure`` objects
    without pyplot, so Agg is always a correct fallback. The variable is
    rewritten, not just matplotlib's setting, because the spawned worker
    processes of ``drnn reproduce`` import matplotlib again.
    """
    value = os.environ.get("MPLBACKEND")
    if not value or "matplotlib" in sys.modules:
        return None
    del os.environ["MPLBACKEND"]
    try:
        import matplotlib.rcsetup  # imports matplotlib itself with the default backend

        matplotlib.rcsetup.validate_backend(value)
    except ValueError:
        os.environ["MPLBACKEND"] = "Agg"
        matplotlib.use("Agg")
        _backend_warning[:] = [f"drnn: warning: MPLBACKEND={value!r} is not a matplotlib backend; drawing with Agg"]
        return _backend_warning[0]
    os.environ["MPLBACKEND"] = value
    matplotlib.rcParams["backend"] = value
    return None


def quiet_interrupt(signum: int, frame: Any) -> None:
    """SIGINT handler while the command line is still importing: one line, exit code 130."""
    print("drnn: interrupted", file=sys.stderr)
    raise SystemExit(130)
