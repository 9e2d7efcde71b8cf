"""Symbolic unrolling of compiled topologies: identical trees for the compiler, a difference for broken ones."""

import dataclasses
import random

import pytest
import sympy

import theory.topology_symbolic as ts
from theory.topology import (
    IDENTITY,
    Compiled,
    Layer,
    Topology,
    bidirectional_topology,
    compile_topology,
    dense_topology,
    skip_topology,
    stacked_topology,
)
from theory.topology_symbolic import (
    MAX_SYMBOLIC_UNITS,
    check_compiled,
    check_topology,
    compiled_matrices,
    input_symbols,
    line_blocks,
    random_topology,
    topology_symbols,
)

MIXED = Topology(2, (Layer(2, (0,), "bidirectional", 1, "identity"), Layer(1, (1, 0), "bidirectional", 2),
                     Layer(1, (2,), "backward", 1, "sigmoid")), (1, 3), "mixed")


@pytest.mark.parametrize("top", [
    bidirectional_topology(1, [1], 0), bidirectional_topology(1, [2], 3), bidirectional_topology(2, [2, 1], [2, 1]),
    stacked_topology(2, [2, 1, 2]), skip_topology(1, [1, 2, 1], 1, "relu"), dense_topology(2, [1, 1, 2], "identity"),
    MIXED,
], ids=lambda t: t.name)
@pytest.mark.parametrize("bias", [True, False])
def test_compiled_topologies_are_identical_trees(top, bias):
    r = check_topology(top, 5, bias=bias)
    assert r.equal, r.mismatch
    n_out = top.output_size
    assert r.compared >= 5 * n_out  # every output compared, then the layers
    assert r.delay == compile_topology(top).delay


def test_random_topologies_are_identical_trees():
    rng = random.Random(3)
    for _ in range(15):
        top = random_topology(rng, max_layers=3, max_horizon=2)
        r = check_topology(top, 4, bias=rng.random() < 0.5)
        assert r.equal, (top, r.mismatch)


def test_zero_steps_compare_nothing_and_agree():
    r = check_topology(bidirectional_topology(1, [1], 1), 0)
    assert r.equal and r.compared == 0


# ----------------------------------------------------------------------------------------- mutants
def _block(c: Compiled, name: str) -> int:
    return next(i for i, b in enumerate(c.plan.blocks) if b.name == name)


def _line_off_by_one(c: Compiled) -> Compiled:
    """Stage b1.2 reads the input line one slot too early (x@2 instead of x@3): a line one step short."""
    span = c.plan.span
    good, bad, stage = span(_block(c, "x@3")), span(_block(c, "x@2")), span(_block(c, "b1.2"))
    placements = tuple(dataclasses.replace(p, cols=bad) if p.matrix == "weight_hh" and p.rows == stage
                       and p.cols == good else p for p in c.placements)
    assert placements != c.placements
    return dataclasses.replace(c, placements=placements)


def _wrong_source(c: Compiled) -> Compiled:
    """The last backward stage reads its input through the forward direction's weights."""
    stage = c.plan.span(_block(c, "b1.2"))
    placements = tuple(dataclasses.replace(p, source="weight_ih_l0") if p.rows == stage
                       and p.source == "weight_ih_l0_reverse" else p for p in c.placements)
    assert placements != c.placements
    return dataclasses.replace(c, placements=placements)


def _late_readout(c: Compiled) -> Compiled:
    return dataclasses.replace(c, plan=dataclasses.replace(c.plan, delay=c.plan.delay + 1))


def _tanh_line(c: Compiled) -> Compiled:
    """A delay-line slot squashed by the cell's activation instead of copying."""
    i = _block(c, "x@1")
    blocks = list(c.plan.blocks)
    blocks[i] = dataclasses.replace(blocks[i], activation="tanh")
    return dataclasses.replace(c, plan=dataclasses.replace(c.plan, blocks=tuple(blocks)))


