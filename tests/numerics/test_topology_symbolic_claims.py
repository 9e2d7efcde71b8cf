"""The symbolic method of the topology claims, tied to the numerical reference network."""

import dataclasses
from fractions import Fraction

import numpy as np
import sympy

import theory.topology_symbolic as ts
from numerics.models.topology import TopologyRNN
from numerics.verify.claims import topology as topology_claims
from numerics.verify.registry import Effort
from theory.topology import Compiled, Layer, Topology, bidirectional_topology, compile_topology
from theory.topology_symbolic import run_reference


def _late_readout(c: Compiled) -> Compiled:
    """The read-out one step late: the off-by-one a delay computation could make."""
    return dataclasses.replace(c, plan=dataclasses.replace(c.plan, delay=c.plan.delay + 1))


def test_the_claim_method_reports_a_broken_compiler(monkeypatch):
    real = compile_topology

    def broken(top: Topology, *, bias: bool = True) -> Compiled:
        c = real(top, bias=bias)
        return _late_readout(c)

    method = topology_claims._symbolic_method(True)
    assert method(Effort()).max_error == 0.0
    monkeypatch.setattr(ts, "compile_topology", broken)
    res = method(Effort())
    assert res.max_error == float("inf")
    assert res.counterexample["kind"] == "output"
    assert res.counterexample["delay"] == real(bidirectional_topology(1, [1], 2)).delay + 1




def test_symbolic_reference_agrees_with_the_numeric_reference_on_rationals():
    """run_reference with concrete identity/relu and rational weights = TopologyRNN on fractions."""
    top = Topology(1, (Layer(2, (0,), "bidirectional", 2, "identity"), Layer(1, (1, 0), "bidirectional", 1, "relu")))
    rng = np.random.default_rng(0)
    ints = {k: rng.integers(-3, 4, size=s) for k, s in top.param_shapes(True).items()}
    params = {k: sympy.ImmutableMatrix(v.reshape(v.shape[0], -1).tolist()) for k, v in ints.items()}
    xs_int = rng.integers(-3, 4, size=(4, 1, 1))
    xs = [[sympy.Integer(int(v))] for v in xs_int[:, 0, 0]]
    acts = {"identity": lambda z: z, "relu": lambda z: z if z > 0 else sympy.S.Zero}
    outs = run_reference(top, params, xs, acts)
    frac = np.vectorize(lambda v: Fraction(int(v)), otypes=[object])
    net = TopologyRNN(top, {k: frac(v) for k, v in ints.items()})
    want = net(frac(xs_int))
    got = np.array([[float(v) for v in outs[2][t]] for t in range(4)])
    assert np.array_equal(got, want[:, 0, :].astype(float))
