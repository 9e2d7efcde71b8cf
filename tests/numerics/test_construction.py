"""Theorem 1 for Elman networks, checked with the public testing API the way a user would."""

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from numerics import DelayedRNN, StackedRNN
from numerics.models import delayed_gru
from numerics.testing import assert_equivalent, sequences, stacked_cases, stacked_rnns

DTYPES = (np.float64, np.float32)


@given(stacked_cases(dtypes=DTYPES))
def test_staggered_delayed_equals_stacked(case):
    assert_equivalent(case.net, case.net.to_delayed("staggered"), case.x, h0=case.h0,
                      names=("stacked", "delayed"))


@given(stacked_cases(dtypes=DTYPES, with_h0=(False,)))
def test_zero_start_equals_stacked_from_warmup_states(case):
    net = case.net
    assert_equivalent(net, net.to_delayed("zero"), case.x, h0=net.warmup_states(), h0_b=None,
                      names=("stacked from warm-up", "zero-start delayed"))


@given(stacked_cases(dtypes=(np.float64,), with_h0=(False,), bias=(False,), activations=("tanh", "relu", "identity")))
def test_zero_bias_zero_start_is_exact(case):
    assert_equivalent(case.net, case.net.to_delayed("zero"), case.x)


@given(stacked_rnns(), st.data())
def test_warmup_states_do_not_depend_on_the_input(net, data):
    x = data.draw(sequences(net.input_size, steps=(1, 6)))
    # Warm-up states are what the zero-start delayed network holds when each block's first real input arrives.
    d = net.to_delayed("zero")
    states = d.states(x)
    for l, w in enumerate(net.warmup_states()):
        if l == 0:
            continue
        a, b = d.plan.span(l)
        if l - 1 < states.shape[0]:
            np.testing.assert_allclose(states[l - 1, :, a:b], np.broadcast_to(w, (x.shape[1], b - a)), atol=1e-15)


def test_naive_zero_start_claim_is_refuted_with_a_minimal_counterexample():
    """The literal construction fails with biases; hypothesis finds and shrinks the smallest witness."""

    def differs(case):
        try:
            assert_equivalent(case.net, case.net.to_delayed("zero"), case.x)
        except AssertionError:
            return True
        return False

    cex = find(stacked_cases(with_h0=(False,), bias=(True,)), differs,
               settings=settings(max_examples=500, database=None, derandomize=True,
                                 phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck)))
    # Smallest possible witness: two layers of width 1, one step; the exact condition holds: the second
    # block warms up to a non-zero state (a bias, or a sigmoid block, whose sigma(0) = 1/2).
    assert cex.net.hidden_sizes == (1, 1)
    assert cex.x.shape[:2] == (1, 1)
    assert np.any(cex.net.warmup_states()[1] != 0)
    with pytest.raises(AssertionError, match="first differ at time step 0, batch item 0, unit 0"):
        assert_equivalent(cex.net, cex.net.to_delayed("zero"), cex.x)


@given(stacked_rnns(cells=("elman", "lstm"), dtypes=DTYPES))
def test_to_stacked_inverts_to_delayed(net):
    for start in ("staggered", "zero"):
        back = StackedRNN.from_delayed(net.to_delayed(start))
        assert back.activations == net.activations
        sd, ref = back.state_dict(), net.state_dict()
        assert sd.keys() == ref.keys()
        for k in ref:
            assert sd[k].dtype == ref[k].dtype
            np.testing.assert_array_equal(sd[k], ref[k])


def test_block_structure_of_the_construction():
    net = StackedRNN.random(3, [4, 5, 2], seed=0)
    d = net.to_delayed()
    sd = net.state_dict()
    W = d.params.weight_hh
    np.testing.assert_array_equal(W[0:4, 0:4], sd["weight_hh_l0"])
    np.testing.assert_array_equal(W[4:9, 0:4], sd["weight_ih_l1"])
    np.testing.assert_array_equal(W[4:9, 4:9], sd["weight_hh_l1"])
    np.testing.assert_array_equal(W[9:11, 4:9], sd["weight_ih_l2"])
    np.testing.assert_array_equal(W[9:11, 9:11], sd["weight_hh_l2"])
    assert np.count_nonzero(W[0:4, 4:]) == 0 and np.count_nonzero(W[4:9, 9:]) == 0 and np.count_nonzero(W[9:, :4]) == 0
    np.testing.assert_array_equal(d.params.weight_ih[:4], sd["weight_ih_l0"])
    assert np.count_nonzero(d.params.weight_ih[4:]) == 0
    np.testing.assert_array_equal(d.params.bias_hh, np.concatenate([sd[f"bias_hh_l{i}"] for i in range(3)]))
    assert d.delay == 2 and d.plan.holds == (0, 1, 2) and d.output_size == 2


def test_to_stacked_names_the_offending_block():
    d = StackedRNN.random(2, [3, 2, 2], seed=0).to_delayed()
    w = d.params.weight_hh.copy()
    w[3, 0] = 0.25   # block h2 <- h1 is allowed (weight_ih_l1); h3 <- h1 (rows 5:7, cols 0:3) is not
    w[5, 1] = -0.75
    bad = DelayedRNN(d.plan, type(d.params)(d.params.weight_ih, w, d.params.bias_ih, d.params.bias_hh))
    with pytest.raises(ValueError, match=r"weight_hh block \(h3 <- h1, gate h\).*0\.75"):
        StackedRNN.from_delayed(bad)
    dense = DelayedRNN.from_weights(np.array([[1.0], [1.0], [0.0], [0.0]]), np.ones((4, 4)), delay=1, widths=[2, 2])
    with pytest.raises(ValueError, match=r"weight_hh block \(h1 <- h2, gate h\).*1"):
        StackedRNN.from_delayed(dense)
    with pytest.raises(ValueError, match="delay must be L - 1"):
        StackedRNN.from_delayed(DelayedRNN.from_weights(np.ones((4, 1)), np.eye(4), delay=0, widths=[2, 2]))


