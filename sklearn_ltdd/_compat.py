"""Inputs from other libraries' APIs, each met in one place: scikit-learn's semi-private helpers
(so that its API churn is fixed here only) and pyarrow's and polars' arrays and frames."""

import functools
from collections.abc import Callable
from numbers import Integral
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils._param_validation import Interval as _Interval
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import _num_samples

if TYPE_CHECKING:  # sklearn has no type hints: its decorator would hide fit's signature from checkers
    _Method = TypeVar("_Method", bound=Callable)

    def _fit_context(*, prefer_skip_nested_validation: bool) -> Callable[[_Method], _Method]: ...
else:
    from sklearn.base import _fit_context

__all__ = [
    "RANDOM_STATE",
    "HasMethods",
    "Hidden",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "_fit_context",
    "_num_samples",
    "from_arrow",
    "numpy_only",
    "transform_output",
    "validate_parameter_constraints",
]


class Interval(_Interval):
    """scikit-learn's Interval, refusing True and False: to Python a bool is a number, so
    ``early_stopping=True`` would pass as a patience of one epoch, ``hidden=True`` as 1. A NumPy
    number is compared as the Python number it holds (NumPy casts a bound to a float16 value's
    type, and float32's largest overflowed there with a RuntimeWarning)."""

    def is_satisfied_by(self, val: object) -> bool:
        if isinstance(val, bool | np.bool_):
            return False
        return super().is_satisfied_by(val.item() if isinstance(val, np.number) else val)


#: scikit-learn's "random_state" constraint with this module's Interval: True is no seed (as the
#: package's functions have it, where scikit-learn takes it for the seed 1)
RANDOM_STATE = [Interval(Integral, 0, 2**32 - 1, closed="both"), np.random.RandomState, None]


def transform_output(estimator: BaseEstimator) -> str:
    """The container ``estimator.transform``'s output is wrapped in: "default" (as returned),
    "pandas" or "polars", as ``set_output`` or ``sklearn.set_config`` chose."""
    return _get_output_config("transform", estimator)["dense"]


def from_arrow(values: object) -> object:
    """Arrow-backed inputs (pyarrow's and polars') as pandas and numpy read them: an array or a
    Series as a list, a table or a DataFrame as a pandas DataFrame (pyarrow's ``to_numpy`` refuses
    to copy strings, polars' takes no ``dtype``, a table's rows would be dicts); numpy's variable-
    width strings (``StringDType``, which scikit-learn's label checks refuse) as an object array;
    anything else as it is. Polars' missing values stay missing (None, or NaN in a numeric column),
    and so do a StringDType's (its ``na_object``)."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "T":
        return values.astype(object)
    module = type(values).__module__
    if module.startswith("polars"):
        if type(values).__name__ == "LazyFrame":  # a query, not its rows
            raise TypeError(f"X or y is a polars {type(values).__name__}: call .collect() on it first.")
        return (
            pd.DataFrame(values.to_dict(as_series=False)) if hasattr(values, "columns") else values.to_list()
        )
    if not module.startswith("pyarrow"):
        return values
    if hasattr(values, "as_py"):  # a scalar: named as one Python value is (it had no to_pylist)
        return values.as_py()
    return values.to_pandas() if hasattr(values, "column_names") else values.to_pylist()


_Function = TypeVar("_Function", bound=Callable)


def numpy_only(function: _Function) -> _Function:
    """``function`` run with scikit-learn's ``array_api_dispatch`` off, as code that computes in
    numpy: under dispatch sklearn's helpers keep a caller's torch labels as tensors, which then met
    the function's numpy arrays ("Input arrays use different devices: cpu, cpu"), or became a
    classifier's ``classes_``, and its predictions tensors."""

    @functools.wraps(function)
    def numpy_function(*args, **kwargs):
        with config_context(array_api_dispatch=False):
            return function(*args, **kwargs)

    return numpy_function  # type: ignore[return-value]
