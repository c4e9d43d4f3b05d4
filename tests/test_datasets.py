import importlib.util
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sklearn_ltdd.datasets import (
    SOLUBILITY_CLASSES,
    load_reaction_templates,
    load_solubility,
    long_tailed_class_sizes,
    make_long_tailed,
)
from sklearn_ltdd.featurize import mols_from_smiles


def test_solubility_is_complete_and_parses():
    data = load_solubility(as_frame=True)
    assert data.data.shape == data.target.shape == (1282,)
    labels, counts = np.unique(data.target, return_counts=True)
    assert dict(zip(labels, counts, strict=True)) == {"low": 519, "medium": 517, "high": 246}
    assert (data.split == "train").sum() == 1025
    assert len(mols_from_smiles(data.data)) == 1282
    # the order of classes_ and of predict_proba's columns (it was low, medium, high: columns named
    # so were misnamed)
    assert list(data.target_names) == ["high", "low", "medium"] == list(np.unique(data.target))
    assert data.frame.shape[0] == 1282
    # SOLUBILITY_CLASSES lists the classes from low to high solubility (logS)
    assert sorted(SOLUBILITY_CLASSES) == list(data.target_names)
    medians = [np.median(data.logS[data.target == name]) for name in SOLUBILITY_CLASSES]
    assert medians == sorted(medians)
    # repeated SMILES are listed, as the benchmark loaders list them: each a repeat of an earlier row
    repeats = data.duplicates
    assert len(repeats) == 8 and all(data.data[i] in set(data.data[:i]) for i in repeats)
    assert len(load_solubility(subset="train").duplicates) < 8


@pytest.mark.parametrize("loader", [load_solubility, load_reaction_templates])
def test_as_frame_gives_series_in_the_bunch_as_from_return_x_y(loader):
    """As scikit-learn's loaders: with as_frame, the Bunch's data and target are pandas too."""
    framed, plain, (X, y) = loader(as_frame=True), loader(), loader(return_X_y=True, as_frame=True)
    for name, series in (("data", X), ("target", y)):
        assert isinstance(framed[name], pd.Series) and isinstance(plain[name], np.ndarray)
        pd.testing.assert_series_equal(framed[name], series)
        assert (framed[name].to_numpy() == plain[name]).all()
        assert framed[name].index.equals(framed.frame.index)


def test_solubility_subsets_and_return_x_y():
    X_train, y_train = load_solubility(subset="train", return_X_y=True)
    X_test, _ = load_solubility(subset="test", return_X_y=True)
    assert len(X_train) + len(X_test) == 1282
    assert len(X_train) == len(y_train)
    # a subset's frame is numbered from 0, as a loaded table is (rows named in errors are its own)
    X_frame, y_frame = load_solubility(subset="test", return_X_y=True, as_frame=True)
    assert X_frame.index.equals(pd.RangeIndex(len(X_test))) and y_frame.index.equals(X_frame.index)
    with pytest.raises(ValueError, match="subset must be"):
        load_solubility(subset="validation")


def test_reaction_templates_are_a_long_tail_of_60_templates_that_parse():
    data = load_reaction_templates(as_frame=True)
    assert data.data.shape == data.target.shape == data.reaction_class.shape == (5598,)
    sizes = pd.Series(data.target).value_counts()
    assert len(sizes) == 60 and sizes.min() == 20 and sizes.max() == 1253
    # names follow size: T01 is the largest template, and the names are what target_names lists
    assert sizes.idxmax() == "T01" and list(data.target_names) == [f"T{i:02d}" for i in range(1, 61)]
    by_name = sizes.sort_index().to_numpy()
    assert (by_name[:-1] >= by_name[1:]).all()
    # a template is one kind of reaction: its reactions share USPTO-50k's reaction class (one of
    # the 60 spans two)
    assert (pd.Series(data.reaction_class).groupby(data.target).nunique() > 1).sum() == 1
    assert set(np.unique(data.reaction_class)) <= set(range(1, 11))
    assert len(mols_from_smiles(data.data)) == 5598
    assert data.duplicates.tolist() == np.flatnonzero(pd.Series(data.data).duplicated()).tolist()
    assert len(data.duplicates) == 54
    X, y = load_reaction_templates(return_X_y=True)
    assert (X == data.data).all() and (y == data.target).all()
    X_frame, y_frame = load_reaction_templates(return_X_y=True, as_frame=True)
    assert (
        isinstance(X_frame, pd.Series) and isinstance(y_frame, pd.Series) and (y_frame.to_numpy() == y).all()
    )
    assert "60 templates of 20 to 1253 products" in data.DESCR


