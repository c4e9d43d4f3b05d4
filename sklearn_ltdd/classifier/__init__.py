"""The graph classifiers, trained with skorch: LTDD, the Table-2 baselines, and what they share.

- LTDD: ``_ltdd`` (the estimator, the method top to bottom), ``_ltdd_options`` (its knobs,
  ``SubclusterContrast`` and ``SubclusterSchedule``), ``_ltdd_schedule`` (re-clustering callbacks).
- The baselines: ``_baselines`` (``BaselineClassifier(loss=...)``, its two-phase losses).
- Shared: ``_base`` (the estimator, its fit), ``_inference`` (predict, predict_proba, transform,
  chunk by chunk; the screening helpers' way in), ``_inputs`` (the checks of labels, weights and
  graphs), ``_validation`` (the hold-out and its warnings), ``_phases`` (the phase object all parts
  read), ``_net`` (the skorch net), ``_data``, ``_selection``, ``_decision``, ``_device``,
  ``_estimator_lock`` (one fit or snapshot at a time), ``_docstrings`` (the parameters' shared
  text), ``_wrapped`` (the classifier inside a Pipeline or a search); the library versions a model
  records come from ``featurize._versions``.
"""

import sys

if sys.flags.optimize >= 2:  # -OO strips docstrings, which skorch rewrites when imported
    try:
        import skorch  # noqa: F401
    except AttributeError as error:
        raise ImportError(
            "the classifiers need skorch, which cannot be imported under python -OO (it edits docstrings "
            "that -OO strips): run Python without -OO, with PYTHONOPTIMIZE unset or at most 1"
        ) from error

from .. import _torch_geometric  # noqa: F401  (PyG imported first there: see why)
from ._baselines import BASELINE_LOSSES, BaselineClassifier
from ._ltdd import PAPER_PROTOCOL, LTDDClassifier
from ._ltdd_options import SubclusterContrast, SubclusterSchedule

__all__ = [
    "BASELINE_LOSSES",
    "PAPER_PROTOCOL",
    "BaselineClassifier",
    "LTDDClassifier",
    "SubclusterContrast",
    "SubclusterSchedule",
]
