"""Property: the staggered d-RNN's gradient, mapped back through the construction, is the stacked gradient.

``StackedRNN.to_delayed("staggered")`` copies each stacked parameter into
blocks of one wide layer (``theory.layout.stacked_plan``). The chain rule
then says the gradient of a stacked parameter is the gradient of the block
it was copied into, so ``disassemble(plan, grads.params)`` must equal the
stacked network's own gradient; likewise for inputs and initial states.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import disassemble
from numerics.testing import EquivalenceCase, stacked_cases

# relu is left out on purpose: the two networks sum in different orders, and a
# pre-activation within rounding of 0 may sit on different sides of the kink.
ACTS = ("tanh", "identity", "sigmoid")


def _close(a: np.ndarray, b: np.ndarray, what: str) -> None:
    # Reordered float64 sums: relative error ~1e-15 of the largest term.
    scale = max(1.0, float(np.abs(b).max(initial=0)))
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10 * scale, err_msg=what)


@settings(max_examples=40, deadline=None)
@given(case=stacked_cases(cells=("elman", "lstm"), layers=(1, 4), widths=(1, 5), input_sizes=(1, 3),
                          activations=ACTS, steps=(1, 8), batch=(1, 3), bound=1.0),
       seed=st.integers(0, 2**16))
def test_staggered_gradient_maps_to_stacked_gradient(case: EquivalenceCase, seed: int) -> None:
    net, x, h0 = case.net, case.x, case.h0
    d = net.to_delayed("staggered")
    w = np.random.default_rng(seed).standard_normal((x.shape[0], x.shape[1], net.output_size))
    y, cs = net.forward(x, h0)
    dx, g, dh0 = net.backward(cs, w, return_state_grads=True)
    dh = None if h0 is None else ((np.concatenate(h0[0], 1), np.concatenate(h0[1], 1)) if net.cell == "lstm"
                                  else np.concatenate(h0, 1))
    yd, cd = d.forward(x, dh)
    ddx, dg, ddh0 = d.backward(cd, w, return_state_grads=True)
    _close(yd, y, "outputs")
    _close(ddx, dx, "dx")
    mapped = disassemble(d.plan, dg.params)  # raises if the masked gradient left the pattern
    stacked = g.state_dict()
    assert mapped.keys() == stacked.keys()
    for k in stacked:
        _close(mapped[k], stacked[k], k)
    parts = (ddh0[0], ddh0[1]) if net.cell == "lstm" else (ddh0,)
    wants = (dh0[0], dh0[1]) if net.cell == "lstm" else (dh0,)
    for part, want in zip(parts, wants):
        for l in range(net.num_layers):
            a, b = d.plan.span(l)
            _close(part[:, a:b], want[l], f"initial state of layer {l}")
