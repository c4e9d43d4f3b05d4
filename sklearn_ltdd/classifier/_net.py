"""The skorch net that runs LTDD's training step: two edge-dropped views, contrastive loss, weighted CE."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.utils import to_tensor

from ..nn import _long_tail_losses as lt
from ..nn import edge_drop_views, subcluster_contrastive_loss, supcon_loss

__all__ = ["LTDDNet"]


def _weighted_mean(per_sample: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return (weight * per_sample).sum() / weight.sum().clamp_min(1e-12)


class LTDDNet(NeuralNet):
    """skorch ``NeuralNet`` whose training step is LTDD's (spec §4, §7).

    ``ltdd`` is the owning LTDDClassifier (hyper-parameters); ``ltdd_state_`` holds what the
    :class:`Recluster` callback computes: phase, sub-cluster ids, weights, τ2.
    """

    def __init__(self, *args, ltdd=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ltdd = ltdd

    def embed_dataset(self, dataset) -> torch.Tensor:
        """Unit embeddings of clean graphs, encoder in eval mode (for clustering and transform).

        Batches come from skorch's validation iterator and are moved by skorch's ``to_tensor``,
        the same path ``predict_proba`` takes.
        """
        self.module_.eval()
        with torch.no_grad():
            return torch.cat(
                [
                    F.normalize(self.module_.embed(to_tensor(graphs, self.device)), dim=1)
                    for graphs, _ in self.get_iterator(dataset, training=False)
                ]
            )

    def classification_loss(self, logits: torch.Tensor, targets: dict) -> torch.Tensor:
        """Cross-entropy weighted per sample by ω[y] · sub-cluster weight · sample weight (weighted mean)."""
        state = self.ltdd_state_
        weight = targets["weight"]
        if "class_weights" in state:
            weight = weight * state["class_weights"][targets["y"]]
            weight = weight * state["subcluster_weights"][state["sub"][targets["index"]]]
        return _weighted_mean(F.cross_entropy(logits, targets["y"], reduction="none"), weight)

    def baseline_loss(self, graphs, targets: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """The loss of a Table-2 baseline (``method`` other than "ltdd") on clean graphs."""
        method, state = self.ltdd.method, self.ltdd_state_
        y, counts = targets["y"], state["class_counts"]
        if method == "decoupling" and state["second_phase"]:
            self.module_.encoder.eval()  # frozen representation, BatchNorm statistics included
            with torch.no_grad():
                h = self.module_.embed(graphs)
        else:
            h = self.module_.embed(graphs)
        logits = self.module_.head(h)
        if method == "mixup":
            perm = torch.randperm(len(y), device=y.device)
            per_sample = lt.mixup_loss(self.module_.head, h, y, torch.rand(()).item(), perm)
        elif method == "cs":
            per_sample = lt.cost_sensitive_loss(logits, y, counts)
        elif method == "bs":
            per_sample = lt.balanced_softmax_loss(logits, y, counts)
        elif method == "cb_focal":
            per_sample = lt.class_balanced_focal_loss(logits, y, counts)
        elif method == "cdt":
            per_sample = F.cross_entropy(lt.cdt_logits(logits, counts), y, reduction="none")
        elif method == "ib" and state["second_phase"]:
            per_sample = lt.influence_balanced_loss(logits, h, y, counts)
        else:  # "ce", "decoupling", and "ib" before its switch
            per_sample = F.cross_entropy(logits, y, reduction="none")
        return _weighted_mean(per_sample, targets["weight"]), logits

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        graphs, targets = batch
        ltdd, state = self.ltdd, self.ltdd_state_
        if ltdd.method != "ltdd":  # a baseline: same network, clean graphs, its own loss
            loss, logits = self.baseline_loss(graphs, targets)
            loss.backward()
            return {"loss": loss, "y_pred": logits}
        view1, view2 = edge_drop_views(graphs, ltdd.edge_drop)
        h1, h2 = self.module_.embed(view1), self.module_.embed(view2)
        z = F.normalize(torch.cat([h1, h2]), dim=1)
        y2 = targets["y"].repeat(2)
        logits = self.module_.head(h1)
        if state["warmup"]:
            loss = supcon_loss(z, y2, ltdd.tau)
            self.history.record_batch("contrastive_loss", loss.item())
        else:
            sub = state["sub"][targets["index"]].repeat(2)
            tau2 = state["tau2"][y2] if state["tau2"] is not None else ltdd.tau2
            contrastive = subcluster_contrastive_loss(
                z, y2, sub, tau1=ltdd.tau1, tau2=tau2, beta=ltdd.beta, term_a_scale=ltdd.term_a_scale
            )
            ce = self.classification_loss(logits, targets)
            loss = contrastive + ce
            self.history.record_batch("contrastive_loss", contrastive.item())
            self.history.record_batch("ce_loss", ce.item())
        loss.backward()
        return {"loss": loss, "y_pred": logits}

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        graphs, targets = batch
        with torch.no_grad():
            logits = self.infer(graphs)
            loss = F.cross_entropy(logits, targets["y"])
        return {"loss": loss, "y_pred": logits}
