"""The training schedule of the long-tail baselines: influence-balanced start, decoupled re-training,
and the sampler that serves resampled and class-balanced epochs."""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import Callback
from torch.utils.data import Sampler, WeightedRandomSampler

__all__ = ["PRIOR_CORRECTING", "BaselinePhase", "TrainingSampler", "switch_epoch"]

#: methods whose training already takes the class prior out (loss weights, a prior-shifted softmax,
#: class-balanced batches); without a validation set their decision needs no further adjustment
PRIOR_CORRECTING = frozenset({"cs", "bs", "cb_focal", "ib", "cdt", "decoupling"})


class TrainingSampler(Sampler):
    """The order in which an epoch visits the training set, which can switch to class-balanced draws.

    ``positions`` lists the dataset positions one epoch visits (each once by default; a resampled
    training set lists some several times), shuffled every epoch. skorch builds a new DataLoader
    every epoch around the same sampler object, so a callback flips ``balanced`` and the next
    epoch's batches are drawn with replacement, every class equally likely. Draws use torch's global
    generator, which the classifier seeds. Labels are a numpy array: a fitted net keeps its sampler,
    and only skorch's own attributes are mapped between devices when unpickling.
    """

    def __init__(self, y: np.ndarray, positions: np.ndarray | None = None):
        self.y = np.asarray(y)
        self.positions = np.arange(len(self.y)) if positions is None else np.asarray(positions)
        self.balanced = False

    def __len__(self) -> int:
        return len(self.positions)

    def __iter__(self):
        if not self.balanced:
            return iter(self.positions[torch.randperm(len(self.positions)).numpy()].tolist())
        y = torch.from_numpy(self.y)
        weights = 1 / torch.bincount(y).double()[y]  # every class equally likely, samples uniform within
        return iter(WeightedRandomSampler(weights, len(self.positions), replacement=True))


def _stalled(epochs: list[dict], monitor: str, patience: int | None) -> bool:
    """Whether ``monitor`` (higher is better) has not improved for ``patience`` of these epochs."""
    if patience is None or not epochs or monitor not in epochs[-1]:
        return False
    scores = np.array([epoch[monitor] for epoch in epochs], dtype=float)
    if not np.isfinite(scores).any():
        return False
    return len(scores) - 1 - int(np.nanargmax(scores)) >= patience


class BaselinePhase(Callback):
    """The two phases of ``ib`` and ``decoupling``, recorded as ``phase`` in the history.

    The first phase (plain cross-entropy) ends at ``switch_epoch`` or, with ``patience``, as soon
    as the validation balanced accuracy has not improved for that many epochs, so that early
    stopping (which looks only at the second phase) never cuts a fit short before its method has
    run. At the switch ``ib`` turns its criterion's influence-balanced loss on; ``decoupling``
    freezes the encoder, re-initialises the head with a fresh optimiser state at the initial
    learning rate, and switches the net's :class:`TrainingSampler` to class-balanced batches.
    """

    def __init__(self, method: str, switch_epoch: int, patience: int | None = None):
        self.method = method
        self.switch_epoch = switch_epoch
        self.patience = patience

    @property
    def final_phase(self) -> str:
        return f"{self.method}-second"

    def on_epoch_begin(self, net, **kwargs) -> None:
        epoch = len(net.history) - 1
        past = net.history[:-1]
        if epoch and past[-1]["phase"] == self.final_phase:
            phase = self.final_phase
        elif epoch >= self.switch_epoch or _stalled(past, "valid_ba", self.patience):
            self._switch(net)
            phase = self.final_phase
        else:
            phase = f"{self.method}-first"
        net.history.record("phase", phase)

    def _switch(self, net) -> None:
        if self.method == "ib":
            net.criterion_.active = True
            return
        net.module_.freeze_encoder()
        net.module_.head.reset_parameters()
        # the new head starts from scratch: no moments of the old one, no decayed learning rate
        net.optimizer_.state.clear()
        for group in net.optimizer_.param_groups:
            group["lr"] = net.lr
        net.iterator_train__sampler.balanced = True


def switch_epoch(method: str, max_epochs: int) -> int:
    """The latest switch: ``ib`` half-way; ``decoupling`` re-trains the head for the last fifth."""
    if method == "ib":
        return max_epochs // 2
    return max_epochs - max(1, max_epochs // 5)
