"""Head / middle / tail grouping of classes by training-set size, and the per-group report."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .._arguments import is_integer
from .._compat import from_arrow, numpy_only
from .._labels import check_labels_given, few_of, warn_of_labels_written_otherwise
from .._warnings import warn
from ._balanced import checked_labels, per_class_balanced_scores, warn_of_predicted_only

__all__ = ["GROUPS", "long_tail_groups", "long_tail_report"]

GROUPS = ("head", "middle", "tail")


def class_counts_of(train_counts: Mapping | ArrayLike, name: str = "train_counts") -> dict:
    """``{label: count}`` of the training set, from either such counts (a mapping, or a pandas
    ``value_counts()``) or the training labels themselves (also the plots' reading, whose
    argument ``name`` messages name)."""
    train_counts = _as_value_counts(from_arrow(train_counts), name)
    if isinstance(train_counts, Mapping):
        check_labels_given(list(train_counts), name, "count labelled samples only.")
        counts = dict(train_counts)
    elif _is_value_counts(train_counts, name):
        check_labels_given(train_counts.index, name, "count labelled samples only.")
        # a categorical's value_counts() lists its unused categories too, with 0: not training classes
        counts = {
            k: v for k, v in zip(train_counts.index.tolist(), train_counts.tolist(), strict=True) if v != 0
        }
    else:
        check_labels_given(train_counts, name, "give every sample a class.")
        raw = train_counts.to_numpy(dtype=object) if hasattr(train_counts, "to_numpy") else train_counts
        labels, n = np.unique(np.asarray(raw), return_counts=True)
        counts = dict(zip(labels.tolist(), n.tolist(), strict=True))
    if not counts:
        raise ValueError(f"{name} is empty; give the training labels or {{label: count}}.")
    bad = {k: v for k, v in counts.items() if not (is_integer(v) and v > 0)}
    if bad:
        raise ValueError(f"{name}'s class counts must be positive integers; got {bad}.")
    return {k: int(v) for k, v in counts.items()}


def warn_if_the_classes(
    train_counts: Mapping | ArrayLike, counts: dict, n_tested: int | None, name: str
) -> None:
    """Warn where the training labels ``train_counts`` (``counts`` of them) give every class once,
    fewer than the ``n_tested`` test samples (None: no test set to compare with): most likely a
    model's ``classes_``, or the class counts as an array (``np.bincount(y)``), whose classes
    would all count 1, their groups in their labels' order (counts given as counts are as meant)."""
    if len(counts) < 2 or set(counts.values()) != {1} or (n_tested is not None and n_tested <= len(counts)):
        return
    values = _as_value_counts(from_arrow(train_counts), name)  # (read again only in this rare case)
    if isinstance(values, Mapping) or _is_value_counts(values, name):
        return
    tested = "" if n_tested is None else f", fewer than the {n_tested} test samples"
    warn(
        f"every one of the {len(counts)} training classes counts 1 in {name}{tested}: is {name} the "
        "classes (clf.classes_), or their counts (np.bincount(y_train)), rather than the training labels "
        "(y_train)? Counts are given by label, e.g. dict(enumerate(np.bincount(y_train))). Head, middle "
        "and tail, or the class sizes, of classes of one size follow their labels' order."
    )


def _as_value_counts(values: object, name: str) -> object:
    """Other libraries' ``value_counts()`` as a mapping of counts by label: a table of the labels and
    their ``count`` (polars', in any order, a DataFrame after :func:`from_arrow`; pandas' after
    ``reset_index()``) and pyarrow's (a struct of ``values`` and ``counts`` per label, dicts after
    :func:`from_arrow`); a one-column DataFrame's (a Series on a MultiIndex of one level, whose
    labels were tuples) as pandas' of a Series; anything else as it is."""
    if (
        isinstance(values, pd.DataFrame)
        and values.shape[1] == 2
        and values.columns[1] in ("count", "proportion")
    ):
        if values.columns[1] == "proportion":
            _refuse_proportions(name)
        labels = values.iloc[:, 0]
        if not labels.is_unique:
            raise ValueError(
                f"{name} is a table of counts by label in which labels repeat "
                f"({few_of(labels[labels.duplicated()].unique())}); give each label's count once."
            )
        # (a categorical's lists its unused categories too, with 0: not training classes)
        return {k: v for k, v in zip(labels.tolist(), values["count"].tolist(), strict=True) if v != 0}
    one_level = isinstance(values, pd.Series) and isinstance(values.index, pd.MultiIndex)
    if one_level and values.index.nlevels == 1:
        return values.set_axis(values.index.get_level_values(0))
    if (
        isinstance(values, list)
        and values
        and all(isinstance(row, dict) and set(row) == {"values", "counts"} for row in values)
    ):
        return {row["values"]: row["counts"] for row in values}
    return values


