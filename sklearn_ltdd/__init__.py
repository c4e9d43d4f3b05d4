"""sklearn-ltdd: long-tailed drug classification (LTDD) as scikit-learn estimators.

Subpackages, one concept each:

- :mod:`sklearn_ltdd.metrics` -- ImDrug's balanced accuracy / precision / F1 and the
  head / middle / tail report (imports no torch).
- :mod:`sklearn_ltdd.datasets` -- the embedded sets (reaction templates, solubility), the paper's
  benchmark sets and ``make_long_tailed``.
- :mod:`sklearn_ltdd.featurize` -- SMILES checks, ``MorganFingerprint``, ``SmilesGraphizer``
  and the packed ``GraphStore``.
- :mod:`sklearn_ltdd.nn` -- the GCN, edge-drop views, contrastive losses and separability weights.
- :mod:`sklearn_ltdd.classifier` -- ``LTDDClassifier`` (its knobs ``SubclusterContrast`` and
  ``SubclusterSchedule``) and the Table-2 baselines' ``BaselineClassifier``, trained with skorch.
- :mod:`sklearn_ltdd.cluster` -- ``BalancedSubcluster``, the paper's size-balanced sub-clustering.
- :mod:`sklearn_ltdd.model_selection` -- ImDrug's splits, as a function and a CV splitter.
- :mod:`sklearn_ltdd.plotting` -- plots of the class accuracies, embeddings, weights and training.
- :mod:`sklearn_ltdd.screen` -- scoring libraries of molecules in memory, in files or on Dask.
- :mod:`sklearn_ltdd.benchmark` -- the paper's Table 2 on this package (also a command).

The estimators are importable from the top level; torch loads only when one that needs it is
imported (``import sklearn_ltdd`` and the metrics, data sets, splits and fingerprints load none;
``sklearn_ltdd.screen`` loads it with its first function, which scores with a model).
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._warnings import InconsistentVersionWarning

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from .classifier import (
        BaselineClassifier,
        LTDDClassifier,
        SubclusterContrast,
        SubclusterSchedule,
    )
    from .cluster import BalancedSubcluster
    from .featurize import (
        GraphStore,
        GraphStorePair,
        MorganFingerprint,
        SmilesGraphizer,
    )

__version__ = "0.1.0.dev0"

_LAZY = {
    "LTDDClassifier": "sklearn_ltdd.classifier",
    "BaselineClassifier": "sklearn_ltdd.classifier",
    "SubclusterContrast": "sklearn_ltdd.classifier",
    "SubclusterSchedule": "sklearn_ltdd.classifier",
    "BalancedSubcluster": "sklearn_ltdd.cluster",
    "SmilesGraphizer": "sklearn_ltdd.featurize",
    "GraphStore": "sklearn_ltdd.featurize",
    "GraphStorePair": "sklearn_ltdd.featurize",
    "MorganFingerprint": "sklearn_ltdd.featurize",
}

__all__ = [  # written out, not computed from _LAZY, so that type checkers read the exports
    "BalancedSubcluster",
    "BaselineClassifier",
    "GraphStore",
    "GraphStorePair",
    "InconsistentVersionWarning",
    "LTDDClassifier",
    "MorganFingerprint",
    "SmilesGraphizer",
    "SubclusterContrast",
    "SubclusterSchedule",
]


if not TYPE_CHECKING:  # checkers read the imports above, and flag a name that is not there
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__, globals())
