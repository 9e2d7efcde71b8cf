"""Experiment plumbing: models and parameter counts, run planning, atomic results, resume, tables, plots, CLI.

Everything runs on the ``smoke`` profile (seconds); the real ``quick`` run is
not a test.
"""

import json
import os

import numpy as np
import pytest

from numerics.cli.main import main
from numerics.cli.reproduce import write_outputs
from numerics.experiments.profiles import EXPERIMENT_PROFILES, plan_runs
from numerics.experiments.runner import run_all
from numerics.experiments.specs import (
    ModelSpec,
    RunSpec,
    build_model,
    matched_width,
    parameter_count,
    recurrent_parameter_count,
)
from numerics.experiments.storage import load_records, write_json_atomic
from numerics.experiments.tasks import sine
from numerics.figures.experiments import plot_reversal, plot_runtime, plot_sine
from numerics.models import DelayedRNN

SMOKE = EXPERIMENT_PROFILES["smoke"]


# ------------------------------------------------------------------ models
@pytest.mark.parametrize("cell", ["lstm", "elman"])
@pytest.mark.parametrize(("kind", "layers", "delay"),
                         [("stacked", 1, 0), ("stacked", 3, 0), ("bidirectional", 1, 0), ("bidirectional", 2, 0),
                          ("delayed", 1, 0), ("delayed", 1, 4)])
def test_parameter_count_matches_the_built_network(cell, kind, layers, delay):
    spec = ModelSpec(kind, cell, 5, layers, delay)
    net = build_model(spec, 3, seed=1)
    assert sum(a.size for a in net.state_dict().values()) == recurrent_parameter_count(spec, 3)
    y, _ = net.forward(np.zeros((6, 2, 3), dtype=np.float32))
    assert y.shape == (6, 2, 10 if kind == "bidirectional" else 5)


def test_delayed_model_is_a_dense_layer_that_reads_d_steps_ahead():
    net = build_model(ModelSpec("delayed", "lstm", 4, 1, 3), 2, seed=0, dtype=np.float64)
    assert isinstance(net, DelayedRNN) and net.delay == 3 and not net.masked
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1, 2))
    y = net(x)
    x2 = x.copy()
    x2[5] += 1.0
    y2 = net(x2)
    # Output t sees inputs up to t + 3: changing x_5 changes y_2 … y_7 but not y_0, y_1.
    changed = np.abs(y2 - y).max(axis=(1, 2)) > 0
    assert list(changed) == [False, False, True, True, True, True, True, True]


