"""Symbolic unrolling: identical trees where Theorem 1 holds, a found difference where it does not."""


import pytest
import sympy

from theory.layout import stacked_plan
from theory.symbolic import (
    SYMBOLIC_STARTS,
    assemble,
    build_case,
    check_identity,
    exact_check,
    gru_residual,
    input_symbols,
    run_delayed,
    run_stacked,
    stacked_symbols,
    state_symbols,
    sweep,
    trees_equal,
    uninterpreted,
)


def test_assemble_copies_every_placement_and_leaves_zeros_elsewhere():
    plan = stacked_plan("lstm", 2, [2, 1], None)
    params = stacked_symbols("lstm", 2, [2, 1])
    mats = assemble(plan, params)
    whh = mats["weight_hh"]
    assert whh.shape == (4 * 3, 3)
    covered = set()
    for p in plan.placements():
        if p.matrix != "weight_hh":
            continue
        for i in range(p.rows[1] - p.rows[0]):
            for j in range(p.cols[1] - p.cols[0]):
                src = params[p.source][p.source_rows[0] + i, p.source_cols[0] + j]
                assert whh[p.rows[0] + i, p.cols[0] + j] == src
                covered.add((p.rows[0] + i, p.cols[0] + j))
    zeros = [(i, j) for i in range(whh.rows) for j in range(whh.cols) if (i, j) not in covered]
    assert zeros and all(whh[i, j] == 0 for i, j in zeros)


def test_assemble_rejects_missing_parameters_and_non_plans():
    plan = stacked_plan("elman", 2, [1, 1])
    params = stacked_symbols("elman", 2, [1, 1])
    del params["weight_ih_l1"]
    with pytest.raises(ValueError, match="weight_ih_l1"):
        assemble(plan, params)
    with pytest.raises(TypeError, match="plan"):
        assemble("not a plan", params)


@pytest.mark.parametrize("cell", ["elman", "lstm"])
@pytest.mark.parametrize("start", SYMBOLIC_STARTS)
def test_identity_holds_for_elman_and_lstm(cell, start):
    chk = check_identity(cell, [2, 1, 3], 4, start=start)
    assert chk.equal, chk.mismatch
    # The 3 output units at each of the 4 times, then every block at every step standing for a real
    # time (and c for LSTM).
    assert chk.compared == 4 * 3 + 4 * 6 * (2 if cell == "lstm" else 1)


def test_issue2_sizes_every_L_up_to_6_and_T_up_to_8():
    results = sweep("elman", 6, 8, starts=("staggered",))
    assert len(results) == 6 * 8
    assert all(r.equal for r in results)


def test_naive_gru_differs_at_the_first_cross_block_read():
    chk = check_identity("gru", [1, 1], 1, input_size=1)
    assert not chk.equal
    assert chk.mismatch["block"] == 1 and chk.mismatch["step"] == 1


@pytest.mark.parametrize("start", SYMBOLIC_STARTS)
def test_own_reset_gru_is_identical(start):
    chk = check_identity("gru", [2, 1, 2], 3, start=start, reset="own")
    assert chk.equal, chk.mismatch


def test_gru_residual_is_the_reset_gate_factor():
    res = gru_residual((1, 1), 1, input_size=1)
    r = sympy.Symbol("r2[0,0]")
    assert sympy.expand(res["factor"] - (r - 1)) == 0
    # The residual is (r - 1) times block 2's reading of block 1 through the candidate's W_in.
    expected = sympy.Symbol("weight_ih_l1[2,0]") * sympy.Symbol("h1[0,0]") * (r - 1)
    assert sympy.expand(res["residual"] - expected) == 0


def test_check_fails_when_the_delayed_weights_are_wrong():
    # A negative control: one corrupted entry of the assembled matrix must be found.
    plan, params, xs = build_case("elman", [1, 1], 2, input_size=1)
    mats = dict(assemble(plan, params))
    whh = mats["weight_hh"].as_mutable()
    whh[1, 0] = sympy.Symbol("wrong")
    mats["weight_hh"] = whh.as_immutable()
    acts = uninterpreted(2)
    h0 = state_symbols("h0", plan.widths)
    delayed = run_delayed(plan, mats, xs, [v for vec in h0 for v in vec], None, acts)
    stacked = run_stacked("elman", params, xs, h0, None, acts)
    assert not trees_equal(delayed.h[2][1], stacked[1].h[1][0])


