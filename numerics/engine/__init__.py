"""The engine: one recurrent layer through time.

Knows parameters (:class:`LayerParams`), not models. :mod:`numerics.engine.layer`
holds the step functions in forward/backward pairs and the layer loop;
:mod:`numerics.engine.blocked` runs all blocks of a delayed step as one
batched product; :mod:`numerics.engine.activations` the pointwise functions.
"""

from numerics.engine.layer import LayerCache, LayerParams, layer_backward, layer_forward

__all__ = ["LayerCache", "LayerParams", "layer_backward", "layer_forward"]
