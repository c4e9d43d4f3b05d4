"""The paper's Table-2 benchmark: every method on the same ImDrug split, the same metrics.

Run it with ``python -m sklearn_ltdd.benchmark --help``. ``_run`` is the run itself (its
arguments, the loop over seeds and methods), ``_tasks`` the data sets, ``_methods`` what each
method name fits, ``_results_file`` the JSON lines it appends and resumes from, ``_summary`` the
table of them; ``_paper`` holds the paper's own figures, ``_fingerprint_models`` the fingerprint
baselines, ``_names`` the method names and defaults (without torch, for the command's help).
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from ._fingerprint_models import make_fingerprint_model
    from ._methods import tune_threshold
    from ._names import FINGERPRINT_MODELS, METHODS
    from ._paper import PAPER_DATASETS, paper_table
    from ._run import run_benchmark
    from ._summary import summarise
    from ._tasks import DATASETS

# loaded when first read: the command's --help and usage errors need no torch (seconds)
_LAZY = {
    "DATASETS": "._tasks",
    "FINGERPRINT_MODELS": "._names",
    "METHODS": "._names",
    "PAPER_DATASETS": "._paper",
    "make_fingerprint_model": "._fingerprint_models",
    "paper_table": "._paper",
    "run_benchmark": "._run",
    "summarise": "._summary",
    "tune_threshold": "._methods",
}

__all__ = [
    "DATASETS",
    "FINGERPRINT_MODELS",
    "METHODS",
    "PAPER_DATASETS",
    "make_fingerprint_model",
    "paper_table",
    "run_benchmark",
    "summarise",
    "tune_threshold",
]

if not TYPE_CHECKING:  # checkers read the imports above, and flag a name that is not there
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__, globals())
