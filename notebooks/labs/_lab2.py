"""Lab 2 (harder): the GRU counterexample and the own-reset fix. Cells for ``_make_labs.py``."""


def cells(md, code, solution, answer, check):
    return [
        md(r"""# Lab 2: LSTM holds, GRU breaks — find out why, then fix it

**Goal.** The block construction of Lab 1 carries over to the LSTM gate by
gate, but not to PyTorch's GRU. You will see the mismatch on the smallest
network that shows it (two layers of one unit each), find the one term that
causes it by computing one step by hand, remove it, and finally write a wide
GRU layer whose reset gate acts on each block's own state only: the
*own-reset* cell, for which the construction is exact again.

**Timing (90 minutes).** Read and set up 5 · Task 1 (see it fail) 10 ·
Task 2 (one step by hand) 20 · Task 3 (which term?) 10 · Task 4 (the
own-reset layer) 30 · Task 5 (why not the LSTM?) 10 · wrap-up 5.

The GRU, as PyTorch writes it (gate rows in the order $r, z, n$):

$$
\begin{aligned}
r &= \sigma(W_r x + b_{ir} + U_r h + b_{hr}), \qquad
z = \sigma(W_z x + b_{iz} + U_z h + b_{hz}), \\
n &= \tanh\bigl(W_n x + b_{in} + r \odot (U_n h + b_{hn})\bigr), \qquad
h' = (1 - z) \odot n + z \odot h.
\end{aligned}
$$

Replace each `raise NotImplementedError()` and run the check below it."""),
        code("""\
import numpy as np
from numerics import StackedRNN
from numerics.models.gru import delayed_gru
from numerics.testing import assert_equivalent, first_difference

net = StackedRNN.random(input_size=1, hidden_sizes=[1, 1], cell="gru", seed=0)
naive = delayed_gru(net, reset="full")   # Lab 1's layout, PyTorch's GRU cell
sd = net.state_dict()
sigmoid = lambda v: 1 / (1 + np.exp(-v))
x = np.random.default_rng(1).normal(size=(6, 1, 1))     # T = 6, one sequence
print(naive.plan.summary())"""),
        md(r"""## Task 1 (10 min): see it fail

Compare `net(x)` with `naive(x)`. Store the largest absolute difference in
`gap` and the first time $t$ (1-based) where they differ by more than
$10^{-9}$ in `first_t`. (`first_difference(a, b, rtol, atol)` returns the
0-based index of the first differing entry, or `None`.)"""),
        solution("lab2-fail", """\
### BEGIN SOLUTION
gap = np.abs(net(x) - naive(x)).max()
first_t = first_difference(net(x), naive(x), 0.0, 1e-9)[0] + 1
### END SOLUTION
print(f"gap = {gap:.4f}, first at t = {first_t}")"""),
        check("lab2-fail-check", """\
assert 1e-3 < gap < 1, f"gap = {gap}: compare net(x) with naive(x)"
assert first_t == 1, "they differ from the very first output on"
print("Task 1 passed")""", 1),
        md(r"""## Task 2 (20 min): one step by hand

Take only $x_1$ (`x[:1]`) and zero initial states. Compute with NumPy and
the entries of `sd` (all $1 \times 1$ here, so `float(...)` them):

- `y_stacked`: the stacked GRU's output $h^2_1$ (layer 1 then layer 2, each
  from state 0);
- `y_naive`: the delayed GRU's output for $t = 1$, i.e. block 2 at step
  $\tau = 2$. At step 1 block 1 computes $h^1_1$ and block 2 is held at 0
  (start rule). At step 2 block 2 is one GRU cell of the *wide* layer: its
  $U_n h$ term now contains **both** $U^2_n s^2$ and the input path
  $W^2_n s^1$ (block 1's state), and the reset gate $r^2$ multiplies all
  of it. The input-side terms of block 2 at step 2 are only the biases
  $b^2_{i\cdot}$ (the wide layer's input feeds block 1 only)."""),
        solution("lab2-step", """\
def gru_gates(l):
    \"\"\"The six weights and six biases of layer l (0-based), as floats, in r, z, n order.\"\"\"
    W = [float(v) for v in sd[f"weight_ih_l{l}"].ravel()]
    U = [float(v) for v in sd[f"weight_hh_l{l}"].ravel()]
    bi = [float(v) for v in sd[f"bias_ih_l{l}"]]
    bh = [float(v) for v in sd[f"bias_hh_l{l}"]]
    return W, U, bi, bh

x1 = float(x[0, 0, 0])
(W1, U1, bi1, bh1), (W2, U2, bi2, bh2) = gru_gates(0), gru_gates(1)
### BEGIN SOLUTION
def cell(inp, h, W, U, bi, bh):
    r = sigmoid(W[0] * inp + bi[0] + U[0] * h + bh[0])
    z = sigmoid(W[1] * inp + bi[1] + U[1] * h + bh[1])
    n = np.tanh(W[2] * inp + bi[2] + r * (U[2] * h + bh[2]))
    return (1 - z) * n + z * h

h1 = cell(x1, 0.0, W1, U1, bi1, bh1)
y_stacked = cell(h1, 0.0, W2, U2, bi2, bh2)
# block 2 at step 2: its own state is 0, block 1's state is h1, reached through U-hat
r = sigmoid(bi2[0] + W2[0] * h1 + bh2[0])
z = sigmoid(bi2[1] + W2[1] * h1 + bh2[1])
n = np.tanh(bi2[2] + r * (W2[2] * h1 + bh2[2]))
y_naive = (1 - z) * n
### END SOLUTION
print(f"stacked {y_stacked:.6f}   naive delayed {y_naive:.6f}")"""),
        check("lab2-step-check", """\
assert_equivalent(lambda v: np.full((1, 1, 1), y_stacked), net, x[:1], names=("yours", "stacked"))
assert_equivalent(lambda v: np.full((1, 1, 1), y_naive), naive, x[:1], names=("yours", "naive"))
print("Task 2 passed")""", 3),
        md(r"""## Task 3 (10 min): which term?

Compare your two computations line by line: $r$ and $z$ agree, and so does
everything in $n$ except one product. Name it in the answer cell below. Then
prove it: make `fixed`, a copy of `net` in which **one parameter of layer 2**
is set to zero so that the naive delayed GRU becomes exact for it. (Change
an entry of a copy of `sd` and use `StackedRNN.from_state_dict(new_sd,
"gru")`.)"""),
        answer("lab2-term", r"""In the stacked GRU, layer 2's candidate is
$n = \tanh(W^2_n h^1_t + b^2_{in} + r^2 \odot (U^2_n h^2_{t-1} + b^2_{hn}))$:
the input path $W^2_n h^1_t$ is **outside** the reset gate. In the wide
layer that input path lives in $\hat U$, and the cell multiplies all of
$\hat U_n s$ by $r$: block 2 computes $r^2 \odot W^2_n h^1_t$ instead.
The two agree only where $r^2 = 1$ or $W^2_n h^1_t = 0$; setting
$W^2_n = 0$ removes the term.""", 2),
        solution("lab2-fixed", """\
new_sd = {k: v.copy() for k, v in sd.items()}
### BEGIN SOLUTION
new_sd["weight_ih_l1"][2] = 0.0     # W_n of layer 2: the candidate's input path
### END SOLUTION
fixed = StackedRNN.from_state_dict(new_sd, "gru")"""),
        check("lab2-fixed-check", """\
changed = [k for k in sd if not np.array_equal(sd[k], fixed.state_dict()[k])]
assert changed and all(k.endswith("_l1") for k in changed), f"change layer 2 only; changed {changed}"
assert sum(int((sd[k] != fixed.state_dict()[k]).sum()) for k in changed) == 1, "change one entry"
assert_equivalent(fixed, delayed_gru(fixed, reset="full"), x, names=("fixed", "its naive d-GRU"))
print("Task 3 passed: the naive construction is exact once that path is gone")""", 2),
        md(r"""## Task 4 (30 min): the own-reset layer

Zeroing a weight is no fix. Instead change the wide cell: split $\hat U_n$
into its diagonal blocks $D$ (each block reading its own state) and the rest
$C = \hat U_n - D$, and compute

$$
n = \tanh\bigl(\hat W_n x + b_{in} + C s + r \odot (D s + b_{hn})\bigr).
$$

Write `run_gru(x, params, widths, reset)` for the wide layer: `params` has
`weight_ih` $(3N, n_0)$, `weight_hh` $(3N, N)$, `bias_ih`, `bias_hh`
$(3N,)$ with the gates stacked $r, z, n$ along the rows (`np.split(…, 3)`).
Pad `x` with $d = L - 1$ zero steps, start from 0, hold block $l$ for its
first $l - 1$ steps, and return the last block's states from step $d + 1$
on, shape `(T, B, n_L)`. With `reset="full"` use $D = \hat U_n$, $C = 0$
(PyTorch's cell); with `reset="own"` the split above."""),
        solution("lab2-run", """\
def run_gru(x, params, widths, reset):
    offsets = np.cumsum([0] + list(widths))
    N, d = offsets[-1], len(widths) - 1
    ### BEGIN SOLUTION
    Wr, Wz, Wn = np.split(params.weight_ih, 3)
    Ur, Uz, Un = np.split(params.weight_hh, 3)
    bir, biz, bin_ = np.split(params.bias_ih, 3)
    bhr, bhz, bhn = np.split(params.bias_hh, 3)
    own = np.zeros((N, N), dtype=bool)
    for a, b in zip(offsets[:-1], offsets[1:]):
        own[a:b, a:b] = True
    D, C = (np.where(own, Un, 0.0), np.where(own, 0.0, Un)) if reset == "own" else (Un, 0 * Un)
    T, B, _ = x.shape
    x = np.concatenate([x, np.zeros((d, B, x.shape[2]))])
    s, out = np.zeros((B, N)), []
    for tau in range(1, T + d + 1):
        u = x[tau - 1]
        r = sigmoid(u @ Wr.T + bir + s @ Ur.T + bhr)
        z = sigmoid(u @ Wz.T + biz + s @ Uz.T + bhz)
        n = np.tanh(u @ Wn.T + bin_ + s @ C.T + r * (s @ D.T + bhn))
        new = (1 - z) * n + z * s
        for l in range(len(widths)):            # hold block l + 1 for its first l steps
            if tau <= l:
                new[:, offsets[l]:offsets[l + 1]] = s[:, offsets[l]:offsets[l + 1]]
        s = new
        out.append(s)
    return np.stack(out)[d:, :, offsets[-2]:]
    ### END SOLUTION"""),
        check("lab2-run-check", """\
big = StackedRNN.random(input_size=2, hidden_sizes=[3, 4, 2], cell="gru", seed=3)
wide = delayed_gru(big, reset="full").params       # Lab 1's layout of the weights
xb = np.random.default_rng(4).normal(size=(7, 3, 2))
assert_equivalent(delayed_gru(big, reset="full"), lambda v: run_gru(v, wide, [3, 4, 2], "full"),
                  xb, names=("toolkit naive d-GRU", "run_gru full"))
assert_equivalent(big, lambda v: run_gru(v, wide, [3, 4, 2], "own"), xb,
                  names=("stacked GRU", "run_gru own"))
assert_equivalent(big, delayed_gru(big, reset="own"), xb, names=("stacked", "toolkit own-reset"))
print("Task 4 passed: the own-reset layer equals the stacked GRU")""", 4),
        md(r"""## Task 5 (10 min): why does the LSTM not break?

Check it first: `lstm = StackedRNN.random(1, [1, 1], cell="lstm", seed=0)`
and `assert_equivalent(lstm, lstm.to_delayed(), x)`. Then explain."""),
        answer("lab2-lstm", r"""Every LSTM gate is an affine function of
$[x_t; h_{t-1}]$ followed by a nonlinearity: $W x + U h + b$ enters each
gate as one sum, and no gate multiplies part of that sum. Moving
$W^l h^{l-1}_t$ from the "input" side into $\hat U$ therefore changes
nothing, gate by gate. The GRU is the exception because its candidate
multiplies only the recurrent part, $U_n h$, by $r$ — so which side of the
layer a term sits on matters.""", 2),
        md(r"""## Wrap-up (5 min)

- The naive delayed GRU differs from the stacked GRU from $t = 1$ on: block
  $l$'s reading of block $l-1$ is multiplied by $r^l$.
- The smallest counterexample has two layers of one unit; zeroing
  $W^2_n$ removes the gap, which pins the cause down.
- The own-reset cell, $n = \tanh(\hat W_n x + b_{in} + C s + r \odot (D s + b_{hn}))$,
  is exact again: `delayed_gru(net, reset="own")` in the toolkit, and it
  trains like any other delayed network."""),
    ]
