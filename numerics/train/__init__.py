"""Training: a linear read-out on any model, losses, Adam, and the training loop."""

from numerics.train.loop import TrainResult, evaluate, predict, train
from numerics.train.losses import LOSSES, accuracy, log_softmax, mse, softmax_cross_entropy
from numerics.train.optim import Adam, clip_grad_norm, global_norm
from numerics.train.readout import Readout, ReadoutCache, count_parameters, load_state_dict

__all__ = [
    "LOSSES",
    "Adam",
    "Readout",
    "ReadoutCache",
    "TrainResult",
    "accuracy",
    "clip_grad_norm",
    "count_parameters",
    "evaluate",
    "global_norm",
    "load_state_dict",
    "log_softmax",
    "mse",
    "predict",
    "softmax_cross_entropy",
    "train",
]
