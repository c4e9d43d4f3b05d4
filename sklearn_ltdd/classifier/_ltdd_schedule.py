"""LTDD's schedule as skorch callbacks (paper Algorithms 1–2): re-clustering, weights and temperatures."""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import Callback

from ..cluster import BalancedSubcluster
from ..nn._weights import subcluster_separability

__all__ = ["ADAPTIVE_TAU2_BASE", "Recluster", "RecordLossTerms", "adaptive_tau2"]

ADAPTIVE_TAU2_BASE = 0.1  # the reference code's; also the τ2 of a class with one sub-cluster


def adaptive_tau2(
    z: torch.Tensor, y: torch.Tensor, n_sub_per_class: torch.Tensor, base: float = ADAPTIVE_TAU2_BASE
) -> torch.Tensor:
    """The reference code's per-class τ2: base·exp(d_c / mean d), d_c = mean‖z−μ_c‖ / ln(n_c+10).

    d is clipped to its 20th–80th percentile across classes; classes with one sub-cluster get base.
    """
    # per-class sums by index_add (no boolean masks, no bincount): nothing here waits for the device
    n_classes = len(n_sub_per_class)
    counts = torch.zeros(n_classes, dtype=z.dtype, device=z.device).index_add_(0, y, torch.ones_like(z[:, 0]))
    centres = torch.zeros(n_classes, z.shape[1], dtype=z.dtype, device=z.device).index_add_(0, y, z)
    centres /= counts[:, None]
    spread = torch.zeros_like(counts).index_add_(0, y, (z - centres[y]).norm(dim=1)) / counts
    d = spread / torch.log(counts + 10)
    low, high = torch.quantile(d, 0.2), torch.quantile(d, 0.8)
    d = d.clamp(low, high)
    tau = base * torch.exp(d / d.mean().clamp_min(1e-12))
    return torch.where(n_sub_per_class > 1, tau, torch.full_like(tau, base))


class Recluster(Callback):
    """Re-cluster and re-weight when due, at the start of an epoch of LTDD's final phase.

    In its first epoch and then every ``update_every`` epochs (only in the first when ``dynamic``
    is False) the clean training graphs are embedded with the encoder in eval mode, split into
    balanced sub-clusters per class, and the class weights, sub-cluster weights and (with
    ``adaptive_tau2``) per-class τ2 are recomputed and handed to the criterion. ``phases`` is the
    fit's :class:`~sklearn_ltdd.classifier._phases.Phases`; the other parameters are those of
    :class:`~sklearn_ltdd.classifier.SubclusterSchedule`.
    """

    def __init__(
        self,
        phases,
        *,
        update_every: int,
        dynamic: bool,
        min_cluster_size: int,
        cluster_method: str,
        weighting: str,
        weight_formula: str,
        adaptive_tau2: bool,
        random_state: int | None,
    ):
        self.phases = phases
        self.update_every = update_every
        self.dynamic = dynamic
        self.min_cluster_size = min_cluster_size
        self.cluster_method = cluster_method
        self.weighting = weighting
        self.weight_formula = weight_formula
        self.adaptive_tau2 = adaptive_tau2
        self.random_state = random_state

    def initialize(self) -> Recluster:
        self.class_weights_ = []  # as last computed, read back once per re-clustering
        return self

    def due(self) -> bool:
        if not self.phases.final:  # the warm-up
            return False
        done = self.phases.epochs_in
        return done % self.update_every == 0 if self.dynamic else done == 0

    def on_epoch_begin(self, net, dataset_train=None, **kwargs) -> None:
        epoch = len(net.history) - 1
        if self.due():
            self.update(net, dataset_train, epoch)
        # the same keys every epoch, so that the history and the printed table keep their columns
        net.history.record("class_weights", self.class_weights_)
        net.history.record("n_subclusters", len(net.criterion_.subcluster_weights))

    @torch.no_grad()
    def update(self, net, dataset, epoch: int) -> None:
        z = net.embed_dataset(dataset)
        # a diverged network embeds molecules as zero or NaN vectors, which have no sub-cluster
        degenerate = ~torch.isfinite(z).all(dim=1) | (z.abs().sum(dim=1) == 0)
        if degenerate.any():
            count = f"{int(degenerate.sum())} of {len(z)} training molecules"
            if epoch == 0 and torch.isfinite(z).all():  # before any step (no warm-up): nothing diverged
                raise ValueError(
                    f"the untrained network (hidden={net.module__hidden}) embeds {count} as zero vectors, "
                    "which cannot be sub-clustered: a network this narrow puts molecules at zero before it "
                    "learns; widen it (a larger hidden), or train before the first sub-clustering "
                    "(schedule__warmup_epochs=1 or more)."
                )
            net.diverged(
                f"at epoch {epoch + 1} the network embeds {count} as zero or non-finite vectors, which "
                "cannot be sub-clustered: training has broken down, most often by diverging"
            )
        y = dataset.y.to(z.device)
        seed = None if self.random_state is None else self.random_state + epoch
        clusterer = BalancedSubcluster(
            min_cluster_size=self.min_cluster_size, method=self.cluster_method, random_state=seed
        ).fit(z, y)
        sub = clusterer.labels_
        sub_class = torch.as_tensor(clusterer.subcluster_class_.astype(np.int64), device=z.device)
        n_sub = torch.as_tensor(clusterer.n_subclusters_per_class_, device=z.device)
        # every class has training samples (the hold-out keeps one of each), so every class has a weight
        class_w, sub_w = subcluster_separability(
            z, y, sub, sub_class, len(net.criterion_.class_counts), self.weighting, self.weight_formula
        )
        net.criterion_.set_state(
            sub,  # per training position
            class_w,
            sub_w,
            adaptive_tau2(z, y, n_sub) if self.adaptive_tau2 else None,
        )
        self.class_weights_ = net.criterion_.class_weights.tolist()


class RecordLossTerms(Callback):
    """Per-epoch means of the criterion's loss terms in the history (read once per epoch)."""

    def on_epoch_end(self, net, **kwargs) -> None:
        for name, value in net.criterion_.pop_epoch_means().items():
            net.history.record(name, value)
