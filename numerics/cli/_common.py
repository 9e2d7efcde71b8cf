"""Pieces every ``drnn`` sub-command shares."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

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
