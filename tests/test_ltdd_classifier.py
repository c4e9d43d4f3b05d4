import gc
import importlib.util
import json
import os
import pickle
import re
import subprocess
import sys
import warnings
import weakref
from types import SimpleNamespace
from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
import sklearn
import skorch
import torch
import torch_geometric
from hypothesis import given
from hypothesis import strategies as st
from joblib import dump, load
from rdkit import Chem, rdBase
from sklearn import config_context
from sklearn.base import clone, is_classifier
from sklearn.compose import make_column_transformer
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, check_cv, cross_val_score
from sklearn.pipeline import make_pipeline, make_union
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)
from skorch.callbacks import Callback
from skorch.history import History

import sklearn_ltdd
from sklearn_ltdd import (
    BaselineClassifier,
    InconsistentVersionWarning,
    LTDDClassifier,
    MorganFingerprint,
    SmilesGraphizer,
    SubclusterContrast,
    SubclusterSchedule,
)
from sklearn_ltdd.classifier import _base, _ltdd_schedule, _validation
from sklearn_ltdd.classifier._base import GraphClassifier
from sklearn_ltdd.classifier._data import oversample
from sklearn_ltdd.classifier._net import INFERENCE_BATCH
from sklearn_ltdd.classifier._phases import Phase, Phases
from sklearn_ltdd.classifier._selection import ValidationScores
from sklearn_ltdd.classifier._validation import stratified_holdout
from sklearn_ltdd.datasets import load_solubility, make_long_tailed
from sklearn_ltdd.featurize import InvalidSmilesError, _versions
from sklearn_ltdd.featurize._smiles import PARSE_VERSION
from sklearn_ltdd.metrics import balanced_accuracy_score, balanced_f1_score, balanced_f1_scorer
from sklearn_ltdd.screen import _resume, screen

DATA = load_solubility()
TRAIN, TEST = DATA.split == "train", DATA.split == "test"
X_TRAIN, Y_TRAIN = DATA.data[TRAIN], DATA.target[TRAIN]
X_TEST, Y_TEST = DATA.data[TEST], DATA.target[TEST]
SMALL = np.random.default_rng(0).choice(len(X_TRAIN), 90, replace=False)
X_SMALL, Y_SMALL = X_TRAIN[SMALL], Y_TRAIN[SMALL]
RUN = {"max_epochs": 3, "batch_size": 32, "hidden": 16, "random_state": 0}


def schedule(**params) -> SubclusterSchedule:
    """A short schedule: one warm-up epoch, re-clustering every epoch."""
    return SubclusterSchedule(**{"warmup_epochs": 1, "update_every": 1, **params})


FAST = {**RUN, "schedule": schedule()}


def test_is_a_classifier_and_cv_stratifies():
    clf = LTDDClassifier()
    assert is_classifier(clf)
    assert isinstance(check_cv(3, Y_SMALL, classifier=is_classifier(clf)), StratifiedKFold)


def test_sklearn_api_checks():
    name = "LTDDClassifier"
    for check in (check_no_attributes_set_in_init, check_parameters_default_constructible,
                  check_get_params_invariance, check_set_params):  # fmt: skip
        check(name, LTDDClassifier())
    clf = LTDDClassifier(lr=0.01, schedule=SubclusterSchedule(weighting="subcluster"))
    cloned = clone(clf)
    assert cloned.get_params(deep=True).keys() == clf.get_params(deep=True).keys()
    assert cloned.schedule is not clf.schedule and cloned.schedule.weighting == "subcluster"
    clf.set_params(contrast=SubclusterContrast(), contrast__beta=0.5)
    assert clf.contrast.beta == 0.5


def test_learns_a_long_tailed_task():
    keep = make_long_tailed(Y_TRAIN, imbalance_ratio=10, random_state=0)
    clf = LTDDClassifier(max_epochs=30, random_state=0).fit(X_TRAIN[keep], Y_TRAIN[keep])
    y_pred = clf.predict(X_TEST)
    # predicting the majority class scores 1/3 balanced accuracy on three classes
    assert balanced_accuracy_score(Y_TEST, y_pred) > 0.45
    proba = clf.predict_proba(X_TEST)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(clf.classes_[clf.decision_function(X_TEST).argmax(axis=1)], y_pred)
    assert list(clf.classes_) == ["high", "low", "medium"]
    history = clf.history_
    assert history[-1]["phase"] == "ltdd" and len(history[-1]["class_weights"]) == 3
    assert history[-1]["n_subclusters"] > 3  # head classes were split
    embedding = clf.transform(X_TEST[:5])
    assert embedding.shape == (5, 2 * 128)  # graph embedding, then the fingerprint's
    np.testing.assert_allclose(np.linalg.norm(embedding, axis=1), 1.0, atol=1e-5)


REFERENCE_CODE_KNOBS = {
    "contrast": SubclusterContrast(tau2="adaptive"),
    "schedule": schedule(
        cluster_method="kmeans", weight_formula="code", resample=True, weighting="subcluster"
    ),
}


@pytest.mark.parametrize(
    "make", [lambda: LTDDClassifier(**FAST), lambda: BaselineClassifier(**RUN),
             lambda: LTDDClassifier(**{**FAST, **REFERENCE_CODE_KNOBS})], ids=["ltdd", "ce", "reference-code"]
)  # fmt: skip
def test_same_seed_same_predictions(make, assert_same_predictions):
    first = make().fit(X_SMALL, Y_SMALL).predict_proba(X_TEST[:20])
    second = make().fit(X_SMALL, Y_SMALL).predict_proba(X_TEST[:20])
    assert_same_predictions(first, second)


def test_an_unseeded_fit_repeats_once_numpy_and_torch_are_seeded(assert_same_predictions):
    """random_state=None draws from numpy's global generator and torch's, as its docstring says."""
    fits = []
    for seed_torch in (True, True, False):
        np.random.seed(3)  # noqa: NPY002 (the global generator is what random_state=None draws from)
        if seed_torch:
            torch.manual_seed(3)
        clf = LTDDClassifier(**{**FAST, "random_state": None}).fit(X_SMALL, Y_SMALL)
        fits.append(clf.predict_proba(X_TEST[:20]))
    assert_same_predictions(fits[0], fits[1])
    assert not np.allclose(fits[0], fits[2])


def test_schedule(monkeypatch):
    updates = []
    original = _ltdd_schedule.Recluster.update

    def recording(self, net, dataset, epoch):
        updates.append(epoch)
        return original(self, net, dataset, epoch)

    monkeypatch.setattr(_ltdd_schedule.Recluster, "update", recording)
    seeds = []

    class SeedRecording(_ltdd_schedule.BalancedSubcluster):
        def fit(self, X, y=None):
            seeds.append(self.random_state)
            return super().fit(X, y)

    monkeypatch.setattr(_ltdd_schedule, "BalancedSubcluster", SeedRecording)
    params = {**RUN, "max_epochs": 9}
    clf = LTDDClassifier(**params, schedule=schedule(warmup_epochs=2, update_every=3)).fit(X_SMALL, Y_SMALL)
    assert updates == [2, 5, 8]
    # each sub-clustering draws its own k-means++ seeds (one seed for all passed every test)
    assert len(seeds) == 3 and len(set(seeds)) == 3
    assert clf.history_[:, "phase"] == ["warmup"] * 2 + ["ltdd"] * 7
    # loss terms are summed on the device and recorded once per epoch, never per batch
    assert not {"ce_loss", "contrastive_loss"} & set(clf.history_[2]["batches"][0])
    assert np.isnan(clf.history_[0]["ce_loss"]) and clf.history_[2]["ce_loss"] > 0  # per-epoch means
    assert clf.history_[0]["contrastive_loss"] > 0
    # the terms add up to skorch's train_loss, a mean over samples (a small last batch counts less)
    sizes = {batch["train_batch_size"] for batch in clf.history_[2]["batches"] if "train_batch_size" in batch}
    assert len(sizes) > 1, "every batch is full: this test could not tell"
    for row in clf.history_:
        terms = [row[k] for k in ("contrastive_loss", "ce_loss", "wide_loss") if not np.isnan(row[k])]
        assert row["train_loss"] == pytest.approx(sum(terms), rel=1e-5)
    updates.clear()
    LTDDClassifier(**params, schedule=schedule(warmup_epochs=2, update_every=3, dynamic=False)).fit(
        X_SMALL, Y_SMALL
    )
    assert updates == [2]
    updates.clear()
    no_warmup = LTDDClassifier(**params, schedule=schedule(warmup_epochs=0, update_every=3)).fit(
        X_SMALL, Y_SMALL
    )
    assert updates == [0, 3, 6] and no_warmup.history_[0]["phase"] == "ltdd"