def test_zero_start_without_warmup_differs_symbolically():
    # The paper's construction read literally: zero start, stacked from zero states, biases on.
    plan, params, xs = build_case("elman", [1, 1], 2, input_size=1, start="zero")
    acts = uninterpreted(2)
    delayed = run_delayed(plan, assemble(plan, params), xs, [0, 0], None, acts)
    stacked = run_stacked("elman", params, xs, [[0], [0]], None, acts)
    assert delayed.h[1][1] != stacked[1].h[0][0]


def test_trees_equal_agrees_with_eq():
    x, y = sympy.symbols("x y")
    f = sympy.Function("f")
    a, b = f(x + y) * x, f(y + x) * x
    assert trees_equal(a, b) and a == b
    assert not trees_equal(f(x), f(y))
    assert not trees_equal(f(x), sympy.Function("g")(x))


def test_symbol_layout_uses_pytorch_names():
    p = stacked_symbols("gru", 3, [2])
    assert p["weight_ih_l0"].shape == (6, 3)
    assert str(p["weight_ih_l0"][4, 1]) == "weight_ih_l0[4,1]"
    assert len(input_symbols(3, 2)) == 3


def test_exact_rational_agreement_is_exact():
    for activation in ("relu", "identity"):
        for start in ("staggered", "zero"):
            n, err = exact_check([2, 3, 1], 5, activation=activation, start=start, seed=3)
            assert n == 5 * 1 + 5 * 6  # the output unit, then each of the 6 units, at each of the 5 real times
            assert err == 0
    _, err = exact_check([2, 3, 1], 5, activation=["relu", "identity", "relu"], seed=3)
    assert err == 0


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="start"):
        check_identity("elman", [1], 1, start="bogus")
    with pytest.raises(ValueError, match="reset"):
        check_identity("elman", [1], 1, reset="own")
    with pytest.raises(ValueError, match="activation"):
        exact_check([1], 1, activation="tanh")
    with pytest.raises(ValueError, match="widths"):
        check_identity("elman", [], 1)


@pytest.mark.parametrize(("starts", "exc", "match"), [
    (None, TypeError, r"starts must be a sequence of start rules"),
    ("zero", TypeError, r"starts must be a sequence .* got str"),
    (("zero", "bogus"), ValueError, r"starts\[1\] must be one of"),
])
def test_sweep_names_a_bad_starts(starts, exc, match):
    with pytest.raises(exc, match=match):
        sweep("elman", 1, 1, starts=starts)


@pytest.mark.slow
@pytest.mark.parametrize("cell", ["elman", "lstm"])
def test_thorough_sizes_L8_T12(cell):
    results = sweep(cell, 8, 12)
    assert len(results) == 8 * 12 * 3 and all(r.equal for r in results)


def _patched_plan(monkeypatch, edit):
    import theory.symbolic as symbolic

    original = symbolic.stacked_plan
    monkeypatch.setattr(symbolic, "stacked_plan", lambda *a, **k: edit(original(*a, **k)))


def test_the_symbolic_check_reads_the_delay_from_the_plan(monkeypatch):
    from dataclasses import replace

    _patched_plan(monkeypatch, lambda p: replace(p, delay=p.delay + 1))
    chk = check_identity("elman", [2, 1], 3)
    assert not chk.equal and chk.mismatch["kind"] == "output"
    _, err = exact_check([2, 1], 3, activation="identity")
    assert err != 0


def test_the_symbolic_check_takes_each_blocks_activation_from_the_plan(monkeypatch):
    from dataclasses import replace

    def reverse(p):
        acts = [b.activation for b in p.blocks][::-1]
        return replace(p, blocks=tuple(replace(b, activation=a) for b, a in zip(p.blocks, acts)))

    _patched_plan(monkeypatch, reverse)
    assert not check_identity("elman", [1, 1], 2).equal
    _, err = exact_check([1, 2], 4, activation=["relu", "identity"], seed=1)
    assert err != 0


def test_the_symbolic_check_reads_the_readout_from_the_plan(monkeypatch):
    from dataclasses import replace

    _patched_plan(monkeypatch, lambda p: replace(p, readout=(0,)))
    chk = check_identity("elman", [1, 1], 2)
    assert not chk.equal and chk.mismatch["kind"] == "output"
