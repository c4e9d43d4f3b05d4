"""The Table-2 baseline losses against their formulas, computed sample by sample with plain math."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from sklearn_ltdd import BaselineClassifier
from sklearn_ltdd.classifier import BASELINE_LOSSES
from sklearn_ltdd.classifier._data import FEWEST_INFERRED, TrainingSampler, padded
from sklearn_ltdd.classifier._phases import Phase, Phases
from sklearn_ltdd.datasets import load_solubility, make_long_tailed
from sklearn_ltdd.nn.losses import LOSSES, weighted_mean
from sklearn_ltdd.nn.losses import _long_tail as lt
from sklearn_ltdd.nn.losses._criteria import MixupLoss

LOGITS = torch.tensor([[2.0, -1.0, 0.5], [0.1, 0.3, -0.2], [-1.0, 1.5, 0.0], [0.0, 0.0, 3.0]])
Y = torch.tensor([0, 1, 1, 2])
COUNTS = torch.tensor([100.0, 20.0, 5.0])


def softmax(row):
    e = [math.exp(v) for v in row]
    return [v / sum(e) for v in e]


def ce(row, label):
    return -math.log(softmax(row)[label])


def rows():
    return zip(LOGITS.tolist(), Y.tolist(), strict=True)


def test_cost_sensitive():
    expected = [5 / COUNTS[k].item() * ce(r, k) for r, k in rows()]
    np.testing.assert_allclose(lt.cost_sensitive_loss(LOGITS, Y, COUNTS), expected, rtol=1e-6)


def test_balanced_cross_entropy_has_sklearns_balanced_weights():
    # n / (C · n_c): 125 / (3 · 100), 125 / (3 · 20), 125 / (3 · 5)
    expected = [125 / (3 * COUNTS[k].item()) * ce(r, k) for r, k in rows()]
    np.testing.assert_allclose(lt.balanced_cross_entropy(LOGITS, Y, COUNTS), expected, rtol=1e-6)
    # a class without training samples counts one, as in the criteria (a count of 0 gave inf)
    empty = torch.tensor([0.0, 5.0])
    torch.testing.assert_close(
        lt.balanced_cross_entropy(LOGITS[:, :2], Y.clamp(max=1), empty),
        lt.balanced_cross_entropy(LOGITS[:, :2], Y.clamp(max=1), torch.tensor([1.0, 5.0])),
    )
    with pytest.raises(ValueError, match=r"one count per class, 3, got shape \(4,\)"):
        lt.balanced_cross_entropy(LOGITS, Y, torch.tensor([100.0, 20.0, 5.0, 1.0]))


def test_weighted_mean_takes_one_weight_per_sample():
    """A 0-d weight gave the sum; a (B, 1) weight a (B, B) matrix's mean."""
    per_sample = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert weighted_mean(per_sample, torch.tensor([1.0, 1.0, 1.0, 3.0])).item() == pytest.approx(3.0)
    for weight in (torch.tensor(2.0), torch.ones(4, 1)):
        with pytest.raises(ValueError, match=r"weight must have the shape of per_sample, \(4,\), got"):
            weighted_mean(per_sample, weight)
    # mixup weighs its two label terms itself: a (B, 1) weight gave B times the loss
    head, h = torch.nn.Linear(3, 3), torch.randn(4, 3)
    with pytest.raises(ValueError, match=r"weight must have the shape of per_sample, \(4,\), got \(4, 1\)"):
        lt.mixup_loss(head, h, Y[:4], 0.3, torch.tensor([1, 0, 3, 2]), torch.ones(4, 1))


def test_balanced_softmax():
    expected = [ce([v + math.log(n) for v, n in zip(r, COUNTS.tolist(), strict=True)], k) for r, k in rows()]
    np.testing.assert_allclose(lt.balanced_softmax_loss(LOGITS, Y, COUNTS), expected, rtol=1e-5)


