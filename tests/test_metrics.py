import importlib
import ipaddress
import multiprocessing
import re
import subprocess
import sys
import threading
import warnings
from contextlib import nullcontext
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from sklearn.dummy import DummyClassifier
from sklearn.metrics import make_scorer
from sklearn.model_selection import cross_val_score

import sklearn_ltdd.metrics
from sklearn_ltdd.datasets import make_long_tailed
from sklearn_ltdd.metrics import (
    balanced_accuracy_score,
    balanced_f1_score,
    balanced_f1_scorer,
    balanced_precision,
    long_tail_groups,
    long_tail_report,
    per_class_balanced_scores,
)
from sklearn_ltdd.model_selection import imdrug_split

# Test vectors from the method spec (ImDrug definitions), BA and BF1.
GOLDEN = [
    ([0, 1, 1], [0, 0, 1], 0.75, 0.7333),
    ([0, 0, 1, 1], [0, 0, 0, 1], 0.75, 0.7333),
    ([0, 0, 0, 1, 2, 2, 2, 2, 2, 2], [0, 0, 1, 1, 0, 1, 1, 2, 2, 2], 0.7222, 0.7146),
]


@pytest.mark.parametrize(("y", "p", "ba", "bf1"), GOLDEN)
def test_golden_values(y, p, ba, bf1):
    assert balanced_accuracy_score(y, p) == pytest.approx(ba, abs=5e-5)
    assert balanced_f1_score(y, p) == pytest.approx(bf1, abs=5e-5)


@pytest.mark.parametrize(("y", "p", "ba", "bf1"), GOLDEN)
def test_string_labels_give_the_same_values(y, p, ba, bf1):
    names = np.array(["inactive", "active", "unclear"])
    assert balanced_f1_score(names[y], names[p]) == pytest.approx(bf1, abs=5e-5)


def loop_balanced_f1(y_true, y_pred):
    """Direct transcription of ImDrug's definition, one class at a time."""
    classes = sorted(set(y_true) | set(y_pred))
    recall = {}
    for c in classes:
        n_c = sum(1 for t in y_true if t == c)
        recall[c] = {
            k: (
                sum(1 for t, q in zip(y_true, y_pred, strict=True) if t == c and q == k) / n_c if n_c else 0.0
            )
            for k in classes
        }
    f1s = []
    for k in classes:
        if k not in y_true:
            continue
        r = recall[k][k]
        column = sum(recall[j][k] for j in classes)
        p = r / column if column else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    return sum(f1s) / len(f1s)


labels_pairs = st.integers(2, 5).flatmap(
    lambda k: st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), min_size=1, max_size=60)
)


