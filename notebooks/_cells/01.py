"""Cells of notebooks/01_block_matrix.ipynb, read by notebooks/_make.py (which passes md, code and SETUP)."""

NAME = "01_block_matrix.ipynb"
CELLS = [
    md("""\
# 1. Building the block matrix, and checking it

A stacked RNN with `L` layers is one wide recurrent layer in disguise
(Theorem 1). This notebook builds that layer from a random stacked network,
looks at its block matrices, and checks the equivalence three ways: the
staggered start, the warm-up states, and — as a check that the checker can
fail — the naive zero start, which is *not* equivalent when there are biases."""),
    code(SETUP + """
from numerics import StackedRNN
from numerics.figures import plot_block_matrices, plot_wavefront
from numerics.testing import assert_equivalent"""),
    md("""\
## A stacked network and its plan

`StackedRNN.random` draws PyTorch-style weights. The *plan* is the block
layout of the equivalent delayed network, computed once in `theory.layout`:
which block reads which, with what lag, and which stacked parameter is copied
where. NumPy and SymPy both assemble their matrices from it."""),
    code("""\
net = StackedRNN.random(input_size=3, hidden_sizes=[4, 5, 2], activations="tanh",
                        seed=0)
plan = net.plan(start="staggered")
print(plan.summary())"""),
    md("""\
Every non-zero block of the assembled matrices names the stacked parameter it
comes from: the diagonal holds each layer's own recurrent weights
(`weight_hh_l{l}`), the block just below holds the next layer's input weights
(`weight_ih_l{l}`), and only the first block sees the input."""),
    code("""\
fig = plot_block_matrices(plan)
fig"""),
    code("""\
delayed = net.to_delayed(start="staggered")
print("delay d =", delayed.delay, " width N =", delayed.hidden_size)
fig = plot_block_matrices(delayed)   # the actual weights under the block outlines
fig"""),
    md("""\
## One step of the delayed network is a diagonal wavefront

Block `l` lags `l - 1` steps behind the input, so one step of the wide layer
computes layer 1 at time `t`, layer 2 at time `t - 1`, … at once."""),
    code("""\
ax = plot_wavefront(L=3, T=7, step=4)
ax.figure"""),
    md("""\
## Check 1: the staggered start is exact (Theorem 1 (c))

Block `l` keeps its initial state for its first `l - 1` steps. With the same
initial states, the delayed network's output equals the stacked output up to
rounding (the sums run in a different order)."""),
    code("""\
rng = np.random.default_rng(1)
x = rng.normal(size=(12, 2, 3))                       # (T, B, features), time-major
h0 = [rng.normal(size=n) for n in net.hidden_sizes]   # any initial states
err = assert_equivalent(net, delayed, x, h0=h0, names=("stacked", "delayed"))
print(f"max |stacked - delayed| = {err:.2e}")"""),
    md("""\
## Check 2: the zero start is exact from the warm-up states (Theorem 1 (b))

Started from zero, block `l` runs `l - 1` steps on biases alone before its
first real input arrives. Those *warm-up states* do not depend on the input;
the stacked network started from them equals the zero-start delayed network."""),
    code("""\
zero_start = net.to_delayed(start="zero")
warm = net.warmup_states()
print("warm-up states:", [np.round(w, 3) for w in warm])
names = ("stacked from warm-up", "zero-start")
err = assert_equivalent(net, zero_start, x, h0=warm, h0_b=None, names=names)
print(f"max difference = {err:.2e}")"""),
    md("""\
## Check 3: the naive claim fails, and the checker says where

"The zero-start delayed network equals the stacked network started from
zero" is false when there are biases. `assert_equivalent` names the first
time step, batch item and unit where the outputs differ."""),
    code("""\
try:
    assert_equivalent(net, zero_start, x, names=("stacked from 0", "zero-start"))
except AssertionError as exc:
    print("refuted as expected:\\n", exc)
else:
    raise RuntimeError("the naive claim should have failed")"""),
    code("""\
diff = np.abs(net(x) - zero_start(x)).max(axis=(1, 2))
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.semilogy(np.arange(1, len(diff) + 1), np.maximum(diff, 1e-17), "o-")
ax.set(title="Naive zero start: error dies out after the first steps",
       xlabel="time $t$", ylabel="max |stacked − delayed|")
ax.grid(alpha=0.3)"""),
    md("""\
## Back again: `StackedRNN.from_delayed`

A delayed network whose weights have the block structure *is* a stacked
network; `StackedRNN.from_delayed` recovers it, and refuses (naming the
block) when a weight outside the pattern is non-zero."""),
    code("""\
back = StackedRNN.from_delayed(delayed)
pairs = zip(back.state_dict().values(), net.state_dict().values())
print("recovered exactly:", all(np.array_equal(a, b) for a, b in pairs))"""),
    code("""\
from dataclasses import replace
w = delayed.params.weight_hh.copy()
w[0, -1] = 0.5                  # block h1 reading h3: not a stacked connection
broken = replace(delayed, params=replace(delayed.params, weight_hh=w),
                 masked=False)
try:
    StackedRNN.from_delayed(broken)
except ValueError as exc:
    print("ValueError:", exc)"""),
    md("""\
## Exercises

**Exercise N1.1.** How many entries of the delayed network's recurrent matrix
$\\hat U$ (`delayed.params.weight_hh`, $11 \\times 11$) are non-zero for the
widths 4, 5, 2 above? Count the blocks by hand, then check with
`np.count_nonzero`.

<details><summary>Solution N1.1</summary>

The diagonal holds $U_1, U_2, U_3$: $16 + 25 + 4 = 45$ entries; below it
$W_2$ ($5 \\times 4$) and $W_3$ ($2 \\times 5$): $20 + 10 = 30$.

**Answer:** 75 of the 121 entries.
</details>"""),
    md("""\
**Exercise N1.2.** For $T = 12$ inputs, how many steps does the delayed
network run, and how wide is its state? Check with
`delayed.states(np.zeros((12, 1, 3))).shape`.

<details><summary>Solution N1.2</summary>

It runs $T + d$ steps with $d = L - 1 = 2$; its state is $N = 4 + 5 + 2$ wide.

**Answer:** 14 steps, width 11.
</details>"""),
    md("""\
**Exercise N1.3.** Draw the same network without biases
(`StackedRNN.random(3, [4, 5, 2], bias=False, seed=0)`). What are its warm-up
states, and why does Check 3 then pass?

<details><summary>Solution N1.3</summary>

Without biases and with $\\tanh(0) = 0$ a block fed only zeros stays at zero,
so the warm-up states are the zero start itself (case (a) of Theorem 1).

**Answer:** the largest warm-up entry is 0.
</details>"""),
]
