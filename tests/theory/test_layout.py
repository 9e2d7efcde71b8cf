"""Plans: the naive GRU layout on request, the Jupyter display hooks, and what a Plan refuses."""

from dataclasses import replace

import numpy as np
import pytest

from theory.layout import (
    Block,
    Edge,
    InputEdge,
    bias_symbol,
    bias_vector,
    block_matrix,
    layer_param,
    param_symbol,
    plan_html,
    plan_latex,
    relaxed_plan,
    stacked_plan,
)


def test_gru_refused_without_allow_gru():
    with pytest.raises(ValueError, match="gru-naive"):
        stacked_plan("gru", 2, [1, 1])


def test_allow_gru_must_be_bool():
    with pytest.raises(TypeError, match="allow_gru"):
        stacked_plan("gru", 2, [1, 1], None, allow_gru="yes")


def test_naive_gru_plan_has_the_elman_layout_with_three_gates():
    gru = stacked_plan("gru", 2, [2, 3], None, allow_gru=True)
    elman = stacked_plan("elman", 2, [2, 3])
    assert gru.recurrent == elman.recurrent and gru.inputs == elman.inputs
    assert gru.weight_hh_mask().shape == (3 * 5, 5)
    # Every gate's rows carry the same block pattern.
    assert np.array_equal(gru.weight_hh_mask()[:5], elman.weight_hh_mask())
    assert np.array_equal(gru.weight_hh_mask()[10:], elman.weight_hh_mask())
    assert "naive" in gru.description


def test_plan_renders_in_jupyter():
    plan = stacked_plan("elman", 3, [2, 1, 3])
    latex = plan._repr_latex_()
    assert latex.startswith("$$") and latex.endswith("$$") and r"\hat U" in latex
    html = plan._repr_html_()
    assert html.count("<tr>") == 1 + len(plan.blocks)  # header + one row per block


def test_relaxed_plan_still_builds_from_masks():
    plan = relaxed_plan("elman", 1, [1, 2], np.array([[True, False], [True, True]]), np.array([True, False]),
                        delay=1)
    assert plan.recurrent_block_mask().tolist() == [[True, False], [True, True]]


