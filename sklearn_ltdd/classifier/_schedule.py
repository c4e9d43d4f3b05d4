"""The LTDD schedule as skorch callbacks (spec §5–§7): re-clustering, weights and temperatures."""

from __future__ import annotations

import math

import numpy as np
import torch
from skorch.callbacks import Callback

from ..cluster import BalancedSubcluster
from ..nn import separability_weights

__all__ = ["Recluster", "adaptive_tau2"]


def adaptive_tau2(
    z: torch.Tensor, y: torch.Tensor, n_sub_per_class: torch.Tensor, base: float = 0.1
) -> torch.Tensor:
    """The reference code's per-class τ2: base·exp(d_c / mean d), d_c = mean‖z−μ_c‖ / ln(n_c+10).

    d is clipped to its 20th–80th percentile across classes; classes with one sub-cluster get base.
    """
    n_classes = len(n_sub_per_class)
    d = torch.zeros(n_classes, dtype=z.dtype, device=z.device)
    for c in range(n_classes):
        members = z[y == c]
        spread = (members - members.mean(dim=0)).norm(dim=1).mean()
        d[c] = spread / math.log(len(members) + 10)
    low, high = torch.quantile(d, 0.2), torch.quantile(d, 0.8)
    d = d.clamp(low, high)
    tau = base * torch.exp(d / d.mean().clamp_min(1e-12))
    return torch.where(n_sub_per_class > 1, tau, torch.full_like(tau, base))


class Recluster(Callback):
    """At the start of each epoch: decide the phase, and re-cluster when due.

    Epochs before ``warmup_epochs`` train with SupCon only. From then on, every ``update_every``
    epochs (only once when ``dynamic`` is False) the clean training graphs are embedded with the
    encoder in eval mode, split into balanced sub-clusters per class, and the class weights,
    sub-cluster weights and per-class τ2 are recomputed. The net reads them from ``ltdd_state_``.
    """

    def __init__(self, ltdd):
        self.ltdd = ltdd  # the LTDDClassifier, for its parameters

    def due(self, epoch: int) -> bool:
        start = self.ltdd.warmup_epochs
        if epoch < start:
            return False
        if not self.ltdd.dynamic:
            return epoch == start
        return (epoch - start) % self.ltdd.update_every == 0

    def on_epoch_begin(self, net, dataset_train=None, **kwargs) -> None:
        epoch = len(net.history) - 1
        state = net.ltdd_state_
        state["warmup"] = epoch < self.ltdd.warmup_epochs
        if self.due(epoch):
            self.update(net, dataset_train, epoch)
        net.history.record("phase", "warmup" if state["warmup"] else "ltdd")
        if "class_weights" in state:
            net.history.record("class_weights", state["class_weights"].tolist())
            net.history.record("n_subclusters", len(state["subcluster_class"]))

    def on_epoch_end(self, net, **kwargs) -> None:
        # per-epoch means of the batch-level loss terms, for plotting training curves
        batches = net.history[-1]["batches"]
        for key in ("contrastive_loss", "ce_loss"):
            values = [b[key] for b in batches if key in b]
            if values:
                net.history.record(key, float(np.mean(values)))

    @torch.no_grad()
    def update(self, net, dataset, epoch: int) -> None:
        ltdd, state = self.ltdd, net.ltdd_state_
        z = net.embed_dataset(dataset)
        y = dataset.y.to(z.device)
        seed = None if state["seed"] is None else state["seed"] + epoch
        clusterer = BalancedSubcluster(
            min_cluster_size=ltdd.min_cluster_size, method=ltdd.cluster_method, random_state=seed
        ).fit(z, y)
        sub = clusterer.labels_
        sub_class = torch.as_tensor(clusterer.subcluster_class_.astype(np.int64), device=z.device)
        n_sub = torch.as_tensor(clusterer.n_subclusters_per_class_, device=z.device)
        n_classes = state["n_classes"]
        present = torch.bincount(y, minlength=n_classes) > 0
        class_w, sub_w = separability_weights(
            z, y, sub, sub_class, n_classes, weighting=ltdd.weighting, formula=ltdd.weight_formula
        )
        class_w = torch.where(present, class_w, torch.zeros_like(class_w))
        state.update(
            sub=sub,  # per training position
            subcluster_class=sub_class,
            class_weights=class_w,
            subcluster_weights=sub_w,
            tau2=(adaptive_tau2(z, y, n_sub) if ltdd.tau2 == "adaptive" else None),
        )
