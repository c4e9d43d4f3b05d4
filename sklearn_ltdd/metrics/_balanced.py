"""ImDrug's balanced metrics: scores computed as if every class had the same number of test samples."""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike
from scipy.sparse import coo_matrix, csr_matrix
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import column_or_1d

from .._arguments import check_flags, is_one_of
from .._compat import numpy_only
from .._labels import (
    check_labels_given,
    class_labels,
    few_of,
    refuse_continuous,
    warn_of_labels_written_otherwise,
)
from .._sample_weight import check_sample_weight
from .._warnings import warn

__all__ = [
    "balanced_accuracy_score",
    "balanced_f1_score",
    "balanced_precision",
    "per_class_balanced_scores",
]


def checked_labels(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Both as 1-D arrays of labels, naming the rows without a label, or that mix strings and
    numbers (sklearn would report an 'unknown' target type, fail to sort, or take the number 0 for
    the string '0'), and a value that is no label (0.7: a probability given as a prediction)."""
    advice = "balanced scores need a label for every sample."
    y_true, y_pred = class_labels(y_true, "y_true", advice), class_labels(y_pred, "y_pred", advice)
    refuse_continuous(y_true, "y_true", "not class labels; give the classes as integers or strings.")
    refuse_continuous(
        y_pred, "y_pred", "not class labels; give predicted labels (predict), not probabilities or scores."
    )
    return y_true, y_pred


@numpy_only
def per_class_balanced_scores(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
) -> dict[str, np.ndarray]:
    """Per-class recall, balanced precision and balanced F1.

    All three are read off the row-normalised confusion matrix ``R`` (rows are
    true classes): recall ``R[k, k]``, balanced precision ``R[k, k] / R[:, k].sum()``
    and their harmonic mean, with ``0/0`` taken as 0.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (any type sklearn accepts, strings included).
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    labels : array-like, default=None
        Classes to report, in this order. Defaults to the sorted union of the
        labels in ``y_true`` and ``y_pred``. Classes left out still take part: a
        prediction into one is a miss of the true class.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    scores : dict of ndarray
        ``labels``, ``recall``, ``precision``, ``f1`` and ``present`` (True where
        the class occurs in ``y_true`` with a positive total weight; the other scores
        of an absent class are 0).

    Examples
    --------
    >>> from sklearn_ltdd.metrics import per_class_balanced_scores
    >>> s = per_class_balanced_scores([0, 1, 1], [0, 0, 1])
    >>> s["recall"].tolist(), s["precision"].round(4).tolist()
    ([1.0, 0.5], [0.6667, 1.0])
    """
    y_true, y_pred = checked_labels(y_true, y_pred)
    if y_true.shape[0] != y_pred.shape[0]:  # (sklearn's check names neither)
        raise ValueError(f"y_true has {y_true.shape[0]} labels but y_pred has {y_pred.shape[0]}.")
    if y_true.shape[0] == 0:
        raise ValueError("y_true and y_pred are empty; balanced scores need at least one sample.")
    weights = check_sample_weight(sample_weight, y_true.shape[0])
    if weights is not None:  # only their ratios count: a class's sum of 1e308s would overflow
        weights = weights / weights.max()
    occurring = unique_labels(y_true, y_pred)
    if labels is None:
        warn_of_labels_written_otherwise(y_true, y_pred, "y_true", "y_pred's", known_are_classes=False)
        labels = occurring
    else:  # the classes
        labels = _checked_labels(labels, occurring)
        warn_of_labels_written_otherwise(y_true, labels, "y_true", "labels")
    recall, precision, f1, present = _scores_of_every_class(
        np.searchsorted(occurring, y_true), np.searchsorted(occurring, y_pred), len(occurring), weights
    )
    # the reported classes' rows; a class that neither y_true nor y_pred has scores 0, absent
    at = np.searchsorted(occurring, labels).clip(max=len(occurring) - 1)
    found = occurring[at] == labels
    return {"labels": labels, "recall": np.where(found, recall[at], 0.0),
            "precision": np.where(found, precision[at], 0.0), "f1": np.where(found, f1[at], 0.0),
            "present": found & present[at]}  # fmt: skip


def _scores_of_every_class(
    true: np.ndarray, predicted: np.ndarray, n_classes: int, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Recall, balanced precision, F1 and presence of classes ``0 .. n_classes - 1`` from the class
    indices of each sample. The confusion matrix is kept sparse: with thousands of classes a dense
    one would take gigabytes, and it has at most one entry per sample."""
    mass = np.ones(true.shape[0]) if weights is None else weights
    counts = coo_matrix((mass, (true, predicted)), shape=(n_classes, n_classes)).tocsr()  # sums repeats
    counts.eliminate_zeros()
    # a class counts where y_true gives it mass: a class whose samples all weigh 0 is absent
    row_mass = np.asarray(counts.sum(axis=1)).ravel()
    present = row_mass > 0
    rows = np.repeat(np.arange(n_classes), np.diff(counts.indptr))
    rates = csr_matrix((counts.data / row_mass[rows], counts.indices, counts.indptr), shape=counts.shape)
    recall = rates.diagonal()
    column_mass = np.asarray(rates.sum(axis=0)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(column_mass > 0, recall / column_mass, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return recall, precision, f1, present


def _checked_labels(labels: ArrayLike, occurring: np.ndarray) -> np.ndarray:
    """``labels`` as an array, refused where it repeats a class or is of another kind than the labels
    of ``y_true`` and ``y_pred`` (numpy would turn 1 into "1", and the class would be missed)."""
    check_labels_given(labels, "labels", "name each class to report.")
    labels = column_or_1d(labels, warn=False)
    if not len(labels):
        raise ValueError("labels is empty; name the classes to report, or pass labels=None for all.")
    values, counts = np.unique(labels, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"labels repeats {values[counts > 1].tolist()}; name each class once.")
    text = {isinstance(v, str | bytes) for v in labels.tolist()}
    if text != {isinstance(v, str | bytes) for v in occurring.tolist()}:
        raise ValueError(
            f"labels {labels.tolist()[:5]} are not of the kind of y_true's and y_pred's labels "
            f"{occurring.tolist()[:5]} (strings against numbers); pass labels of the same type."
        )
    return labels


def warn_of_predicted_only(missing: np.ndarray) -> None:
    """Say that the classes ``missing`` (predicted, but without a sample in y_true of positive
    weight) are left out of the averages, as sklearn's balanced accuracy leaves them."""
    if len(missing):
        warn(
            f"classes {few_of(missing)} are not in y_true (or all their samples weigh 0); they are left "
            "out of the average (predictions into them still count as errors for the true classes).",
        )


def _mean_over_present(scores: dict[str, np.ndarray], key: str) -> float:
    """Average a per-class score over the classes of ``y_true``, as sklearn's balanced accuracy does."""
    present = scores["present"]
    warn_of_predicted_only(scores["labels"][~present])
    return float(scores[key][present].mean())


def balanced_accuracy_score(
    y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, adjusted: bool = False
) -> float:
    """Balanced accuracy: the mean per-class recall over the classes in ``y_true``.

    The value of :func:`sklearn.metrics.balanced_accuracy_score`, read off the same per-class
    scores as the other two ImDrug metrics, so that the three refuse and warn alike (a class
    whose samples all weigh 0 is not "a class in y_pred only").

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    adjusted : bool, default=False
        Adjust for chance, as scikit-learn does: ``(score - 1/C) / (1 - 1/C)`` over the C classes
        of ``y_true``, so that random guessing scores 0 and a perfect model 1 (undefined for
        one class: NaN or -inf, with a warning).

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn_ltdd.metrics import balanced_accuracy_score
    >>> balanced_accuracy_score([0, 1, 1], [0, 0, 1])
    0.75
    >>> balanced_accuracy_score([0, 1, 1], [0, 0, 1], adjusted=True)
    0.5
    """
    check_flags(adjusted=adjusted)
    scores = per_class_balanced_scores(y_true, y_pred, sample_weight=sample_weight)
    score = _mean_over_present(scores, "recall")
    if not adjusted:
        return score
    chance = 1 / scores["present"].sum()
    if chance == 1:
        warn("adjusted balanced accuracy is undefined with a single class in y_true (chance is 1).")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(score - chance) / (1 - chance))


@overload
def balanced_precision(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: Literal["macro"] = ...,
    sample_weight: ArrayLike | None = ...,
) -> float: ...
@overload
def balanced_precision(
    y_true: ArrayLike, y_pred: ArrayLike, *, average: None, sample_weight: ArrayLike | None = ...
) -> np.ndarray: ...
@overload
def balanced_precision(
    y_true: ArrayLike, y_pred: ArrayLike, *, average: str | None, sample_weight: ArrayLike | None = ...
) -> float | np.ndarray: ...
def balanced_precision(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: str | None = "macro",
    sample_weight: ArrayLike | None = None,
) -> float | np.ndarray:
    """Balanced precision: precision computed on the row-normalised confusion matrix.

    For class ``k``, ``BP_k = R[k, k] / sum_j R[j, k]`` where ``R`` is the confusion
    matrix with each true-class row scaled to sum to 1. Unlike ordinary precision
    it does not depend on how many test samples each class has.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    average : {"macro", None}, default="macro"
        ``"macro"`` averages over the classes in ``y_true`` (classes that occur only
        in ``y_pred`` are left out with a warning, as sklearn's balanced accuracy
        does); ``None`` returns one value per class of ``unique_labels(y_true, y_pred)``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    precision : float or ndarray of shape (n_classes,)

    Examples
    --------
    >>> from sklearn_ltdd.metrics import balanced_precision
    >>> round(balanced_precision([0, 1, 1], [0, 0, 1]), 4)
    0.8333
    >>> balanced_precision([0, 1, 1], [0, 0, 1], average=None).round(4).tolist()
    [0.6667, 1.0]
    """
    scores = per_class_balanced_scores(y_true, y_pred, sample_weight=sample_weight)
    return _average(scores, "precision", average)


@overload
def balanced_f1_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: Literal["macro"] = ...,
    sample_weight: ArrayLike | None = ...,
) -> float: ...
@overload
def balanced_f1_score(
    y_true: ArrayLike, y_pred: ArrayLike, *, average: None, sample_weight: ArrayLike | None = ...
) -> np.ndarray: ...
@overload
def balanced_f1_score(
    y_true: ArrayLike, y_pred: ArrayLike, *, average: str | None, sample_weight: ArrayLike | None = ...
) -> float | np.ndarray: ...
def balanced_f1_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: str | None = "macro",
    sample_weight: ArrayLike | None = None,
) -> float | np.ndarray:
    """Balanced F1 (ImDrug): macro F1 of balanced precision and recall.

    It is the macro-averaged F1 score of the confusion matrix after each true
    class has been rescaled to the same size, so it is invariant to the class
    priors of the test set, like balanced accuracy. A class whose precision and
    recall are both 0 scores 0.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    average : {"macro", None}, default="macro"
        ``"macro"`` averages over the classes in ``y_true``; classes that occur only
        in ``y_pred`` are left out of the average with a ``UserWarning`` (the
        predictions into them still lower the recall of the true classes), the
        rule :func:`sklearn.metrics.balanced_accuracy_score` follows. ``None``
        returns one value per class of ``unique_labels(y_true, y_pred)``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    f1 : float or ndarray of shape (n_classes,)

    See Also
    --------
    balanced_f1_scorer : the same metric as a scorer for ``scoring=``. It is one object shared by
        every import: for a weighted scorer, request the weights on a new one,
        ``make_scorer(balanced_f1_score).set_score_request(sample_weight=True)``.

    Examples
    --------
    >>> from sklearn_ltdd.metrics import balanced_f1_score
    >>> round(balanced_f1_score([0, 1, 1], [0, 0, 1]), 4)
    0.7333
    >>> round(balanced_f1_score(["a", "a", "b", "b"], ["a", "a", "a", "b"]), 4)
    0.7333
    """
    scores = per_class_balanced_scores(y_true, y_pred, sample_weight=sample_weight)
    return _average(scores, "f1", average)


def _average(scores: dict[str, np.ndarray], key: str, average: str | None) -> float | np.ndarray:
    if average is None:
        return scores[key]
    if not is_one_of(average, ("macro",)):
        raise ValueError(f"average must be 'macro' or None, got {average!r}.")
    return _mean_over_present(scores, key)
