"""The paper's Table-2 benchmark: every method on the same ImDrug split, the same metrics.

Run it with ``python -m sklearn_ltdd.benchmark --help``. ``_run`` is the run itself (its
arguments, the loop over seeds and methods), ``_tasks`` the data sets, ``_methods`` what each
method name fits, ``_results_file`` the JSON lines it appends and resumes from, ``_summary`` the
table of them; ``_paper`` holds the paper's own figures, ``_fingerprint_models`` the fingerprint
baselines.
"""

from ._fingerprint_models import FINGERPRINT_MODELS, make_fingerprint_model
from ._methods import METHODS, tune_threshold
from ._paper import PAPER_DATASETS, paper_table
from ._run import run_benchmark
from ._summary import summarise

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
