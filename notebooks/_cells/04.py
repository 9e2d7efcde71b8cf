"""Cells of notebooks/04_lstm_holds_gru_breaks.ipynb, read by notebooks/_make.py (which passes md, code and SETUP)."""

NAME = "04_lstm_holds_gru_breaks.ipynb"
CELLS = [
    md("""\
# 4. LSTM holds, GRU breaks

The construction of Theorem 1 carries over to LSTM gate by gate: each gate's
input and recurrent weights get the same block layout, and the cell state `c`
gets the same blocks and the same start rule. For GRU it does **not**: in a
single GRU layer the reset gate multiplies *every* recurrent contribution to
the candidate `n`, including block `l`'s reading of block `l - 1`, which a
stacked GRU feeds in without the reset gate."""),
    code(SETUP + """
from numerics import StackedRNN
from numerics.figures import plot_block_matrices, plot_gru_counterexample
from numerics.models import delayed_gru
from numerics.testing import assert_equivalent"""),
    md("## LSTM: exact, from any initial state `(h0, c0)`"),
    code("""\
lstm = StackedRNN.random(input_size=2, hidden_sizes=[3, 4, 2], cell="lstm", seed=0)
d_lstm = lstm.to_delayed(start="staggered")
rng = np.random.default_rng(0)
x = rng.normal(size=(10, 3, 2))
h0 = ([rng.normal(size=n) for n in lstm.hidden_sizes],   # h, then c
      [rng.normal(size=n) for n in lstm.hidden_sizes])
err = assert_equivalent(lstm, d_lstm, x, h0=h0)
print(f"LSTM: max |stacked - delayed| = {err:.1e}")
fig = plot_block_matrices(d_lstm.plan)
fig"""),
    md("""\
## GRU: the same layout gives a different network

`stacked_plan` refuses `cell="gru"` on purpose. `delayed_gru(net, "full")`
builds the layout anyway (same blocks, edges and parameter placements, three
gates) so that we can look at the failure; `delayed_gru(net, "own")` is the
fix (the reset gate multiplies each block's own recurrence only)."""),
    code("""\
gru = StackedRNN.random(input_size=2, hidden_sizes=[3, 3], cell="gru", seed=0,
                        scale=1.0)
try:
    gru.to_delayed()
except ValueError as exc:
    print("to_delayed refuses:", exc)
d_gru = delayed_gru(gru, "full")
x = rng.normal(size=(8, 1, 2))
per_step = np.abs(gru(x) - d_gru(x)).max(axis=(1, 2))
print("max |stacked GRU - naive d-GRU| per step:", per_step.round(3))
err = assert_equivalent(gru, delayed_gru(gru, "own"), x)
print(f"own-reset d-GRU: max |stacked - delayed| = {err:.1e}")"""),
    code("""\
fig = plot_gru_counterexample(T=12)
fig"""),
    md("""\
## Why: the residual, symbolically

Unroll both networks with symbolic weights and uninterpreted activations and
compare the arguments of `tanh` in the candidate `n`. The first difference
is `(r - 1) · W_n h_below`: the single layer multiplies the lower block's
contribution by the reset gate `r`, the stacked GRU does not. The smallest
counterexample has 2 layers of width 1 and a single time step."""),
    code("""\
from theory.symbolic import check_identity, gru_residual

res = gru_residual(widths=(1, 1), steps=1)
# gru_residual counts from 0; here steps and blocks count from 1, as in the theory
print("first difference at d-RNN step", res["step"] + 1,
      "block", res["block"] + 1)
print("residual       :", res["text"])
print("residual / W_n h_below =", res["factor"])
print("LSTM symbolic identity (L=3, T=4):", check_identity("lstm", [1, 2, 1], 4).equal)
print("GRU  symbolic identity (L=2, T=2):", check_identity("gru", [1, 1], 2).equal)"""),
    md("""\
## The fix: reset only the own block

If the delayed cell applies the reset gate to the block's *own* recurrent
input only (its diagonal block of `U_n`), the lower block's contribution
enters `n` unreset, exactly as in the stacked GRU, and the equivalence holds
again — symbolically, for every activation."""),
    code("""\
for widths, steps in [((1, 1), 2), ((2, 1, 2), 3)]:
    chk = check_identity("gru", list(widths), steps, reset="own")
    print(f"own-reset GRU, widths {widths}, T = {steps}: identical trees = "
          f"{chk.equal} ({chk.compared} expressions, {chk.seconds:.2f} s)")"""),
    md("""\
## Exercises

**Exercise N4.1.** The d-LSTM above stores full matrices. How many numbers
does it store (`weight_ih`, `weight_hh`, both biases), and how many
parameters has the stacked LSTM it copies? Check with `.size` on
`d_lstm.params` and on `lstm.state_dict()`.

<details><summary>Solution N4.1</summary>

$N = 3 + 4 + 2 = 9$, four gates: $36 \\cdot 2 + 36 \\cdot 9 + 2 \\cdot 36 = 468$.
Stacked: $84 + 144 + 64 = 292$; the other entries are structural zeros.

**Answer:** 468 stored, 292 free.
</details>"""),
    md("""\
**Exercise N4.2.** At which time step does the naive d-GRU above first
differ from the stacked GRU (1-based)? Read it off `per_step`.

<details><summary>Solution N4.2</summary>

The reset gate acts on block 2's reading of block 1 as soon as block 2
starts, which is the first represented time step.

**Answer:** time step 1.
</details>"""),
]
