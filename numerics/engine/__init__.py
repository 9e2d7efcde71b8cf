"""The engine: recurrent layers through time, and the schedules of a delayed network's wide layer.

Knows parameters (:class:`LayerParams`), not models.

- :mod:`numerics.engine.cells`: each cell pointwise (gate layout, forward from
  pre-activations, local derivatives, backward); no matrix products.
- :mod:`numerics.engine.layer`: one layer through time (the dense step pairs
  and the layer loop), under every model.
- :mod:`numerics.engine.protocol`, :mod:`numerics.engine.registry`,
  :mod:`numerics.engine.select`: what a schedule is, the list of schedules
  (:mod:`~numerics.engine.dense`, :mod:`~numerics.engine.wavefront`,
  :mod:`~numerics.engine.layerorder`, :mod:`~numerics.engine.sparse`,
  :mod:`~numerics.engine.blockorder`), and every rule of ``engine="auto"``
  with the cost model (:mod:`numerics.engine.cost`) it prices them by.
- :mod:`numerics.engine.params` (parameters, the layer cache, weights-keyed
  preparations), :mod:`numerics.engine.activations` (pointwise functions),
  :mod:`numerics.engine.units` (what a plan asks per unit: activation groups,
  holds, the GRU reset mask).
"""

from numerics.engine.layer import layer_backward, layer_forward
from numerics.engine.params import LayerCache, LayerParams

__all__ = ["LayerCache", "LayerParams", "layer_backward", "layer_forward"]
