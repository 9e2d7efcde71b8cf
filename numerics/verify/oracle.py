"""PyTorch as an external reference: seeded ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` modules in float64.

torch is optional. It is imported inside :func:`torch_reference`, when a
checking method runs, so the package imports without it; methods call
:func:`torch_missing` first and report themselves skipped when it says so.
:func:`compare_cases` turns a list of sampled cases into a
:class:`theory.claims.MethodResult`, the first case over tolerance being the
counterexample.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from numerics.models import StackedRNN
from numerics.models.torch_io import from_torch
from theory._checks import check_choice, check_count
from theory.claims import MethodResult

#: ``cell`` -> the ``torch.nn`` class name.
MODULES: dict[str, str] = {"elman": "RNN", "lstm": "LSTM", "gru": "GRU"}


def torch_missing() -> str:
    """``""`` when torch can be imported, else the reason a torch method is skipped."""
    return "" if importlib.util.find_spec("torch") is not None else "torch is not installed"


def skipped(name: str) -> MethodResult:
    """The result of a torch method that could not run."""
    return MethodResult(name, 0, 0.0, skipped=torch_missing())


@dataclass(frozen=True)
class TorchReference:
    """A float64 PyTorch recurrent module and the same network as this package's :class:`StackedRNN`.

    Attributes
    ----------
    module : torch.nn.RNN, LSTM or GRU
    state_dict : dict of str to ndarray
        The module's parameters as NumPy arrays (PyTorch names).
    net : StackedRNN
        ``from_torch(state_dict, module.mode)``.
    """

    module: Any
    state_dict: dict[str, np.ndarray]
    net: StackedRNN

    def outputs(self, x: np.ndarray, h0: Any = None) -> np.ndarray:
        """The module's outputs, shape ``(T, B, H)``, for ``x`` of shape ``(T, B, I)``.

        ``h0`` is ``None`` (zero states), an array ``(L, B, H)``, or for LSTM
        a pair ``(h0, c0)`` of such arrays.
        """
        import torch

        with torch.no_grad():
            return self.module(torch.from_numpy(x), _to_torch(torch, h0))[0].numpy()

    def gradients(self, x: np.ndarray, dy: np.ndarray, h0: Any = None) -> dict[str, np.ndarray]:
        """Autograd's gradient of ``sum(outputs * dy)`` for every parameter, by PyTorch name.

        ``dy`` has the outputs' shape ``(T, B, H)``.
        """
        import torch

        self.module.zero_grad()
        y = self.module(torch.from_numpy(x), _to_torch(torch, h0))[0]
        (y * torch.from_numpy(dy)).sum().backward()
        return {k: p.grad.numpy().copy() for k, p in self.module.named_parameters()}


def _to_torch(torch: Any, h0: Any) -> Any:
    if h0 is None:
        return None
    if isinstance(h0, tuple):
        return tuple(torch.from_numpy(np.asarray(h)) for h in h0)
    return torch.from_numpy(np.asarray(h0))


def torch_reference(cell: str, input_size: int, hidden_size: int, num_layers: int, *,
                    nonlinearity: str = "tanh", bias: bool = True, seed: int = 0) -> TorchReference:
    """A seeded float64 PyTorch module of the given sizes and its NumPy twin.

    Parameters
    ----------
    cell : {"elman", "lstm", "gru"}
        ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU``.
    input_size, hidden_size, num_layers : int
    nonlinearity : {"tanh", "relu"}
        Elman only.
    bias : bool
    seed : int
        ``torch.manual_seed`` before construction, so the weights are reproducible.

    Returns
    -------
    TorchReference
    """
    cls = MODULES[check_choice(cell, tuple(MODULES), "cell")]
    sizes = [check_count(v, n) for v, n in ((input_size, "input_size"), (hidden_size, "hidden_size"),
                                            (num_layers, "num_layers"))]
    import torch  # optional dependency: imported only when a torch method actually runs

    torch.manual_seed(seed)
    kwargs: dict[str, Any] = {"num_layers": sizes[2], "bias": bool(bias)}
    if cell == "elman":
        kwargs["nonlinearity"] = check_choice(nonlinearity, ("tanh", "relu"), "nonlinearity")
    module = getattr(torch.nn, cls)(sizes[0], sizes[1], **kwargs).double()
    sd = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
    return TorchReference(module, sd, from_torch(sd, module.mode))


def compare_cases(name: str, cases: Sequence[dict[str, Any]], error: Callable[[dict[str, Any]], float],
                  tolerance: float) -> MethodResult:
    """Evaluate ``error`` on every case; the first case over ``tolerance`` is the counterexample.

    Parameters
    ----------
    name : str
        Method name for the report.
    cases : sequence of dict
        JSON-ready descriptions of the sampled cases (sizes and seeds).
    error : callable
        ``error(case) -> float``, the discrepancy against the reference.
    tolerance : float

    Returns
    -------
    MethodResult
    """
    worst, cex = 0.0, None
    for c in cases:
        err = float(error(c))
        worst = max(worst, err)
        if not err <= tolerance and cex is None:
            cex = dict(c, error=err)
    return MethodResult(name, len(cases), worst, counterexample=cex)


__all__ = ["MODULES", "TorchReference", "compare_cases", "skipped", "torch_missing", "torch_reference"]
