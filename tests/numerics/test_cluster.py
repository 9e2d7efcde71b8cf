"""Runs on Dask (``drnn reproduce --scheduler``): the same records as the local runner, and the same guarantees.

The tests that start a real ``LocalCluster`` (two worker processes) are slow
and skipped when ``dask[distributed]`` is not installed; the rest check the
option's parsing and the missing-extra message without Dask.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from numerics.cli.main import main
from numerics.experiments.cluster import parse_scheduler, task_key
from numerics.experiments.profiles import EXPERIMENT_PROFILES, plan_runs
from numerics.experiments.runner import run_all
from numerics.experiments.storage import load_records, spec_key

SMOKE = EXPERIMENT_PROFILES["smoke"]


# ---------------------------------------------------------------- no Dask needed
@pytest.mark.parametrize(("value", "expected"), [
    ("local:2", ("local", 2)),
    ("local:16", ("local", 16)),
    ("tcp://10.0.0.5:8786", ("address", "tcp://10.0.0.5:8786")),
    (" 127.0.0.1:8786 ", ("address", "127.0.0.1:8786")),
])
def test_parse_scheduler(value, expected):
    assert parse_scheduler(value) == expected


@pytest.mark.parametrize("value", ["", "  ", "local:", "local:0", "local:-1", "local:two"])
def test_parse_scheduler_rejects_bad_values(value):
    with pytest.raises(ValueError, match="scheduler"):
        parse_scheduler(value)


def test_bad_scheduler_value_is_one_line_and_touches_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["reproduce", "reversal", "--profile", "smoke", "--out", str(out), "--scheduler", "local:0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "local:N" in err[0]
    assert not (out / "runs").exists()


def test_missing_dask_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    # ``None`` in sys.modules makes ``import distributed`` raise ImportError, as if it were not installed.
    monkeypatch.setitem(sys.modules, "distributed", None)
    out = tmp_path / "out"
    assert main(["reproduce", "reversal", "--profile", "smoke", "--out", str(out), "--scheduler", "local:2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install" in err[0] and "[cluster]" in err[0]
    assert not list(out.glob("runs/*.json"))


def test_dask_is_never_imported_without_scheduler():
    code = ("import sys\nimport numerics.experiments.runner, numerics.experiments.cluster, numerics.cli.reproduce\n"
            "from numerics.cli.main import main\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))[:1])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- a real LocalCluster
try:
    import distributed
except ImportError:  # the cluster extra is not installed
    distributed = None

needs_dask = pytest.mark.skipif(distributed is None, reason="dask[distributed] is not installed (extra 'cluster')")


def _same(a, b, path="result"):
    """Equal records to rounding: ints, strings and bools exactly, floats to 1e-6 relative."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            if k not in ("train_seconds", "seconds"):  # wall times differ, nothing else may
                _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert np.isclose(a, b, rtol=1e-6, atol=1e-9), f"{path}: {a} != {b}"
    else:
        assert a == b, path


def _by_spec(out):
    return {spec_key(r["spec"]): r for r in load_records(out)}


@pytest.fixture(scope="module")
def cluster():
    c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                 env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    client = distributed.Client(c)
    yield c, client
    client.close()
    c.close()


@pytest.mark.slow
@needs_dask
def test_local_cluster_gives_the_local_runners_records(tmp_path, capsys):
    specs = plan_runs(SMOKE, ["reversal", "sine"])
    run_all(specs, tmp_path / "local", jobs=1, log=None)
    assert main(["reproduce", "reversal", "--profile", "smoke", "--out", str(tmp_path / "dask"), "--no-plots",
                 "--scheduler", "local:2"]) == 0
    assert main(["reproduce", "sine", "--profile", "smoke", "--out", str(tmp_path / "dask"), "--no-plots",
                 "--scheduler", "local:2"]) == 0
    out = capsys.readouterr().out
    assert "LocalCluster of 2 worker processes" in out and "Dask dashboard: http" in out
    assert f"[{'#' * 20}] " in out  # progress lines as runs finish
    local, dask = _by_spec(tmp_path / "local"), _by_spec(tmp_path / "dask")
    assert set(local) == set(dask) and len(local) == len(specs)
    for key, rec in local.items():
        assert dask[key]["run_id"] == rec["run_id"]
        _same(rec["result"], dask[key]["result"])
    assert (tmp_path / "dask" / "results.md").is_file()


@pytest.mark.slow
@needs_dask
def test_a_worker_killed_mid_run_loses_nothing_and_its_run_is_retried(tmp_path, cluster):
    lc, client = cluster
    specs = plan_runs(SMOKE, ["reversal"])
    # One run long enough (seconds) to be killed while it trains; the others finish around it.
    base = specs[0]
    long = dataclasses.replace(base, train=dataclasses.replace(base.train, epochs=1000, patience=1000))
    specs = [long, *specs]
    killed: list[int] = []
    finished_before: list[bool] = []

    def killer() -> None:
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            executing = client.run(lambda dask_worker: [str(t.key) for t in dask_worker.state.executing])
            for addr, keys in executing.items():
                if task_key(long) in keys:
                    time.sleep(0.05)  # inside the run (on an idle machine 1000 epochs take seconds)
                    pid = client.run(os.getpid, workers=[addr])[addr]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    finished_before.append((tmp_path / "runs" / f"{long.run_id}.json").exists())
                    return
            time.sleep(0.05)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    lines: list[str] = []
    run_all(specs, tmp_path, scheduler=lc.scheduler_address, log=lines.append)
    t.join(timeout=5)
    assert killed, "the long run was never seen executing"
    assert finished_before == [False], "the long run had finished before its worker was killed"
    with pytest.raises(OSError):
        os.kill(killed[0], 0)  # the worker really is gone
    records = _by_spec(tmp_path)
    assert set(records) == {spec_key(s) for s in specs}  # every run, once
    assert sum("/" in ln and ln.startswith("[") for ln in lines) == len(specs)
    ref = tmp_path / "ref"
    run_all([long], ref, jobs=1, log=None)
    _same(_by_spec(ref)[spec_key(long)]["result"], records[spec_key(long)]["result"])


@pytest.mark.slow
@needs_dask
def test_an_interrupted_client_resumes(tmp_path, cluster):
    lc, client = cluster
    specs = plan_runs(SMOKE, ["reversal", "sine"])
    lines: list[str] = []

    def log_then_interrupt(line: str) -> None:
        lines.append(line)
        if sum(ln.startswith("[") for ln in lines) == 3:  # three finished runs
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_all(specs, tmp_path, scheduler=lc.scheduler_address, log=log_then_interrupt)
    done = sorted(p.name for p in (tmp_path / "runs").glob("*.json"))
    assert len(done) == 3 and not list((tmp_path / "runs").glob(".*"))
    # The cancelled tasks leave the cluster.
    deadline = time.time() + 30
    while any(client.processing().values()) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(client.processing().values())
    report = run_all(specs, tmp_path, scheduler=lc.scheduler_address, log=None)
    assert sorted(f"{r}.json" for r in report["skipped"]) == done
    assert len(report["ran"]) == len(specs) - 3
    assert set(_by_spec(tmp_path)) == {spec_key(s) for s in specs}
