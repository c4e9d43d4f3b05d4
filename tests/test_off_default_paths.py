"""Options off the default path do what they say: two-phase baselines, resampling, the decision
without a validation set, the loss details of mixup and IB, and what a saved model contains."""

import copy
import importlib
import io
import os
import pickle
import re
import subprocess
import sys
import threading
import types
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import torch
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import BaggingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score

from sklearn_ltdd import BalancedSubcluster, BaselineClassifier, LTDDClassifier, SubclusterSchedule
from sklearn_ltdd.classifier._data import GraphDataset
from sklearn_ltdd.classifier._phases import Phase, Phases
from sklearn_ltdd.datasets import load_solubility, make_long_tailed
from sklearn_ltdd.featurize import GraphStore, GraphStorePair, InvalidSmilesError
from sklearn_ltdd.metrics import (
    balanced_accuracy_score,
    balanced_f1_score,
    balanced_f1_scorer,
    long_tail_report,
    per_class_balanced_scores,
)
from sklearn_ltdd.model_selection import imdrug_split
from sklearn_ltdd.nn.losses import _long_tail as lt
from sklearn_ltdd.nn.losses._criteria import InfluenceBalancedLoss

DATA = load_solubility(subset="train")
KEEP = make_long_tailed(DATA.target, imbalance_ratio=8, random_state=0)
X, Y = DATA.data[KEEP], DATA.target[KEEP]
FAST = {"hidden": 16, "batch_size": 32, "random_state": 0}
NO_VALIDATION = {"validation_fraction": 0, "early_stopping": None}
WARMUP_1 = {"schedule": SubclusterSchedule(warmup_epochs=1)}


@pytest.mark.parametrize("method", ["ib", "decoupling"])
def test_two_phase_baselines_reach_their_second_phase_and_keep_a_model_from_it(method):
    clf = BaselineClassifier(loss=method, max_epochs=15, early_stopping=3, **FAST).fit(X, Y)
    phases = np.array(clf.history_[:, "phase"])
    best = np.array(clf.history_[:, "valid_ba_best"])
    kept = np.array(clf.history_[:, "kept"])
    assert method in phases and phases[0] == "ce"
    assert best.any() and (phases[best] == method).all()
    # the mean kept is of the second phase's epochs only, though the first phase's were scored too
    assert 1 <= kept.sum() <= 5 and (phases[kept] == method).all()
    assert np.isfinite(np.array(clf.history_[:, "valid_ba"])[phases == "ce"]).any()
    with pytest.raises(ValueError, match=rf"loss='{method}' trains in two phases.*max_epochs=1 leaves"):
        BaselineClassifier(loss=method, max_epochs=1, **FAST).fit(X, Y)


def test_decoupling_restarts_the_optimiser_for_its_new_head(monkeypatch):
    seen = {}
    switch = Phases._retrain_head

    def remember(net):
        for group in net.optimizer_.param_groups:
            group["lr"] *= 0.5  # as if the schedule had decayed it
        switch(net)
        seen["state"] = len(net.optimizer_.state)
        seen["lr"] = [group["lr"] for group in net.optimizer_.param_groups]

    monkeypatch.setattr(Phases, "_retrain_head", staticmethod(remember))
    BaselineClassifier(loss="decoupling", max_epochs=5, lr=0.01, **FAST, **NO_VALIDATION).fit(X, Y)
    # each group back at its own first rate: the network's, then the wide expert's (ten times)
    assert seen == {"state": 0, "lr": [0.01, 0.1]}


def test_the_history_records_the_rate_each_epoch_trained_at_across_decouplings_restart():
    """The new head's first epoch trained at lr but was recorded at the rate the old schedule had
    decayed to (6.25e-5 for 1e-3 after four epochs of lr_gamma=0.5)."""
    clf = BaselineClassifier(loss="decoupling", max_epochs=6, lr=1e-3, lr_gamma=0.5, **FAST, **NO_VALIDATION)
    clf.fit(X, Y)
    phases = np.array(clf.history_[:, "phase"])
    start = int(np.argmax(phases == "decoupling"))
    expected = [1e-3 * 0.5**epoch for epoch in range(start)] + [1e-3 * 0.5**k for k in range(6 - start)]
    assert 0 < start < 6 and clf.history_[:, "event_lr"] == pytest.approx(expected)


def test_mixup_runs_the_head_once_per_training_step(monkeypatch):
    calls = []
    clf = BaselineClassifier(loss="mixup", max_epochs=2, **FAST, **NO_VALIDATION)
    original = clf._build_net

    def counting(*args):
        net = original(*args)
        net.initialize()
        net.module_.head.register_forward_pre_hook(
            lambda m, a: calls.append(m.training) if m.training else None
        )
        net.initialize = lambda: net  # keep the hooked module
        return net

    monkeypatch.setattr(clf, "_build_net", counting)
    clf.fit(X, Y)
    steps = sum(len(epoch["batches"]) for epoch in clf.history_)
    assert len(calls) == steps


def test_influence_balanced_loss_reads_the_features_the_last_layer_sees():
    torch.manual_seed(0)
    from torch_geometric.nn import MLP

    head = MLP([8, 6, 6, 3], norm="batch_norm").eval()
    h, y, counts = torch.randn(5, 8), torch.tensor([0, 1, 2, 1, 0]), torch.tensor([50.0, 10.0, 3.0])
    criterion = InfluenceBalancedLoss(counts, phases=Phases([Phase("ce", epochs=1), Phase("ib")]).enter("ib"))
    logits, features = head(h, return_emb=True)
    expected = lt.influence_balanced_loss(logits, features, y, counts)
    torch.testing.assert_close(criterion.per_sample(h, y, head), expected)
    # on its own, outside a fit, a criterion computes its main loss
    torch.testing.assert_close(InfluenceBalancedLoss(counts).per_sample(h, y, head), expected)
    assert not torch.allclose(expected, lt.influence_balanced_loss(logits, h, y, counts))


def test_resampling_clusters_the_distinct_training_samples():
    params = {"max_epochs": 12, **FAST}
    plain = LTDDClassifier(**params).fit(X, Y)
    resampled = LTDDClassifier(schedule=SubclusterSchedule(resample=True), **params).fit(X, Y)
    n_sub = plain.history_[-1, "n_subclusters"]
    assert n_sub > len(plain.classes_)  # head classes split into several sub-clusters
    assert resampled.history_[-1, "n_subclusters"] == n_sub
    # an epoch visits every class as often as the largest one: the prior the network learns is flat
    np.testing.assert_allclose(resampled.class_log_prior_, np.log(1 / 3))


@pytest.mark.parametrize(
    "method, tau", [("ltdd", 1.0), ("ce", 1.0), ("bs", 0.0), ("cs", 0.0), ("decoupling", 0.0)]
)
def test_without_a_validation_set_the_prior_is_not_taken_out_twice(method, tau):
    params = {"max_epochs": 3, **FAST, **NO_VALIDATION}
    clf = (
        LTDDClassifier(**params, **WARMUP_1)
        if method == "ltdd"
        else BaselineClassifier(loss=method, **params)
    )
    assert clf.fit(X[:120], Y[:120]).logit_adjustment_ == tau


def test_the_class_prior_counts_sample_weights():
    weights = np.where(Y == "high", 3.0, 1.0)
    clf = BaselineClassifier(max_epochs=1, **FAST, **NO_VALIDATION).fit(X, Y, sample_weight=weights)
    mass = np.array([weights[Y == c].sum() for c in clf.classes_])
    np.testing.assert_allclose(np.exp(clf.class_log_prior_), mass / mass.sum())


def test_one_number_weighs_every_sample_alike_as_in_sklearn(assert_same_predictions):
    model = BaselineClassifier(max_epochs=2, **FAST)
    fitted = [clone(model).fit(X[:80], Y[:80], sample_weight=w) for w in (None, 2.0)]
    assert_same_predictions(*(clf.predict_proba(X[80:100]) for clf in fitted))
    for weight in (True, "a"):  # not numbers: named as given
        with pytest.raises(ValueError, match=rf"a number or hold one weight per sample .*got {weight!r}\."):
            BaselineClassifier(max_epochs=1, **FAST).fit(X[:80], Y[:80], sample_weight=weight)


def test_inference_leaves_the_callers_random_stream_alone():
    clf = BaselineClassifier(max_epochs=1, **FAST).fit(X[:60], Y[:60])
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    clf.predict(X[:10]), clf.predict_proba(X[:10]), clf.transform(X[:10])
    assert torch.equal(torch.rand(3), expected)
    with pytest.raises(TypeError, match="not an iterator"):  # as fit says it
        clf.score(X[:10], iter(Y[:10]))


def test_early_stopping_without_a_validation_set_is_refused():
    with pytest.raises(ValueError, match=r"early_stopping=3 needs a validation set.*early_stopping=None"):
        LTDDClassifier(validation_fraction=0, early_stopping=3, **FAST).fit(X, Y)


@pytest.mark.parametrize("estimator,name", [
    (BaselineClassifier, "early_stopping"), (LTDDClassifier, "hidden"),
    (lambda **params: LTDDClassifier(schedule=SubclusterSchedule(**params)), "warmup_epochs"),
    (LTDDClassifier, "max_epochs"), (LTDDClassifier, "random_state"),
    (lambda **params: BalancedSubcluster(n_clusters=2, **params), "random_state"),
])  # fmt: skip
def test_a_boolean_is_not_taken_for_a_number(estimator, name):
    """sklearn's early_stopping is a switch: True must not pass as a patience of one epoch. Nor
    is True the seed 1 (sklearn's check_random_state takes it so; the package's functions refuse it)."""
    with pytest.raises(ValueError, match=rf"'{name}' parameter of .* must be .* Got True"):
        model = estimator(**{name: True})
        model.fit(
            *((X[:20], Y[:20]) if isinstance(model, LTDDClassifier | BaselineClassifier) else (np.eye(20),))
        )


