"""The model kept: the mean of the weights from the best epoch by validation BA to the last."""

import copy
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from skorch import NeuralNetRegressor
from skorch.callbacks import Callback
from skorch.history import History

from sklearn_ltdd import BaselineClassifier, LTDDClassifier, SubclusterSchedule
from sklearn_ltdd.classifier import _base
from sklearn_ltdd.classifier._decision import TAUS, best_tau
from sklearn_ltdd.classifier._phases import Phase, Phases
from sklearn_ltdd.classifier._selection import MeanFromBestEpoch, ValidationScores
from sklearn_ltdd.metrics import balanced_accuracy_score, balanced_f1_score

N_FEATURES = 3
SCORES = st.lists(st.sampled_from([0.1, 0.5, 0.5, 0.7, 0.9, float("nan")]), min_size=1, max_size=8)


class ScriptedScores(Callback):
    """Records a given validation BA per epoch, and the weights the module holds at its end."""

    def __init__(self, scores, final_from: int, phases):
        self.scores, self.final_from, self.phases = scores, final_from, phases

    def initialize(self):
        self.weights = []
        return self

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history) - 1
        self.phases.final = epoch >= self.final_from
        score = self.scores[epoch]
        scored = [s for s in self.scores[self.final_from : epoch] if np.isfinite(s)]
        net.history.record("valid_ba", score)
        # as ValidationScores marks it: a strictly better score of the final phase
        net.history.record("valid_ba_best", bool(self.phases.final and score > max(scored, default=-np.inf)))
        self.weights.append({k: v.detach().clone() for k, v in net.module_.state_dict().items()})


def _fit(scores: list[float], average: bool, final_from: int = 0):
    torch.manual_seed(0)
    X = torch.randn(32, N_FEATURES)
    y = X.sum(dim=1, keepdim=True)
    phases = SimpleNamespace(final=False)
    scripted = ScriptedScores(scores, final_from, phases)
    layers = torch.nn.Linear(N_FEATURES, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 1)
    module = torch.nn.Sequential(*layers)
    net = NeuralNetRegressor(module, lr=0.1, max_epochs=len(scores), batch_size=8, train_split=None,
                             callbacks=[("scores", scripted), ("kept", MeanFromBestEpoch(phases, average))],
                             verbose=0)  # fmt: skip
    net.fit(X.numpy(), y.numpy())
    return net, scripted.weights


def _kept(scores: list[float], average: bool, final_from: int) -> list[int]:
    """The first best eligible epoch and, averaging, every eligible epoch after it, by hand."""
    eligible = [e for e, s in enumerate(scores) if e >= final_from and np.isfinite(s)]
    if not eligible:
        return []
    best = min(eligible, key=lambda e: (-scores[e], e))
    return [e for e in eligible if e >= best] if average else [best]


@given(scores=SCORES, average=st.booleans(), final_from=st.integers(0, 3))
def test_the_module_holds_the_mean_from_the_best_epoch_to_the_last(scores, average, final_from):
    net, weights = _fit(scores, average, final_from)
    kept = _kept(scores, average, final_from)
    assert [e for e in range(len(scores)) if net.history[e, "kept"]] == kept
    for name, value in net.module_.state_dict().items():
        if not kept:  # nothing eligible: the last epoch's weights stay
            torch.testing.assert_close(value, weights[-1][name])
        elif value.is_floating_point():
            torch.testing.assert_close(value, torch.stack([weights[e][name] for e in kept]).mean(0))
        else:  # counters are the best epoch's
            assert torch.equal(value, weights[kept[0]][name])
    assert dict(net.callbacks_)["kept"].sum_ is None and dict(net.callbacks_)["kept"].best_ is None


def test_without_averaging_the_best_epoch_is_kept_bit_for_bit():
    scores = [0.2, 0.9, 0.4, 0.8]
    net, weights = _fit(scores, average=False)
    for name, value in net.module_.state_dict().items():
        assert torch.equal(value, weights[1][name])
    assert not torch.equal(net.module_[0].weight, weights[-1]["0.weight"])  # not simply the last epoch