def test_joblib_round_trip(tmp_path, assert_same_predictions):
    clf = LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL)
    dump(clf, tmp_path / "model.joblib")
    restored = load(tmp_path / "model.joblib")
    assert_same_predictions(restored.predict_proba(X_TEST[:30]), clf.predict_proba(X_TEST[:30]))
    # the versions it was fitted with, compared on loading where they decide what it computes
    assert clf.versions_ == {
        "sklearn-ltdd": sklearn_ltdd.__version__,
        "smiles-parse": str(PARSE_VERSION),
        "rdkit": rdBase.rdkitVersion,
        "torch": torch.__version__,
        "torch-geometric": torch_geometric.__version__,
        "scikit-learn": sklearn.__version__,  # (recorded, not checked: sklearn warns of its own parts)
        "skorch": skorch.__version__,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(tmp_path / "model.joblib")
        loaded_elsewhere = pickle.dumps(clf)
    with patch.object(sklearn_ltdd, "__version__", "9.9"), patch.object(rdBase, "rdkitVersion", "2001.01.1"):
        with pytest.warns(InconsistentVersionWarning) as said:
            moved = pickle.loads(loaded_elsewhere)
    assert len(said) == 1 and str(said[0].message).startswith(
        f"this LTDDClassifier was fitted with sklearn-ltdd {sklearn_ltdd.__version__} (here 9.9), rdkit "
        f"{rdBase.rdkitVersion} (here 2001.01.1): its featurisation or predictions may differ"
    )
    assert said[0].message.estimator_name == "LTDDClassifier"
    assert said[0].message.original_versions == clf.versions_  # (all of them, as recorded)
    assert said[0].message.current_versions == {
        "sklearn-ltdd": "9.9", "smiles-parse": str(PARSE_VERSION), "rdkit": "2001.01.1"
    }  # fmt: skip
    assert said[0].filename == __file__  # the user's line
    assert_same_predictions(moved.predict_proba(X_TEST[:30]), clf.predict_proba(X_TEST[:30]))
    with patch.object(torch, "__version__", "0.1"), warnings.catch_warnings():  # recorded, not checked
        warnings.simplefilter("error")
        pickle.loads(loaded_elsewhere)
    # the package's version is not raised with each change of what a SMILES gives; the parse's is
    with patch.object(_versions, "PARSE_VERSION", PARSE_VERSION + 1), pytest.warns(UserWarning) as said:
        pickle.loads(loaded_elsewhere)
    assert len(said) == 1 and str(said[0].message).startswith(
        f"this LTDDClassifier was fitted with smiles-parse {PARSE_VERSION} (here {PARSE_VERSION + 1}): its"
    )
    # a model of a release that did not yet record its parse: not known to read SMILES as this one
    clf.versions_ = {name: version for name, version in clf.versions_.items() if name != "smiles-parse"}
    with pytest.warns(
        InconsistentVersionWarning, match=rf"smiles-parse \(not recorded\) \(here {PARSE_VERSION}\)"
    ):
        pickle.loads(pickle.dumps(clf))
    del clf.versions_  # as models saved before the versions were recorded: not known to be these
    with pytest.warns(
        InconsistentVersionWarning, match="saved by a release of sklearn-ltdd that did not record"
    ):
        pickle.loads(pickle.dumps(clf))


def test_cross_validation_and_grid_search_in_parallel():
    scores = cross_val_score(LTDDClassifier(**FAST), X_SMALL, Y_SMALL, cv=3, scoring=balanced_f1_scorer)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    search = GridSearchCV(
        make_pipeline(SmilesGraphizer(), LTDDClassifier(**FAST)),
        {"ltddclassifier__schedule__weighting": ["both", "none"]},  # an ablation of Table 4
        cv=2,
        n_jobs=2,
        scoring=balanced_f1_scorer,
    ).fit(X_SMALL, Y_SMALL)
    assert search.best_params_["ltddclassifier__schedule__weighting"] in ("both", "none")
    assert search.predict(X_TEST[:5]).shape == (5,)


def test_tiny_tail_classes_and_user_validation_set():
    y = np.array(["head"] * 40 + ["mid"] * 4 + ["one"])
    X = X_TRAIN[:45]
    # a class of one stays in training, out of the hold-out that chooses the epochs kept and τ: said
    with pytest.warns(
        UserWarning, match=r"no sample of 1 of the 3 classes \(\['one'\]\): each has a single"
    ) as said:
        clf = LTDDClassifier(**FAST).fit(X, y)
    assert said[0].filename == __file__  # the user's line
    assert set(clf.predict(X)) <= set(y)
    # a head and classes of one: the hold-out's balanced accuracy is the head's recall, and says so
    # (labels as pandas holds them: Python strings in an object array)
    singletons = np.array(["head"] * 40 + [f"one{i:02d}" for i in range(30)], dtype=object)
    with pytest.warns(UserWarning, match=r"of 30 of the 31 classes \(\['one00', .* and 25 more\)") as said:
        clf = BaselineClassifier(**RUN).fit(X_TRAIN[:70], singletons)
    assert "chosen on the recall of 'head' alone (a balanced accuracy over one class, which no" in str(
        said[0].message
    )
    assert clf.logit_adjustment_ == 0
    train, valid = stratified_holdout(np.array([0] * 40 + [1] * 4 + [2]), 0.1, np.random.RandomState(0))
    assert np.bincount(np.array([0] * 40 + [1] * 4 + [2])[valid], minlength=3).tolist() == [4, 1, 0]
    assert len(np.intersect1d(train, valid)) == 0 and len(train) + len(valid) == 45
    every_class = np.concatenate([np.flatnonzero(Y_TEST == c)[:10] for c in np.unique(Y_SMALL)])
    with_valid = LTDDClassifier(**FAST).fit(
        X_SMALL, Y_SMALL, validation_data=(X_TEST[every_class], Y_TEST[every_class])
    )
    assert "valid_ba" in with_valid.history_[-1]
    no_valid = LTDDClassifier(**FAST, validation_fraction=0.0, early_stopping=None).fit(X_SMALL, Y_SMALL)
    assert "valid_ba" not in no_valid.history_[-1]


@given(st.lists(st.integers(0, 3), min_size=1, max_size=60), st.integers(0, 2**31 - 1))
def test_oversample_keeps_every_sample_and_balances_classes(labels, seed):
    y = np.array(labels)
    positions = np.arange(100, 100 + len(y))  # training positions need not start at 0
    drawn = oversample(positions, y, np.random.RandomState(seed))
    assert set(positions) <= set(drawn.tolist()) <= set(positions.tolist())
    drawn_labels = y[drawn - 100]
    counts = np.unique(y, return_counts=True)[1]
    assert np.unique(drawn_labels, return_counts=True)[1].tolist() == [counts.max()] * len(counts)


@given(
    st.lists(st.tuples(st.integers(0, 12), st.integers(0, 2)), min_size=1, max_size=60),
    st.integers(0, 2**31 - 1),
)
def test_the_hold_out_keeps_the_copies_of_a_molecule_on_one_side(rows, seed):
    groups, y = (np.array(column) for column in zip(*rows, strict=True))
    train, valid = stratified_holdout(y, 0.2, np.random.RandomState(seed), groups)
    assert sorted([*train, *valid]) == list(range(len(y)))
    pairs_held_out = set(zip(groups[valid], y[valid], strict=True))
    assert not pairs_held_out & set(zip(groups[train], y[train], strict=True))
    for c in np.unique(y):  # the rule of the rows, counted in molecules of the class
        n_molecules = len(set(groups[y == c]))
        n_held_out = len({g for g, label in pairs_held_out if label == c})
        assert (n_held_out >= 1) == (n_molecules >= 2) and n_held_out < max(n_molecules, 2)
    # without a repeated (molecule, class) it is the split of the rows: every molecule distinct,
    # or each given twice under two labels (rows 2k and 2k + 1)
    rows = np.arange(len(y))
    for molecules, labels in ((rows, y), (rows // 2, rows % 3)):
        expected = stratified_holdout(labels, 0.2, np.random.RandomState(seed))
        got = stratified_holdout(labels, 0.2, np.random.RandomState(seed), molecules)
        for part, want in zip(got, expected, strict=True):
            np.testing.assert_array_equal(part, want)


def test_a_molecule_written_three_ways_is_not_validated_on_its_own_copies(monkeypatch):
    held = []
    split = _validation.stratified_holdout
    monkeypatch.setattr(
        _validation, "stratified_holdout", lambda *args: held.append(split(*args)) or held[-1]
    )
    molecules = X_SMALL[:40]
    respelled = [Chem.MolToRandomSmilesVect(Chem.MolFromSmiles(s), 1, randomSeed=7)[0] for s in molecules]
    assert sum(a != b for a, b in zip(molecules, respelled, strict=True)) > 30
    X = np.concatenate([molecules, respelled, molecules])
    y = np.tile(Y_SMALL[:40], 3)
    BaselineClassifier(**RUN).fit(X, y)
    ((train, valid),) = held
    which = np.tile(np.arange(40), 3)  # the molecule of each row
    assert len(valid) and not set(which[valid]) & set(which[train])


def test_sample_weight(assert_same_predictions):
    ones = LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL, sample_weight=np.ones(90)).predict_proba(X_TEST[:10])
    none = LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL).predict_proba(X_TEST[:10])
    assert_same_predictions(ones, none)
    # a class whose samples all weigh 0 is not trained on (a bootstrap that drew none of it): the
    # network is the one fitted without its samples, and says so; but the class stays among
    # classes_, as in scikit-learn's classifiers, with probability 0, never predicted
    zero = Y_SMALL == "high"
    with pytest.warns(
        UserWarning,
        match=r"classes \['high'\] have no sample with a positive sample_weight.*never predicts them",
    ):
        weighted = LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL, sample_weight=np.where(zero, 0.0, 1.0))
    without = LTDDClassifier(**FAST).fit(X_SMALL[~zero], Y_SMALL[~zero])
    assert weighted.classes_.tolist() == ["high", "low", "medium"]
    assert without.classes_.tolist() == ["low", "medium"]
    assert weighted.class_log_prior_[0] == -np.inf
    np.testing.assert_array_equal(weighted.class_log_prior_[1:], without.class_log_prior_)
    proba = weighted.predict_proba(X_TEST)
    assert (proba[:, 0] == 0).all()
    with np.errstate(all="raise"):  # its -1e300 is 0, not an underflow error
        np.testing.assert_array_equal(weighted.predict_proba(X_TEST), proba)
        assert (screen(weighted, X_TEST)["proba_high"] == 0).all()
        assert (screen(weighted, X_TEST, top_k=3)["proba_3"] == 0).all()
    assert_same_predictions(proba[:, 1:], without.predict_proba(X_TEST))
    assert "high" not in set(weighted.predict(X_TEST))
    log_proba, scores = weighted.predict_log_proba(X_TEST), weighted.decision_function(X_TEST)
    assert (log_proba[:, 0] == -1e300).all() and np.isfinite(log_proba).all()
    # finite when an ensemble adds up members' scores (the float minimum overflowed at two)
    assert np.isfinite(np.sum([log_proba] * 1000, axis=0)).all()
    # the decision's score is in the scale of the others, for the models fitted on scores
    np.testing.assert_array_equal(scores[:, 0], scores[:, 1:].min(axis=1) - 30)
    assert_same_predictions(scores[:, 2] - scores[:, 1], without.decision_function(X_TEST))  # binary
    # a stacking's final estimator, fitted on a fold holding the class's few weighted samples
    few = np.where(Y_TEST == "high", 0.0, 1.0)
    few[np.flatnonzero(Y_TEST == "high")[:2]] = 1.0
    final = LogisticRegression().fit(scores, Y_TEST, sample_weight=few)
    assert final.score(scores, Y_TEST, sample_weight=few) > 0.6  # at -1e300 its solver stopped at 0
    # validation rows of such a class: named as left out by the weights, not as "not seen in fit"
    with (
        pytest.warns(UserWarning, match="no sample with a positive"),
        pytest.raises(
            ValueError,
            match=r"validation_data: y contains labels \['high'\] of classes that fit does not train on",
        ),
    ):
        rows = np.r_[np.flatnonzero(Y_TEST == "high")[:3], np.flatnonzero(Y_TEST != "high")[:17]]
        valid = (X_TEST[rows], Y_TEST[rows])
        LTDDClassifier(**FAST).fit(
            X_SMALL, Y_SMALL, sample_weight=np.where(zero, 0.0, 1.0), validation_data=valid
        )
    two = np.isin(Y_SMALL, ["high", "low"])
    with pytest.raises(
        ValueError,
        match=r"only one class with a positive sample_weight \('medium'\); a classifier needs at least "
        r"two\. The samples of \['high', 'low'\] all weigh 0 \(a BaggingClassifier member's bootstrap",
    ):
        LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL, sample_weight=np.where(two, 0.0, 1.0))
    with pytest.raises(ValueError, match="sample_weight"):
        LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL, sample_weight=-np.ones(90))
    with pytest.raises(
        ValueError, match=r"sample_weight must be a number or hold one weight per sample .* shape \(90, 1\)"
    ):
        LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL, sample_weight=np.ones((90, 1)))


def test_weights_of_any_scale_fit_as_their_ratios(assert_same_predictions):
    none = BaselineClassifier(**RUN).fit(X_SMALL, Y_SMALL).predict_proba(X_TEST[:10])
    for scale in (1e-30, 1e39):  # in float32 the first vanishes against the losses, the second overflows
        scaled = BaselineClassifier(**RUN).fit(X_SMALL, Y_SMALL, sample_weight=np.full(90, scale))
        assert_same_predictions(scaled.predict_proba(X_TEST[:10]), none)


def test_a_diverged_training_is_an_error_not_nan_predictions(assert_same_predictions):
    with pytest.raises(ValueError, match=r"training diverged: the loss of \d of 3 batches of epoch 1 is not"):
        BaselineClassifier(**{**RUN, "lr": 1e12}).fit(X_SMALL, Y_SMALL)
    # LTDD's re-clustering sees it first (on the CPU; CUDA's arithmetic, which sums in no fixed
    # order, can reach a NaN loss first): not "rows of X have zero norm", which blamed the input
    first = r"(embeds \d+ of \d+ training molecules as zero|training diverged: the loss)"
    with pytest.raises(ValueError, match=rf"{first} .*lr=1e\+12"):
        LTDDClassifier(**{**FAST, "lr": 1e12}).fit(X_SMALL, Y_SMALL)
    # a temperature near zero overflows the contrastive term at any lr: the advice names it too
    with pytest.raises(
        ValueError, match=r"lower lr \(lr=0.001\), or raise a temperature .*\(tau=2e-38, tau1=0.1"
    ):
        LTDDClassifier(**{**FAST, "contrast": SubclusterContrast(tau=2e-38)}).fit(X_SMALL, Y_SMALL)
    with pytest.raises(
        ValueError, match=r"lower lr \(lr=0.001\), or .*lower a huge weight .*term_a_scale=3e\+38"
    ):
        LTDDClassifier(**{**FAST, "contrast": SubclusterContrast(term_a_scale=3e38)}).fit(X_SMALL, Y_SMALL)
    # a weight decay of 1e308 overflows the weights at any lr: named beside it (it was lr alone)
    with pytest.raises(
        ValueError, match=r"lower lr \(lr=[\d.e-]+\) or weight_decay \(weight_decay=1e\+308\)"
    ):
        BaselineClassifier(**{**RUN, "weight_decay": 1e308}).fit(X_SMALL, Y_SMALL)
    clf = BaselineClassifier(**RUN).fit(X_SMALL, Y_SMALL)
    before = clf.predict_proba(X_TEST[:5])
    with pytest.raises(ValueError, match="training diverged"):
        clf.set_params(lr=1e12).fit(X_SMALL, Y_SMALL)
    assert_same_predictions(clf.predict_proba(X_TEST[:5]), before)  # the model as it was


