"""Checks of class labels shared by the metrics, the estimators and the data helpers."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, MappingView, Set
from itertools import chain

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d

from ._compat import from_arrow
from ._warnings import warn

__all__ = [
    "check_class_labels",
    "check_labels_given",
    "class_labels",
    "class_members",
    "few_of",
    "labelled_index",
    "numpy_labels",
    "plain_labels",
    "row_names",
]

#: how many classes (or rows) a message names before it says how many more there are
NAMED_AT_MOST = 5


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


def shortened(text: str, at_most: int = 100, size: str | None = None) -> str:
    """``text`` for a message, cut to its start and its length (or ``size``, where it is the repr of
    something else, whose own length counts) where it is longer than ``at_most`` characters (a
    10 MB field, or a whole file's text, would otherwise be the message)."""
    if len(text) <= at_most:
        return text
    return f"{text[: at_most - 30]}... ({size or f'{len(text):,} characters'})"


def shortened_repr(value: object, at_most: int = 100) -> str:
    """``repr(value)`` for a message, :func:`shortened`, with a text's own length (not its repr's,
    longer by its quotes and escapes, which double each line break)."""
    size = None
    if isinstance(value, str | bytes):
        size = f"{len(value):,} {'bytes' if isinstance(value, bytes) else 'characters'}"
    return shortened(repr(value), at_most, size)


def one_value(value: object, expected: str) -> str:
    """How a message names ``value``, given where a sequence (of ``expected`` items) was: its type
    and repr, shortened; and what to do: where it is a text of several lines (a 0-d array of one
    too), that it looks like a file's text, which wrapping it in a list would not mend."""
    said = f"not one {type(value).__name__} ({shortened_repr(value)})"
    text = value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    if isinstance(text, str) and len(lines := text.splitlines()) > 1:
        return (
            f"{said}: it holds {len(lines):,} lines, as a file's text does; give its lines as a list "
            f"(text.splitlines()), or read the file with pandas (one {expected} per row)"
        )
    if isinstance(value, str):
        return f"{said}; wrap a single {expected} in a list"
    return f"{said}; decode it, and wrap a single {expected} in a list" if isinstance(value, bytes) else said


def few_of(values: object, at_most: int = NAMED_AT_MOST, joined_by: str | None = None) -> str:
    """``values`` (class labels, rows) for a message: all of them, or the first ``at_most`` and how
    many more, so that a message about hundreds of classes stays a line; as a list, or, with
    ``joined_by``, the values' text joined by it."""
    values = list(values.tolist() if hasattr(values, "tolist") else values)
    more = len(values) - at_most
    shown = f"{values[:at_most]}" if joined_by is None else joined_by.join(map(str, values[:at_most]))
    return f"{shown} and {more} more" if more > 0 else shown


def labelled_index(values: object) -> pd.Index | None:
    """The index of a pandas object whose labels are not its positions (``train_test_split``
    shuffles them), by which messages name its rows; None for anything else."""
    return naming_labels(values.index) if isinstance(values, pd.Series | pd.DataFrame) else None


def naming_labels(index: pd.Index | None) -> pd.Index | None:
    """``index`` where its labels are not just positions 0, 1, ..., by which messages name rows;
    else None."""
    return None if index is None or index.equals(pd.RangeIndex(len(index))) else index


def row_names(values: object, positions: np.ndarray) -> tuple[str, list]:
    """What names the rows at ``positions`` of ``values``, and their names: as
    :class:`~sklearn_ltdd.featurize.InvalidSmilesError` names rows, by index label where
    :func:`labelled_index` gives one whose labels do not repeat, else by position."""
    index = labelled_index(values)
    if index is not None and index.is_unique:
        return "index label", index[positions].tolist()
    return "row", positions.tolist()


def _check_sequence(values: object, name: str) -> None:
    """Raise a TypeError where ``values`` is no sequence of labels in sample order: one label (a
    string, a number, None), an iterator (numpy would make it one object), a set or a mapping."""
    values = from_arrow(values) if hasattr(values, "as_py") else values  # a pyarrow scalar: its value
    zero_d = getattr(values, "ndim", None) == 0  # a 0-d array: NumPy's, torch's (sklearn: "y should be 1d")
    # a date, or any other one object that is no sequence nor array-like (numpy makes it 0-d)
    # (iterable alone, without a length, numpy makes one object too)
    array_like = ("__len__", "__array__", "__array_interface__")
    zero_d = zero_d or not (any(hasattr(values, name) for name in array_like) or isinstance(values, Iterator))
    # (a bytearray's labels were its byte values)
    if values is None or isinstance(values, str | bytes | bytearray) or np.isscalar(values) or zero_d:
        raise TypeError(f"{name} must be a sequence of labels, one per sample, {one_value(values, 'label')}.")
    if isinstance(values, Iterator):
        raise TypeError(
            f"{name} must be a sequence of labels, not an iterator ({type(values).__name__}); "
            "pass a list of them."
        )
    if scipy.sparse.issparse(values):  # (numpy would make it one object)
        raise TypeError(
            f"{name} must be a dense sequence of labels, one per sample, not a sparse {values.shape} "
            "matrix; a one-column matrix as y.toarray().ravel() (several columns, a multilabel target, "
            "are not one label per sample)."
        )
    if isinstance(values, Set | Mapping | MappingView):
        raise TypeError(
            f"{name} must be a sequence of labels in sample order, not a {type(values).__name__}; "
            "pass a list."
        )


def check_labels_given(values: object, name: str, advice: str) -> None:
    """Raise a TypeError where ``values`` is no sequence of labels (one label, an iterator, a set),
    a ValueError where it is not one label per sample, and a ValueError naming the rows without
    a label (None, NaN, NA, or blank text: a table's empty cell), those labelled with an infinite
    number, or two rows that mix strings with other labels.

    Call it on the labels as given (a list, an array, a pandas object or a tensor), before numpy
    or sklearn convert them: ``np.asarray`` would turn a NaN among strings into the label 'nan',
    and ``[1, "a"]`` into ``["1", "a"]``; None or numbers among strings cannot be sorted.
    """
    _check_sequence(values, name)
    raw = _as_given(values)
    if raw.ndim > 2 or (raw.ndim == 2 and raw.shape[1] != 1):  # numpy would flatten it, or fail later
        raise ValueError(f"{name} must hold one label per sample (1-D), not an array of shape {raw.shape}.")
    if raw.dtype.kind not in "OfcUST":  # integers, booleans: never missing
        return
    if raw.dtype.kind not in "UST":
        _refuse_rows(values, name, "missing labels (None, NaN or NA)", pd.isna(raw), advice)
    # pandas' C type inference of object labels, none missing: which checks can find anything
    kind = pd.api.types.infer_dtype(raw.ravel(), skipna=False) if raw.dtype == object else None
    for what, bad in _unlabelled(raw, kind):
        _refuse_rows(values, name, what, bad, advice)
    if kind not in ("mixed", "mixed-integer"):
        return
    first = raw.ravel()
    # the Python pass only to name two rows (str with bytes is text)
    text = np.array([isinstance(v, str | bytes) for v in first])
    if text.any() and not text.all():
        i, j = int(np.argmax(text)), int(np.argmin(text))
        word, (row_i, row_j) = row_names(values, np.array([i, j]))
        raise ValueError(
            f"{name} mixes strings and other labels ({word} {row_i}: {first[i]!r}, {word} {row_j}: "
            f"{first[j]!r}); "
            "give every label the same type, e.g. all strings."
        )


def _refuse_rows(values: object, name: str, what: str, bad: np.ndarray, advice: str) -> None:
    """Raise a ValueError naming the rows of ``values`` where ``bad`` (of its labels' shape) holds."""
    rows = np.flatnonzero(bad.any(axis=1) if bad.ndim > 1 else bad)
    if rows.size:
        word, shown = row_names(values, rows[:10])
        more = " ..." if rows.size > 10 else ""
        raise ValueError(f"{name} has {rows.size} {what} at {word}s {shown}{more}; {advice}")


def _unlabelled(raw: np.ndarray, kind: str | None) -> Iterator[tuple[str, np.ndarray]]:
    """What is no class label among ``raw`` (none missing), as masks of its shape: blank text (a
    table's empty cell, read without turning it into NaN) and infinite numbers. ``kind`` is
    pandas' inferred type of object labels (None for others)."""
    blank = "blank labels (empty or spaces only: a missing value in a table)"
    if raw.dtype.kind in "UST":
        yield blank, np.char.str_len(np.char.strip(raw)) == 0
    elif raw.dtype.kind in "fc":
        yield "infinite labels", np.isinf(raw)
    if kind in ("string", "bytes", "mixed", "mixed-integer"):
        text = np.frompyfunc(lambda v: isinstance(v, str | bytes) and not v.strip(), 1, 1)
        yield blank, text(raw).astype(bool)
    if kind == "floating":
        yield "infinite labels", np.isinf(raw.astype(float))
    elif kind in ("mixed-integer-float", "mixed"):
        number = np.frompyfunc(lambda v: isinstance(v, float | np.floating) and math.isinf(v), 1, 1)
        yield "infinite labels", number(raw).astype(bool)


def numpy_labels(values: object) -> object:
    """pandas' nullable "Int64" and "boolean" labels (none missing, as checked) as their numpy type,
    so that classes and predictions are integers and booleans, not the floats ``column_or_1d``
    makes; a categorical as its categories' values (booleans, too, stay booleans); a one-column
    DataFrame as its column. Anything else as it is."""
    if isinstance(values, pd.DataFrame) and values.shape[1] == 1:
        values = values.iloc[:, 0]
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype):  # (none missing: no code is -1)
        categories = np.asarray(numpy_labels(pd.Series(dtype.categories)))
        return categories[pd.Categorical(values).codes]
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and getattr(numpy_dtype, "kind", "O") in "biuf":
        return values.to_numpy(dtype=numpy_dtype)
    return values


