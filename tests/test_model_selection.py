import json
import re

import numpy as np
import pytest
import scipy.sparse
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from sklearn_ltdd.model_selection import ImDrugSplit, imdrug_split
from sklearn_ltdd.model_selection._imdrug import _cut, seed_list

class_sizes = st.lists(st.integers(10, 300), min_size=2, max_size=6)


def labels(sizes):
    return np.repeat(np.arange(len(sizes)), sizes)


def split_or_skip(y, kind, seed):
    """The split, or None when a rare class misses a partition (which must be said, by name)."""
    try:
        return imdrug_split(y, kind, random_state=seed)
    except ValueError as error:
        assert kind == "standard" and "no sample in the" in str(error)
        return None


@given(class_sizes, st.sampled_from(["random", "standard"]), st.integers(0, 10))
def test_parts_are_disjoint_and_deterministic(sizes, kind, seed):
    y = labels(sizes)
    parts = split_or_skip(y, kind, seed)
    if parts is None:
        return
    train, valid, test = parts
    assert not (set(train) & set(valid) or set(train) & set(test) or set(valid) & set(test))
    for part in parts:  # sorted row positions, as documented, each row once (no draw with replacement)
        assert (np.diff(part) > 0).all()
    again = imdrug_split(y, kind, random_state=seed)
    for a, b in zip((train, valid, test), again, strict=True):
        np.testing.assert_array_equal(a, b)


@given(class_sizes, st.integers(0, 10))
def test_random_split_keeps_every_class_at_70_10_20(sizes, seed):
    y = labels(sizes)
    train, valid, test = imdrug_split(y, "random", random_state=seed)
    assert len(train) + len(valid) + len(test) == len(y)  # nothing dropped
    for c, n in enumerate(sizes):
        assert np.sum(y[train] == c) == round(0.7 * n)
        assert np.sum(y[valid] == c) == round(0.1 * n)


@given(class_sizes, st.integers(0, 10))
def test_standard_split_balances_validation_and_test(sizes, seed):
    y = labels(sizes)
    n = len(y)
    parts = split_or_skip(y, "standard", seed)
    if parts is None:
        return
    train, valid, test = parts
    assert len(train) == round(0.7 * n)  # train keeps its imbalance, untouched
    for part in (valid, test):
        counts = np.bincount(y[part], minlength=len(sizes))
        assert len(set(counts.tolist())) == 1  # every class at the rarest class's count


def test_standard_split_uses_the_rarest_count_of_each_partition():
    y = labels([900, 100])
    rng = np.random.RandomState(3)
    order = rng.permutation(len(y))
    valid_cut = order[700:800]
    expected = np.bincount(y[valid_cut]).min()
    _, valid, _ = imdrug_split(y, "standard", random_state=3)
    assert np.bincount(y[valid]).tolist() == [expected, expected]


def test_a_random_state_instance_splits_as_its_seed():
    y = labels([200, 50])
    for kind in ("standard", "random"):
        by_seed, by_state = (
            imdrug_split(y, kind, random_state=4),
            imdrug_split(y, kind, random_state=np.random.RandomState(4)),
        )
        for a, b in zip(by_seed, by_state, strict=True):
            np.testing.assert_array_equal(a, b)


def test_different_seeds_give_different_splits():
    y = labels([200, 50])
    assert not np.array_equal(imdrug_split(y, random_state=0)[2], imdrug_split(y, random_state=1)[2])


