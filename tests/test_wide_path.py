"""The wide expert: a logistic regression of the whole fingerprint beside the deep model."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skorch.callbacks import Callback

from sklearn_ltdd import BaselineClassifier, LTDDClassifier, SmilesGraphizer, SubclusterSchedule
from sklearn_ltdd.nn import LTDDModule
from sklearn_ltdd.nn.losses import balanced_cross_entropy

SMILES = ["CCO", "CCCO", "CCCCO", "OCCO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC", "c1ccccc1O"] * 3
LABELS = ["alcohol"] * 4 * 3 + ["aromatic"] * 4 * 3

SHORT = SubclusterSchedule(warmup_epochs=1, update_every=1)


def _batch(n=8):
    return SmilesGraphizer(fingerprint="morgan").fit_transform(SMILES[:n]).batch(np.arange(n))


def after_each_epoch(clf, probe):
    """``clf``, whose next fit calls ``probe(net)`` at the end of every epoch."""
    build = clf._build_net

    class Probe(Callback):
        def on_epoch_end(self, net, **kwargs):
            probe(net)

    def with_probe(*args):
        net = build(*args)
        net.callbacks.append(("probe", Probe()))
        return net

    clf._build_net = with_probe
    return clf


def test_the_decision_is_the_product_of_the_deep_and_the_wide_experts():
    torch.manual_seed(0)
    module = LTDDModule(74, 3, hidden=16, fingerprint_bits=2048, wide=True)
    torch.nn.init.normal_(module.wide.weight)
    batch = _batch()
    with torch.no_grad():
        logits, h = module.eval()(batch)
        deep = module.head(h)
        linear = batch.fingerprint @ module.wide.weight.T + module.wide.bias
        torch.testing.assert_close(logits, F.log_softmax(deep, 1) + F.log_softmax(linear, 1))
        # in training the experts come apart, for their own losses: the embeddings for the deep
        # one's (which applies the head itself) and the wide expert's logits
        h_train, wide_train = module.train()(batch)
    assert h_train.shape == h.shape and wide_train.shape == (8, 3)
    torch.testing.assert_close(wide_train, linear)


def test_the_wide_expert_starts_neutral_and_needs_a_fingerprint():
    module = LTDDModule(74, 3, hidden=16, fingerprint_bits=2048, wide=True)
    assert not module.wide.weight.any() and not module.wide.bias.any()  # uniform: adds nothing
    with pytest.raises(ValueError, match="needs fingerprint_bits > 0"):  # (it built none, silently)
        LTDDModule(74, 3, hidden=16, wide=True)
    assert LTDDModule(74, 3, hidden=16, fingerprint_bits=2048).wide is None


def test_each_expert_learns_from_its_own_loss_only():
    # on the CPU, where the test's batch is made (and gradients are compared to float32 rounding)
    clf = BaselineClassifier(max_epochs=2, random_state=0, device="cpu").fit(SMILES, LABELS)
    net, module = clf.net_, clf.net_.module_
    batch = _batch(16)
    y = torch.as_tensor(clf._encoder.transform(LABELS[:8] + LABELS[12:20]))
    # the samples' weights, unequal: each expert's loss is its weighted mean (a plain mean of the
    # wide expert's passed every test)
    weight = torch.linspace(0.25, 4.0, 16)
    targets = {"y": y, "weight": weight, "index": torch.arange(16)}
    module.train()

    def gradients(loss_of):
        module.zero_grad()
        torch.manual_seed(0)  # the same fingerprint dropout mask in every pass
        loss_of(module(batch)).backward()
        return {n: (p.grad.clone() if p.grad is not None else torch.zeros_like(p))
                for n, p in module.named_parameters()}  # fmt: skip

    total = gradients(lambda out: net.get_loss(out, targets, training=True))
    wide_alone = gradients(
        lambda out: (
            (balanced_cross_entropy(out[1], y, net.criterion_.class_counts) * weight).sum() / weight.sum()
        )
    )
    deep_alone = gradients(lambda out: net.criterion_(out[:1], targets, module.head))
    for name, grad in total.items():
        expected = wide_alone[name] if name.startswith("wide.") else deep_alone[name]
        torch.testing.assert_close(grad, expected)
    assert wide_alone["wide.weight"].abs().sum() > 0 and deep_alone["head.lins.0.weight"].abs().sum() > 0


@pytest.mark.parametrize(
    ("params", "has_wide"),
    [({}, True), ({"loss": "ce"}, True), ({"loss": "mixup"}, True), ({"fingerprint": None}, False)],
)
def test_the_classifier_trains_a_wide_expert_exactly_when_it_reads_a_fingerprint(params, has_wide):
    if "loss" in params:
        clf = BaselineClassifier(max_epochs=3, random_state=0, **params)
    else:
        clf = LTDDClassifier(max_epochs=3, schedule=SHORT, random_state=0, **params)
    clf.fit(SMILES, LABELS)
    assert (clf.net_.module_.wide is not None) == has_wide
    if has_wide:  # it trained
        assert clf.net_.module_.wide.weight.abs().sum() > 0


def test_decoupling_keeps_the_wide_expert_it_trained_when_batches_become_balanced():
    # the wide expert is balanced by its loss; balanced batches would balance it twice
    y = ["a"] * 20 + ["b"] * 4
    clf = BaselineClassifier(loss="decoupling", max_epochs=10, validation_fraction=0, early_stopping=None,
                             random_state=0)  # fmt: skip
    weights = []

    def wide_weights(net):  # the wide expert's weights after every epoch
        weights.append((net.history[-1]["phase"], net.module_.wide.weight.detach().clone()))

    after_each_epoch(clf, wide_weights).fit(SMILES, y)
    second = [w for phase, w in weights if phase == "decoupling"]
    first = [w for phase, w in weights if phase == "ce"]
    assert len(first) >= 2 and len(second) >= 2
    assert not torch.equal(first[0], first[-1])  # it trained in the first phase
    for w in second:  # and not in the second
        torch.testing.assert_close(w, first[-1], rtol=0, atol=0)


@pytest.mark.parametrize("fingerprint", ["morgan", None])
def test_the_wide_expert_learns_at_ten_times_the_network_rate(fingerprint):
    clf = LTDDClassifier(max_epochs=3, schedule=SHORT, lr=0.02, lr_gamma=0.5, fingerprint=fingerprint,
                         random_state=0)  # fmt: skip
    rates = []

    def group_rates(net):  # each parameter group's size and learning rate, after every epoch
        rates.append([(len(group["params"]), group["lr"]) for group in net.optimizer_.param_groups])

    after_each_epoch(clf, group_rates).fit(SMILES, LABELS)
    network = [0.02 * 0.5**epoch for epoch in range(1, 4)]  # decayed after each epoch
    assert [group[0][1] for group in rates] == pytest.approx(network)
    # the history's learning rate is the network's
    assert clf.history_[:, "event_lr"] == pytest.approx([0.02 * 0.5**epoch for epoch in range(3)])
    if fingerprint is None:
        assert all(len(groups) == 1 for groups in rates)
    else:  # its own group: the wide expert's weight and bias, at ten times the rate
        assert [groups[1] for groups in rates] == [(2, pytest.approx(10 * lr)) for lr in network]