def test_reaction_templates_rebuild_from_uspto50k(shared_data):
    """The embedded file is what scripts/make_reaction_templates_csv.py makes from the real data."""
    script = Path(__file__).resolve().parents[1] / "scripts" / "make_reaction_templates_csv.py"
    spec = importlib.util.spec_from_file_location("make_reaction_templates_csv", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.build(shared_data / "uspto50k" / "USPTO_50k_MHN_prepro.csv.gz")
    pd.testing.assert_frame_equal(
        rebuilt.reset_index(drop=True), load_reaction_templates(as_frame=True).frame, check_dtype=False
    )


def _would_empty_a_class(counts, ratio):
    """The profile's tail size by its definition: floor(n_head · ratio^-1) with the largest n_head
    that fits every class."""
    if len(counts) == 1:
        return False
    fractions = ratio ** (-np.arange(len(counts)) / (len(counts) - 1))
    return np.floor(np.min(np.asarray(counts) / fractions) * fractions[-1] + 1e-9) == 0


@given(
    st.lists(st.integers(1, 300), min_size=1, max_size=8),
    st.floats(1.0, 100.0),
)
def test_long_tailed_sizes_are_exponential_and_fit(counts, ratio):
    if _would_empty_a_class(counts, ratio):
        with pytest.raises(ValueError, match=r"leaves no sample for .* tail class"):
            long_tailed_class_sizes(counts, ratio)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sizes = long_tailed_class_sizes(counts, ratio)
    assert np.all(sizes <= np.asarray(counts)) and np.all(sizes >= 1)
    assert np.all(np.diff(sizes) <= 0)  # head to tail, non-increasing
    if len(counts) > 1:
        # realised ratio matches the request up to flooring
        assert sizes[0] / sizes[-1] == pytest.approx(ratio, rel=1 / sizes[-1] + 1e-9)
    # a ratio more than 10 % short of the one asked for is said, and only that
    short = len(counts) > 1 and sizes[0] < 0.9 * ratio * sizes[-1]  # (one class: no ratio)
    assert len(caught) == short
    if short:
        assert f"gives a ratio of {sizes[0] / sizes[-1]:.3g} ({sizes[0]} sample(s)" in str(caught[0].message)


@given(
    st.lists(st.sampled_from("abcd"), min_size=1, max_size=200),
    st.floats(1.0, 50.0),
    st.integers(0, 10),
)
def test_make_long_tailed_keeps_every_class_or_says_which_it_would_drop(y, ratio, seed):
    y = np.array(y)
    labels, counts = np.unique(y, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    if _would_empty_a_class(counts[order], ratio):
        with pytest.raises(ValueError, match=f"leaves no sample .*'{labels[order[-1]]}'"):
            make_long_tailed(y, ratio, random_state=seed)
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "imbalance_ratio=.* gives a ratio", UserWarning)  # (tested above)
        keep = make_long_tailed(y, ratio, random_state=seed)
        expected = long_tailed_class_sizes(counts[order], ratio)
    assert np.all(np.diff(keep) > 0)  # sorted, no repeats
    assert keep.min() >= 0 and keep.max() < len(y)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "imbalance_ratio=.* gives a ratio", UserWarning)
        np.testing.assert_array_equal(keep, make_long_tailed(y, ratio, random_state=seed))
    kept_labels, kept_counts = np.unique(y[keep], return_counts=True)
    assert kept_labels.tolist() == labels.tolist()  # no class is lost
    kept = dict(zip(kept_labels, kept_counts, strict=True))
    assert [kept[labels[i]] for i in order] == expected.tolist()


