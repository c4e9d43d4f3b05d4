"""The paper's Table-2 benchmark: every method on the same ImDrug split, the same metrics.

Run it with ``python -m sklearn_ltdd.benchmark --help``.
"""

from ._fingerprint_models import FINGERPRINT_MODELS, make_fingerprint_model
from ._paper import PAPER_DATASETS, paper_table
from ._run import METHODS, run_benchmark, summarise, tune_threshold

__all__ = [
    "FINGERPRINT_MODELS",
    "METHODS",
    "PAPER_DATASETS",
    "make_fingerprint_model",
    "paper_table",
    "run_benchmark",
    "summarise",
    "tune_threshold",
]
