"""The result store of the experiments: one JSON file per finished run, written atomically.

A run's result is ``OUT/runs/<run_id>.json``, written the moment the run
finishes through a temporary file renamed over the target, so the file is
either absent or complete and an interrupted invocation resumes by skipping
every run whose file is already there. A file of another format version
(:data:`RESULT_VERSION`) or a torn one counts as missing and is re-run.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from numerics.experiments.specs import RunSpec

#: Format version of the run files; a file of another version is re-run.
RESULT_VERSION = 1


def ensure_directory(path: str | Path, name: str = "out") -> Path:
    """``path`` as an existing directory, created (with its parents) if needed.

    Parameters
    ----------
    path : str or Path
    name : str
        How the error message names the argument (``"--out"`` on the command line).

    Raises
    ------
    ValueError
        If ``path`` exists and is not a directory, or cannot be created.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{name}: {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{name}: cannot create directory {out}: {exc.strerror or exc}") from None
    return out


def runs_dir(out: str | Path) -> Path:
    """``OUT/runs``, created if needed; a clear error if ``out`` is a file or cannot be created."""
    ensure_directory(out)
    return ensure_directory(Path(out) / "runs")


def _umask_mode() -> int:
    # mkstemp creates 0600 files; published results get the mode a plain open() would give.
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_text_atomic(path: Path, write: Callable[[Any], None], newline: str | None = None) -> None:
    """Write through ``write(fh)`` to a temporary file in ``path``'s directory, then rename it over ``path``.

    ``path`` is therefore either absent, the old file, or the complete new
    one, never half-written (the rename is atomic on POSIX and Windows).

    Parameters
    ----------
    path : Path
        Target file; its directory must exist.
    write : callable
        Receives the open text file.
    newline : str, optional
        As for :func:`open` (``""`` for CSV).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline=newline) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON so that ``path`` is either absent or complete, never half-written."""
    write_text_atomic(path, lambda fh: json.dump(data, fh, indent=1, sort_keys=True))


def make_record(spec: RunSpec, result: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The stored form of a finished run: version, id, spec, result, wall time and finishing time."""
    return {"version": RESULT_VERSION, "run_id": spec.run_id, "spec": spec.to_dict(), "result": result,
            "seconds": round(seconds, 3), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def load_record(path: Path) -> dict[str, Any] | None:
    """A finished run's record, or ``None`` if the file is missing, unreadable or of another version."""
    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or rec.get("version") != RESULT_VERSION or "result" not in rec:
        return None
    return rec


def load_records(out: str | Path) -> list[dict[str, Any]]:
    """Every valid run record under ``OUT/runs`` (sorted by file name)."""
    d = Path(out) / "runs"
    if not d.is_dir():
        return []
    recs = [load_record(p) for p in sorted(d.glob("*.json"))]
    return [r for r in recs if r is not None]
