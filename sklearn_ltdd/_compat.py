"""Inputs from other libraries' APIs, each met in one place: scikit-learn's semi-private helpers
(so that its API churn is fixed here only) and pyarrow's arrays."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils._param_validation import Interval as _Interval
from sklearn.utils.validation import _num_samples

__all__ = [
    "N_JOBS",
    "HasMethods",
    "Interval",
    "StrOptions",
    "_fit_context",
    "_num_samples",
    "check_n_jobs",
    "from_arrow",
    "validate_params",
]


class Interval(_Interval):
    """scikit-learn's Interval, refusing True and False: to Python a bool is a number, so
    ``early_stopping=True`` would pass as a patience of one epoch, ``hidden=True`` as 1."""

    def is_satisfied_by(self, val: object) -> bool:
        return not isinstance(val, bool | np.bool_) and super().is_satisfied_by(val)


#: ``n_jobs`` as joblib reads it: None, a positive count, or -1, -2, ... (all CPUs, all but one, ...)
N_JOBS = [None, Interval(Integral, 1, None, closed="left"), Interval(Integral, None, -1, closed="right")]


def check_n_jobs(n_jobs: object) -> None:
    """Refuse an ``n_jobs`` that joblib has no meaning for (0, a float, a bool), naming it."""
    if n_jobs is not None and not any(interval.is_satisfied_by(n_jobs) for interval in N_JOBS[1:]):
        raise ValueError(
            f"n_jobs must be None, a positive integer or -1, -2, ... (all CPUs, all but one, ...), "
            f"got {n_jobs!r}."
        )


def validate_params(estimator: BaseEstimator) -> None:
    """Check an estimator's parameters against its ``_parameter_constraints``."""
    estimator._validate_params()


def from_arrow(values: object) -> object:
    """A pyarrow array as a list and a pyarrow table as a DataFrame (an array's ``to_numpy``
    refuses to copy strings; a table's rows would be dicts); anything else as it is."""
    if not type(values).__module__.startswith("pyarrow"):
        return values
    return values.to_pandas() if hasattr(values, "column_names") else values.to_pylist()