def test_class_balanced_focal():
    beta, gamma = 0.999, 0.5
    raw = [(1 - beta) / (1 - beta**n) for n in COUNTS.tolist()]
    w = [3 * v / sum(raw) for v in raw]
    expected = [-w[k] * (1 - softmax(r)[k]) ** gamma * math.log(softmax(r)[k]) for r, k in rows()]
    np.testing.assert_allclose(lt.class_balanced_focal_loss(LOGITS, Y, COUNTS), expected, rtol=1e-5)
    # γ = 0 and β → 0 is plain cross-entropy
    plain = lt.class_balanced_focal_loss(LOGITS, Y, COUNTS, beta=1e-9, gamma=0.0)
    np.testing.assert_allclose(plain, [ce(r, k) for r, k in rows()], rtol=1e-5)
    # a sample so confident that p_y rounds to 1 in float32: (1 − p)^γ has an infinite slope at 0,
    # which must not turn its gradient (all but zero) into NaN
    confident = torch.tensor([[30.0, 0.0, 0.0], [0.0, 2.0, 0.0]], requires_grad=True)
    lt.class_balanced_focal_loss(confident, torch.tensor([0, 1]), COUNTS).sum().backward()
    assert torch.isfinite(confident.grad).all() and confident.grad[0].abs().max() < 1e-20


def test_influence_balanced():
    h = torch.tensor([[1.0, -2.0], [0.5, 0.5], [0.0, 3.0], [-1.0, -1.0]])
    inv = [1 / n for n in COUNTS.tolist()]
    w = [3 * v / sum(inv) for v in inv]
    expected = []
    for (r, k), feat in zip(rows(), h.tolist(), strict=True):
        grad = sum(abs(p - (j == k)) for j, p in enumerate(softmax(r)))
        influence = grad * sum(abs(f) for f in feat)
        expected.append(w[k] * ce(r, k) * 1000 / (influence + 1e-3))
    np.testing.assert_allclose(lt.influence_balanced_loss(LOGITS, h, Y, COUNTS), expected, rtol=1e-5)


def test_cdt_divides_logits_by_count_ratio_power():
    scaled = lt.cdt_logits(LOGITS, COUNTS, gamma=0.2)
    factors = [(100 / n) ** 0.2 for n in COUNTS.tolist()]
    np.testing.assert_allclose(scaled, LOGITS / torch.tensor(factors), rtol=1e-6)
    assert torch.equal(scaled[:, 0], LOGITS[:, 0])  # the head class is untouched


@pytest.mark.parametrize(
    "loss, formula",
    [
        ("ce", lambda: F.cross_entropy(LOGITS, Y, reduction="none")),
        ("decoupling", lambda: F.cross_entropy(LOGITS, Y, reduction="none")),
        # averaged over the samples' weights, not over w_y as ImDrug's (docs/results.md)
        ("cs", lambda: lt.cost_sensitive_loss(LOGITS, Y, COUNTS)),
        ("bs", lambda: lt.balanced_softmax_loss(LOGITS, Y, COUNTS)),
        ("cb_focal", lambda: lt.class_balanced_focal_loss(LOGITS, Y, COUNTS)),
        ("cdt", lambda: F.cross_entropy(lt.cdt_logits(LOGITS, COUNTS), Y, reduction="none")),
    ],
)
def test_each_baseline_criterion_trains_on_its_formula(loss, formula):
    """The formulas above, as the criterion a fit trains with computes them (the class counts
    reversed or a formula left out of its criterion still trained, to a loss as finite)."""
    sample_weight = torch.tensor([1.0, 0.5, 2.0, 1.0])
    criterion = LOSSES[loss](COUNTS)
    trained = criterion((LOGITS,), {"y": Y, "weight": sample_weight}, torch.nn.Identity())
    torch.testing.assert_close(trained, weighted_mean(formula(), sample_weight))