def test_zero_embeddings_before_any_step_are_not_called_a_divergence():
    """hidden=1 without a warm-up: the untrained network puts molecules at zero (ReLU), and the
    first sub-clustering said "training has broken down, most often by diverging; lower lr"."""
    clf = LTDDClassifier(hidden=1, schedule=schedule(warmup_epochs=0), max_epochs=2, validation_fraction=0,
                         early_stopping=None, random_state=3, device="cpu")  # fmt: skip
    with pytest.raises(ValueError, match=r"the untrained network \(hidden=1\) embeds \d+ of 60 training "
                       r"molecules as zero .*widen it .*schedule__warmup_epochs=1 or more"):  # fmt: skip
        clf.fit(X_TRAIN[:60], Y_TRAIN[:60])


class _BlowUp(Callback):
    """The learning rate jumps to 1e12 at the fourth epoch."""

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == 4:
            for group in net.optimizer_.param_groups:
                group["lr"] = 1e12


class _LateBlowUp(BaselineClassifier):
    def _build_net(self, *args):
        net = super()._build_net(*args)
        net.callbacks.append(("blow_up", _BlowUp()))
        return net


def test_a_training_that_diverges_after_an_epoch_was_kept_stops_there_and_keeps_it():
    with pytest.warns(RuntimeWarning, match=r"epoch 4 is not finite .*keeps the model from its") as caught:
        clf = _LateBlowUp(**{**RUN, "max_epochs": 8}).fit(X_SMALL, Y_SMALL)
    assert caught[0].filename == __file__  # the line that called fit, past skorch's loop
    assert len(clf.history_) == 4 and np.flatnonzero(clf.history_[:, "valid_ba_best"]).max() < 3
    assert clf.history_[-1, "stop"] == "diverged"
    # stopped inside its epoch, whose row has the others' columns: two columns of the history align
    assert set(clf.history_[-1]) - {"stop"} == set(clf.history_[-2])
    assert len(clf.history_[:, "valid_ba"]) == len(clf.history_[:, "kept"]) == 4
    # the best epoch alone: the epochs before a blow-up are no part of the model kept
    best = np.flatnonzero(clf.history_[:, "valid_ba_best"]).max()
    assert np.flatnonzero(clf.history_[:, "kept"]).tolist() == [best]
    assert np.isfinite(clf.predict_proba(X_TEST[:10])).all()


def test_an_epoch_of_nan_outputs_is_never_kept_and_ends_training_as_a_divergence():
    calls = []

    def epoch(scores, logits):
        net = SimpleNamespace(history=History(), lr=0.5, diverged=calls.append)
        net.history.new_epoch()
        net.history.record("epoch", 1)
        batch = (None, {"y": torch.tensor([0, 1]), "weight": torch.ones(2)})
        scores.on_batch_end(net, batch=batch, training=False, y_pred=(logits,))
        scores.on_epoch_end(net)
        return net.history[-1]

    nan, right = torch.tensor([[np.nan, 0.0], [0.0, 1.0]]), torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    scores = ValidationScores(Phases([Phase("ce")])).initialize()
    row = epoch(scores, right)
    assert row["valid_ba"] == 1.0 and row["valid_ba_best"] and not calls
    row = epoch(scores, nan)  # argmax takes NaN for the largest: here the right classes, BA 1
    assert np.isnan(row["valid_ba"]) and not row["valid_ba_best"]
    assert calls == ["training diverged: the network's validation outputs in epoch 1 are NaN or infinite"]