def test_make_long_tailed_never_silently_drops_a_class():
    y = load_solubility(subset="train").target.astype(str)  # low 417, medium 402, high 206
    for ratio in (1000, 1e6):
        named = r"leaves no sample for [12] tail class\(es\) \((?:'medium', )?'high'\)"  # not np.str_
        with pytest.raises(ValueError, match=named):
            make_long_tailed(y, ratio, random_state=0)
    with pytest.raises(ValueError, match="finite number >= 1, got inf"):
        make_long_tailed(y, float("inf"))
    many = np.repeat([f"c{i:03d}" for i in range(300)], 3)  # all 63 were named: 681 characters
    with pytest.raises(ValueError, match=r"63 tail class\(es\) \('c237', 'c238', .* and 58 more\): the head"):
        make_long_tailed(many, 4)
    assert set(y[make_long_tailed(y, 100, random_state=0)]) == {"low", "medium", "high"}


def test_make_long_tailed_class_order_and_errors():
    y = np.repeat([0, 1, 2], 50)
    keep = make_long_tailed(y, 5, class_order=[2, 1, 0], random_state=0)
    assert np.bincount(y[keep]).tolist() == [10, 22, 50]
    with pytest.raises(ValueError, match="class_order must list each class"):
        make_long_tailed(y, 5, class_order=[2, 1])
    with pytest.raises(TypeError, match=r"class_order must be a sequence of labels.* not one int \(2\)"):
        make_long_tailed(y, 5, class_order=2)
    with pytest.raises(ValueError, match=r"class_order has 1 missing labels .* at rows \[2\]"):
        make_long_tailed(y, 5, class_order=[0, 1, None])
    with pytest.raises(ValueError, match="imbalance_ratio must be a finite number >= 1"):
        make_long_tailed(y, 0.5)
    with pytest.raises(ValueError, match="imbalance_ratio must be a finite number >= 1, got '10'"):
        make_long_tailed(y, "10")
    with pytest.raises(ValueError, match="got True"):
        make_long_tailed(y, True)
    for counts, message in (
        ([-5, 3], r"integers >= 1 \(one per class\), got \[-5\] at positions \[0\]"),
        ([0, 4], r"got \[0\] at positions \[0\]"),
        ([], r"non-empty 1-D sequence, got shape \(0,\)"),
        ([400.9, 400], r"got \[400.9\] at positions \[0\]"),  # was read as 400
        ([400, np.nan], r"got \[nan\] at positions \[1\]"),  # was "cannot convert float NaN"
        (["400", "400"], "counts of samples, got values of dtype <U3"),  # were read as numbers
    ):
        with pytest.raises(ValueError, match=message):
            long_tailed_class_sizes(counts, 2)
    assert long_tailed_class_sizes([400.0, 400, 400], Fraction(10)).tolist() == [400, 126, 40]
    # a mapping's order is not the head-to-tail order the sizes follow (it failed as "shape ()")
    with pytest.raises(TypeError, match="not a mapping; pass list"):
        long_tailed_class_sizes({"a": 400, "b": 400}, 10)
    with pytest.raises(TypeError, match="one per class, not a str"):  # (it said "got shape ()")
        long_tailed_class_sizes("abc", 2)
    with pytest.raises(ValueError, match="empty"):
        make_long_tailed([], 5)
    with pytest.raises(ValueError, match=r"y has 2 missing labels \(None, NaN or NA\) at rows \[2, 4\]"):
        make_long_tailed(np.array(["a", "b", None, "a", np.nan], dtype=object), 2)
    with pytest.raises(ValueError, match=r"y has 1 missing labels .* rows \[2\]"):
        make_long_tailed(["a", "b", np.nan, "a"], 2)  # np.asarray would make it the label 'nan'


