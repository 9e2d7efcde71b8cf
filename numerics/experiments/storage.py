"""The result store of the experiments: one JSON file per finished run, written atomically.

A run's result is ``OUT/runs/<run_id>.json``, written the moment the run
finishes through a temporary file renamed over the target, so the file is
either absent or complete and an interrupted invocation resumes by skipping
every run whose record is already there.

A record's identity is its spec, not its file name: a renamed copy is the
same run. Every record is checked against a schema when read
(:func:`validate_record`) and carries a SHA-256 of its spec and result, so a
hand-edited value is visible. A damaged record (torn, not JSON, missing or
ill-typed fields, another format version, hash mismatch), a second copy of a
run, or anything in ``runs/`` that is not a regular file is moved to
``OUT/quarantine/`` with a one-line warning (:func:`scan_runs`) and the run is
recomputed: nothing is deleted or overwritten silently. :func:`locked` stops
two invocations from working on the same output directory at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from numerics.experiments.specs import RUNTIME_MODELS, RunSpec

try:  # POSIX; elsewhere the output directory is not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

#: Format version of the run files; a file of another version is quarantined and re-run.
RESULT_VERSION = 2
#: Sub-directory of ``OUT`` that receives damaged or duplicate run files.
QUARANTINE = "quarantine"
LOCK_NAME = ".drnn-reproduce.lock"
#: Largest run file read (a record is a few KB): anything bigger is quarantined unread.
MAX_RECORD_BYTES = 16 << 20
# Temporary files of write_text_atomic: ".<target name>.<random>.tmp".
_TEMP = re.compile(r"^\..+\.tmp$")


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
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.filename is None:  # a failed write() (e.g. "[Errno 27] File too large") names no file
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON so that ``path`` is either absent or complete, never half-written."""
    write_text_atomic(path, lambda fh: json.dump(data, fh, indent=1, sort_keys=True))


