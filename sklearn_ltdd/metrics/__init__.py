"""ImDrug's balanced metrics and the head / middle / tail report. Importing this does not import torch."""

from sklearn.metrics import make_scorer

from ._balanced import (
    balanced_accuracy_score,
    balanced_f1_score,
    balanced_precision,
    per_class_balanced_scores,
)
from ._long_tail import long_tail_groups, long_tail_report

# (defined here, not in _balanced: the API reference reads its comment in the module it documents)
#: :func:`balanced_f1_score` as a scorer, for ``scoring=`` in ``cross_val_score`` and
#: ``GridSearchCV`` (greater is better; it calls the estimator's ``predict``). One object for every
#: importer: ``set_score_request`` on it would change it for all of them (see balanced_f1_score).
balanced_f1_scorer = make_scorer(balanced_f1_score)

__all__ = [
    "balanced_accuracy_score",
    "balanced_f1_score",
    "balanced_f1_scorer",
    "balanced_precision",
    "long_tail_groups",
    "long_tail_report",
    "per_class_balanced_scores",
]
