"""NumPy recurrent networks: stacked, bidirectional and delayed, with the constructions between them.

The root exports what the README teaches: the three networks, their
parameters, the conversions (:func:`from_torch`, :func:`delayed_gru`,
:func:`assemble`, :func:`disassemble`). Training is :mod:`numerics.train`,
checks for your own tests :mod:`numerics.testing`; the engine underneath
(:mod:`numerics.engine`) is imported from there when needed.
"""

from numerics.engine.params import LayerParams
from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics.models.construction import assemble, disassemble
from numerics.models.gru import delayed_gru
from numerics.models.torch_io import from_torch

__all__ = [
    "BidirectionalRNN",
    "DelayedRNN",
    "LayerParams",
    "StackedRNN",
    "assemble",
    "delayed_gru",
    "disassemble",
    "from_torch",
]
