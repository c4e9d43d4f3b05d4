"""Data sets: the embedded demo set and long-tail construction."""

from ._long_tail import long_tailed_class_sizes, make_long_tailed
from ._solubility import SOLUBILITY_CLASSES, load_solubility

__all__ = ["SOLUBILITY_CLASSES", "load_solubility", "long_tailed_class_sizes", "make_long_tailed"]
