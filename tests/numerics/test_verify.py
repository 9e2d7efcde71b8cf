"""The verification machinery: static wiring, order- and reload-independent registration, shrinking."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from numerics.verify import oracle
from numerics.verify.claims import (
    cells,
    contracts,
    elman,
    engine_reference,
    export,
    gradients,
    theory,
    topology,
    topology_bounds,
    topology_lines,
)
from numerics.verify.registry import EFFORTS, ClaimSet, Effort, merge
from numerics.verify.runner import CLAIM_MODULES, catalogue, claim_ids, run_claim
from theory.claims import MethodResult

ORDER = ["elman-staggered", "elman-warmup", "elman-naive-zero-start", "elman-zero-bias", "elman-roundtrip",
         "lstm-staggered", "lstm-warmup", "lstm-naive-zero-start", "gradient-staggered", "lstm-zero-bias",
         "exact-rational", "induction-step", "gru-naive", "gru-own-reset", "lookahead-stacked",
         "lookahead-dense", "lookahead-relaxed", "jacobian-support", "engine-reference",
         "gradient-stacked", "gradient-bidirectional", "gradient-delayed", "gradient-topology",
         "state-dict-roundtrip", "min-steps-exact", "reference-field",
         "topology-compiled", "bidir-horizon-exact", "bidir-clipped-any-bias", "bidir-clipped-zero-bias",
         "bidir-clipped-stacked-zero-bias", "bidir-delay-lower-bound", "bidir-approx-bound",
         "bidir-approx-spectral-radius", "bidir-approx-bound-stacked", "bidir-approx-bound-deep",
         "bidir-approx-bound-deep-clipped", "bidir-near-end-exact", "bidir-near-end-exact-top-only", "gated-delay-line",
         "tanh-delay-line", "gated-pipeline", "bidir-reference-torch"]


def _shape() -> dict[str, list[str]]:
    return {cid: [name for name, _ in e.methods] for cid, e in catalogue().items()}


def test_catalogue_lists_every_claim_in_report_order_with_methods_from_all_modules():
    assert CLAIM_MODULES == (elman, cells, theory, engine_reference, gradients, export, contracts, topology,
                             topology_bounds, topology_lines)
    assert claim_ids() == ORDER
    shape = _shape()
    assert shape["elman-staggered"] == ["property-float64", "property-float32", "torch", "symbolic",
                                        "exact-relu", "exact-identity"]
    assert shape["lstm-zero-bias"] == ["symbolic"]
    assert shape["engine-reference"] == [f"{w}-{c}" for c in ("elman", "lstm", "gru") for w in ("stacked", "delayed")]


def test_reloading_a_claim_module_keeps_the_catalogue():
    before = _shape()
    for module in (elman, theory, cells, theory):
        importlib.reload(module)
    assert _shape() == before
    assert run_claim("elman-roundtrip").as_expected


IMPORT_ORDER = """
import json, importlib
for name in {names!r}:
    importlib.import_module(name)
from numerics.verify.runner import catalogue
print(json.dumps({{cid: [n for n, _ in e.methods] for cid, e in catalogue().items()}}))
"""


@pytest.mark.parametrize("names", [
    ["numerics.verify.claims.theory", "numerics.verify.claims.cells", "numerics.verify.claims.elman"],
    ["numerics.verify.claims.cells", "numerics.verify.runner"],
])
def test_registration_does_not_depend_on_import_order(names):
    out = subprocess.run([sys.executable, "-c", IMPORT_ORDER.format(names=names)], capture_output=True,
                         text=True, check=True).stdout
    got = json.loads(out)
    assert list(got) == ORDER and got == _shape()


def test_merge_rejects_clashes_and_unknown_ids():
    def m(effort: Effort) -> MethodResult:
        return MethodResult("m", 1, 0.0)

    a, b = ClaimSet(), ClaimSet()
    a.claim("x", "x.", "ours", "holds")
    b.claim("x", "x again.", "ours", "holds")
    with pytest.raises(ValueError, match="stated by two claim modules"):
        merge([a, b])
    with pytest.raises(ValueError, match="stated twice"):
        a.claim("x", "x.", "ours", "holds")
    c = ClaimSet()
    c.method("nowhere", "m")(m)
    with pytest.raises(ValueError, match="unknown claim id 'nowhere'"):
        merge([a, c])
    a.method("x", "m")(m)
    a.method("x", "m")(m)
    with pytest.raises(ValueError, match="two methods named 'm'"):
        merge([a])


def test_efforts():
    assert set(EFFORTS) == {"default", "thorough"}
    assert EFFORTS["thorough"].examples > EFFORTS["default"].examples


@pytest.mark.parametrize("claim_id", ["elman-naive-zero-start", "lstm-naive-zero-start"])
def test_naive_zero_start_counterexample_is_minimal(claim_id):
    # One layer cannot fail (no block is driven by its bias before its input arrives); two layers of
    # width 1, one step and one batch item already do.
    result = run_claim(claim_id)
    cex = result.counterexample
    assert result.verdict == "fails"
    assert cex["layers"] == 2 and cex["hidden_sizes"] == [1, 1]
    assert cex["steps"] == 1 and cex["batch"] == 1 and cex["input_size"] == 1
    assert cex["first_difference"]["time_step"] == 0


def test_oracle_reports_torch_methods_skipped_without_torch(monkeypatch):
    monkeypatch.setattr(oracle, "torch_missing", lambda: "torch is not installed")
    for cid in ("elman-staggered", "lstm-staggered", "gradient-staggered"):
        (r,) = run_claim(cid, methods=["torch"]).methods
        assert r.skipped == "torch is not installed" and r.cases == 0


def test_oracle_matches_torch():
    pytest.importorskip("torch")
    import numpy as np

    ref = oracle.torch_reference("gru", 2, 3, 2, seed=1)
    x = np.random.default_rng(0).normal(size=(4, 2, 2))
    assert ref.net.cell == "gru" and ref.net.hidden_sizes == (3, 3)
    assert np.abs(ref.outputs(x) - ref.net(x)).max() < 1e-12
    grads = ref.gradients(x, np.ones((4, 2, 3)))
    assert set(grads) == set(ref.state_dict)
    with pytest.raises(ValueError, match="cell"):
        oracle.torch_reference("rnn", 1, 1, 1)
    with pytest.raises(ValueError, match="num_layers"):
        oracle.torch_reference("lstm", 1, 1, 0)
