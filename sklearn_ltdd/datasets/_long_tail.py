"""Turn a (roughly balanced) training set into a long-tailed one."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from .._arguments import check_seed, is_number
from .._class_counts import check_class_counts
from .._compat import from_arrow
from .._labels import check_class_labels, check_labels_given, class_labels, class_members, few_of
from .._warnings import warn

__all__ = ["long_tailed_class_sizes", "make_long_tailed"]

#: a realised ratio of head to tail below this fraction of the one asked for warns
SHORTFALL = 0.9


def long_tailed_class_sizes(class_counts: ArrayLike, imbalance_ratio: float) -> np.ndarray:
    """Largest exponential class profile that fits inside the given class counts.

    Class ``i`` (in the given order, head first) is allotted
    ``floor(n_head * imbalance_ratio ** (-i / (C - 1)))`` samples, the profile of
    CIFAR-10-LT. ``n_head`` is the largest value for which every class still has
    enough samples. The profile is exponential up to the rounding down, which can make the
    realised ratio of first to last class larger than asked (``[50] * 5`` at 7.5 gives
    ``[50, 30, 18, 11, 6]``, 8.3), or, where a class of a few samples caps the head, smaller
    (``[10, 10, 1]`` at 1.9 gives ``[1, 1, 1]``, no imbalance at all): a ratio more than 10 %
    short of the one asked for warns (only a head of fewer than 10 samples rounds that far).

    Parameters
    ----------
    class_counts : array-like of int, shape (n_classes,)
        Available samples per class, in head-to-tail order.
    imbalance_ratio : float
        Size of the first class over the size of the last, at least 1.

    Returns
    -------
    sizes : ndarray of int, shape (n_classes,)

    Raises
    ------
    ValueError
        When the ratio would leave a class with no sample, is below 1 or not finite, or when
        ``class_counts`` is not one whole number >= 1 per class (named by position).

    Warns
    -----
    UserWarning
        When the sizes' ratio of first to last class falls more than 10 % short of
        ``imbalance_ratio`` (the class that caps the head is named).

    Examples
    --------
    >>> from sklearn_ltdd.datasets import long_tailed_class_sizes
    >>> long_tailed_class_sizes([400, 400, 400], 10).tolist()
    [400, 126, 40]
    """
    counts = check_class_counts(class_counts)
    return _class_sizes(counts, imbalance_ratio, [f"at position {i}" for i in range(counts.size)])


def _class_sizes(counts: np.ndarray, imbalance_ratio: float, names: list[str]) -> np.ndarray:
    """The sizes of :func:`long_tailed_class_sizes`; a class left empty raises, named by ``names``."""
    if (
        not is_number(imbalance_ratio)
        or not (math.isfinite(float(imbalance_ratio)) and imbalance_ratio >= 1)  # a Fraction too
    ):
        raise ValueError(f"imbalance_ratio must be a finite number >= 1, got {imbalance_ratio!r}.")
    if counts.size == 1:
        return counts.copy()
    fractions = float(imbalance_ratio) ** (-np.arange(counts.size) / (counts.size - 1))
    limit = int(np.argmin(counts / fractions))  # the class whose size caps the head's
    n_head = counts[limit] / fractions[limit]
    # the small epsilon keeps e.g. 400 * 10**-0.5 * 10**0.5 from flooring to 399
    sizes = np.floor(n_head * fractions + 1e-9).astype(np.int64)
    empty = np.flatnonzero(sizes == 0)
    if empty.size:
        capped = (
            f"the head class keeps its {sizes[0]} sample(s), so "
            if limit == 0
            else f"class {names[limit]}, of {counts[limit]} sample(s) at place {limit + 1} of {counts.size} "
            f"from the head, caps the head class at {sizes[0]} sample(s), so "
        )
        singles = int(np.sum(counts == 1))  # a single sample caps the head unless its class is last
        advice = (
            f"With {singles} classes of a single sample no ratio above 1 can keep them all: remove them "
            "first (or all but one, placed last with class_order)."
            if singles > 1
            else "Lower imbalance_ratio, or remove the smallest classes first."
        )
        raise ValueError(
            f"imbalance_ratio={imbalance_ratio!r} leaves no sample for {empty.size} tail class(es) "
            f"({few_of([names[i] for i in empty], joined_by=', ')}): {capped}the tail would keep fewer "
            f"than one. {advice}"
        )
    if sizes[0] < SHORTFALL * float(imbalance_ratio) * sizes[-1]:
        warn(
            f"imbalance_ratio={imbalance_ratio!r} gives a ratio of {sizes[0] / sizes[-1]:.3g} "
            f"({sizes[0]} sample(s) in the head class, {sizes[-1]} in the tail): class {names[limit]}, of "
            f"{counts[limit]} sample(s), caps the head, and the sizes round down. Remove the smallest "
            "classes first to keep the ratio asked for, or ask for a ratio these few samples can show.",
        )
    return sizes


def make_long_tailed(
    y: ArrayLike,
    imbalance_ratio: float,
    *,
    class_order: ArrayLike | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> np.ndarray:
    """Indices of a long-tailed subsample of a training set (the CIFAR-10-LT construction).

    Class sizes follow an exponential profile from the head class down to the
    tail class, ``n_i = n_head * imbalance_ratio ** (-i / (C - 1))`` (see
    :func:`long_tailed_class_sizes`); within each class the kept samples are drawn
    uniformly without replacement. Only subsample training data: validation and
    test sets should keep their own distribution (the balanced metrics are prior
    invariant).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Training labels (any type).
    imbalance_ratio : float
        Head-class size over tail-class size, at least 1.
    class_order : array-like, default=None
        Classes from head to tail. Defaults to decreasing class count (ties in
        sorted label order), which keeps the most data.
    random_state : int, RandomState instance or None, default=None
        Controls which samples are kept.

    Returns
    -------
    indices : ndarray of int
        Sorted positions into ``y`` of the samples to keep (select from a pandas Series or
        DataFrame with ``.iloc[indices]``: ``y[indices]`` reads them as index labels). Every class
        keeps at least one sample; a ratio that would empty a class raises a ValueError naming it.

    Warns
    -----
    UserWarning
        When a class of a few samples caps the head class so low that rounding leaves the kept
        sizes' ratio more than 10 % short of ``imbalance_ratio`` (the class is named by its label).

    Examples
    --------
    >>> from sklearn_ltdd.datasets import make_long_tailed
    >>> import numpy as np
    >>> y = np.repeat(["a", "b", "c"], 100)
    >>> keep = make_long_tailed(y, imbalance_ratio=10, random_state=0)
    >>> np.unique(y[keep], return_counts=True)[1].tolist()
    [100, 31, 10]
    """
    y = class_labels(y, "y", "give every sample a class before subsampling.")
    if y.shape[0] == 0:
        raise ValueError("y is empty; make_long_tailed needs at least one sample.")
    check_class_labels(y)
    labels, members = class_members(y)
    counts = np.array([len(of_class) for of_class in members])
    if class_order is None:
        order = np.argsort(-counts, kind="stable")
    else:
        check_labels_given(class_order, "class_order", "list each class of y once.")
        class_order = np.asarray(from_arrow(class_order))
        if sorted(class_order.tolist()) != sorted(labels.tolist()):
            raise ValueError(
                f"class_order must list each class of y exactly once; y has {few_of(labels)}, "
                f"class_order is {few_of(class_order)}."
            )
        order = np.searchsorted(labels, class_order)
    sizes = _class_sizes(counts[order], imbalance_ratio, [repr(labels.tolist()[c]) for c in order])
    rng = check_seed(random_state)
    kept = [rng.choice(members[c], size=size, replace=False) for c, size in zip(order, sizes, strict=True)]
    return np.sort(np.concatenate(kept))
