"""NumPy recurrent networks: stacked, bidirectional and delayed, with the constructions between them."""

from numerics.engine.layer import LayerCache, LayerParams, layer_forward
from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics.models.construction import assemble, disassemble
from numerics.models.torch_io import from_torch

__all__ = [
    "BidirectionalRNN",
    "DelayedRNN",
    "LayerCache",
    "LayerParams",
    "StackedRNN",
    "assemble",
    "disassemble",
    "from_torch",
    "layer_forward",
]
