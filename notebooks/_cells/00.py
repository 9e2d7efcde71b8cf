"""Cells of notebooks/00_stacked_and_bidirectional.ipynb, read by notebooks/_make.py (which passes md, code and SETUP)."""

NAME = "00_stacked_and_bidirectional.ipynb"
CELLS = [
    md("""\
# 0. Stacked and bidirectional RNNs

Before the delayed network, the two networks it rebuilds. This notebook
writes a stacked and a bidirectional Elman RNN from scratch in NumPy, checks
them against the toolkit's `StackedRNN` and `BidirectionalRNN`, and shows why
a bidirectional network cannot run online while a delayed one can (theory:
*Lecture 0* in the documentation).

**Why depth.** Each layer of a stack is a recurrent layer whose input is the
sequence of states of the layer below: a hierarchy of summaries.

**Why the future helps.** *"I went to the ____ to deposit a cheque."* At the
blank, a left-to-right reader has seen "I went to the"; the word that
settles it ("deposit") comes later. A bidirectional network adds a second
layer that reads the sequence backwards."""),
    md("""\
## The equations

Elman cell: $h_t = \\tanh(W x_t + U h_{t-1} + b)$, $h_0 = 0$.

Stacked, $L$ layers: $h^0_t = x_t$,
$h^l_t = \\tanh(W_l h^{l-1}_t + U_l h^l_{t-1} + b_l)$, output $h^L_t$.

Bidirectional: a forward cell over $t = 1, \\dots, T$ and a backward cell over
$t = T, \\dots, 1$ (from $h^b_{T+1} = 0$), output the
concatenation $y_t = [h^f_t; h^b_t]$ of width
$2n$. Stacked bidirectional layers read the concatenation of the layer below."""),
    code(SETUP + """
from numerics import BidirectionalRNN, DelayedRNN, StackedRNN
from theory.layout import relaxed_plan
from theory.receptive import lookahead, receptive_field"""),
    md("""\
## From scratch

One layer, forwards or backwards. PyTorch keeps two bias vectors, `bias_ih`
and `bias_hh`; their sum is $b$."""),
    code("""\
def elman_layer(x, W, U, b, reverse=False):
    \"\"\"One Elman layer on x (T, B, n_in): h_t = tanh(W x_t + U h_{t-1} + b).\"\"\"
    T, B, _ = x.shape
    h = np.zeros((B, U.shape[0]))
    out = np.empty((T, B, U.shape[0]))
    for t in (reversed(range(T)) if reverse else range(T)):
        h = np.tanh(x[t] @ W.T + h @ U.T + b)
        out[t] = h
    return out


def weights(sd, l, suffix=""):
    \"\"\"(W, U, b) of layer l (0-based, PyTorch's names) from a state_dict.\"\"\"
    W, U = sd[f"weight_ih_l{l}{suffix}"], sd[f"weight_hh_l{l}{suffix}"]
    return W, U, sd[f"bias_ih_l{l}{suffix}"] + sd[f"bias_hh_l{l}{suffix}"]"""),
    code("""\
def stacked(x, layers):
    \"\"\"layers: a list of (W, U, b); layer l reads the states of layer l - 1.\"\"\"
    for W, U, b in layers:
        x = elman_layer(x, W, U, b)
    return x


def bidirectional(x, layers):
    \"\"\"layers: a list of (forward (W, U, b), backward (W, U, b)).\"\"\"
    for fwd, bwd in layers:
        both = [elman_layer(x, *fwd), elman_layer(x, *bwd, reverse=True)]
        x = np.concatenate(both, axis=-1)          # [h_fwd; h_bwd]
    return x"""),
    md("""\
## The same numbers as the toolkit

Random networks from the toolkit, their weights handed to the functions
above."""),
    code("""\
x = np.random.default_rng(0).normal(size=(10, 2, 3))        # (T, B, features)
net = StackedRNN.random(input_size=3, hidden_sizes=[4, 5], seed=0)
sd = net.state_dict()
mine = stacked(x, [weights(sd, l) for l in range(net.num_layers)])
print("stacked:       max difference", np.abs(mine - net(x)).max())

bi = BidirectionalRNN.random(input_size=3, hidden_sizes=[4, 5], seed=0)
sd = bi.state_dict()
layers = [(weights(sd, l), weights(sd, l, "_reverse")) for l in range(bi.num_layers)]
mine = bidirectional(x, layers)
print("bidirectional: max difference", np.abs(mine - bi(x)).max(), "shape", mine.shape)
assert np.allclose(mine, bi(x), rtol=0, atol=1e-12)"""),
    md("""\
## Online, or not

Inputs arrive one at a time. The backward state at time 1 needs the backward
state at time 2, which needs time 3, … up to $x_T$: a bidirectional network
cannot give even $y_1$ before the sequence has ended. A **delayed** network
with delay $d$ runs forwards only and answers for time $t$ at step $t + d$:
a fixed latency of $d$ steps buys $d$ steps of look-ahead.

Change $x_7$ and see which outputs change."""),
    code("""\
plan = relaxed_plan("elman", 3, [6], [[True]], [True], delay=2)   # one dense block
delayed = DelayedRNN.random(plan, seed=0)
print("look-ahead of the delayed network:", lookahead(plan))
x2 = x.copy()
x2[6] += 1.0                                                # x_7 (index 6)
models = {"stacked": net, "bidirectional": bi, "delayed, d = 2": delayed}
changed = {}
for name, model in models.items():
    changed[name] = np.abs(model(x2) - model(x)).max(axis=(1, 2)) > 0
    print(f"{name:>15}: outputs that change: {np.nonzero(changed[name])[0] + 1}")"""),
    code("""\
fig, ax = plt.subplots(figsize=(7, 2.6), layout="constrained")
ax.imshow(np.array(list(changed.values())), cmap="Greys", vmin=0, vmax=1.6,
          extent=(0.5, 10.5, len(changed) - 0.5, -0.5), aspect="auto")
ax.set_yticks(range(len(changed)), list(changed))
ax.set_xticks(range(1, 11))
ax.axvline(7, color="tab:blue", lw=2, label="changed input $x_7$")
ax.set(xlabel="output time $t$", title="Outputs that see the change (dark)")
ax.legend(loc="lower left", fontsize=8);"""),
    md("""\
The delayed network's whole receptive field: $y_t$ (rows) can depend on
$x_s$ (columns) exactly when $s \\le t + d$."""),
    code("""\
field = receptive_field(plan, 10)                           # [t, s], 0-based
fig, ax = plt.subplots(figsize=(3.8, 3.6), layout="constrained")
ax.imshow(field, cmap="Greys", extent=(0.5, 10.5, 10.5, 0.5))
ax.set(xlabel="input time $s$", ylabel="output time $t$",
       title=f"dense d-RNN, d = {plan.delay}");"""),
    md("""\
## Exercises

**Exercise 0.5.** How many parameters has a one-layer bidirectional *LSTM*
with input size 3 and width 4 (weights and both bias vectors)? Check with
`BidirectionalRNN.random(3, [4], cell="lstm").state_dict()`.

<details><summary>Solution 0.5</summary>

An LSTM has four gates, so per direction $W \\in \\mathbb{R}^{16 \\times 3}$,
$U \\in \\mathbb{R}^{16 \\times 4}$ and two biases of size 16:
$48 + 64 + 32 = 144$. Two directions.

**Answer:** 288 parameters.
</details>"""),
    md("""\
**Exercise 0.6.** With the dense delayed network above ($d = 2$, $T = 10$),
which outputs change when the *last* input $x_{10}$ changes? Predict, then
run the cell above with `x2[9]` instead of `x2[6]`.

<details><summary>Solution 0.6</summary>

$y_t$ sees $x_{10}$ when $t + 2 \\ge 10$.

**Answer:** outputs 8 to 10.
</details>"""),
    md("""\
**Exercise 0.7.** Give `elman_layer` an `activation` argument and check it
against `StackedRNN.random(3, [4, 5], activations="relu")`.

<details><summary>Solution 0.7</summary>

Replace `np.tanh` by a function passed in, for example
`act=lambda a: np.maximum(a, 0)`, and pass it down from `stacked`. The
comparison is the same as above; the differences stay at rounding level.
</details>"""),
]
