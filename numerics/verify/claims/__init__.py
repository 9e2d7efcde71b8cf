"""Claim modules: each registers its claims and checking methods with :mod:`numerics.verify.registry`."""
