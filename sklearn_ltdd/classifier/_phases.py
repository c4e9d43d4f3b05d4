"""The phases of a fit: where each begins, written once, and the one running, for all to read.

A method is a short table of :class:`Phase` rows (LTDD: a SupCon warm-up, then LTDD; ``ib``:
cross-entropy, then the influence-balanced loss; ``decoupling``: cross-entropy, then the head
re-trained on class-balanced batches). One :class:`Phases` object per fit walks through them:
the losses read whether this is the method's final phase (their main loss), the
sampler whether batches are balanced, the schedule callbacks how long the phase has run, and
validation scoring, the model kept and early stopping the same. A phase is known by its name
(in the history, and to :meth:`Phases.enter`), so the names of a method's phases differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from skorch.callbacks import Callback

__all__ = ["Phase", "Phases"]


@dataclass(frozen=True)
class Phase:
    """One phase of a method.

    ``epochs``: how long it lasts at most (None for the last phase: until training ends).
    ``trains_head``: whether the classifier head trains (LTDD's warm-up trains the encoder alone),
    so that validation scores of its epochs mean something.
    ``retrain_head``: on entering, freeze the encoder and re-train the head from scratch, with a
    fresh optimiser at the initial learning rate, on class-balanced batches.
    """

    name: str
    epochs: int | None = None
    trains_head: bool = True
    retrain_head: bool = False


def _no_gain_for(patience: int | None, scores: np.ndarray) -> bool:
    """Whether a higher-is-better score has not improved for ``patience`` epochs."""
    if patience is None or not np.isfinite(scores).any():
        return False
    return len(scores) - 1 - int(np.nanargmax(scores)) >= patience


class Phases(Callback):
    """The phases of a fit, in order; records the current one as ``phase`` in the history.

    A phase ends after its ``epochs`` or, with ``patience``, as soon as the validation balanced
    accuracy has not improved for that many of its epochs, so that early stopping (which watches
    only the final phase) can never end a fit before its method has run. It runs before the
    callbacks that read it at the start of each epoch.
    """

    def __init__(self, phases: Sequence[Phase], patience: int | None = None):
        if any(phase.epochs is None for phase in phases[:-1]):
            raise ValueError("every phase but the last needs its number of epochs.")
        names = [phase.name for phase in phases]
        if len(set(names)) < len(names):  # the history's phase column would not tell them apart
            raise ValueError(f"every phase needs a name of its own, got {names}.")
        self.phases = tuple(phases)
        self.patience = patience
        self.initialize()

    def enter(self, name: str) -> Phases:
        """Make ``name`` the current phase (from the current epoch on)."""
        self.index_ = [phase.name for phase in self.phases].index(name)
        self.began_, self.epoch_ = 0, 0
        return self

    @property
    def current(self) -> Phase:
        return self.phases[self.index_]

    @property
    def name(self) -> str:
        return self.current.name

    @property
    def final(self) -> bool:
        """Whether the current phase is the method's last: the one whose epochs may be kept."""
        return self.index_ == len(self.phases) - 1

    @property
    def epochs_in(self) -> int:
        """Epochs of the current phase before the current one."""
        return self.epoch_ - self.began_

    def initialize(self) -> Phases:
        """Start at the first phase (skorch calls it at the start of every fit)."""
        return self.enter(self.phases[0].name)

    def on_epoch_begin(self, net, **kwargs) -> None:
        self.epoch_ = len(net.history) - 1
        phase = self.current
        enters = not self.final and (self.epochs_in >= phase.epochs or self._stalled(net))
        if enters:
            self.index_ += 1
            self.began_ = self.epoch_
        # recorded first: an interrupt that lands after a head's reset finds its phase in the history
        net.history.record("phase", self.name)
        if enters and self.current.retrain_head:
            self._retrain_head(net)

    def _stalled(self, net) -> bool:
        past = net.history[self.began_ : self.epoch_]
        if not past or "valid_ba" not in past[-1]:
            return False
        return _no_gain_for(self.patience, np.array([epoch["valid_ba"] for epoch in past], dtype=float))

    @staticmethod
    def _retrain_head(net) -> None:
        net.module_.freeze_encoder()
        net.module_.head.reset_parameters()
        # the new head starts from scratch: no moments of the old one, no decayed learning rate
        # (each group's own first rate: the wide expert's is a multiple of the network's)
        net.optimizer_.state.clear()
        for group in net.optimizer_.param_groups:
            group["lr"] = group.get("initial_lr", net.lr)
        # a new schedule from these rates: the old one would decay them as well, but record (in
        # history_'s event_lr, the verbose table's lr) the rate it had decayed to, not the one trained
        # at. From its start (last_epoch=-1): one built at this epoch would decay the first epoch's
        # rate under torch < 2.8
        schedule = dict(net.callbacks_)["lr"]
        schedule.lr_scheduler_ = schedule.policy_(net.optimizer_, **{**schedule.kwargs, "last_epoch": -1})
