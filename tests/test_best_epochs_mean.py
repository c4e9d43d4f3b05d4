"""The model kept: the mean of the weights after the best epochs by validation BA."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from skorch import NeuralNetRegressor
from skorch.callbacks import Callback

from sklearn_ltdd import LTDDClassifier, SubclusterSchedule
from sklearn_ltdd.classifier._decision import best_tau
from sklearn_ltdd.classifier._selection import BestEpochsMean

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
        net.history.record("valid_ba", self.scores[epoch])
        self.weights.append({k: v.detach().clone() for k, v in net.module_.state_dict().items()})


def _fit(scores: list[float], n: int, final_from: int = 0):
    torch.manual_seed(0)
    X = torch.randn(32, N_FEATURES)
    y = X.sum(dim=1, keepdim=True)
    phases = SimpleNamespace(final=False)
    scripted = ScriptedScores(scores, final_from, phases)
    layers = torch.nn.Linear(N_FEATURES, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 1)
    module = torch.nn.Sequential(*layers)
    net = NeuralNetRegressor(module, lr=0.1, max_epochs=len(scores), batch_size=8, train_split=None,
                             callbacks=[("scores", scripted), ("kept", BestEpochsMean(n, phases))],
                             verbose=0)  # fmt: skip
    net.fit(X.numpy(), y.numpy())
    return net, scripted.weights


def _best(scores: list[float], n: int, final_from: int) -> list[int]:
    """The n best eligible epochs, earlier first among ties, by hand."""
    eligible = [e for e, s in enumerate(scores) if e >= final_from and np.isfinite(s)]
    return sorted(sorted(eligible, key=lambda e: (-scores[e], e))[:n])


@given(scores=SCORES, n=st.integers(1, 4), final_from=st.integers(0, 3))
def test_the_module_holds_the_mean_of_the_best_epochs_weights(scores, n, final_from):
    net, weights = _fit(scores, n, final_from)
    best = _best(scores, n, final_from)
    assert [e for e in range(len(scores)) if net.history[e, "kept"]] == best
    held = net.module_.state_dict()
    expected = weights[-1] if not best else None  # nothing eligible: the last epoch's weights stay
    for name, value in held.items():
        if expected is not None:
            torch.testing.assert_close(value, expected[name])
        elif value.is_floating_point():
            torch.testing.assert_close(value, torch.stack([weights[e][name] for e in best]).mean(0))
    assert dict(net.callbacks_)["kept"].best_ == []  # no copies left to pickle


def test_one_epoch_kept_is_that_epoch_bit_for_bit():
    scores = [0.2, 0.9, 0.4, 0.8]
    net, weights = _fit(scores, 1)
    for name, value in net.module_.state_dict().items():
        assert torch.equal(value, weights[1][name])
    assert not torch.equal(net.module_[0].weight, weights[-1]["0.weight"])  # not simply the last epoch


SMILES = ["CCO", "CCCO", "CCCCO", "OCC(O)CO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC", "c1ccc2ccccc2c1"] * 6
LABELS = ["alcohol"] * 4 * 6 + ["aromatic"] * 4 * 6
FAST = {"max_epochs": 12, "schedule": SubclusterSchedule(warmup_epochs=2), "hidden": 16, "batch_size": 16,
        "lr": 0.03, "early_stopping": None, "random_state": 0}  # fmt: skip


def test_the_classifier_keeps_the_mean_of_its_five_best_epochs_with_their_own_tau(monkeypatch):
    weights = []
    record = BestEpochsMean.on_epoch_end

    def recording(self, net, **kwargs):
        weights.append({k: v.detach().clone() for k, v in net.module_.state_dict().items()})
        record(self, net, **kwargs)

    monkeypatch.setattr(BestEpochsMean, "on_epoch_end", recording)
    valid = SMILES[::5], LABELS[::5]
    clf = LTDDClassifier(**FAST).fit(SMILES, LABELS, validation_data=valid)
    scores, phases = np.array(clf.history_[:, "valid_ba"]), np.array(clf.history_[:, "phase"])
    kept = np.flatnonzero(clf.history_[:, "kept"])
    assert kept.tolist() == _best(scores.tolist(), 5, int(np.argmax(phases == "ltdd")))
    for name, value in clf.net_.module_.state_dict().items():
        if value.is_floating_point():
            torch.testing.assert_close(value, torch.stack([weights[e][name] for e in kept]).mean(0))
    # τ is the best for the mean on validation, not the best epoch's
    codes = np.searchsorted(clf.classes_, valid[1])
    assert clf.logit_adjustment_ == best_tau(codes, clf.predict_proba(valid[0]), clf.class_log_prior_)[0]
    assert dict(clf.net_.callbacks_)["kept"].best_ == []


def test_the_old_moving_average_parameter_says_where_it_went():
    with pytest.raises(TypeError, match=r"no parameter 'ema_epochs'.*average_best"):
        LTDDClassifier(ema_epochs=3)
