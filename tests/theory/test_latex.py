"""LaTeX from plans: the named blocks sit where the placements put them."""

import numpy as np
import pytest

import theory.latex
import theory.layout
from theory.latex import (
    bias_vector,
    block_matrix,
    param_symbol,
    plan_html,
    plan_latex,
    stacked_equations,
    stacked_latex,
    unrolled_equations,
)
from theory.layout import relaxed_plan, stacked_plan


def _cells(bmatrix: str) -> list[list[str]]:
    body = bmatrix.removeprefix(r"\begin{bmatrix}").removesuffix(r"\end{bmatrix}")
    return [[c.strip() for c in row.split("&")] for row in body.split(r"\\")]


def test_stacked_block_matrix_is_lower_bidiagonal_with_named_weights():
    cells = _cells(block_matrix(stacked_plan("elman", 2, [1, 2, 3, 1])))
    for l in range(4):
        for k in range(4):
            want = f"U_{{{l + 1}}}" if k == l else f"W_{{{l + 1}}}" if k == l - 1 else "0"
            assert cells[l][k] == want


def test_input_matrix_and_bias():
    plan = stacked_plan("elman", 2, [1, 2])
    assert _cells(block_matrix(plan, "weight_ih")) == [["W_{1}"], ["0"]]
    assert _cells(bias_vector(plan))[1] == [r"b_{2} + \bar b_{2}"]
    assert _cells(bias_vector(stacked_plan("elman", 2, [1, 2], bias=False))) == [["0"], ["0"]]


def test_gate_superscripts_and_free_blocks():
    plan = stacked_plan("lstm", 2, [1, 2], None)
    assert _cells(block_matrix(plan, gate="f"))[1] == ["W^{(f)}_{2}", "U^{(f)}_{2}"]
    free = relaxed_plan("elman", 1, [1, 1], np.array([[True, True], [False, True]]), np.array([True, True]),
                        delay=1)
    assert _cells(block_matrix(free)) == [["A_{11}", "A_{12}"], ["0", "A_{22}"]]


def test_param_symbol():
    assert param_symbol("weight_ih_l0") == "W_{1}"
    assert param_symbol("weight_hh_l2", "o") == "U^{(o)}_{3}"
    with pytest.raises(ValueError, match="source"):
        param_symbol("w0")


def test_equations_mention_every_block_and_the_delay():
    plan = stacked_plan("elman", 2, [1, 2, 1], ["tanh", "relu", "identity"])
    eq = unrolled_equations(plan)
    assert eq.startswith(r"\begin{aligned}")
    for k in (1, 2, 3):
        assert f"s^{{{k}}}_t &=" in eq
    assert r"\operatorname{relu}" in eq and "s^{3}_{t+2}" in eq
    assert "W_{2} h^{1}_t" in stacked_equations(plan)
    with pytest.raises(ValueError, match="stacked"):
        stacked_equations(relaxed_plan("elman", 1, [1], np.ones((1, 1), bool), np.ones(1, bool), delay=0))


def test_display_wrappers():
    plan = stacked_plan("gru", 1, [1, 1], None, allow_gru=True)
    assert plan_latex(plan).startswith("$$") and "each gate" in plan_latex(plan)
    assert stacked_latex(stacked_plan("elman", 1, [1])).count("$$") == 4
    assert "<table>" in plan_html(plan)
    with pytest.raises(TypeError, match="plan"):
        plan_latex("x")
    with pytest.raises(ValueError, match="gate"):
        block_matrix(plan, gate="i")
    with pytest.raises(ValueError, match="matrix"):
        block_matrix(plan, matrix="bias")


def test_plan_displays_itself_with_the_block_matrices_of_theory_latex():
    # The block matrices are defined beside Plan (its Jupyter reprs show them); theory.latex re-exports them.
    for name in ("param_symbol", "bias_symbol", "block_matrix", "bias_vector", "plan_latex", "plan_html"):
        assert getattr(theory.latex, name) is getattr(theory.layout, name)
    plan = stacked_plan("lstm", 2, [1, 2], None)
    assert plan._repr_latex_() == plan_latex(plan)
    assert plan._repr_html_() == plan_html(plan)
    assert theory.layout.bias_symbol(1, "i") == r"b^{(i)}_{2} + \bar b^{(i)}_{2}"
