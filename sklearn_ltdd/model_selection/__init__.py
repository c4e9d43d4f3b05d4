"""ImDrug's train/validation/test splits, as functions and as a scikit-learn CV splitter."""

from ..metrics import long_tail_groups
from ._imdrug import ImDrugSplit, imdrug_split

__all__ = ["ImDrugSplit", "imdrug_split", "long_tail_groups"]