class _InfiniteAtValidation(Callback):
    """The network's weights turn infinite after the training pass of the given epoch: its
    training loss is finite, its validation outputs are not (a learning rate of 1e6 did this,
    and the fit went on to keep a model of one class, saying nothing)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_batch_begin(self, net, training=False, **kwargs):
        if not training and len(net.history) == self.epoch:
            with torch.no_grad():
                for parameter in net.module_.parameters():
                    parameter.fill_(float("inf"))


class _InfiniteBaseline(BaselineClassifier):
    def __init__(self, *, at_epoch=1, **params):
        super().__init__(**params)
        self.at_epoch = at_epoch

    def _build_net(self, *args):
        net = super()._build_net(*args)
        net.callbacks.append(("infinite", _InfiniteAtValidation(self.at_epoch)))
        return net


def test_validation_outputs_that_overflow_stop_training():
    with pytest.raises(ValueError, match=r"validation outputs in epoch 1 are NaN or infinite; lower lr"):
        _InfiniteBaseline(**RUN).fit(X_SMALL, Y_SMALL)
    with pytest.warns(RuntimeWarning, match=r"outputs in epoch 3 are NaN or infinite; training stops here"):
        clf = _InfiniteBaseline(**{**RUN, "max_epochs": 6}, at_epoch=3).fit(X_SMALL, Y_SMALL)
    assert len(clf.history_) == 3 and clf.history_[-1, "stop"] == "diverged"
    assert np.isfinite(clf.predict_proba(X_TEST[:10])).all()


def test_a_model_of_one_class_is_named_with_the_learning_rate():
    """A learning rate far too large gave outputs huge but finite, and a model that predicted one
    class for every molecule, without a word."""
    # one class (on the CPU), or (CUDA's arithmetic, in no fixed order) several, with a
    # cross-entropy far too large
    one_class = r"predicts '\w+' for all 9 validation samples, of 3"
    seen = rf"({one_class}|9 validation samples a mean cross-)"
    with pytest.warns(RuntimeWarning, match=rf"{seen}.*diverged.*lr=100") as caught:
        clf = LTDDClassifier(**{**FAST, "lr": 100}).fit(X_SMALL, Y_SMALL)
    if any(re.search(one_class, str(w.message)) for w in caught):
        assert np.unique(clf.predict(X_TEST)).size == 1
    # without a validation set, training rows show it (the warning came only with one)
    unvalidated = {**RUN, "lr": 100, "validation_fraction": 0, "early_stopping": None}
    # one class predicted, or (torch 2.4's arithmetic) several, all with a cross-entropy far too large
    diverged = r"(for all 90 training samples checked, of 3 classes|the 90 training samples checked a mean)"
    for clf in (LTDDClassifier(**unvalidated, schedule=schedule()), BaselineClassifier(**unvalidated)):
        with pytest.warns(RuntimeWarning, match=diverged + ".*lr=100"):
            clf.fit(X_SMALL, Y_SMALL)
    # a model that learned little also predicts one class, unsure of it: no divergence to name
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        short = BaselineClassifier(**{**RUN, "lr": 1e-7, "max_epochs": 1}).fit(X_SMALL, Y_SMALL)
        unvalidated = {**RUN, "lr": 1e-7, "max_epochs": 1, "validation_fraction": 0, "early_stopping": None}
        short_unvalidated = BaselineClassifier(**unvalidated).fit(X_SMALL, Y_SMALL)
    assert np.unique(short.predict(X_SMALL)).size == np.unique(short_unvalidated.predict(X_SMALL)).size == 1
    assert not [w for w in caught if "predicts" in str(w.message)]


class _NanAtTheEnd(Callback):
    """The network's weights turn NaN as the last epoch ends, after every loss training checks
    (lr=1e3 did this in one step: without a validation set the fit returned NaN probabilities
    and predicted the first class for every molecule, without a word)."""

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == net.max_epochs:
            with torch.no_grad():
                for parameter in net.module_.parameters():
                    parameter.fill_(float("nan"))


class _NanBaseline(BaselineClassifier):
    def _build_net(self, *args):
        net = super()._build_net(*args)
        net.callbacks.append(("nan", _NanAtTheEnd()))
        return net


def test_nan_outputs_after_the_last_step_are_an_error_without_a_validation_set():
    unvalidated = {**RUN, "validation_fraction": 0, "early_stopping": None}
    with pytest.raises(
        ValueError,
        match=r"training diverged: the model's outputs for the training samples checked are NaN; lower lr",
    ):
        _NanBaseline(**unvalidated).fit(X_SMALL, Y_SMALL)


def test_a_far_off_model_is_named_whatever_the_classes_of_the_validation_set():
    """A validation set of one class skipped every check of a diverged model (a mean
    cross-entropy of 10^6 nats, unwarned): only the check of one class predicted for all needs two."""
    one = Y_TEST == Y_TEST[0]
    with (
        pytest.warns(UserWarning, match="validation_data holds only the class"),
        pytest.warns(
            RuntimeWarning,
            match=r"gives the 9 validation samples a mean cross-entropy of .*diverged.*lr=100\)",
        ),
    ):
        BaselineClassifier(**{**RUN, "lr": 100}).fit(
            X_SMALL, Y_SMALL, validation_data=(X_TEST[one][:9], Y_TEST[one][:9])
        )


def test_a_model_of_several_classes_but_far_off_is_named_with_the_learning_rate():
    """lr=1 left a validation cross-entropy of hundreds of nats (lr=1e5: 1e12), and a model that
    still predicted every class, without a word; lr=0.01 trains, and is not warned of."""
    with pytest.warns(
        RuntimeWarning, match=r"gives the 9 validation samples a mean cross-entropy of .*lr=1\)"
    ):
        clf = BaselineClassifier(**{**RUN, "lr": 1}).fit(X_SMALL, Y_SMALL)
    assert np.unique(clf.predict(X_SMALL)).size > 1  # not the collapse of one class
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        BaselineClassifier(**{**RUN, "lr": 0.01}).fit(X_SMALL, Y_SMALL)


def test_the_validation_loss_is_the_weighted_mean_of_its_samples():
    from sklearn_ltdd.classifier._net import LTDDNet

    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    target = {"y": torch.tensor([0, 0, 1]), "weight": torch.tensor([1.0, 3.0, 0.0])}
    per_sample = torch.nn.functional.cross_entropy(logits, target["y"], reduction="none")
    loss = LTDDNet.get_loss(SimpleNamespace(device="cpu"), (logits,), target, training=False)
    assert loss.item() == pytest.approx((per_sample[0] + 3 * per_sample[1]).item() / 4)


def test_the_hold_out_is_scored_with_its_samples_weights(monkeypatch, assert_same_predictions):
    # as scikit-learn's estimators score theirs: the epochs kept and τ follow the weighted scores
    held, scored = [], []
    split, score = _validation.stratified_holdout, ValidationScores._scores
    monkeypatch.setattr(
        _validation, "stratified_holdout", lambda *args: held.append(split(*args)) or held[-1]
    )
    monkeypatch.setattr(
        ValidationScores, "_scores", lambda self, *args: scored.append(args[2].clone()) or score(self, *args)
    )
    weights = np.random.RandomState(0).randint(1, 5, 90).astype(float)
    BaselineClassifier(**RUN).fit(X_SMALL, Y_SMALL, sample_weight=weights)
    ((_, valid_idx),) = held
    assert len(scored) == RUN["max_epochs"]
    for weight in scored:  # (the fit scales weights to mean 1)
        np.testing.assert_allclose(weight.cpu().numpy(), weights[valid_idx] / weights.mean(), rtol=1e-6)
    # validation_data's samples: with the weights given as its third item
    scored.clear()
    rows = np.concatenate([np.flatnonzero(Y_TEST == label)[:5] for label in ("high", "low", "medium")])
    valid_weights = np.arange(1.0, 16.0)

    def fit(weights):
        return BaselineClassifier(**RUN).fit(
            X_SMALL, Y_SMALL, validation_data=(X_TEST[rows], Y_TEST[rows], weights)
        )

    expected = fit(valid_weights).predict_proba(X_TEST[:10])
    assert len(scored) == RUN["max_epochs"]
    for weight in scored:  # (scaled to mean 1, as the training weights are)
        np.testing.assert_allclose(weight.cpu().numpy(), valid_weights / valid_weights.mean(), rtol=1e-6)
    for scale in (1e-40, 1e39):  # only their ratios count: float32 neither vanishes nor overflows
        assert_same_predictions(fit(valid_weights * scale).predict_proba(X_TEST[:10]), expected)
    valid_weights[:5] = 0.0  # "high" weighs nothing: it has no say, and that is said
    with pytest.warns(UserWarning, match=r"validation_data has no sample of positive weight of 1 of the 3"):
        fit(valid_weights)


def test_the_holdout_keeps_together_what_the_encoder_cannot_tell_apart(monkeypatch):
    """Graphs with bond features given to a GCN (which reads atoms only): E/Z twins of one label
    were told apart by their bonds, and 10 of 18 hold-out rows were copies of training inputs."""
    from sklearn_ltdd.classifier import _base

    smiles, labels = [], []
    for n in range(1, 31):
        smiles += [f"C/C=C/{'C' * n}O", f"C/C=C\\{'C' * n}O"]
        labels += [f"c{n % 3}"] * 2
    graphs = SmilesGraphizer(bond_features=True).fit_transform(smiles)
    split, holdout = [], _base.holdout
    monkeypatch.setattr(_base, "holdout", lambda *args: split.append(holdout(*args)) or split[-1])
    for encoder, together in (("gcn", True), ("gine", False)):
        params = {**RUN, "encoder": encoder, "validation_fraction": 0.3, "early_stopping": None}
        BaselineClassifier(**params).fit(graphs, np.array(labels))
        train, valid = split[-1]
        twins_apart = len(set(train // 2) & set(valid // 2))  # rows 2k and 2k + 1 are twins
        assert (twins_apart == 0) == together, encoder


def test_a_loss_of_class_counts_on_a_resampled_set_decides_as_cross_entropy(assert_same_predictions):
    """With resample=True the counts that "cs" or "cdt" take out are equal: they train as "ce"
    (the same network), but decided with τ 0 where "ce" takes τ 1, so the prior that sample
    weights add stayed in: 66 of 80 test molecules predicted otherwise than by "ce"."""
    weights = np.where(Y_SMALL == "high", 5.0, 1.0)
    run = {**RUN, "resample": True, "validation_fraction": 0, "early_stopping": None}
    ce = BaselineClassifier(loss="ce", **run).fit(X_SMALL, Y_SMALL, sample_weight=weights)
    assert ce.logit_adjustment_ == 1.0
    for loss in ("cs", "cdt"):
        same = BaselineClassifier(loss=loss, **run).fit(X_SMALL, Y_SMALL, sample_weight=weights)
        assert same.logit_adjustment_ == 1.0
        assert_same_predictions(same.decision_function(X_TEST[:40]), ce.decision_function(X_TEST[:40]))
    # decoupling balances its batches, not counts: its prior stays out with resampling too
    decoupled = BaselineClassifier(loss="decoupling", **run).fit(X_SMALL, Y_SMALL, sample_weight=weights)
    assert decoupled.logit_adjustment_ == 0.0
    assert (
        BaselineClassifier(loss="cs", **{**run, "resample": False}).fit(X_SMALL, Y_SMALL).logit_adjustment_
        == 0
    )


def test_weight_ratios_that_float32_holds_as_zero_are_refused():
    """Weights of 1e-50 beside 1: their samples counted as there (their class trained on, and
    scored in validation) but weighed exactly 0 in float32; the validation's balanced accuracy
    left their class out (0.6, against 0.57 with it) with no word."""
    weights = pd.Series(np.where(Y_SMALL == "low", 1e-50, 1.0), index=[f"m{i}" for i in range(len(Y_SMALL))])
    first = f"m{np.flatnonzero(Y_SMALL == 'low')[0]}"
    n_low = int((Y_SMALL == "low").sum())
    said = (
        rf"index label {first}'s weight, 1e-50, is .* times the mean positive weight, .*\({n_low} such rows"
    )
    with pytest.raises(
        ValueError, match="sample_weight's ratios exceed what training's float32 holds: " + said
    ):
        LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL, sample_weight=weights)
    valid = (X_TEST[:15], Y_TEST[:15], np.r_[1e300, np.ones(14)])  # in float64 already: 1e-300 of it
    with pytest.raises(
        ValueError, match=r"^validation_data: sample_weight's ratios .*: row 1's weight, 1, is"
    ):
        BaselineClassifier(**RUN).fit(X_SMALL, Y_SMALL, validation_data=valid)
    # weight 0 leaves a sample out, and ratios of 1e-30 are held
    weights = np.where(Y_SMALL == "low", 1e-30, 1.0)
    weights[:3] = 0.0
    LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL, sample_weight=weights)


@pytest.mark.parametrize(
    "make",
    [lambda: LTDDClassifier(**FAST), lambda: BaselineClassifier(loss="bs", **RUN)],
    ids=["ltdd", "balanced softmax"],
)
def test_a_sample_of_weight_zero_is_not_there(make, assert_same_predictions):
    # as in scikit-learn: not in the hold-out, the class sizes, the sub-clusters or the contrastive
    # terms; the fit equals one without those samples, whatever their labels
    zero = np.arange(0, 90, 4)
    weights = np.ones(90)
    weights[zero] = 0.0
    relabelled = Y_SMALL.copy()
    relabelled[zero] = np.roll(Y_SMALL[zero], 1)
    kept = weights > 0
    weighted = make().fit(X_SMALL, relabelled, sample_weight=weights).predict_proba(X_TEST[:20])
    without = make().fit(X_SMALL[kept], Y_SMALL[kept]).predict_proba(X_TEST[:20])
    assert_same_predictions(weighted, without)
    # graphs too: they are taken by the weights' positions once featurised, the labels before
    graphs = make()._featurizer_of_params().fit_transform(X_SMALL)
    weighted = make().fit(graphs, relabelled, sample_weight=weights).predict_proba(X_TEST[:20])
    assert_same_predictions(weighted, without)


def test_validation_data_is_a_checked_pair_or_triple():
    clf = BaselineClassifier(**RUN)
    X_valid, y_valid = X_TEST[:20], Y_TEST[:20]
    for passed, message in [
        (
            (X_valid,),
            r"must be \(X_valid, y_valid\) or \(X_valid, y_valid, sample_weight_valid\), got 1 item\.$",
        ),
        ((X_valid, y_valid, np.ones(20), None), r"got 4 items\.$"),
        ((X_valid, y_valid, np.ones(19)), "validation_data: sample_weight has 19 weights for 20 samples"),
        (X_valid, "got a ndarray"),
        ((X_valid, None), r"is \(X_valid, None\); it needs the labels"),
        ((X_valid, y_valid[:19]), "validation_data: X has 20 samples but y has 19 labels"),
        ((X_valid, ["new"] * 20), r"validation_data: y contains labels \['new'\] not seen in fit"),
    ]:
        with pytest.raises(ValueError, match=message):
            clf.fit(X_SMALL, Y_SMALL, validation_data=passed)
    # a TypeError of its labels names validation_data too (fit's own y was blamed)
    with pytest.raises(
        TypeError, match=r"^validation_data: y must be a sequence of labels, one per sample, not one str"
    ):
        clf.fit(X_SMALL, Y_SMALL, validation_data=(X_valid, "abc"))
    invalid = r"^1 of validation_data's X rows is not valid SMILES"
    with pytest.raises(InvalidSmilesError, match=invalid) as error:
        clf.fit(X_SMALL, Y_SMALL, validation_data=(["CCO", "C1CC"], ["low", "high"]))
    assert list(error.value.bad_rows) == [1]
    labelled = pd.Series(["CCO", "C1CC"], index=[7, 9])  # named by its labels, which X may share
    with pytest.raises(InvalidSmilesError, match=r"^1 of validation_data's X rows \(by their index labels"):
        clf.fit(X_SMALL, Y_SMALL, validation_data=(labelled, ["low", "high"]))
    with pytest.raises(ValueError) as error:  # another error of X_valid (two columns): a note says so
        clf.fit(X_SMALL, Y_SMALL, validation_data=(np.array([["CCO", "C"], ["CC", "O"]]), ["low", "high"]))
    assert "the X meant is X_valid" in error.value.__notes__[0]
    with pytest.warns(
        UserWarning, match="validation_data holds only the class 'low': its balanced accuracy"
    ) as caught:
        clf.fit(X_SMALL, Y_SMALL, validation_data=(X_valid[:5], ["low"] * 5))
    assert caught[0].filename == __file__  # the line that called fit


def test_validation_data_without_a_class_is_said_and_one_sample_per_class_is_no_regression_hint():
    clf = LTDDClassifier(**FAST)
    classes = np.unique(Y_SMALL)
    valid = np.concatenate([np.flatnonzero(Y_TEST == c)[:10] for c in classes[:-1]])
    with pytest.warns(UserWarning) as caught:
        clf.fit(X_SMALL, Y_SMALL, validation_data=(X_TEST[valid], Y_TEST[valid]))
    (message,) = [str(w.message) for w in caught]
    assert message.startswith(f"validation_data has no sample of 1 of the 3 classes (['{classes[-1]}'])")
    # 24 classes of three, and a validation set and test set of one sample each: more than half as
    # many classes as samples, which sklearn takes for a regression target (a warning, an error
    # under this suite's filters), where it is what a many-class hold-out looks like
    y = np.repeat([f"c{k:02d}" for k in range(24)], 3)
    one_each = np.arange(0, 72, 3)
    # (rows of the training set: that is said too, as they are scored as what the network learned)
    with pytest.warns(UserWarning, match=r"24 of the 24 rows of validation_data are training molecules"):
        clf.set_params(validation_fraction=0).fit(
            X_TRAIN[:72], y, validation_data=(X_TRAIN[one_each], y[one_each])
        )
    assert 0 <= clf.score(X_TRAIN[one_each], y[one_each]) <= 1


def test_pipeline_with_graphizer_and_reaction_pairs():
    reactions = ["CC(=O)O.OCC>>CC(=O)OCC", "CCO>>CC=O", "c1ccccc1.BrBr>>Brc1ccccc1", "CC=C.[H][H]>>CCC"] * 6
    y = ["esterification", "oxidation", "halogenation", "reduction"] * 6
    # with both options: the pair's fingerprint is the reaction's difference fingerprint
    graphizer = SmilesGraphizer(reaction_mode="pair", bond_features=True, fingerprint="morgan")
    options = {"encoder": "gine", "fingerprint": "morgan"}
    model = make_pipeline(graphizer, LTDDClassifier(**FAST, **options, reaction_mode="pair"))
    # four reactions, six copies each: a hold-out has nothing but copies, and says so
    with pytest.warns(UserWarning, match=r"every class is a single molecule \(or reaction, .*\), given"):
        assert model.fit(reactions, y).predict(reactions[:4]).shape == (4,)
    with pytest.raises(ValueError, match="reaction_mode='pair', expected None") as error:
        LTDDClassifier(**FAST, **options).fit(graphizer.fit_transform(reactions), y)
    # the fix is most often on the classifier: the message says so too
    assert str(error.value).endswith(
        "give this LTDDClassifier reaction_mode='pair' (its featuriser's must match the graphs')."
    )
    # but a fitted model reads the graphs of its fit's setting only: setting it changes nothing
    fitted = model[-1]
    with pytest.raises(ValueError, match=r"reaction_mode='products', expected 'pair'") as error:
        fitted.predict(SmilesGraphizer(reaction_mode="products").fit_transform(reactions[:2]))
    assert str(error.value).endswith(
        "fit a model with reaction_mode='products' on such graphs (this one reads graphs made with "
        "reaction_mode='pair', as its training set was)."
    )


def test_bad_input():
    with pytest.raises(NotFittedError):
        LTDDClassifier().predict(X_SMALL)
    with pytest.raises(ValueError, match="X has 90 samples but y has 89"):
        LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL[:-1])
    with pytest.raises(ValueError, match="X has 90 samples but y has 0 labels"):  # not numpy's reshape error
        LTDDClassifier(**FAST).fit(X_SMALL, [])
    with pytest.raises(ValueError, match=r"only one class \('low'\)"):
        LTDDClassifier(**FAST).fit(X_SMALL, ["low"] * 90)
    with pytest.raises(ValueError, match="X is empty"):
        LTDDClassifier(**FAST).fit([], [])
    with pytest.raises(InvalidSmilesError, match=r"row 1: 'C1CC'.*\n.*in a fit, their labels"):
        LTDDClassifier(**FAST).fit(["CCO", "C1CC", "CCN"], ["a", "b", "a"])
    with pytest.raises(ValueError, match="edge_drop must be two probabilities"):
        LTDDClassifier(**FAST, contrast=SubclusterContrast(edge_drop=(0.1,))).fit(X_SMALL, Y_SMALL)
    with pytest.raises(ValueError, match=r"edge_drop must be two probabilities .*\(0\.1, None\)"):
        LTDDClassifier(**FAST, contrast=SubclusterContrast(edge_drop=(0.1, None))).fit(X_SMALL, Y_SMALL)
    # a bool is no probability (False passed the options' check and failed in the network's)
    with pytest.raises(ValueError, match=r"edge_drop must be two probabilities .*\(False, 0\.1\)"):
        SubclusterContrast(edge_drop=(False, 0.1)).check()
    for views in ((1.0, 0.1), (0.1, 1)):  # a view with every bond dropped is no view of the molecule
        with pytest.raises(ValueError, match=r"edge_drop must be two probabilities in \[0, 1\), got"):
            SubclusterContrast(edge_drop=views).check()
    assert SubclusterContrast(edge_drop=(0.0, 0.99)).check().edge_drop == (0.0, 0.99)
    # beyond float32, where the losses compute: was torch's "cannot be converted ... without overflow"
    for name, value in (("tau1", 1e39), ("tau2", 1e39), ("tau", 1e-39), ("beta", 1e300)):
        with pytest.raises(ValueError, match=rf"'{name}' parameter of SubclusterContrast must be a float"):
            LTDDClassifier(**FAST, contrast=SubclusterContrast(**{name: value})).fit(X_SMALL, Y_SMALL)
    with pytest.raises(TypeError, match="not an iterator"):
        LTDDClassifier(**FAST).fit((s for s in X_SMALL), Y_SMALL)


@pytest.mark.parametrize(
    "labels",
    [
        ["low", "high", np.nan, "low"],  # numpy would make this NaN the string 'nan'
        ["low", "high", None, "low"],
        pd.Series(["low", "high", pd.NA, "low"], dtype="string"),
        pd.Series(["low", "high", None, "low"], dtype="category"),
        np.array([0.0, 1.0, np.nan, 0.0]),
        np.array(["low", "high", None, "low"], dtype=object).reshape(-1, 1),
    ],
    ids=["nan-in-list", "none", "pd.NA", "categorical", "float-nan", "column"],
)
def test_missing_labels_are_named_whatever_holds_them(labels):
    with pytest.raises(ValueError, match=r"y has 1 missing labels \(None, NaN or NA\) at rows \[2\]"):
        LTDDClassifier(**FAST).fit(X_SMALL[:4], labels)


@pytest.mark.parametrize(
    ("labels", "what"),
    [
        (["low", "high", "", "low"], "blank labels"),  # a CSV's empty cell, read with keep_default_na=False
        (np.array(["low", "high", "  ", "low"]), "blank labels"),
        (pd.Series(["low", "high", "", "low"], dtype="string"), "blank labels"),
        (np.array(["low", "high", "", "low"], dtype=np.dtypes.StringDType()), "blank labels"),
        (np.array([0.0, 1.0, np.inf, 0.0]), "infinite labels"),
        ([0.0, 1.0, -np.inf, 0.0], "infinite labels"),
    ],
    ids=["empty", "spaces", "pd.string", "StringDType", "inf", "-inf-in-list"],
)
def test_blank_and_infinite_labels_are_named(labels, what):
    """An empty label was a class of its own, '' among the classes; an infinite one gave
    sklearn's "Input contains infinity" without a row."""
    with pytest.raises(ValueError, match=rf"y has 1 {what} .*at rows \[2\]"):
        LTDDClassifier(**FAST).fit(X_SMALL[:4], labels)


