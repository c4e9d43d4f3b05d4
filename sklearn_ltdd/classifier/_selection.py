"""Model selection during training: validation scores, the model kept and early stopping.

All read the fit's :class:`~sklearn_ltdd.classifier._phases.Phases`: scores start with the first
phase whose head has trained (after LTDD's warm-up), and the model kept and early stopping look
only at epochs of the final phase, so the model kept is always the method the user asked for (an
epoch of influence-balanced training, not of its cross-entropy start).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from skorch.callbacks import Callback, EarlyStopping

from ._decision import TAUS, balanced_scores, log_probabilities, tau_search
from ._phases import Phases

__all__ = ["EarlyStoppingAfter", "MeanFromBestEpoch", "ValidationScores"]


class ValidationScores(Callback):
    """Balanced accuracy and balanced F1 of the classifier's decision on the validation set, from
    the outputs of skorch's validation pass, as ``valid_ba`` and ``valid_bf1`` (and ``valid_tau``,
    the decision's τ) in the history; ``valid_ba_best`` and ``valid_bf1_best`` mark a new best of
    the final phase (the model kept and early stopping follow ``valid_ba``).

    The decision is the argmax, or with ``log_prior`` the logit-adjusted argmax whose τ is the best
    for this epoch's outputs (:func:`~sklearn_ltdd.classifier._decision.tau_search`), the τ that
    ``fit`` then keeps. The outputs stay where the network computed them, and on a GPU the three
    numbers are read back once per epoch.

    In a phase whose head has not trained the scores are NaN (``LTDDNet.run_single_epoch`` skips
    that validation pass) and never the best, so the model kept cannot be an epoch whose head is
    still at its initial weights, and every epoch has the same columns in the history and the
    printed log.
    Epochs of an earlier phase are scored (a phase may end on them) but are never the best.
    """

    def __init__(self, phases: Phases, log_prior: np.ndarray | None = None):
        self.phases = phases
        self.log_prior = log_prior

    def initialize(self) -> ValidationScores:
        self.best_, self.outputs_, self.targets_, self.weights_ = [-np.inf, -np.inf], [], [], []
        self.search_ = None  # the prior and τ grid on the net's device, copied there once per fit
        return self

    def on_train_end(self, net, **kwargs) -> None:
        self.search_ = None  # device tensors: a saved model keeps none outside skorch's mapping
        self.discard_pass()  # (a pass interrupted by Ctrl-C before its epoch ended left them)

    def discard_pass(self) -> None:
        """Forget the validation labels, weights and outputs gathered since the epoch began."""
        self.outputs_, self.targets_, self.weights_ = [], [], []

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs) -> None:
        if not training:
            self.outputs_.append(y_pred[0])
            self.targets_.append(batch[1]["y"])
            self.weights_.append(batch[1]["weight"])

    def on_epoch_end(self, net, **kwargs) -> None:
        scores, finite = [float("nan")] * 3, True
        if self.phases.current.trains_head and self.outputs_:
            scores, finite = self._scores(*map(torch.cat, (self.outputs_, self.targets_, self.weights_)))
        self.discard_pass()
        for name, value in zip(("valid_ba", "valid_bf1", "valid_tau"), scores, strict=True):
            net.history.record(name, value)
        for i, name in enumerate(("valid_ba", "valid_bf1")):
            best = self.phases.final and scores[i] > self.best_[i]  # NaN is never the best
            if best:
                self.best_[i] = scores[i]
            net.history.record(f"{name}_best", bool(best))
        if not finite:  # outputs that overflowed: the weights are far off, whatever the later epochs
            net.diverged(
                f"training diverged: the network's validation outputs in epoch {net.history[-1, 'epoch']} "
                "are NaN or infinite"
            )

    @torch.no_grad()
    def _scores(
        self, logits: torch.Tensor, y: torch.Tensor, weight: torch.Tensor
    ) -> tuple[list[float], bool]:
        """BA, BF1 and τ (NaN where the outputs are not finite), and whether they are finite."""
        log_proba = log_probabilities(logits)  # as predict_log_proba gives it
        if self.log_prior is None:
            ba, bf1 = balanced_scores(y, log_proba.argmax(dim=1)[None], log_proba.shape[1], weight)
            scores = [ba[0], bf1[0], torch.zeros_like(ba[0])]
        else:
            if self.search_ is None:
                self.search_ = [torch.as_tensor(v, device=logits.device) for v in (self.log_prior, TAUS)]
            tau, ba, bf1 = tau_search(y, log_proba, *self.search_, weight=weight)
            scores = [ba, bf1, tau]
        # NaN outputs (a diverged network) would argmax to some class and be scored as its prediction
        finite = torch.isfinite(logits).all().double()
        *scores, finite = torch.stack([*scores, finite]).tolist()  # the one read of the epoch
        return (scores, True) if finite else ([float("nan")] * 3, False)


class EarlyStoppingAfter(EarlyStopping):
    """skorch's ``EarlyStopping`` on a higher-is-better score whose patience counts only epochs of
    the final phase (earlier epochs are neither better nor worse)."""

    def __init__(self, monitor: str, patience: int, phases: Phases):
        # threshold 0: any better score resets the patience, as it starts the model kept again
        super().__init__(monitor=monitor, patience=patience, lower_is_better=False, threshold=0)
        self.phases = phases

    def on_epoch_end(self, net, **kwargs) -> None:
        if not (self.phases.final and self.phases.current.trains_head):
            return
        self.stop_message_ = None
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:
            if self.misses_ < self.patience:  # the user's Ctrl-C, not skorch's stop
                raise
            if len(net.history) >= net.max_epochs:  # the last epoch: training ends anyway, not stopped
                return
            # the callbacks after this one (the progress bar, the log's row, which skorch prints
            # last) end the epoch training stops on as any other, and then it says why it stops
            callbacks = [callback for _, callback in net.callbacks_]
            for callback in callbacks[callbacks.index(self) + 1 :]:
                callback.on_epoch_end(net, **kwargs)
            if self.stop_message_:
                super()._sink(self.stop_message_, net.verbose)
            net.stop("early stopping")

    def _sink(self, text: str, verbose: int) -> None:
        self.stop_message_ = text  # printed after the epoch's row


class MeanFromBestEpoch(Callback):
    """Keep, when training ends, the mean of the weights after the best epoch of the final phase
    (by validation BA) and after every epoch trained since (batch-norm statistics averaged too);
    with ``average=False``, the best epoch's weights.

    On a small validation set the best epoch is an early peak that is partly chance, and early
    stopping trains ``early_stopping`` epochs past it before it ends the fit. On the many-class
    tasks measured those epochs score a little lower on validation but not on test, and the mean
    of their weights with the best epoch's does better than the best epoch alone
    (``docs/results.md``, "The model kept"): the epochs early stopping trains anyway are used, at
    no epoch more. The weights are summed on the network's device beside a copy of the best
    epoch's, and ``history_[:, "kept"]`` marks the epochs of the model kept once training has
    ended. Epochs whose validation outputs were not finite are left out, and a training that
    diverges keeps the best epoch alone (:meth:`keep_best_only`): the epochs before a blow-up may
    hold weights finite but far off.
    """

    def __init__(self, phases: Phases, average: bool = True):
        self.phases = phases
        self.average = average

    def initialize(self) -> MeanFromBestEpoch:
        self.best_, self.sum_, self.epochs_ = None, None, []
        return self

    def on_train_begin(self, net, **kwargs) -> None:
        self.initialize()

    @torch.no_grad()
    def on_epoch_end(self, net, **kwargs) -> None:
        row = net.history[-1]
        if not (self.phases.final and math.isfinite(row.get("valid_ba", math.nan))):
            return
        weights = net.module_.state_dict()
        if row["valid_ba_best"]:  # a new best: the mean starts again from it
            best = {name: value.detach().clone() for name, value in weights.items()}
            total = {name: value.clone() for name, value in best.items()} if self.average else None
            # in one statement, as below: a Ctrl-C between two would divide one epoch's weights by
            # the old count
            self.best_, self.sum_, self.epochs_ = best, total, [len(net.history) - 1]
        elif self.average and self.sum_ is not None:
            floats = [name for name, value in weights.items() if value.is_floating_point()]
            added = torch._foreach_add([self.sum_[k] for k in floats], [weights[k] for k in floats])
            total, epochs = (
                {**self.sum_, **dict(zip(floats, added, strict=True))},
                [*self.epochs_, len(net.history) - 1],
            )
            # sum and count change in one statement: a Ctrl-C between two would skew the mean
            self.sum_, self.epochs_ = total, epochs

    def keep_best_only(self) -> None:
        """Keep the best epoch's weights, not the mean (for a training that has diverged)."""
        self.sum_, self.epochs_ = None, self.epochs_[:1]

    @torch.no_grad()
    def on_train_end(self, net, **kwargs) -> None:
        if self.sum_ is not None and len(self.epochs_) > 1:
            # counters (BatchNorm's num_batches_tracked) stay the best epoch's
            torch._foreach_div_([v for v in self.sum_.values() if v.is_floating_point()], len(self.epochs_))
            net.module_.load_state_dict(self.sum_)
        elif self.best_ is not None:
            net.module_.load_state_dict(self.best_)
        for epoch, row in enumerate(net.history):
            row["kept"] = epoch in self.epochs_
        self.initialize()  # the module holds what is kept; do not pickle the copies
