"""Checks of class labels shared by the metrics, the estimators and the data helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._compat import from_arrow

__all__ = ["check_no_missing_labels"]


def check_no_missing_labels(values: object, name: str, advice: str) -> None:
    """Raise a ValueError naming the rows of ``values`` without a label (None, NaN or NA).

    Call it on the labels as given (a list, an array, a pandas object or a tensor), before numpy
    or sklearn convert them: ``np.asarray`` would turn a NaN among strings into the label 'nan',
    and None among strings cannot be sorted.
    """
    values = from_arrow(values)
    if hasattr(values, "to_numpy"):  # pandas: its own NA and nullable dtypes
        values = values.to_numpy(dtype=object)
    elif hasattr(values, "cpu"):  # a tensor: numbers, which can be NaN
        values = values.cpu().numpy()
    elif not isinstance(values, np.ndarray):
        values = np.asarray(values, dtype=object)
    if values.ndim == 0 or values.dtype.kind not in "Ofc":  # integers, booleans, text: never missing
        return
    missing = pd.isna(values)
    missing = np.flatnonzero(missing.any(axis=tuple(range(1, missing.ndim))) if missing.ndim > 1 else missing)
    if missing.size:
        raise ValueError(
            f"{name} has {missing.size} missing labels (None, NaN or NA) at rows {missing[:10].tolist()}"
            f"{' ...' if missing.size > 10 else ''}; {advice}"
        )
