"""The moving average of the weights: what it averages, that training goes on from the raw
weights, and that the classifier keeps and predicts with the average."""

import numpy as np
import pytest
import torch
from skorch import NeuralNetRegressor
from skorch.callbacks import Callback
from skorch.dataset import ValidSplit

from sklearn_ltdd import LTDDClassifier, SubclusterSchedule
from sklearn_ltdd.classifier._averaging import WeightAverage, ema_decay

N, BATCH = 40, 10  # four steps per epoch


class RecordWeights(Callback):
    """The raw weights after every training step, and what the module holds at each epoch's end."""

    def initialize(self):
        self.steps, self.epoch_ends = [], []
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.steps.append(net.module_.weight.detach().clone())

    def on_epoch_end(self, net, **kwargs):
        self.epoch_ends.append(net.module_.weight.detach().clone())


def _fit(time_constant: float | None, validation: bool, epochs: int = 3) -> RecordWeights:
    torch.manual_seed(0)
    X = torch.randn(N, 3)
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1
    record = RecordWeights()
    callbacks = [("record", record)]
    if time_constant is not None:
        callbacks.insert(0, ("average", WeightAverage(time_constant)))
    net = NeuralNetRegressor(torch.nn.Linear, module__in_features=3, module__out_features=1, lr=0.1,
                             max_epochs=epochs, batch_size=BATCH, iterator_train__shuffle=False,
                             train_split=ValidSplit(4) if validation else None, callbacks=callbacks,
                             verbose=0)  # fmt: skip
    net.fit(X.numpy(), y.numpy())
    record.final = net.module_.weight.detach().clone()
    return record


@pytest.mark.parametrize("validation", [True, False])
def test_the_module_holds_the_moving_average_of_the_raw_steps(validation):
    record = _fit(2.0, validation)
    steps_per_epoch = (N - N // 4 if validation else N) // BATCH
    decay = ema_decay(2.0, steps_per_epoch)
    average, by_hand = None, []
    for i, step in enumerate(record.steps):
        average = step.clone() if average is None else decay * average + (1 - decay) * step
        if (i + 1) % steps_per_epoch == 0:
            by_hand.append(average)
    for held, expected in zip(record.epoch_ends, by_hand, strict=True):
        torch.testing.assert_close(held, expected)
    torch.testing.assert_close(record.final, by_hand[-1])
    assert not torch.allclose(record.final, record.steps[-1])  # an average, not the last step


def test_training_goes_on_from_the_raw_weights():
    raw = _fit(None, validation=True)
    averaged = _fit(2.0, validation=True)
    # the optimiser's trajectory is the one it takes without the average
    for a, b in zip(raw.steps, averaged.steps, strict=True):
        torch.testing.assert_close(a, b)


def test_a_time_constant_shorter_than_a_step_is_the_raw_weights():
    raw, averaged = _fit(None, validation=True), _fit(1e-6, validation=True)
    torch.testing.assert_close(raw.final, averaged.final)


SMILES = ["CCO", "CCCO", "CCCCO", "OCC(O)CO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC", "c1ccc2ccccc2c1"] * 6
LABELS = ["alcohol"] * 4 * 6 + ["aromatic"] * 4 * 6
FAST = {
    "max_epochs": 6,
    "schedule": SubclusterSchedule(warmup_epochs=1, update_every=2),
    "hidden": 16,
    "batch_size": 16,
    "random_state": 0,
}


def test_the_classifier_predicts_with_the_averaged_checkpoint_and_pickles_no_copy():
    plain = LTDDClassifier(**FAST, ema_epochs=None).fit(SMILES, LABELS)
    tiny = LTDDClassifier(**FAST, ema_epochs=1e-6).fit(SMILES, LABELS)
    averaged = LTDDClassifier(**FAST, ema_epochs=3).fit(SMILES, LABELS)
    # an average over less than a step is the raw network, bit for bit
    np.testing.assert_allclose(tiny.predict_proba(SMILES), plain.predict_proba(SMILES), rtol=1e-5, atol=1e-6)
    assert not np.allclose(averaged.predict_proba(SMILES), plain.predict_proba(SMILES), atol=1e-4)
    callback = dict(averaged.net_.callbacks_)["average"]
    assert callback.average_ is None and callback.raw_ is None


def test_ema_epochs_is_validated():
    with pytest.raises(ValueError, match="ema_epochs"):
        LTDDClassifier(ema_epochs=0).fit(SMILES, LABELS)
