"""Compiled topologies equal their layer-by-layer reference networks (float64, and exactly with fractions)."""

from fractions import Fraction

import numpy as np
import pytest

from numerics.models.jacobian import input_jacobian
from numerics.models.topology import (
    TopologyRNN,
    assemble_compiled,
    backward_contraction,
    compiled_delayed,
    run_plan_exact,
    streaming,
    truncation_bound,
    truncation_error,
)
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

TOPOLOGIES = [
    stacked_topology(2, [3, 2, 4]),
    skip_topology(2, [3, 2, 4, 2]),
    dense_topology(2, [3, 2, 4]),
    bidirectional_topology(2, [3, 2], 3),
    bidirectional_topology(1, [2], 0),
    Topology(2, (Layer(3, (0,), "backward", 2), Layer(2, (1, 0)), Layer(2, (2, 1), "bidirectional", 1)),
             readout=(1, 3)),
]


@pytest.mark.parametrize("top", TOPOLOGIES, ids=lambda t: t.name or "mixed")
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "identity"])
@pytest.mark.parametrize("bias", [True, False])
def test_compiled_equals_reference(top, activation, bias):
    top = Topology(top.input_size, tuple(Layer(la.width, la.reads, la.direction, la.horizon, activation)
                                         for la in top.layers), top.readout, top.name)
    net = TopologyRNN.random(top, bias=bias, seed=3, scale=0.8)
    _, delayed = compiled_delayed(net)
    x = np.random.default_rng(4).normal(size=(10, 3, top.input_size))
    ref = net(x)
    assert ref.shape == (10, 3, top.output_size)
    np.testing.assert_allclose(delayed(x), ref, rtol=1e-12, atol=1e-13)
    # The plain loop agrees with the engine too (it is the exact checker's runner).
    np.testing.assert_allclose(run_plan_exact(delayed.plan, delayed.params, x), ref, rtol=1e-12, atol=1e-13)


def _fraction_net(top: Topology, seed: int) -> TopologyRNN:
    rng = np.random.default_rng(seed)
    params = {k: np.vectorize(lambda v: Fraction(int(v), 4), otypes=[object])(rng.integers(-4, 5, size=s))
              for k, s in top.param_shapes(True).items()}
    return TopologyRNN(top, params)


@pytest.mark.parametrize("top", TOPOLOGIES, ids=lambda t: t.name or "mixed")
@pytest.mark.parametrize("activation", ["relu", "identity"])
def test_compiled_equals_reference_exactly(top, activation):
    top = Topology(top.input_size, tuple(Layer(la.width, la.reads, la.direction, la.horizon, activation)
                                         for la in top.layers), top.readout, top.name)
    net = _fraction_net(top, 5)
    compiled = compile_topology(top)
    params = assemble_compiled(compiled, net.params, dtype=object)
    x = np.vectorize(lambda v: Fraction(int(v), 3), otypes=[object])(
        np.random.default_rng(6).integers(-3, 4, size=(7, 2, top.input_size)))
    got, ref = run_plan_exact(compiled.plan, params, x), net(x)
    assert got.shape == ref.shape and (got == ref).all()
    assert all(isinstance(v, (Fraction, int)) for v in got.flat)


def test_backward_horizon_by_hand():
    # One identity unit, W = U = 1, no bias: b~_t = x_t + x_{t+1} (horizon 1), zero past the end.
    top = Topology(1, (Layer(1, (0,), "backward", 1, "identity"),))
    one = np.ones((1, 1))
    net = TopologyRNN(top, {"weight_ih_l0_reverse": one, "weight_hh_l0_reverse": one}, bias=False)
    x = np.array([1.0, 2.0, 4.0]).reshape(3, 1, 1)
    assert net(x).ravel().tolist() == [3.0, 6.0, 4.0]
    _, delayed = compiled_delayed(net)
    assert delayed.delay == 2
    assert delayed(x).ravel().tolist() == [3.0, 6.0, 4.0]
    # The full backward pass sums the whole suffix.
    assert net(x, backward="full").ravel().tolist() == [7.0, 6.0, 4.0]
    # Clipped at the end, with no bias, the windows are the same sums.
    assert net(x, backward="clipped").ravel().tolist() == [3.0, 6.0, 4.0]


def test_clipping_matters_only_with_a_bias():
    top = bidirectional_topology(2, [3], 2)
    x = np.random.default_rng(0).normal(size=(6, 2, 2))
    no_bias = TopologyRNN.random(top, bias=False, seed=1)
    np.testing.assert_allclose(no_bias(x), no_bias(x, backward="clipped"), atol=1e-15)
    biased = TopologyRNN.random(top, bias=True, seed=1)
    diff = np.abs(biased(x) - biased(x, backward="clipped")).max(axis=(1, 2))
    assert (diff[:4] == 0).all() and (diff[4:] > 1e-3).all()  # only t + h >= T differ


def test_truncation_meets_the_full_pass_only_under_the_end_condition():
    top = bidirectional_topology(2, [3], 6)
    x = np.random.default_rng(0).normal(size=(6, 2, 2))
    no_bias = TopologyRNN.random(top, bias=False, seed=1)
    np.testing.assert_allclose(no_bias(x), no_bias(x, backward="full"), atol=1e-15)
    biased = TopologyRNN.random(top, bias=True, seed=1)
    assert np.abs(biased(x) - biased(x, backward="full")).max() > 1e-3


