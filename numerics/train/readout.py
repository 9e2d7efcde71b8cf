"""A linear read-out on any model, and rebuilding any model from a dict of arrays.

* :class:`Readout` puts ``y_t = W h_t + b`` on top of any model
  (``StackedRNN``, ``BidirectionalRNN``, ``DelayedRNN``); it has the same
  ``forward`` / ``backward`` / ``state_dict`` interface as the models, with
  PyTorch-style names ``rnn.weight_ih_l0 …``, ``readout.weight``,
  ``readout.bias``.
* :func:`load_state_dict` rebuilds any model from a dict of arrays, so the
  optimiser (:class:`numerics.train.optim.Adam`) works on plain dicts. A
  masked delayed network keeps its masked weights exactly zero: the mask is
  re-applied whatever the dict holds.
* :func:`count_parameters` counts what training can move.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from numerics._validate import as_float_array, check_allocation, check_seed
from numerics.engine.params import LayerParams
from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN
from theory._checks import check_count, check_type

Model = Any  # StackedRNN | BidirectionalRNN | DelayedRNN | Readout


def check_model(model: Any, name: str = "model") -> Any:
    """Return ``model`` if it is one of the toolkit's trainable models, else raise ``TypeError``."""
    return check_type(model, (StackedRNN, BidirectionalRNN, DelayedRNN, Readout), name,  # type: ignore[arg-type]
                      "a StackedRNN, BidirectionalRNN, DelayedRNN or Readout")


# ----------------------------------------------------------------- readout
@dataclass(frozen=True)
class ReadoutCache:
    """Cache of :meth:`Readout.forward`: the body's cache and outputs."""

    body: Any
    h: np.ndarray


@dataclass(frozen=True)
class Readout:
    """A linear read-out ``y_t = W h_t + b`` on top of a recurrent model.

    Attributes
    ----------
    body : StackedRNN, BidirectionalRNN or DelayedRNN
    weight : ndarray, shape (output_size, body.output_size)
    bias : ndarray, shape (output_size,)
    """

    body: Any
    weight: np.ndarray
    bias: np.ndarray

    def __post_init__(self) -> None:
        if not isinstance(self.body, (StackedRNN, BidirectionalRNN, DelayedRNN)):
            raise TypeError("body must be a StackedRNN, BidirectionalRNN or DelayedRNN; "
                            f"got {type(self.body).__name__}")
        n = self.body.output_size
        if not isinstance(self.weight, np.ndarray) or self.weight.ndim != 2 or self.weight.shape[1] != n:
            raise ValueError(f"weight must be an ndarray of shape (output_size, {n}); "
                             f"got {getattr(self.weight, 'shape', type(self.weight).__name__)}")
        if not isinstance(self.bias, np.ndarray) or self.bias.shape != (self.weight.shape[0],):
            raise ValueError(f"bias must be an ndarray of shape ({self.weight.shape[0]},) (one entry per row of "
                             f"weight, of shape {self.weight.shape}); "
                             f"got {getattr(self.bias, 'shape', type(self.bias).__name__)}")
        if self.weight.dtype != self.body.dtype or self.bias.dtype != self.body.dtype:
            raise ValueError(f"weight and bias must have the body's dtype {self.body.dtype}; "
                             f"got {self.weight.dtype}, {self.bias.dtype}")

    @classmethod
    def random(cls, body: Any, output_size: int, *, seed: int | np.random.Generator | None = 0) -> Readout:
        """PyTorch ``nn.Linear`` initialisation ``U(-k, k)``, ``k = 1/sqrt(body.output_size)``."""
        if not (hasattr(body, "forward") and isinstance(getattr(body, "output_size", None), int)):
            raise TypeError(f"body must be a model (StackedRNN, BidirectionalRNN, DelayedRNN, ...); "
                            f"got {type(body).__name__}")
        output_size = check_count(output_size, "output_size")
        rng = np.random.default_rng(check_seed(seed))
        k = 1.0 / math.sqrt(body.output_size)
        dt = body.dtype
        check_allocation(output_size * (int(body.output_size) + 1), np.dtype(dt).itemsize, "output_size")
        return cls(body, rng.uniform(-k, k, (output_size, body.output_size)).astype(dt),
                   rng.uniform(-k, k, output_size).astype(dt))

    @property
    def input_size(self) -> int:
        return int(self.body.input_size)

    @property
    def output_size(self) -> int:
        return int(self.weight.shape[0])

    @property
    def dtype(self) -> np.dtype:
        return self.body.dtype

    def forward(self, x: Any, h0: Any = None) -> tuple[np.ndarray, ReadoutCache]:
        """Outputs ``(T, B, output_size)`` aligned with the input, and the cache."""
        h, cache = self.body.forward(x, h0)
        T, B, n = h.shape
        y = (h.reshape(T * B, n) @ self.weight.T).reshape(T, B, -1) if T * B else np.zeros(
            (T, B, self.output_size), dtype=self.dtype)
        y += self.bias
        return y, ReadoutCache(cache, h)

    def __call__(self, x: Any, h0: Any = None) -> np.ndarray:
        return self.forward(x, h0)[0]

    def backward(self, cache: ReadoutCache, dy: Any, **kwargs: Any) -> tuple[Any, ...]:
        """``(dx, grads)`` with ``grads`` a :class:`Readout`; keywords go to the body's ``backward``."""
        if not isinstance(cache, ReadoutCache):
            raise TypeError(f"cache must be the ReadoutCache returned by forward(); got {type(cache).__name__}")
        h = cache.h
        T, B, n = h.shape
        dy = as_float_array(dy, "dy", self.dtype)
        if dy.shape != (T, B, self.output_size):
            raise ValueError(f"dy must have shape {(T, B, self.output_size)}; got {dy.shape}")
        dy2 = dy.reshape(T * B, -1)
        dw = dy2.T @ h.reshape(T * B, n)
        db = dy2.sum(axis=0)
        dh = (dy2 @ self.weight).reshape(T, B, n)
        out = self.body.backward(cache.body, dh, **kwargs)
        return (out[0], Readout(out[1], dw, db), *out[2:])

    def state_dict(self) -> dict[str, np.ndarray]:
        """``rnn.<body names>``, ``readout.weight``, ``readout.bias``."""
        sd = {f"rnn.{k}": v for k, v in self.body.state_dict().items()}
        sd["readout.weight"] = self.weight
        sd["readout.bias"] = self.bias
        return sd


