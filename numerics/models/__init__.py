"""The networks: stacked, bidirectional and delayed, the constructions between them, PyTorch names.

Layers inside (each imports only those above it in this list):
:mod:`~numerics.models._names` (PyTorch state-dict names),
:mod:`~numerics.models._common` (plumbing shared by the networks),
:mod:`~numerics.models.construction` (assemble / disassemble from a plan),
:mod:`~numerics.models.delayed` (:class:`DelayedRNN`),
:mod:`~numerics.models.stacked` (:class:`StackedRNN`, :class:`BidirectionalRNN`,
and the conversions to and from delayed networks),
:mod:`~numerics.models.gru` (:func:`delayed_gru`),
:mod:`~numerics.models.torch_io` (:func:`from_torch`),
:mod:`~numerics.models.jacobian` (input Jacobians of any model).
"""

from numerics.models.construction import assemble, disassemble
from numerics.models.delayed import DelayedRNN
from numerics.models.gru import delayed_gru
from numerics.models.stacked import BidirectionalRNN, StackedRNN
from numerics.models.torch_io import from_torch

__all__ = ["BidirectionalRNN", "DelayedRNN", "StackedRNN", "assemble", "delayed_gru", "disassemble", "from_torch"]