def _refuse_proportions(name: str) -> None:
    raise TypeError(
        f"{name} holds proportions (value_counts(normalize=True)); give counts, "
        "e.g. y_train.value_counts(), or the training labels themselves."
    )


def _is_value_counts(values: object, name: str) -> bool:
    """Whether ``values`` is pandas' ``value_counts()`` of the labels, rather than a Series of labels:
    named "count", indexed by the labels (unique, never a RangeIndex), integer counts largest first.
    Another Series named "count" on such an index may be either (``value_counts(sort=False)``,
    counts made floats, or a label column named "count" after a split), and is refused rather
    than guessed."""
    if not isinstance(values, pd.Series):
        return False
    if values.name == "proportion":
        _refuse_proportions(name)
    if not values.index.is_unique:
        return False
    if values.name != "count":
        if _may_be_counts(values):
            raise ValueError(
                f"{name} is a Series of positive integers that may be counts by label (as "
                "groupby(...).size() or a renamed value_counts() gives) or training labels; pass "
                f"dict({name}) for counts by label, or {name}.to_numpy() for the training labels."
            )
        return False
    if isinstance(values.index, pd.RangeIndex):  # a label column named "count"
        return False
    counts = pd.api.types.is_integer_dtype(values.dtype) and (values >= 0).all() and (values > 0).any()
    if counts and values.is_monotonic_decreasing:
        return True
    raise ValueError(
        f"{name} is a Series named 'count' that may be counts by label (value_counts(sort=False), "
        f"or counts made floats) or the labels of a column named 'count'; pass dict({name}) for "
        f"counts by label, or {name}.to_numpy() for the training labels."
    )


def _may_be_counts(values: pd.Series) -> bool:
    """Whether a Series (not named "count", on a unique index) of positive integers may be counts by
    label: groupby(...).size()'s (no name, a named index: a label column keeps its name), or one
    of several values all different (every sample its own class is no training set). Labels
    indexed by compound, or split from a frame with a named index, stay labels."""
    integers = pd.api.types.is_integer_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
    if not integers or not bool((values > 0).all()):
        return False
    grouped = values.name is None and values.index.name is not None
    return grouped or (len(values) > 1 and values.is_unique)


def long_tail_groups(train_counts: Mapping | ArrayLike) -> dict[str, list]:
    """Split classes into head, middle and tail by their training-set size (ImDrug's rule).

    Classes are sorted by training count, largest first; ties are in sorted label order,
    whether the counts come as a mapping (in any key order) or as labels.
    With ``C`` classes, the first ``ceil(0.3 C)`` are the head, the last
    ``round((C - head) * 0.3 / 0.7)`` the tail, and the rest the middle. With two
    classes the head holds the majority class, the middle the minority class and
    the tail is empty.

    Parameters
    ----------
    train_counts : mapping, pandas Series or array-like
        ``{label: training count}`` (also as ``y_train.value_counts()`` of pandas, polars or
        pyarrow), or the training labels themselves. Another Series of counts by label
        (``groupby(...).size()``, a renamed ``value_counts()``) could be labels: it is refused;
        pass ``dict(counts)``. An array is labels: one of counts (``np.bincount(y)``) or of the
        classes (``clf.classes_``) is read as labels, and warned of where every class then counts
        1 (counts that tie are not: pass counts by label).

    Returns
    -------
    groups : dict
        ``{"head": [...], "middle": [...], "tail": [...]}``, labels largest class first.

    Examples
    --------
    >>> from sklearn_ltdd.metrics import long_tail_groups
    >>> long_tail_groups({"a": 500, "b": 50, "c": 5})
    {'head': ['a'], 'middle': ['b'], 'tail': ['c']}
    >>> long_tail_groups([0, 0, 0, 1])
    {'head': [0], 'middle': [1], 'tail': []}
    """
    counts = class_counts_of(train_counts)
    warn_if_the_classes(train_counts, counts, None, "train_counts")
    try:  # label order first, whatever the container's order, so that ties are broken by label
        labels = sorted(counts)
    except TypeError:
        raise TypeError(f"class labels must be comparable to order ties; got {list(counts)}.") from None
    # stable, reverse too: ties keep label order (a negated count wrapped around for unsigned ints)
    order = sorted(labels, key=counts.__getitem__, reverse=True)
    n_classes = len(order)
    n_head = math.ceil(0.3 * n_classes)
    n_tail = math.floor((n_classes - n_head) * 0.3 / 0.7 + 0.5)
    parts = (order[:n_head], order[n_head : n_classes - n_tail], order[n_classes - n_tail :])
    return dict(zip(GROUPS, parts, strict=True))