def test_an_interrupt_on_any_line_of_an_epoch_end_leaves_the_kept_state_whole():
    """A Ctrl-C lands between two statements: one between a new best's weights and its list of
    epochs divided that epoch's weights by the old count (a probe's validation BA 0.2 against
    0.53). Each line of the callback is interrupted in turn."""
    history, module = History(), torch.nn.Linear(2, 2)
    net = SimpleNamespace(history=history, module_=module)
    kept = MeanFromBestEpoch(SimpleNamespace(final=True)).initialize()
    for score, best in [(0.5, True), (0.4, False), (0.3, False), (0.9, True)]:
        history.new_epoch()
        history.record("valid_ba", score)
        history.record("valid_ba_best", best)
        if score != 0.9:
            kept.on_epoch_end(net)
    code = MeanFromBestEpoch.on_epoch_end.__wrapped__.__code__  # (under torch.no_grad)
    lines = range(code.co_firstlineno, max(line for _, _, line in code.co_lines() if line) + 1)
    interrupted = 0
    for stop_at in lines:
        trial = copy.deepcopy(kept)
        before = (trial.best_, trial.sum_, list(trial.epochs_))

        def trace(frame, event, arg, stop_at=stop_at):
            if frame.f_code is not code:
                return None

            def on_line(frame, event, arg):
                if event == "line" and frame.f_lineno == stop_at:
                    raise KeyboardInterrupt
                return on_line

            return on_line

        previous = sys.gettrace()
        sys.settrace(trace)
        try:
            trial.on_epoch_end(net)
        except KeyboardInterrupt:
            interrupted += 1
        finally:
            sys.settrace(previous)
        after = (trial.best_, trial.sum_, trial.epochs_)
        if after[2] == [3]:  # the new best, whole
            assert after[0] is not before[0] and after[1] is not before[1]
        else:
            assert after[0] is before[0] and after[1] is before[1] and after[2] == before[2], stop_at
    assert interrupted > 3


SMILES = ["CCO", "CCCO", "CCCCO", "OCC(O)CO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC", "c1ccc2ccccc2c1"] * 6
LABELS = ["alcohol"] * 4 * 6 + ["aromatic"] * 4 * 6
FAST = {"max_epochs": 12, "schedule": SubclusterSchedule(warmup_epochs=2), "hidden": 16, "batch_size": 16,
        "lr": 0.03, "early_stopping": None, "random_state": 0}  # fmt: skip


@pytest.mark.filterwarnings("ignore:.* rows of validation_data are training molecules")  # a toy set
def test_the_classifier_keeps_the_mean_from_its_best_epoch_with_its_own_tau(
    monkeypatch, assert_same_predictions
):
    weights = []
    record = MeanFromBestEpoch.on_epoch_end

    def recording(self, net, **kwargs):
        weights.append({k: v.detach().clone() for k, v in net.module_.state_dict().items()})
        record(self, net, **kwargs)

    monkeypatch.setattr(MeanFromBestEpoch, "on_epoch_end", recording)
    searched = []  # τ's search after training: what it was given and what it found
    monkeypatch.setattr(
        _base, "best_tau", lambda *args: searched.append((args, best_tau(*args))) or searched[-1][1]
    )
    valid_weights = np.resize([1.0, 2.0, 4.0], len(LABELS[::5]))
    valid = SMILES[::5], LABELS[::5], valid_weights
    # on the CPU: where its best epoch is the last (CUDA's sums, in no fixed order, can make it so)
    # the test cannot tell
    clf = LTDDClassifier(**FAST, device="cpu").fit(SMILES, LABELS, validation_data=valid)
    scores, phases = np.array(clf.history_[:, "valid_ba"]), np.array(clf.history_[:, "phase"])
    kept = np.flatnonzero(clf.history_[:, "kept"])
    assert kept.tolist() == _kept(scores.tolist(), True, int(np.argmax(phases == "ltdd")))
    assert len(kept) > 1, "the best epoch is the last: this test could not tell"
    for name, value in clf.net_.module_.state_dict().items():
        if value.is_floating_point():
            torch.testing.assert_close(value, torch.stack([weights[e][name] for e in kept]).mean(0))
    # τ is searched for the mean on validation, not taken from the best epoch
    (((codes, log_proba, prior, weight), (tau, *_)),) = searched
    np.testing.assert_array_equal(codes, np.searchsorted(clf.classes_, valid[1]))
    np.testing.assert_allclose(weight, valid_weights / valid_weights.mean())  # as given, to mean 1
    # (the τ search's pass and this one: on CUDA they differ by its non-deterministic sums)
    assert_same_predictions(log_proba, clf.predict_log_proba(valid[0]), cpu_rtol=1e-6)
    assert clf.logit_adjustment_ == tau and np.array_equal(prior, clf.class_log_prior_)
    assert dict(clf.net_.callbacks_)["kept"].best_ is None