def content_hash(spec: dict[str, Any], result: dict[str, Any]) -> str:
    """SHA-256 of a record's spec and result in canonical JSON (sorted keys)."""
    text = json.dumps({"spec": spec, "result": result}, sort_keys=True, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def code_version() -> dict[str, str]:
    """The code that computes a record: the installed package version and, from a git checkout, the commit.

    ``commit`` ends in ``+dirty`` when the checkout has uncommitted changes to tracked files, and is ``""``
    when the package does not run from a git checkout (an installed wheel) or git is unavailable.
    """
    import subprocess
    from importlib import metadata

    try:
        version = metadata.version("drnn-toolkit")
    except metadata.PackageNotFoundError:
        version = "uninstalled"
    root = Path(__file__).resolve().parents[2]
    commit = ""
    if (root / ".git").exists():
        try:
            run = lambda *a: subprocess.run(["git", "-C", str(root), *a], capture_output=True, text=True,  # noqa: E731
                                            timeout=10, check=True).stdout.strip()
            commit = run("rev-parse", "HEAD")
            if run("status", "--porcelain", "--untracked-files=no", "--", "numerics", "theory"):
                commit += "+dirty"
        except (OSError, subprocess.SubprocessError):
            commit = ""
    return {"package": version, "commit": commit}


def make_record(spec: RunSpec, result: dict[str, Any], seconds: float,
                code: dict[str, str] | None = None) -> dict[str, Any]:
    """The stored form of a finished run: version, id, spec, result, content hash, wall time, finishing time.

    ``code`` (default :func:`code_version`) says which code computed the result; it is stored in the
    result (so the content hash covers it) as ``result["code"]``.
    """
    sd = spec.to_dict()
    # Round-trip the result through JSON first so the hash is of exactly what a reader will see.
    res = json.loads(json.dumps({**result, "code": code if code is not None else code_version()}))
    return {"version": RESULT_VERSION, "run_id": spec.run_id, "spec": sd, "result": res,
            "sha256": content_hash(sd, res), "seconds": round(seconds, 3),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def spec_key(spec: RunSpec | dict[str, Any]) -> str:
    """A record's identity: its spec as canonical JSON (file names do not matter)."""
    d = spec.to_dict() if isinstance(spec, RunSpec) else spec
    return json.dumps(d, sort_keys=True)


class RecordError(ValueError):
    """A run file that is not a valid record; the message starts with the file's name."""


def _check_fields(where: dict[str, Any], fields: dict[str, str], name: str, prefix: str) -> None:
    for key, kind in fields.items():
        if key not in where:
            raise RecordError(f"{name}: {prefix}{key} is missing")
        v = where[key]
        if kind == "int":
            ok = isinstance(v, int) and not isinstance(v, bool)
        elif kind == "number":
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        elif kind == "fraction":
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v <= 1.0
        else:  # "time": a finite non-negative number of seconds
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
        if not ok:
            want = {"int": "an int", "number": "a number", "fraction": "a number in [0, 1]",
                    "time": "a finite number >= 0"}[kind]
            raise RecordError(f"{name}: {prefix}{key} must be {want}; got {v!r}")


_TRAINING = {"params": "int", "epochs": "int", "train_seconds": "time"}
_RESULT_FIELDS = {
    "reversal": {**_TRAINING, "test_accuracy": "fraction"},
    "sine": {**_TRAINING, "test_mse": "number", "test_nmse": "number"},
    "runtime": {"T": "int", "batch": "int", "repeats": "int", "width": "int", "depth": "int"},
    "pos": {**_TRAINING, "test_accuracy": "fraction", "test_words": "int", "best_epoch": "int"},
    "mlm": {**_TRAINING, "test_bpc": "number", "test_chars": "int", "test_accuracy": "fraction", "best_epoch": "int"},
}
_RUNTIME_MODEL_FIELDS = {"forward_s": "time", "forward_backward_s": "time", "params": "int", "width": "int"}


def validate_record(rec: Any, name: str = "record") -> RunSpec:
    """Check a parsed run file against the record schema and return its spec.

    Parameters
    ----------
    rec : Any
        The parsed JSON.
    name : str
        How messages name the file (e.g. ``"runs/x.json"``).

    Returns
    -------
    RunSpec

    Raises
    ------
    RecordError
        (a ``ValueError``) naming the file and the first problem: another
        format version, a missing or ill-typed field, a spec that is not a
        valid :class:`RunSpec`, or a content hash that does not match.
    """
    if not isinstance(rec, dict):
        raise RecordError(f"{name}: a record must be a JSON object; got {type(rec).__name__}")
    if rec.get("version") != RESULT_VERSION:
        raise RecordError(f"{name}: format version {rec.get('version')!r}; this version of drnn reads "
                          f"{RESULT_VERSION}")
    for key in ("spec", "result"):
        if not isinstance(rec.get(key), dict):
            raise RecordError(f"{name}: {key} must be a JSON object; got {rec.get(key)!r}"[:300])
    try:
        spec = RunSpec.from_dict(rec["spec"])
        same = spec.to_dict() == rec["spec"]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RecordError(f"{name}: spec is not a valid run spec ({type(exc).__name__}: {exc})") from None
    if not same:
        raise RecordError(f"{name}: spec has unknown or non-canonical fields")
    res = rec["result"]
    _check_fields(res, _RESULT_FIELDS[spec.task], name, "result.")
    if spec.task == "runtime":
        models = res.get("models")
        if not isinstance(models, dict) or not {"stacked", "bidirectional"} <= set(models):
            raise RecordError(f"{name}: result.models must map model names ({', '.join(RUNTIME_MODELS)}) "
                              f"to timings")
        for m, v in models.items():
            if not isinstance(v, dict):
                raise RecordError(f"{name}: result.models[{m!r}] must be a JSON object; got {v!r}")
            _check_fields(v, _RUNTIME_MODEL_FIELDS, name, f"result.models[{m!r}].")
        if models["stacked"]["forward_backward_s"] <= 0 or models["bidirectional"]["forward_backward_s"] <= 0:
            raise RecordError(f"{name}: result.models timings of the reference networks must be > 0")
    digest = rec.get("sha256")
    if not isinstance(digest, str):
        raise RecordError(f"{name}: sha256 (content hash) is missing")
    if digest != content_hash(rec["spec"], res):
        raise RecordError(f"{name}: content hash mismatch (spec or result changed after the run was saved)")
    return spec


def _int_digits() -> int:
    # The limit exists from Python 3.10.7 / 3.11 on; 4300 is its default.
    return int(getattr(sys, "get_int_max_str_digits", lambda: 4300)())


def read_record(path: Path, name: str | None = None) -> dict[str, Any]:
    """Read and validate one run file.

    Raises
    ------
    RecordError
        If the file is not a regular file, cannot be read or parsed, or fails
        :func:`validate_record`; the message names the file.
    """
    name = name or str(path)
    try:
        st = path.lstat()
    except OSError as exc:
        raise RecordError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        # Opening a FIFO would block forever; a directory cannot be read at all.
        raise RecordError(f"{name}: not a regular file")
    too_big = f"larger than the {MAX_RECORD_BYTES >> 20} MiB a run record may have"
    if st.st_size > MAX_RECORD_BYTES:  # a sparse 1.5 GB file would otherwise be read whole
        raise RecordError(f"{name}: {st.st_size} bytes, {too_big}")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_RECORD_BYTES + 1)  # the file may grow after the lstat
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"{name}: cannot read ({exc})") from None
    if len(data) > MAX_RECORD_BYTES:
        raise RecordError(f"{name}: more than {MAX_RECORD_BYTES} bytes, {too_big}")
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as exc:
        # An error at the very end of the text, or an open string, means the file stops early (a torn write).
        torn = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        what = "empty file" if not text.strip() else "truncated" if torn else "invalid JSON"
        raise RecordError(f"{name}: {what} ({exc})") from None
    except RecursionError:  # the C decoder stops at the interpreter's recursion limit, cleanly
        raise RecordError(f"{name}: invalid JSON (nested too deeply)") from None
    except ValueError as exc:  # an integer past sys.get_int_max_str_digits()
        raise RecordError(f"{name}: invalid JSON (an integer of more than {_int_digits()} "
                          f"digits: {str(exc)[:120]})") from None
    try:
        spec = validate_record(rec, name)
    except RecursionError:  # nesting below the decoder's limit can still exceed it when hashed
        raise RecordError(f"{name}: nested too deeply") from None
    # The id names the file and is derived from the spec: a missing one is filled in, a different one is an edit.
    run_id = rec.setdefault("run_id", spec.run_id)
    if run_id != spec.run_id:
        raise RecordError(f"{name}: run_id {run_id!r} is not the id of its spec ({spec.run_id})"[:300])
    return rec


