"""Inputs from other libraries' APIs, each met in one place: scikit-learn's semi-private helpers
(so that its API churn is fixed here only) and pyarrow's arrays."""

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils._param_validation import Interval as _Interval
from sklearn.utils.validation import _num_samples

__all__ = [
    "HasMethods",
    "Interval",
    "StrOptions",
    "_fit_context",
    "_num_samples",
    "from_arrow",
    "validate_params",
]


class Interval(_Interval):
    """scikit-learn's Interval, refusing True and False: to Python a bool is a number, so
    ``early_stopping=True`` would pass as a patience of one epoch, ``ema_epochs=True`` as 1.0."""

    def is_satisfied_by(self, val: object) -> bool:
        return not isinstance(val, bool | np.bool_) and super().is_satisfied_by(val)


def validate_params(estimator: BaseEstimator) -> None:
    """Check an estimator's parameters against its ``_parameter_constraints``."""
    estimator._validate_params()


def from_arrow(values: object) -> object:
    """A pyarrow array as a list and a pyarrow table as a DataFrame (an array's ``to_numpy``
    refuses to copy strings; a table's rows would be dicts); anything else as it is."""
    if not type(values).__module__.startswith("pyarrow"):
        return values
    return values.to_pandas() if hasattr(values, "column_names") else values.to_pylist()
