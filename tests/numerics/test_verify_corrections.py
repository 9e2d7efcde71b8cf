"""The corrected statements of issue 21, item 7: each correction pinned by a computation or the claim text."""

from __future__ import annotations

import re

import numpy as np

from numerics.models import StackedRNN
from numerics.verify.claims import topology_lines
from numerics.verify.registry import Effort
from numerics.verify.runner import catalogue, run_claim

FAST = Effort("test", examples=30)


def test_zero_start_needs_a_nonzero_warmup_state_but_one_is_not_enough():
    # L = 2, U_2 = 0, b_2 != 0: block 2's warm-up state phi(b_2) is not 0, yet it never reads its own state
    net = StackedRNN.from_state_dict({
        "weight_ih_l0": np.array([[0.7]]), "weight_hh_l0": np.array([[0.3]]),
        "bias_ih_l0": np.array([0.2]), "bias_hh_l0": np.array([0.1]),
        "weight_ih_l1": np.array([[1.3]]), "weight_hh_l1": np.array([[0.0]]),
        "bias_ih_l1": np.array([0.5]), "bias_hh_l1": np.array([0.0])})
    x = np.random.default_rng(0).normal(size=(5, 1, 1))
    assert net.warmup_states()[1][0] != 0
    assert np.allclose(net(x), net.to_delayed("zero")(x), rtol=0, atol=1e-15)
    statement = catalogue()["elman-naive-zero-start"].claim.explanation
    assert "only if" in statement and "exactly when" not in statement


def _old_excess(c):
    # the comparison before the correction: no allowance for rounding
    k, eps = c["k"], c["eps"]
    x = np.random.default_rng(c["seed"]).uniform(-c["amplitude"], c["amplitude"], size=c["T"])
    slots, out = np.zeros(k), []
    for tau in range(c["T"] + k - 1):
        slots = np.tanh(np.eye(k, 1, 0)[:, 0] * eps * (x[tau] if tau < c["T"] else 0.0) + np.eye(k, k, -1) @ slots)
        out.append(slots[-1] / eps)
    bound = k * eps ** 2 * np.abs(x) ** 3 / 3
    return float(np.max((np.abs(np.array(out[k - 1:]) - x) - bound) / np.maximum(bound, 1e-300)))


def test_tanh_delay_line_rounding_no_longer_fails_the_tight_bound():
    case = {"k": 20, "eps": 0.01, "amplitude": 0.5, "T": 10, "seed": 1824}
    assert _old_excess(case) > 1e-6                    # the false failure the issue reports
    assert topology_lines._tanh_line_excess(case) <= 0
    assert run_claim("tanh-delay-line", FAST).as_expected


def test_tanh_delay_line_still_refutes_a_bound_half_as_large(monkeypatch):
    original = topology_lines.tanh_line_rounding

    def halved(k, x):
        # subtract half of the exact bound from the allowance: the claimed bound becomes k eps^2 |x|^3 / 6
        return original(k, x) - k * np.abs(x) ** 3 / 6 * _EPS[0] ** 2

    _EPS = [0.0]
    real = topology_lines._tanh_line_excess

    def excess(c):
        _EPS[0] = c["eps"]
        return real(c)

    monkeypatch.setattr(topology_lines, "tanh_line_rounding", halved)
    monkeypatch.setattr(topology_lines, "_tanh_line_excess", excess)
    r = run_claim("tanh-delay-line", FAST)
    assert not r.as_expected


def test_the_lower_bound_says_what_is_machine_checked():
    c = catalogue()["bidir-delay-lower-bound"].claim
    assert "generic" in c.statement and "U_b = 0" in c.statement and "written proof" in c.statement


def test_gated_delay_line_is_about_exact_lines():
    c = catalogue()["gated-delay-line"].claim
    assert "exact delay line" in c.statement and "Approximate" in c.explanation


def test_every_claim_text_with_time_offsets_is_zero_based():
    for cid, entry in catalogue().items():
        text = entry.claim.statement
        if re.search(r"\bt \+ ", text):
            assert "0-based" in text, cid
