"""The engine: one recurrent layer through time.

Knows parameters (:class:`LayerParams`), not models. :mod:`numerics.engine.layer`
holds the step functions in forward/backward pairs and the layer loop;
:mod:`numerics.engine.blocked` runs all blocks of a delayed step as one
batched product; :mod:`numerics.engine.params` holds the parameters and the
forward cache, :mod:`numerics.engine.activations` the pointwise functions and
which gates are sigmoid, :mod:`numerics.engine.schedule` what a plan asks of
the engine per unit (activation groups, start schedule, GRU reset mask).
"""

from numerics.engine.layer import layer_backward, layer_forward
from numerics.engine.params import LayerCache, LayerParams

__all__ = ["LayerCache", "LayerParams", "layer_backward", "layer_forward"]
