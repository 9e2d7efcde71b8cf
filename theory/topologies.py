"""Named topologies between the stacked network and the dense d-RNN, and the kinds of their edges.

Every plan of :func:`topology_patterns` has ``L`` blocks with lags
``0 … L-1`` and delay ``L - 1``; they differ only in which blocks read
which, and so in their look-ahead (docs/theory/acausality.md). An edge
from block ``k`` into block ``l`` carries the represented-time shift
``1 + λ_k - λ_l`` (:meth:`theory.layout.Plan.shift`); :func:`shift_kind`
names it.
"""

from __future__ import annotations

import numbers

import numpy as np

from theory._checks import check_count, check_type
from theory.layout import Plan, relaxed_plan

#: Edge kinds by represented-time shift, in the order figures list them.
SHIFT_KINDS: tuple[str, ...] = ("vertical", "recurrent", "acausal", "feedback")


def shift_kind(shift: int) -> str:
    """Name the kind of a recurrent edge by its represented-time shift (docs/theory/acausality.md).

    Parameters
    ----------
    shift : int
        ``1 + lag[src] - lag[dst]``.

    Returns
    -------
    str
        ``"vertical"`` (0), ``"recurrent"`` (1), ``"acausal"`` (< 0) or ``"feedback"`` (>= 2).
    """
    check_type(shift, numbers.Integral, "shift", "an int")
    if shift == 0:
        return "vertical"
    if shift == 1:
        return "recurrent"
    return "acausal" if shift < 0 else "feedback"


def topology_patterns(L: int = 4, width: int = 2, input_size: int = 1) -> dict[str, Plan]:
    """Block patterns from the stacked network to the dense d-RNN ("the topologies in between").

    All plans have ``L`` blocks of width ``width``, lags ``0 … L-1``, the
    read-out from the last block and delay ``L - 1``; they differ only in
    which blocks read which, and so in their look-ahead.

    Parameters
    ----------
    L : int
        Number of blocks (3 to 256).
    width : int
        Units per block.
    input_size : int

    Returns
    -------
    dict of str to Plan
        In order of growing look-ahead (for ``L = 4``):

        * ``"stacked"``: lower-bidiagonal, input into block 1 — look-ahead 0;
        * ``"skip 1 layer"``: each block also reads the block two below
          (shift -1) — look-ahead ``d - ceil(d / 2)``;
        * ``"skip 1–2 layers"``: also the block three below (shift -2);
        * ``"input to all"``: the stacked pattern with the input fed into
          every block — look-ahead ``d``, as sparse as the stacked one;
        * ``"dense"``: every block reads every block — look-ahead ``d``.
    """
    L = check_count(L, "L", minimum=3, maximum=256)  # five L x L patterns of L*L edge objects each
    width = check_count(width, "width")
    input_size = check_count(input_size, "input_size")
    idx = np.arange(L)
    below = idx[:, None] - idx[None, :]  # below[l, k] = how many layers block k sits under block l
    bidiag = (below == 0) | (below == 1)
    first = idx == 0
    every = np.ones(L, bool)
    specs = {
        "stacked": (bidiag, first),
        "skip 1 layer": (bidiag | (below == 2), first),
        "skip 1–2 layers": (bidiag | (below == 2) | (below == 3), first),
        "input to all": (bidiag, every),
        "dense": (np.ones((L, L), bool), every),
    }
    return {name: relaxed_plan("elman", input_size, [width] * L, rm, im, delay=L - 1, description=name)
            for name, (rm, im) in specs.items()}


__all__ = [
    "SHIFT_KINDS",
    "shift_kind",
    "topology_patterns",
]