# --------------------------------------------------------------- rebuilding
def load_state_dict(model: Model, state_dict: Mapping[str, Any]) -> Model:
    """A copy of ``model`` (same type, plan, activations) with parameters from ``state_dict``.

    Parameters
    ----------
    model : StackedRNN, BidirectionalRNN, DelayedRNN or Readout
    state_dict : mapping of str to array
        Exactly the keys of ``model.state_dict()``, arrays of the same shapes.

    Returns
    -------
    model
        For a masked ``DelayedRNN`` the weights are multiplied by the plan's
        masks, so masked entries are exactly zero whatever was given.
    """
    check_model(model)
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict must be a mapping of parameter names to arrays; got {type(state_dict).__name__}")
    own = model.state_dict()
    if set(state_dict) != set(own):
        raise ValueError(f"state_dict must have the model's keys; missing {sorted(set(own) - set(state_dict))}, "
                         f"extra {sorted(set(state_dict) - set(own))}")
    sd = {}
    for k, ref in own.items():
        a = as_float_array(state_dict[k], f"state_dict[{k!r}]", ref.dtype)
        if a.shape != ref.shape:
            raise ValueError(f"state_dict[{k!r}] must have shape {ref.shape}; got {a.shape}")
        sd[k] = a
    if isinstance(model, Readout):
        body = load_state_dict(model.body, {k[4:]: v for k, v in sd.items() if k.startswith("rnn.")})
        return Readout(body, sd["readout.weight"], sd["readout.bias"])
    if isinstance(model, DelayedRNN):
        p = LayerParams(sd["weight_ih_l0"], sd["weight_hh_l0"], sd.get("bias_ih_l0"), sd.get("bias_hh_l0"))
        if model.masked:
            p = replace(p, weight_ih=p.weight_ih * model.plan.weight_ih_mask(),
                        weight_hh=p.weight_hh * model.plan.weight_hh_mask())
        return replace(model, params=p)

    def layer(l: int, suffix: str = "") -> LayerParams:
        g = lambda kind: sd.get(f"{kind}_l{l}{suffix}")  # noqa: E731
        return LayerParams(g("weight_ih"), g("weight_hh"), g("bias_ih"), g("bias_hh"))

    if isinstance(model, StackedRNN):
        return replace(model, layers=tuple(layer(l) for l in range(model.num_layers)))
    if isinstance(model, BidirectionalRNN):
        return replace(model, forward_layers=tuple(layer(l) for l in range(model.num_layers)),
                       backward_layers=tuple(layer(l, "_reverse") for l in range(model.num_layers)))
    raise TypeError(f"model must be a StackedRNN, BidirectionalRNN, DelayedRNN or Readout; got {type(model).__name__}")


def count_parameters(model: Model) -> int:
    """Number of trainable parameters (for a masked delayed network, only those inside the mask)."""
    check_model(model)
    if isinstance(model, Readout):
        return count_parameters(model.body) + model.weight.size + model.bias.size
    if isinstance(model, DelayedRNN) and model.masked:
        p = model.params
        n = int(model.plan.weight_ih_mask().sum() + model.plan.weight_hh_mask().sum())
        return n + (0 if p.bias_ih is None else p.bias_ih.size + p.bias_hh.size)
    return int(sum(a.size for a in model.state_dict().values()))


__all__ = [
    "Readout",
    "ReadoutCache",
    "check_model",
    "count_parameters",
    "load_state_dict",
]