def test_a_split_frame_s_bad_rows_labels_and_weights_are_named_by_its_index():
    """After train_test_split a frame's index is shuffled: fit, validation_data and predict named
    a bad SMILES by position, which X.drop(index=...) took for the label of another molecule."""
    frame = pd.DataFrame({"smiles": X_SMALL[:40], "y": Y_SMALL[:40]}).sample(frac=1, random_state=0)
    bad = frame.index[5]  # at position 5, labelled otherwise
    assert bad != 5
    frame.loc[bad, "smiles"] = "C1CC"
    clf = BaselineClassifier(loss="ce", max_epochs=1, batch_size=16, random_state=0)
    calls = [
        lambda: clf.fit(frame["smiles"], frame["y"]),
        lambda: clf.fit(frame[["smiles"]], frame["y"]),
        lambda: clf.fit(X_SMALL[40:], Y_SMALL[40:], validation_data=(frame["smiles"], frame["y"])),
    ]
    for call in calls:
        with pytest.raises(InvalidSmilesError) as error:
            call()
        assert list(error.value.bad_rows) == [bad] and f"row {bad}: 'C1CC'" in str(error.value)
    clf.fit(X_SMALL[40:], Y_SMALL[40:])
    for call in (clf.predict, clf.predict_proba, clf.transform, lambda X: clf.score(X, frame["y"])):
        with pytest.raises(InvalidSmilesError) as error:
            call(frame["smiles"])
        assert list(error.value.bad_rows) == [bad]
        assert frame.drop(index=list(error.value.bad_rows))["smiles"].ne("C1CC").all()
    good = frame.drop(index=bad)
    labels = good["y"].astype(object)
    labels.iloc[3] = None
    with pytest.raises(
        ValueError, match=rf"1 missing labels \(None, NaN or NA\) at index labels \[{labels.index[3]}\]"
    ):
        clf.fit(good["smiles"], labels)
    weights = pd.Series(1.0, index=good.index)
    weights.iloc[2] = -1
    with pytest.raises(ValueError, match=rf"non-negative; index label {good.index[2]} is -1.0"):
        clf.fit(good["smiles"], good["y"], sample_weight=weights)


@pytest.mark.parametrize(("dtype", "kind"), [("boolean", np.bool_), ("Int64", np.int64), ("UInt8", np.uint8)])
def test_pandas_nullable_labels_come_back_as_their_type(dtype, kind):
    """column_or_1d made floats of them: predict gave 1.0 for the label 1, 0.0 for False."""
    values = (Y_SMALL == "high") if dtype == "boolean" else np.where(Y_SMALL == "high", 7, 3)
    with pytest.warns(DataConversionWarning, match=r"A column-vector y was passed .* using ravel\(\)"):
        column = LTDDClassifier(**FAST).fit(X_SMALL, pd.DataFrame({"y": values}, dtype=dtype))  # as sklearn's
    for clf in (LTDDClassifier(**FAST).fit(X_SMALL, pd.Series(values, dtype=dtype)), column):
        assert clf.classes_.dtype == kind and clf.predict(X_SMALL[:4]).dtype == kind
        assert set(clf.classes_.tolist()) == set(values.tolist())


def test_categorical_and_numpy_string_labels_are_read_as_their_values():
    """A categorical of booleans gave the classes 0.0 and 1.0 (scikit-learn's column_or_1d makes the
    categories floats); numpy 2's StringDType failed in fit, the metrics and the splits with numpy's
    "dtype argument must be a NumPy dtype"."""
    from sklearn_ltdd.datasets import make_long_tailed
    from sklearn_ltdd.metrics import balanced_accuracy_score
    from sklearn_ltdd.model_selection import imdrug_split

    high = Y_SMALL == "high"
    clf = LTDDClassifier(**FAST).fit(X_SMALL, pd.Series(high, dtype="category"))
    assert clf.classes_.dtype == np.bool_ and clf.predict(X_SMALL[:4]).dtype == np.bool_
    plain = LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL)
    text = np.dtypes.StringDType()
    for y in (np.array(Y_SMALL, dtype=text), pd.Series(Y_SMALL, dtype="category")):
        clf = LTDDClassifier(**FAST).fit(X_SMALL, y)
        assert clf.classes_.tolist() == plain.classes_.tolist()
        assert np.array_equal(clf.predict_proba(X_SMALL), plain.predict_proba(X_SMALL))
    strings = np.array(Y_SMALL, dtype=text)
    assert balanced_accuracy_score(strings, strings[::-1]) == balanced_accuracy_score(Y_SMALL, Y_SMALL[::-1])
    split = imdrug_split(strings, "random", random_state=0)
    as_list = imdrug_split(list(Y_SMALL), "random", random_state=0)
    assert all(np.array_equal(a, b) for a, b in zip(split, as_list, strict=True))
    order = np.array(["low", "medium", "high"], dtype=text)
    assert np.array_equal(make_long_tailed(strings, 4, class_order=order, random_state=0),
                          make_long_tailed(Y_SMALL, 4, class_order=list(order), random_state=0))  # fmt: skip
    missing = np.array([None, *Y_SMALL[1:]], dtype=np.dtypes.StringDType(na_object=None))
    with pytest.raises(ValueError, match=r"y has 1 missing labels \(None, NaN or NA\) at rows \[0\]"):
        LTDDClassifier(**FAST).fit(X_SMALL, missing)


@pytest.mark.parametrize(
    ("y", "sample_weight", "said"),
    [
        (Y_SMALL[:-1], None, rf"X has {len(Y_SMALL)} samples but y has {len(Y_SMALL) - 1} labels"),
        (np.full(len(Y_SMALL), "low"), None, r"y has only one class \('low'\)"),
        ([None, *Y_SMALL[1:]], None, r"y has 1 missing labels"),
        (Y_SMALL, -np.ones(len(Y_SMALL)), r"sample_weight"),
        (Y_SMALL, np.ones(3), r"sample_weight"),
        (Y_SMALL, (Y_SMALL == "low").astype(float), r"y has only one class with a positive sample_weight"),
    ],
    ids=["a label too few", "one class", "a missing label", "negative weights", "3 weights", "one weighed"],
)
def test_labels_and_weights_are_checked_before_x_is_featurised(monkeypatch, y, sample_weight, said):
    """A fit said that y had one label too few, or one class, after featurising the whole of X
    (21 s of HIV's 30,768 molecules)."""

    def featurised(*args, **kwargs):
        raise AssertionError("X was featurised before y was checked")

    graphs = SmilesGraphizer().fit_transform(X_SMALL[:3])
    monkeypatch.setattr(SmilesGraphizer, "fit_transform", featurised)
    with pytest.raises(ValueError, match=said):
        LTDDClassifier(**FAST).fit(X_SMALL, y, sample_weight=sample_weight)
    with pytest.raises(ValueError, match="X must be one column of SMILES"):  # X's shape is said first
        LTDDClassifier(**FAST).fit(np.column_stack([X_SMALL, X_SMALL]), y, sample_weight=sample_weight)
    mapper = LTDDClassifier(**FAST, atom_mapper=lambda reaction: reaction)  # so are settings at odds
    for X in (X_SMALL, graphs):  # (graphs too: the model would predict SMILES)
        with pytest.raises(ValueError, match=r"maps atoms for the condensed graph of reaction, which "):
            mapper.fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize(
    ("valid", "said"),
    [
        ((X_SMALL[:5], Y_SMALL[:4]), "X has 5 samples but y has 4 labels"),
        ((X_SMALL[:2], ["low", "insoluble"]), "insoluble"),
        ((X_SMALL[:2], Y_SMALL[:2], [-1.0, 1.0]), "sample_weight must be finite and non-negative"),
        ((X_SMALL[:2], [None, "low"]), r"y has 1 missing labels"),
    ],
    ids=["a label too few", "an unknown class", "a negative weight", "a missing label"],
)
def test_validation_data_is_checked_before_anything_is_featurised(monkeypatch, valid, said):
    """fit(X, y, validation_data=(X_valid, y_valid[:-1])) said so after featurising X and X_valid."""

    def featurised(*args, **kwargs):
        raise AssertionError("X was featurised before validation_data's labels were checked")

    monkeypatch.setattr(SmilesGraphizer, "fit_transform", featurised)
    with pytest.raises(ValueError, match=f"^validation_data: .*{said}"):
        LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL, validation_data=valid)


