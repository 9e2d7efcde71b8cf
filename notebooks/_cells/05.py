"""Cells of notebooks/05_training_acausal.ipynb, read by notebooks/_make.py (which passes md, code and SETUP)."""

NAME = "05_training_acausal.ipynb"
CELLS = [
    md("""\
# 5. Training a d-RNN on an acausal task

Sequence reversal (paper §4.1): the target at time `t` is the input at time
`T - t + 1`. The first output is the *last* input, so a network that answers
online, one step per input, has to emit symbols it has not seen yet.

Three networks of about the same size, each with a linear read-out, are
trained with Adam (`numerics.train`) on a small instance:

* a **one-layer LSTM**: causal, look-ahead 0;
* a **bidirectional LSTM** (one layer each way): sees the whole sequence, but
  only once it has ended;
* a **d-LSTM** with delay `d = T - 1`: one wide layer that answers for time
  `t` at step `t + d`, so it too sees every symbol it must emit."""),
    code(SETUP + """
from numerics import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics.experiments.tasks import reversal, reversal_accuracy_bound
from numerics.train import Readout, evaluate, predict, train
from theory.layout import relaxed_plan"""),
    code("""\
V, T = 4, 6
data = reversal(V=V, T=T, sizes=(1200, 200, 200), seed=0)
print("inputs", data.train.x.shape, "targets", data.train.y.shape)
print("first sequence:", data.train.x[:, 0].argmax(-1), "->", data.train.y[:, 0])"""),
    md("""\
The best accuracy a network with look-ahead `d` can reach is known in
closed form: positions whose source symbol lies more than `d` steps ahead
can only be guessed (right with probability `1 / V`)."""),
    code("""\
for d in (0, T // 2, T - 1):
    print(f"look-ahead {d}: accuracy at most {reversal_accuracy_bound(V, T, d):.3f}")"""),
    md("""\
## Three networks of about the same size

The one-layer LSTM and the d-LSTM have width 24; the bidirectional LSTM has
width 16 in each direction, which gives it about as many parameters. The
d-LSTM here is a single dense block: its delay, not its block pattern, is
what gives it the look-ahead."""),
    code("""\
width, d = 24, T - 1
dense = relaxed_plan("lstm", V, [width], np.ones((1, 1), bool), np.ones(1, bool),
                     delay=d, description="dense d-LSTM")
bodies = {
    "one-layer LSTM (causal)": StackedRNN.random(V, [width], cell="lstm", seed=0),
    "bidirectional LSTM": BidirectionalRNN.random(V, [16], cell="lstm", seed=0),
    f"d-LSTM, d = {d}": DelayedRNN.random(dense, seed=0),
}
models = {name: Readout.random(body, V, seed=0) for name, body in bodies.items()}
for name, body in bodies.items():
    n = sum(a.size for a in body.state_dict().values())
    print(f"{name:>24}: {n} parameters")"""),
    code("""\
results = {}
for name, model in models.items():
    res = train(model, data.train.x, data.train.y, loss="cross_entropy",
                val=(data.val.x, data.val.y), epochs=30, batch_size=32, lr=1e-2,
                clip=1.0, patience=5, seed=0, progress=False)
    test = evaluate(res.model, data.test.x, data.test.y, loss="cross_entropy")
    results[name] = res
    print(f"{name:>24}: {res.epochs} epochs, test accuracy {test['accuracy']:.3f}")"""),
    md("""\
## Where each network goes wrong

Accuracy per output position tells the three apart: the causal network has
seen the source symbol only in the second half of the output; the other two
have seen all of it."""),
    code("""\
fig, (ax_loss, ax_pos) = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
for name, res in results.items():
    ax_loss.plot(range(1, res.epochs + 1), res.val_losses, "o-", label=name)
    pred = predict(res.model, data.test.x).argmax(-1)
    ax_pos.plot(range(1, T + 1), (pred == data.test.y).mean(axis=1), "o-", label=name)
ax_loss.set(title="Validation loss", xlabel="epoch", ylabel="cross-entropy")
ax_pos.set(title="Test accuracy per output position", xlabel="output time $t$",
           ylabel="accuracy", ylim=(0, 1.05))
for ax in (ax_loss, ax_pos):
    ax.grid(alpha=0.3)
    ax.legend()"""),
    md("""\
The one-layer LSTM gets the second half right and guesses the first half,
close to the bound for look-ahead 0 printed above. The bidirectional LSTM and
the d-LSTM both solve the task, at different costs: the bidirectional network
cannot emit anything until the sequence has ended, and runs two layers; the
d-LSTM is one forward layer that answers with a fixed latency of `d = T - 1`
steps, so it can run online."""),
    md("""\
## What the d-LSTM learned to read

Change the symbol at one input position `s` and count how often the
prediction at each output time `t` changes. The trained network reads the
mirrored position `s = T - t + 1`, inside its receptive field `s <= t + d`."""),
    code("""\
trained = results[f"d-LSTM, d = {d}"].model
x = data.test.x
base = predict(trained, x).argmax(-1)                    # (T, N)
flips = np.zeros((T, T))
for s in range(T):
    x2 = x.copy()
    x2[s] = np.roll(x[s], 1, axis=-1)                    # another symbol at position s
    flips[:, s] = (predict(trained, x2).argmax(-1) != base).mean(axis=1)"""),
    code("""\
fig, ax = plt.subplots(figsize=(5.5, 4.6), layout="constrained")
im = ax.imshow(flips, cmap="viridis", vmin=0, vmax=1,
               extent=(0.5, T + 0.5, T + 0.5, 0.5))
ax.plot(range(T, 0, -1), range(1, T + 1), "w:", lw=2, label="mirror $s = T - t + 1$")
ax.set(title="Trained d-LSTM: which inputs change which outputs",
       xlabel="changed input time $s$", ylabel="output time $t$")
ax.legend(loc="lower left")
fig.colorbar(im, ax=ax, label="fraction of predictions that change");"""),
    md("""\
## Exercises

**Exercise N5.1.** Derive the accuracy bound for look-ahead 0 ($V = 4$,
$T = 6$) by hand, and compare it with the printed value.

<details><summary>Solution N5.1</summary>

Output $t$ needs input $T - t + 1$, which a causal network has seen when
$T - t + 1 \\le t$, that is for $t = 4, 5, 6$. The other three positions are
guessed, right with probability $1/4$: $(3 + 3 / 4) / 6$.

**Answer:** 0.625.
</details>"""),
    md("""\
**Exercise N5.2.** What is the smallest delay `d` whose bound is 1 for
$T = 6$? Check with `reversal_accuracy_bound(V, T, d)`.

<details><summary>Solution N5.2</summary>

The first output needs the last input, $T - 1$ steps ahead.

**Answer:** d = 5.
</details>"""),
    md("""\
**Exercise N5.3.** Count the parameters of the bidirectional LSTM (input 4,
width 16 each way) and of the one-layer LSTM (width 24) by hand.

<details><summary>Solution N5.3</summary>

An LSTM layer of width $n$ on input $m$ has $4n(m + n) + 8n$ parameters:
$2 \\cdot (64 \\cdot 20 + 128)$ for the two directions, $96 \\cdot 28 + 192$.

**Answer:** 2816 and 2880 parameters.
</details>"""),
]
