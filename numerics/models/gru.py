"""Delayed GRUs built from a stacked GRU: the naive one and the own-reset one.

PyTorch's GRU cell computes the candidate as
``n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))``: the reset gate multiplies
*every* recurrent contribution. In a single wide GRU layer laid out like
Theorem 1, block ``l``'s reading of block ``l-1`` (the stacked layer's input
``W_in^{(l)} h^{l-1}``) sits inside ``W_hn h`` and gets multiplied by
``r^l`` — which the stacked GRU never does (claim ``gru-naive``).

The *own-reset* cell splits ``W_hn`` by the plan's blocks into its diagonal
(own-block) part ``D`` and the rest ``C``::

    n = tanh(W_in x + b_in + C h + r ⊙ (D h + b_hn))

so the reset gate acts on each block's own recurrence only, as in the stacked
GRU. With this one change the block construction is exact again (claim
``gru-own-reset``; symbolically :func:`theory.symbolic.check_identity` with
``reset="own"``, for every depth :func:`theory.induction.gru_step`). It is a
plan option (``Plan.gru_reset == "own"``) of the ordinary engine, forward and
backward, so an own-reset d-GRU trains like every other
:class:`numerics.models.delayed.DelayedRNN`.
"""

from __future__ import annotations

from dataclasses import replace

from numerics._validate import check_choice
from numerics.models.construction import assemble
from numerics.models.delayed import DelayedRNN
from numerics.models.stacked import StackedRNN
from theory._checks import check_type
from theory.layout import GRU_RESETS, START_RULES, stacked_plan


def delayed_gru(net: StackedRNN, reset: str = "full", start: str = "staggered") -> DelayedRNN:
    """The delayed GRU with the Theorem 1 block layout of a stacked GRU ``net``.

    Parameters
    ----------
    net : StackedRNN
        A stacked network with ``cell="gru"``.
    reset : {"full", "own"}
        ``"full"``: PyTorch's cell, the *naive* d-GRU, which is not
        equivalent to ``net`` (claim ``gru-naive``). ``"own"``: the own-reset
        cell, equivalent to ``net`` (claim ``gru-own-reset``).
    start : {"staggered", "zero"}
        As for :meth:`numerics.models.stacked.StackedRNN.to_delayed`.

    Returns
    -------
    DelayedRNN
        ``masked``, with ``plan.gru_reset == reset``; input ``(T, B, I)`` and
        output ``(T, B, n_L)`` as ``net``.
    """
    check_type(net, StackedRNN, "net")
    if net.cell != "gru":
        raise ValueError(f"net must be a GRU network (cell='gru'); got cell={net.cell!r}")
    check_choice(reset, GRU_RESETS, "reset")
    plan = stacked_plan("gru", net.input_size, net.hidden_sizes, None, bias=net.bias,
                        start=check_choice(start, START_RULES, "start"), allow_gru=True)
    kind = "naive" if reset == "full" else "own-reset"
    plan = replace(plan, gru_reset=reset, description=f"{kind} stacked gru x{net.num_layers} ({start} start)")
    return DelayedRNN(plan, assemble(plan, net.state_dict(), net.dtype), masked=True)


__all__ = [
    "delayed_gru",
]