def test_validation_datas_column_and_graphs_are_checked_before_anything_is_featurised(monkeypatch):
    """Reactants given to validate a model of products, or graphs of reaction pairs to validate a
    model of molecules, were said after X and X_valid were featurised (graphs: after y_valid's
    errors, so that a user who mended those learned next that the graphs could not be read)."""
    pairs = SmilesGraphizer(reaction_mode="pair").fit_transform(["CCO>>CC=O"] * 4)
    calls = []
    monkeypatch.setattr(SmilesGraphizer, "fit_transform", lambda self, X, y=None: calls.append(X))
    products, reactants = pd.DataFrame({"products": X_SMALL}), pd.DataFrame({"reactants": X_TEST[:4]})
    with pytest.raises(ValueError, match=r"^validation_data: .*'reactants'.*fit's X is the column"):
        LTDDClassifier(**FAST).fit(products, Y_SMALL, validation_data=(reactants, Y_TEST[:4]))
    with pytest.raises(ValueError, match=r"reaction_mode") as error:
        LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL, validation_data=(pairs, Y_TEST[:3]))
    assert "(in fit's validation_data: the X meant is X_valid)" in error.value.__notes__
    with pytest.raises(ValueError, match=r"reaction_mode"):  # fit's own graphs before its labels too
        LTDDClassifier(**FAST).fit(pairs, Y_SMALL[:3])
    assert not calls


def test_empty_graphs_are_an_empty_x():
    """An empty GraphStore with empty labels was an IndexError (SMILES said "X is empty")."""
    graphs = SmilesGraphizer().fit_transform(X_SMALL)[np.array([], dtype=int)]
    with pytest.raises(ValueError, match=r"^X is empty: at least one graph is required\.$"):
        LTDDClassifier(**FAST).fit(graphs, [])
    with pytest.raises(ValueError, match=r"^X is empty: at least one graph is required\.") as error:
        LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL, validation_data=(graphs, []))
    assert error.value.__notes__ == ["(in fit's validation_data: the X meant is X_valid)"]


def test_score_counts_an_unseen_label_as_a_wrong_prediction():
    clf = LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL)
    predicted = clf.predict(X_SMALL[:4])
    labels = [predicted[0], "insoluble", predicted[2], predicted[3]]
    assert clf.score(X_SMALL[:4], labels) == 0.75
    # weights are checked as fit checks them, and only their ratios count
    with pytest.raises(ValueError, match=r"sample_weight must be finite and non-negative; row 0 is -1"):
        clf.score(X_SMALL[:4], labels, sample_weight=[-1, 1, 1, 1])
    assert clf.score(X_SMALL[:4], labels, sample_weight=[1e308] * 4) == 0.75
    # a class missing from a training fold: default scoring gives a number, as sklearn's classifiers do
    rare = np.flatnonzero(Y_SMALL == "high")[:2]
    test = np.r_[rare, np.flatnonzero(Y_SMALL == "low")[:4]]
    train = np.setdiff1d(np.flatnonzero(Y_SMALL != "high"), test)
    clf = LTDDClassifier(**FAST)
    scores = cross_val_score(clf, X_SMALL, Y_SMALL, cv=[(train, test)], error_score="raise")
    assert 0 <= scores[0] <= 4 / 6  # the two 'high' test samples cannot be right
    # labels written otherwise (another file's 'Low' for 'low') are unseen too, and said to be (0.0 silently)
    capitalised = [label.capitalize() for label in labels]
    said = r"labels of y are not among the model's classes_ but differ from one there only by case or surr"
    with pytest.warns(UserWarning, match=said):
        assert clf.fit(X_SMALL, Y_SMALL).score(X_SMALL[:4], capitalised) == 0.0
    # X and y of other lengths, named as fit names them, before X is predicted (sklearn's
    # "inconsistent numbers of samples: [3, 4]" listed y first); labels of another type than
    # classes_ (sklearn's "Mix of label input types")
    with pytest.raises(ValueError, match=r"^X has 4 samples but y has 3 labels\.$"):
        clf.score(X_SMALL[:4], labels[:3])
    with pytest.raises(
        ValueError, match=r"y holds numbers \(\[0, 1\]\), but the model's classes_ are text \(\['high'"
    ):
        clf.score(X_SMALL[:4], [0, 1, 0, 1])


def test_a_fit_shorter_than_the_warmup_is_refused():
    clf = LTDDClassifier(**RUN)
    with pytest.raises(ValueError, match=r"max_epochs=3 leaves no epoch after the warm-up .*=10") as error:
        clf.fit(X_SMALL, Y_SMALL)
    # the setting it suggests fits
    suggested = re.search(r"set_params\(schedule__warmup_epochs=(\d+)\)", str(error.value))
    clf.set_params(schedule__warmup_epochs=int(suggested.group(1))).fit(X_SMALL, Y_SMALL)
    assert clf.schedule.warmup_epochs == 1 and len(clf.history_) == 3
    with pytest.raises(ValueError, match="max_epochs=2 leaves no epoch after the warm-up"):
        LTDDClassifier(**{**FAST, "max_epochs": 2, "schedule": schedule(warmup_epochs=2)}).fit(
            X_SMALL, Y_SMALL
        )
    # the baselines have no warm-up
    ce = BaselineClassifier(max_epochs=1, hidden=16).fit(X_SMALL, Y_SMALL)
    assert ce.history_[-1, "epoch"] == 1


def test_the_head_does_not_run_during_warmup(monkeypatch):
    calls = []
    original = _ltdd_schedule.Recluster.on_epoch_begin

    def spying(self, net, **kwargs):
        original(self, net, **kwargs)
        head = net.module_.head
        if not head._forward_hooks:
            head.register_forward_hook(lambda m, i, o: calls.append((len(net.history) - 1, m.training)))

    monkeypatch.setattr(_ltdd_schedule.Recluster, "on_epoch_begin", spying)
    LTDDClassifier(**{**FAST, "max_epochs": 3, "schedule": schedule(warmup_epochs=2)}).fit(X_SMALL, Y_SMALL)
    assert {epoch for epoch, training in calls if training} == {2}
    # nor does validation, whose scores would not be used: the warm-up epochs are not scored
    assert {epoch for epoch, training in calls if not training} == {2}


@pytest.mark.parametrize("decision", ["argmax", "logit_adjusted"])
def test_model_selection_starts_after_the_warmup_and_restores_the_best_epoch(decision):
    # the best epoch kept alone (average_from_best=False): its τ and score are the epoch's
    # graphs alone and raw weights: their scores jump from epoch to epoch, so the best is not the last
    params = {**FAST, "max_epochs": 12, "schedule": schedule(warmup_epochs=3), "lr": 0.03,
              "decision": decision, "fingerprint": None, "average_from_best": False}  # fmt: skip
    X_valid, y_valid = X_TEST[:60], Y_TEST[:60]
    clf = LTDDClassifier(**params).fit(X_SMALL, Y_SMALL, validation_data=(X_valid, y_valid))
    ba, best = np.array(clf.history_[:, "valid_ba"]), clf.history_[:, "valid_ba_best"]
    assert np.isnan(ba[:3]).all() and not any(best[:3])  # warm-up epochs are never scored or kept
    assert best[3] and not np.isnan(ba[3:]).any()
    best_epoch = 3 + int(np.argmax(ba[3:]))
    assert best_epoch < len(ba) - 1, "the last epoch is the best: this test could not tell"
    predicted = clf.predict(X_valid)
    assert balanced_accuracy_score(y_valid, predicted) == pytest.approx(ba[best_epoch])
    assert balanced_f1_score(y_valid, predicted) == pytest.approx(clf.history_[best_epoch, "valid_bf1"])
    assert clf.logit_adjustment_ == clf.history_[best_epoch, "valid_tau"]  # the kept epoch's τ


def test_early_stopping_patience_counts_from_the_end_of_warmup():
    params = {**FAST, "max_epochs": 12, "schedule": schedule(warmup_epochs=4), "early_stopping": 1}
    clf = LTDDClassifier(**params).fit(X_SMALL, Y_SMALL)
    # epoch 4 is the first scored, so it is the best so far: the earliest stop is after epoch 5
    assert len(clf.history_) >= 6
    assert clf.history_[-1, "phase"] == "ltdd"


def test_sub_cluster_ids_line_up_with_the_batch_positions(monkeypatch):
    """Every sample's sub-cluster, looked up by its batch position, belongs to its own class."""
    from sklearn_ltdd.cluster import BalancedSubcluster
    from sklearn_ltdd.nn import LTDDLoss

    fitted, checked = [], []
    original_fit, original_forward = BalancedSubcluster.fit, LTDDLoss.forward

    def recording_fit(self, X, y=None):
        fitted.append(original_fit(self, X, y))
        return fitted[-1]

    def checking_forward(self, y_pred, targets, head=None):
        if self.phases.name != "warmup":
            sub_class = fitted[-1].subcluster_class_
            owners = sub_class[self.sub[targets["index"]].cpu().numpy()].astype(np.int64)
            checked.append(np.array_equal(owners, targets["y"].cpu().numpy()))
        return original_forward(self, y_pred, targets, head)

    monkeypatch.setattr(BalancedSubcluster, "fit", recording_fit)
    monkeypatch.setattr(LTDDLoss, "forward", checking_forward)
    # a rare class of 5: the other classes split into several sub-clusters of about its size
    keep = np.r_[np.flatnonzero(Y_SMALL != "high"), np.flatnonzero(Y_SMALL == "high")[:5]]
    for resample in (False, True):
        checked.clear()
        short = schedule(min_cluster_size=3, resample=resample)
        LTDDClassifier(**{**FAST, "schedule": short}).fit(X_SMALL[keep], Y_SMALL[keep])
        assert checked and all(checked)
        if not resample:  # (resampled classes are equal in size: one sub-cluster each)
            assert fitted[-1].n_subclusters_per_class_.max() > 1


