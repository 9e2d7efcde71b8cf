"""The engine: recurrent layers through time, and the schedules of a delayed network's wide layer.

Knows parameters (:class:`LayerParams`), not models.

- :mod:`numerics.engine.cells`: the cells, one module each: structure, the
  pointwise work (forward from pre-activations, local derivatives, backward)
  in the dense and the wavefront layout, and the cost model's figures; no
  matrix products. Every schedule asks the cell object and names no cell.
- :mod:`numerics.engine.layer`: one layer through time (the recurrent product
  and the cell's pointwise step, per step), under every model.
- :mod:`numerics.engine.protocol`, :mod:`numerics.engine.registry`,
  :mod:`numerics.engine.select`: what a schedule is, the list of schedules
  (:mod:`~numerics.engine.dense`, :mod:`~numerics.engine.wavefront`,
  :mod:`~numerics.engine.layerorder`, :mod:`~numerics.engine.sparse`,
  :mod:`~numerics.engine.blockorder`), and every rule of ``engine="auto"``
  with the cost model (:mod:`numerics.engine.cost`) it prices them by.
- :mod:`numerics.engine.params` (parameters, the layer cache, weights-keyed
  preparations), :mod:`numerics.engine.activations` (pointwise functions),
  :mod:`numerics.engine.units` (what a plan asks per unit: activation groups,
  holds, the reset mask of a reset-gate cell).
"""

from numerics.engine.layer import layer_backward, layer_forward
from numerics.engine.params import LayerCache, LayerParams

__all__ = ["LayerCache", "LayerParams", "layer_backward", "layer_forward"]
