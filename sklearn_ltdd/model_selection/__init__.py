"""ImDrug's train/validation/test splits, as functions and as a scikit-learn CV splitter, and its
head / middle / tail grouping of classes by training size (``long_tail_groups``, also in
:mod:`sklearn_ltdd.metrics`)."""

from ..metrics import long_tail_groups
from ._imdrug import ImDrugSplit, imdrug_split

__all__ = ["ImDrugSplit", "imdrug_split", "long_tail_groups"]