def test_verbose_table_keeps_its_columns_and_sklearn_warnings_stay_inside(capsys):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a hold-out of one class must not leak sklearn's warnings
        warnings.filterwarnings("ignore", "validation_data holds only the class")  # (only ours)
        LTDDClassifier(**{**FAST, "max_epochs": 4, "schedule": schedule(warmup_epochs=2)}, verbose=1).fit(
            X_SMALL, Y_SMALL, validation_data=(X_TEST[:4], ["low"] * 4)
        )
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    # what the fit starts with: featurising, then the sets' sizes (the hold-out: none of X)
    assert lines[:2] == [
        "LTDDClassifier: featurising 90 SMILES",
        "LTDDClassifier: 90 graphs to train on, 4 to validate on",
    ]
    header, rows = lines[2].split(), lines[4:-1]
    assert lines[-1].startswith("LTDDClassifier: 4 epochs, best epoch")
    assert len(rows) == 4 and {"valid_ba", "phase", "n_subclusters", "ce_loss"} <= set(header)
    assert "class_weights" not in header  # a list per epoch stays in history_
    for row in rows:  # one value per heading; only a best-epoch mark may be blank
        assert len(row.split()) in (len(header) - 1, len(header)), row
    assert rows[0].split()[header.index("phase")] == "warmup"
    # the epoch and its phase first, the losses, the validation's, skorch's lr and duration last
    assert header[:3] == ["epoch", "phase", "train_loss"] and header[-2:] == ["lr", "dur"]
    assert header.index("ce_loss") < header.index("n_subclusters") < header.index("valid_ba")
    # what the warm-up does not compute is a dash (skorch's nan read as a fit that diverged)
    assert rows[0].split()[header.index("valid_ba")] == rows[0].split()[header.index("ce_loss")] == "-"
    assert "nan" not in "".join(rows)
    assert rows[2].split()[header.index("phase")] == "ltdd"
    # the learning rate as it decays (with four decimals every row read 0.0010)
    rates = [float(row.split()[header.index("lr")]) for row in rows]
    assert rates == pytest.approx([1e-3 * 0.99**epoch for epoch in range(4)], rel=1e-3)


def test_a_seeded_fit_leaves_the_global_torch_generator_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL)
    assert torch.equal(torch.rand(3), expected)
    if torch.cuda.is_available():  # the training GPU's generator too; a fit on the CPU starts no CUDA
        torch.cuda.manual_seed(123)
        expected = torch.rand(3, device="cuda")
        torch.cuda.manual_seed(123)
        LTDDClassifier(**{**FAST, "device": "cuda"}).fit(X_SMALL, Y_SMALL)
        assert torch.equal(torch.rand(3, device="cuda"), expected)
        script = (
            "import torch; from sklearn_ltdd import BaselineClassifier; "
            "BaselineClassifier(max_epochs=1, hidden=8, device='cpu', random_state=0)"
            ".fit(['CCO', 'CCN', 'CCC', 'CO'] * 5, [0, 1] * 10); assert not torch.cuda.is_initialized()"
        )
        subprocess.run([sys.executable, "-c", script], check=True)


@pytest.mark.parametrize("validation_fraction", [0.1, 0.0])
def test_fit_trains_without_a_third_copy_of_the_graphs(validation_fraction):
    """The whole featurised set stayed referenced until fit returned, beside its training and
    validation copies: 0.8 GB more throughout the training of 80,000 molecules."""
    clf = LTDDClassifier(**{**FAST, "validation_fraction": validation_fraction, "early_stopping": None})
    made, featurise, build = [], clf._graphs, clf._build_net

    def graphs(X, fitting=False):
        store = featurise(X, fitting)
        made.append(weakref.ref(store))
        return store

    class Alive(Callback):
        def on_epoch_end(self, net, **kwargs):
            gc.collect()
            alive.append(made[0]() is not None)

    def with_probe(*args):
        net = build(*args)
        net.callbacks.append(("alive", Alive()))
        return net

    alive = []
    vars(clf).update(_graphs=graphs, _build_net=with_probe)
    clf.fit(X_SMALL, Y_SMALL)
    assert len(made) == 1 and alive == [False] * 3


def test_fitting_leaves_no_generated_files_in_the_temporary_directory(tmp_path):
    script = "from sklearn_ltdd.nn import LTDDModule; LTDDModule(74, 2)"
    subprocess.run([sys.executable, "-c", script], check=True, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("encoder", ["gcn", "gine"])
def test_loading_a_model_leaves_no_generated_files_in_the_temporary_directory(tmp_path, encoder):
    """A process that loaded a model and built no layer (a screening command, a Dask worker)
    left the source PyG generated for its layers' propagate: one file a process, never removed."""
    dump(LTDDClassifier(encoder=encoder, **FAST).fit(X_SMALL, Y_SMALL), tmp_path / "model.joblib")
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    script = f"import joblib; joblib.load({str(tmp_path / 'model.joblib')!r}).predict(['CCO'])"
    environment = {
        **os.environ,
        "TMPDIR": str(temporary),
        "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "inductor"),
    }
    subprocess.run([sys.executable, "-c", script], check=True, env=environment)
    assert list(temporary.iterdir()) == []


def test_embeddings_have_feature_names():
    clf = LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL)
    assert clf.n_features_in_ == 1
    names = clf.get_feature_names_out()
    assert names.tolist() == [f"ltddclassifier{i}" for i in range(2 * 16)]  # graph, then fingerprint
    frame = clf.set_output(transform="pandas").transform(X_SMALL[:3])
    assert isinstance(frame, pd.DataFrame) and frame.columns.tolist() == names.tolist()
    # in a Pipeline after a SmilesGraphizer, whose 74 node-feature names it is handed
    pipe = make_pipeline(SmilesGraphizer(), LTDDClassifier(**FAST)).fit(X_SMALL, Y_SMALL)
    assert pipe.get_feature_names_out().tolist() == names.tolist()


def test_embeddings_after_a_graphizer_keep_the_tables_labels_in_unions_and_column_transformers():
    # a shuffled table (labels not 0, 1, ...): sklearn joins the branches' DataFrames by label
    table = pd.DataFrame({"smiles": X_SMALL, "y": Y_SMALL}, index=np.arange(len(X_SMALL)) * 7)
    table = table.sample(frac=1, random_state=0)
    with config_context(transform_output="pandas"):
        graph_branch = make_pipeline(SmilesGraphizer(), LTDDClassifier(**FAST))
        union = make_union(graph_branch, MorganFingerprint(n_bits=8))
        out = union.fit_transform(table[["smiles"]], table["y"])
        clf = union.transformer_list[0][1][-1]
        embeddings = clf.transform(table[["smiles"]])  # the SMILES themselves: the table's labels
        assert out.index.equals(table.index) and embeddings.index.equals(table.index)
        np.testing.assert_allclose(out.iloc[:, : embeddings.shape[1]], embeddings, atol=1e-6)
        np.testing.assert_allclose(union.transform(table[["smiles"]]), out, atol=1e-6)
        columns = make_column_transformer(
            (make_pipeline(SmilesGraphizer(), clone(clf)), ["smiles"]), ("passthrough", ["y"])
        )
        out = columns.fit_transform(table, table["y"])
        assert out.index.equals(table.index) and (out["passthrough__y"] == table["y"]).all()
        embeddings = columns.named_transformers_["pipeline"][-1].transform(table[["smiles"]])
        np.testing.assert_allclose(out.iloc[:, :-1], embeddings, atol=1e-6)
        # set on the estimator alone, the same; default output stays an array
        graphs = SmilesGraphizer().fit_transform(table[["smiles"]])
    assert clf.set_output(transform="pandas").transform(graphs).index.equals(table.index)
    assert isinstance(clf.set_output(transform="default").transform(graphs), np.ndarray)


def test_a_model_fitted_on_a_named_column_refuses_another(assert_same_predictions):
    table = pd.DataFrame({"product": X_SMALL, "reactant": X_SMALL[::-1]})
    clf = LTDDClassifier(**FAST).fit(table[["product"]], Y_SMALL)
    assert clf.feature_names_in_.tolist() == ["product"]
    for method in (clf.predict, clf.predict_proba, clf.transform):
        with pytest.raises(ValueError, match="X's column is 'reactant', but this LTDDClassifier was fitted"):
            method(table[["reactant"]])
    assert_same_predictions(clf.predict_proba(table[["product"]]), clf.predict_proba(list(X_SMALL)))
    with pytest.raises(ValueError, match="X's column is 'reactant', but this LTDDClassifier was fitted"):
        clf.predict(table["reactant"])  # a Series has a name too
    with pytest.raises(ValueError, match="X's column is 'reactant', but this LTDDClassifier was fitted"):
        screen(clf, table[["reactant"]])
    with pytest.raises(ValueError, match="validation_data: X's column is 'reactant', but fit's X is the col"):
        valid = (table[["reactant"]], Y_SMALL)
        LTDDClassifier(**FAST).fit(table[["product"]], Y_SMALL, validation_data=valid)
    # the names of its output checked its input's, as MorganFingerprint's do (any were accepted)
    assert clf.get_feature_names_out(["product"]).tolist() == clf.get_feature_names_out().tolist()
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        clf.get_feature_names_out(["reactant"])
    # after a graphizer in a Pipeline, which hands it its node features' names, it is graphs' model
    pipe = make_pipeline(SmilesGraphizer(), FrozenEstimator(clf)).fit(X_SMALL, Y_SMALL)
    assert pipe.get_feature_names_out().tolist() == clf.get_feature_names_out().tolist()
    with pytest.raises(NotFittedError):  # (not an AttributeError of the graphizer it has not yet)
        LTDDClassifier().get_feature_names_out(["product"])
    assert not hasattr(LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL), "feature_names_in_")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_request_without_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="device='cuda' was requested but CUDA is not available"):
        LTDDClassifier(**FAST, device="cuda").fit(X_SMALL, Y_SMALL)
    assert LTDDClassifier(**FAST, device="auto").fit(X_SMALL, Y_SMALL).device_ == "cpu"


def test_quiet_by_default_and_verbose_prints_an_epoch_table(capsys):
    LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL)
    assert capsys.readouterr().out == ""
    LTDDClassifier(**FAST, verbose=1).fit(X_SMALL, Y_SMALL)
    out = capsys.readouterr().out
    assert "valid_ba" in out and "train_loss" in out


def test_verbose_2_in_a_notebook_without_ipywidgets_draws_text_bars(monkeypatch, capsys):
    """skorch's ProgressBar drew notebook widgets in any notebook: without ipywidgets the fit failed
    ("IProgress not found"). tqdm.auto's choice (text bars there) is now its choice too."""
    from skorch.callbacks import ProgressBar

    if importlib.util.find_spec("ipywidgets") is not None:
        pytest.skip("ipywidgets is installed here: notebook bars would work")
    monkeypatch.setattr(ProgressBar, "in_ipynb", staticmethod(lambda: True))  # as in a Jupyter kernel
    LTDDClassifier(**FAST, verbose=2).fit(X_SMALL, Y_SMALL)
    assert "valid_ba" in capsys.readouterr().out
    # where tqdm.auto draws widgets (ipywidgets present), skorch's bar draws them too
    from tqdm import notebook

    from sklearn_ltdd import _progress

    assert not _progress.widget_bars()
    monkeypatch.setattr(_progress, "tqdm", type("tqdm", (notebook.tqdm,), {}))  # as tqdm.auto builds it
    assert _progress.widget_bars()


@pytest.mark.parametrize("draw", ["bar", "fit"])
def test_progress_bars_leave_the_start_method_unset(draw):
    """tqdm makes its write lock by multiprocessing.RLock(), which fixed the start method: after a fit
    with verbose=2 or a screen's bar, a user's set_start_method("spawn") raised. In a fresh process,
    where nothing else has fixed it (and tqdm has no lock yet)."""
    bars = {
        "bar": "from sklearn_ltdd._progress import progress_bar\n"
        "with progress_bar(True, total=2) as bar: bar.update()\n",
        "fit": "from sklearn_ltdd import BaselineClassifier\n"
        f"BaselineClassifier(max_epochs=1, batch_size=32, hidden=8, verbose=2).fit({list(X_SMALL[:24])}, "
        f"{list(Y_SMALL[:24])})\n",
    }
    script = (
        f"import multiprocessing as mp\n{bars[draw]}"
        "assert mp.get_start_method(allow_none=True) is None\n"
        "from tqdm.std import TqdmDefaultWriteLock\n"
        "assert TqdmDefaultWriteLock.mp_lock is not None\n"  # (the bars share a lock across processes)
        "mp.set_start_method('spawn')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"(it/s|s/it)\]", done.stderr)  # a bar was drawn