@pytest.mark.parametrize("estimator", [LTDDClassifier, BaselineClassifier])
def test_the_old_moving_average_parameter_says_where_it_went(estimator):
    message = rf"{estimator.__name__} has no parameter 'ema_epochs'.*average_from_best"
    with pytest.raises(TypeError, match=message):
        estimator(ema_epochs=3)
    with pytest.raises(TypeError, match=message):
        estimator().set_params(ema_epochs=3)


def test_a_tied_validation_score_is_not_a_new_best():
    # the first of equal epochs stays the best, as for early stopping (strictly better resets it)
    scores = ValidationScores(Phases([Phase("ltdd")]).enter("ltdd")).initialize()
    net = SimpleNamespace(history=History())
    targets = {"y": torch.tensor([0, 0, 1, 1]), "weight": torch.ones(4)}
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [0.0, 2.0], [0.0, 2.0]])  # BA 0.75 every epoch
    for _ in range(3):
        net.history.new_epoch()
        scores.on_batch_end(net, batch=(None, targets), training=False, y_pred=(logits,))
        scores.on_epoch_end(net)
    assert net.history[:, "valid_ba"] == [0.75] * 3
    assert net.history[:, "valid_ba_best"] == [True, False, False]
    assert net.history[:, "valid_bf1_best"] == [True, False, False]


@pytest.mark.parametrize("log_prior", [None, np.log([0.8, 0.2])])
def test_the_validation_scores_weigh_each_sample(log_prior):
    """The validation set's BA and BF1 (and τ, where the decision is adjusted) are its samples'
    weighted scores, as the metrics give them with sample_weight: mutations that dropped the
    weights in either path passed every test."""
    y, weight = np.array([0, 0, 0, 1, 1, 1]), np.array([5.0, 1, 1, 1, 3, 1])
    p = np.array([[0.9, 0.1], [0.4, 0.6], [0.45, 0.55], [0.3, 0.7], [0.6, 0.4], [0.52, 0.48]])
    scores = ValidationScores(Phases([Phase("ltdd")]), log_prior=log_prior).initialize()
    (ba, bf1, tau), finite = scores._scores(*map(torch.tensor, (np.log(p), y, weight)))
    by_tau = {}
    for candidate in [0.0] if log_prior is None else TAUS:
        predicted = (np.log(p) - candidate * (0 if log_prior is None else log_prior)).argmax(axis=1)
        by_tau[float(candidate)] = [
            balanced_accuracy_score(y, predicted, sample_weight=weight),
            balanced_f1_score(y, predicted, sample_weight=weight),
        ]
    assert finite and ba == pytest.approx(max(score for score, _ in by_tau.values()))
    assert [ba, bf1] == pytest.approx(by_tau[round(tau, 2)])
    unweighted = balanced_accuracy_score(y, np.log(p).argmax(axis=1))
    assert abs(by_tau[0.0][0] - unweighted) > 0.05  # (the weights change the score)
