"""Every training loss in one place: the formulas and the skorch criteria built on them.

- ``_contrastive``: LTDD's SupCon warm-up and sub-cluster contrastive loss (paper Eq. 1–2).
- ``_long_tail``: the per-sample formulas of the paper's Table-2 baselines and the wide expert.
- ``_criteria``: one criterion per loss, registered by name in ``LOSSES``.
"""

from ._contrastive import contrastive_term, subcluster_contrastive_loss, supcon_loss, view_partner
from ._criteria import LOSSES, LTDDLoss, weighted_mean
from ._long_tail import balanced_cross_entropy

__all__ = [
    "LOSSES",
    "LTDDLoss",
    "balanced_cross_entropy",
    "contrastive_term",
    "subcluster_contrastive_loss",
    "supcon_loss",
    "view_partner",
    "weighted_mean",
]
