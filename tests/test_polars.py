"""Polars inputs everywhere the package reads SMILES or labels. Polars is optional (the test extras
install it; an image without it, such as the GPU machine's, skips this module only)."""

import datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import DataConversionWarning

from sklearn_ltdd import LTDDClassifier, SubclusterSchedule
from sklearn_ltdd.datasets import load_solubility
from sklearn_ltdd.featurize import MorganFingerprint, SmilesGraphizer, check_smiles
from sklearn_ltdd.metrics import balanced_accuracy_score, balanced_f1_score, long_tail_groups

pl = pytest.importorskip("polars", reason="polars is not installed (pip install -e '.[test]' brings it)")

DATA = load_solubility()
SMALL = np.random.default_rng(0).choice(np.flatnonzero(DATA.split == "train"), 90, replace=False)
X_SMALL, Y_SMALL = DATA.data[SMALL], DATA.target[SMALL]
FAST = {
    "max_epochs": 3,
    "batch_size": 32,
    "hidden": 16,
    "random_state": 0,
    "schedule": SubclusterSchedule(warmup_epochs=1, update_every=1),
    "device": "cpu",  # fits are compared bit for bit, which CUDA's non-deterministic sums do not repeat
}


@pytest.mark.parametrize("X", [pl.Series(["CCO", "CCN"]), pl.DataFrame({"smiles": ["CCO", "CCN"]})])
def test_check_smiles_reads_a_series_and_a_one_column_frame(X):
    assert check_smiles(X).tolist() == ["CCO", "CCN"]


def test_a_lazy_frame_is_refused_by_name():
    with pytest.raises(TypeError, match=r"polars LazyFrame: call \.collect\(\) on it first"):
        check_smiles(pl.LazyFrame({"smiles": ["CCO"]}))


@pytest.mark.parametrize("transformer", [MorganFingerprint(n_bits=16), SmilesGraphizer()])
def test_a_transformer_fitted_on_a_named_column_reads_the_polars_column_of_that_name(transformer):
    transformer.fit(pd.DataFrame({"product": ["CCO", "CCN"]}))
    transformer.transform(pl.DataFrame({"product": ["CCO"]}))
    transformer.transform(pl.Series("product", ["CCO"]))
    transformer.transform(pl.Series(["CCO"]))  # (a Series without a name: "")
    # a named Series was made a list before its name was read: the other column was scored
    for other in (pl.DataFrame({"reactant": ["CCO"]}), pl.Series("reactant", ["CCO"])):
        with pytest.raises(ValueError, match=r"column is 'reactant', but this .* on the column 'product'"):
            transformer.transform(other)


@pytest.mark.parametrize(
    "labels", [pl.Series(["low", "high", None, "low"]), pl.Series([3, 7, None, 3])], ids=["str", "int"]
)
def test_missing_labels_are_named(labels):
    with pytest.raises(ValueError, match=r"y has 1 missing labels \(None, NaN or NA\) at rows \[2\]"):
        LTDDClassifier(**FAST).fit(X_SMALL[:4], labels)


def test_polars_labels_fit_as_a_list_of_them_does():
    """polars' to_numpy takes no dtype: every entry point that reads labels failed on it."""
    as_list = LTDDClassifier(**FAST).fit(X_SMALL, list(Y_SMALL))
    with pytest.warns(DataConversionWarning, match="A column-vector y was passed"):  # as sklearn's say
        column = LTDDClassifier(**FAST).fit(X_SMALL, pl.DataFrame({"y": Y_SMALL}))
    for clf in (LTDDClassifier(**FAST).fit(X_SMALL, pl.Series("y", Y_SMALL)), column):
        assert clf.classes_.tolist() == as_list.classes_.tolist()
        np.testing.assert_array_equal(clf.predict_proba(X_SMALL), as_list.predict_proba(X_SMALL))
        assert clf.score(X_SMALL, pl.Series(Y_SMALL)) == as_list.score(X_SMALL, Y_SMALL)
    integers = LTDDClassifier(**FAST).fit(X_SMALL, pl.Series(np.where(Y_SMALL == "high", 7, 3)))
    assert integers.classes_.tolist() == [3, 7]


def test_polars_labels_score_as_lists_do():
    y, p = ["a", "b", "a", "c", "a"], ["a", "b", "b", "c", "a"]
    assert balanced_f1_score(pl.Series(y), pl.Series(p)) == balanced_f1_score(y, p)
    assert balanced_accuracy_score(pl.DataFrame({"y": y}), pl.Series(p)) == balanced_accuracy_score(y, p)
    assert long_tail_groups(pl.Series(y)) == long_tail_groups(y)
    with pytest.raises(ValueError, match=r"y_true has 1 missing labels .* at rows \[1\]"):
        balanced_f1_score(pl.Series(["a", None, "b"]), p[:3])


def test_a_pyarrow_scalar_is_named_as_one_value():
    # (a bare AttributeError: a scalar has no to_pylist)
    pa = pytest.importorskip("pyarrow")
    with pytest.raises(TypeError, match=r"X must be a sequence of SMILES strings, not one str \('CCO'\)"):
        SmilesGraphizer().fit_transform(pa.scalar("CCO"))
    with pytest.raises(TypeError, match=r"y_true must be a sequence of labels, one per sample, not one str"):
        balanced_accuracy_score(pa.scalar("a"), ["a"])
    assert balanced_accuracy_score(pa.array(["a", "b"]), ["a", "b"]) == 1.0
    # a list scalar is its list (numpy made its bytes the labels); a date one value
    assert balanced_accuracy_score(pa.scalar(["a", "b"]), ["a", "b"]) == 1.0
    with pytest.raises(TypeError, match=r"y_true must be a sequence of labels, one per sample, not one date"):
        balanced_accuracy_score(pa.scalar(datetime.date(2020, 1, 1)), ["a"])