def test_numpy_numbers_fit_as_python_numbers(assert_same_predictions):
    """Grids are often NumPy arrays (np.arange, np.logspace(...).astype(int)): torch's batch
    sampler took no np.int64 batch size. pandas' downcast gives int8: hidden=np.int8(64) wrapped
    round to a negative width (another head, no feature names, transform failed); a float16
    validation_fraction held out another number of molecules."""
    ints = {"hidden": 64, "n_layers": 2, "max_epochs": 13, "batch_size": 32, "early_stopping": 2}
    fitted = [
        LTDDClassifier(
            **{name: kind(value) for name, value in ints.items()},
            validation_fraction=number(np.float16(0.05)),
            random_state=0,
        ).fit(X[:80], Y[:80])
        for kind, number in ((int, float), (np.int64, np.float16), (np.int8, np.float16))
    ]
    assert_same_predictions(*(clf.predict_proba(X[80:100]) for clf in fitted[:2]))
    assert_same_predictions(*(clf.predict_proba(X[80:100]) for clf in fitted[::2]))
    assert len(fitted[2].get_feature_names_out()) == 128 == fitted[2].transform(X[:3]).shape[1]
    # a class of 30: 0.05 in float16 arithmetic held out round(1.5) = 2, as the float 1
    rows = np.concatenate([np.flatnonzero(Y == label)[:30] for label in np.unique(Y)[:2]])
    run = {"hidden": 8, "max_epochs": 2, "early_stopping": None, "random_state": 0}
    halves = [
        BaselineClassifier(**run, validation_fraction=fraction).fit(X[rows], Y[rows])
        for fraction in (np.float16(0.05), float(np.float16(0.05)))
    ]
    assert_same_predictions(*(clf.predict_proba(X[100:110]) for clf in halves))
    # BalancedSubcluster: a uint64 n_clusters failed in NumPy's casting, one past 2**63 overflowed
    Z, labels = np.random.default_rng(0).normal(size=(60, 4)), np.repeat([0, 1], 30)
    for value in (np.uint64(3), 2**63, np.int8(3)):
        for y in (None, labels):
            clusters = BalancedSubcluster(n_clusters=value, random_state=0).fit(Z, y)
            expected = BalancedSubcluster(n_clusters=min(int(value), 60), random_state=0).fit(Z, y)
            np.testing.assert_array_equal(clusters.labels_, expected.labels_)
            assert clusters.n_subclusters_per_class_.dtype == np.int64


def _pickled_objects(obj) -> list:
    """Every object pickling ``obj`` writes, including inside skorch's torch.save'd attributes."""
    seen = []

    class Scan(pickle.Pickler):
        def reducer_override(self, value):
            seen.append(value)
            return NotImplemented

    Scan(io.BytesIO()).dump(obj)
    for net in [v for v in seen if hasattr(v, "module_")]:  # skorch pickles these with torch.save
        for part in (net.module_, net.criterion_, net.optimizer_):
            Scan(io.BytesIO()).dump(part)
    return seen


# (the solubility set holds a few molecules twice, some of them in both halves)
@pytest.mark.filterwarnings("ignore:.* rows of validation_data are training molecules")
def test_a_saved_model_holds_no_molecules_and_does_not_grow_with_the_validation_set():
    train, valid = np.arange(0, len(X), 2), np.arange(1, len(X), 2)
    params = {"max_epochs": 3, "early_stopping": None, **WARMUP_1, **FAST}
    few = np.concatenate([valid[Y[valid] == c][:10] for c in np.unique(Y)])  # every class, as large
    small = LTDDClassifier(**params).fit(X[train], Y[train], validation_data=(X[few], Y[few]))
    large = LTDDClassifier(**params).fit(X[train], Y[train], validation_data=(X[valid], Y[valid]))
    assert len(valid) >= 10 * 30
    # the history records one row per validation batch; the graphs would be hundreds of kB
    assert len(pickle.dumps(large)) < len(pickle.dumps(small)) + 2_000
    objects = _pickled_objects(large)
    assert not [o for o in objects if isinstance(o, GraphStore | GraphStorePair | GraphDataset)]
    sized = [
        o
        for o in objects
        if isinstance(o, np.ndarray | torch.Tensor) and o.ndim and len(o) in (len(train), len(valid))
    ]
    assert not sized  # nothing per training or validation sample (labels, sub-clusters)
    assert large.net_.optimizer_ is None and dict(large.net_.callbacks_)["lr"].lr_scheduler_ is None
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(large)).predict(X[:20]), large.predict(X[:20]))


def test_labels_of_mixed_types_are_refused():
    with pytest.raises(ValueError, match=r"y mixes strings and other labels \(row 1: 'a', row 0: 1\)"):
        LTDDClassifier(**FAST).fit(X[:40], [1, "a"] * 20)


def test_labels_that_are_python_numbers_in_an_object_array_are_classes(assert_same_predictions):
    """A pandas column of booleans or integers after dropna is of dtype object, which sklearn reads
    as an 'unknown' target: fit, score, the scorers, the metrics and the helpers refused labels
    that work as a list."""
    as_ints = (Y[:60] == Y[0]).astype(int)
    fitted = {}
    for name, labels in (("list", as_ints.tolist()), ("objects", pd.Series(as_ints.tolist(), dtype=object))):
        # on the CPU: two fits' scores are compared exactly, and CUDA's sums are not deterministic
        fitted[name] = BaselineClassifier(**FAST, max_epochs=2, device="cpu").fit(X[:60], labels)
        assert fitted[name].classes_.dtype.kind == "i"
        assert fitted[name].score(X[:60], labels) == fitted["list"].score(X[:60], as_ints)
        assert balanced_f1_scorer(fitted[name], X[:60], labels) == balanced_f1_scorer(
            fitted["list"], X[:60], as_ints
        )
    assert_same_predictions(fitted["objects"].predict_proba(X[60:80]), fitted["list"].predict_proba(X[60:80]))
    flags = np.array((as_ints == 1).tolist(), dtype=object)
    assert balanced_accuracy_score(flags, flags[::-1]) == balanced_accuracy_score(
        flags.astype(bool), flags[::-1].astype(bool)
    )
    report = long_tail_report(flags, flags, pd.Series(flags).value_counts())
    assert report.loc["all", "BA"] == 1.0
    assert make_long_tailed(flags, imbalance_ratio=2, random_state=0).size
    # pandas' nullable integers: integer classes in the metrics too (they were floats there)
    nullable = pd.Series(as_ints + 1, dtype="Int64")
    assert per_class_balanced_scores(nullable, nullable)["labels"].tolist() == [1, 2]
    assert per_class_balanced_scores(nullable, nullable)["labels"].dtype.kind == "i"
    with pytest.raises(ValueError, match=r"y mixes bool, int labels, row 0: True, row 1: 2,"):
        BaselineClassifier(**FAST).fit(X[:4], np.array([True, 2, 1, 2], dtype=object))
    # a row of each type: the first row alone named an ordinary integer where a bool was the odd one
    with pytest.raises(ValueError, match=r"y_true mixes bool, int labels, row 1: True, row 0: 2,"):
        balanced_accuracy_score(np.array([2, True, 0, 1], dtype=object), [0, 1, 0, 1])


def test_interval_labels_from_pandas_cut_are_refused_with_what_to_do():
    """pandas.cut, which the error for a regression target advised, gives Intervals by default:
    sklearn's error said 'unknown' and, in the metrics, printed both arrays whole."""
    binned = pd.cut(np.linspace(0, 1, 40), 3)
    for call in (
        lambda: BaselineClassifier(**FAST).fit(X[:40], binned),
        lambda: balanced_accuracy_score(binned, binned),
        lambda: imdrug_split(binned, "random", random_state=0),
    ):
        with pytest.raises(
            ValueError, match=r"holds Interval objects, row 0: Interval\(.*labels=False\) numbers the bins"
        ):
            call()
    with pytest.raises(ValueError, match=r"pandas\.cut\(y, bins, labels=False\)"):
        BaselineClassifier(**FAST).fit(X[:40], np.linspace(0, 1, 40))
    BaselineClassifier(**FAST, max_epochs=1).fit(X[:40], pd.cut(np.linspace(0, 1, 40), 3, labels=False))


def test_a_sparse_matrix_of_labels_is_refused_with_what_to_do():
    """It failed with "IndexError: tuple index out of range" from inside the package."""
    sparse = scipy.sparse.csr_matrix((Y[:40] == Y[0]).astype(int).reshape(-1, 1))
    for call in (
        lambda: BaselineClassifier(**FAST).fit(X[:40], sparse),
        lambda: balanced_f1_score(sparse, sparse),
    ):
        with pytest.raises(TypeError, match=r"not a sparse \(40, 1\) matrix; .* y\.toarray\(\)\.ravel\(\)"):
            call()


def test_a_regression_target_is_refused_naming_a_value_that_is_not_a_class():
    y = np.r_[np.ones(39), 2.5]  # sklearn's error named no value
    for fit in (LTDDClassifier(**FAST).fit, BaselineClassifier(**FAST).fit):
        with pytest.raises(ValueError, match=r"continuous \(position 39: 2\.5 is not a whole number\)"):
            fit(X[:40], y)


def test_whole_numbers_beyond_int64_are_a_regression_target_too():
    with pytest.raises(ValueError, match=r"Unknown label type: continuous, a regression target"):
        BaselineClassifier(**FAST).fit(X[:40], np.r_[np.full(39, 1e20), 2.0])


def test_labels_that_differ_only_by_surrounding_spaces_are_said_to_be_classes_of_their_own():
    padded = np.array(Y[:60], dtype=object)
    labels, counts = np.unique(padded, return_counts=True)
    firsts = [int(np.argmax(padded == label)) for label in labels[counts > 1]]  # one of a class's several
    padded[firsts] = [f" {label}" for label in padded[firsts]]
    message = (
        r"labels that differ only by case or surrounding spaces are classes of their own: ' low' and 'low'; "
    )
    with pytest.warns(UserWarning, match=message) as caught:
        clf = BaselineClassifier(max_epochs=1, **NO_VALIDATION, **FAST).fit(X[:60], padded)
    assert str(caught[0].message).count(" and ") == len(firsts) and caught[0].filename == __file__
    assert len(clf.classes_) == len(labels) + len(firsts)  # as given: said, not merged
    # case as well ('active ' had no twin once stripped, and 'Active' differs in case alone)
    cased = np.array(["Active", "active ", "ACTIVE", "inactive"] * 15, dtype=object)
    with pytest.warns(
        UserWarning, match=r"of their own: 'ACTIVE' and 'Active' and 'active '\.?; write them"
    ) as caught:
        BaselineClassifier(max_epochs=1, **NO_VALIDATION, **FAST).fit(X[:60], cased)


