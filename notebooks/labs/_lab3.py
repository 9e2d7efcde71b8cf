"""Lab 3 (hardest): a trained bidirectional network as a streaming one. Cells for ``_make_labs.py``."""


def cells(md, code, solution, answer, check):
    return [
        md(r"""# Lab 3: from a trained bidirectional network to a streaming one

**Goal.** A bidirectional layer's backward states $h^b_t$ read the whole
future, so the network cannot run on a stream. Truncated to a horizon $h$
(the backward pass for time $t$ starts from 0 at $x_{t+h}$), it can: one
delayed Elman layer with delay $2h$ computes it exactly. You will write the
truncated network by hand, check it against the toolkit's compiled layer,
measure its error and its latency against $h$ on a trained network, and
then design a streaming model for a latency budget.

**Timing (90 minutes).** Read, set up and train 5 · Task 1 (truncation by
hand) 20 · Task 2 (error and latency against $h$) 20 · Task 3 (choose $h$)
10 · Task 4 (the bound) 10 · Task 5 (open design task) 20 · wrap-up 5.

Notation: forward states $h^f_t$, backward states $h^b_t$, horizon $h$,
truncated backward states $\tilde h^b_t$, latency in steps of the delayed
layer. Replace each `raise NotImplementedError()` and run the check below it."""),
        code("""\
%matplotlib inline
import time
import numpy as np
import matplotlib.pyplot as plt
from numerics.experiments.tasks import sine
from numerics.experiments.bidirectional import as_topology_net
from numerics.models import BidirectionalRNN
from numerics.models.topology import streaming, truncation_error
from numerics.testing import assert_equivalent
from numerics.train import Readout, evaluate, train"""),
        md(r"""## Set-up (5 min): train a small bidirectional network

Sine filtering: the target at time $t$ mixes $x_{t-2}, \dots, x_{t+3}$, so
3 steps of look-ahead are needed. One bidirectional Elman layer of 16 units
per direction, no recurrent biases (a read-out adds one), trained for a few
seconds."""),
        code("""\
data = sine(T=12, causal=3, acausal=3, scale=1.0, sizes=(1000, 200, 200), seed=0)
body = BidirectionalRNN.random(1, [16], bias=False, seed=0)
res = train(Readout.random(body, 1, seed=1), data.train.x, data.train.y, epochs=15,
            lr=3e-3, val=(data.val.x, data.val.y), progress=False)
model = res.model
var = np.var(data.test.y)
nmse_full = evaluate(model, data.test.x, data.test.y)["loss"] / var
sd = model.body.state_dict()      # weight_ih_l0, weight_hh_l0 (+ "_reverse": backward)
print(f"bidirectional test NMSE {nmse_full:.3f}")"""),
        md(r"""## Task 1 (20 min): the truncated network by hand

Write `stream_by_hand(x, sd, h)`, returning $[h^f_t; \tilde h^b_t]$ for
every $t$, shape `(T, B, 32)`:

- $h^f_t = \tanh(W_f x_t + U_f h^f_{t-1})$ from $h^f_0 = 0$;
- $\tilde h^b_t$: run the backward cell $\tanh(W_b x_s + U_b\, \cdot)$ from 0
  over $s = \min(t + h, T), \dots, t$ (it never reads past the end).

The toolkit compiles the same network into one delayed layer:
`streaming(net, h)` returns the compiled plan and a `DelayedRNN`."""),
        solution("lab3-stream", """\
def stream_by_hand(x, sd, h):
    Wf, Uf = sd["weight_ih_l0"], sd["weight_hh_l0"]
    Wb, Ub = sd["weight_ih_l0_reverse"], sd["weight_hh_l0_reverse"]
    ### BEGIN SOLUTION
    T, B, _ = x.shape
    f, forward, backward = np.zeros((B, len(Uf))), [], []
    for t in range(T):
        f = np.tanh(x[t] @ Wf.T + f @ Uf.T)
        forward.append(f)
    for t in range(T):
        b = np.zeros((B, len(Ub)))
        for s in range(min(t + h, T - 1), t - 1, -1):
            b = np.tanh(x[s] @ Wb.T + b @ Ub.T)
        backward.append(b)
    return np.concatenate([np.stack(forward), np.stack(backward)], axis=2)
    ### END SOLUTION"""),
        check("lab3-stream-check", """\
net = as_topology_net(model.body)
x = data.test.x[:, :50]
for h in (0, 2, 5):
    compiled, delayed = streaming(net, h)
    assert compiled.delay == 2 * h, "the compiled layer has delay 2h"
    assert_equivalent(delayed, lambda v: stream_by_hand(v, sd, h), x,
                      names=(f"compiled, h={h}", "by hand"))
# at h = T - 1 nothing is truncated: the full bidirectional layer
assert_equivalent(model.body, lambda v: stream_by_hand(v, sd, 11), x,
                  names=("bidirectional", "by hand, h = T - 1"))
print("Task 1 passed")""", 3),
        md(r"""## Task 2 (20 min): error and latency against $h$

For every $h = 0, \dots, T - 1$ compile the network (`streaming(net, h)`)
and append to `rows` a dict with keys

- `"h"`, `"latency"` (the compiled delay, in steps), `"units"`
  (`compiled.units`, the width of the single layer);
- `"state_error"`: the largest $\|[h^f_t; \tilde h^b_t] - [h^f_t; h^b_t]\|_2$
  over the test set (`truncation_error(net, x, h).max()`);
- `"nmse"`: the test NMSE of `Readout(delayed, model.weight, model.bias)`
  (its MSE over `var`);
- `"ms"`: the wall-clock milliseconds of one call `delayed(data.test.x)`.

Then plot NMSE against latency."""),
        solution("lab3-table", """\
rows = []
### BEGIN SOLUTION
for h in range(12):
    compiled, delayed = streaming(net, h)
    t0 = time.perf_counter()
    delayed(data.test.x)
    ms = 1000 * (time.perf_counter() - t0)
    converted = Readout(delayed, model.weight, model.bias)
    nmse = evaluate(converted, data.test.x, data.test.y)["loss"] / var
    rows.append({"h": h, "latency": compiled.delay, "units": compiled.units, "ms": ms,
                 "state_error": truncation_error(net, data.test.x, h).max(), "nmse": nmse})
### END SOLUTION
for r in rows:
    print("h={h:2d}  latency {latency:2d}  units {units:3d}  state error {state_error:.2e}"
          "  NMSE {nmse:.3f}  {ms:.1f} ms".format(**r))"""),
        check("lab3-table-check", """\
assert [r["h"] for r in rows] == list(range(12)), "one row per h = 0 ... 11"
assert [r["latency"] for r in rows] == [2 * h for h in range(12)], "latency is 2h steps"
assert rows[-1]["state_error"] < 1e-12, "at h = T - 1 the conversion is exact"
assert rows[0]["state_error"] > rows[-1]["state_error"]
for r in (rows[1], rows[4]):
    _, delayed = streaming(net, r["h"])
    mse = evaluate(Readout(delayed, model.weight, model.bias), data.test.x, data.test.y)["loss"]
    assert abs(r["nmse"] - mse / var) < 1e-9, f"NMSE at h={r['h']} is not the test NMSE"
print("Task 2 passed")""", 3),
        code("""\
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
ax.semilogy([r["latency"] for r in rows], [r["nmse"] for r in rows], "o-",
            label="converted, latency $2h$")
ax.axhline(nmse_full, color="0.3", ls="--", label="bidirectional (full pass)")
ax.set(xlabel="latency (steps)", ylabel="test NMSE", xticks=range(0, 23, 2))
ax.legend();"""),
        md(r"""## Task 3 (10 min): choose $h$

Set `h_star` to the smallest horizon whose NMSE is within 10 % of the
bidirectional network's (`nmse <= 1.1 * nmse_full`), and `latency_star`
to its latency. How does $h^\star$ compare with the 3 steps of look-ahead
the task needs?"""),
        solution("lab3-choose", """\
### BEGIN SOLUTION
h_star = next(r["h"] for r in rows if r["nmse"] <= 1.1 * nmse_full)
latency_star = 2 * h_star
### END SOLUTION
print(f"h* = {h_star}, latency {latency_star} steps")"""),
        check("lab3-choose-check", """\
ok = [r["h"] for r in rows if r["nmse"] <= 1.1 * nmse_full]
assert h_star == min(ok), f"the smallest h within 10 % is {min(ok)}"
assert latency_star == 2 * h_star
print("Task 3 passed")""", 1),
        md(r"""## Task 4 (10 min): the bound

If $\rho = \|U_b\|_2 < 1$, a tanh backward cell is a contraction in its
state, and $\|\tilde h^b_t - h^b_t\|_2 \le \sqrt{n}\, \rho^{h+1}$ (one layer,
$n = 16$ units). Compute `rho`. Does the bound say anything here? Compare
it with the errors you measured, and explain in the answer cell."""),
        solution("lab3-rho", """\
### BEGIN SOLUTION
rho = np.linalg.norm(sd["weight_hh_l0_reverse"], 2)
### END SOLUTION
bound = [np.sqrt(16) * rho ** (r["h"] + 1) for r in rows]
print(f"rho = {rho:.2f}; bound at h = 3: {bound[3]:.2f}, "
      f"measured {rows[3]['state_error']:.2f}")"""),
        check("lab3-rho-check", """\
s = np.linalg.svd(sd["weight_hh_l0_reverse"], compute_uv=False)
assert abs(rho - s[0]) < 1e-12, "rho is the largest singular value of U_b"
print("Task 4 passed")""", 1),
        answer("lab3-bound", r"""Training left $\rho$ above 1, so $\sqrt n\,\rho^{h+1}$
grows with $h$ and bounds nothing; the error still falls with $h$ because
the bound is a worst case over all inputs and states (saturated tanh units
have derivative far below 1). Where $\rho < 1$ the bound guarantees a
geometric decay; here only the measurement tells us which $h$ is enough.
Near the end of a sequence ($t + h \ge T$) the truncation is exact because
the backward cell has no bias.""", 2),
        md(r"""## Task 5 (20 min): open design task

You must deploy a streaming model for this task with a latency budget of
**6 steps**. Compare at least two designs within the budget, for example
the converted network at $h = 3$ (latency 6), and a delayed network
trained directly with delay $d \le 6$ (latency $d$). A dense delayed layer
of width 24 with delay `d` is
`build_model(ModelSpec("delayed", "elman", 24, 1, d), 1, dtype=np.float64)`
(from `numerics.experiments.specs`); train it like the bidirectional network
above. Report NMSE, latency and parameter count
(`numerics.train.readout.count_parameters`) of each, and recommend one.
There is no autograder for this task."""),
        code("""\
# Your experiments here (not graded automatically).
from numerics.experiments.specs import ModelSpec, build_model
from numerics.train.readout import count_parameters"""),
        solution("lab3-design", """\
### BEGIN SOLUTION
d = 3
dnet = build_model(ModelSpec("delayed", "elman", 24, 1, d), 1, dtype=np.float64)
fit = train(Readout.random(dnet, 1, seed=1), data.train.x, data.train.y, epochs=15,
            lr=3e-3, val=(data.val.x, data.val.y), progress=False).model
nmse_d = evaluate(fit, data.test.x, data.test.y)["loss"] / var
print(f"d-RNN, delay {d}: NMSE {nmse_d:.3f}, latency {d}, "
      f"{count_parameters(fit)} parameters")
print(f"converted, h = 3: NMSE {rows[3]['nmse']:.3f}, latency 6, "
      f"{count_parameters(model)} parameters (the bidirectional network's)")
### END SOLUTION"""),
        answer("lab3-recommend", r"""A sample answer: with this training
budget, the d-RNN trained with delay 3 reaches an NMSE comparable to or
better than the conversion at $h = 3$, at half the latency (3 steps
instead of 6), because its look-ahead equals its delay while the converted
network needs $2h$ steps to see $h$ ahead. Conversion is the choice when a
trained bidirectional network must be streamed without retraining;
otherwise train the delayed network with the delay the task needs. (The
exact numbers depend on the seed and the number of epochs; report yours.)""", 4),
        md(r"""## Wrap-up (5 min)

- A bidirectional layer truncated to horizon $h$ is one delayed Elman
  layer with delay $2h$: exact, with the same weights.
- Its error falls with $h$; the bound $\sqrt n \rho^{h+1}$ guarantees it
  only when $\|U_b\|_2 < 1$.
- Latency $2h$ buys look-ahead $h$: a delayed network trained directly
  gets look-ahead $d$ for latency $d$."""),
    ]
