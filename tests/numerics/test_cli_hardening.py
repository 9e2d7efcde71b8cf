"""The command line under bad options: one clear line, exit 2, no work lost and no stray directories."""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import pytest

import numerics.cli.verify as cli_verify
from numerics.cli.main import main
from numerics.experiments.runner import MAX_JOBS, run_all
from numerics.figures.catalogue import FIGURES

CLAIM = "elman-roundtrip"  # a claim that checks in well under a second


def _err_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_jobs_is_bounded_with_the_limit_in_the_message(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "runtime", "--profile", "smoke", "--out", str(tmp_path / "o"), "--jobs", "10000000000"])
    assert exc.value.code == 2
    assert f"must be an int from 1 to {MAX_JOBS}; got 10000000000" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    with pytest.raises(ValueError, match=f"jobs must be at most {MAX_JOBS}; got {MAX_JOBS + 1}"):
        run_all([], tmp_path, jobs=MAX_JOBS + 1)


@pytest.mark.parametrize("command", [["reproduce", "runtime", "--profile", "smoke"], ["figures"]])
@pytest.mark.parametrize("empty", ["", "  "])
def test_empty_out_is_rejected(command, empty, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main([*command, "--out", empty]) == 2
    assert "--out must name a directory; got an empty string" in _err_line(capsys)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("options, message", [
    (["--only", "no-such-figure"], "unknown figure name(s) ['no-such-figure']"),
    (["--dpi", "0"], "--dpi must be an int from 1 to 10000; got 0"),
])
def test_figures_checks_options_before_creating_out(options, message, tmp_path, capsys):
    out = tmp_path / "new" / "figs"
    assert main(["figures", "--out", str(out), *options]) == 2
    assert message in _err_line(capsys)
    assert not (tmp_path / "new").exists()


def test_figures_draws_a_repeated_name_once(tmp_path, capsys):
    name = next(iter(FIGURES))
    assert main(["figures", "--out", str(tmp_path), "--only", name, name, "--format", "svg", "svg"]) == 0
    out = capsys.readouterr().out
    assert "[1/1]" in out and "[1/2]" not in out and "wrote 1 files" in out
    assert os.listdir(tmp_path) == [f"{name}.svg"]


def test_verify_checks_a_repeated_claim_once(capsys):
    assert main(["verify", CLAIM, CLAIM]) == 0
    out = capsys.readouterr().out
    assert "1 claims" in out and out.count(f"\n{CLAIM} ") == 1 and "1/1 claims verified" in out


def test_verify_json_target_is_checked_before_the_run(tmp_path, capsys, monkeypatch):
    ran = []
    monkeypatch.setattr(cli_verify, "run", lambda *a, **k: ran.append(1) or [])
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dir").mkdir()
    for target, message in [(tmp_path / "dir", "exists and is not a regular file"),
                            (tmp_path / "fifo", "exists and is not a regular file"),
                            (tmp_path / "missing" / "x.json", "does not exist"),
                            ("", "--json must name a file")]:
        assert main(["verify", CLAIM, "--json", str(target)]) == 2
        assert message in _err_line(capsys)
    assert ran == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_verify_json_unwritable_directory_is_checked_before_the_run(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert main(["verify", CLAIM, "--json", str(ro / "x.json")]) == 2
        assert "is not writable" in _err_line(capsys)
    finally:
        ro.chmod(0o700)


def test_verify_results_survive_an_output_error_after_the_run(tmp_path, capsys, monkeypatch):
    target_dir = tmp_path / "gone"
    target_dir.mkdir()
    rescue_dir = tmp_path / "rescue"
    rescue_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(rescue_dir))
    real_run = cli_verify.run

    def run_then_remove_the_directory(*args, **kwargs):
        results = real_run(*args, **kwargs)
        shutil.rmtree(target_dir)  # the output disappears while the claims are checked
        return results

    monkeypatch.setattr(cli_verify, "run", run_then_remove_the_directory)
    assert main(["verify", CLAIM, "--json", str(target_dir / "out.json")]) == 2
    err = _err_line(capsys)
    assert "cannot write" in err and "the results are in" in err
    [saved] = list(rescue_dir.iterdir())
    assert str(saved) in err
    data = json.loads(saved.read_text())
    assert [c["id"] for c in data["claims"]] == [CLAIM] and data["claims"][0]["verdict"]