def _unheld_forward(c: Compiled) -> Compiled:
    """The forward block starts at once instead of the staggered start (hold = lag)."""
    i = _block(c, "h1")
    blocks = list(c.plan.blocks)
    blocks[i] = dataclasses.replace(blocks[i], hold=0)
    return dataclasses.replace(c, plan=dataclasses.replace(c.plan, blocks=tuple(blocks)))


MUTANTS = {"line-off-by-one": _line_off_by_one, "wrong-source": _wrong_source, "late-readout": _late_readout,
           "tanh-line": _tanh_line, "unheld-forward": _unheld_forward}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_a_broken_compiler_is_reported(monkeypatch, mutant):
    real = compile_topology
    monkeypatch.setattr(ts, "compile_topology", lambda top, *, bias=True: MUTANTS[mutant](real(top, bias=bias)))
    top = bidirectional_topology(1, [2], 2)
    r = check_topology(top, 4, bias=True)
    assert not r.equal
    assert r.mismatch["kind"] in ("output", "layer")
    assert r.mismatch["compiled"] != r.mismatch["reference"]
    monkeypatch.undo()
    assert check_topology(top, 4, bias=True).equal  # the same case passes with the real compiler


# ----------------------------------------------------------------------------------------- pieces
def test_compiled_matrices_copy_placements_and_identity_lines():
    top = bidirectional_topology(1, [1], 1)
    c = compile_topology(top)
    params = topology_symbols(top)
    mats = compiled_matrices(c, params)
    N = c.plan.hidden_size
    assert mats["weight_hh"].shape == (N, N) and mats["bias_ih"].shape == (N, 1)
    x0, x1 = c.plan.span(_block(c, "x@0")), c.plan.span(_block(c, "x@1"))
    assert mats["weight_hh"][x1[0], x0[0]] == 1  # the line copies slot 0 into slot 1
    assert mats["weight_ih"][x0[0], 0] == 1
    s1 = c.plan.span(_block(c, "b1.1"))
    assert mats["weight_hh"][s1[0], x1[0]] == params["weight_ih_l0_reverse"][0, 0]
    assert mats["bias_hh"][s1[0], 0] == params["bias_hh_l0_reverse"][0]
    lines = line_blocks(c)
    assert {c.plan.blocks[i].name for i in lines} == {"x@0", "x@1"}


def test_line_blocks_include_output_lines_and_exclude_identity_cells():
    top = Topology(1, (Layer(1, (0,), activation="identity"), Layer(1, (1,)), Layer(1, (2, 1))))
    c = compile_topology(top)
    names = {c.plan.blocks[i].name for i in line_blocks(c)}
    assert names and all("@" in n for n in names)
    assert "h1" not in names


def test_input_symbols_are_reexported_for_callers():
    assert input_symbols(2, 1)[1][0] == sympy.Symbol("x[1,0]")


def test_sizes_are_capped_and_arguments_checked():
    wide = Topology(1, (Layer(12, (0,), "bidirectional", 12),))
    with pytest.raises(ValueError, match="compiled must have at most"):
        check_topology(wide, 2)
    assert compile_topology(wide).units > MAX_SYMBOLIC_UNITS
    with pytest.raises(ValueError, match="steps"):
        check_topology(bidirectional_topology(1, [1], 0), 33)
    with pytest.raises(TypeError, match="top"):
        check_topology("not a topology", 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bias"):
        check_topology(bidirectional_topology(1, [1], 0), 2, bias=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="compiled"):
        check_compiled(bidirectional_topology(1, [1], 0), 2)  # type: ignore[arg-type]
    c = compile_topology(bidirectional_topology(1, [1], 0))
    with pytest.raises(ValueError, match="missing"):
        compiled_matrices(c, {})
    with pytest.raises(TypeError, match="rng"):
        random_topology(0)  # type: ignore[arg-type]


def test_identity_placements_are_the_only_placements_of_lines():
    c = compile_topology(bidirectional_topology(2, [1, 1], [1, 1]))
    lines = line_blocks(c)
    for p in c.placements:
        rows_block = next(i for i in range(len(c.plan.blocks)) if c.plan.span(i)[0] == p.rows[0])
        assert (rows_block in lines) == (p.source == IDENTITY)