@numpy_only
def long_tail_report(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    train_counts: Mapping | ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
) -> pd.DataFrame:
    """Balanced accuracy and balanced F1 per head / middle / tail group, and overall.

    Groups come from :func:`long_tail_groups`. A group's BA is the mean recall of
    its classes and its BF1 the mean of their balanced F1 scores; both are
    computed from the confusion matrix of the whole test set, so the ``all`` row
    equals :func:`balanced_accuracy_score` and :func:`balanced_f1_score`. Classes
    without test samples are left out of the means (with the metrics' warning where they are
    predicted); a group with none is NaN.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True test labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    train_counts : mapping, pandas Series or array-like
        ``{label: training count}`` (also as ``y_train.value_counts()``) or the training
        labels (not the classes, ``clf.classes_``: each class would count 1, and where the
        test set is the larger, that is warned of). A label of ``y_true`` that is not in it (a
        class of a few members that a split left out of training) joins the tail as a class of
        0 training samples, with a warning (the groups are those of the training classes); a
        label of ``y_pred`` that is not in it, or a ``y_true`` none of whose labels is, is
        refused.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    report : pandas.DataFrame
        Index ``head, middle, tail, all``; columns ``n_classes``, ``n_tested`` (those of them
        with test samples, over which BA and BF1 average), ``train_min``, ``train_max``
        (training counts in the group; ``<NA>`` where it is empty), ``BA`` and ``BF1``. Print
        it, or use ``report.to_dict("index")``.

    Examples
    --------
    >>> from sklearn_ltdd.metrics import long_tail_report
    >>> y_train = ["a"] * 50 + ["b"] * 10 + ["c"] * 2
    >>> report = long_tail_report(["a", "b", "c", "c"], ["a", "b", "c", "a"], y_train)
    >>> report["BA"].round(3).tolist()
    [1.0, 1.0, 0.5, 0.833]
    """
    counts = class_counts_of(train_counts)
    y_true, y_pred = checked_labels(y_true, y_pred)
    true, predicted = set(np.unique(y_true).tolist()), set(np.unique(y_pred).tolist())
    if not predicted <= set(counts):  # a model predicts the classes it was trained on
        raise ValueError(
            f"y_pred holds labels {few_of(sorted(predicted - set(counts)))} that are not "
            f"among the training classes {few_of(sorted(counts))}; train_counts must count "
            "the training labels of the model that predicted y_pred."
        )
    unseen = sorted(true - set(counts))
    if unseen and not true & set(counts):  # not the training set of these
        raise ValueError(
            f"no label of y_true is among the training classes {few_of(sorted(counts))} (y_true "
            f"holds {few_of(unseen)}); train_counts must count the training labels of this model."
        )
    warn_if_the_classes(train_counts, counts, len(y_true), "train_counts")
    members = long_tail_groups(counts)  # the training classes' groups, as ImDrug makes them
    warn_of_labels_written_otherwise(
        y_true, np.array(list(counts), dtype=object), "y_true", "the training classes"
    )
    if unseen:  # classes of a few members that a split left out of training: the longest tail
        warn(
            f"labels {few_of(unseen)} of y_true are not among the training classes; they join the tail "
            "as classes of 0 training samples (a model trained without them does not predict them)."
        )
        counts |= dict.fromkeys(unseen, 0)
        members["tail"] += unseen
    labels = np.array(list(counts))
    scores = per_class_balanced_scores(y_true, y_pred, labels=labels, sample_weight=sample_weight)
    # as the metrics warn (training classes neither tested nor predicted are NaN rows, not warned of)
    warn_of_predicted_only(labels[~scores["present"] & np.isin(labels, y_pred)])
    members["all"] = list(counts)
    rows = {}
    for group, group_labels in members.items():
        mask = np.isin(labels, group_labels) & scores["present"]
        group_counts = [counts[label] for label in group_labels]
        rows[group] = {
            "n_classes": len(group_labels),
            "n_tested": int(mask.sum()),
            "train_min": min(group_counts, default=np.nan),
            "train_max": max(group_counts, default=np.nan),
            "BA": scores["recall"][mask].mean() if mask.any() else np.nan,
            "BF1": scores["f1"][mask].mean() if mask.any() else np.nan,
        }
    # counts stay integers where a group is empty (two classes have no tail): pandas' nullable ints
    return pd.DataFrame.from_dict(rows, orient="index").astype({"train_min": "Int64", "train_max": "Int64"})