def plain_labels(y: np.ndarray, name: str = "y") -> np.ndarray:
    """Labels (1-D) that are Python numbers or booleans in an object array as numpy's numbers or
    booleans: sklearn reads such an array (a pandas column after ``dropna``, say) as an 'unknown'
    target. Other objects sklearn cannot read as classes (``pandas.cut``'s Intervals) are refused,
    named."""
    if y.dtype != object or not y.size:
        return y
    if pd.api.types.infer_dtype(y, skipna=False) in ("integer", "boolean", "floating", "mixed-integer-float"):
        typed = np.asarray(y.tolist())
        if typed.dtype != object:  # (not integers beyond numpy's)
            return typed
    with np.errstate(invalid="ignore"):
        if type_of_target(y) != "unknown":
            return y
    first: dict[str, int] = {}  # the first row of each type that is no string
    for i, v in enumerate(y):
        if not isinstance(v, str):
            first.setdefault(type(v).__name__, i)
    kinds = sorted(first)
    held = f"holds {kinds[0]} objects" if len(kinds) == 1 else f"mixes {', '.join(kinds)} labels"
    rows = ", ".join(f"row {first[kind]}: {y[first[kind]]!r}" for kind in kinds)
    interval = "Interval" in first
    raise ValueError(  # sklearn's words first, as its estimator checks match them
        f"Unknown label type: unknown ({name} {held}, {rows}, which scikit-learn does "
        "not read as classes); give the classes as integers of 64 bits or as strings"
        f"{' (pandas.cut(..., labels=False) numbers the bins)' if interval else ''}."
    )


