"""Checks of class labels shared by the metrics, the estimators and the data helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._compat import from_arrow

__all__ = ["check_labels_given"]


def _as_given(values: object) -> np.ndarray:
    """The labels as an array of what was given: a list as Python objects, not numpy's conversion."""
    values = from_arrow(values)
    if hasattr(values, "to_numpy"):  # pandas: its own NA and nullable dtypes
        return values.to_numpy(dtype=object)
    if hasattr(values, "cpu"):  # a tensor: numbers, which can be NaN
        return values.cpu().numpy()
    return values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)


def check_labels_given(values: object, name: str, advice: str) -> None:
    """:func:`_check_no_missing_labels`, and refuse labels that mix strings with other kinds:
    numpy would silently turn ``[1, "a"]`` into ``["1", "a"]``, and sorting them fails."""
    _check_no_missing_labels(values, name, advice)
    raw = _as_given(values)
    if raw.dtype != object or not raw.ndim or not raw.size:
        return
    text = np.array([isinstance(v, str | bytes) for v in raw.reshape(raw.shape[0], -1)[:, 0]])
    if text.any() and not text.all():
        i, j = int(np.argmax(text)), int(np.argmin(text))
        raise ValueError(
            f"{name} mixes strings and other labels (row {i}: {raw[i]!r}, row {j}: {raw[j]!r}); "
            "give every label the same type, e.g. all strings."
        )


def _check_no_missing_labels(values: object, name: str, advice: str) -> None:
    """Raise a ValueError naming the rows of ``values`` without a label (None, NaN or NA).

    Call it on the labels as given (a list, an array, a pandas object or a tensor), before numpy
    or sklearn convert them: ``np.asarray`` would turn a NaN among strings into the label 'nan',
    and None among strings cannot be sorted.
    """
    values = _as_given(values)
    if values.ndim == 0 or values.dtype.kind not in "Ofc":  # integers, booleans, text: never missing
        return
    missing = pd.isna(values)
    missing = np.flatnonzero(missing.any(axis=tuple(range(1, missing.ndim))) if missing.ndim > 1 else missing)
    if missing.size:
        raise ValueError(
            f"{name} has {missing.size} missing labels (None, NaN or NA) at rows {missing[:10].tolist()}"
            f"{' ...' if missing.size > 10 else ''}; {advice}"
        )
