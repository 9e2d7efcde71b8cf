"""Pieces every ``drnn`` sub-command shares."""

from __future__ import annotations

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
