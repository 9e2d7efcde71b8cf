"""``drnn reproduce pos``: the smoke profile end to end, the tables, provenance, and the store's guarantees."""

from __future__ import annotations

import csv
import json

import pytest

from numerics.cli.main import main
from numerics.experiments.pos_report import POS_COLUMNS, pos_markdown, pos_summary
from numerics.experiments.report import code_versions
from numerics.experiments.specs import ModelSpec, RunSpec, TrainConfig
from numerics.experiments.storage import make_record, scan_runs


def _rec(kind: str, delay: int, seed: int, acc: float, code: dict | None = None) -> dict:
    spec = RunSpec("pos", {"treebank": "t"}, ModelSpec(kind, "lstm", 4, 2 if kind == "stacked" else 1, delay), seed,
                   TrainConfig(epochs=1))
    res = {"test_accuracy": acc, "test_words": 100, "params": 1, "epochs": 1, "train_seconds": 0.1, "best_epoch": 1}
    return make_record(spec, res, 1.0, code or {"package": "0.1.0", "commit": "abc"})


def test_summary_gap_is_per_seed_difference_to_bidirectional():
    recs = [_rec("bidirectional", 0, s, a) for s, a in ((0, 0.90), (1, 0.92), (2, 0.94))]
    recs += [_rec("delayed", 2, s, a) for s, a in ((0, 0.89), (1, 0.92), (2, 0.92))]
    rows = pos_summary(recs, baseline=0.8)
    d2 = next(r for r in rows if r["model"] == "d-LSTM d=2")
    bi = next(r for r in rows if r["kind"] == "bidirectional")
    # gaps per seed: -1, 0, -2 points -> mean -1, s.d. 1
    assert d2["gap_mean"] == pytest.approx(-1.0) and d2["gap_sd"] == pytest.approx(1.0)
    assert d2["accuracy_mean"] == pytest.approx(91.0) and bi["accuracy_mean"] == pytest.approx(92.0)
    assert bi["accuracy_sd"] == pytest.approx(2.0) and bi["gap_mean"] == ""
    assert rows[-1]["accuracy_mean"] == pytest.approx(80.0) and rows[-1]["kind"] == "baseline"


def test_mixed_code_versions_are_reported():
    recs = [_rec("bidirectional", 0, 0, 0.9), _rec("delayed", 1, 0, 0.9, {"package": "0.1.0", "commit": "def"})]
    assert code_versions(recs) == ["0.1.0@abc", "0.1.0@def"]
    assert "Mixed code versions" in pos_markdown(pos_summary(recs), recs)
    old = dict(recs[0], result={k: v for k, v in recs[0]["result"].items() if k != "code"})
    assert code_versions([old]) == ["unrecorded"]
    assert "Mixed code versions" not in pos_markdown(pos_summary(recs[:1]), recs[:1])


@pytest.mark.slow
def test_reproduce_pos_smoke_offline_then_resumes(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["reproduce", "pos", "--profile", "smoke", "--out", str(out)]) == 0
    with open(out / "pos.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == POS_COLUMNS
    models = [r["model"] for r in rows]
    assert models == ["d-LSTM d=0", "d-LSTM d=2", "bi-LSTM", "stacked LSTM ×2", "majority tag (per word, from train)"]
    assert all(0 <= float(r["accuracy_mean"]) <= 100 for r in rows)
    assert rows[0]["gap_mean"] != "" and rows[2]["gap_mean"] == ""
    for name in ("pos.md", "pos_cost.csv", "pos_accuracy.png"):
        assert (out / name).is_file()
    records = scan_runs(out, None)
    assert len(records) == 4
    for _, rec in records.values():
        r = rec["result"]
        assert set(r["code"]) == {"package", "commit"}
        assert r["test_words"] == 623  # every word of the smoke profile's 40 test sentences
        if rec["spec"]["model"]["kind"] == "delayed":
            assert r["engine"] in ("dense", "layers", "blocked", "sparse") and r["engine_batch"] >= 1
    # a tampered record is quarantined and its run recomputed; the rest resume
    path = sorted((out / "runs").glob("pos-*.json"))[0]
    rec = json.loads(path.read_text())
    rec["result"]["test_accuracy"] = 1.0
    path.write_text(json.dumps(rec))
    capsys.readouterr()
    assert main(["reproduce", "pos", "--profile", "smoke", "--out", str(out), "--no-plots"]) == 0
    text = capsys.readouterr().out
    assert "content hash mismatch" in text and "3 already done" in text and (out / "quarantine").is_dir()


def test_reproduce_pos_bad_treebank_is_one_line(tmp_path, capsys):
    assert main(["reproduce", "pos", "--profile", "smoke", "--out", str(tmp_path / "o"),
                 "--treebank", str(tmp_path / "missing")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--treebank" in err[0] and "does not exist" in err[0]
    assert main(["reproduce", "pos", "--profile", "nope", "--out", str(tmp_path / "o")]) == 2
    assert "--profile must be one of" in capsys.readouterr().err


def test_reversal_records_carry_sampled_accuracy_engine_and_code(tmp_path):
    """Issue 20 item 6: argmax and sampled accuracy side by side, the engine at the run's batch and length."""
    from numerics.experiments.profiles import EXPERIMENT_PROFILES, plan_runs
    from numerics.experiments.report import markdown_report
    from numerics.experiments.runner import run_all
    from numerics.experiments.storage import load_records

    specs = [s for s in plan_runs(EXPERIMENT_PROFILES["smoke"], ["reversal"]) if s.model.kind == "delayed"][:1]
    run_all(specs, tmp_path, log=None)
    (rec,) = load_records(tmp_path)
    r = rec["result"]
    V = specs[0].task_params["V"]
    assert 0.0 < r["test_accuracy_sampled"] <= 1.0 and r["test_accuracy_sampled"] != r["test_accuracy"]
    assert r["engine"] == "dense" and set(r["code"]) == {"package", "commit"} and V >= 2
    md = markdown_report([rec])
    assert "| sampled |" in md and f"{100 * r['test_accuracy_sampled']:.1f}%" in md


def test_latency_in_words_of_look_ahead():
    from numerics.experiments.pos import latency_steps

    # bidirectional: word t of an n-word sentence waits for n - 1 - t words; sentences of 1 and 3 words:
    # waits 0 | 2, 1, 0 -> 3 / 4 words
    assert latency_steps(ModelSpec("bidirectional"), [1, 3]) == pytest.approx(0.75)
    assert latency_steps(ModelSpec("delayed", delay=3), [1, 3]) == 3.0
    assert latency_steps(ModelSpec("stacked", layers=2), [5]) == 0.0
    with pytest.raises(ValueError, match="lengths"):
        latency_steps(ModelSpec("stacked"), [])
