"""Ctrl-C at any moment of ``drnn reproduce`` (issue 22): one line, exit code 130, never a hang, nothing lost.

A terminal's Ctrl-C sends SIGINT to the whole process group, the command and its workers alike. The
test does exactly that at random moments of a smoke reproduction (starting, spawning workers,
training, writing records), many times over one output directory, with the local process pool and
with a Dask LocalCluster. Not covered: the first fraction of a second, while Python and NumPy start and
before any drnn code runs (Python's own KeyboardInterrupt traceback).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from numerics.experiments.profiles import EXPERIMENT_PROFILES, plan_runs
from numerics.experiments.storage import QUARANTINE, read_record

ROOT = str(Path(__file__).resolve().parents[2])
CODE = "import sys; from numerics.cli.main import main; sys.exit(main(sys.argv[1:]))"
SPECS = plan_runs(EXPERIMENT_PROFILES["smoke"], ["reversal"])
LINES = {"drnn: interrupted", "drnn reproduce: interrupted"}


def _group_gone(pgid: int, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        pids = subprocess.run(["ps", "-o", "stat=", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
        if all(s.startswith("Z") for s in pids):  # exited, waiting for init to reap them
            return True
        time.sleep(0.2)
    return False


def _records(out: Path) -> dict[str, bytes]:
    d = out / "runs"
    return {p.name: p.read_bytes() for p in d.glob("*.json")} if d.is_dir() else {}


def _interrupt_many_times(tmp_path: Path, args: list[str], budget: float, seed: int) -> int:
    rng = random.Random(seed)
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", CODE, "reproduce", "reversal", "--profile", "smoke", "--no-plots", "--out",
           str(out), *args]
    env = {**os.environ, "PYTHONPATH": ROOT, "MPLBACKEND": "Agg"}
    start, tries, kept = time.monotonic(), 0, {}
    while time.monotonic() - start < budget:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, env=env)
        time.sleep(rng.uniform(1.0, 14.0))
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"try {tries}: drnn reproduce {' '.join(args)} did not exit within 60 s of Ctrl-C")
        tries += 1
        lines = err.strip().splitlines()
        if proc.returncode in (0, -signal.SIGINT):
            # Finished before the signal, or hit in the last moments of interpreter shutdown (Python has
            # restored SIGINT's default action by then): a shell reports the latter as 130 as well.
            assert lines == [], err[-1500:]
        else:
            assert proc.returncode == 130, err[-1500:]
            assert len(lines) == 1 and lines[0] in LINES, err[-1500:]
        assert _group_gone(proc.pid, 20), f"try {tries}: worker processes outlived the command"
        now = _records(out)
        for name, data in kept.items():  # nothing lost: every record stays, byte for byte
            assert now.get(name) == data, f"try {tries}: {name} changed or vanished"
        for name in now:
            read_record(out / "runs" / name)
        assert not (out / QUARANTINE).exists() or not any((out / QUARANTINE).iterdir())
        kept = now
    # The interrupted work resumes and completes.
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-1500:]
    assert sorted(_records(out)) == sorted(f"{s.run_id}.json" for s in SPECS)
    return tries


@pytest.mark.slow
def test_ctrl_c_at_random_moments_of_the_local_pool(tmp_path):
    assert _interrupt_many_times(tmp_path, ["--jobs", "2"], budget=50, seed=1) >= 4


@pytest.mark.slow
def test_ctrl_c_at_random_moments_of_a_dask_local_cluster(tmp_path):
    pytest.importorskip("distributed")
    assert _interrupt_many_times(tmp_path, ["--scheduler", "local:2"], budget=50, seed=2) >= 3
