"""The training schedule of the long-tail baselines: influence-balanced start, decoupled re-training."""

from __future__ import annotations

import torch
from skorch.callbacks import Callback
from torch.utils.data import Sampler

__all__ = ["BaselinePhase", "SwitchableSampler"]


class SwitchableSampler(Sampler):
    """A shuffling sampler that can switch to class-balanced sampling (with replacement).

    skorch builds a new DataLoader every epoch around the same sampler object, so a callback
    flips ``balanced`` and the next epoch's batches are class-balanced. Draws use torch's global
    generator, which the classifier seeds.
    """

    def __init__(self, y: torch.Tensor):
        self.y = y
        self.balanced = False

    def __len__(self) -> int:
        return len(self.y)

    def __iter__(self):
        if not self.balanced:
            return iter(torch.randperm(len(self.y)).tolist())
        counts = torch.bincount(self.y).float()
        weights = 1 / counts[self.y]  # every class equally likely, samples uniform within a class
        return iter(torch.multinomial(weights, len(self.y), replacement=True).tolist())


class BaselinePhase(Callback):
    """Switch phases of the baselines that have two: ``ib`` (cross-entropy, then the IB loss from
    half-way) and ``decoupling`` (instance-balanced training, then, for the last fifth of the
    epochs, a freshly initialised head trained on class-balanced batches over a frozen encoder)."""

    def __init__(self, method: str, max_epochs: int, sampler: SwitchableSampler | None = None):
        self.method = method
        self.max_epochs = max_epochs
        self.sampler = sampler

    def switch_epoch(self) -> int:
        if self.method == "ib":
            return self.max_epochs // 2
        return self.max_epochs - max(1, self.max_epochs // 5)

    def on_epoch_begin(self, net, **kwargs) -> None:
        epoch = len(net.history) - 1
        state = net.ltdd_state_
        second = epoch >= self.switch_epoch()
        if self.method == "decoupling" and second and not state.get("second_phase"):
            net.module_.encoder.requires_grad_(False)
            for layer in net.module_.head.modules():
                if hasattr(layer, "reset_parameters"):
                    layer.reset_parameters()
            self.sampler.balanced = True
        state["second_phase"] = second
        net.history.record("phase", f"{self.method}-{'second' if second else 'first'}")
