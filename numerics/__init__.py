"""NumPy recurrent networks: stacked, bidirectional and delayed, with the constructions between them."""

from numerics.engine.layer import layer_forward
from numerics.engine.params import LayerCache, LayerParams
from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics.models.construction import assemble, disassemble
from numerics.models.gru import delayed_gru
from numerics.models.torch_io import from_torch

__all__ = [
    "BidirectionalRNN",
    "DelayedRNN",
    "LayerCache",
    "LayerParams",
    "StackedRNN",
    "assemble",
    "delayed_gru",
    "disassemble",
    "from_torch",
    "layer_forward",
]
