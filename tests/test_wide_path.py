"""The wide part: the fingerprint linearly to the logits, beside the deep head (Wide & Deep)."""

import numpy as np
import pytest
import torch

from sklearn_ltdd import LTDDClassifier, SmilesGraphizer
from sklearn_ltdd.nn import LTDDModule

SMILES = ["CCO", "CCCO", "CCCCO", "OCCO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC", "c1ccccc1O"] * 3
LABELS = ["alcohol"] * 4 * 3 + ["aromatic"] * 4 * 3


def _batch():
    return SmilesGraphizer(fingerprint="morgan").fit_transform(SMILES[:8]).batch(np.arange(8))


def test_the_logits_are_the_deep_head_plus_a_linear_model_of_the_fingerprint():
    torch.manual_seed(0)
    module = LTDDModule(74, 3, hidden=16, fingerprint_bits=2048, wide=True).eval()
    torch.nn.init.normal_(module.wide.weight)
    torch.nn.init.normal_(module.wide.bias)
    batch = _batch()
    with torch.no_grad():
        logits, h = module(batch)
        deep = module.head(h)
        linear = batch.fingerprint @ module.wide.weight.T + module.wide.bias
    assert not torch.allclose(linear, torch.zeros_like(linear))
    torch.testing.assert_close(logits, deep + linear)


def test_the_wide_part_starts_at_zero_and_a_reset_classifier_starts_it_again():
    module = LTDDModule(74, 3, hidden=16, fingerprint_bits=2048, wide=True)
    assert not module.wide.weight.any() and not module.wide.bias.any()
    with torch.no_grad():
        module.wide.weight.fill_(1.0)
    head_before = module.head.lins[-1].weight.clone()
    module.reset_classifier()
    assert not module.wide.weight.any()
    assert not torch.equal(module.head.lins[-1].weight, head_before)  # the head is new too


def test_without_a_fingerprint_there_is_no_wide_part():
    assert LTDDModule(74, 3, hidden=16, wide=True).wide is None
    assert LTDDModule(74, 3, hidden=16, fingerprint_bits=2048).wide is None


@pytest.mark.parametrize(
    ("params", "has_wide"),
    [
        ({}, True),
        ({"method": "ce"}, True),
        ({"fingerprint": None}, False),
        # these losses run the head on embeddings they make (mixed, or its last features): the
        # fingerprint has no place there, so they keep the deep path only
        ({"method": "mixup"}, False),
        ({"method": "ib"}, False),
    ],
)
def test_the_classifier_has_a_wide_part_exactly_when_its_head_runs_on_the_molecules(params, has_wide):
    clf = LTDDClassifier(max_epochs=3, warmup_epochs=1, update_every=1, random_state=0, **params)
    clf.fit(SMILES, LABELS)
    assert (clf.net_.module_.wide is not None) == has_wide
    if has_wide:  # it trained
        assert clf.net_.module_.wide.weight.abs().sum() > 0