def test_labels_in_chemical_notation_keep_their_case():
    """Reaction templates' case is meaning ([C:3] an aliphatic carbon, [c:3] an aromatic one): 15
    of the 335 template classes were said to differ only by case, with advice to lower-case them."""
    from sklearn_ltdd._labels import warn_of_look_alike_classes

    aliphatic = "[#7:2]-[CH2;D2;+0:1]-[C:3]>>O=[C;H0;D3;+0:1](-[#7:2])-[C:3]"
    aromatic = aliphatic.replace("[C:3]", "[c:3]")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_of_look_alike_classes(np.array([aliphatic, aromatic]))
    with warnings.catch_warnings(record=True) as caught:  # a test class training lacks: said, as such
        warnings.simplefilter("always")
        long_tail_report([aromatic, aliphatic], [aliphatic, aliphatic], {aliphatic: 30, "other": 10})
    assert caught and not [w for w in caught if "only by case" in str(w.message)]
    # spaces still, advised to strip alone (lower-casing would merge the two templates)
    with pytest.warns(
        UserWarning, match=r"of their own: '.*' and '.* '; write them one way \(y\.str\.strip\(\), say\)"
    ):
        warn_of_look_alike_classes(np.array([aliphatic, aromatic, f"{aliphatic} "]))
    with warnings.catch_warnings():  # SMILES without brackets too: benzene and cyclohexane
        warnings.simplefilter("error")
        warn_of_look_alike_classes(np.array(["c1ccccc1", "C1CCCCC1"]))
    # words that RDKit reads as molecules, but whose twins it does not ("no" is no SMILES)
    with pytest.warns(
        UserWarning, match=r"'NO' and 'no'; 'N' and 'n'; write them one way \(y\.str\.strip\(\)\.str"
    ):
        warn_of_look_alike_classes(np.array(["NO", "no", "N", "n"]))
    with pytest.warns(UserWarning, match=r"'Class>1' and 'class>1'; .*\(y\.str\.strip\(\)\.str\.lower\(\)"):
        warn_of_look_alike_classes(np.array(["Class>1", "class>1"]))  # (words, not notation)


def test_labels_that_are_nearly_all_of_one_sample_are_said_to_be_an_identifier_or_the_smiles():
    """fit(X, X), or y an id column, trained a lookup of the training molecules; nothing said so
    but sklearn's hint of a regression target, which the docs say can be ignored."""
    ids = np.array([f"mol-{i}" for i in range(60)], dtype=object)
    for y in (ids, np.asarray(X[:60], dtype=object)):
        with pytest.warns(
            UserWarning,
            match=r"^\d+ of the 60 samples are each the single sample of its class .*SMILES column \(or",
        ) as caught:
            warnings.simplefilter("ignore", UserWarning)  # (sklearn's regression-target hint)
            warnings.filterwarnings("always", r"\d+ of the 60 samples", UserWarning)
            BaselineClassifier(max_epochs=1, **NO_VALIDATION, **FAST).fit(X[:60], y)
    assert caught[0].filename == __file__
    # a long tail's classes of one sample beside larger ones are no identifier, however many they are
    tail = np.array([*Y[:30], *[f"rare-{i}" for i in range(30)]], dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # (sklearn's regression-target hint)
        warnings.filterwarnings("error", r"\d+ of the 60 samples", UserWarning)
        BaselineClassifier(max_epochs=1, **NO_VALIDATION, **FAST).fit(X[:60], tail)


def test_a_fit_runs_where_standard_output_is_none_or_cannot_flush(monkeypatch):
    """skorch flushes sys.stdout after each epoch's row, at any verbose: under pythonw (no
    standard output, None) or with a logger's writer that has no flush, every fit failed."""

    class Writer:
        def __init__(self):
            self.text = []

        def write(self, text):
            self.text.append(text)

    writer = Writer()
    monkeypatch.setattr(sys, "stdout", writer)
    for verbose in (0, 1):
        LTDDClassifier(max_epochs=2, verbose=verbose, **WARMUP_1, **FAST).fit(X[:100], Y[:100])
    assert "valid_ba" in "".join(writer.text)  # verbose=1's table, there
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)  # (verbose=2's progress bar draws on it)
    clf = LTDDClassifier(max_epochs=2, verbose=2, **WARMUP_1, **FAST).fit(X[:100], Y[:100])
    from sklearn_ltdd.classifier import _inference

    monkeypatch.setattr(_inference, "CHUNK_ROWS", 10)  # (a verbose prediction's bar, past one chunk)
    assert len(clf.predict(X[:30])) == 30
    # the net's parameters name the log it prints with (they named skorch's, which prints and flushes)
    from sklearn_ltdd._console import say

    assert clf.net_.get_params()["callbacks__print_log__sink"] is say


def test_a_report_to_a_closed_pipe_goes_nowhere_and_leaves_other_streams_be(
    tmp_path, monkeypatch, closed_stdout
):
    """A report that cannot be written (``| head``) must not stop the work; only the process's own
    standard output is then pointed at the null device, never a stream put in its place (a log
    writing through the same descriptor went silent for the rest of the session)."""
    from sklearn_ltdd._console import say

    with closed_stdout():
        say("epoch 1")  # no error
        os.write(sys.stdout.fileno(), b"still written")  # (its file's descriptor, not the null device's)
    assert (tmp_path / "closed-stdout").read_text() == "still written"
    with closed_stdout():  # the process's own standard output: its descriptor writes nowhere after
        monkeypatch.setattr(sys, "__stdout__", sys.stdout)
        say("epoch 1")
        os.write(sys.stdout.fileno(), b"gone")
    assert (tmp_path / "closed-stdout").read_text() == ""
    monkeypatch.setattr("os.name", "nt")  # Windows says a closed pipe with EINVAL
    with closed_stdout():
        monkeypatch.setattr(sys.stdout, "write", lambda text: (_ for _ in ()).throw(OSError(22, "Invalid")))
        say("epoch 1")  # no error
    full = types.SimpleNamespace(write=lambda text: (_ for _ in ()).throw(OSError(28, "No space left")))
    monkeypatch.setattr(sys, "stdout", full)
    with pytest.raises(OSError, match="No space left"):  # not a closed pipe: said, not swallowed
        say("epoch 1")


def test_the_epoch_log_has_no_colour_codes_outside_a_terminal(capsys):
    LTDDClassifier(max_epochs=3, verbose=1, **WARMUP_1, **FAST).fit(X[:100], Y[:100])
    out = capsys.readouterr().out
    assert "valid_ba" in out and not re.search(r"\x1b\[", out)


def test_the_epoch_log_stays_in_line_when_a_longer_phase_name_follows(capsys):
    """skorch sizes each row of its table on its own: ``decoupling`` after ``ce`` pushed the row's
    later columns out of line with the heading."""
    BaselineClassifier(loss="decoupling", max_epochs=5, verbose=1, **FAST).fit(X[:100], Y[:100])
    lines = capsys.readouterr().out.splitlines()
    table = lines[lines.index(next(line for line in lines if "phase" in line)) :][:7]  # heading, rule, 5 rows
    assert table[-1].split()[1] == "decoupling" and table[2].split()[1] == "ce"
    assert len({len(line) for line in table}) == 1, table


# a bootstrap that draws a rare class's one sample (as a weight) leaves it out of the hold-out: said
@pytest.mark.filterwarnings("ignore:the validation hold-out has no sample of")
def test_bagging_takes_one_column_of_smiles():
    column = np.asarray(X[:90], dtype=object).reshape(-1, 1)
    bag = BaggingClassifier(LTDDClassifier(max_epochs=2, **WARMUP_1, **FAST), n_estimators=2, random_state=0)
    assert bag.fit(column, Y[:90]).predict(column[:5]).shape == (5,)


