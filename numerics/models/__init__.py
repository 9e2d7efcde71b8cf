"""The networks: stacked, bidirectional and delayed, the constructions between them, PyTorch names."""

from numerics.models.construction import assemble, disassemble
from numerics.models.networks import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics.models.torch_io import from_torch

__all__ = ["BidirectionalRNN", "DelayedRNN", "StackedRNN", "assemble", "disassemble", "from_torch"]
