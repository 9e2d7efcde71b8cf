"""The claims ``drnn verify`` checks.

Layers, each importing only those before it: :mod:`~numerics.verify.registry`
(claims and methods as data, :class:`Effort`), :mod:`~numerics.verify.search`
(hypothesis searches for counterexamples), :mod:`~numerics.verify.oracle`
(PyTorch as an external reference), the claim modules in
:mod:`numerics.verify.claims`, and :mod:`~numerics.verify.runner`, which
names the claim modules and runs them.
"""

__all__: list[str] = []