def test_matched_width_is_closest():
    target = parameter_count(ModelSpec("delayed", "lstm", 32), 4, 4)
    for kind, L in (("stacked", 2), ("bidirectional", 1)):
        n = matched_width(kind, "lstm", L, target, 4, 4)
        gaps = [abs(parameter_count(ModelSpec(kind, "lstm", m, L), 4, 4) - target) for m in (n - 1, n, n + 1)]
        assert gaps[1] <= min(gaps)


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"kind": "wide"}, ValueError, "kind must be one of"),
        ({"kind": "stacked", "cell": "gru"}, ValueError, "cell must be one of"),
        ({"kind": "delayed", "layers": 2}, ValueError, "one layer"),
        ({"kind": "stacked", "delay": 2}, ValueError, "delay applies to delayed"),
        ({"kind": "stacked", "width": 2.0}, TypeError, "width must be an int"),
        ({"kind": "delayed", "delay": -1}, ValueError, "delay must be an int >= 0"),
    ],
)
def test_model_spec_rejects_bad_input(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        ModelSpec(**kwargs)


# -------------------------------------------------------------------- runs
def test_plan_runs_covers_the_issue_and_ids_are_unique():
    specs = plan_runs(EXPERIMENT_PROFILES["quick"], ["reversal", "sine", "runtime"])
    ids = [s.run_id for s in specs]
    assert len(ids) == len(set(ids))
    rev = [s for s in specs if s.task == "reversal"]
    kinds = {(s.model.kind, s.model.cell, s.model.layers) for s in rev}
    assert {("stacked", "lstm", 2), ("bidirectional", "lstm", 1), ("delayed", "lstm", 1),
            ("delayed", "elman", 1), ("bidirectional", "elman", 1)} <= kinds
    T = EXPERIMENT_PROFILES["quick"].reversal["T"]
    assert {T - 2, T - 1} <= {s.model.delay for s in rev if s.model.kind == "delayed"}  # both sides of T - 1
    sine = [s for s in specs if s.task == "sine"]
    assert len({s.task_params["acausal"] for s in sine}) >= 2
    for s in specs:  # specs survive the JSON round trip that carries them to worker processes
        assert RunSpec.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    with pytest.raises(ValueError, match="task must be one of"):
        plan_runs(SMOKE, ["copy"])


def test_profiles_have_three_seeds_and_standard_has_the_papers_task_sizes():
    for name, profile in EXPERIMENT_PROFILES.items():
        assert len(set(profile.seeds)) >= 3, name
    std = plan_runs(EXPERIMENT_PROFILES["standard"], ["reversal", "sine"])
    rev = [s for s in std if s.task == "reversal"]
    assert {(s.task_params["V"], s.task_params["T"]) for s in rev} == {(4, 20)}
    assert {19, 0} <= {s.model.delay for s in rev if s.model.kind == "delayed"}
    assert {"bidirectional", "stacked", "delayed"} == {s.model.kind for s in rev}
    sine = [s for s in std if s.task == "sine"]
    assert {(s.task_params["T"], s.task_params["causal"], s.task_params["acausal"]) for s in sine} == {(30, 10, 5)}
    assert {s.task_params["scale"] for s in sine} == {0.1, 1.0, 2.0}
    assert {0, 5} <= {s.model.delay for s in sine if s.model.kind == "delayed"}
    assert "bidirectional" in {s.model.kind for s in sine}
    # Every configuration (a spec without its seed) runs with each of the profile's seeds.
    configs: dict[str, set[int]] = {}
    for s in std:
        configs.setdefault(json.dumps({**s.to_dict(), "seed": None}, sort_keys=True), set()).add(s.seed)
    assert all(seeds == {0, 1, 2} for seeds in configs.values())


def test_comparison_models_have_matched_parameter_counts():
    specs = plan_runs(EXPERIMENT_PROFILES["quick"], ["reversal"])
    V = EXPERIMENT_PROFILES["quick"].reversal["V"]
    counts = {s.model.label: parameter_count(s.model, V, V) for s in specs if s.model.cell == "lstm"}
    ref = counts["d-LSTM d=0"]
    for label, n in counts.items():
        assert abs(n - ref) / ref < 0.1, label


def test_write_json_atomic_leaves_no_partial_file(tmp_path):
    path = tmp_path / "a.json"
    write_json_atomic(path, {"x": 1})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"x": object()})  # not serialisable: the old file must survive intact
    assert json.loads(path.read_text()) == {"x": 1}
    assert os.listdir(tmp_path) == ["a.json"]


def test_runtime_runs_resume_and_tables_plots(tmp_path):
    specs = plan_runs(SMOKE, ["runtime"])
    lines = []
    first = run_all(specs[:2], tmp_path, log=lines.append)
    assert len(first["ran"]) == 2 and "0 already done" in lines[0]
    files = {p.name: p.read_text() for p in (tmp_path / "runs").glob("*.json")}
    second = run_all(specs, tmp_path, log=lines.append)
    # Only the unfinished run ran; the finished files are untouched.
    assert second["skipped"] == first["ran"] and len(second["ran"]) == len(specs) - 2
    for name, text in files.items():
        assert (tmp_path / "runs" / name).read_text() == text
    rec = load_records(tmp_path)[0]["result"]
    assert set(rec["models"]) == {"stacked", "bidirectional", "d-LSTM (construction)", "d-LSTM (dense)"}
    assert all(v["forward_backward_s"] > 0 for v in rec["models"].values())
    written = {p.name for p in write_outputs(tmp_path, "smoke")}
    assert {"runtime.csv", "results.md", "runtime.png"} <= written


def test_corrupt_result_file_is_rerun(tmp_path):
    spec = plan_runs(SMOKE, ["runtime"])[0]
    run_all([spec], tmp_path, log=None)
    (tmp_path / "runs" / f"{spec.run_id}.json").write_text('{"version": 1, "res')  # a torn write of old code
    again = run_all([spec], tmp_path, log=None)
    assert again["ran"] == [spec.run_id]


def test_run_all_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="jobs must be an int >= 1"):
        run_all([], tmp_path, jobs=0)
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="not a directory"):
        run_all([], tmp_path / "file")