def class_labels(values: object, name: str, advice: str) -> np.ndarray:
    """``values`` checked as labels given (:func:`check_labels_given`), as a 1-D array of labels
    that sklearn reads as classes (:func:`plain_labels`)."""
    values = from_arrow(values)  # (a pyarrow scalar of a list: numpy made its bytes the labels)
    check_labels_given(values, name, advice)
    return plain_labels(column_or_1d(numpy_labels(values), warn=False), name)


def class_members(y: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The classes of ``y`` (sorted) and the positions of each one's samples, in order: one sort,
    where ``np.flatnonzero(y == c)`` per class compares n × C labels (with 1,000 classes of
    strings, 20-40x slower)."""
    classes, codes = np.unique(y, return_inverse=True)
    if not len(classes):
        return classes, []
    order = np.argsort(codes, kind="stable")
    return classes, np.split(order, np.cumsum(np.bincount(codes, minlength=len(classes)))[:-1])


#: what only chemical notation holds: atoms in brackets, a reaction's arrow
_NOTATION = re.compile(r"\[|\]|>>")


def _molecule(text: str) -> bool:
    """Whether ``text`` is chemical notation, in which case is meaning: a template's [C:3] is an
    aliphatic carbon, [c:3] an aromatic one; C1CCCCC1 is cyclohexane, c1ccccc1 benzene."""
    if _NOTATION.search(text):
        return True
    if not text or any(character.isspace() for character in text):
        return False
    from rdkit import Chem  # (RDKit for case twins only: the metrics' labels need none)

    from .featurize._smiles import rdkit_reading

    with rdkit_reading():  # (a parse is all it takes: whether RDKit reads it, not how)
        return Chem.MolFromSmiles(text) is not None


def spellings(labels: Iterable) -> dict:
    """Each label's spelling: labels of one spelling differ only by surrounding spaces or by case,
    unless case tells molecules apart (two or more of them chemical notation: "C1CCCCC1" and
    "c1ccccc1" stay two, "NO" and "no" are one). Labels other than strings are their own."""
    folded: dict[str, list[str]] = {}
    keys: dict = {}
    for label in dict.fromkeys(labels):  # (in order, once each)
        if isinstance(label, str):
            folded.setdefault(label.strip().casefold(), []).append(label)
        else:
            keys[label] = label
    for key, members in folded.items():
        texts = {label.strip() for label in members}
        # (RDKit only for case twins: a few labels, not every one)
        molecules = {text for text in texts if _molecule(text)} if len(texts) > 1 else set()
        for label in members:  # (a molecule's key apart from the folded texts', which may equal it)
            apart = len(molecules) > 1 and label.strip() in molecules
            keys[label] = ("molecule", label.strip()) if apart else key
    return keys


def look_alike_groups(labels: Iterable) -> list[list[str]]:
    """The string labels of one spelling (:func:`spellings`), two or more, each group in the order
    of ``labels``."""
    strings = [label for label in dict.fromkeys(labels) if isinstance(label, str)]
    same: dict[object, list[str]] = {}
    for label, spelling in spellings(strings).items():
        same.setdefault(spelling, []).append(label)
    return [group for group in same.values() if len(group) > 1]


def _case_advice(twins: Iterable[str]) -> str:
    """How to write ``twins`` (labels of one spelling) one way: stripped, and lower-cased where
    they differ in case, but for reaction templates or other bracketed notation."""
    twins = list(twins)
    if len({label.strip() for label in twins}) == len({label.strip().casefold() for label in twins}):
        return "y.str.strip(), say"  # (they differ by spaces alone)
    if any(_NOTATION.search(label) for label in twins):
        return "y.str.strip(), say, and lower-case the words, not the chemical notation (case is meaning)"
    return "y.str.strip().str.lower(), say"


def warn_of_look_alike_classes(classes: np.ndarray) -> None:
    """Warn where class labels differ only by case or surrounding whitespace ('high' and 'high ', as
    a spreadsheet cell keeps a stray space; 'Active' and 'active', from two files): each is a class
    of its own, which the user rarely means. In chemical notation case is meaning: there only
    whitespace counts."""
    twins = look_alike_groups(classes.tolist())
    if twins:
        padded = [" and ".join(map(repr, group)) for group in twins]
        advice = _case_advice(chain.from_iterable(twins))
        warn(
            f"class labels that differ only by case or surrounding spaces are classes of their own: "
            f"{few_of(padded, joined_by='; ')}; write them one way ({advice}) if they are one class."
        )


def warn_of_labels_written_otherwise(
    given: np.ndarray, known: np.ndarray, given_name: str, known_name: str, *, known_are_classes: bool = True
) -> None:
    """Warn where labels of ``given`` are not among ``known`` but one of those differs from them only
    by case or surrounding spaces ('Low' for 'low': test labels from another file), so that every
    such sample counts as a miss. Where ``known`` are predictions rather than the classes, only a
    swap of spellings is said: a label never predicted whose twin is predicted but never given (a
    class the predictions lack, or both spellings given, may be real classes)."""
    given_labels, known_labels = set(np.unique(given).tolist()), set(np.unique(known).tolist())
    spelt = spellings(given_labels | known_labels)
    known_spellings: dict[object, object] = {}
    for label in sorted(known_labels, key=str):  # (one twin named, whatever the set's order)
        known_spellings.setdefault(spelt[label], label)
    given_spellings = Counter(spelt[label] for label in given_labels)
    pairs = []
    for label in sorted(given_labels, key=str):
        twin = known_spellings.get(spelt[label])
        if not isinstance(label, str) or label in known_labels or twin is None:
            continue
        if not known_are_classes and (twin in given_labels or given_spellings[spelt[label]] > 1):
            continue
        pairs.append((label, twin))
    if pairs:
        shown = [f"{label!r} ({twin!r})" for label, twin in pairs]
        advice = _case_advice(chain.from_iterable(pairs))
        warn(
            f"labels of {given_name} are not among {known_name} but differ from one there only by case "
            f"or surrounding spaces: {few_of(shown, joined_by=', ')}; they count as other classes, "
            f"every such sample a miss. Write the labels one way ({advice})."
        )


def refuse_continuous(y: np.ndarray, name: str = "", advice: str | None = None) -> None:
    """Refuse a regression target's values (1-D), naming one (sklearn's error names none);
    ``name`` and ``advice`` say whose values they are and what to give instead."""
    with np.errstate(invalid="ignore"):  # (its cast of 1e20 to int, a NumPy warning before the error)
        if type_of_target(y) != "continuous":
            return
    values = np.asarray(y, dtype=np.float64)
    fractional = np.flatnonzero(values != np.round(values))
    # (whole numbers beyond int64, 1e20, are 'continuous' to sklearn too: no value to name)
    named = ""
    if fractional.size:
        value = y[fractional[0]].item() if hasattr(y[fractional[0]], "item") else y[fractional[0]]
        named = f" (position {fractional[0]}: {value!r} is not a whole number)"
    if advice is None:
        advice = (
            "a regression target's values rather than classes; bin them into classes "
            "(pandas.cut(y, bins, labels=False), say), or give the classes as integers or strings."
        )
    # sklearn's words first (after the argument's name): its estimator checks match them
    raise ValueError(f"{name}{': ' * bool(name)}Unknown label type: continuous{named}, {advice}")


#: the kinds of target that hold classes (``type_of_target``), those sklearn's classifiers accept
_CLASS_TARGETS = (
    "binary",
    "multiclass",
    "multiclass-multioutput",
    "multilabel-indicator",
    "multilabel-sequences",
)


def check_class_labels(y: np.ndarray) -> None:
    """Refuse a regression target's values, as sklearn's ``check_classification_targets`` does and
    in its words, without its warning that many classes of a sample or two each look like one (a
    split or a subsample may see those). Not by silencing the warning: ``warnings.catch_warnings``
    saves and restores the process's filters, and threads scoring at once put back each other's
    (its "ignore" stayed for good)."""
    refuse_continuous(y)
    if (kind := type_of_target(y, input_name="y")) not in _CLASS_TARGETS:
        raise ValueError(
            f"Unknown label type: {kind}. Maybe you are trying to fit a classifier, which expects "
            "discrete classes on a regression target with continuous values."
        )
