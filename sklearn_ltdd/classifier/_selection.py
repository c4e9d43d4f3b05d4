"""Model selection during training: validation scores, best checkpoint and early stopping.

All read the fit's :class:`~sklearn_ltdd.classifier._phases.Phases`: scores start with the first
phase whose head has trained (after LTDD's warm-up), and the best checkpoint and early stopping
look only at epochs of the final phase, so the model kept is always the method the user asked
for (an epoch of influence-balanced training, not of its cross-entropy start).
"""

from __future__ import annotations

import numpy as np
from skorch.callbacks import EarlyStopping, EpochScoring

from ._decision import adjusted_scores, best_tau, small_holdout_warnings_ignored

__all__ = ["EarlyStoppingAfter", "ScoringAfter", "ValidationScore"]


def _labels(targets: dict) -> np.ndarray:
    return targets["y"].cpu().numpy()


class ValidationScore:
    """A metric of the classifier's decision on the validation set: the argmax, or with
    ``log_prior`` the logit-adjusted argmax whose τ is the best for this epoch's outputs
    (see :mod:`~sklearn_ltdd.classifier._decision`), the τ that ``fit`` then keeps."""

    def __init__(self, metric, log_prior: np.ndarray | None = None):
        self.metric = metric
        self.log_prior = log_prior

    def __call__(self, net, dataset, y) -> float:
        # predict_proba replays the outputs skorch cached during its validation pass: no second pass
        scores = net.predict_proba(dataset)
        if self.log_prior is not None:  # the decision's scores: no need to normalise them
            scores = adjusted_scores(scores, self.log_prior, best_tau(y, scores, self.log_prior)[0])
        with small_holdout_warnings_ignored():
            return self.metric(y, scores.argmax(axis=1))


class ScoringAfter(EpochScoring):
    """skorch's ``EpochScoring`` of the validation set (cached outputs, higher is better) that
    scores only in phases whose head has trained, and marks a best epoch only in the final one.

    Before, the score is recorded as NaN and never as the best, so the best checkpoint cannot be
    an epoch whose head is still at its initial weights, and every epoch has the same columns in
    the history and the printed log. Epochs of an earlier phase are scored (a phase may end on
    them) but are never the best.
    """

    def __init__(self, scoring, name: str, phases):
        super().__init__(scoring, lower_is_better=False, on_train=False, name=name, use_caching=True,
                         target_extractor=_labels)  # fmt: skip
        self.phases = phases

    def on_epoch_end(self, net, **kwargs) -> None:
        if not self.phases.current.trains_head:
            net.history.record(self.name_, float("nan"))
            net.history.record(f"{self.name_}_best", False)
            return
        super().on_epoch_end(net, **kwargs)

    def _is_best_score(self, current_score: float) -> bool:
        return self.phases.final and super()._is_best_score(current_score)


class EarlyStoppingAfter(EarlyStopping):
    """skorch's ``EarlyStopping`` on a higher-is-better score whose patience counts only epochs of
    the final phase (earlier epochs are neither better nor worse)."""

    def __init__(self, monitor: str, patience: int, phases):
        super().__init__(monitor=monitor, patience=patience, lower_is_better=False)
        self.phases = phases

    def on_epoch_end(self, net, **kwargs) -> None:
        if self.phases.final and self.phases.current.trains_head:
            super().on_epoch_end(net, **kwargs)