# --------------------------------------------------------------------- CLI
def test_cli_bad_input_is_one_line(tmp_path, capsys):
    (tmp_path / "f").write_text("")
    assert main(["reproduce", "runtime", "--profile", "smoke", "--out", str(tmp_path / "f")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a directory" in err[0]
    assert main(["reproduce", "runtime", "--profile", "huge", "--out", str(tmp_path)]) == 2
    assert "--profile must be one of ['quick', 'standard', 'paper']" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "everything", "--out", str(tmp_path)])
    assert exc.value.code == 2


# ---------------------------------------------------------------- training
def test_interrupted_training_resumes_without_redoing_finished_runs(tmp_path):
    specs = plan_runs(SMOKE, ["reversal", "sine"])
    lines = []

    def log_then_interrupt(line):
        lines.append(line)
        if len(lines) == 4:  # the header line and three finished runs
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_all(specs, tmp_path, log=log_then_interrupt)
    done = sorted(p.name for p in (tmp_path / "runs").glob("*.json"))
    assert len(done) == 3 and not list((tmp_path / "runs").glob(".*"))  # no temporary files left behind
    report = run_all(specs, tmp_path, log=None)
    assert sorted(f"{r}.json" for r in report["skipped"]) == done
    assert len(report["ran"]) == len(specs) - 3
    records = load_records(tmp_path)
    assert len(records) == len(specs)
    for rec in records:
        spec, r = RunSpec.from_dict(rec["spec"]), rec["result"]
        V_or_1 = spec.task_params.get("V", 1)
        # The trained model (read-out included) has exactly the advertised parameter count.
        assert r["params"] == parameter_count(spec.model, V_or_1, V_or_1)
        assert 1 <= r["epochs"] <= spec.train.epochs and len(r["history"]) == r["epochs"]
        if spec.task == "reversal":
            assert 0.0 <= r["test_accuracy"] <= 1.0
        else:
            y_test = sine(**{**spec.task_params, "sizes": tuple(spec.task_params["sizes"])}).test.y
            assert r["test_mse"] >= 0 and r["test_nmse"] == pytest.approx(r["test_mse"] / np.var(y_test))


def test_cli_reproduce_smoke_writes_tables_and_plots_and_resumes(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["reproduce", "all", "--profile", "smoke", "--out", str(out), "--jobs", "1"]) == 0
    first = capsys.readouterr().out
    n = len(plan_runs(SMOKE, ["reversal", "sine", "runtime"]))
    assert f"{n} runs: 0 already done" in first and f"{n}/{n}" in first
    for name in ("results.csv", "runtime.csv", "results.md", "reversal_accuracy_vs_delay.png",
                 "sine_error_vs_delay.png", "runtime.png"):
        assert (out / name).stat().st_size > 0, name
    md = (out / "results.md").read_text()
    assert "## Sequence reversal" in md and "## Sine filtering" in md and "## Runtime" in md
    assert main(["reproduce", "all", "--profile", "smoke", "--out", str(out), "--jobs", "1", "--no-plots"]) == 0
    again = capsys.readouterr().out
    assert "done: 0 run(s)" in again
    # --no-plots rewrites the tables only.
    assert "results.md" in again and ".png" not in again


def test_experiments_do_not_import_matplotlib():
    import subprocess
    import sys

    code = ("import sys, numerics.experiments.runner, numerics.experiments.report, numerics.experiments.profiles; "
            "print('matplotlib' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_plots_are_titled_labelled_and_have_legends(tmp_path):
    run_all(plan_runs(SMOKE, ["reversal", "sine", "runtime"]), tmp_path, log=None)
    records = load_records(tmp_path)
    ax = plot_reversal(records)
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
    for fig in (plot_sine(records), plot_runtime(records)):
        assert fig.get_suptitle()
        assert fig.legends or any(a.get_legend() for a in fig.axes)
        assert all(a.get_xlabel() for a in fig.axes)
    with pytest.raises(ValueError, match="no reversal results"):
        plot_reversal([])


def test_run_spec_rejects_incomplete_runs():
    with pytest.raises(ValueError, match="task must be one of"):
        RunSpec("copy", {})
    with pytest.raises(TypeError, match="needs model=ModelSpec and train=TrainConfig"):
        RunSpec("reversal", {"V": 2, "T": 3, "sizes": [2, 2, 2]})
    with pytest.raises(ValueError, match="width >= 1 and depth >= 1"):
        RunSpec("runtime", {"T": 2, "batch": 1, "repeats": 1})
