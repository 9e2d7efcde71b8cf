"""The claims ``drnn verify`` checks: the registry, the claim modules and the runner."""
