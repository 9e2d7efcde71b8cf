"""Plans: the naive GRU layout on request, and the Jupyter display hooks."""

import numpy as np
import pytest

from theory.layout import relaxed_plan, stacked_plan


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
