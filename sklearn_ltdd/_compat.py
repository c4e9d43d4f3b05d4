"""The one place that imports scikit-learn's semi-private helpers, so API churn is fixed here only."""

from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

__all__ = ["HasMethods", "Interval", "StrOptions", "_fit_context", "validate_params"]


def validate_params(estimator: BaseEstimator) -> None:
    """Check an estimator's parameters against its ``_parameter_constraints``."""
    estimator._validate_params()
