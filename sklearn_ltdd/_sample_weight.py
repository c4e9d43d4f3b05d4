"""The check of sample weights shared by the estimators and the metrics."""

from __future__ import annotations

from decimal import Decimal
from numbers import Real

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._labels import row_names, shortened, shortened_repr

__all__ = ["check_sample_weight"]


def _real(value: object) -> bool:
    """Whether ``value`` is a real number (Decimal, a NumPy bool too): not text, not complex."""
    if isinstance(value, str | bytes | complex):
        return False
    try:
        float(value)
    except OverflowError:  # a Python integer past float's range: a number, not a finite one
        return True
    except (TypeError, ValueError):
        return False
    return True


def _float(value: object) -> float:
    """``float(value)``, infinite past float's range (a Python integer of 400 digits); NaN for None
    and for a signalling NaN (a Decimal's, which float() refuses)."""
    if value is None:
        return np.nan
    try:
        return float(value)
    except OverflowError:
        return np.inf if value > 0 else -np.inf
    except ValueError:
        return np.nan


def _shown(value: object) -> str:
    """A weight as given, for a message: a NumPy scalar as its Python value, a long one cut."""
    return shortened_repr(value.item() if isinstance(value, np.generic) else value, 40)


def _refuse_lost_to_zero(given: np.ndarray, weights: np.ndarray, sample_weight: object) -> None:
    """Refuse a positive weight that float64 rounds to 0 (a long double's 1e-4000, a Decimal's):
    weighed as 0, its class was "without a positive weight". ``given`` is 0-d for one weight."""
    zeros = np.flatnonzero(np.ravel(weights) == 0)
    if not zeros.size:
        return
    # only the zeros compared again, as given (a Decimal's sNaN, which raises so, is no zero)
    values = np.ravel(given)
    # (non-numbers and None are refused, or NaN, before)
    for row in zeros[np.asarray(values[zeros] != 0, dtype=bool)]:
        value = values[row]
        shown = _shown(value)
        if given.ndim == 0:
            what = f"sample_weight is {shown}"
        else:
            word, (name,) = row_names(sample_weight, np.array([row]))
            what = f"sample_weight's {word} {name} is {shown}"
        if value < 0:  # (-1e-400, which float64 makes 0)
            raise ValueError(f"{what}: sample_weight must be non-negative.")
        raise ValueError(
            f"{what}: positive, but below the smallest float (about 5e-324), which makes it 0; scale "
            "the weights up (their ratios are what counts)."
        )


def check_sample_weight(sample_weight: ArrayLike | None, n: int) -> np.ndarray | None:
    """``sample_weight`` as floats, one finite, non-negative weight per sample and not all zero
    (None stays None; a number weighs every sample alike, as in scikit-learn); a ValueError names
    what is wrong, and the first offending row."""
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight)  # (not np.ndim: sklearn's checks pass objects numpy only converts)
    if weights.dtype.kind in "mM":  # datetime64, timedelta64: tolist() gives integer nanoseconds
        raise ValueError(f"sample_weight must hold real numbers, not {weights.dtype} times or durations.")
    one = weights.dtype.kind in "iuf" or (
        weights.dtype == object and isinstance(sample_weight, Real | Decimal)  # (a Fraction)
    )
    if weights.ndim == 0 and one:  # one weight for all, as in sklearn
        with np.errstate(over="ignore"):  # (a long double past float's range)
            value = _float(sample_weight)
        if not (np.isfinite(value) and value >= 0):  # (named as given, not as n rows of its float)
            raise ValueError(
                f"sample_weight must be finite and non-negative, got {shortened(repr(sample_weight), 40)}."
            )
        _refuse_lost_to_zero(weights, np.array(value), sample_weight)
        weights = np.full(n, value)
    if weights.ndim != 1:
        got = f"{sample_weight!r}" if weights.ndim == 0 else f"shape {weights.shape}"
        raise ValueError(
            f"sample_weight must be a number or hold one weight per sample (a 1-D array), got {got}."
        )
    if weights.shape[0] != n:
        raise ValueError(f"sample_weight has {weights.shape[0]} weights for {n} samples.")
    if weights.dtype.kind not in "biuf":  # text, complex numbers or objects: name the first non-number
        values = np.asarray(sample_weight, dtype=object).tolist()  # as given: numpy made [1, "a"] text
        for row, value in enumerate(values):
            if value is not None and not _real(value):
                word, (name,) = row_names(sample_weight, np.array([row]))
                raise ValueError(f"sample_weight must hold real numbers; {word} {name} is {value!r}.")
    given = weights
    with np.errstate(over="ignore"):  # (a long double past float's range: named below, as given)
        weights = (
            np.array([_float(v) for v in weights], dtype=float)
            if weights.dtype == object
            else weights.astype(float)
        )
    if given.dtype == object or given.dtype.itemsize > weights.dtype.itemsize:  # (a long double)
        _refuse_lost_to_zero(given, weights, sample_weight)
    bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
    if bad.size:
        value = given[bad[0]]  # as given: None, not the NaN it converts to
        if isinstance(getattr(sample_weight, "dtype", None), pd.api.extensions.ExtensionDtype):
            value = pd.array(sample_weight)[bad[0]]  # pandas' NA, which numpy made a NaN
        word, (name,) = row_names(sample_weight, bad[:1])
        raise ValueError(
            f"sample_weight must be finite and non-negative; {word} {name} is "
            f"{_shown(value)}" + (f" ({bad.size} such rows)." if bad.size > 1 else ".")
        )
    if not weights.any():
        raise ValueError(
            "sample_weight is 0 for every sample; with zero weight everywhere there is nothing to fit "
            "or score: give at least one positive weight."
        )
    return weights
