"""The training schedule of the long-tail baselines: influence-balanced start, decoupled re-training."""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import Callback
from torch.utils.data import Sampler, WeightedRandomSampler

__all__ = ["BaselinePhase", "SwitchableSampler"]


class SwitchableSampler(Sampler):
    """A shuffling sampler that can switch to class-balanced sampling (with replacement).

    skorch builds a new DataLoader every epoch around the same sampler object, so a callback
    flips ``balanced`` and the next epoch's batches are class-balanced. Draws use torch's global
    generator, which the classifier seeds. Labels are kept as a numpy array (a fitted net holds
    its sampler, and only skorch's own attributes are mapped between devices when unpickling).
    """

    def __init__(self, y: np.ndarray):
        self.y = np.asarray(y)
        self.balanced = False

    def __len__(self) -> int:
        return len(self.y)

    def __iter__(self):
        if not self.balanced:
            return iter(torch.randperm(len(self.y)).tolist())
        y = torch.from_numpy(self.y)
        weights = 1 / torch.bincount(y).double()[y]  # every class equally likely, samples uniform within
        return iter(WeightedRandomSampler(weights, len(self.y), replacement=True))


class BaselinePhase(Callback):
    """Switch the baselines that have two phases at epoch ``switch_epoch``: ``ib`` turns its
    criterion's influence-balanced loss on; ``decoupling`` freezes the encoder, re-initialises the
    head and switches ``sampler`` to class-balanced batches."""

    def __init__(self, method: str, switch_epoch: int, sampler: SwitchableSampler | None = None):
        self.method = method
        self.switch_epoch = switch_epoch
        self.sampler = sampler

    def on_epoch_begin(self, net, **kwargs) -> None:
        epoch = len(net.history) - 1
        second = epoch >= self.switch_epoch
        if epoch == self.switch_epoch:
            if self.method == "ib":
                net.criterion_.active = True
            else:
                net.module_.freeze_encoder()
                net.module_.head.reset_parameters()
                self.sampler.balanced = True
        net.history.record("phase", f"{self.method}-{'second' if second else 'first'}")


def switch_epoch(method: str, max_epochs: int) -> int:
    """``ib`` switches half-way; ``decoupling`` re-trains the head for the last fifth."""
    if method == "ib":
        return max_epochs // 2
    return max_epochs - max(1, max_epochs // 5)
