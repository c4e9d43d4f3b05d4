"""An exponential moving average of the weights, for validation, checkpoints and prediction."""

from __future__ import annotations

import torch
from skorch.callbacks import Callback

__all__ = ["WeightAverage", "ema_decay"]


def ema_decay(time_constant_epochs: float, steps_per_epoch: int) -> float:
    """Per-step decay of an average whose time constant is ``time_constant_epochs`` epochs.

    Given in epochs, the average spans the same share of training on 1,000 molecules as on
    40,000, where a per-step decay would span 8 or 300 steps per epoch alike.

    Examples
    --------
    >>> ema_decay(2, 100)
    0.995
    >>> ema_decay(0.1, 3)  # an average shorter than one step is the weights themselves
    0.0
    """
    return max(0.0, 1 - 1 / (time_constant_epochs * steps_per_epoch))


class WeightAverage(Callback):
    """Validate, checkpoint and predict with an exponential moving average of the weights.

    The optimiser steps the raw weights, and after every training step the average moves towards
    them, batch-norm statistics included: one ``torch._foreach_lerp_`` over all floating-point
    tensors (what ``torch.optim.swa_utils``' EMA does, without its step counter, which it reads and
    copies to the device at every step). For the
    validation pass the module holds the average, so the scores, the checkpoint and early stopping
    judge the averaged network, and so does everything after ``fit``. At the start of the next
    epoch the raw weights come back and training goes on from them. An averaged network moves
    less from epoch to epoch than the raw one, which makes the checkpoint choice on a small
    validation set less of a draw.

    The average starts again whenever the training ``phase`` in the history changes (LTDD's
    warm-up to its main phase, the second phase of ``ib`` and ``decoupling``): what is validated
    and kept is then an average of the phase it comes from, and after decoupling's switch the
    head it averages is trained on exactly the encoder it is kept with.
    """

    def __init__(self, time_constant_epochs: float):
        self.time_constant_epochs = time_constant_epochs

    def initialize(self) -> WeightAverage:
        self.average_ = self.raw_ = self.decay_ = self.phase_ = self.floats_ = self.counters_ = None
        self.fresh_ = False
        return self

    def on_train_begin(self, net, **kwargs) -> None:
        self.initialize()

    def on_epoch_begin(self, net, dataset_train=None, **kwargs) -> None:
        if self.decay_ is None:  # the first epoch: its batches give the steps per epoch
            # (the training iterator, not the dataset: a resampled epoch visits some samples twice)
            steps = max(1, len(net.get_iterator(dataset_train, training=True)))
            self.decay_ = ema_decay(self.time_constant_epochs, steps)
        if self.raw_ is not None:  # train on from the raw weights
            net.module_.load_state_dict(self.raw_)
            self.raw_ = None

    def on_batch_begin(self, net, training=False, **kwargs) -> None:
        if training:
            phase = net.history[-1].get("phase")
            if self.average_ is None or phase != self.phase_:  # the start, or a new phase
                self._restart(net, phase)
        elif self.raw_ is None:  # the first validation batch of the epoch
            self._hold_average(net)

    @torch.no_grad()
    def on_batch_end(self, net, training=False, **kwargs) -> None:
        if not training:
            return
        torch._foreach_lerp_(*self.floats_, 1.0 if self.fresh_ else 1 - self.decay_)
        for averaged, latest in self.counters_:
            averaged.copy_(latest)
        self.fresh_ = False

    def on_epoch_end(self, net, **kwargs) -> None:
        if self.raw_ is None:  # no validation pass this epoch
            self._hold_average(net)

    def on_train_end(self, net, **kwargs) -> None:
        self.initialize()  # the module holds what is kept; do not pickle copies

    def _restart(self, net, phase: str | None) -> None:
        """A new average, whose first training step's weights will be its value."""
        live = net.module_.state_dict()  # detached tensors sharing the module's storage
        self.average_ = {k: v.detach().clone() for k, v in live.items()}
        floats = [k for k, v in live.items() if v.is_floating_point()]
        self.floats_ = ([self.average_[k] for k in floats], [live[k] for k in floats])
        # counters (BatchNorm's num_batches_tracked) take the latest value
        self.counters_ = [(self.average_[k], live[k]) for k in live if k not in floats]
        self.phase_, self.fresh_ = phase, True

    def _hold_average(self, net) -> None:
        self.raw_ = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}
        net.module_.load_state_dict(self.average_)