@given(st.floats(0, 1))
def test_mixup_mixes_inputs_and_labels(lam):
    head = torch.nn.Linear(2, 3)
    h = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]])
    y = torch.tensor([0, 1, 2])
    perm = torch.tensor([2, 0, 1])
    mixed = (lam * h + (1 - lam) * h[perm]).tolist()
    expected = [lam * ce(head(torch.tensor(m)).tolist(), y[i].item())
                + (1 - lam) * ce(head(torch.tensor(m)).tolist(), y[perm][i].item())
                for i, m in enumerate(mixed)]  # fmt: skip
    np.testing.assert_allclose(lt.mixup_loss(head, h, y, lam, perm).detach(), expected, rtol=1e-5, atol=1e-6)
    # weighted: each label's term by its own sample's weight (a sample of weight 0 has no say)
    weight = torch.tensor([0.0, 1.0, 3.0])
    expected = [lam * weight[i].item() * ce(head(torch.tensor(m)).tolist(), y[i].item())
                + (1 - lam) * weight[perm][i].item() * ce(head(torch.tensor(m)).tolist(), y[perm][i].item())
                for i, m in enumerate(mixed)]  # fmt: skip
    weighted = lt.mixup_loss(head, h, y, lam, perm, weight).detach()
    np.testing.assert_allclose(weighted, expected, rtol=1e-5, atol=1e-6)
    criterion = MixupLoss(torch.tensor([1, 1, 1]))
    torch.manual_seed(0)
    got = criterion((h,), {"y": y, "weight": weight}, head)
    torch.manual_seed(0)
    lam_, perm_ = torch.rand(()), torch.randperm(3)
    expected_mean = lt.mixup_loss(head, h, y, lam_, perm_, weight).sum() / weight.sum()
    torch.testing.assert_close(got, expected_mean)


def test_training_sampler_visits_its_positions_then_balances_classes():
    torch.manual_seed(0)
    y = torch.tensor([0] * 900 + [1] * 90 + [2] * 10)
    assert sorted(TrainingSampler(y.numpy(), np.array([5, 5, 7]))) == [5, 5, 7]  # a resampled epoch
    phases = Phases([Phase("ce", epochs=1), Phase("decoupling", retrain_head=True)])
    sampler = TrainingSampler(y.numpy(), phases=phases)
    assert sorted(sampler) == list(range(1000))  # a permutation first
    phases.enter("decoupling")
    drawn = torch.bincount(y[list(sampler)], minlength=3).numpy()
    assert len(list(sampler)) == 1000
    np.testing.assert_allclose(drawn / 1000, [1 / 3] * 3, atol=0.05)


DATA = load_solubility(subset="train")
KEEP = make_long_tailed(DATA.target, imbalance_ratio=8, random_state=0)
FAST = {"max_epochs": 5, "hidden": 16, "batch_size": 32, "random_state": 0}


@pytest.mark.parametrize("loss", sorted(BASELINE_LOSSES))
def test_every_baseline_trains_and_predicts(loss):
    clf = BaselineClassifier(loss=loss, **FAST).fit(DATA.data[KEEP], DATA.target[KEEP])
    proba = clf.predict_proba(DATA.data[:20])
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert np.isfinite(clf.history_[:, "train_loss"]).all()


@pytest.mark.parametrize(
    ("n", "batch_size", "extra"),
    [(37, 32, 11), (40, 32, 8), (10, 32, 6), (48, 32, 0), (64, 32, 0), (37, 8, 0), (31, 16, 1), (17, 16, 15)],
)
def test_an_inference_pass_tops_its_last_batch_up_to_the_fewest_graphs(n, batch_size, extra):
    """CPU kernels give a graph other float32 outputs in a batch of a few than in a full one: the
    last batch holds at least FEWEST_INFERRED (16) graphs, copies of the last graph, never fewer."""
    items = padded(range(n), batch_size)  # (any sized dataset)
    assert len(items) == n + extra
    if extra:
        assert [items[i][1] for i in range(len(items))] == [*range(n), *[n - 1] * extra]
        assert (len(items) - 1) % batch_size + 1 == FEWEST_INFERRED


