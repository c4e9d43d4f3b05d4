"""Counts of samples per class, as functions that plan by class size take them."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from ._arguments import is_number


def check_class_counts(class_counts: ArrayLike) -> np.ndarray:
    """``class_counts`` as int64, one whole number >= 1 per class; a ValueError names the first
    offending entries (a count of 2.7 or 0, NaN, text) or the shape (empty, 2-D)."""
    if isinstance(class_counts, list | tuple) and any(isinstance(v, bool | np.bool_) for v in class_counts):
        raise ValueError(
            f"class_counts must be counts of samples, not booleans, got {list(class_counts)[:5]}."
        )
    if isinstance(class_counts, str | bytes):  # (np.asarray made it "shape ()")
        raise TypeError(
            f"class_counts must be a sequence of counts, one per class, not a {type(class_counts).__name__}."
        )
    if isinstance(class_counts, Mapping):  # np.asarray would make it one object, "shape ()"
        raise TypeError(
            "class_counts must be a sequence of counts, one per class, not a mapping; pass "
            "list(counts.values()), in the order you mean."
        )
    counts = np.asarray(class_counts)  # (which makes [True, 3] the counts [1, 3])
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(f"class_counts must be a non-empty 1-D sequence, got shape {counts.shape}.")
    numbers = counts.dtype.kind in "iuf" or (
        counts.dtype == object and all(is_number(v) for v in counts)
    )  # a row of a frame of mixed columns holds Python ints
    if not numbers:
        raise ValueError(f"class_counts must be counts of samples, got values of dtype {counts.dtype}.")
    counts = counts.astype(np.float64) if counts.dtype == object else counts
    with np.errstate(invalid="ignore"):  # NaN is not a whole number either; 1e20 no int64
        bad = np.flatnonzero((counts < 1) | (counts % 1 != 0) | ~np.isfinite(counts) | (counts >= 2.0**63))
    if bad.size:
        raise ValueError(
            f"class_counts must be integers >= 1 (one per class), got {counts[bad[:5]].tolist()} "
            f"at positions {bad[:5].tolist()}{' ...' * (bad.size > 5)}."
        )
    return counts.astype(np.int64)