def test_lstm_to_delayed_is_exact_and_gru_is_refused():
    net = StackedRNN.random(2, [3, 4, 2], cell="lstm", seed=4)
    x = np.random.default_rng(0).normal(size=(6, 2, 2))
    h = [np.random.default_rng(i).normal(size=n) for i, n in enumerate(net.hidden_sizes)]
    c = [np.random.default_rng(10 + i).normal(size=n) for i, n in enumerate(net.hidden_sizes)]
    assert_equivalent(net, net.to_delayed(), x, h0=(h, c))
    assert_equivalent(net, net.to_delayed("zero"), x, h0=net.warmup_states(), h0_b=None)
    with pytest.raises(ValueError, match="reset gate"):
        StackedRNN.random(2, [3, 3], cell="gru").to_delayed()


def test_own_reset_gru_goes_back_to_the_stacked_gru():
    net = StackedRNN.random(2, [2, 3], cell="gru", seed=7)
    back = StackedRNN.from_delayed(delayed_gru(net, "own"))
    assert all(np.array_equal(a, b) for a, b in zip(back.state_dict().values(), net.state_dict().values()))
    with pytest.raises(ValueError, match="gru-naive"):
        StackedRNN.from_delayed(delayed_gru(net, "full"))


def _with_biases(net: StackedRNN, keep: set[int]) -> StackedRNN:
    """The same network with every bias zeroed except those of the layers in ``keep`` (0-based)."""
    sd = dict(net.state_dict())
    for k in sd:
        if k.startswith("bias") and int(k.split("_l")[1]) not in keep:
            sd[k] = np.zeros_like(sd[k])
    return StackedRNN.from_state_dict(sd, net.cell, list(net.activations))


def test_naive_zero_start_fails_exactly_when_a_later_block_warms_up_non_zero() -> None:
    # docs/theory/theorem1.md: the naive zero start differs from the stacked network started
    # at zero exactly when a warm-up state of a block l >= 2 is non-zero.
    x = np.random.default_rng(1).normal(size=(5, 2, 2))
    base = StackedRNN.random(2, [3, 2, 2], activations="tanh", seed=3)
    first_only = _with_biases(base, {0})  # b_1 alone: blocks 2, 3 warm up at tanh(0) = 0
    assert all(np.all(w == 0) for w in first_only.warmup_states()[1:])
    np.testing.assert_allclose(first_only.to_delayed("zero")(x), first_only(x), rtol=0, atol=1e-14)
    second = _with_biases(base, {1})  # b_2 != 0: block 2 warms up to tanh(b_2) != 0
    assert np.any(second.warmup_states()[1] != 0)
    assert np.abs(second.to_delayed("zero")(x) - second(x)).max() > 1e-3
    sig = _with_biases(StackedRNN.random(2, [3, 2], activations="sigmoid", seed=4), set())
    assert np.all(sig.warmup_states()[1] == 0.5)  # sigma(0) = 1/2 with every bias zero
    assert np.abs(sig.to_delayed("zero")(x) - sig(x)).max() > 1e-3


@pytest.mark.parametrize("given", [np.float32, np.float64])
def test_assemble_keeps_the_arrays_dtype_unless_told(given: type) -> None:
    # Found by mutmut (docs/theory/mutation.md): nothing pinned the default dtype of assemble.
    from numerics.models import assemble

    net = StackedRNN.random(2, [3, 2], dtype=given, seed=0)
    plan = net.to_delayed().plan
    assert assemble(plan, net.state_dict()).weight_hh.dtype == np.dtype(given)
    assert assemble(plan, net.state_dict(), dtype=np.float64).weight_hh.dtype == np.float64
    assert assemble(plan, net.state_dict(), dtype=np.float32).weight_ih.dtype == np.float32


@pytest.mark.parametrize(("cell", "matrix", "gate", "block", "col"), [
    ("elman", "weight_ih", 0, 1, 0),   # input into a block above the first
    ("lstm", "weight_ih", 2, 1, 1),
    ("lstm", "weight_hh", 0, 1, 2),    # gate 0 of a later block, outside its placements
    ("lstm", "weight_hh", 3, 2, 0),
])
def test_disassemble_rejects_a_stray_entry(cell: str, matrix: str, gate: int, block: int, col: int) -> None:
    # Found by mutmut: stray entries in weight_ih and in gate 0 of later blocks went unchecked by tests.
    from numerics.models import disassemble

    net = StackedRNN.random(2, [2, 2, 2], cell=cell, seed=0)
    d = net.to_delayed()
    N = d.plan.hidden_size
    a, _ = d.plan.span(block)
    m = getattr(d.params, matrix).copy()
    row = gate * N + a
    # a column this block never reads in the stacked structure
    col = col if matrix == "weight_ih" else d.plan.span((block + 1) % 3)[0]
    assert m[row, col] == 0
    m[row, col] = 0.75
    params = type(d.params)(**{**d.params.arrays(), matrix: m})
    with pytest.raises(ValueError, match=f"{matrix}.*0.75"):
        disassemble(d.plan, params)