def test_a_bootstrap_that_draws_no_sample_of_a_class_fits_a_member_that_never_predicts_it():
    # Bagging passes its bootstrap as sample_weight: a class it did not draw weighs 0 throughout
    column, y = np.asarray(X[:90], dtype=object).reshape(-1, 1), Y[:90].astype(object)
    y[[0, 1]] = "rare"
    bag = BaggingClassifier(BaselineClassifier(max_epochs=1, **FAST), n_estimators=2, random_state=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bag.fit(column, y)
    missing = [str(w.message) for w in caught if "have no sample with a positive" in str(w.message)]
    # each member missed a class (the tail's "high", code 0, or "rare", 3: Bagging hands its members
    # the classes' codes) and keeps it, as scikit-learn's classifiers do, with probability 0
    assert [message[:11] for message in missing] == ["classes [3]", "classes [0]"]
    assert [member.classes_.tolist() for member in bag.estimators_] == [[0, 1, 2, 3]] * 2
    members = zip(bag.estimators_, (3, 0), strict=True)
    assert [member.predict_proba(column)[:, c].max() for member, c in members] == [0, 0]
    proba = bag.predict_proba(column[:5])
    assert proba.shape == (5, 4) and np.allclose(proba.sum(axis=1), 1)
    # the mean of the members' decision functions (each member's 4 columns; with 3 columns, one
    # member's broke it: "operands could not be broadcast together with shapes (5,3) (5,4)")
    scores = bag.decision_function(column[:5])
    assert scores.shape == (5, 4) and np.isfinite(scores).all()


@pytest.mark.filterwarnings("ignore:classes .* have no sample with a positive sample_weight")
def test_a_calibrated_model_whose_member_trained_without_a_class_predicts_the_others():
    # CalibratedClassifierCV maps a member's columns by its classes_, but calibrates the binary
    # decision_function of a member left with two of three classes as its only column: every
    # calibrated probability, and prediction, went to one class. The member keeps all three.
    column, y = np.asarray(X[:90], dtype=object).reshape(-1, 1), Y[:90].astype(object)
    weights = np.where(y == "high", 0.0, 1.0)
    # (on the CPU: which classes so brief a fit predicts is not the point)
    member = BaselineClassifier(max_epochs=2, device="cpu", **NO_VALIDATION, **FAST)
    calibrated = CalibratedClassifierCV(member, cv=2)
    predicted = calibrated.fit(column, y, sample_weight=weights).predict(column)
    assert set(predicted) == {"low", "medium"}  # both, and never the class weighted out


@pytest.mark.filterwarnings("ignore:the validation hold-out takes")  # 4 reactions, 10 copies each
def test_graphs_made_otherwise_are_refused_at_predict():
    from sklearn_ltdd import SmilesGraphizer
    from sklearn_ltdd.featurize._graph_features import featurize_chunk

    reactions = ["CCO>>CC=O", "CCCO>>CCC=O", "c1ccccc1>>c1ccccc1C", "CCN>>CC=N"] * 10
    labels = ["a", "a", "b", "b"] * 10
    clf = LTDDClassifier(reaction_mode="reaction", fingerprint=None, max_epochs=2, **WARMUP_1, **FAST)
    clf.fit(reactions, labels)
    products = SmilesGraphizer(reaction_mode="products", fingerprint=None).fit_transform(reactions)
    with pytest.raises(ValueError, match="reaction_mode='products', expected 'reaction'"):
        clf.predict(products)
    # a store built by hand says nothing of how it was made; its width is still checked
    packed = featurize_chunk(reactions, "reaction")[0][0]
    packed["x"] = np.hstack([packed["x"], packed["x"]])
    wide = GraphStore.from_arrays(packed)
    with pytest.raises(
        ValueError,
        match="have 148 node features and no fingerprint bits, but the model reads 74 node features and no",
    ):
        clf.predict(wide)
    # nor do its validation graphs, and a model fitted on such graphs cannot read SMILES
    with pytest.raises(
        ValueError, match=r"have 148 node features .* but the model reads 74 .* validation_data"
    ):
        clone(clf).fit(reactions, labels, validation_data=(wide, labels))
    by_hand = clone(clf).fit(wide, labels)
    assert by_hand.predict(wide).shape == (40,)
    with pytest.raises(
        ValueError,
        match="fitted on graphs of 148 node features and no fingerprint bits, but SMILES featurise to 74",
    ):
        by_hand.predict(reactions)  # was a matrix product of mismatched shapes
    # of the widths SMILES give, but other features (here every node's scaled): SMILES were
    # featurised as the package does and scored in silence
    packed = featurize_chunk(reactions, "reaction")[0][0]
    packed["x"] = (packed["x"] / 2).astype(np.float32)
    same_widths = clone(clf).fit(GraphStore.from_arrays(packed), labels)
    with pytest.raises(ValueError, match=r"fitted on graphs without a recipe \(a GraphStore built by hand"):
        same_widths.predict(reactions)
    assert same_widths.predict(GraphStore.from_arrays(packed)).shape == (40,)
    # graphs of SmilesGraphizer carry their recipe: such a model reads SMILES
    made = SmilesGraphizer(reaction_mode="reaction", fingerprint=None).fit_transform(reactions)
    assert clone(clf).fit(made, labels).predict(reactions).shape == (40,)


def test_validation_graphs_are_checked_for_what_the_network_reads_only():
    """A model without the fingerprint, fitted on graphs with one, refused validation SMILES: the
    training graphs' 2048 bits were taken for what the network reads."""
    from sklearn_ltdd import SmilesGraphizer

    graphs = SmilesGraphizer(fingerprint="morgan").fit_transform(X[:60])
    clf = BaselineClassifier(fingerprint=None, max_epochs=2, **FAST)
    for valid in (X[:60], SmilesGraphizer(fingerprint=None).fit_transform(X[:60])):
        # (the training molecules themselves, and said to be: the fingerprint the network does
        # not read tells them apart from nothing)
        with pytest.warns(UserWarning, match="60 of the 60 rows of validation_data are training molecules"):
            fitted = clone(clf).fit(graphs, Y[:60], validation_data=(valid, Y[:60]))
        assert fitted.predict(X[:3]).shape == (3,)


@pytest.mark.filterwarnings("ignore:the validation hold-out takes")  # 4 reactions, 10 copies each
def test_one_side_of_pairs_is_named_as_such():
    """A pair model given graphs.reactants was told to use the reaction_mode it had."""
    from sklearn_ltdd import SmilesGraphizer

    reactions = ["CCO>>CC=O", "CCCO>>CCC=O", "c1ccccc1>>c1ccccc1C", "CCN>>CC=N"] * 10
    labels = ["a", "a", "b", "b"] * 10
    pairs = SmilesGraphizer(reaction_mode="pair", fingerprint=None).fit_transform(reactions)
    clf = LTDDClassifier(reaction_mode="pair", fingerprint=None, max_epochs=2, **WARMUP_1, **FAST)
    clf.fit(pairs, labels)
    for side in (pairs.reactants, pairs.products):
        with pytest.raises(
            ValueError, match=r"one side of reactant / product pairs .* the GraphStorePair itself"
        ):
            clf.predict(side)


def test_probabilities_sum_to_one_in_float64(assert_same_predictions):
    from sklearn.metrics import log_loss

    # on the CPU: two passes of one model on CUDA differ by its non-deterministic sums (2e-7)
    clf = BaselineClassifier(max_epochs=2, **FAST, **NO_VALIDATION, device="cpu").fit(X[:120], Y[:120])
    proba = clf.predict_proba(X[:120])
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=0, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_loss(Y[:120], proba, labels=clf.classes_)
        # sklearn's classifiers with predict_proba have predict_log_proba (cross_val_predict asks):
        # the log-softmax itself, of which predict_proba is the exponential (rounding apart)
        log_proba = clf.predict_log_proba(X[:120])
        assert np.isfinite(log_proba).all()
        np.testing.assert_allclose(log_proba, np.log(proba), rtol=1e-9, atol=1e-12)
        assert_same_predictions(np.exp(log_proba), proba)


def test_the_verbose_report_names_the_epoch_kept(capsys):
    clf = BaselineClassifier(loss="ib", max_epochs=15, early_stopping=3, verbose=1, **FAST).fit(X, Y)
    best = int(re.search(r"best epoch (\d+)", capsys.readouterr().out).group(1))
    assert clf.history_[best - 1, "valid_ba_best"] and clf.history_[best - 1, "phase"] == "ib"


def test_an_empty_hold_out_with_early_stopping_is_refused():
    with pytest.raises(ValueError, match="validation hold-out is empty"):
        LTDDClassifier(max_epochs=2, **WARMUP_1, **FAST).fit(X[:3], ["a", "b", "c"])
    # without early stopping it fits, saying that nothing chose the epochs kept or τ
    with pytest.warns(UserWarning, match=r"hold-out is empty .* nothing chooses the epochs kept or τ"):
        clf = LTDDClassifier(max_epochs=2, early_stopping=None, **WARMUP_1, **FAST).fit(
            X[:3], ["a", "b", "c"]
        )
    assert clf.logit_adjustment_ == 1.0


def test_the_divergence_check_reads_the_weighted_mean_cross_entropy():
    """The samples' cross-entropy is their weighted mean, as the validation loss is: a mutation
    to the plain mean passed every test. Here the weighted mean of the samples of positive weight
    is 40 nats (diverged: above 30.7), their plain mean 26.7 (not); with equal weights, 20."""
    from sklearn_ltdd.classifier._validation import warn_if_diverged

    y = torch.tensor([0, 1, 0, 1])
    log_proba = np.log(np.array([[1.0, 1e-30], [1e-30, 1.0], [1.0, 1e-30], [1.0, 1e-30]]))
    log_proba[3] = [0.0, -80.0]  # the one sample far off: 80 nats
    check = partial(
        warn_if_diverged, np.array(["a", "b"]), class_log_prior=np.log([0.5, 0.5]), tau=0.0, lr=1.0
    )
    with pytest.warns(RuntimeWarning, match=r"a mean cross-entropy of 40 \(a uniform guess: 0.69\)"):
        check(
            types.SimpleNamespace(y=y, sample_weight=torch.tensor([1.0, 1.0, 0.0, 2.0])), log_proba=log_proba
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check(types.SimpleNamespace(y=y, sample_weight=torch.ones(4)), log_proba=log_proba)  # 20 nats


@pytest.mark.filterwarnings("ignore:the validation hold-out has no sample")  # the singletons
def test_a_hold_out_far_beyond_its_fraction_is_warned_of():
    """Classes of two give one sample each to the hold-out: half the data, with no word said."""
    pairs = np.repeat([f"c{i}" for i in range(30)], 2)
    with pytest.warns(UserWarning, match=r"hold-out takes 30 of the 60 samples \(50%; validation_frac"):
        LTDDClassifier(max_epochs=2, **WARMUP_1, **FAST).fit(X[:60], pairs)
    # singletons stay in training: the classes that give a sample are counted, and said to be such
    mixed = np.concatenate([np.repeat([f"c{i}" for i in range(20)], 3), [f"one{i}" for i in range(10)]])
    with pytest.warns(UserWarning, match=r"takes 20 of the 70 .* and 20 of the 30 classes have 2 to 9; "):
        LTDDClassifier(max_epochs=2, **WARMUP_1, **FAST).fit(X[:70], mixed)
    fives = np.repeat([f"c{i}" for i in range(12)], 5)  # 12 of 60 (20 %) is within twice the fraction
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LTDDClassifier(max_epochs=2, **WARMUP_1, **FAST).fit(X[:60], fives)


def _failing_training(clf):
    build = clf._build_net

    def failing(*args):
        net = build(*args)

        def fit(*_, **__):
            raise RuntimeError("CUDA out of memory (simulated)")

        net.fit = fit
        return net

    return failing


@pytest.mark.parametrize(
    "refit, error",
    [
        (lambda clf: clf.fit(X[:40], ["z"] * 40), "only one class"),
        (lambda clf: clf.fit(X[:40], Y[:40], validation_data=(X[40:50], ["new"] * 10)), "not seen in fit"),
        (lambda clf: clf.set_params(hidden=8).fit(X[:40], Y[:40]), "out of memory"),
    ],
    ids=["one class", "unknown validation label", "training fails"],
)
def test_a_refit_that_fails_leaves_the_model_as_it_was(monkeypatch, refit, error, assert_same_predictions):
    clf = BaselineClassifier(max_epochs=2, **FAST, **NO_VALIDATION).fit(X[:60], Y[:60].astype(str))
    before, expected = dict(vars(clf)), clf.predict_proba(X[80:90])
    # in the instance's dict: pytest < 9.2 undid a setattr of the method by leaving it there
    monkeypatch.setitem(vars(clf), "_build_net", _failing_training(clf))
    with pytest.raises((ValueError, RuntimeError), match=error):
        refit(clf)
    monkeypatch.undo()
    clf.set_params(hidden=FAST["hidden"])
    assert vars(clf).keys() == before.keys()
    assert all(vars(clf)[name] is value for name, value in before.items())
    assert_same_predictions(clf.predict_proba(X[80:90]), expected)
    assert clf.predict(X[80:90]).dtype.kind == "U"  # the labels it was fitted on, not the failed refit's


def test_a_first_fit_that_fails_leaves_the_model_unfitted():
    clf = BaselineClassifier(max_epochs=2, **FAST, **NO_VALIDATION)
    with pytest.raises(ValueError, match="only one class"):
        clf.fit(X[:40], ["z"] * 40)
    assert not [name for name in vars(clf) if name.endswith("_")]
    with pytest.raises(NotFittedError):
        clf.predict(X[:5])


def test_a_model_fitted_on_older_features_is_refused():
    clf = LTDDClassifier(max_epochs=2, **WARMUP_1, **FAST).fit(X[:60], Y[:60])
    clf.feature_schema_ = 1  # as fitted by a release before the notation-invariant features
    with pytest.raises(ValueError, match=r"fitted on atom features of schema 1.*refit it"):
        clf.predict(X[:5])


def test_predict_featurises_as_the_fit_did_whatever_is_set_after(assert_same_predictions):
    clf = BaselineClassifier(max_epochs=2, **FAST, **NO_VALIDATION).fit(X[:80], Y[:80])
    expected = clf.predict_proba(X[80:100])
    for changed in ({"fingerprint": None}, {"encoder": "gine"}, {"reaction_mode": "products"}):
        fitted_with = {name: clf.get_params()[name] for name in changed}
        assert_same_predictions(clf.set_params(**changed).predict_proba(X[80:100]), expected)
        clf.set_params(**fitted_with)
    # a refit that fails keeps the model it had, featuriser included
    with pytest.raises(InvalidSmilesError):
        clf.set_params(fingerprint=None).fit(["C1CC", *X[:79]], Y[:80])
    assert_same_predictions(clf.predict_proba(X[80:100]), expected)
    clf.set_params(fingerprint="morgan")
    # a model saved before the fit kept its featuriser: its parameters say how it featurises
    state = clf.__getstate__()
    del state["graphizer_"]
    older = BaselineClassifier.__new__(BaselineClassifier)
    older.__setstate__(state)
    assert_same_predictions(older.predict_proba(X[80:100]), expected)


def test_a_model_saved_without_what_prediction_reads_is_refused_on_loading(assert_same_predictions):
    from sklearn_ltdd.classifier._base import _PREDICTS_WITH

    clf = BaselineClassifier(max_epochs=2, **FAST, **NO_VALIDATION).fit(X[:80], Y[:80])
    methods = ("predict", "predict_proba", "decision_function", "transform")
    expected = {method: getattr(clf, method)(X[80:90]) for method in methods}
    # what the fit sets (without net_ a model is not fitted, and says so)
    unfitted = vars(BaselineClassifier(max_epochs=2, **FAST, **NO_VALIDATION))
    fitted = [name for name in vars(clf) if name not in unfitted and name != "net_"]
    for name in fitted:
        state = clf.__getstate__()
        del state[name]  # as a model saved by a release that did not fit that attribute
        if name in _PREDICTS_WITH:
            unpredictable = copy.copy(clf)
            delattr(unpredictable, name)
            failing = []  # what the model would meet in one of its methods at least
            for method in methods:
                try:
                    getattr(unpredictable, method)(X[80:90])
                except AttributeError:
                    failing.append(method)
            assert failing, name
            with pytest.raises(
                ValueError, match=rf"earlier release of sklearn-ltdd, .*lack \['{name}'\].* \(Base"
            ):
                BaselineClassifier.__new__(BaselineClassifier).__setstate__(state)
        else:  # recorded, or made again from the parameters: the model computes as before
            older = BaselineClassifier.__new__(BaselineClassifier)
            if name == "versions_":  # (which it warns of: they are not known to be this release's)
                with pytest.warns(UserWarning, match="did not record its versions"):
                    older.__setstate__(state)
            else:
                older.__setstate__(state)
            for method in methods:
                assert_same_predictions(getattr(older, method)(X[80:90]), expected[method])
    assert set(_PREDICTS_WITH) < set(fitted)


def interrupt_at_step(monkeypatch, step: int) -> list:
    """Ctrl-C in the middle of the fit's ``step``-th training step (counting from 1); returns the
    list that gets an item a step."""
    from sklearn_ltdd.classifier._net import LTDDNet

    calls, train_step = [], LTDDNet.train_step

    def interrupted(self, batch, **fit_params):
        calls.append(1)
        if len(calls) == step:
            raise KeyboardInterrupt
        return train_step(self, batch, **fit_params)

    monkeypatch.setattr(LTDDNet, "train_step", interrupted)
    return calls


def test_ctrl_c_before_the_head_trains_reaches_the_caller_and_keeps_the_estimator(
    monkeypatch, assert_same_predictions
):
    """Interrupted in LTDD's warm-up, skorch ended the fit as if done: the model returned had a
    head at its initial weights, and τ chosen on its random outputs."""
    params = {**FAST, "max_epochs": 6, "schedule": SubclusterSchedule(warmup_epochs=3)}
    fitted = LTDDClassifier(**params).fit(X, Y)
    steps_per_epoch = fitted.history_[0, "train_batch_count"]
    before = fitted.predict_proba(X[:10])
    interrupt_at_step(monkeypatch, steps_per_epoch + 2)  # in the second warm-up epoch
    with pytest.raises(
        KeyboardInterrupt,
        match=r"before an epoch of the method.s final phase \(.ltdd., after the .warmup. phase\) had trained",
    ):
        fitted.fit(X, Y)
    assert_same_predictions(fitted.predict_proba(X[:10]), before)  # as it was
    fresh = LTDDClassifier(**params)
    interrupt_at_step(monkeypatch, steps_per_epoch + 2)
    with pytest.raises(KeyboardInterrupt):
        fresh.fit(X, Y)
    with pytest.raises(NotFittedError):
        fresh.predict(X[:3])
    # interrupted after an epoch that trained the head: the interrupt reaches the caller (skorch
    # took it for the end of training, and a loop of fits went on), and the estimator keeps what
    # it had trained, complete
    interrupt_at_step(monkeypatch, 4 * steps_per_epoch + 2)
    kept = LTDDClassifier(**params)
    with pytest.raises(KeyboardInterrupt, match=r"interrupted \(Ctrl-C\) in epoch 5 of max_epochs=6; the"):
        kept.fit(X, Y)
    assert len(kept.history_) == 5 and kept.history_[3, "phase"] == "ltdd"
    assert kept.history_[-1, "stop"] == "interrupted" and "stop" not in kept.history_[-2]
    assert np.isfinite(kept.predict_proba(X[:10])).all()
    # the step that ended before the interrupt keeps its loss, as in skorch (read at the pass's end,
    # the interrupted pass lost every one of them)
    assert np.isfinite(kept.history_[-1, "batches", 0, "train_loss"])
    assert "train_loss" not in kept.history_[-1, "batches", 1]  # (the step interrupted)
    # a loop of fits stops there, after the head has trained: no further fold starts
    from sklearn_ltdd.classifier._net import LTDDNet

    fits, train_step = [], LTDDNet.train_step

    def interrupted_in_epoch_5(self, batch, **fit_params):
        if len(self.history) == 1 and not self.history[-1]["batches"][:-1]:
            fits.append(1)  # a fit's first step
        if len(self.history) == 5:
            raise KeyboardInterrupt
        return train_step(self, batch, **fit_params)

    monkeypatch.setattr(LTDDNet, "train_step", interrupted_in_epoch_5)
    with pytest.raises(KeyboardInterrupt, match="in epoch 5 of max_epochs=6; the estimator keeps"):
        cross_val_score(LTDDClassifier(**params), X, Y, cv=2)
    assert len(fits) == 1


def test_ctrl_c_in_an_epoch_leaves_no_progress_bar_open(monkeypatch, capsys):
    """skorch closes an epoch's bar (verbose=2) at the epoch's end, which Ctrl-C skips: the model
    kept held an open bar, and each later bar was drawn a line lower."""
    from tqdm import tqdm

    def open_bars() -> int:
        return sum(not bar.disable for bar in getattr(tqdm, "_instances", ()))

    from sklearn_ltdd.classifier._net import LTDDNet

    train_step = LTDDNet.train_step

    def interrupted_in_epoch_2(self, batch, **fit_params):
        if len(self.history) == 2:
            raise KeyboardInterrupt
        return train_step(self, batch, **fit_params)

    monkeypatch.setattr(LTDDNet, "train_step", interrupted_in_epoch_2)
    params = {**FAST, "max_epochs": 3, "schedule": SubclusterSchedule(warmup_epochs=0), "verbose": 2}
    before = open_bars()
    kept = LTDDClassifier(**params)
    with pytest.raises(KeyboardInterrupt, match="in epoch 2 of max_epochs=3; the estimator keeps"):
        kept.fit(X, Y)
    assert kept.history_[-1, "stop"] == "interrupted"
    assert open_bars() == before

    # an error (a device out of memory, say) rather than Ctrl-C: skorch ends no training after it
    def failing_in_epoch_2(self, batch, **fit_params):
        if len(self.history) == 2:
            raise RuntimeError("out of memory (a stand-in)")
        return train_step(self, batch, **fit_params)

    monkeypatch.setattr(LTDDNet, "train_step", failing_in_epoch_2)
    with pytest.raises(RuntimeError, match="a stand-in") as caught:  # (which holds the failed fit's frames)
        LTDDClassifier(**params).fit(X, Y)
    assert caught.value is not None and open_bars() == before
    capsys.readouterr()


def test_ctrl_c_before_decouplings_new_head_trains_keeps_the_estimator(monkeypatch):
    """``decoupling`` re-initialises the head for its final phase: interrupted before that head
    had trained an epoch, the fit kept it, random, on the frozen encoder (the cross-entropy
    phase's epochs were taken for its training), and said the model was complete and usable."""
    params = {**FAST, "loss": "decoupling", "max_epochs": 10, "fingerprint": None, "early_stopping": None}
    steps_per_epoch = BaselineClassifier(**FAST, max_epochs=1).fit(X, Y).history_[0, "train_batch_count"]
    fresh = BaselineClassifier(**params)
    interrupt_at_step(monkeypatch, 8 * steps_per_epoch + 1)  # the first step of epoch 9, decoupling's
    with pytest.raises(
        KeyboardInterrupt, match=r"in epoch 9 of max_epochs=10, before .* \('decoupling', which re-init"
    ):
        fresh.fit(X, Y)
    with pytest.raises(NotFittedError):
        fresh.predict(X[:3])
    interrupt_at_step(monkeypatch, 9 * steps_per_epoch + 1)  # after one epoch of the new head
    with pytest.raises(KeyboardInterrupt, match="in epoch 10 of max_epochs=10; the estimator keeps"):
        fresh.fit(X, Y)
    assert fresh.history_[8, "phase"] == "decoupling" and fresh.history_[-1, "stop"] == "interrupted"


def interrupt_scoring(monkeypatch, call: int) -> None:
    """Ctrl-C in the ``call``-th scoring of an epoch's validation outputs (counting from 1)."""
    from sklearn_ltdd.classifier._selection import ValidationScores

    calls, scores = [], ValidationScores._scores

    def interrupted(self, *args):
        calls.append(1)
        if len(calls) == call:
            raise KeyboardInterrupt
        return scores(self, *args)

    monkeypatch.setattr(ValidationScores, "_scores", interrupted)


def test_ctrl_c_while_an_epoch_is_scored_keeps_no_validation_labels_and_a_history_of_one_shape(
    monkeypatch, capsys
):
    """Interrupted while scoring, the kept model held the validation set's labels, weights and
    outputs (in its pickle too); its last row lacked the columns of the others, so that
    ``history_[:, "valid_ba"]`` had a row fewer than ``history_[:, "kept"]``, and the closing line
    named no best epoch."""
    params = {**FAST, "max_epochs": 6, "schedule": SubclusterSchedule(warmup_epochs=3), "verbose": 1}
    interrupt_scoring(monkeypatch, 2)  # epoch 5, the second of the final phase
    clf = LTDDClassifier(**params)
    with pytest.raises(KeyboardInterrupt, match="in epoch 5 of max_epochs=6; the estimator keeps"):
        clf.fit(X, Y)
    scores = dict(clf.net_.callbacks_)["valid_scores"]
    assert not (scores.outputs_ or scores.targets_ or scores.weights_)  # (lists of tensors)
    history = clf.history_
    assert set(history[-1]) - {"stop"} == set(history[-2]) and set(history[0]) == set(history[-2])
    assert len(history[:, "valid_ba"]) == len(history[:, "kept"]) == 5
    assert np.isnan(history[-1, "valid_ba"]) and not history[-1, "valid_ba_best"]
    assert history[-1, "train_batch_count"] > 0  # (its training pass had ended)
    closing = capsys.readouterr().out.strip().splitlines()[-1]
    assert closing.startswith("LTDDClassifier: interrupted in epoch 5, best epoch 4: valid BA"), closing


def test_ctrl_c_while_the_first_epoch_is_validated_keeps_a_model_with_no_curve_to_draw(monkeypatch):
    """Its one row has no losses (skorch writes an epoch's at its end): plot_training drew an empty
    plot, and matplotlib warned of an empty legend."""
    pytest.importorskip("matplotlib")
    from sklearn_ltdd.classifier._net import LTDDNet
    from sklearn_ltdd.plotting import plot_training

    def interrupted(self, *args, **kwargs):  # at the first validation batch
        raise KeyboardInterrupt

    monkeypatch.setattr(LTDDNet, "validation_step", interrupted)
    clf = BaselineClassifier(**FAST, max_epochs=3)
    with pytest.raises(KeyboardInterrupt, match="in epoch 1 of max_epochs=3; the estimator keeps"):
        clf.fit(X, Y)
    assert len(clf.predict(X[:3])) == 3
    # the documented columns, with no row before to copy them from (history_[:, "valid_ba"] raised)
    assert np.isnan(clf.history_[:, "valid_ba"]).all() and np.isnan(clf.history_[:, "train_loss"]).all()
    assert clf.history_[:, "valid_ba_best"] == [False] and clf.history_[-1, "stop"] == "interrupted"
    with pytest.raises(ValueError, match="interrupted in its first epoch: no epoch ended"):
        plot_training(clf)
    # LTDD's loss terms too (the fingerprint expert's among them)
    ltdd = LTDDClassifier(**FAST, max_epochs=3, schedule=SubclusterSchedule(warmup_epochs=0))
    with pytest.raises(KeyboardInterrupt, match="in epoch 1 of max_epochs=3; the estimator keeps"):
        ltdd.fit(X, Y)
    for term in ("contrastive_loss", "ce_loss", "wide_loss"):
        assert np.isnan(ltdd.history_[:, term]).all(), term


def test_ctrl_c_before_the_final_phase_trains_keeps_no_model_of_another_method(monkeypatch):
    """``ib`` starts with cross-entropy: interrupted there, the fit kept a plain cross-entropy
    model, and said it was complete and usable."""
    params = {**FAST, "loss": "ib", "max_epochs": 10, "early_stopping": None}
    steps_per_epoch = BaselineClassifier(**FAST, max_epochs=1).fit(X, Y).history_[0, "train_batch_count"]
    fresh = BaselineClassifier(**params)
    interrupt_at_step(monkeypatch, 2 * steps_per_epoch + 1)  # epoch 3, of the cross-entropy start
    with pytest.raises(KeyboardInterrupt, match=r"final phase \('ib', after the 'ce' phase\) had trained"):
        fresh.fit(X, Y)
    with pytest.raises(NotFittedError):
        fresh.predict(X[:3])


def test_ctrl_c_after_the_first_training_pass_of_the_final_phase_keeps_it(monkeypatch):
    """Interrupted in its validation pass, the final phase's first epoch had trained, but the fit
    was refused for a head that "had not trained a whole epoch"."""
    from sklearn_ltdd.classifier._net import LTDDNet

    validation_step = LTDDNet.validation_step

    def interrupted(self, batch, **fit_params):  # the first validation step: epoch 4, LTDD's first
        raise KeyboardInterrupt

    monkeypatch.setattr(LTDDNet, "validation_step", interrupted)
    clf = LTDDClassifier(**FAST, max_epochs=6, schedule=SubclusterSchedule(warmup_epochs=3))
    with pytest.raises(KeyboardInterrupt, match="in epoch 4 of max_epochs=6; the estimator keeps"):
        clf.fit(X, Y)
    assert clf.history_[-1, "phase"] == "ltdd" and not any(clf.history_[:, "kept"])  # none scored
    monkeypatch.setattr(LTDDNet, "validation_step", validation_step)
    assert np.isfinite(clf.predict_proba(X[:10])).all()
    # without a warm-up the message names no phase before the final one
    no_warmup = {**FAST, "max_epochs": 3, "schedule": SubclusterSchedule(warmup_epochs=0)}
    interrupt_at_step(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt, match=r"epoch 1 of max_epochs=3, before .* phase \('ltdd'\) had"):
        LTDDClassifier(**no_warmup).fit(X, Y)


def device_memory_of(monkeypatch, graphs: int, training: bool = False) -> None:
    """The network runs out of the device's memory on a batch of more than ``graphs`` graphs, in
    eval mode (or in training)."""
    from sklearn_ltdd.nn import LTDDModule

    forward = LTDDModule.forward

    def limited(self, batch):
        first = batch[0] if isinstance(batch, tuple | list) else batch
        if self.training == training and first.num_graphs > graphs:
            raise torch.cuda.OutOfMemoryError(f"CUDA out of memory (a test's: {first.num_graphs} graphs)")
        return forward(self, batch)

    monkeypatch.setattr(LTDDModule, "forward", limited)


def test_an_inference_pass_that_runs_out_of_device_memory_halves_its_batch(
    monkeypatch, assert_same_predictions
):
    """Inference ran 4,096 graphs a batch on a GPU, whatever their size: large molecules on a small
    GPU failed every predict, and nothing said how to get out."""
    clf = BaselineClassifier(**FAST, max_epochs=2).fit(X[:200], Y[:200])
    expected = clf.predict_proba(X[:300])
    device_memory_of(monkeypatch, graphs=100)
    with pytest.warns(RuntimeWarning) as caught:
        assert_same_predictions(clf.predict_proba(X[:300]), expected)
    assert str(caught[0].message) == (
        "the cpu device ran out of memory inferring 300 graphs at a time; this model now infers 150 at a time"
    )  # (from the batch of 512 or the rows, the fewer)
    assert [str(w.message).rsplit(" ", 4)[1] for w in caught] == ["150", "75"]
    assert clf.net_.iterator_valid__batch_size == 75  # kept: the next pass does not fail first
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same_predictions(clf.predict_proba(X[:300]), expected)
    device_memory_of(monkeypatch, graphs=0)  # not even one graph: torch's error, after all halvings
    one = r"inferring one graph at a time: .*\(CUDA_VISIBLE_DEVICES=''\).* torch: .*a test's: 1 graphs"
    with pytest.warns(RuntimeWarning), pytest.raises(torch.cuda.OutOfMemoryError, match=one):
        clf.predict(X[:3])
    assert clf.net_.iterator_valid__batch_size == 75  # (a pass that failed keeps nothing)


def test_validation_and_re_clustering_inside_a_fit_halve_their_batch_and_train_the_same_model(
    monkeypatch, assert_same_predictions
):
    """The validation pass, whose iterator skorch builds once per fit, and the re-clustering's
    embedding of the training set ran out of memory as inference did; a pass cut short leaves
    nothing of itself in the history or the scores."""
    params = {**FAST, "max_epochs": 4, **WARMUP_1, "validation_fraction": 0.4}
    expected = LTDDClassifier(**params).fit(X[:200], Y[:200])
    expected_proba = expected.predict_proba(X[200:260])
    device_memory_of(monkeypatch, graphs=30)
    with pytest.warns(RuntimeWarning) as caught:
        clf = LTDDClassifier(**params).fit(X[:200], Y[:200])
    halvings = [re.search(r"inferring (\d+) .* infers (\d+)", str(w.message)).groups() for w in caught]
    assert halvings and all(int(was) == 2 * int(now) for was, now in halvings)
    assert clf.net_.iterator_valid__batch_size <= 30
    np.testing.assert_array_equal(clf.history_[:, "valid_ba"], expected.history_[:, "valid_ba"])
    assert clf.history_[:, "valid_batch_count"] == [0] + [clf.history_[1, "valid_batch_count"]] * 3
    assert clf.history_[1, "valid_batch_count"] > expected.history_[1, "valid_batch_count"]
    assert_same_predictions(clf.predict_proba(X[200:260]), expected_proba)  # (at the batch it kept)


def test_a_validation_pass_halves_from_the_rows_it_has(monkeypatch):
    """It started from the inference batch (512 on the CPU) for 80 validation molecules, running
    the same batch of all 80 and failing three times more than it needed."""
    device_memory_of(monkeypatch, graphs=30)
    with pytest.warns(RuntimeWarning) as caught:
        clf = BaselineClassifier(**FAST, max_epochs=2, validation_fraction=0.4).fit(X[:200], Y[:200])
    assert [str(w.message).split("inferring ")[1].split(" ")[0] for w in caught] == ["80", "40"]
    assert clf.net_.iterator_valid__batch_size == 20
    device_memory_of(monkeypatch, graphs=0)  # not one graph: the fit says so, not "lower batch_size"
    with (
        pytest.warns(RuntimeWarning),
        pytest.raises(torch.cuda.OutOfMemoryError, match="inferring one graph"),
    ):
        BaselineClassifier(**FAST, max_epochs=2, validation_fraction=0.4).fit(X[:200], Y[:200])


def test_a_training_that_runs_out_of_device_memory_says_what_to_lower():
    clf = BaselineClassifier(**FAST, max_epochs=2)
    with pytest.MonkeyPatch.context() as patched:
        device_memory_of(patched, graphs=10, training=True)
        with pytest.raises(
            torch.cuda.OutOfMemoryError, match=r"batch_size=32 samples .* lower batch_size or hidden=16"
        ):
            clf.fit(X[:100], Y[:100])
    with pytest.raises(NotFittedError):
        clf.predict(X[:3])
    # the error a notebook keeps holds no frame of the failed network, nor its graphs on the device,
    # which the refit it advises needs
    from sklearn_ltdd.classifier._data import GraphDataset
    from sklearn_ltdd.classifier._net import LTDDNet

    with pytest.MonkeyPatch.context() as patched:
        device_memory_of(patched, graphs=10, training=True)
        with pytest.raises(torch.cuda.OutOfMemoryError) as caught:
            clf.fit(X[:100], Y[:100])
    held, error = [], caught.value
    while error is not None:
        tb = error.__traceback__
        while tb is not None:
            held += [v for v in tb.tb_frame.f_locals.values() if isinstance(v, LTDDNet | GraphDataset)]
            tb = tb.tb_next
        error = error.__cause__ or error.__context__
    assert held == []


def test_a_fit_does_not_depend_on_torchs_default_dtype_or_inference_mode_and_leaves_no_thread():
    params = {**FAST, "max_epochs": 3, **WARMUP_1, "device": "cpu"}  # (two fits compared bit for bit)
    before = {thread.name for thread in threading.enumerate()}
    expected = LTDDClassifier(**params).fit(X, Y).predict_proba(X[:10])
    started = {thread.name for thread in threading.enumerate()} - before
    assert "tqdm_monitor" not in started  # a bar that shows nothing starts tqdm's monitor thread
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # a caller's: linear layers would be float64
    try:
        model = LTDDClassifier(**{**params, "device": torch.device("cpu")}).fit(X, Y)
        np.testing.assert_array_equal(model.predict_proba(X[:10]), expected)
        assert torch.get_default_dtype() == torch.float64  # the caller's, given back
    finally:
        torch.set_default_dtype(previous)
    with torch.inference_mode():  # a caller's: nothing could be trained inside it
        np.testing.assert_array_equal(LTDDClassifier(**params).fit(X, Y).predict_proba(X[:10]), expected)


def test_a_verbose_fit_reports_on_a_stdout_of_any_encoding(monkeypatch):
    """Under Windows' cp1252 (output redirected) the closing line's τ failed the fit, which then
    gave back the model it had just trained."""
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", stdout)
    clf = BaselineClassifier(**FAST, max_epochs=2, verbose=1).fit(X, Y)
    stdout.flush()
    assert b"; decision ? = " in stdout.buffer.getvalue()
    assert clf.predict(X[:3]).shape == (3,)


@contextmanager
def default_device(device: str) -> Iterator[None]:
    """``torch.set_default_device(device)`` as a notebook calls it (for the whole thread), undone."""
    torch.set_default_device(device)
    try:
        yield
    finally:
        torch.set_default_device(None)


@pytest.mark.parametrize(
    "setting,still_set",
    [
        # the GCN failed in its sparse product (no bfloat16 kernel) and GINE trained silently in
        # bfloat16: another model for the same seed
        (partial(torch.autocast, "cpu", dtype=torch.bfloat16), lambda: torch.is_autocast_enabled("cpu")),
        # every fit and prediction failed ("Cannot copy out of meta tensor")
        (partial(default_device, "meta"), lambda: torch.empty(1).is_meta),
        (partial(torch.device, "meta"), lambda: torch.empty(1).is_meta),  # the block form
    ],
    ids=["autocast", "default device", "device block"],
)
def test_a_callers_torch_settings_are_set_aside_by_fits_predictions_and_the_clusterer(
    setting, still_set, assert_same_predictions
):
    points = torch.randn(60, 8, generator=torch.Generator().manual_seed(0))
    clusterer = BalancedSubcluster(n_clusters=4, random_state=0)
    labels, distances = clusterer.fit_predict(points), clusterer.transform(points)
    for model in (  # on the CPU: two CUDA fits of GINE differed by up to 9e-3 (sums in no fixed order)
        LTDDClassifier(**FAST, max_epochs=2, **WARMUP_1, device="cpu"),
        BaselineClassifier(**FAST, max_epochs=2, encoder="gine", device="cpu"),
    ):
        expected = clone(model).fit(X, Y).predict_proba(X[:20])
        with setting():
            fitted = clone(model).fit(X, Y)
            proba = fitted.predict_proba(X[:20])
            assert still_set()  # the caller's, given back
        assert_same_predictions(proba, expected)
        assert_same_predictions(fitted.predict_proba(X[:20]), expected)
    with setting():
        assert torch.equal(clusterer.fit_predict(points), labels)
        assert torch.equal(clusterer.transform(points), distances)


ARRAY_API_CHECK = """
import sys
import numpy as np, sklearn, torch
try:
    sklearn.set_config(array_api_dispatch=True)
    sklearn.set_config(array_api_dispatch=False)
except ImportError:  # a scikit-learn without its own copy of array-api-compat
    sys.exit(77)
from sklearn_ltdd import BaselineClassifier
from sklearn_ltdd.datasets import load_solubility
from sklearn_ltdd.metrics import balanced_accuracy_score, balanced_f1_score, long_tail_report

y_true, y_pred = torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 2, 2])
with sklearn.config_context(array_api_dispatch=True):
    assert abs(balanced_accuracy_score(y_true, y_pred) - 5 / 6) < 1e-12
    assert abs(balanced_f1_score(y_true, y_pred) - 0.8222222222222223) < 1e-12
    assert long_tail_report(y_true, y_pred, {0: 10, 1: 5, 2: 1}).loc["all", "BA"] == balanced_accuracy_score(
        y_true, y_pred
    )
    X, y = load_solubility(return_X_y=True)
    codes = torch.as_tensor(np.unique(y[:60], return_inverse=True)[1])
    clf = BaselineClassifier(max_epochs=1, hidden=8, random_state=0).fit(X[:60], codes)
    assert type(clf.classes_) is np.ndarray and type(clf.predict(X[:5])) is np.ndarray
    assert 0 <= clf.score(X[:10], codes[:10]) <= 1
"""


def test_sklearns_array_api_dispatch_gives_torch_labels_numpy_scores_and_classes():
    """Under dispatch, sklearn kept torch labels as tensors: the metrics met them with numpy class
    lists ("Input arrays use different devices: cpu, cpu"), and a fit made classes_ a tensor, so
    that predictions were tensors. (A process of its own: scipy reads SCIPY_ARRAY_API on import.)"""
    env = {**os.environ, "SCIPY_ARRAY_API": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", ARRAY_API_CHECK], capture_output=True, text=True, env=env)
    if result.returncode == 77:
        pytest.skip("array_api_dispatch needs array-api-compat, which this scikit-learn lacks")
    assert result.returncode == 0, result.stderr


def test_fits_and_predictions_in_threads_are_each_as_they_would_be_alone(assert_same_predictions):
    # torch's generator and default dtype are the process's: without the lock, threads reseed and
    # restore them in the middle of each other's passes (other fits; dtype errors under float64)
    def fit(seed):
        return BaselineClassifier(**{**FAST, "max_epochs": 3, "random_state": seed}).fit(X, Y)

    alone = [fit(seed).predict_proba(X[:20]) for seed in (0, 1)]
    with ThreadPoolExecutor(2) as pool:
        fitted = list(pool.map(fit, (0, 1, 0, 1)))
    for model, expected in zip(fitted, alone * 2, strict=True):
        assert_same_predictions(model.predict_proba(X[:20]), expected)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # a caller's, which each call sets aside and gives back
    try:
        with ThreadPoolExecutor(3) as pool:
            for proba in pool.map(lambda _: fitted[0].predict_proba(X[:200]), range(12)):
                assert_same_predictions(proba[:20], alone[0], cpu_rtol=1e-6)  # another batch
        assert torch.get_default_dtype() == torch.float64
    finally:
        torch.set_default_dtype(previous)


def test_a_prediction_reads_one_model_while_another_thread_refits_it(monkeypatch):
    """A prediction read the estimator chunk by chunk: a refit in another thread between two chunks
    gave the old network's columns for the first rows and the new one's, under the new classes_,
    for the rest (a probe: 22 of 120 predictions); a screen the same."""
    from sklearn_ltdd.classifier import _base, _inference
    from sklearn_ltdd.screen import screen

    # on the CPU: the labels of two fits are compared, and CUDA's sums are not deterministic
    params = {**FAST, "max_epochs": 2, **NO_VALIDATION, "device": "cpu"}
    clf = BaselineClassifier(**params).fit(X, Y)
    expected = clf.predict(X[:40])
    renamed = np.array(["x" + label for label in Y])  # the same task under other names
    monkeypatch.setattr(_inference, "CHUNK_ROWS", 10)
    chunks = _base.GraphClassifier._chunks

    def refitted_after_the_first_chunk(self, rows, errors):
        for i, chunk in enumerate(chunks(self, rows, errors)):
            if i == 1:  # the first chunk is inferred: another thread refits the model now
                refit = threading.Thread(target=clf.fit, args=(X, renamed))
                refit.start()
                refit.join(timeout=300)
                assert not refit.is_alive(), "the refit waited for the prediction"
            yield chunk

    for call in (clf.predict, lambda rows: screen(clf, rows)["prediction"].to_numpy()):
        clf.fit(X, Y)
        monkeypatch.setattr(_base.GraphClassifier, "_chunks", refitted_after_the_first_chunk)
        np.testing.assert_array_equal(call(X[:40]), expected)  # the model the call began with
        monkeypatch.setattr(_base.GraphClassifier, "_chunks", chunks)
        assert set(clf.classes_) == set(renamed)  # and the refit took place


def test_a_pickle_or_copy_taken_while_another_thread_refits_is_of_one_model(
    monkeypatch, assert_same_predictions
):
    """Pickling (joblib.dump) or deep-copying a model while another thread refitted it gave a model
    half old, half new, which held the fit's optimiser and validation graphs (a probe: 8.7 MB for
    1.7); now it waits for the fit, as a prediction does."""
    from sklearn_ltdd.classifier import _base

    clf = BaselineClassifier(**FAST, max_epochs=2).fit(X, Y)
    fewer = Y != Y[0]  # the refit has one class fewer
    copies: dict[str, object] = {}
    threads = []
    check = _base.GraphClassifier._check_a_model_to_keep

    def copied_meanwhile(self):  # once the network has trained, before the fit is kept
        for name, take in (
            ("pickle", lambda model: pickle.loads(pickle.dumps(model))),
            ("deepcopy", copy.deepcopy),
        ):
            threads.append(threading.Thread(target=lambda n=name, t=take: copies.update({n: t(clf)})))
            threads[-1].start()
        threads[-1].join(timeout=1)  # time to copy the fit half done, where nothing made it wait
        check(self)

    monkeypatch.setattr(_base.GraphClassifier, "_check_a_model_to_keep", copied_meanwhile)
    clf.fit(X[fewer], Y[fewer])
    monkeypatch.undo()
    for thread in threads:
        thread.join(timeout=300)
    assert sorted(copies) == ["deepcopy", "pickle"]
    for copied in copies.values():
        assert copied.classes_.tolist() == clf.classes_.tolist()
        assert_same_predictions(copied.decision_function(X[:20]), clf.decision_function(X[:20]))
        assert copied.net_.optimizer_ is None  # kept by the fit only until it ends
        assert len(pickle.dumps(copied)) < len(pickle.dumps(clf)) + 2_000


def test_checking_labels_leaves_the_processs_warning_filters_alone(monkeypatch):
    """The labels' check silenced sklearn's warning of many classes of one or two members each in
    warnings.catch_warnings, which threads scoring at once left in force for good: it calls none,
    and sklearn's warning does not come (the suite makes it an error)."""
    from sklearn_ltdd._labels import check_class_labels

    callers = []

    class Recorded(warnings.catch_warnings):
        def __init__(self, *args, **kwargs):
            callers.append(sys._getframe(1).f_globals["__name__"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(warnings, "catch_warnings", Recorded)
    check_class_labels(np.array([f"class {i}" for i in range(30)]))  # 30 samples, 30 classes
    assert callers and not [name for name in callers if name.startswith("sklearn_ltdd")]
    with pytest.raises(ValueError, match=r"^Unknown label type: continuous-multioutput\. Maybe you"):
        check_class_labels(np.full((4, 2), 0.5))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize(
    "module, lock",
    [
        ("sklearn_ltdd._torch_state", "TORCH_STATE_LOCK"),
        ("sklearn_ltdd.classifier._estimator_lock", "_GUARD"),
        ("sklearn_ltdd.featurize._atom_mapping", "_CACHES_LOCK"),  # a child mapping waited forever
        ("sklearn_ltdd.featurize._atom_mapping", "_FREEZE_LOCK"),
        ("sklearn_ltdd.datasets._fetch", "_ONE_DOWNLOAD"),
    ],
)
def test_a_process_forked_while_another_thread_holds_a_lock_can_take_it(module, lock):
    module = importlib.import_module(module)
    held, release = threading.Event(), threading.Event()

    def hold():
        with getattr(module, lock):
            held.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(timeout=10)
    try:
        with warnings.catch_warnings():  # Python warns of forking a process with threads
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
        if child == 0:  # no torch here: the lock alone, as the child's first use would take it
            os._exit(0 if getattr(module, lock).acquire(timeout=5) else 1)
        _, status = os.waitpid(child, 0)
    finally:
        release.set()
        holder.join()
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_prediction_featurises_outside_the_torch_lock(monkeypatch):
    # threads featurise at once; only the network passes take the lock, one at a time
    from sklearn_ltdd import _torch_state
    from sklearn_ltdd.classifier._base import GraphClassifier

    model = BaselineClassifier(**{**FAST, "max_epochs": 1}).fit(X, Y)
    held, chunks = [], GraphClassifier._chunks

    def recording(self, *args):
        for chunk in chunks(self, *args):  # (made while this generator runs, in the caller's thread)
            held.append(_torch_state.TORCH_STATE_LOCK._is_owned())
            yield chunk

    monkeypatch.setattr(GraphClassifier, "_chunks", recording)
    model.predict_proba(X[:50])
    assert held == [False]


def test_a_fit_and_its_predictions_leave_the_process_warning_filters_alone(monkeypatch):
    """``warnings.catch_warnings`` swaps the filters of the whole process: at every GCN forward pass,
    predictions in one thread lost the warnings another thread recorded meanwhile, and kept the
    package's filter for good (seen: 996 of 2.4 million). No fit or prediction of the package's
    calls it, nor sets a filter."""
    touched = []

    def watched(name):
        original = getattr(warnings, name)

        def call(*args, **kwargs):
            caller = sys._getframe(1).f_code.co_filename
            if f"{os.sep}sklearn_ltdd{os.sep}" in caller:
                touched.append((name, caller))
            return original(*args, **kwargs)

        return call

    model = LTDDClassifier(**FAST, max_epochs=3, schedule=SubclusterSchedule(warmup_epochs=1, update_every=1))
    for name in ("catch_warnings", "filterwarnings", "simplefilter", "resetwarnings"):
        monkeypatch.setattr(warnings, name, watched(name))
    model.fit(X, Y).predict_proba(X[:20])
    model.transform(X[:20])
    assert touched == []


def test_the_many_classes_hint_of_a_fit_points_at_the_callers_line():
    # sklearn's check_classification_targets warned from inside the package (its stacklevel=2)
    y = np.array([f"c{i % 16}" for i in range(30)])
    model = BaselineClassifier(**FAST, max_epochs=1, validation_fraction=0, early_stopping=None)
    with pytest.warns(UserWarning, match="number of unique classes is greater than 50%") as record:
        model.fit(X[:30], y)
    hint = [w for w in record if "unique classes" in str(w.message)]
    assert len(hint) == 1 and hint[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no hint for labels scored against the model's classes)
        model.score(X[:30], y)


def test_a_gcn_under_torchs_warn_always_passes_without_the_beta_warning():
    # torch says its sparse beta warning at every call under set_warn_always(True): caught there
    model = BaselineClassifier(**FAST, max_epochs=1).fit(X, Y)
    previous = torch.is_warn_always_enabled()
    torch.set_warn_always(True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert model.predict_proba(X[:5]).shape == (5, len(model.classes_))
    finally:
        torch.set_warn_always(previous)
