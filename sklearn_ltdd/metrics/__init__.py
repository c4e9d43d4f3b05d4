"""ImDrug's balanced metrics and the head / middle / tail report. Importing this does not import torch."""

from ._balanced import (
    balanced_accuracy_score,
    balanced_f1_score,
    balanced_f1_scorer,
    balanced_precision,
    per_class_balanced_scores,
)
from ._long_tail import long_tail_groups, long_tail_report

__all__ = [
    "balanced_accuracy_score",
    "balanced_f1_score",
    "balanced_f1_scorer",
    "balanced_precision",
    "long_tail_groups",
    "long_tail_report",
    "per_class_balanced_scores",
]