def _unique(path: Path) -> Path:
    if not os.path.lexists(path):
        return path
    for i in range(1, 10_000):
        cand = path.with_name(f"{path.name}.{i}")
        if not os.path.lexists(cand):
            return cand
    raise OSError(f"no free name for {path} in the quarantine folder")


def quarantine(path: Path, out: Path, reason: str, warn: Callable[[str], None] | None) -> Path:
    """Move ``path`` to ``OUT/quarantine/`` (never replacing a file there) and warn in one line."""
    qdir = ensure_directory(out / QUARANTINE, "quarantine")
    dest = _unique(qdir / path.name)
    os.rename(path, dest)
    if warn is not None:
        warn(f"warning: {reason}; moved to {dest}")
    return dest


def _run_files(d: Path) -> list[Path]:
    return sorted(p for p in d.iterdir() if p.name.endswith(".json") and not p.name.startswith("."))


def scan_runs(out: str | Path, warn: Callable[[str], None] | None = print) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Every valid record under ``OUT/runs``, keyed by :func:`spec_key`; the rest quarantined.

    A non-regular entry named ``*.json`` (a FIFO, a directory), a damaged
    record, and every copy of a run after the first (the file named
    ``<run_id>.json`` is kept when there is one) are moved to
    ``OUT/quarantine/``, each with one warning line naming the file.
    Call it while holding :func:`locked`.

    Returns
    -------
    dict
        ``spec_key -> (path, record)``.
    """
    out = Path(out)
    d = runs_dir(out)
    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in _run_files(d):
        try:
            rec = read_record(path, f"{d.name}/{path.name}")
        except RecordError as exc:
            quarantine(path, out, str(exc), warn)
            continue
        key = spec_key(rec["spec"])
        if key in found:
            first = found[key][0]
            # Keep the file that carries the run's own name; the other copy goes aside.
            keep, drop = (path, first) if path.name == f"{rec['run_id']}.json" else (first, path)
            found[key] = (keep, rec if keep is path else found[key][1])
            quarantine(drop, out, f"{d.name}/{drop.name}: a second copy of the run in {d.name}/{keep.name}", warn)
            continue
        found[key] = (path, rec)
    return found


def load_records(out: str | Path, warn: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Every valid run record under ``OUT/runs``, one per spec (sorted by file name); touches no file.

    Damaged files are skipped (with a warning through ``warn`` if given);
    :func:`scan_runs` is the variant that moves them aside.
    """
    d = Path(out) / "runs"
    if not d.is_dir():
        return []
    recs: dict[str, dict[str, Any]] = {}
    for path in _run_files(d):
        try:
            rec = read_record(path, f"{d.name}/{path.name}")
        except RecordError as exc:
            if warn is not None:
                warn(f"warning: {exc}; ignored")
            continue
        recs.setdefault(spec_key(rec["spec"]), rec)
    return list(recs.values())


