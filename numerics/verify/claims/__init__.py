"""Claim modules: each builds a :class:`numerics.verify.registry.ClaimSet` called ``CLAIMS``.

:mod:`numerics.verify.runner` lists them and merges their sets in report order.
"""

__all__: list[str] = []
