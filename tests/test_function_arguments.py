"""Public functions refuse a flag that is not True or False, a path that is not one and a bad seed,
naming the argument (``download="no"`` is truthy: it started a download)."""

import re

import numpy as np
import pytest

from sklearn_ltdd.benchmark import make_fingerprint_model, run_benchmark
from sklearn_ltdd.datasets import (
    get_data_home,
    load_hiv,
    load_reaction_templates,
    load_sbap,
    load_solubility,
    load_uspto50k,
    load_uspto50k_templates,
    make_long_tailed,
)
from sklearn_ltdd.featurize import check_smiles
from sklearn_ltdd.metrics import balanced_accuracy_score
from sklearn_ltdd.model_selection import ImDrugSplit, imdrug_split

BENCHMARK_LOADERS = [load_hiv, load_uspto50k, load_uspto50k_templates, load_sbap]


@pytest.fixture
def no_downloads(monkeypatch):
    """Any download fails the test (the flag's check must come first)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a download was started")

    monkeypatch.setattr("sklearn_ltdd.datasets._fetch._sklearn_fetch_file", refuse)


@pytest.mark.parametrize("loader", BENCHMARK_LOADERS)
@pytest.mark.parametrize("flag", ["download", "return_X_y", "as_frame"])
@pytest.mark.parametrize("value", ["no", "False", 1, None])
def test_benchmark_loaders_refuse_a_flag_that_is_not_a_bool(loader, flag, value, tmp_path, no_downloads):
    with pytest.raises(TypeError, match=f"{flag} must be True or False, got {value!r}"):
        loader(data_home=tmp_path, **{flag: value})


@pytest.mark.parametrize("loader", [load_solubility, load_reaction_templates])
@pytest.mark.parametrize("flag", ["return_X_y", "as_frame"])
def test_embedded_loaders_refuse_a_flag_that_is_not_a_bool(loader, flag):
    with pytest.raises(TypeError, match=f"{flag} must be True or False, got 'yes'"):
        loader(**{flag: "yes"})
    assert len(loader(**{flag: np.True_})[0 if flag == "return_X_y" else "data"]) > 0  # numpy's bool


@pytest.mark.parametrize("loader", BENCHMARK_LOADERS)
def test_loaders_refuse_a_path_that_is_not_one(loader):
    with pytest.raises(TypeError, match=r"path must be a path \(a str or a pathlib.Path\), got 5"):
        loader(path=5)
    for given in ({"data_home": 5}, {"data_home": 5, "path": "table.csv"}):  # unread beside a path
        with pytest.raises(TypeError, match=r"data_home must be a path .* got 5"):
            loader(**given)


def test_the_data_home_must_be_a_path():
    with pytest.raises(TypeError, match=r"data_home must be a path .* got \['/tmp'\]"):
        get_data_home(["/tmp"])


def test_benchmark_arguments_are_checked_before_any_work(tmp_path, no_downloads):
    with pytest.raises(TypeError, match="download must be True or False, got 'no'"):
        run_benchmark("solubility", seeds=1, methods=["fp_lr"], download="no", out_dir=tmp_path)
    with pytest.raises(TypeError, match=r"data_home must be a path .* got 5"):
        run_benchmark("solubility", seeds=1, methods=["fp_lr"], data_home=5, out_dir=tmp_path)
    assert not list(tmp_path.iterdir())
    with pytest.raises(TypeError, match="reaction must be True or False, got 'no'"):  # a reaction model
        make_fingerprint_model("lr", reaction="no")
    with pytest.raises(TypeError, match="allow_empty must be True or False, got 'yes'"):
        check_smiles([], allow_empty="yes")


def test_adjusted_balanced_accuracy_takes_only_a_bool():
    y_true, y_pred = [0, 1, 1, 0], [0, 1, 0, 0]
    assert balanced_accuracy_score(y_true, y_pred, adjusted=True) == pytest.approx(0.5)
    for value in ("yes", 1, None):  # "yes" and 1 gave the adjusted score, None the plain one
        with pytest.raises(TypeError, match=f"adjusted must be True or False, got {value!r}"):
            balanced_accuracy_score(y_true, y_pred, adjusted=value)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "0", True, np.random.default_rng(0)])
def test_seeded_functions_name_a_bad_seed(seed):
    y = np.repeat([0, 1, 2], [40, 20, 10])
    message = re.escape(
        f"random_state must be None, a whole number from 0 to 2**32 - 1 or a numpy RandomState, got {seed!r}"
    )
    with pytest.raises(ValueError, match=message):
        make_long_tailed(y, imbalance_ratio=2, random_state=seed)
    with pytest.raises(ValueError, match=message):
        imdrug_split(y, "random", random_state=seed)
    with pytest.raises(ValueError, match=message):  # (the logistic regression never read it)
        make_fingerprint_model("lr", random_state=seed)


@pytest.mark.parametrize("name", ["LTDDClassifier", "BaselineClassifier", "BalancedSubcluster"])
def test_the_estimators_take_each_numpy_seed_and_name_the_next(name):
    """numpy seeds run from 0 to 2**32 - 1: 2**32 was taken, and the fit then failed inside numpy."""
    from sklearn.utils._param_validation import InvalidParameterError

    import sklearn_ltdd

    estimator = getattr(sklearn_ltdd, name)(random_state=2**32)
    with pytest.raises(
        InvalidParameterError, match=r"'random_state' parameter .* \[0, 4294967295\].* Got 4294967296"
    ):
        estimator.fit(["CCO", "CCN"], [0, 1])
    estimator.set_params(random_state=2**32 - 1)._validate_params()  # (sklearn's check, as fit runs it)
    if name == "BalancedSubcluster":  # (a fit of the last seed, where one is quick)
        assert estimator.fit(np.eye(4), np.array([0, 0, 1, 1])).labels_.shape == (4,)


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2", True])
def test_a_fingerprint_model_names_an_n_jobs_joblib_has_no_meaning_for(n_jobs):
    with pytest.raises(ValueError, match=f"n_jobs must be None, a positive integer .*got {n_jobs!r}"):
        make_fingerprint_model("lr", n_jobs=n_jobs)
    assert make_fingerprint_model("rf", n_jobs=-1, random_state=np.int64(0))[-1].n_jobs == -1


@pytest.mark.parametrize("fractions", ["abc", None, (0.5, 0.5, None), (0.7, 0.3), (0.5, 0.6, -0.1)])
def test_imdrug_split_names_bad_fractions(fractions):
    y = np.repeat([0, 1], 50)
    with pytest.raises(ValueError, match="fractions must be three positive numbers summing to 1, got"):
        imdrug_split(y, "random", fractions=fractions)


@pytest.mark.parametrize(
    "call",
    [
        lambda: load_solubility(return_X_y="yes"),
        lambda: load_hiv(path=5),
        lambda: make_long_tailed(["a", "b"] * 5, 2, random_state="0"),
        lambda: imdrug_split(["a", "b"] * 20, "random", random_state=1.5),
        lambda: run_benchmark("solubility", n_jobs=1.5),
        lambda: list(ImDrugSplit(seeds="0").split(np.zeros(40), ["a", "b"] * 20)),
    ],
    ids=["flag", "path", "seed", "split seed", "n_jobs", "seeds"],
)
def test_a_wrong_argument_is_both_a_value_and_a_type_error(call):
    """As the estimators' InvalidParameterError: a wrong type was a TypeError here (a flag, a path,
    seeds) and a ValueError there (a seed, n_jobs), so that one ``except`` missed the other."""
    for kind in (ValueError, TypeError):
        with pytest.raises(kind, match="must be"):
            call()


def test_an_option_given_as_an_array_is_named():
    """``option not in (...)`` of an array compared it element-wise: NumPy's "truth value of an
    array ... is ambiguous", naming no argument; a 0-d array of a split's kind, "len() of unsized"."""
    from sklearn_ltdd import SmilesGraphizer
    from sklearn_ltdd.datasets import load_solubility
    from sklearn_ltdd.metrics import balanced_f1_score
    from sklearn_ltdd.screen._frame import check_errors  # (screen's, screen_file's, ...)

    options = np.array(["macro", "x"])
    calls = {
        "average": lambda: balanced_f1_score(["a", "b"], ["a", "b"], average=options),
        "subset": lambda: load_solubility(subset=options),
        "transform": lambda: SmilesGraphizer().set_output(transform=options),
        "errors": lambda: check_errors(options),
        "kind": lambda: imdrug_split([0, 1] * 10, np.array("standard")),
        "split": lambda: run_benchmark("solubility", split=options, methods=["fp_lr"]),
    }
    for name, call in calls.items():
        with pytest.raises(ValueError, match=rf"^{name} must be one of|^{name} must be '"):
            call()
    from sklearn_ltdd.benchmark import paper_table

    with pytest.raises(ValueError, match=r"the paper's Table 2 has the data sets"):
        paper_table(options)
