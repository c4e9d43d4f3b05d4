"""Checks of class labels shared by the metrics, the estimators and the data helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._compat import from_arrow

__all__ = ["check_labels_given"]


def _as_given(values: object) -> np.ndarray:
    """The labels as an array of what was given: a list as Python objects, not numpy's conversion."""
    values = from_arrow(values)
    if hasattr(values, "to_numpy"):  # pandas: its own NA and nullable dtypes; plain numbers as they are
        plain = getattr(values, "dtype", None)
        return (
            values.to_numpy()
            if isinstance(plain, np.dtype) and plain.kind in "biu"
            else values.to_numpy(dtype=object)
        )
    if hasattr(values, "cpu"):  # a tensor: numbers, which can be NaN
        return values.detach().cpu().numpy()
    return values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)


def check_labels_given(values: object, name: str, advice: str) -> None:
    """Raise a ValueError naming the rows of ``values`` without a label (None, NaN or NA), or two
    rows that mix strings with other labels.

    Call it on the labels as given (a list, an array, a pandas object or a tensor), before numpy
    or sklearn convert them: ``np.asarray`` would turn a NaN among strings into the label 'nan',
    and ``[1, "a"]`` into ``["1", "a"]``; None or numbers among strings cannot be sorted.
    """
    raw = _as_given(values)
    if raw.ndim == 0 or raw.dtype.kind not in "Ofc":  # integers, booleans, text: never missing
        return
    missing = pd.isna(raw)
    missing = np.flatnonzero(missing.any(axis=tuple(range(1, missing.ndim))) if missing.ndim > 1 else missing)
    if missing.size:
        raise ValueError(
            f"{name} has {missing.size} missing labels (None, NaN or NA) at rows {missing[:10].tolist()}"
            f"{' ...' if missing.size > 10 else ''}; {advice}"
        )
    if raw.dtype != object or not raw.size:
        return
    first = raw.reshape(raw.shape[0], -1)[:, 0]
    # pandas' C type inference first; the Python pass only to name two rows (str with bytes is text)
    if pd.api.types.infer_dtype(first, skipna=False) not in ("mixed", "mixed-integer"):
        return
    text = np.array([isinstance(v, str | bytes) for v in first])
    if text.any() and not text.all():
        i, j = int(np.argmax(text)), int(np.argmin(text))
        raise ValueError(
            f"{name} mixes strings and other labels (row {i}: {first[i]!r}, row {j}: {first[j]!r}); "
            "give every label the same type, e.g. all strings."
        )