def test_decoupling_freezes_the_encoder_and_retrains_the_head(monkeypatch):
    snapshots = {}
    switch = Phases.on_epoch_begin

    def remember_encoder_at_switch(self, net, **kwargs):
        switch(self, net, **kwargs)
        if net.module_.encoder_frozen and not snapshots:
            snapshots["encoder"] = copy.deepcopy(net.module_.encoder.state_dict())
            snapshots["head"] = copy.deepcopy(net.module_.head.state_dict())

    monkeypatch.setattr(Phases, "on_epoch_begin", remember_encoder_at_switch)
    drawn, draw = {}, TrainingSampler.__iter__  # the labels each phase's epochs visit

    def record(self):
        positions = list(draw(self))
        drawn.setdefault(self.phases.current.name, []).extend(self.y[positions].tolist())
        return iter(positions)

    monkeypatch.setattr(TrainingSampler, "__iter__", record)
    clf = BaselineClassifier(
        loss="decoupling", validation_fraction=0, early_stopping=None, **{**FAST, "max_epochs": 10}
    )
    clf.fit(DATA.data[KEEP], DATA.target[KEEP])
    assert clf.history_[:, "phase"] == ["ce"] * 8 + ["decoupling"] * 2
    # the head re-trains on class-balanced batches: the rarest class a third of them, not 1 in 12
    rarest = np.bincount(drawn["ce"]).argmin()
    assert np.mean(np.array(drawn["ce"]) == rarest) < 0.1
    assert np.mean(np.array(drawn["decoupling"]) == rarest) == pytest.approx(1 / 3, abs=0.1)
    assert not any(p.requires_grad for p in clf.net_.module_.encoder.parameters())
    for name, value in clf.net_.module_.encoder.state_dict().items():  # weights and BatchNorm statistics
        torch.testing.assert_close(value, snapshots["encoder"][name])
    head = clf.net_.module_.head.state_dict()
    assert any(not torch.equal(head[name], snapshots["head"][name]) for name in head)  # the head did train


def test_ib_switches_at_half_time():
    clf = BaselineClassifier(
        loss="ib", validation_fraction=0, early_stopping=None, **{**FAST, "max_epochs": 4}
    )
    clf.fit(DATA.data[KEEP], DATA.target[KEEP])
    assert clf.history_[:, "phase"] == ["ce"] * 2 + ["ib"] * 2


@pytest.mark.parametrize(("max_epochs", "first"), [(2, 1), (9, 8), (10, 8), (23, 19), (40, 32)])
def test_decoupling_leaves_a_fifth_of_the_epochs_at_least_one_to_the_head(max_epochs, first):
    phases = BaselineClassifier(loss="decoupling", max_epochs=max_epochs)._phases(None).phases
    assert [(phase.name, phase.epochs) for phase in phases] == [("ce", first), ("decoupling", None)]


def test_a_first_phase_ends_early_once_validation_stalls():
    """With early stopping, the cross-entropy phase ends once its validation BA has not improved
    for that many epochs, rather than at half time, so that early stopping cannot skip the next."""
    clf = BaselineClassifier(loss="ib", early_stopping=2, **{**FAST, "max_epochs": 20, "lr": 1e-12})
    clf.fit(DATA.data[KEEP], DATA.target[KEEP])  # (a rate that learns nothing: BA soon stalls)
    phases, scores = clf.history_[:, "phase"], clf.history_[:, "valid_ba"]
    first = phases.count("ce")
    assert phases == ["ce"] * first + ["ib"] * (len(phases) - first) and first < 10  # (half time: 10)
    assert first == int(np.argmax(scores[:first])) + 1 + 2  # its best epoch, then 2 without a gain