def test_errors():
    with pytest.raises(ValueError, match="kind must be one of"):
        imdrug_split([0, 1], "stratified")
    smiles, y = np.array(["CCO", "CCN"] * 10), labels([10, 10])  # train_test_split's habit: X, y
    with pytest.raises(
        ValueError, match=r"got ndarray of length 20 \(given X and y\? The split needs the labels alone"
    ):
        imdrug_split(smiles, y)
    with pytest.raises(ValueError, match="fractions"):
        imdrug_split([0, 1] * 10, fractions=(0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="empty"):
        imdrug_split([0, 1], "random")
    with pytest.raises(ValueError, match=r"classes \[1\] have no sample in the validation part") as error:
        imdrug_split([0] * 99 + [1], "standard", random_state=0)
    assert "Their sizes: [1], and a class of 1 cannot be in all 3 parts" in str(error.value)
    with pytest.raises(ValueError, match="y is empty"):
        imdrug_split([])
    with pytest.raises(ValueError, match=r"y has 10 missing labels .* rows \[1, 3, 5"):
        imdrug_split(np.array(["a", None] * 10, dtype=object))


def test_the_chance_of_a_class_in_every_part_by_inclusion_exclusion():
    from sklearn_ltdd.model_selection._imdrug import _chance_of_every_class_in_every_part as chance

    fractions = np.array([0.7, 0.1, 0.2])
    # three samples in three parts: one in each, in any of 3! orders
    assert chance(np.array([3]), fractions) == pytest.approx(6 * 0.7 * 0.1 * 0.2)
    assert chance(np.array([2]), fractions) == pytest.approx(0)
    assert chance(np.array([3, 3]), fractions) == pytest.approx((6 * 0.7 * 0.1 * 0.2) ** 2)  # independent
    # a part too small for the classes: no seed can, and the refusal says so
    with pytest.raises(ValueError, match="the validation part holds 10 rows for 20 classes: no random_state"):
        imdrug_split(np.repeat(np.arange(20), 5), "standard", random_state=0)


def test_the_standard_splits_refusal_says_how_often_a_cut_holds_every_class():
    y = np.repeat(np.arange(16), np.arange(15, 31))  # 16 classes of 15 to 30: most cuts miss one
    refused = 0
    for seed in range(300):
        try:
            imdrug_split(y, "standard", random_state=seed)
        except ValueError as error:
            refused += 1
            said = float(re.search(r"about (\d+)% of random_states give every class", str(error))[1])
    assert abs(said - 100 * (300 - refused) / 300) < 5  # the chance it says is the one seen


def test_cv_splitter_in_cross_val_score():
    rng = np.random.RandomState(0)
    y = labels([150, 40])
    X = rng.normal(size=(len(y), 3)) + y[:, None]
    cv = ImDrugSplit("random", seeds=[0, 1, 2])
    assert cv.get_n_splits() == 3
    splits = list(cv.split(X, y))
    np.testing.assert_array_equal(splits[1][1], imdrug_split(y, "random", random_state=1)[2])
    assert cross_val_score(LogisticRegression(), X, y, cv=cv).shape == (3,)
    for call in (lambda: cv.split(X, None), lambda: cv.split(X)):  # split(X) as sklearn's splitters take it
        with pytest.raises(ValueError, match="needs the class labels"):
            next(call())
    # groups are not read, and that is said: copies of a molecule would fall on both sides unseen
    with pytest.warns(UserWarning, match="groups parameter is ignored by ImDrugSplit.*StratifiedGroupKFold"):
        grouped = list(cv.split(X, y, groups=np.arange(len(y)) // 3))
    np.testing.assert_array_equal(grouped[1][1], splits[1][1])
    # a number of seeds stands for seeds 0, ..., n - 1
    assert seed_list(np.arange(2)) == [0, 1] and all(type(seed) is int for seed in seed_list(np.arange(2)))
    counted = ImDrugSplit("random", seeds=3)
    assert counted.get_n_splits() == 3
    for (train, test), (train_listed, test_listed) in zip(counted.split(X, y), splits, strict=True):
        np.testing.assert_array_equal(train, train_listed)
        np.testing.assert_array_equal(test, test_listed)
    for none in (0, []):
        with pytest.raises(ValueError, match="gives no split"):
            ImDrugSplit(seeds=none).get_n_splits()
    for wrong in (True, "012", b"\x00", np.array(3), iter([0, 1]), [0.5]):
        with pytest.raises(TypeError, match="a number of seeds or a list of integer seeds, got"):
            ImDrugSplit(seeds=wrong).get_n_splits()
    # any X sklearn's splitters take, a sparse matrix too
    sparse_scores = cross_val_score(LogisticRegression(), scipy.sparse.csr_matrix(X), y, cv=cv)
    np.testing.assert_allclose(sparse_scores, cross_val_score(LogisticRegression(), X, y, cv=cv))
    # a validation part that cannot be made is no matter: the splitter leaves it out (it was refused,
    # with the advice to choose other seeds, which could not help classes of three)
    with pytest.raises(ValueError, match="validation part"):
        imdrug_split(labels([94, 6]), random_state=7)
    assert len(list(ImDrugSplit(seeds=[7]).split(np.zeros(100), labels([94, 6])))) == 1
    threes = np.repeat(np.arange(50), 3)
    with pytest.raises(ValueError, match="the validation part of the 'random' split is empty"):
        imdrug_split(threes, "random")
    for train, test in ImDrugSplit("random", seeds=2).split(threes, threes):
        assert np.bincount(threes[train]).tolist() == [2] * 50
        assert np.bincount(threes[test]).tolist() == [1] * 50
    # where the splits imdrug_split makes, the splitter's are its train and test
    for seed, (train, test) in enumerate(ImDrugSplit(seeds=3).split(X, y)):
        expected_train, _, expected_test = imdrug_split(y, random_state=seed)
        np.testing.assert_array_equal(train, expected_train)
        np.testing.assert_array_equal(test, expected_test)
    # a test part that cannot be made is refused, the seed named
    with pytest.raises(ValueError, match="cannot be in all 2 parts") as error:
        list(ImDrugSplit(seeds=[0]).split(np.zeros(101), labels([100, 1])))
    assert "ImDrugSplit's seed 0: the parts of imdrug_split(y, 'standard', random_state=0)" in "".join(
        error.value.__notes__
    )
    # wrong arguments are named as such, without that note (other seeds would not help)
    for cv, message in [(ImDrugSplit("foo"), "kind must be one of"), (ImDrugSplit(seeds=[-1]), "got -1"),
                        (ImDrugSplit(seeds=[2**32]), "numpy seeds, from 0 to 2\\*\\*32 - 1"),
                        (ImDrugSplit(fractions=(0.5, 0.5, 0.5)), "summing to 1")]:  # fmt: skip
        with pytest.raises(ValueError, match=message) as error:
            list(cv.split(X, y))
        assert not getattr(error.value, "__notes__", None)


def test_the_random_split_rounds_each_class_as_documented():
    for n, (n_valid, n_test) in {1: (0, 0), 2: (0, 1), 5: (0, 1), 6: (1, 1)}.items():
        y = np.array([0] * 100 + [1] * n)
        _, valid, test = imdrug_split(y, "random", random_state=0)
        assert ((y[valid] == 1).sum(), (y[test] == 1).sum()) == (n_valid, n_test)


@given(st.lists(st.integers(1, 12), min_size=2, max_size=6), st.floats(0.05, 0.9), st.integers(0, 10))
def test_every_class_keeps_a_training_sample_whatever_the_fractions(sizes, train_fraction, seed):
    """(0.5, 0.25, 0.25) sent a class of one to test alone: Python rounds 0.5 to 0."""
    rest = (1 - train_fraction) / 2
    y = labels([40, *sizes])  # a head class, so that no part is empty
    train, valid, test = imdrug_split(y, "random", fractions=(train_fraction, rest, rest), random_state=seed)
    assert set(y[train]) == set(y) and len(train) + len(valid) + len(test) == len(y)


@given(st.lists(st.integers(2, 6), min_size=1, max_size=4), st.integers(0, 200))
def test_a_standard_split_has_every_class_in_every_part_or_names_the_one_missing(sizes, seed):
    """A class of two went to validation and test alone: train lacked it, and nothing said so."""
    y = labels([40, *sizes])
    try:
        parts = imdrug_split(y, "standard", random_state=seed)
    except ValueError as error:
        message = re.search(r"classes (\[[\d, ]+\]) have no sample in the (\w+) part", str(error))
        missing, name = json.loads(message[1]), message[2]
        rows = _cut(np.random.RandomState(seed).permutation(len(y)), np.array([0.7, 0.1, 0.2]))
        part = dict(zip(("train", "validation", "test"), rows, strict=True))[name]
        assert missing and not set(missing) & set(y[part])  # the classes named are those missing
        return
    for part in parts:
        assert set(y[part]) == set(y)


def test_the_random_split_draws_within_each_class():
    # each class's rows drawn at random, not its first 70 %: another seed gives another split
    y = np.repeat([0, 1], [90, 10])
    first, other = imdrug_split(y, "random", random_state=0), imdrug_split(y, "random", random_state=1)
    assert not np.array_equal(np.sort(first[0]), np.sort(other[0]))


@given(st.floats(1e-5, 0.15), st.sampled_from(["validation", "test"]))
def test_the_size_a_class_needs_for_a_part_is_the_least_that_gives_it_one(fraction, part):
    """Named in the refusal; found without cutting every size from 1 (a fraction of 1e-6 took a
    minute to be refused)."""
    i = 1 if part == "validation" else 2
    fractions = [0.7 - fraction, fraction, 0.3] if i == 1 else [0.7 - fraction, 0.3, fraction]
    with pytest.raises(ValueError, match=rf"the {part} part of the 'random' split is empty") as error:
        imdrug_split(np.repeat([0, 1], 3), "random", fractions=tuple(fractions))  # classes of 3: too small
    need = int(re.search(r"a class needs (\d+) samples", str(error.value)).group(1))
    assert len(_cut(np.arange(need), np.array(fractions))[i]) >= 1
    for n in {*range(1, min(need, 50)), *range(max(1, need - 50), need)}:
        assert len(_cut(np.arange(n), np.array(fractions))[i]) == 0


def test_the_size_named_is_right_where_train_takes_what_validation_would():
    # a class of 1 gives train its sample, whatever validation's fraction: it needs 2
    with pytest.raises(ValueError, match=r"a class needs 2 samples to give the validation part one"):
        imdrug_split(np.array([0, 1]), "random", fractions=(0.3, 0.6, 0.1))


def test_refusals_name_a_few_classes_and_the_cause_not_the_sample_count():
    """500 singletons were refused as "500 samples are too few", and a cut that no seed can make
    as "about 0% of random_states"; each refusal listed every class."""
    for y in (np.arange(500), np.repeat(np.arange(100), 5)):  # and neither split can cut these
        cause = r"a class needs 6 samples to give the validation part one \(the largest here has [15]\)\."
        with pytest.raises(ValueError, match=cause + " Use larger classes, or give the part a larger"):
            imdrug_split(y, "random")
    with pytest.raises(ValueError) as error:
        imdrug_split(np.repeat(np.arange(200), 3), "standard", random_state=0)
    expected = "almost no random_state (under 0.5%) gives every class to every part. Use larger classes"
    assert expected in str(error.value)
    assert re.search(r"classes \[(\d+, ){4}\d+\] and \d+ more have no sample", str(error.value))
    assert len(str(error.value)) < 600


def test_the_splitters_refusal_speaks_of_its_own_parts_and_seeds():
    """ImDrugSplit's refusal said the split "needs every class in every part" and "try another
    random_state", though it needs train and test only and takes seeds."""
    y = labels([50, 3])
    refused = next(s for s in range(50) if _refused(lambda s=s: list(ImDrugSplit(seeds=[s]).split(y, y))))
    with pytest.raises(ValueError) as error:
        list(ImDrugSplit(seeds=[refused]).split(y, y))
    said = str(error.value)
    assert "needs every class in the train and test parts" in said and "random_state" not in said
    assert re.search(
        r"about \d+% of seeds give every class to the train and test parts\. Try another seed", said
    )
    with pytest.raises(ValueError, match="needs every class in every part"):  # the function makes all three
        imdrug_split(y, random_state=refused)
    # the same seed twice is the same split twice, which cross_val_score would average as two
    with pytest.raises(ValueError, match=r"seeds \[0\] given more than once"):
        ImDrugSplit(seeds=[0, 1, 0]).get_n_splits()


def _refused(split) -> bool:
    try:
        split()
    except ValueError:
        return True
    return False