@given(labels_pairs)
def test_agrees_with_loop_formula(pairs):
    y, p = map(list, zip(*pairs, strict=True))
    expected = loop_balanced_f1(y, p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # classes only in y_pred: tested elsewhere
        assert balanced_f1_score(y, p) == pytest.approx(expected, abs=1e-12)


@given(labels_pairs, st.integers(2, 5), st.data())
def test_invariant_to_duplicating_one_class(pairs, times, data):
    y, p = map(np.array, zip(*pairs, strict=True))
    c = data.draw(st.sampled_from(sorted(set(y.tolist()))))
    rows = np.flatnonzero(y == c)
    y2 = np.concatenate([y, np.repeat(y[rows], times - 1)])
    p2 = np.concatenate([p, np.repeat(p[rows], times - 1)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # classes only in y_pred: tested elsewhere
        assert balanced_f1_score(y2, p2) == pytest.approx(balanced_f1_score(y, p), abs=1e-12)
        assert balanced_precision(y2, p2) == pytest.approx(balanced_precision(y, p), abs=1e-12)


@given(labels_pairs)
def test_perfect_iff_predictions_are_perfect(pairs):
    y, p = map(np.array, zip(*pairs, strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # classes only in y_pred: tested elsewhere
        assert (balanced_f1_score(y, p) == 1.0) == bool(np.all(y == p))
    assert balanced_f1_score(y, y) == 1.0


@given(labels_pairs, st.data())
def test_reporting_some_classes_does_not_change_their_scores(pairs, data):
    y, p = map(np.array, zip(*pairs, strict=True))
    full = per_class_balanced_scores(y, p)
    # any classes, in any order, one that occurs nowhere included
    chosen = data.draw(st.lists(st.sampled_from([*full["labels"].tolist(), 9]), min_size=1, unique=True))
    some = per_class_balanced_scores(y, p, labels=chosen)
    at = [full["labels"].tolist().index(c) if c != 9 else None for c in chosen]
    for key in ("recall", "precision", "f1", "present"):
        expected = [full[key][i] if i is not None else 0 for i in at]
        np.testing.assert_allclose(some[key].astype(float), np.asarray(expected, float), atol=1e-12)


def test_labels_of_another_kind_or_repeated_are_refused():
    # numpy would make the numbers strings, and every class would be missed (recall 0, silently)
    with pytest.raises(ValueError, match=r"labels \['0', '1'\] are not of the kind of .*\[0, 1\]"):
        per_class_balanced_scores([0, 1, 1], [0, 0, 1], labels=["0", "1"])
    with pytest.raises(ValueError, match="labels is empty"):
        per_class_balanced_scores([0, 1, 1], [0, 0, 1], labels=[])
    with pytest.raises(ValueError, match=r"labels repeats \[1\]"):
        per_class_balanced_scores([0, 1, 1], [0, 0, 1], labels=[1, 1])
    with pytest.raises(ValueError, match=r"labels has 1 missing labels .* at rows \[1\]"):
        per_class_balanced_scores(["a", "b"], ["a", "b"], labels=["a", None])  # was "'<' not supported"
    with pytest.raises(TypeError, match=r"labels must be a sequence of labels.* not one int \(1\)"):
        per_class_balanced_scores([0, 1], [0, 1], labels=1)  # was "y should be a 1d array"
    # a class that occurs nowhere is allowed (e.g. a training class missing from the test set)
    scores = per_class_balanced_scores(["a", "b"], ["a", "b"], labels=["b", "x"])
    assert scores["present"].tolist() == [True, False]


def test_pyarrow_labels_score_as_lists_do():
    pa = pytest.importorskip("pyarrow")
    y, p = ["a", "b", "a", "c"], ["a", "b", "b", "c"]
    assert balanced_f1_score(pa.array(y), pa.chunked_array([p])) == balanced_f1_score(y, p)


def test_class_only_in_predictions_is_left_out_with_a_warning(tmp_path):
    # class 2 never occurs in y_true: averaged over classes 0 and 1, like sklearn's BA
    with pytest.warns(UserWarning, match=r"classes \[2\] are not in y_true") as caught:
        bf1 = balanced_f1_score([0, 0, 1, 1], [0, 2, 1, 1])
    assert caught[0].filename == __file__  # the caller's line, not the package's
    # class 0: recall 0.5, precision 0.5/0.5 = 1 -> F1 2/3; class 1: recall 1, precision 1 -> 1
    assert bf1 == pytest.approx((2 / 3 + 1) / 2)
    with pytest.warns(UserWarning, match="not in y_true"):
        assert balanced_accuracy_score([0, 0, 1, 1], [0, 2, 1, 1]) == pytest.approx(0.75)
    # through sklearn's model selection (its scorer, joblib's loop), still the caller's line
    y, cv = np.array([0, 0, 1, 1, 2, 2]), [(np.arange(6), np.arange(4))]  # class 2 only in train
    model = DummyClassifier(strategy="constant", constant=2)
    with pytest.warns(UserWarning, match="not in y_true") as caught:
        cross_val_score(model, np.zeros((6, 1)), y, cv=cv, scoring=make_scorer(balanced_f1_score))
    assert caught[0].filename == __file__
    # past a frozen module's lines (runpy's, under python -m): they were named instead
    with pytest.warns(UserWarning, match="not in y_true") as caught:
        frozen = compile("balanced_f1_score([0, 0, 1, 1], [0, 2, 1, 1])", "<frozen runpy>", "exec")
        exec(frozen, {"balanced_f1_score": balanced_f1_score})
    assert caught[0].filename == __file__

    # where no line of the caller's is on the stack (a thread started on the metric itself, or a
    # worker process), the package's line, not threading.py's or multiprocessing's
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        thread = threading.Thread(target=balanced_f1_score, args=([0, 0, 1, 1], [0, 2, 1, 1]))
        thread.start()
        thread.join()
    assert Path(caught[0].filename).parent == Path(sklearn_ltdd.metrics.__file__).parent
    # a forked worker's stack holds its parent's lines, which were named (the Pool's start)
    for method in set(multiprocessing.get_all_start_methods()) & {"fork", "spawn"}:  # (Windows: no fork)
        record = tmp_path / f"{method}.txt"
        context = multiprocessing.get_context(method)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # (Python warns of forking with threads)
            with context.Pool(1, initializer=_record_warnings_to, initargs=(str(record),)) as pool:
                pool.apply(balanced_f1_score, ([0, 0, 1, 1], [0, 2, 1, 1]))
        assert Path(record.read_text()).parent == Path(sklearn_ltdd.metrics.__file__).parent, method


def _record_warnings_to(path: str) -> None:
    """A worker's initialiser: each warning's file written to ``path``."""
    warnings.simplefilter("always")
    warnings.showwarning = lambda message, category, filename, *rest: Path(path).write_text(filename)


def test_a_class_never_predicted_has_balanced_precision_zero():
    """The long tail's usual failure, every sample called the majority class: the unpredicted
    class's precision is 0/0, which counts 0 (as 1 the predictor scored 0.75, not 0.25)."""
    np.testing.assert_allclose(balanced_precision([0, 0, 1, 1], [0, 0, 0, 0], average=None), [0.5, 0.0])
    assert balanced_precision([0, 0, 1, 1], [0, 0, 0, 0]) == pytest.approx(0.25)
    assert balanced_f1_score([0, 0, 1, 1], [0, 0, 0, 0]) == pytest.approx((2 / 3) / 2)


def test_per_class_outputs_and_bad_arguments():
    np.testing.assert_allclose(balanced_precision([0, 1, 1], [0, 0, 1], average=None), [2 / 3, 1.0])
    np.testing.assert_allclose(balanced_f1_score([0, 1, 1], [0, 0, 1], average=None), [0.8, 2 / 3])
    with pytest.raises(ValueError, match="average must be"):
        balanced_f1_score([0, 1], [0, 1], average="micro")
    # (sklearn's message named neither)
    with pytest.raises(ValueError, match=r"^y_true has 3 labels but y_pred has 2\.$"):
        balanced_f1_score([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="empty"):
        balanced_f1_score([], [])


LABEL = st.integers(0, 3)
WEIGHTED_ROWS = st.lists(st.tuples(LABEL, LABEL, st.integers(0, 3)), min_size=1, max_size=40)


@given(WEIGHTED_ROWS.filter(lambda rows: any(w for _, _, w in rows)))
def test_sample_weight_equals_repetition(rows):
    """An integer weight is that many copies of the sample; a weight of 0 is no sample at all, so a
    class whose samples all weigh 0 is absent from y_true (a perfect prediction still scores 1)."""
    y, p, w = map(np.array, zip(*rows, strict=True))
    rep_y, rep_p = np.repeat(y, w), np.repeat(p, w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # classes only in y_pred: tested elsewhere
        for metric in (balanced_accuracy_score, balanced_precision, balanced_f1_score):
            assert metric(y, p, sample_weight=w) == pytest.approx(metric(rep_y, rep_p))
            # only ratios count, at any scale (a class's sum of weights near 1e308 overflowed: 0.5)
            assert metric(y, p, sample_weight=w * (1e308 / w.max())) == pytest.approx(metric(rep_y, rep_p))
        assert balanced_f1_score(y, y, sample_weight=w) == 1.0


@given(WEIGHTED_ROWS.filter(lambda rows: any(w for _, _, w in rows)))
def test_balanced_accuracy_is_sklearns_and_a_zero_weight_class_is_not_called_a_prediction(rows):
    from sklearn.metrics import balanced_accuracy_score as sklearns

    y, p, w = map(np.array, zip(*rows, strict=True))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = balanced_accuracy_score(y, p, sample_weight=w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert ours == pytest.approx(sklearns(y, p, sample_weight=w))
    absent = sorted(set(np.unique(np.r_[y, p]).tolist()) - set(y[w > 0].tolist()))
    messages = [str(warning.message).split(";")[0] for warning in caught]
    assert messages == (
        [f"classes {absent} are not in y_true (or all their samples weigh 0)"] if absent else []
    )


@given(WEIGHTED_ROWS.filter(lambda rows: len({y for y, _, w in rows if w}) > 1))
def test_adjusted_balanced_accuracy_is_sklearns(rows):
    from sklearn.metrics import balanced_accuracy_score as sklearns

    y, p, w = map(np.array, zip(*rows, strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # classes only in y_pred: tested above
        ours = balanced_accuracy_score(y, p, sample_weight=w, adjusted=True)
        assert ours == pytest.approx(sklearns(y, p, sample_weight=w, adjusted=True))
        assert balanced_accuracy_score(y, y, sample_weight=w, adjusted=True) == pytest.approx(1.0)


def test_adjusted_balanced_accuracy_of_one_class_is_undefined_and_said():
    with pytest.warns(UserWarning, match="undefined with a single class in y_true"):
        assert np.isnan(balanced_accuracy_score([0, 0], [0, 0], adjusted=True))


def test_negative_or_missing_weights_are_refused():
    for metric in (balanced_accuracy_score, balanced_precision, balanced_f1_score):
        with pytest.raises(ValueError, match=r"non-negative; row 1 is -1\.5"):
            metric([0, 1, 1], [0, 1, 1], sample_weight=[1, -1.5, 1])
        with pytest.raises(ValueError, match=r"non-negative; row 2 is None\."):  # as given, not NaN
            metric([0, 1, 1], [0, 1, 1], sample_weight=[1, 1, None])
        with pytest.raises(ValueError, match=r"row 0 is nan \(2 such rows\)"):
            metric([0, 1, 1], [0, 1, 1], sample_weight=[np.nan, 1, np.nan])
        for nullable in ("Int64", "Float64"):  # pandas' NA, which numpy makes a NaN, as given
            with pytest.raises(ValueError, match=r"non-negative; row 0 is <NA>\."):
                metric([0, 1, 1], [0, 1, 1], sample_weight=pd.array([None, 1, 1], dtype=nullable))
        with pytest.raises(ValueError, match="2 weights for 3 samples"):
            metric([0, 1, 1], [0, 1, 1], sample_weight=[1, 1])
        with pytest.raises(ValueError, match="0 for every sample"):
            metric([0, 1, 1], [0, 1, 1], sample_weight=[0, 0, 0])
        # not NumPy's "could not convert string to float", nor a complex weight's real part alone
        with pytest.raises(ValueError, match=r"sample_weight must hold real numbers; row 1 is 'a'\."):
            metric([0, 1, 1], [0, 1, 1], sample_weight=[1, "a", 1])
        with pytest.raises(ValueError, match=r"real numbers; row 1 is 2j\."):
            metric([0, 1, 1], [0, 1, 1], sample_weight=[1, 2j, 1])
        # what databases give (Decimal) and NumPy bools in objects are real numbers
        decimals = pd.Series([Decimal("1.5"), Decimal("2"), np.bool_(True)], dtype=object)
        assert metric([0, 1, 1], [0, 1, 1], sample_weight=decimals) == 1.0
        # a Python integer past float's range: named (a bare OverflowError), its repr cut
        with pytest.raises(ValueError, match=r"non-negative; row 0 is 100000000\d*\.\.\. \(401 characters\)"):
            metric([0, 1, 1], [0, 1, 1], sample_weight=[10**400, 1, 1])
        # one weight for all as any real number, as sklearn takes it (a Fraction was "no number")
        for one in (Fraction(1, 3), Decimal("0.5"), np.float32(2)):
            assert metric([0, 1, 1], [0, 1, 1], sample_weight=one) == 1.0
        # one weight that is none, named as given (not as "row 0 ... (3 such rows)" of its float)
        for one, shown in (
            (Decimal("sNaN"), "Decimal\\('sNaN'\\)"),
            (-1.0, "-1.0"),
            (10**400, "10000.*characters"),
        ):
            with pytest.raises(ValueError, match=f"finite and non-negative, got {shown}"):
                metric([0, 1, 1], [0, 1, 1], sample_weight=one)
        with pytest.raises(ValueError, match=r"a number or hold one weight per sample .*got 1j"):
            metric([0, 1, 1], [0, 1, 1], sample_weight=1j)
        # a positive weight that float64 rounds to 0 weighed as 0 ("no positive weight" for its class)
        tiny = [[Decimal("1"), Decimal("1e-400"), Decimal("1")]]
        if np.finfo(np.longdouble).tiny < np.finfo(float).tiny:  # (where a long double is wider)
            tiny.append(np.array([1, 1, np.longdouble("1e-4000")], dtype=np.longdouble))
        for weights in tiny:
            with pytest.raises(ValueError, match=r"row \d is .*: positive, but below the smallest float"):
                metric([0, 1, 1], [0, 1, 1], sample_weight=weights)
        with pytest.raises(ValueError, match=r"sample_weight is Decimal\('1E-400'\): positive, but below"):
            metric([0, 1, 1], [0, 1, 1], sample_weight=Decimal("1e-400"))  # (it was "0 for every sample")
        with pytest.raises(ValueError, match=r"row 1 is Decimal\('-1E-400'\): sample_weight must be non-neg"):
            metric([0, 1, 1], [0, 1, 1], sample_weight=[1, Decimal("-1e-400"), 1])
        # durations in nanoseconds were their integers
        with pytest.raises(ValueError, match=r"real numbers, not timedelta64\[ns\] times or durations"):
            metric([0, 1, 1], [0, 1, 1], sample_weight=np.array([1, 2, 3], dtype="m8[ns]"))
        # a NumPy timedelta is a NumPy integer, no weight (float() of it was a bare TypeError)
        with pytest.raises(ValueError, match=r"real numbers, not timedelta64\[s\] times or durations"):
            metric([0, 1, 1], [0, 1, 1], sample_weight=np.timedelta64(1, "s"))


def test_labels_numpy_reads_through_its_array_protocol_alone_are_labels():
    # an array-like with __array__ only (sklearn's _NotAnArray in its checks) is no single value
    class ArrayOnly:
        def __init__(self, values):
            self.values = np.asarray(values)

        def __array__(self, dtype=None, copy=None):
            return self.values

    assert balanced_accuracy_score(ArrayOnly([0, 1, 1, 0]), [0, 1, 1, 0]) == 1.0
    # iterable without a length (numpy makes it one object), a bytearray (its labels were its bytes)
    for one, kind in (
        (ipaddress.ip_network("10.0.0.0/30"), "IPv4Network"),
        (bytearray(b"0110"), "bytearray"),
        (torch.tensor(1), "Tensor"),  # a 0-d tensor (sklearn's "y should be a 1d array", naming y)
    ):
        with pytest.raises(
            TypeError, match=f"y_true must be a sequence of labels, one per sample, not one {kind}"
        ):
            balanced_accuracy_score(one, [0, 1, 1, 0])


def test_scorer_in_cross_validation():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.array(["a"] * 45 + ["b"] * 15)
    scores = cross_val_score(
        DummyClassifier(strategy="most_frequent"), X, y, cv=3, scoring=balanced_f1_scorer
    )
    # always predicting "a": recall(a)=1, precision(a)=1/(1+1)=0.5 -> F1 2/3; class b scores 0
    np.testing.assert_allclose(scores, 1 / 3)


def test_long_tail_groups_rule():
    counts = {c: 1000 // (i + 1) for i, c in enumerate("abcdefghij")}
    groups = long_tail_groups(counts)
    assert groups == {"head": list("abc"), "middle": list("defg"), "tail": list("hij")}
    assert long_tail_groups({"x": 5, "y": 50}) == {"head": ["y"], "middle": ["x"], "tail": []}
    with pytest.raises(ValueError, match="positive integers"):
        long_tail_groups({"x": 0, "y": 3})
    with pytest.raises(ValueError, match=r"positive integers; got \{'x': True\}"):  # not a count of 1
        long_tail_groups({"x": True, "y": 3})


def test_long_tail_groups_round_the_head_up():
    # head ceil(0.3 C), tail floor(0.3 C): C = 4 and 7 are where rounding would differ
    assert long_tail_groups({"a": 400, "b": 300, "c": 200, "d": 100}) == {
        "head": ["a", "b"], "middle": ["c"], "tail": ["d"]
    }  # fmt: skip
    seven = dict(zip("abcdefg", range(700, 0, -100), strict=True))
    assert long_tail_groups(seven) == {"head": list("abc"), "middle": list("de"), "tail": list("fg")}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", [np.uint8, np.uint32, np.int64])
def test_long_tail_groups_of_unsigned_counts(dtype):
    """A uint count was ordered by its negation, which wrapped around: the order came out right
    (wrapping reverses it) with an overflow warning, which the test makes an error."""
    counts = {label: dtype(n) for label, n in zip("abcde", [1, 200, 5, 5, 9], strict=True)}
    assert long_tail_groups(counts) == {"head": ["b", "e"], "middle": ["c", "d"], "tail": ["a"]}


def test_long_tail_report_with_a_training_class_absent_from_the_test_set():
    # c, the tail, is not in y_true: its row is NaN and "all" still equals the metrics
    y_true, y_pred = ["a", "a", "b", "b"], ["a", "b", "b", "b"]
    report = long_tail_report(y_true, y_pred, ["a"] * 50 + ["b"] * 20 + ["c"] * 3)
    assert np.isnan(report.loc["tail", "BA"]) and np.isnan(report.loc["tail", "BF1"])
    assert report.loc["all", "BA"] == pytest.approx(0.75) == balanced_accuracy_score(y_true, y_pred)
    assert report.loc["all", "BF1"] == pytest.approx(balanced_f1_score(y_true, y_pred))
    # predicted but not tested: left out with the metrics' warning (the report said nothing)
    with pytest.warns(UserWarning, match=r"classes \['c'\] are not in y_true"):
        report = long_tail_report(y_true, ["a", "c", "b", "b"], ["a"] * 50 + ["b"] * 20 + ["c"] * 3)
    with pytest.warns(UserWarning, match=r"classes \['c'\] are not in y_true"):
        assert report.loc["all", "BA"] == balanced_accuracy_score(y_true, ["a", "c", "b", "b"]) == 0.75


def test_labels_written_otherwise_than_the_predictions_are_said_to_count_as_misses():
    """Test labels from another file ('Low' for 'low', 'high ' for 'high') scored 0.0 without a word."""
    y_true, y_pred = ["Low", "high ", "medium", "medium"], ["low", "high", "medium", "low"]
    for metric in (balanced_accuracy_score, balanced_f1_score):
        said = r"labels of y_true are not among y_pred's but differ from one there only by case or "
        said += r"surrounding spaces: 'Low' \('low'\), 'high ' \('high'\); they count"
        with pytest.warns(UserWarning) as record:  # (with "not in y_true" of the predicted 'low', 'high')
            metric(y_true, y_pred)
        assert [w for w in record if re.match(said, str(w.message))]
    with warnings.catch_warnings():  # labels merely missing from the predictions are no such case
        warnings.simplefilter("error")
        balanced_accuracy_score(["a", "b", "b"], ["a", "a", "a"])
        balanced_accuracy_score([1, 2, 2], [1, 1, 1])
        balanced_accuracy_score(["R", "r", "S"], ["r", "r", "S"])  # both spellings given: classes
    with pytest.warns(UserWarning) as record:  # two spellings given, neither predicted: classes too
        balanced_accuracy_score(["Low", "LOW", "S"], ["low", "low", "S"])
    assert [str(w.message) for w in record if "only by case" in str(w.message)] == []
    assert [w for w in record if "classes ['low'] are not in y_true" in str(w.message)]
    # against the classes where they are known (long_tail_report's training classes), once a call
    with pytest.warns(UserWarning) as record:
        long_tail_report(
            ["Low", "high", "mid"], ["low", "high", "mid"], ["low"] * 10 + ["high"] * 5 + ["mid"] * 2
        )
    alike = [str(w.message) for w in record if "only by case" in str(w.message)]
    assert (
        len(alike) == 1
        and "not among the training classes but differ" in alike[0]
        and "'Low' ('low')" in alike[0]
    )


def test_long_tail_report_says_when_the_training_labels_look_like_the_classes():
    """long_tail_report(y_test, y_pred, clf.classes_) made every class count 1: a table of groups
    in the labels' order, without a word."""
    y_true = ["a", "a", "b", "b", "c", "c"]
    said = r"every one of the {} training classes counts 1 in train_counts, fewer than the 6 test samples"
    with pytest.warns(UserWarning, match=said.format(3)):
        long_tail_report(y_true, y_true, np.array(["a", "b", "c"]))
    with pytest.warns(UserWarning, match=said.format(2)):  # binary: the minority class made the head
        long_tail_report(["a", "b"] * 3, ["a", "b"] * 3, np.array(["a", "b"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a toy training set of one sample per class, as large as the test set; counts as counts
        long_tail_report(["a", "b", "c"], ["a", "b", "b"], ["a", "b", "c"])
        long_tail_report(y_true, y_true, {"a": 1, "b": 1, "c": 1})
        long_tail_report(y_true, y_true, pd.Series(["a", "b", "c"]).value_counts())
        assert long_tail_groups({3: 1, 500: 1}) == {"head": [3], "middle": [500], "tail": []}
    # the groups alone, with no test set: an array of counts made the largest class the tail
    with pytest.warns(
        UserWarning, match=r"counts 1 in train_counts: is .* \(np.bincount\(y_train\)\)"
    ) as said:
        groups = long_tail_groups(np.array([500, 50, 5, 3]))
    assert said[0].filename == __file__
    assert groups == {"head": [3, 5], "middle": [50], "tail": [500]}  # (labels, as documented)
    assert long_tail_groups(dict(enumerate([500, 50, 5, 3]))) == {"head": [0, 1], "middle": [2], "tail": [3]}


def test_long_tail_report_rows_match_the_metrics():
    y_train = ["a"] * 50 + ["b"] * 20 + ["c"] * 3
    y_true = ["a", "a", "b", "b", "c", "c"]
    y_pred = ["a", "b", "b", "b", "a", "c"]
    report = long_tail_report(y_true, y_pred, y_train)
    assert list(report.index) == ["head", "middle", "tail", "all"]
    assert report.loc["all", "BA"] == pytest.approx(balanced_accuracy_score(y_true, y_pred))
    assert report.loc["all", "BF1"] == pytest.approx(balanced_f1_score(y_true, y_pred))
    per_class = balanced_f1_score(y_true, y_pred, average=None)  # order a, b, c
    assert report.loc["tail", "BF1"] == pytest.approx(per_class[2])
    assert report.loc["head", "BA"] == pytest.approx(0.5)
    assert report.loc["tail", ["train_min", "train_max"]].tolist() == [3, 3]
    assert "head" in str(report)
    # two classes have no tail: its counts are missing, the others' stay integers (were 5.0 and 1.0)
    two = long_tail_report(["a", "b"], ["a", "a"], ["a"] * 5 + ["b"])
    assert two.loc["middle", ["train_min", "train_max"]].tolist() == [1, 1]
    assert two["train_min"].isna().tolist() == [False, False, True, False]
    assert str(two.loc["all", "train_max"]) == "5"


def test_a_test_class_the_training_set_lacks_is_a_tail_class_of_zero():
    """A class of a few members that a split left out of training (routine with hundreds of
    classes) was refused, though the balanced metrics score it; and ``n_classes`` counted classes
    without test samples, over which BA does not average."""
    y_true, y_pred = ["a", "a", "b", "z", "z"], ["a", "b", "b", "a", "b"]
    with pytest.warns(UserWarning, match=r"labels \['z'\] of y_true are not among the training classes"):
        report = long_tail_report(y_true, y_pred, {"a": 30, "b": 10, "c": 5, "d": 2})
    assert report.loc["all", "BA"] == pytest.approx(balanced_accuracy_score(y_true, y_pred))
    assert report.loc["tail", ["n_classes", "n_tested", "train_min", "train_max"]].tolist() == [2, 1, 0, 2]
    assert report.loc["tail", "BA"] == 0
    assert report.loc["middle", ["n_classes", "n_tested"]].tolist() == [1, 0]  # c: not tested
    assert np.isnan(report.loc["middle", "BA"])
    assert report["n_tested"].tolist() == [2, 0, 1, 3]
    # the training classes keep their groups however many classes the test set adds
    groups = long_tail_groups({"a": 30, "b": 10, "c": 5})
    with pytest.warns(UserWarning, match=r"\['x', 'y', 'z'\] of y_true"):
        many = long_tail_report(list("abcxyz"), list("abcaaa"), {"a": 30, "b": 10, "c": 5})
    assert many[["n_classes", "train_min", "train_max"]].to_numpy().tolist() == [
        [1, 30, 30],
        [1, 10, 10],
        [4, 0, 5],
        [6, 0, 30],
    ]
    assert groups == {"head": ["a"], "middle": ["b"], "tail": ["c"]}
    # a predicted label the training set lacks: another model's counts (refused, as it was)
    with pytest.raises(ValueError, match=r"y_pred holds labels \['q'\] that are not among the training"):
        long_tail_report(["a", "b"], ["a", "q"], {"a": 30, "b": 10})
    with pytest.raises(ValueError, match=r"no label of y_true is among the training classes \['a', 'b'\]"):
        long_tail_report(["y", "z"], ["a", "a"], {"a": 3, "b": 1})  # counts of another model, say


def test_metrics_import_does_not_import_torch():
    code = "import sys, sklearn_ltdd.metrics; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.integers(1, 4), min_size=1), st.randoms())
def test_long_tail_groups_do_not_depend_on_the_order_of_the_counts(counts, random):
    keys = list(counts)
    random.shuffle(keys)
    shuffled = {k: counts[k] for k in keys}
    labels = [k for k in keys for _ in range(counts[k])]
    expected = long_tail_groups(dict(sorted(counts.items())))
    # labels of one sample each look like the classes or their counts given as labels: said
    once = len(counts) > 1 and set(counts.values()) == {1}

    def said():
        return pytest.warns(UserWarning, match="counts 1 in train_counts") if once else nullcontext()

    with said():
        assert long_tail_groups(shuffled) == expected == long_tail_groups(labels)
    # pandas: value_counts() is {label: count}, a Series of labels is labels
    assert long_tail_groups(pd.Series(labels).value_counts()) == expected
    with said():
        assert long_tail_groups(pd.Series(labels, index=np.arange(len(labels)) + 7)) == expected
    # and so is a one-column DataFrame's (its labels were tuples), polars' (refused as a 2-D array of
    # labels) and pyarrow's (dicts that could not be sorted)
    assert long_tail_groups(pd.DataFrame({"y": labels})[["y"]].value_counts()) == expected
    if (pl := _importable("polars")) is not None:
        assert long_tail_groups(pl.Series("y", labels).value_counts(sort=True)) == expected
        assert long_tail_groups(pl.Series("y", labels).value_counts()) == expected  # (rows in any order)
    if (pa := _importable("pyarrow")) is not None:
        import pyarrow.compute as pc

        assert long_tail_groups(pc.value_counts(pa.array(labels))) == expected
    assert long_tail_groups({"b": 5, "a": 5, "c": 5})["head"] == ["a"]


def test_a_table_of_counts_by_label_is_read_as_counts():
    """Class ids 0, 1, 2 counted 6, 3, 1 were read as the labels 6, 3 and 1 (pandas made the table's
    labels a RangeIndex, taken for a column of labels named "count")."""
    y = [0] * 6 + [1] * 3 + [2]
    expected = {"head": [0], "middle": [1], "tail": [2]}
    assert long_tail_groups(pd.Series(y).value_counts().reset_index()) == expected
    # a categorical's lists its unused categories with 0, as its value_counts() does: no classes
    unused = pd.Series(["a"] * 5 + ["b"] * 3, dtype=pd.CategoricalDtype(["a", "b", "c"]))
    assert long_tail_groups(unused.value_counts().reset_index()) == long_tail_groups(unused)
    with pytest.raises(ValueError, match=r"a table of counts by label in which labels repeat \(\['a'\]\)"):
        long_tail_groups(pd.DataFrame({"label": ["a", "a", "b"], "count": [1, 1, 2]}))
    with pytest.raises(TypeError, match=r"holds proportions \(value_counts\(normalize=True\)\)"):
        long_tail_groups(pd.Series(y).value_counts(normalize=True).reset_index())
    if (pl := _importable("polars")) is not None:
        assert long_tail_groups(pl.Series("y", y).value_counts(sort=True)) == expected
    # counts given as a table are counts: no "is it the classes?" warning where each counts 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        long_tail_report(
            ["a", "b", "c", "a"],
            ["a", "b", "c", "a"],
            pd.Series(["a", "b", "c"]).value_counts().reset_index(),
        )


def _importable(name: str) -> object:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@pytest.mark.parametrize("metric", [balanced_accuracy_score, balanced_f1_score])
def test_missing_labels_are_named_by_row(metric):
    with pytest.raises(ValueError, match=r"y_true has 1 missing labels .* rows \[0\]"):
        metric([None, "a", "b"], ["a", "a", "b"])
    with pytest.raises(ValueError, match=r"y_pred has 2 missing labels .* rows \[1, 2\]"):
        metric(["b", "a", "b"], ["a", np.nan, None])


@pytest.mark.parametrize("metric", [balanced_accuracy_score, balanced_f1_score, balanced_precision])
def test_probabilities_or_fractions_are_no_labels(metric):
    """sklearn's own words were "Unknown label type: (array(...), array(...))" or "Mix type of y
    not allowed", naming neither the argument nor the value."""
    with pytest.raises(
        ValueError, match=r"y_pred: .*\(position 1: 0\.7 is not a whole number\).*probabilities"
    ):
        metric([0, 1, 1], [0.0, 0.7, 0.9])
    with pytest.raises(ValueError, match=r"y_true: .*\(position 0: 0\.5 is not a whole number\)"):
        metric([0.5, 1.5, 1.5], [0.5, 0.5, 1.5])
    assert metric([0, 1, 1], [0.0, 1.0, 1.0]) == metric([0, 1, 1], [0, 1, 1])  # whole numbers are labels


@pytest.mark.parametrize("metric", [balanced_accuracy_score, balanced_f1_score, balanced_precision])
def test_labels_mixing_strings_and_numbers_are_named_not_converted(metric):
    """A list [0, "a"] became ["0", "a"] through numpy (0 silently the label '0'); an object array
    failed to sort with a bare TypeError."""
    for y_true in ([0, "a", "a"], np.array([0, "a", "a"], dtype=object), pd.Series([0, "a", "a"])):
        with pytest.raises(
            ValueError, match=r"y_true mixes strings and other labels \(row 1: 'a', row 0: 0\)"
        ):
            metric(y_true, ["0", "0", "a"])
    with pytest.raises(ValueError, match=r"y_pred mixes strings and other labels"):
        metric(["0", "a"], ["a", 0])
    with pytest.raises(ValueError, match=r"y_true mixes strings"):
        long_tail_report([0, "a"], [0, 0], {0: 5, 1: 2})
    with pytest.raises(
        ValueError, match=r"train_counts mixes strings and other labels \(row 1: 'a', row 0: 0\)"
    ):
        long_tail_report([0, 1], [0, 0], {0: 5, "a": 2})
    with pytest.raises(ValueError, match=r"train_counts mixes strings"):
        long_tail_groups([0, "a", "a"])


def test_long_tail_groups_name_missing_training_labels():
    for labels in (["a", "b", None], ["a", "b", np.nan]):  # np.asarray would make NaN the label 'nan'
        with pytest.raises(ValueError, match=r"train_counts has 1 missing labels .* rows \[2\]"):
            long_tail_groups(labels)
    with pytest.raises(ValueError, match=r"train_counts has 1 missing labels"):
        long_tail_groups(pd.Series(["a", "b", np.nan, "a"]).value_counts(dropna=False))
    with pytest.raises(ValueError, match=r"y_true has 1 missing labels .* rows \[1\]"):
        long_tail_report(["a", None], ["a", "b"], ["a", "b"])
    with pytest.raises(ValueError, match=r"y_true has 1 missing labels .* rows \[2\]"):
        balanced_accuracy_score(["a", "b", np.nan], ["a", "b", "a"])


def test_long_tail_groups_tell_counts_from_labels_in_pandas():
    labels = pd.Series([1, 1, 1, 1, 2, 2, 3], name="count")  # labels, whatever the column's name
    assert long_tail_groups(labels) == {"head": [1], "middle": [2], "tail": [3]}
    assert long_tail_groups(labels.value_counts()) == long_tail_groups(labels)
    with pytest.raises(TypeError, match="proportions"):
        long_tail_groups(labels.value_counts(normalize=True))
    # a categorical's value_counts() lists unused categories with 0 (e.g. after taking a subset)
    categorical = pd.Series(pd.Categorical(["a"] * 5 + ["b"] * 2 + ["z"]))[:7]
    assert long_tail_groups(categorical.value_counts()) == long_tail_groups(categorical)
    assert long_tail_report(["a", "b"], ["a", "b"], categorical.value_counts()).loc["all", "BA"] == 1.0
    with pytest.raises(ValueError, match="positive integers"):  # a mapping says what it means
        long_tail_groups({"a": 5, "z": 0})
    # a label column named "count", split (its index the row numbers), and unsorted counts by label
    # look alike: refused, with the two ways to say which, never read as {row number: label}
    frame = pd.DataFrame({"count": [1] * 40 + [2] * 15 + [3] * 5}).sample(frac=0.75, random_state=0)
    unsorted = pd.Series([1, 2, 2, 3, 3, 3], name="count").value_counts(sort=False)
    for ambiguous in (frame["count"], unsorted, unsorted.sort_values(ascending=False).astype(float)):
        with pytest.raises(ValueError, match=r"may be counts by label .* or the labels of a column"):
            long_tail_groups(ambiguous)
    assert long_tail_groups(frame["count"].to_numpy()) == {"head": [1], "middle": [2], "tail": [3]}
    assert long_tail_groups(dict(unsorted)) == {"head": [3], "middle": [2], "tail": [1]}


def test_long_tail_groups_refuse_counts_by_label_in_a_series_not_named_count():
    """groupby(...).size() was read as training labels: the counts became the classes."""
    frame = pd.DataFrame({"y": ["a"] * 50 + ["b"] * 10 + ["c"] * 2, "k": [3] * 50 + [1] * 10 + [2] * 2})
    by_size = frame.groupby("y").size()
    counts_by_label = (by_size, frame.groupby("k").size(), frame["y"].value_counts().rename("n"),
                       pd.Series({1: 500, 2: 50, 3: 5}))  # fmt: skip
    for counts in counts_by_label:
        with pytest.raises(ValueError, match=r"pass dict\(train_counts\) for counts by label"):
            long_tail_groups(counts)
    assert long_tail_groups(dict(by_size)) == {"head": ["a"], "middle": ["b"], "tail": ["c"]}
    # integer labels stay labels: a column, split or not, indexed by compound or by a named index
    named = frame.set_index(pd.Index(np.arange(len(frame)) + 100, name="row"))
    by_compound = frame.set_index(pd.Index([f"mol{i}" for i in range(len(frame))], name="id"))["k"]
    unnamed = pd.Series(frame["k"].to_numpy())
    for labels in (frame["k"], by_compound, named["k"].sample(frac=0.5, random_state=0),
                   unnamed.sample(frac=0.5, random_state=0), pd.Series([2])):  # fmt: skip
        assert long_tail_groups(labels) == long_tail_groups(labels.to_numpy())
    assert long_tail_groups(frame["k"]) == {"head": [3], "middle": [1], "tail": [2]}


LABEL_TAKERS = {
    "balanced_f1_score": lambda y: balanced_f1_score(y, ["a", "b", "a"]),
    "long_tail_groups": long_tail_groups,
    "long_tail_report": lambda y: long_tail_report(["a", "b"], ["a", "b"], y),
    "imdrug_split": lambda y: imdrug_split(y, "random"),
    "make_long_tailed": lambda y: make_long_tailed(y, 2),
}


@pytest.mark.parametrize("take", LABEL_TAKERS.values(), ids=LABEL_TAKERS.keys())
@pytest.mark.parametrize(
    ("labels", "error", "message"),
    [
        ((v for v in "aba"), TypeError, r"not an iterator \(generator\)"),
        ("aba", TypeError, r"not one str \('aba'\); wrap a single label in a list"),
        ("a\nb\n" * 50, TypeError, r"characters\)\): it holds 100 lines, as a file's text does"),
        (
            np.array("a\nb\n" * 50),
            TypeError,
            r"not one ndarray .*: it holds 100 lines, as a file's text does",
        ),
        ({"a", "b"}, TypeError, "in sample order, not a set"),
        (None, TypeError, "not one NoneType"),
        (
            np.array([["a", "b"], ["a", "c"], ["b", "c"]]),
            ValueError,
            r"1-D\), not an array of shape \(3, 2\)",
        ),
    ],
)
def test_labels_that_are_no_sequence_of_one_label_per_sample_are_refused(take, labels, error, message):
    """A generator became one label, a string its characters, a 2-D array its flattened cells."""
    with pytest.raises(error, match=message):
        take(labels)


@pytest.mark.parametrize("take", [LABEL_TAKERS["imdrug_split"], LABEL_TAKERS["make_long_tailed"]])
def test_a_regression_target_is_not_taken_for_classes(take):
    with pytest.raises(
        ValueError, match=r"Unknown label type: continuous \(position 1: 0\.0169\d* is not a whole"
    ):
        take(np.linspace(0, 1, 60))  # was "60 samples are too few" or "leaves no sample"


def test_hundreds_of_classes_are_named_by_a_few_and_a_count():
    """A warning or error about 500 classes listed all 500 (11,000 characters with USPTO templates)."""
    y_true, y_pred = np.arange(1000) % 500, np.arange(1000)  # 500 classes only predicted
    for metric in (balanced_accuracy_score, balanced_f1_score, balanced_precision):
        with pytest.warns(
            UserWarning, match=r"classes \[500, 501, 502, 503, 504\] and 495 more are not in y_true"
        ):
            metric(y_true, y_pred)
    with pytest.raises(ValueError) as error:
        long_tail_report(y_true, y_pred, np.arange(400))
    expected = "y_pred holds labels [400, 401, 402, 403, 404] and 595 more that are not among the training "
    assert str(error.value).startswith(f"{expected}classes [0, 1, 2, 3, 4] and 395 more;")
    with pytest.warns(UserWarning, match=r"labels \[400, 401, 402, 403, 404\] and 95 more of y_true are"):
        long_tail_report(y_true, y_true % 400, np.repeat(np.arange(400), 3))


def test_thousands_of_classes_take_memory_in_the_samples_not_the_square_of_the_classes():
    """A dense confusion matrix of 5,000 classes takes 200 MB (1.7 GB at 10,000 classes)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    y_true = np.repeat(np.arange(5000), 2)
    y_pred = np.where(rng.random(y_true.size) < 0.7, y_true, rng.integers(0, 5000, y_true.size))
    tracemalloc.start()
    try:
        scores = per_class_balanced_scores(y_true, y_pred)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6
    hits = y_true == y_pred
    assert scores["recall"].tolist() == (np.bincount(y_true, weights=hits) / 2).tolist()