def test_tqdms_lock_is_made_where_threads_have_no_locks_and_left_to_a_tqdm_without_one(monkeypatch):
    """tqdm's thread lock is None where threading has no locks, and a tqdm might keep its process
    lock otherwise: neither may fail a bar."""
    import multiprocessing

    from tqdm.std import TqdmDefaultWriteLock

    from sklearn_ltdd._progress import make_tqdm_lock

    before = multiprocessing.get_start_method(allow_none=True)
    monkeypatch.setattr(TqdmDefaultWriteLock, "th_lock", None)
    monkeypatch.delattr(TqdmDefaultWriteLock, "mp_lock", raising=False)  # (restored after the test)
    make_tqdm_lock()
    assert TqdmDefaultWriteLock.mp_lock is not None
    assert multiprocessing.get_start_method(allow_none=True) == before
    monkeypatch.delattr(TqdmDefaultWriteLock, "mp_lock")
    monkeypatch.delattr(TqdmDefaultWriteLock, "create_mp_lock")
    make_tqdm_lock()
    assert not hasattr(TqdmDefaultWriteLock, "mp_lock")


def test_a_net_trimmed_for_prediction_predicts_screens_and_loads_on_another_device(
    monkeypatch, tmp_path, assert_same_predictions
):
    """After skorch's net_.trim_for_prediction() (criterion_ None), loading on another device failed
    in __setstate__ and a screen in the model's hash, both on the criterion; its plots said the fit
    was interrupted in its first epoch."""
    clf = BaselineClassifier(**RUN, early_stopping=None).fit(X_SMALL, Y_SMALL)
    expected, key = clf.predict_proba(X_TEST[:20]), _resume.model_hash(clf)
    clf.net_.trim_for_prediction()
    assert clf.net_.criterion_ is None
    assert_same_predictions(clf.predict_proba(X_TEST[:20]), expected)
    assert _resume.model_hash(clf) == key  # an unfinished screen resumes (predict reads no criterion)
    columns = [f"proba_{label}" for label in clf.classes_]
    assert_same_predictions(screen(clf, X_TEST[:20])[columns].to_numpy(), expected)
    elsewhere = "cpu:0" if clf.device_ == "cpu" else "cpu"
    monkeypatch.setattr(_base, "resolve_device", lambda device: elsewhere)
    back = pickle.loads(pickle.dumps(clf))
    assert back.device_ == elsewhere
    assert_same_predictions(back.predict_proba(X_TEST[:20]), expected)
    if importlib.util.find_spec("matplotlib"):
        from sklearn_ltdd.plotting import plot_training

        with pytest.raises(ValueError, match=r"history_ is empty: it was cleared after the fit .*trim_for"):
            plot_training(back)


def test_the_fitted_net_refuses_optimiser_and_network_parameters_by_name_and_keeps_its_own():
    """net_.set_params(lr=0.1) set lr, then failed on the optimiser the fit drops ('NoneType' object
    has no attribute 'param_groups')."""
    clf = BaselineClassifier(**RUN, early_stopping=None, device="cpu").fit(X_SMALL, Y_SMALL)
    for name in ("lr", "optimizer__weight_decay"):
        with pytest.raises(TypeError, match=rf"\[{name!r}\] set the optimiser, which a fitted"):
            clf.net_.set_params(**{name: 0.1})
    assert clf.net_.lr == clf.lr
    # a network's setting rebuilt it with new random weights, even at the value it had (a
    # criterion's, the criterion and an optimiser), and the history still showed its training
    before = clf.predict_proba(X_TEST[:5])
    weights = [p.detach().clone() for p in clf.net_.module_.parameters()]
    for name, value in (
        ("module__hidden", clf.hidden), ("compile", False), ("compile__dynamic", False),
        ("criterion__class_counts", None),
    ):  # fmt: skip
        with pytest.raises(TypeError, match=rf"\[{name!r}\] would have skorch rebuild the trained net"):
            clf.net_.set_params(**{name: value})
    np.testing.assert_array_equal(clf.predict_proba(X_TEST[:5]), before)
    assert all(torch.equal(a, b) for a, b in zip(weights, clf.net_.module_.parameters(), strict=True))
    assert clf.net_.optimizer_ is None


@pytest.mark.parametrize("estimator", [LTDDClassifier, BaselineClassifier])
def test_a_float32_learning_rate_decays_in_double_precision(estimator):
    """np.float32 lr and lr_gamma reached the history as float32 (JSON could not write it, the
    verbose table showed the decaying rate as 1.000e-03 in every row)."""
    lr, gamma = np.float32(1e-3), np.float32(0.9)
    run = FAST if estimator is LTDDClassifier else RUN
    clf = estimator(**run, lr=lr, lr_gamma=gamma, early_stopping=None, device="cpu").fit(X_SMALL, Y_SMALL)
    rates = clf.history_[:, "event_lr"]
    assert all(type(rate) is float for rate in rates)
    expected = float(lr) * float(gamma) ** np.arange(len(rates))
    assert len(rates) == RUN["max_epochs"]  # (LTDD's warm-up decays the rate as well)
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    json.dumps(clf.history_.to_list())


def test_a_model_trained_on_gpu_loads_and_predicts_on_a_cpu_only_machine(assert_same_predictions):
    clf = LTDDClassifier(**FAST).fit(X_SMALL, Y_SMALL)
    expected = clf.predict_proba(X_TEST[:20])
    clf.net_.device, clf.device_ = "cuda", "cuda"  # what a GPU fit leaves behind
    clf.net_.iterator_valid__batch_size = INFERENCE_BATCH["cuda"]
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the fallback to CPU is for machines without it")
    with pytest.warns(UserWarning) as record:
        back = pickle.loads(pickle.dumps(clf))
    assert any("no CUDA devices are available" in str(w.message) for w in record)
    assert back.device_ == "cpu"
    assert back.net_.iterator_valid__batch_size == INFERENCE_BATCH["cpu"]  # the CPU's inference batch
    assert_same_predictions(back.predict_proba(X_TEST[:20]), expected)


def test_the_defaults_are_the_documented_ones():
    # docs/method.md's defaults (the paper's side of its table, the reference code's network) and
    # the measured ones of docs/results.md; a constant changed by mistake changes every result
    assert SubclusterContrast().get_params() == {
        "tau": 0.1, "tau1": 0.1, "tau2": 0.1, "beta": 0.25, "term_a_scale": 1.0, "edge_drop": (0.15, 0.1),
    }  # fmt: skip
    assert SubclusterSchedule().get_params() == {
        "warmup_epochs": 10, "update_every": 10, "min_cluster_size": 10, "cluster_method": "balanced",
        "weighting": "both", "weight_formula": "paper", "resample": False, "dynamic": True,
    }  # fmt: skip
    params = LTDDClassifier().get_params(deep=False)
    assert {name: params[name] for name in ("hidden", "n_layers", "encoder", "lr", "weight_decay", "lr_gamma",
                                            "batch_size", "max_epochs", "fingerprint", "decision")} == {
        "hidden": 128, "n_layers": 3, "encoder": "gcn", "lr": 1e-3, "weight_decay": 3e-4, "lr_gamma": 0.99,
        "batch_size": 128, "max_epochs": 300, "fingerprint": "morgan", "decision": "logit_adjusted",
    }  # fmt: skip


def test_the_baselines_share_ltdds_defaults():
    # the shared parameters are written out in each estimator's signature (scikit-learn reads
    # them there): a default changed in one only would make Table 2 compare unlike networks
    ltdd = LTDDClassifier().get_params(deep=False)
    baseline = BaselineClassifier().get_params(deep=False)
    shared = ltdd.keys() & baseline.keys()
    assert shared == set(GraphClassifier._parameter_constraints)
    assert {name: baseline[name] for name in shared} == {name: ltdd[name] for name in shared}


def test_fit_without_y_says_so_in_scikit_learns_words():
    """``fit(X, None)`` said "y must be a sequence of labels ... not one NoneType (None); wrap a
    single label in a list", where scikit-learn and its meta-estimators say y is required."""
    for clf in (LTDDClassifier(), BaselineClassifier()):
        with pytest.raises(ValueError, match=f"{type(clf).__name__} requires y to be passed, but the target"):
            clf.fit(["CCO", "CCN"], None)
        # y left out named the private base class: "GraphClassifier.fit() missing 1 required ..."
        with pytest.raises(ValueError, match=f"{type(clf).__name__} requires y to be passed, but the target"):
            clf.fit(["CCO", "CCN"])


def test_a_seeded_fit_is_deterministic_on_the_cpu_only(monkeypatch):
    # CUDA's scatter-adds sum in no fixed order: two seeded fits there differ in the last digits
    def deterministic(**params) -> bool:
        return not get_tags(LTDDClassifier(**params)).non_deterministic

    assert deterministic(random_state=0, device="cpu") and not deterministic(random_state=None, device="cpu")
    assert not deterministic(random_state=0, device="cuda") and not deterministic(
        random_state=0, device="cuda:1"
    )
    assert not deterministic(random_state=0, device=torch.device("cuda", 0))
    for available in (False, True):
        monkeypatch.setattr(torch.cuda, "is_available", lambda available=available: available)
        assert deterministic(random_state=0, device="auto") is not available


@pytest.mark.parametrize("estimator", [LTDDClassifier, BaselineClassifier])
@pytest.mark.parametrize(
    "name, equivalent",
    [("callbacks", "early_stopping and verbose"), ("module__hidden", "encoder, hidden"),
     ("optimizer", "Adam, set by lr"), ("train_split", "validation_data"), ("warm_start", "afresh"),
     ("classes", "those of fit's y"), ("iterator_train__num_workers", "graphs held in memory")],
)  # fmt: skip
def test_a_skorch_parameter_is_refused_with_what_sets_it_here(estimator, name, equivalent):
    """A skorch user's callbacks=, module__hidden= ... got Python's bare "unexpected keyword"."""
    message = rf"{estimator.__name__} has no parameter '{name}': it is a parameter of skorch's NeuralNet"
    message += f".*{equivalent}"
    with pytest.raises(TypeError, match=message):
        estimator(**{name: None})
    with pytest.raises(TypeError, match=message):
        estimator().set_params(**{name: None})
    assert estimator(verbose=1).verbose == 1  # the names both have stay the classifier's


@pytest.mark.parametrize("estimator", [LTDDClassifier, BaselineClassifier])
def test_a_batch_size_torch_cannot_count_is_refused_by_name(estimator):
    """batch_size=2**63 reached torch's sampler: "Stop argument for islice() must be ... sys.maxsize"."""
    with pytest.raises(ValueError, match=r"'batch_size' parameter .* must be an int in the range \[2, "):
        estimator(batch_size=sys.maxsize + 1).fit(X_SMALL, Y_SMALL)


def test_the_fitted_skorch_net_reads_graphs_and_refuses_the_rest():
    """net_.predict_proba failed inside a batch on graphs ('NoneType' object is not callable), on
    SMILES and on a list of Data."""
    clf = BaselineClassifier(**RUN, early_stopping=None, device="cpu").fit(X_SMALL, Y_SMALL)
    graphs = SmilesGraphizer().fit_transform(X_SMALL)
    np.testing.assert_allclose(
        clf.net_.predict_proba(graphs), clf.predict_proba(X_SMALL), rtol=1e-5, atol=1e-6
    )
    refused = "the skorch net reads graphs .* not a {}; for SMILES, call the classifier's predict_proba"
    for other, named in ((list(X_SMALL[:3]), "list of str"), (graphs.to_data_list()[:2], "list of Data")):
        with pytest.raises(TypeError, match=refused.format(named)):
            clf.net_.predict_proba(other)
    weights = {name: value.clone() for name, value in clf.net_.module_.state_dict().items()}
    for call in (lambda: clf.net_.fit(graphs), lambda: clf.net_.fit(graphs, np.zeros(len(graphs), dtype=int)),
                 lambda: clf.net_.partial_fit(graphs)):  # fmt: skip
        with pytest.raises(TypeError, match="the skorch net is trained by the classifier's fit"):
            call()  # (without labels it trained the network to predict the first class)
    for name, value in clf.net_.module_.state_dict().items():
        assert torch.equal(value, weights[name]), name
