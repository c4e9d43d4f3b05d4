"""Data sets: the embedded demo sets, the paper's benchmark sets, and long-tail construction."""

from ._benchmark_sets import (
    REMOTE_FILES,
    load_hiv,
    load_sbap,
    load_uspto50k,
    load_uspto50k_templates,
    read_table,
)
from ._fetch import RemoteFile, fetch_file, get_data_home
from ._long_tail import long_tailed_class_sizes, make_long_tailed
from ._reaction_templates import load_reaction_templates
from ._solubility import SOLUBILITY_CLASSES, load_solubility

__all__ = [
    "REMOTE_FILES",
    "SOLUBILITY_CLASSES",
    "RemoteFile",
    "fetch_file",
    "get_data_home",
    "load_hiv",
    "load_reaction_templates",
    "load_sbap",
    "load_solubility",
    "load_uspto50k",
    "load_uspto50k_templates",
    "long_tailed_class_sizes",
    "make_long_tailed",
    "read_table",
]
