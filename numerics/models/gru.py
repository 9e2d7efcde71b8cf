"""A delayed GRU whose reset gate multiplies only each block's own recurrence.

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
``reset="own"``, for every depth :func:`theory.induction.gru_step`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from numerics._validate import as_sequence, check_choice
from numerics.engine.activations import sigmoid
from numerics.engine.layer import LayerParams
from numerics.models.construction import assemble
from numerics.models.networks import DelayedRNN, StackedRNN
from theory.layout import Plan, stacked_plan


def own_block_mask(plan: Plan) -> np.ndarray:
    """Boolean ``(N, N)`` unit mask of the plan's diagonal (own-block) recurrent edges."""
    if not isinstance(plan, Plan):
        raise TypeError(f"plan must be a theory.layout.Plan; got {type(plan).__name__}")
    m = np.zeros((plan.hidden_size,) * 2, dtype=bool)
    for e in plan.recurrent:
        if e.src == e.dst:
            a, b = plan.span(e.dst)
            m[a:b, a:b] = True
    return m


def own_reset_gru_forward(params: LayerParams, x: np.ndarray, h0: np.ndarray, own: np.ndarray,
                          hold: np.ndarray | None = None) -> np.ndarray:
    """Run the own-reset GRU layer over a sequence.

    Parameters
    ----------
    params : LayerParams
        PyTorch GRU layout: ``weight_ih (3H, I)``, ``weight_hh (3H, H)``
        (gates r, z, n), biases ``(3H,)`` or ``None``.
    x : ndarray, shape (T, B, I)
    h0 : ndarray, shape (B, H)
    own : ndarray of bool, shape (H, H)
        Entries of the candidate's recurrent weights that the reset gate multiplies.
    hold : ndarray of int, shape (H,), optional
        Unit ``j`` keeps its previous state at steps ``τ < hold[j]``.

    Returns
    -------
    ndarray, shape (T, B, H)
        States after each step.
    """
    T, B, _ = x.shape
    H = params.hidden_size
    w_hh = params.weight_hh
    # r and z read the whole previous state; the candidate's W_hn is split by `own`.
    w_rz_t = w_hh[: 2 * H].T
    w_own_t = (w_hh[2 * H:] * own).T
    w_cross_t = (w_hh[2 * H:] * ~own).T
    b_ih = params.bias_ih if params.bias_ih is not None else np.zeros(3 * H, dtype=params.dtype)
    b_hh = params.bias_hh if params.bias_hh is not None else np.zeros(3 * H, dtype=params.dtype)
    xw = x @ params.weight_ih.T + b_ih  # (T, B, 3H): every input projection at once
    out = np.empty((T, B, H), dtype=params.dtype)
    h = h0
    for t in range(T):
        rz = sigmoid(xw[t, :, : 2 * H] + h @ w_rz_t + b_hh[: 2 * H])
        r, z = rz[:, :H], rz[:, H:]
        n = np.tanh(xw[t, :, 2 * H:] + h @ w_cross_t + r * (h @ w_own_t + b_hh[2 * H:]))
        new = (1 - z) * n + z * h
        if hold is not None and t < hold.max(initial=0):
            new = np.where(hold > t, h, new)
        out[t] = h = new
    return out


@dataclass(frozen=True)
class OwnResetDelayedGRU:
    """A delayed GRU (plan + single-layer weights) running the own-reset cell.

    Attributes
    ----------
    plan : Plan
        A GRU plan (e.g. ``stacked_plan("gru", ..., allow_gru=True)``).
    params : LayerParams
        ``weight_ih (3N, I)``, ``weight_hh (3N, N)``, biases ``(3N,)``.
    """

    plan: Plan
    params: LayerParams

    def __post_init__(self) -> None:
        if not isinstance(self.plan, Plan):
            raise TypeError(f"plan must be a theory.layout.Plan; got {type(self.plan).__name__}")
        if self.plan.cell != "gru":
            raise ValueError(f"plan.cell must be 'gru' for the own-reset cell; got {self.plan.cell!r}")
        # DelayedRNN validates shapes, dtypes and the block mask for us.
        DelayedRNN(self.plan, self.params, masked=True)

    @classmethod
    def from_stacked(cls, net: StackedRNN, start: str = "staggered") -> OwnResetDelayedGRU:
        """The own-reset delayed GRU with the Theorem 1 layout of a stacked GRU ``net``."""
        if not isinstance(net, StackedRNN):
            raise TypeError(f"net must be a StackedRNN; got {type(net).__name__}")
        if net.cell != "gru":
            raise ValueError(f"net.cell must be 'gru'; got {net.cell!r}")
        plan = stacked_plan("gru", net.input_size, net.hidden_sizes, None, bias=net.bias,
                            start=check_choice(start, ("staggered", "zero"), "start"), allow_gru=True)
        return cls(plan, assemble(plan, net.state_dict(), net.dtype))

    def states(self, x: Any, h0: Any = None) -> np.ndarray:
        """Raw states of the ``T + d`` steps on the zero-padded input, shape ``(T + d, B, N)``.

        ``h0`` as for :meth:`numerics.models.networks.DelayedRNN.initial_state`.
        """
        shell = DelayedRNN(self.plan, self.params, masked=True)
        x = as_sequence(x, self.plan.input_size, self.params.dtype)
        _, B, I = x.shape
        h, _ = shell.initial_state(h0, B)
        xp = np.concatenate([x, np.zeros((self.plan.delay, B, I), dtype=x.dtype)], axis=0)
        hold = np.repeat(np.array(self.plan.holds), self.plan.widths) if any(self.plan.holds) else None
        return own_reset_gru_forward(self.params, xp, h, own_block_mask(self.plan), hold)

    def __call__(self, x: Any, h0: Any = None) -> np.ndarray:
        """Outputs aligned with the input, shape ``(T, B, output_size)``."""
        s = self.states(x, h0)
        return s[self.plan.delay:][:, :, self.plan.readout_units()]
