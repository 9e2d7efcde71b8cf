"""The topology compiler: unit counts, lags and delays derived by hand, and the stacked special case."""

import numpy as np
import pytest

from theory.layout import stacked_plan
from theory.receptive import receptive_field
from theory.topology import (
    Layer,
    Topology,
    bidirectional_topology,
    compile_topology,
    dense_topology,
    reference_field,
    skip_topology,
    stacked_topology,
)


def test_stacked_is_the_theorem_1_plan():
    c = compile_topology(stacked_topology(2, [3, 2, 4]))
    ref = stacked_plan("elman", 2, [3, 2, 4])
    assert c.plan.widths == ref.widths
    assert c.plan.lags == ref.lags and c.plan.holds == ref.holds
    assert c.delay == ref.delay == 2
    assert (c.plan.weight_hh_mask() == ref.weight_hh_mask()).all()
    assert (c.plan.weight_ih_mask() == ref.weight_ih_mask()).all()
    assert c.overhead == 0 and c.line_units == 0


def test_skip_one_counts():
    # Layer 2 reads x one step late (2 units), layer 3 reads h1 one step late (3), layer 4 reads h2 (2).
    c = compile_topology(skip_topology(2, [3, 2, 4, 2]))
    assert (c.delay, c.units, c.line_units, c.overhead) == (3, 18, 7, 7)
    assert c.layer_lags == (0, 1, 2, 3)


def test_dense_shares_one_line_per_source():
    # x is needed at lags 0 (layer 2) and 1 (layer 3): one line of two slots, not two lines; h1 at lag 1.
    c = compile_topology(dense_topology(2, [3, 2, 4]))
    assert (c.delay, c.units, c.line_units) == (2, 16, 7)
    names = [b.name for b in c.plan.blocks]
    assert names.count("x@0") == 1 and names.count("x@1") == 1 and "h1@1" in names


@pytest.mark.parametrize("h", [0, 1, 2, 5])
def test_single_bidirectional_layer(h):
    n0, n = 3, 4
    c = compile_topology(bidirectional_topology(n0, [n], h))
    assert c.delay == 2 * h
    assert c.units == 2 * h * n0 + (h + 2) * n  # input line, forward block, h + 1 stages
    stages = [b for b in c.plan.blocks if b.name.startswith("b1.")]
    assert [b.lag for b in stages] == [2 * j for j in range(h + 1)]


def test_two_layer_bidirectional_delays_add():
    # Layer 1 ready at 2h = 6; layer 2 starts at 7 and is ready at 7 + 2h = 13.
    c = compile_topology(bidirectional_topology(2, [3, 2], 3))
    assert c.layer_lags == (6, 13) and c.delay == 13
    assert c.line_units == 6 * 2 + 6 * 6
    assert c.units == 48 + (3 + 4 * 3) + (2 + 4 * 2)


def test_readout_of_an_early_layer_waits_in_a_line():
    top = Topology(1, (Layer(2, (0,)), Layer(2, (1,), "backward", 2)), readout=(1, 2))
    c = compile_topology(top)
    assert c.delay == 5
    assert [c.plan.blocks[r].name for r in c.plan.readout] == ["h1@5", "b2.2"]


@pytest.mark.parametrize("top", [
    stacked_topology(2, [3, 2, 4]), skip_topology(1, [2, 2, 2, 2], 2), dense_topology(2, [3, 2, 4]),
    bidirectional_topology(2, [3, 2], [1, 2]),
    Topology(2, (Layer(3, (0,), "backward", 2), Layer(2, (1, 0)), Layer(2, (2, 1), "bidirectional", 1)),
             readout=(1, 3)),
])
@pytest.mark.parametrize("T", [1, 4, 11])
def test_compiled_receptive_field_is_the_topology_s(top, T):
    assert (receptive_field(compile_topology(top).plan, T) == np.array(reference_field(top, T))).all()


def test_lookahead_sums_horizons_along_paths():
    top = Topology(1, (Layer(2, (0,), "backward", 2), Layer(2, (0,), "bidirectional", 3), Layer(2, (1, 2))))
    assert top.lookahead == 3
    assert bidirectional_topology(1, [2, 2, 2], [1, 2, 3]).lookahead == 6


def test_a_backward_layer_sees_no_past():
    f = np.array(reference_field(Topology(1, (Layer(2, (0,), "backward", 1),)), 4))
    assert f.tolist() == [[s in (t, t + 1) for s in range(4)] for t in range(4)]


@pytest.mark.parametrize("kwargs, match", [
    ({"width": 2, "reads": (0,), "horizon": 1}, "forward layer has no horizon"),
    ({"width": 2, "reads": ()}, "non-empty"),
    ({"width": 2, "reads": (0, 0)}, "repeat"),
    ({"width": 2, "reads": (0,), "direction": "sideways"}, "direction"),
])
def test_bad_layers(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Layer(**kwargs)


def test_layers_read_only_lower_layers():
    with pytest.raises(ValueError, match="layer 1 may read"):
        Topology(1, (Layer(2, (1,)),))
    with pytest.raises(ValueError, match="readout"):
        Topology(1, (Layer(2, (0,)),), readout=(2,))


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    (dict(layers=3), TypeError, r"layers must be a non-empty sequence of theory.topology.Layer; got int"),
    (dict(layers=()), ValueError, r"layers must be a non-empty sequence"),
    (dict(layers=(Layer(2, (0,)), "x")), TypeError, r"layers\[1\] must be a theory.topology.Layer; got str"),
    (dict(layers=np.ones((4, 2))), TypeError, r"layers must be .* got ndarray"),
    (dict(readout=2), TypeError, r"readout must be a sequence of layer numbers; got int"),
    (dict(readout=np.ones(3)), TypeError, r"readout must be .* got ndarray"),
    (dict(readout=(1.0,)), TypeError, r"readout\[0\] must be an int"),
    (dict(readout=(1, 1)), ValueError, r"readout must list distinct layers"),
    (dict(name=None), TypeError, r"name must be a str"),
])
def test_topology_names_a_malformed_field(kwargs, exc, match):
    fields = dict(input_size=1, layers=(Layer(2, (0,)),), readout=(), name="")
    with pytest.raises(exc, match=match):
        Topology(**{**fields, **kwargs})


def test_topology_stores_any_sequence_as_tuples():
    top = Topology(1, [Layer(2, (0,)), Layer(2, (1,))], [2])
    assert top.layers == (Layer(2, (0,)), Layer(2, (1,))) and top.readout == (2,)
    assert hash(top) == hash(Topology(1, top.layers, (2,)))
