"""The result store of ``drnn reproduce`` under damaged folders: nothing lost, nothing silently wrong.

Every case starts from a finished smoke reversal (seven records), damages
the folder one way, reruns the command and checks that it exits 0, names the
damaged file in one warning line, keeps the damaged bytes in
``OUT/quarantine`` (never deletes them), leaves every intact record byte for
byte as it was, recomputes what was damaged and builds the tables from
exactly this invocation's runs.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from numerics.cli.main import main
from numerics.experiments.profiles import EXPERIMENT_PROFILES, plan_runs
from numerics.experiments.runner import run_all
from numerics.experiments.storage import (
    LOCK_NAME,
    MAX_RECORD_BYTES,
    QUARANTINE,
    RecordError,
    load_records,
    locked,
    make_record,
    read_record,
    validate_record,
)

SMOKE = EXPERIMENT_PROFILES["smoke"]
SPECS = plan_runs(SMOKE, ["reversal"])
DRNN = [sys.executable, "-c", "import sys; from numerics.cli.main import main; sys.exit(main(sys.argv[1:]))"]
ARGS = ["reproduce", "reversal", "--profile", "smoke", "--jobs", "1", "--no-plots", "--out"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "out"
    assert main([*ARGS, str(out)]) == 0
    return out


@pytest.fixture
def out(finished, tmp_path) -> Path:
    dst = tmp_path / "out"
    shutil.copytree(finished, dst)
    return dst


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / "runs").iterdir() if p.is_file()}


def _rerun(out: Path, capsys) -> tuple[str, list[str]]:
    assert main([*ARGS, str(out)]) == 0
    o = capsys.readouterr().out
    return o, [line for line in o.splitlines() if line.startswith("warning:")]


def _table_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "results.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _check_complete(out: Path, before: dict[str, bytes], damaged: str | None) -> None:
    """Every intact record unchanged, every run of the selection present once, the tables built from them."""
    now = _files(out)
    for name, data in before.items():
        if name != damaged:
            assert now[name] == data, f"{name} changed"
    ids = sorted(f"{s.run_id}.json" for s in SPECS)
    assert sorted(n for n in now if n in ids) == ids
    for name in ids:
        read_record(out / "runs" / name)  # valid
    assert len(_table_rows(out)) == len(SPECS)


def _one(out: Path) -> Path:
    return out / "runs" / f"{SPECS[0].run_id}.json"


def _rewrite(path: Path, change) -> None:
    rec = json.loads(path.read_text())
    change(rec)
    path.write_text(json.dumps(rec))


DAMAGE = {
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "truncated"),
    "invalid JSON": (lambda p: p.write_text("{'version': 2}"), "invalid JSON"),
    "empty file": (lambda p: p.write_text(""), "empty file"),
    "not an object": (lambda p: p.write_text("[1, 2]"), "must be a JSON object"),
    "missing spec": (lambda p: _rewrite(p, lambda r: r.pop("spec")), "spec must be a JSON object"),
    "missing result field": (lambda p: _rewrite(p, lambda r: r["result"].pop("test_accuracy")),
                             "result.test_accuracy is missing"),
    "accuracy as a string": (lambda p: _rewrite(p, lambda r: r["result"].update(test_accuracy="0.35")),
                             "result.test_accuracy must be a number in [0, 1]; got '0.35'"),
    "accuracy null": (lambda p: _rewrite(p, lambda r: r["result"].update(test_accuracy=None)),
                      "result.test_accuracy must be a number in [0, 1]; got None"),
    "epochs as a float": (lambda p: _rewrite(p, lambda r: r["result"].update(epochs=2.0)),
                          "result.epochs must be an int"),
    "spec not a run spec": (lambda p: _rewrite(p, lambda r: r["spec"].update(task="translation")),
                            "spec is not a valid run spec"),
    "hand-edited value": (lambda p: _rewrite(p, lambda r: r["result"].update(test_accuracy=0.99)),
                          "content hash mismatch"),
    "hash missing": (lambda p: _rewrite(p, lambda r: r.pop("sha256")), "sha256 (content hash) is missing"),
    "old format version": (lambda p: _rewrite(p, lambda r: r.update(version=1)), "format version 1"),
    # Hostile files (issue 22): each used to block every rerun until removed by hand.
    "deeply nested JSON": (lambda p: p.write_text('{"version": 2, "x": ' + "[" * 200_000 + "]" * 200_000 + "}"),
                           "nested too deeply"),
    "integer past 4,300 digits": (lambda p: p.write_text('{"version": 2, "seconds": ' + "9" * 5000 + "}"),
                                  "invalid JSON (an integer of more than"),
    "run_id not of its spec": (lambda p: _rewrite(p, lambda r: r.update(run_id="reversal-other")),
                               "run_id 'reversal-other' is not the id of its spec"),
    "run_id not a string": (lambda p: _rewrite(p, lambda r: r.update(run_id=[1])),
                            "run_id [1] is not the id of its spec"),
    "over the size cap": (lambda p: p.write_bytes(p.read_bytes().rstrip()[:-1] + b" " * MAX_RECORD_BYTES + b"}"),
                          f"larger than the {MAX_RECORD_BYTES >> 20} MiB a run record may have"),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damaged_record_is_quarantined_and_recomputed(out, capsys, kind):
    damage, message = DAMAGE[kind]
    path = _one(out)
    damage(path)
    damaged_bytes = path.read_bytes()
    before = _files(out)
    _, warnings = _rerun(out, capsys)
    assert len(warnings) == 1, warnings
    assert f"runs/{path.name}" in warnings[0] and message in warnings[0]
    # The damaged bytes are kept aside, and the run is back with a valid record.
    assert (out / QUARANTINE / path.name).read_bytes() == damaged_bytes
    _check_complete(out, before, damaged=path.name)
    assert read_record(path)["result"]["test_accuracy"] != "0.35"


def test_a_huge_sparse_run_file_is_quarantined_without_being_read(out, capsys):
    import tracemalloc

    path = _one(out)
    with open(path, "r+b") as fh:  # 1.5 GB on paper, a few KB on disk
        fh.truncate(1_500_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(RecordError, match=rf"^runs/{path.name}: 1500000000 bytes, larger than the"):
            read_record(path, f"runs/{path.name}")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # the whole file was read before (0.95 GB of memory for a 400 MB one)
    before = _files_small(out)
    _, warnings = _rerun(out, capsys)
    assert len(warnings) == 1 and f"runs/{path.name}: 1500000000 bytes" in warnings[0], warnings
    assert (out / QUARANTINE / path.name).stat().st_size == 1_500_000_000
    _check_complete(out, before, damaged=path.name)


def _files_small(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / "runs").iterdir() if p.is_file() and p.stat().st_size < 1 << 20}


def test_a_copy_without_run_id_counts_as_its_run(out, capsys):
    # run_id is derived from the spec (the hash covers the spec), so a record without it is still the run.
    path = _one(out)
    _rewrite(path, lambda r: r.pop("run_id"))
    shutil.copy(path, out / "runs" / "copy-without-id.json")
    before = _files(out)
    _, warnings = _rerun(out, capsys)
    assert len(warnings) == 1 and "runs/copy-without-id.json: a second copy of the run" in warnings[0], warnings
    assert read_record(path)["run_id"] == SPECS[0].run_id
    _check_complete(out, before, damaged="copy-without-id.json")


def test_renamed_copy_is_one_run_not_two(out, capsys):
    path = _one(out)
    shutil.copy(path, out / "runs" / "copy-of-a-run.json")
    before = _files(out)
    o, warnings = _rerun(out, capsys)
    assert "0 to run" in o
    assert len(warnings) == 1 and "a second copy of the run" in warnings[0] and "copy-of-a-run.json" in warnings[0]
    assert (out / QUARANTINE / "copy-of-a-run.json").read_bytes() == path.read_bytes()
    _check_complete(out, before, damaged="copy-of-a-run.json")
    seeds = [r["seed"] for r in _table_rows(out)]
    assert len(seeds) == len(SPECS)


def test_renamed_record_counts_as_done(out, capsys):
    path = _one(out)
    path.rename(out / "runs" / "renamed.json")
    o, warnings = _rerun(out, capsys)
    assert "0 to run" in o and not warnings and not path.exists()
    assert len(_table_rows(out)) == len(SPECS)


def test_records_of_another_profile_stay_but_are_left_out_of_the_tables(out, capsys):
    other = plan_runs(EXPERIMENT_PROFILES["quick"], ["reversal"])[0]
    rec = make_record(other, {**json.loads(_one(out).read_text())["result"], "test_accuracy": 0.5}, 1.0)
    (out / "runs" / f"{other.run_id}.json").write_text(json.dumps(rec))
    before = _files(out)
    o, warnings = _rerun(out, capsys)
    assert not warnings and "0 to run" in o and "1 stored run(s) of other profiles or tasks left out" in o
    assert _files(out) == before  # nothing moved
    rows = _table_rows(out)
    assert len(rows) == len(SPECS) and {r["T"] for r in rows} == {str(SMOKE.reversal["T"])}
    assert "seeds" in (out / "results.md").read_text()


def test_a_fifo_does_not_hang_and_is_moved_aside(out):
    fifo = out / "runs" / "stray.json"
    os.mkfifo(fifo)
    before = _files(out)
    # In a subprocess with a timeout: a regression must fail the test, not hang the suite.
    proc = subprocess.run([*DRNN, *ARGS, str(out)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "runs/stray.json: not a regular file" in proc.stdout
    assert not os.path.lexists(fifo) and (out / QUARANTINE / "stray.json").is_fifo()
    _check_complete(out, before, damaged=None)


def test_a_directory_in_place_of_a_run_file_does_not_lose_the_fresh_result(out, capsys):
    path = _one(out)
    path.unlink()
    path.mkdir()
    (path / "inside").write_text("kept")
    before = _files(out)
    o, warnings = _rerun(out, capsys)
    assert "1 to run" in o and len(warnings) == 1 and "not a regular file" in warnings[0]
    assert (out / QUARANTINE / path.name / "inside").read_text() == "kept"
    _check_complete(out, before, damaged=None)


def test_a_directory_appearing_at_save_time_does_not_lose_the_result(tmp_path):
    spec = SPECS[0]
    lines: list[str] = []

    def log(line):
        lines.append(line)
        if "to run" in line:  # after the scan, before the run is saved
            (tmp_path / "runs" / f"{spec.run_id}.json").mkdir()

    assert run_all([spec], tmp_path, log=log)["ran"] == [spec.run_id]
    assert read_record(tmp_path / "runs" / f"{spec.run_id}.json")["spec"] == spec.to_dict()
    assert (tmp_path / QUARANTINE / f"{spec.run_id}.json").is_dir()


def test_quarantine_never_overwrites(out, capsys):
    path = _one(out)
    for text in ("first damage", "second damage"):
        path.write_text(text)
        _rerun(out, capsys)
    kept = sorted(p.read_text() for p in (out / QUARANTINE).iterdir())
    assert kept == ["first damage", "second damage"]


def test_stale_temporary_files_are_removed_on_start(out, capsys):
    stale = [out / "runs" / f".{SPECS[0].run_id}.json.abc123.tmp", out / ".results.md.xyz.tmp"]
    for p in stale:
        p.write_text("{")
    keep = out / "runs" / ".hidden-notes"  # not a temporary file of ours
    keep.write_text("mine")
    o, _ = _rerun(out, capsys)
    assert all(not p.exists() for p in stale) and keep.read_text() == "mine"
    assert o.count("removed a temporary file") == 2


def test_second_invocation_on_the_same_out_stops_with_a_clear_message(out, capsys):
    with locked(out):
        code = subprocess.run([*DRNN, *ARGS, str(out)], capture_output=True,
                              text=True, timeout=120)
    assert code.returncode == 2
    err = code.stderr.strip().splitlines()
    assert len(err) == 1 and f"is in use by another drnn reproduce (pid {os.getpid()})" in err[0]
    # The lock is released with the holder: the next invocation runs.
    assert main([*ARGS, str(out)]) == 0
    assert (out / LOCK_NAME).exists()


def test_validate_record_names_the_file():
    with pytest.raises(RecordError, match=r"^runs/x\.json: a record must be a JSON object; got list"):
        validate_record([], "runs/x.json")
    with pytest.raises(ValueError, match=r"^runs/x\.json: format version None"):
        validate_record({}, "runs/x.json")


def test_load_records_skips_damaged_files_with_a_warning_and_touches_nothing(out):
    _one(out).write_text("{")
    before = _files(out)
    warnings: list[str] = []
    recs = load_records(out, warn=warnings.append)
    assert len(recs) == len(SPECS) - 1 and len(warnings) == 1 and "truncated" in warnings[0]
    assert _files(out) == before


_ORPHAN_SCRIPT = textwrap.dedent("""
    import os, sys, time
    from numerics.experiments.runner import worker_pool
    pool = worker_pool(2)
    futures = [pool.submit(time.sleep, 120) for _ in range(2)]
    time.sleep(0.5)
    while len(pool._processes) < 2:
        time.sleep(0.1)
    print(" ".join(str(p) for p in pool._processes), flush=True)
    time.sleep(120)
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead but still listed until reaped.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks /proc")
def test_workers_die_when_the_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN_SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(p) for p in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in workers), "worker processes outlived their parent"
    finally:
        parent.kill()
        for p in workers if "workers" in locals() else []:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