def save_record(out: str | Path, record: dict[str, Any], warn: Callable[[str], None] | None = print) -> Path:
    """Store a finished run as ``OUT/runs/<run_id>.json`` without ever losing it.

    Whatever blocks the target name and is not a regular file (a directory,
    a FIFO) is moved to the quarantine folder first; if the target still
    cannot be written, the record goes under another ``*.json`` name in
    ``runs/`` (identity is the spec, so it still counts as done).

    Returns
    -------
    Path
        Where the record was written.
    """
    out = Path(out)
    d = out / "runs"
    path = d / f"{record['run_id']}.json"
    if os.path.lexists(path) and not stat.S_ISREG(path.lstat().st_mode):
        quarantine(path, out, f"{d.name}/{path.name}: not a regular file, in the way of a finished run", warn)
    try:
        write_json_atomic(path, record)
        return path
    except OSError as exc:
        alt = _unique(d / f"{record['run_id']}.rescued-{os.getpid()}.json")
        write_json_atomic(alt, record)
        if warn is not None:
            warn(f"warning: cannot write {d.name}/{path.name} ({exc.strerror or exc}); saved as {alt}")
        return alt


def clean_stale_temps(out: str | Path) -> list[Path]:
    """Remove temporary files that an interrupted writer left in ``OUT`` and ``OUT/runs``.

    Only regular files named like :func:`write_text_atomic`'s temporaries
    (``.<name>.<random>.tmp``) are removed; call it while holding
    :func:`locked`, so no live writer owns them.
    """
    removed = []
    for d in (Path(out), Path(out) / "runs"):
        if not d.is_dir():
            continue
        for p in d.iterdir():
            if _TEMP.match(p.name) and stat.S_ISREG(p.lstat().st_mode):
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed


_HELD: set[str] = set()


@contextlib.contextmanager
def locked(out: str | Path) -> Iterator[Path]:
    """Hold ``OUT/.drnn-reproduce.lock`` (an advisory ``flock``) for the duration of the block.

    The lock dies with the process that holds it, so a killed invocation
    never leaves a stale lock. Re-entrant within one process.

    Raises
    ------
    ValueError
        If another process holds the lock (the message gives its pid).
    """
    out = ensure_directory(out)
    key = str(out.resolve())
    if key in _HELD or fcntl is None:
        yield out
        return
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise ValueError(f"--out {out} is in use by another drnn reproduce (pid {other}); wait for it to "
                             "finish or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HELD.add(key)
        try:
            yield out
        finally:
            _HELD.discard(key)
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing releases the flock


__all__ = [
    "LOCK_NAME",
    "QUARANTINE",
    "RESULT_VERSION",
    "RecordError",
    "clean_stale_temps",
    "content_hash",
    "ensure_directory",
    "load_records",
    "locked",
    "make_record",
    "quarantine",
    "read_record",
    "runs_dir",
    "save_record",
    "scan_runs",
    "spec_key",
    "validate_record",
    "write_json_atomic",
    "write_text_atomic",
]