def test_wrong_parameters_are_refused():
    top = stacked_topology(1, [2])
    with pytest.raises(ValueError, match="exactly the keys"):
        TopologyRNN(top, {"weight_ih_l0": np.zeros((2, 1))})
    with pytest.raises(ValueError, match="shape"):
        TopologyRNN(top, {"weight_ih_l0": np.zeros((2, 2)), "weight_hh_l0": np.zeros((2, 2)),
                          "bias_ih_l0": np.zeros(2), "bias_hh_l0": np.zeros(2)})


@pytest.mark.parametrize("x", [np.array(object()), np.array([Fraction(1)] * 2, dtype=object).reshape(1, 1, 2)])
def test_an_exact_input_of_the_wrong_shape_is_named(x):
    net = TopologyRNN.random(stacked_topology(1, [2]), seed=0)
    with pytest.raises(ValueError, match=r"x must (be a 3-D time-major array|have 1 features)"):
        net(x)


def _scalar_bidirectional(w: float, u: float, wb: float, ub: float) -> TopologyRNN:
    top = bidirectional_topology(1, [1], 0)
    p = {"weight_ih_l0": np.array([[w]]), "weight_hh_l0": np.array([[u]]),
         "weight_ih_l0_reverse": np.array([[wb]]), "weight_hh_l0_reverse": np.array([[ub]])}
    return TopologyRNN(top, p, bias=False)


def test_truncation_error_by_hand():
    # T = 2, h = 0: the full backward state at t = 1 is tanh(wb x1 + ub tanh(wb x2)), the truncated one
    # tanh(wb x1); at t = 2 both are tanh(wb x2).
    wb, ub, x1, x2 = 0.7, 0.5, 1.3, -0.4
    net = _scalar_bidirectional(0.3, -0.2, wb, ub)
    err = truncation_error(net, np.array([[[x1]], [[x2]]]), 0)
    b2 = np.tanh(wb * x2)
    assert err[0, 0] == pytest.approx(abs(np.tanh(wb * x1 + ub * b2) - np.tanh(wb * x1)), rel=1e-12)
    assert err[1, 0] == pytest.approx(0.0, abs=1e-15)
    # The bound rho^(h+1) |b_2| = |ub| |b2| holds, and one more power of rho would not.
    assert err[0, 0] <= abs(ub) * abs(b2)
    assert err[0, 0] > abs(ub) ** 2 * abs(b2)
    np.testing.assert_array_equal(truncation_bound(abs(ub), 1, 0, 2, exact_end=True), [abs(ub), 0.0])
    np.testing.assert_allclose(truncation_bound(0.5, 4, 3, 6), 2 * 0.5 ** np.array([4, 4, 4, 3, 2, 1]))


def test_streaming_horizon_grows_the_delay():
    net = TopologyRNN.random(bidirectional_topology(2, [3, 2], 1), seed=0)
    assert [streaming(net, h)[1].plan.delay for h in (0, 1, 2)] == [1, 5, 9]
    assert backward_contraction(net).keys() == {1, 2}


@pytest.mark.parametrize(("bad", "error"), [(-0.1, ValueError), ("0.5", TypeError)])
def test_truncation_bound_rejects_bad_rho(bad, error):
    with pytest.raises(error, match="rho"):
        truncation_bound(bad, 2, 1, 3)


@pytest.mark.parametrize("top", TOPOLOGIES, ids=lambda t: t.name or "mixed")
def test_compiled_jacobian_support_is_the_reference_field(top):
    # tanh is analytic with a nowhere-zero derivative: structural non-zeros are non-zero for generic weights.
    T = 7
    net = TopologyRNN.random(top, seed=2, scale=1.5)
    _, delayed = compiled_delayed(net)
    x = np.random.default_rng(3).normal(size=(T, 1, top.input_size))
    J = input_jacobian(delayed, x)  # (T, n_out, T, n_in)
    support = np.abs(J).max(axis=(1, 3)) > 1e-12
    np.testing.assert_array_equal(support, np.array(reference_field(top, T)))
    # Its look-ahead is the topology's: the furthest future input that reaches any output.
    ahead = max((s - t for t in range(T) for s in range(T) if support[t, s]), default=0)
    assert ahead == min(top.lookahead, T - 1)


def test_backward_contraction_is_the_reverse_matrix_spectral_norm():
    # a gap the generic mutation tool found: the forward matrix, or another norm, passed the targeted tests
    net = TopologyRNN.random(bidirectional_topology(2, [3, 2], 1, "tanh"), seed=4, scale=2.0)
    rho = backward_contraction(net)
    assert set(rho) == {1, 2}
    for l in (1, 2):
        U = net.params[f"weight_hh_l{l - 1}_reverse"]
        assert rho[l] == pytest.approx(float(np.sqrt(np.linalg.eigvalsh(U.T @ U).max())), rel=1e-12)
        assert rho[l] != pytest.approx(float(np.linalg.norm(net.params[f"weight_hh_l{l - 1}"], 2)), rel=1e-6)
    assert backward_contraction(TopologyRNN.random(stacked_topology(2, [3]), seed=0)) == {}


def test_each_layer_runs_its_own_activation():
    # two layers with different activations: layer 2 must apply its own (relu), layer 1 its own (identity)
    top = Topology(1, (Layer(1, (0,), "forward", 0, "identity"), Layer(1, (1,), "forward", 0, "relu")), (2,))
    p = {k: np.zeros(s) for k, s in top.param_shapes(False).items()}
    p["weight_ih_l0"][:] = 1.0
    p["weight_ih_l1"][:] = -1.0
    y = TopologyRNN(top, p, False)(np.array([[[-2.0]], [[3.0]]]))
    np.testing.assert_array_equal(y[:, 0, 0], [2.0, 0.0])  # relu(-identity(x)), by hand; swapped: -relu(x) = [0, -3]
