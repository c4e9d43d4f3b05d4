"""The skorch net of both graph classifiers: skorch's own training and validation steps, the
estimator's criterion.

In training the module augments (LTDD's views) and returns the embeddings; the estimator's
criterion applies the head and turns them into the loss, to which the fingerprint's wide expert,
when there is one (a second output in training), adds its own class-balanced cross-entropy.
Batches come from device-resident graph stores, and skorch's ``to_tensor`` moves anything that
is not there yet.
"""

from __future__ import annotations

import sys

import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.callbacks import LRScheduler, PrintLog
from skorch.utils import Ansi, to_tensor

from ..nn.losses import balanced_cross_entropy, weighted_mean

__all__ = ["EpochLRScheduler", "LTDDNet", "softmax"]


def softmax(logits: torch.Tensor) -> torch.Tensor:
    """``predict_proba``'s non-linearity (a module-level function, so that nets pickle)."""
    return torch.softmax(logits, dim=1)


class PlainPrintLog(PrintLog):
    """skorch's per-epoch table, coloured only on a terminal: logs and CI get plain text."""

    def format_row(self, row, key, color):
        text = super().format_row(row, key, color)
        terminal = getattr(sys.stdout, "isatty", lambda: False)()
        if isinstance(text, str) and not terminal:
            text = text.replace(color, "").replace(Ansi.ENDC.value, "")
        return text


class LTDDNet(NeuralNet):
    """skorch ``NeuralNet`` whose criterion also sees the embeddings and the classifier head."""

    def get_default_callbacks(self):
        return [(name, PlainPrintLog() if name == "print_log" else callback)
                for name, callback in super().get_default_callbacks()]  # fmt: skip

    def get_loss(self, y_pred, y_true, X=None, training=False) -> torch.Tensor:
        y_true = to_tensor(y_true, device=self.device)
        if not training:  # validation loss: plain cross-entropy of the clean graphs
            return F.cross_entropy(y_pred[0], y_true["y"])
        loss = self.criterion_(y_pred[:1], y_true, head=self.module_.head)
        if len(y_pred) == 2:  # the wide expert: the fingerprint's class-balanced logistic regression
            wide = balanced_cross_entropy(y_pred[1], y_true["y"], self.criterion_.class_counts)
            loss = loss + weighted_mean(wide, y_true["weight"])
        return loss

    def embed_dataset(self, dataset) -> torch.Tensor:
        """Unit embeddings of clean graphs, module in eval mode, on the net's device."""
        parts = [h for _, h in self.forward_iter(dataset, training=False, device=self.device)]
        return F.normalize(torch.cat(parts), dim=1)


class EpochLRScheduler(LRScheduler):
    """skorch's LRScheduler without its torch scheduler in pickles: that scheduler holds the
    optimizer, whose tensors would then be pickled outside skorch's device mapping (skorch issue
    #1096), and a model trained on CUDA would not load without it. It is rebuilt at the start of
    every fit."""

    def __getstate__(self) -> dict:
        return {**self.__dict__, "lr_scheduler_": None}