@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(["", "  "]), max_size=2),  # blank lines before the row
            st.lists(st.text('ab1 ,"\n', max_size=4), min_size=2, max_size=2),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_data_lines_are_where_each_row_pandas_reads_starts(tmp_path_factory, rows):
    """Blank lines (skipped by pandas, counted by an editor), quoted delimiters and quotes, and
    fields over several lines: each data row's line is the one its first field starts on."""
    import csv
    import io

    from sklearn_ltdd._csv import data_lines

    text, expected = io.StringIO(), []
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["smiles", "label"])
    for blanks, cells in rows:
        text.write("".join(f"{blank}\n" for blank in blanks))
        expected.append(text.getvalue().count("\n") + 1)
        writer.writerow(cells)
    path = tmp_path_factory.mktemp("lines") / "table.csv"
    path.write_text(text.getvalue(), encoding="utf-8")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    assert len(frame) == len(rows)
    assert data_lines(path, len(frame)).tolist() == expected
    assert data_lines(path, len(frame) + 1) is None  # another count: not told


def test_make_long_tailed_says_which_class_caps_the_head():
    """With several classes of one sample every ratio above 1 failed, and the message advised a
    lower ratio ("the head class would keep 1 samples and the tail fewer than one")."""
    y = np.repeat(np.arange(10), [40] * 5 + [3, 3, 2, 1, 1])
    with pytest.raises(
        ValueError,
        match=r"\(9\): class 8, of 1 sample\(s\) at place 9 of 10 from the head, caps the head class at 1 "
        r"sample\(s\), so the tail would keep fewer than one\. With 2 classes of a single sample no ratio",
    ):
        make_long_tailed(y, 1.5)
    # one such class, placed last, caps nothing: the head keeps ratio × 1
    keep = make_long_tailed(y[y != 9], 4, random_state=0)
    sizes = np.unique(y[keep], return_counts=True)[1]
    assert sizes[0] == 4 and sizes.min() == sizes[-1] == 1 and np.all(np.diff(sizes[:5]) <= 0)
    y = np.repeat(np.arange(4), [40, 40, 2, 2])  # small classes, not single samples: a lower ratio
    with pytest.raises(ValueError, match=r"class 2, of 2 sample\(s\) at place 3 .*Lower imbalance_ratio"):
        make_long_tailed(y, 50)
    assert len(make_long_tailed(y, 2, random_state=0)) > 4


def test_a_ratio_far_short_of_the_one_asked_for_warns():
    """A class of a few samples capping the head rounded [10, 10, 1] at 1.9 to [1, 1, 1]: a balanced
    set, 18 of 21 rows dropped, without a word."""
    y = ["a"] * 10 + ["b"] * 10 + ["c"]
    with pytest.warns(
        UserWarning, match=r"imbalance_ratio=1\.9 gives a ratio of 1 \(1 sample\(s\) .* class 'c', of 1"
    ):
        keep = make_long_tailed(y, 1.9, random_state=0)
    assert len(keep) == 3
    with pytest.warns(UserWarning, match=r"gives a ratio of 1 .* class at position 1, of 1 sample"):
        assert long_tailed_class_sizes([2, 1], 1.5).tolist() == [1, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # short by less than 10 %: rounding, as documented
        assert long_tailed_class_sizes([100, 100, 4], 2.6).tolist() == [10, 6, 4]
        assert long_tailed_class_sizes([50] * 5, 7.5).tolist() == [50, 30, 18, 11, 6]
        assert long_tailed_class_sizes([100, 5], 1.3).tolist() == [6, 5]  # 1.2: 7.7 % short
    with pytest.warns(UserWarning, match=r"imbalance_ratio=1\.35 gives a ratio of 1\.2 "):  # 11.1 % short
        assert long_tailed_class_sizes([100, 5], 1.35).tolist() == [6, 5]
