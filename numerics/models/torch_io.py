"""Move networks in and out of PyTorch's parameter naming, without importing torch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from numerics._validate import check_choice
from numerics.models._names import MODES, layers_from_state_dict
from numerics.models.stacked import BidirectionalRNN, StackedRNN


def from_torch(state_dict: Mapping[str, Any], mode: str = "RNN_TANH") -> StackedRNN | BidirectionalRNN:
    """Build a NumPy network from a PyTorch recurrent module's ``state_dict``.

    Parameters
    ----------
    state_dict : mapping of str to array or tensor
        E.g. ``{k: v.detach().numpy() for k, v in module.state_dict().items()}``
        of an ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (any ``num_layers``,
        ``bidirectional``, ``bias``). Tensors are detached and converted.
    mode : {"RNN_TANH", "RNN_RELU", "LSTM", "GRU"}
        PyTorch's mode string (``module.mode``).

    Returns
    -------
    StackedRNN or BidirectionalRNN
        In the dtype of the given arrays. ``net.state_dict()`` gives the
        same mapping back.
    """
    cell, act = MODES[check_choice(mode, tuple(MODES), "mode")]
    layers, reverse = layers_from_state_dict(state_dict, cell)
    acts = tuple(act for _ in layers)
    if reverse is None:
        return StackedRNN(cell, tuple(layers), acts)
    return BidirectionalRNN(cell, tuple(layers), tuple(reverse), acts)


__all__ = [
    "from_torch",
]
