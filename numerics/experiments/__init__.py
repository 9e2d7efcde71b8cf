"""The paper's synthetic experiments: tasks, run specifications and profiles, the result store, the runner, tables.

Layers inside: :mod:`~numerics.experiments.tasks` (data) and
:mod:`~numerics.experiments.specs` (what a run is) at the bottom;
:mod:`~numerics.experiments.profiles` (the sizes of a reproduction) and
:mod:`~numerics.experiments.storage` (one JSON file per run) on them;
:mod:`~numerics.experiments.runner` (executing runs) and
:mod:`~numerics.experiments.report` (tables) on top. Nothing here draws:
the plots are in :mod:`numerics.figures.experiments`.
"""
