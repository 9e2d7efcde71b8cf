"""Plans: the naive GRU layout on request, the Jupyter display hooks, and what a Plan refuses."""

from dataclasses import replace

import numpy as np
import pytest

from theory.layout import Block, Edge, InputEdge, relaxed_plan, stacked_plan


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