PLAN = stacked_plan("elman", 2, [2, 3])


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    (dict(blocks="ab"), TypeError, r"blocks must be a non-empty sequence of theory.layout.Block; got str"),
    (dict(blocks=()), ValueError, r"blocks must be a non-empty sequence"),
    (dict(blocks=np.ones((4, 2))), TypeError, r"blocks must be .* got ndarray"),
    (dict(blocks=(Block("h", 0, "tanh", 0),)), ValueError, r"blocks\[0\].width must be an int >= 1"),
    (dict(blocks=(Block("h", 2, "tanh", -1),)), ValueError, r"blocks\[0\].lag must be an int >= 0"),
    (dict(recurrent=[-1, 0]), TypeError, r"recurrent\[0\] must be a theory.layout.Edge; got int"),
    (dict(recurrent=(Edge(0, 2),)), ValueError, r"recurrent\[0\].dst must be an int in \[0, 1\]; got 2"),
    (dict(inputs=None), TypeError, r"inputs must be a sequence of theory.layout.InputEdge; got NoneType"),
    (dict(inputs="lstm"), TypeError, r"inputs must be .* got str"),
    (dict(inputs=(InputEdge(5),)), ValueError, r"inputs\[0\].dst must be an int in \[0, 1\]"),
    (dict(readout={"w": "x"}), TypeError, r"readout must be a non-empty sequence of block indices; got dict"),
    (dict(readout=("0",)), TypeError, r"readout\[0\] must be an int"),
    (dict(readout=(2,)), ValueError, r"readout\[0\] must be an int in \[0, 1\]; got 2"),
    (dict(bias=1), TypeError, r"bias must be a bool"),
    (dict(description=None), TypeError, r"description must be a str"),
])
def test_plan_names_a_malformed_field(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        replace(PLAN, **kwargs)


def test_plan_stores_any_sequence_as_tuples():
    plan = replace(PLAN, blocks=list(PLAN.blocks), readout=[1])
    assert plan == PLAN and isinstance(plan.blocks, tuple) and hash(plan) == hash(PLAN)


# ------------------------------------------------ exact layouts (gaps the generic mutation tool found in this file)
def test_layer_param_names_follow_pytorch():
    assert layer_param("weight_ih", 0) == "weight_ih_l0"
    assert layer_param("bias_hh", 2) == "bias_hh_l2"
    assert layer_param("weight_hh", 1, True) == "weight_hh_l1_reverse"
    with pytest.raises(ValueError, match="kind must be one of"):
        layer_param("weight", 0)
    with pytest.raises(TypeError, match="reverse must be a bool"):
        layer_param("weight_ih", 0, 1)


@pytest.mark.parametrize(("start", "holds"), [("staggered", [0, 1, 2]), ("zero", [0, 0, 0])])
def test_stacked_plan_is_theorem_1s_layout(start, holds):
    # Theorem 1: block l (layer l) has lag l, U_l on the diagonal, W_l just below it, x into block 0 only,
    # read-out from the last block with delay L - 1; the staggered start holds block l for l steps.
    plan = stacked_plan("elman", 2, [2, 3, 4], ["tanh", "relu", "identity"], start=start)
    assert [(b.name, b.width, b.activation, b.lag, b.hold, b.layer) for b in plan.blocks] == [
        ("h1", 2, "tanh", 0, holds[0], 0), ("h2", 3, "relu", 1, holds[1], 1), ("h3", 4, "identity", 2, holds[2], 2)]
    assert sorted((e.src, e.dst, e.source) for e in plan.recurrent) == [
        (0, 0, "weight_hh_l0"), (0, 1, "weight_ih_l1"), (1, 1, "weight_hh_l1"), (1, 2, "weight_ih_l2"),
        (2, 2, "weight_hh_l2")]
    assert [(e.dst, e.source) for e in plan.inputs] == [(0, "weight_ih_l0")]
    assert plan.readout == (2,) and plan.delay == 2 and plan.bias is True
    assert plan.description == f"stacked elman x3 ({start} start)"
    assert stacked_plan("elman", 2, [2], None).blocks[0].activation == "tanh"
    assert [b.activation for b in stacked_plan("lstm", 2, [2, 3], "relu").blocks] == [None, None]  # gated: none
    with pytest.raises(ValueError, match=r"activations must be one str or 2 of them \(one per layer\); got 3"):
        stacked_plan("elman", 2, [2, 3], ["tanh"] * 3)


def test_relaxed_plan_defaults_and_mask_checks():
    rm, im = np.array([[True, False], [True, True]]), np.array([True, False])
    plan = relaxed_plan("elman", 1, [1, 2], rm, im, delay=1, activations=["relu", "tanh"])
    assert [(b.name, b.activation) for b in plan.blocks] == [("b1", "relu"), ("b2", "tanh")]
    assert plan.readout == (1,) and plan.bias is True and plan.description == "relaxed elman plan"
    assert relaxed_plan("elman", 1, [1, 2], rm, im, delay=1, readout=[0]).readout == (0,)
    assert relaxed_plan("elman", 1, [1, 2], rm, im, delay=1, description="mine").description == "mine"
    # wrong shape with the right dtype, and the right shape with the wrong dtype, are both refused
    for bad_rm in (np.ones((2, 3), bool), rm.astype(int)):
        with pytest.raises(ValueError, match=r"recurrent_mask must be a bool array of shape \(2, 2\)"):
            relaxed_plan("elman", 1, [1, 2], bad_rm, im, delay=1)
    for bad_im in (np.ones(3, bool), im.astype(int)):
        with pytest.raises(ValueError, match=r"input_mask must be a bool array of shape \(2,\)"):
            relaxed_plan("elman", 1, [1, 2], rm, bad_im, delay=1)
    assert plan.recurrent_block_mask().dtype == bool


def test_block_matrices_render_the_layout_in_the_papers_symbols():
    # written out by hand from Theorem 1 (layers 1-based in the symbols, gate and reverse as superscripts)
    plan = stacked_plan("elman", 1, [2, 3])
    assert block_matrix(plan) == r"\begin{bmatrix} U_{1} & 0 \\ W_{2} & U_{2} \end{bmatrix}"
    assert block_matrix(plan, "weight_ih") == r"\begin{bmatrix} W_{1} \\ 0 \end{bmatrix}"
    assert bias_vector(plan) == r"\begin{bmatrix} b_{1} + \bar b_{1} \\ b_{2} + \bar b_{2} \end{bmatrix}"
    assert bias_vector(stacked_plan("elman", 1, [2], bias=False)) == r"\begin{bmatrix} 0 \end{bmatrix}"
    assert plan_latex(plan) == (r"$$\hat U = " + block_matrix(plan) + r", \quad \hat W = "
                                + block_matrix(plan, "weight_ih") + r", \quad \hat b = " + bias_vector(plan)
                                + r", \quad d = 1$$")
    lstm = stacked_plan("lstm", 1, [2, 3])
    assert block_matrix(lstm, gate="f") == (r"\begin{bmatrix} U^{(f)}_{1} & 0 \\ W^{(f)}_{2} & U^{(f)}_{2} "
                                            r"\end{bmatrix}")
    assert bias_vector(lstm, "f") == (r"\begin{bmatrix} b^{(f)}_{1} + \bar b^{(f)}_{1} \\ b^{(f)}_{2} + "
                                      r"\bar b^{(f)}_{2} \end{bmatrix}")
    assert r"\text{(each gate)}" in plan_latex(lstm) and r"\text{(each gate)}" not in plan_latex(plan)
    assert param_symbol("weight_hh_l0_reverse") == "U^{(r)}_{1}"
    assert param_symbol("weight_hh_l0_reverse", "f") == "U^{(f,r)}_{1}"
    assert param_symbol("bias_hh_l2") == r"\bar b_{3}"
    assert bias_symbol(1, "i") == r"b^{(i)}_{2} + \bar b^{(i)}_{2}"
    assert plan_html(plan).count("stacked elman x2 (staggered start)") == 1
