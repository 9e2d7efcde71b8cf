"""``drnn verify`` reports every verdict: a raising method is an error, runs are reproducible."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
from hypothesis import strategies as st

from numerics.cli.main import main
from numerics.verify import runner
from numerics.verify.registry import EFFORTS, ClaimSet
from numerics.verify.search import property_check
from theory.claims import MethodResult

SMALL = replace(EFFORTS["default"], examples=15)


def _claims_with_a_crash() -> ClaimSet:
    cs = ClaimSet()
    cs.claim("first-crashes", "A method of this claim raises.", "ours", "holds")
    cs.claim("second-holds", "Checked after the crash.", "ours", "holds")

    @cs.method("first-crashes", "boom")
    def _boom(effort):
        raise RuntimeError("broken method")

    @cs.method("first-crashes", "fine")
    def _fine(effort):
        return MethodResult("fine", 1, 0.0)

    @cs.method("second-holds", "fine")
    def _fine2(effort):
        return MethodResult("fine", 1, 0.0)

    return cs


class _Module:
    def __init__(self, claims: ClaimSet) -> None:
        self.CLAIMS = claims


def test_a_raising_method_is_an_error_and_the_rest_still_run(monkeypatch, capsys):
    monkeypatch.setattr(runner, "CLAIM_MODULES", (_Module(_claims_with_a_crash()),))
    results = runner.run()
    assert [r.verdict for r in results] == ["error", "holds"]
    boom, fine = results[0].methods
    assert boom.error == "RuntimeError: broken method" and fine.error == "" and fine.cases == 1
    assert not results[0].as_expected

    code = main(["verify"])
    out = capsys.readouterr().out
    assert code == 1
    assert "ERROR (the method raised): RuntimeError: broken method" in out
    assert re.search(r"second-holds\s+holds\s+holds\s+ok", out)
    assert "1/2 claims verified as expected" in out


def test_a_case_on_which_the_code_raises_is_a_counterexample_not_a_crash():
    def error(n: int) -> float:
        if n >= 3:
            raise IndexError("read-out block out of range")
        return 0.0

    r = property_check("p", st.integers(0, 100), error, 0.0, lambda n: {"n": n}, SMALL)
    assert r.refuted and not r.error
    # shrunk to the smallest raising case, with the exception named
    assert r.counterexample["n"] == 3
    assert r.counterexample["exception"] == "IndexError: read-out block out of range"
    assert r.counterexample["error"] == float("inf")


def test_nontrivial_cases_are_counted():
    r = property_check("p", st.integers(0, 9), lambda n: 0.0, 0.0, lambda n: {}, SMALL,
                       nontrivial=lambda n: n % 2 == 1)
    assert r.nontrivial is not None and 0 < r.nontrivial < r.cases


def test_the_seed_reaches_hypothesis():
    def run(seed: int) -> list[float]:
        drawn: list[float] = []

        def error(x: float) -> float:
            drawn.append(x)
            return 0.0

        property_check("p", st.floats(-1, 1), error, 0.0, lambda x: {}, replace(SMALL, seed=seed))
        return drawn

    assert run(0) == run(0)
    assert run(0) != run(1)


_SCRIPT = textwrap.dedent("""
    import sys
    if sys.argv[1] == "extra":
        # a local module full of literal constants, which hypothesis would mix into its examples
        import constants_module  # noqa: F401
        import numerics.experiments, numerics.train  # noqa: F401, E401
    from numerics.cli.main import main
    sys.exit(main(["verify", "elman-staggered", "elman-naive-zero-start", "gru-naive", "lookahead-relaxed"]))
""")


def _table(out: str) -> str:
    # Wall-clock times are the only thing allowed to differ between runs, and with them the padding
    # around them (a 9.5 s run and a 10.5 s run pad their columns differently on a loaded machine).
    return re.sub(r"[ \t]*(in )?\d+\.\d s[ \t]*", " ", out)


def test_two_processes_importing_different_modules_print_the_same_table(tmp_path):
    (tmp_path / "constants_module.py").write_text(
        "VALUES = [" + ", ".join(repr(v) for v in np.linspace(-0.999, 0.999, 200).tolist()) + "]\n"
        + "COUNTS = [" + ", ".join(str(k) for k in range(3, 400, 7)) + "]\n")
    script = tmp_path / "run.py"
    script.write_text(_SCRIPT)
    outs = []
    for mode in ("plain", "extra"):
        p = subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True,
                           cwd=tmp_path, timeout=300)
        assert p.returncode == 0, p.stderr
        outs.append(_table(p.stdout))
    assert outs[0] == outs[1]
    assert "counterexample found" in outs[0]
