"""``drnn verify``'s table: --list prints statements, symbolic failures and max errors are explained."""

from __future__ import annotations

import pytest

from numerics.cli.main import main
from numerics.cli.verify import LEGEND, _fmt_err, format_row
from numerics.verify.runner import catalogue
from theory.claims import ClaimResult, MethodResult


def test_list_prints_every_claim_with_its_statement(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--list"]) == 0
    out = capsys.readouterr().out
    for cid, entry in catalogue().items():
        assert f"{cid} " in out
        assert " ".join(entry.claim.statement.split()[:6]) in " ".join(out.split())
    assert max(len(line) for line in out.splitlines()) <= 120


def test_symbolic_failure_is_a_residual_not_inf() -> None:
    assert _fmt_err(float("inf")) == "residual ≠ 0"
    assert _fmt_err(0.0) == "0" and _fmt_err(2.0) == "2.0e+00"
    claim = next(iter(catalogue().values())).claim
    row = format_row(ClaimResult(claim, [MethodResult("symbolic", 3, float("inf"), {"L": 2}),
                                         MethodResult("property", 40, 2.0, {"steps": 1})]))
    assert "inf" not in row
    assert "residual ≠ 0" in row and "max error 2.0e+00" in row
    assert "over all cases" in LEGEND and "shrunk" in LEGEND


def test_layout_summary_numbers_blocks_from_one() -> None:
    from theory.layout import stacked_plan
    text = stacked_plan("elman", 1, [2, 3]).summary()
    assert "block 1 h1" in text and "block 2 h2" in text and "block 0" not in text
