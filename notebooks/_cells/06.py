"""Cells of notebooks/06_bidirectional_to_streaming.ipynb, read by notebooks/_make.py (which passes md, code and SETUP)."""

NAME = "06_bidirectional_to_streaming.ipynb"
CELLS = [
    md("""\
# 6. From bidirectional to streaming

A bidirectional layer's backward direction reads the whole future, so it
cannot run on a stream. Truncated to a horizon `h` it can: one delayed Elman
layer with delay `2h` computes it exactly (docs/theory/bidirectional.md).
This notebook shows the construction, the error bound for a contractive
backward cell, and a trained network converted without retraining."""),
    code(SETUP + """
from numerics.experiments.tasks import sine
from numerics.figures.bidirectional import plot_horizon_error, plot_pipeline
from numerics.models import BidirectionalRNN
from numerics.models.topology import backward_contraction, streaming
from numerics.experiments.bidirectional import as_topology_net
from numerics.train import Readout, evaluate, train"""),
    md("""\
## The pipeline

Rows are the blocks the compiler makes for one bidirectional layer with
horizon 2; columns are d-RNN steps. Stage `j` applies the backward cell to
`x_{τ-2j}` and to stage `j-1`'s previous state. The outlined cells make the
output for `t = 2`, read at step `t + 2h = 6`."""),
    code("""\
plot_pipeline(h=2, steps=9, t=2).figure"""),
    md("""\
## The bound

With `‖U_b‖₂ = ρ < 1` the streaming layer is within `√n ρ^{h+1}` of the
full bidirectional layer (claim `bidir-approx-bound`)."""),
    code("""\
plot_horizon_error(rhos=(0.5, 0.8), T=30, horizons=range(0, 16)).figure"""),
    md("""\
## A trained network, converted

The same setting as the stored run below (`benchmarks/bidirectional_conversion.py`):
sine filtering with $T = 16$, 4 causal and 3 acausal taps (3 steps of
look-ahead needed), one bidirectional Elman layer of 24 units per direction
without recurrent biases, scored by the test NMSE (MSE over the target
variance). Only the training budget is smaller here (30 epochs, one seed,
about 10 seconds; the stored run trains up to 80 epochs for 5 seeds)."""),
    code("""\
data = sine(T=16, causal=4, acausal=3, scale=1.0, sizes=(2000, 300, 300), seed=0)
var = np.var(data.test.y)
fit = dict(epochs=30, lr=3e-3, clip=1.0, patience=5, progress=False,
           val=(data.val.x, data.val.y))
body = BidirectionalRNN.random(1, [24], bias=False, seed=0)
res = train(Readout.random(body, 1, seed=1), data.train.x, data.train.y, **fit)
model = res.model
full = evaluate(model, data.test.x, data.test.y)["loss"] / var
print(f"bidirectional test NMSE {full:.3f} after {res.epochs} epochs")"""),
    code("""\
net = as_topology_net(model.body)
rows = []
for h in range(16):
    compiled, delayed = streaming(net, h)
    converted = Readout(delayed, model.weight, model.bias)
    nmse = evaluate(converted, data.test.x, data.test.y)["loss"] / var
    rows.append((h, compiled.delay, compiled.units, nmse))
    if h < 9 or h == 15:
        print(f"h={h:2d}  latency {compiled.delay:2d}  units {compiled.units:3d}  "
              f"NMSE {nmse:.3f}")
print(f"‖U_b‖₂ = {backward_contraction(net)[1]:.2f}")"""),
    code("""\
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
latency, nmse = [r[1] for r in rows], [r[3] for r in rows]
ax.semilogy(latency, nmse, "o-", label="converted, latency $2h$")
ax.axhline(full, color="0.3", ls="--", label="bidirectional (full pass)")
ax.axvline(2 * 3, color="0.6", ls=":", label="2 × the look-ahead the task needs")
ax.set(title="A trained bidirectional network as a streaming d-RNN",
       xlabel="latency (d-RNN steps)", ylabel="test NMSE", xticks=range(0, 31, 4))
ax.legend();"""),
    md("""\
The error falls as $h$ grows, and at $h = T - 1$ the conversion is exact
(no recurrent bias, so the padding zeros leave the backward state at 0).
At $h = 3$, the look-ahead the task needs, the converted network is still
several times worse than the bidirectional one: training left
$\\|U_b\\|_2 > 1$, so the backward state keeps a long memory of the
future that the truncation cuts off. The stored run repeats this for 5
seeds and also trains d-RNNs directly. Each entry is the mean over the
seeds with the range in brackets:"""),
    code("""\
import json
from pathlib import Path
root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "benchmarks").is_dir())
stored = json.loads((root / "benchmarks/bidirectional_conversion.json").read_text())
summary = stored["sine"]["summary"]
rhos = [r["bidirectional"]["rho"] for r in stored["sine"]["runs"].values()]

def spread(s):
    return f"{s['mean']:.4f} [{s['min']:.4f}, {s['max']:.4f}]"

print("stored setting: T={T}, causal={causal}, acausal={acausal}, sizes={sizes}"
      .format(**stored["sine"]["settings"]["task_kwargs"]))
print(f"{len(summary['seeds'])} seeds, bidirectional NMSE "
      f"{spread(summary['bidirectional']['nmse'])}")
print(f"‖U_b‖₂ from {min(rhos):.1f} to {max(rhos):.1f}")"""),
    code("""\
for c in summary["converted"][:9]:
    d = [r for r in summary["drnn"] if r["delay"] == c["h"]]
    direct = f"{spread(d[0]['nmse'])} at latency {c['h']}" if d else "-"
    print(f"h={c['h']}  converted {spread(c['nmse'])} at latency {c['latency']:2d}")
    print(f"     d-RNN {direct}")"""),
    md("""\
Both runs agree: converted at $h = 3$ (latency 6), the network is worse
than the bidirectional network it came from (live and stored), and in the
stored run a d-RNN *trained* with delay 3 (latency 3) is far more accurate
than both, for every seed. Converting is a way to stream a network you
already have; when the look-ahead is known, training a d-RNN with that
delay costs half the latency. Exercise N6.4 trains that d-RNN live."""),
    md("""\
## Exercises

**Exercise N6.1.** The compiled layer has 48 units at $h = 0$ and 26 more
per step of horizon (24 units per direction, one input feature). Why?
Predict the units for width 16, 2 input features, $h = 3$; check with
`streaming(as_topology_net(BidirectionalRNN.random(2, [16])), 3)[0].units`.

<details><summary>Solution N6.1</summary>

Forward and backward block, $2 \\times 24$; each stage adds a backward block
(24) and 2 input delay-line slots per feature (stage $j$ reads
$x_{\\tau - 2j}$): $2n + h(n + 2n_0) = 32 + 3 \\cdot 20$.

**Answer:** 92 units.
</details>"""),
    md("""\
**Exercise N6.2.** The converted network at horizon $h$ looks $h$ steps
ahead with latency $2h$. Which delay does a d-RNN need for the same
look-ahead, and what latency does it have?

<details><summary>Solution N6.2</summary>

A dense d-RNN with delay $d$ reads $x_1, \\dots, x_{t+d}$ for output $t$:
look-ahead $d$ at latency $d$. The converted pipeline needs $h + 1$ backward
cell applications after reading $x_{t+h}$, one per step, hence $2h$
(the lower bound on the theory page).

**Answer:** for $h = 3$: delay 3 and latency 3, against the conversion's 6.
</details>"""),
    md("""\
**Exercise N6.3.** From `rows`, find the smallest horizon whose NMSE is
within 10 % of the bidirectional network's, and its latency.

<details><summary>Solution N6.3</summary>

`next((h, lat) for h, lat, _, e in rows if e <= 1.1 * full)`. The value
depends on the training run; with this seed it is well above the 3 steps of
look-ahead the task needs, because $\\|U_b\\|_2 > 1$.
</details>"""),
    md("""\
**Exercise N6.4.** Train a dense d-RNN of 33 units (same parameter budget)
with delay 3 (about a minute); compare with the conversion at $h = 3$.

<details><summary>Solution N6.4</summary>

```python
from numerics.experiments.specs import ModelSpec, build_model
dnet = build_model(ModelSpec("delayed", "elman", 33, 1, 3), 1, dtype=np.float64)
r = train(Readout.random(dnet, 1, seed=1), data.train.x, data.train.y, **fit)
print(evaluate(r.model, data.test.x, data.test.y)["loss"] / var)
```

With this seed: about 0.02, ten times below the bidirectional network, at
half the conversion's latency (as in the stored run).
</details>"""),
]
