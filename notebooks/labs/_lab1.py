"""Lab 1 (easiest): build the delayed network by hand in NumPy. Cells for ``_make_labs.py``."""


def cells(md, code, solution, answer, check):
    return [
        md(r"""# Lab 1: the delayed network by hand

**Goal.** Build, with nothing but NumPy, the single recurrent layer that
computes a 3-layer stacked Elman network exactly (Theorem 1): its input
matrix $\hat W$, its recurrent matrix $\hat U$, its bias $\hat b$, the start
rule and the read-out delay $d = L - 1$. Then check your layer against the
stacked network with `assert_equivalent`, as the toolkit's own tests do.

**Timing (90 minutes).** Read and set up 5 · Task 1 ($\hat W$) 10 · Task 2
($\hat U$) 20 · Task 3 ($\hat b$) 5 · Task 4 (run it: start rule and
read-out) 30 · Task 5 (why the start rule) 15 · wrap-up 5.

**How to work.** Replace each `raise NotImplementedError()` with your code
and run the *check* cell below it: it is silent when your answer is right and
raises an error that says what is wrong otherwise. Do not edit the check
cells. Notation (see the notation page): layer $l$'s state at time $t$ is
$h^l_t$; layers and times count from 1 on paper, from 0 in Python."""),
        code("""\
import numpy as np
from numerics import StackedRNN
from numerics.testing import assert_equivalent

net = StackedRNN.random(input_size=3, hidden_sizes=[4, 5, 2], seed=0)
sd = net.state_dict()          # PyTorch names: layer l is "..._l{l-1}"
widths = list(net.hidden_sizes)
L = net.num_layers
N = sum(widths)                # width of the single delayed layer
d = L - 1                      # its delay
offsets = np.cumsum([0] + widths)   # block l (1-based) is rows offsets[l-1]:offsets[l]
for name, value in sd.items():
    print(f"{name:14s} {value.shape}")"""),
        md(r"""## Task 1 (10 min): the input matrix $\hat W$

The stacked network is $h^0_t = x_t$,
$h^l_t = \tanh(W_l h^{l-1}_t + U_l h^l_{t-1} + b_l)$. In the delayed layer
$s_\tau = \tanh(\hat W x_\tau + \hat U s_{\tau-1} + \hat b)$ with
$s = [s^1; s^2; s^3]$, only block 1 reads the input. Write `W_hat_of`,
returning the $N \times n_0$ matrix $\hat W = [W_1; 0; 0]$
(`weight_ih_l0` is $W_1$)."""),
        solution("lab1-W", """\
def W_hat_of(sd, widths):
    \"\"\"The input matrix of the delayed layer, shape (N, input size).\"\"\"
    ### BEGIN SOLUTION
    W1 = sd["weight_ih_l0"]
    W = np.zeros((sum(widths), W1.shape[1]))
    W[: widths[0]] = W1
    return W
    ### END SOLUTION"""),
        check("lab1-W-check", """\
W_hat = W_hat_of(sd, widths)
assert W_hat.shape == (N, 3), f"W_hat should be {N} x 3, got {W_hat.shape}"
assert np.array_equal(W_hat[:4], sd["weight_ih_l0"]), "block 1 of W_hat should be W_1"
assert not W_hat[4:].any(), "only block 1 reads the input: the other rows are zero"
print("Task 1 passed")""", 1),
        md(r"""## Task 2 (20 min): the recurrent matrix $\hat U$

Block $l$ reads its own previous state through $U_l$ (on the diagonal) and
block $l-1$'s previous state through $W_l$ (just below the diagonal):

$$
\hat U = \begin{pmatrix} U_1 & 0 & 0 \\ W_2 & U_2 & 0 \\ 0 & W_3 & U_3 \end{pmatrix}.
$$

Write `U_hat_of` for any number of layers. Before you run the check: how
many of its $11 \times 11$ entries are non-zero?"""),
        solution("lab1-U", """\
def U_hat_of(sd, widths):
    \"\"\"The recurrent matrix of the delayed layer, shape (N, N).\"\"\"
    ### BEGIN SOLUTION
    offsets = np.cumsum([0] + list(widths))
    U = np.zeros((offsets[-1], offsets[-1]))
    for l in range(len(widths)):          # l is 0-based here
        rows = slice(offsets[l], offsets[l + 1])
        U[rows, rows] = sd[f"weight_hh_l{l}"]
        if l > 0:
            U[rows, offsets[l - 1]:offsets[l]] = sd[f"weight_ih_l{l}"]
    return U
    ### END SOLUTION"""),
        check("lab1-U-check", """\
U_hat = U_hat_of(sd, widths)
assert U_hat.shape == (N, N), f"U_hat should be {N} x {N}, got {U_hat.shape}"
assert np.array_equal(U_hat[4:9, 4:9], sd["weight_hh_l1"]), "diagonal block 2 should be U_2"
assert np.array_equal(U_hat[4:9, 0:4], sd["weight_ih_l1"]), "block (2, 1) should be W_2"
assert np.count_nonzero(U_hat) == 16 + 25 + 4 + 20 + 10, "a block outside the pattern is non-zero"
reference = net.to_delayed().params.weight_hh       # the toolkit's construction
assert np.array_equal(U_hat, reference), "U_hat differs from the toolkit's construction"
print("Task 2 passed:", np.count_nonzero(U_hat), "non-zero entries")""", 2),
        md(r"""## Task 3 (5 min): the bias $\hat b$

PyTorch splits each layer's bias into `bias_ih_l{l-1}` and `bias_hh_l{l-1}`;
for an Elman cell only their sum matters. Stack the sums block by block."""),
        solution("lab1-b", """\
def b_hat_of(sd, widths):
    \"\"\"The bias of the delayed layer, shape (N,).\"\"\"
    ### BEGIN SOLUTION
    return np.concatenate([sd[f"bias_ih_l{l}"] + sd[f"bias_hh_l{l}"]
                           for l in range(len(widths))])
    ### END SOLUTION"""),
        check("lab1-b-check", """\
b_hat = b_hat_of(sd, widths)
assert b_hat.shape == (N,), f"b_hat should have shape ({N},), got {b_hat.shape}"
assert np.allclose(b_hat[9:], sd["bias_ih_l2"] + sd["bias_hh_l2"]), "block 3 of b_hat is wrong"
print("Task 3 passed")""", 1),
        md(r"""## Task 4 (30 min): run it — the start rule and the read-out delay

Write `run_delayed(x, W, U, b, s0, holds)`: pad `x` (shape `(T, B, 3)`) with
$d$ zero steps, start from `s0` (shape `(N,)`, the stacked initial states
side by side) and compute $s_\tau$ for $\tau = 1, \dots, T + d$, returning
all states, shape `(T + d, B, N)`. **Start rule:** block $l$ keeps its
initial state during its first `holds[l-1]` steps (Theorem 1 (c): hold
$l - 1$ steps, so that block $l$ meets layer $l-1$'s first real output).

Then write `readout(states)`: the answer for time $t$ is the last block at
step $t + d$, shape `(T, B, 2)`. Block $l$ at step $\tau$ holds $h^l_{\tau-l+1}$."""),
        solution("lab1-run", """\
def run_delayed(x, W, U, b, s0, holds):
    ### BEGIN SOLUTION
    T, B, _ = x.shape
    x = np.concatenate([x, np.zeros((d, B, x.shape[2]))])
    s = np.tile(s0, (B, 1))
    states = []
    for tau in range(1, T + d + 1):
        new = np.tanh(x[tau - 1] @ W.T + s @ U.T + b)
        for l, hold in enumerate(holds):       # l is 0-based here
            if tau <= hold:                    # still holding its initial state
                new[:, offsets[l]:offsets[l + 1]] = s[:, offsets[l]:offsets[l + 1]]
        s = new
        states.append(s)
    return np.stack(states)
    ### END SOLUTION


def readout(states):
    ### BEGIN SOLUTION
    return states[d:, :, offsets[-2]:offsets[-1]]
    ### END SOLUTION"""),
        code("""\
def by_hand(x, h0, holds=(0, 1, 2)):
    \"\"\"Your delayed network, called like the stacked one: by_hand(x, h0).\"\"\"
    s0 = np.concatenate(h0)
    return readout(run_delayed(x, W_hat, U_hat, b_hat, s0, holds))

rng = np.random.default_rng(1)
x = rng.normal(size=(12, 2, 3))                       # T = 12, batch of 2
h0 = [rng.normal(size=n) for n in widths]             # any initial states"""),
        check("lab1-run-check", """\
assert run_delayed(x, W_hat, U_hat, b_hat, np.concatenate(h0), (0, 1, 2)).shape == (14, 2, N)
err = assert_equivalent(net, by_hand, x, h0=h0, names=("stacked", "by hand"))
print(f"Task 4 passed: max |stacked - by hand| = {err:.1e}")""", 3),
        md(r"""## Task 5 (15 min): why the start rule?

Run your layer with **no** holds (`holds=(0, 0, 0)`) from the zero state
and compare it with the stacked network started from zero. Store the largest
absolute difference over all outputs in `naive_error`, and the first time
$t$ (1-based) at which they differ by more than $10^{-9}$ in `first_bad_t`.
The check also runs your code on a copy of the network **without biases**:
think about what it expects before you run it. Then explain both in the
answer cell below the check."""),
        solution("lab1-naive", """\
zeros = [np.zeros(n) for n in widths]
### BEGIN SOLUTION
diff = np.abs(net(x) - by_hand(x, zeros, holds=(0, 0, 0))).max(axis=(1, 2))
naive_error = diff.max()
first_bad_t = int(np.argmax(diff > 1e-9)) + 1
### END SOLUTION
print(f"naive_error = {naive_error:.3f}, first differing time t = {first_bad_t}")"""),
        check("lab1-naive-check", """\
assert naive_error > 1e-3, "without holds the biases drive blocks 2 and 3 before their input arrives"
assert first_bad_t == 1, "the very first output already differs"
free = StackedRNN.random(3, widths, bias=False, seed=0)
sd = free.state_dict()          # your functions read sd: rebuild the layer for `free`
W_hat, U_hat, b_hat = W_hat_of(sd, widths), U_hat_of(sd, widths), np.zeros(N)
assert_equivalent(free, lambda x: by_hand(x, zeros, holds=(0, 0, 0)), x,
                  names=("stacked, no biases", "no holds"))
sd = net.state_dict()
W_hat, U_hat, b_hat = W_hat_of(sd, widths), U_hat_of(sd, widths), b_hat_of(sd, widths)
print("Task 5 passed")""", 2),
        answer("lab1-why", r"""Without holds, block $l \ge 2$ runs $l - 1$ steps before the first
real output of block $l-1$ reaches it, driven by the bias alone (it reads
the zero state of the block below). At step $l$ it therefore starts from
$\tanh(\hat b^l + \dots)$ instead of $h^l_0$, and the error reaches the output
from $t = 1$ on (it then fades, at the rate the recurrence forgets). Without
biases (and $\tanh 0 = 0$) those warm-up steps leave the block at 0, so the
zero start is exact: case (a) of Theorem 1. Holding block $l$ for $l - 1$
steps (case (c)) or starting the stacked network from the warm-up states
(case (b)) repairs it in general.""", 2),
        md(r"""## Wrap-up (5 min)

- $\hat W = [W_1; 0; \dots]$, $\hat U$ block lower-bidiagonal with $U_l$ on
  the diagonal and $W_l$ below it, $\hat b = [b_1; \dots; b_L]$, delay
  $d = L - 1$, read-out from the last block.
- The equality needs the start rule (or zero biases): the checker finds the
  gap at $t = 1$.
- The toolkit does all of this in `net.to_delayed()`; compare
  `net.to_delayed().params.weight_hh` with your `U_hat`.

**Going further.** The same layout works gate by gate for an LSTM
(`StackedRNN.random(3, [4, 5, 2], cell="lstm")`): its `weight_hh` has the
four gates stacked along the rows. Lab 2 shows why a GRU does not."""),
    ]
