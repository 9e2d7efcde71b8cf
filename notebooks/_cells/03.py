"""Cells of notebooks/03_receptive_fields.ipynb, read by notebooks/_make.py (which passes md, code and SETUP)."""

NAME = "03_receptive_fields.ipynb"
CELLS = [
    md("""\
# 3. Receptive fields and the topologies in between

A delayed network with delay `d` *may* look `d` steps into the future; whether
it does depends on its block pattern. Each block `k` has a lag `λ_k`, each
recurrent edge `k → l` carries information forward in time by
`shift = 1 + λ_k - λ_l` steps, and an input edge into block `l` looks `λ_l`
steps ahead. The exact receptive field follows by reachability in the
unrolled graph (`theory.receptive`); the Jacobian of a real network
(`numerics.models.jacobian.input_jacobian`, one batched backward pass) must agree."""),
    code(SETUP + """
from numerics import DelayedRNN
from numerics.figures import (plot_receptive_field, plot_receptive_spectrum,
                              plot_sparsity_patterns)
from numerics.models.jacobian import input_jacobian
from theory.layout import relaxed_plan
from theory.receptive import lookahead, lookahead_from_lags, receptive_field
from theory.topologies import topology_patterns"""),
    md("## Five block patterns, from stacked to dense"),
    code("""\
patterns = topology_patterns(L=4, width=2)
fig = plot_sparsity_patterns(patterns)
fig"""),
    md("""\
The look-ahead two ways: by the shortest path from an input-fed block to the
read-out (`lookahead`), and by adding up the shifts along paths
(`lookahead_from_lags`). They agree, and both agree with the field."""),
    code("""\
T = 10
for name, plan in patterns.items():
    field = receptive_field(plan, T)
    t, s = np.nonzero(field)
    print(f"{name:>16}: look-ahead {lookahead(plan)} "
          f"(lags: {lookahead_from_lags(plan)}, field: {int((s - t).max())})")"""),
    md("## Measured against structural, for one pattern"),
    code("""\
plan = patterns["skip 1 layer"]
net = DelayedRNN.random(plan, seed=0)
x = np.random.default_rng(0).normal(size=(T, 1))
J = input_jacobian(net, x)                          # (T_out, n_out, T_in, n_in)
field = receptive_field(plan, T)
support = np.abs(J).max(axis=(1, 3)) > 0
print("Jacobian support == structural field:", np.array_equal(support, field))
ax = plot_receptive_field(J, field, title="skip 1 layer: measured vs structural")
ax.figure"""),
    md("## The spectrum of topologies"),
    code("""\
fig = plot_receptive_spectrum(T=12, L=4)
fig"""),
    md("""\
## Explore: your own pattern

Change the masks below (`[dst, src]` true where block `dst` reads block
`src`). Feedback from a higher block (`src > dst`) carries a shift of two or
more and adds no look-ahead; a skip from far below adds look-ahead. With
`ipywidgets` installed the cell after next gives a slider over the skip
distance; without it, the loop prints every setting."""),
    code("""\
L = 4
rm = np.eye(L, dtype=bool) | np.eye(L, k=-1, dtype=bool)   # the stacked pattern
rm[3, 0] = True      # block 4 reads block 1: a skip over two layers
rm[0, 3] = True      # block 1 reads block 4: top-down feedback
im = np.array([True, False, False, False])
mine = relaxed_plan("elman", 1, [2] * L, rm, im, delay=L - 1,
                    description="mine")
print(mine.summary())
print("look-ahead:", lookahead(mine))
fig = plot_sparsity_patterns({"mine": mine})
fig"""),
    code("""\
def skip_pattern(distance: int):
    \"\"\"Stacked, plus every block reading the block `distance` below it.\"\"\"
    rm = np.eye(L, dtype=bool) | np.eye(L, k=-1, dtype=bool)
    if distance >= 2:
        rm |= np.eye(L, k=-distance, dtype=bool)
    return relaxed_plan("elman", 1, [2] * L, rm, np.eye(L, dtype=bool)[0],
                        delay=L - 1, description=f"skip distance {distance}")


def show(distance: int = 2):
    plan = skip_pattern(distance)
    x = np.random.default_rng(0).normal(size=(T, 1))
    J = input_jacobian(DelayedRNN.random(plan, seed=0), x)
    title = f"{plan.description}: look-ahead {lookahead(plan)}"
    return plot_receptive_field(J, receptive_field(plan, T), title=title).figure"""),
    code("""\
try:
    import ipywidgets
except ImportError:
    ipywidgets = None
if ipywidgets is not None:
    ipywidgets.interact(show, distance=ipywidgets.IntSlider(value=2, min=1, max=L - 1))
else:
    for distance in range(1, L):
        print(f"skip distance {distance}: "
              f"look-ahead {lookahead(skip_pattern(distance))}")
show(L - 1)"""),
    md("""\
## Exercises

**Exercise N3.1.** What is the look-ahead of the pattern `mine` above (block 4
reads block 1, block 1 reads block 4)? Work it out from the lags, then
compare with the printed value.

<details><summary>Solution N3.1</summary>

The lags are $0, 1, 2, 3$. The skip $1 \\to 4$ has shift $1 + 0 - 3 = -2$:
two steps of look-ahead. The feedback $4 \\to 1$ has shift $1 + 3 - 0 = 4$
and adds none.

**Answer:** look-ahead 2.
</details>"""),
    md("""\
**Exercise N3.2.** Which skip distance of `skip_pattern` gives look-ahead
exactly 1? Predict, then check with `lookahead(skip_pattern(k))`.

<details><summary>Solution N3.2</summary>

A block reading the block `k` below it has shift
$1 + \\lambda_{l-k} - \\lambda_l = 1 - k$: it buys $k - 1$ steps of look-ahead.

**Answer:** distance 2.
</details>"""),
    md("""\
**Exercise N3.3.** In the dense pattern (`patterns["dense"]`), how many
inputs can the output for time 1 depend on, with $T = 10$? Check with
`receptive_field(patterns["dense"], 10)[0].sum()`.

<details><summary>Solution N3.3</summary>

The dense pattern has look-ahead $d = 3$: $y_1$ sees $x_1, \\dots, x_4$.

**Answer:** 4 inputs.
</details>"""),
]
