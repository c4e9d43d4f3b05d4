"""The training losses as skorch criteria, one class per loss, registered by name in ``LOSSES``.

Every criterion takes the module's training output ``(embeddings, ...)``, the batch targets (a
dict with ``y``, the sample ``weight`` and the training-set ``index`` of each sample) and the
classifier head, which it applies itself where its loss needs logits, and returns one scalar.
Losses with phases (LTDD's warm-up, the influence-balanced start) read the current one from
``phases``, the fit's one phase object; without one (a criterion used on its own) they compute
their main loss. Class counts and LTDD's re-clustering state are
buffers, so they follow the net to its device and pickle through skorch's device mapping.
"""

from __future__ import annotations

import math
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from ..._torch_device import widest_float
from . import _long_tail as lt
from ._contrastive import subcluster_contrastive_loss, supcon_loss

__all__ = [
    "LOSSES",
    "BalancedSoftmaxLoss",
    "ClassBalancedFocalLoss",
    "ClassDependentTemperatureLoss",
    "CostSensitiveLoss",
    "CrossEntropyLoss",
    "DecouplingLoss",
    "InfluenceBalancedLoss",
    "LTDDLoss",
    "MixupLoss",
    "weighted_mean",
]


class PhaseView(Protocol):
    """What a criterion reads of the fit's phases (``sklearn_ltdd.classifier._phases.Phases``)."""

    final: bool  # the method's last phase: its main loss


def weighted_mean(per_sample: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """The mean of ``per_sample`` weighted by ``weight``, one weight per sample (same shape).

    Parameters
    ----------
    per_sample : torch.Tensor of shape (n,)
        One loss per sample.
    weight : torch.Tensor of shape (n,)
        One non-negative weight per sample; a ValueError names another shape.

    Returns
    -------
    torch.Tensor
        The scalar ``Σ w_i l_i / Σ w_i`` (0 where every weight is 0).

    Examples
    --------
    >>> from sklearn_ltdd.nn.losses import weighted_mean
    >>> import torch
    >>> float(weighted_mean(torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1.0, 1.0, 2.0])))
    2.75
    """
    lt.check_weight_shape(weight, per_sample)
    return (weight * per_sample).sum() / _nonzero(weight.sum())


def _nonzero(total: torch.Tensor) -> torch.Tensor:
    """A weight sum to divide by: 1 where it is 0 (every weight 0: 0 / 1, not 0 / 0), else itself,
    however small (a floor would change the mean of small weights). A select: no read of the device."""
    return torch.where(total == 0, torch.ones_like(total), total)


class _LongTailLoss(nn.Module):
    """A per-sample loss averaged with the sample weights; ``class_counts`` are the training n_c.

    ``summary`` says what the loss is in one line; ``prior_correcting`` whether training with it
    already takes the class prior out (loss weights, a prior-shifted softmax, class-balanced
    batches), so that a decision without a validation set needs no further adjustment; and
    ``balances_batches`` whether it does so by its batches, not by the class counts it is given
    (which a class-balanced resampling makes equal: it then takes no prior out).
    """

    summary = ""
    prior_correcting = False
    balances_batches = False

    def __init__(self, class_counts: torch.Tensor, *, phases: PhaseView | None = None):
        super().__init__()
        self.register_buffer("class_counts", torch.as_tensor(class_counts, dtype=torch.float32).clamp_min(1))
        self.phases = phases

    def in_main_phase(self) -> bool:
        """Whether the method's main loss applies now: in its final phase, or outside a fit.

        Returns
        -------
        main : bool
            True in the final phase, or without phases.
        """
        return self.phases is None or self.phases.final

    def per_sample(self, embeddings: torch.Tensor, y: torch.Tensor, head: nn.Module) -> torch.Tensor:
        """Each sample's loss, which :meth:`forward` averages with the sample weights. A loss
        over the batch as a whole (:class:`LTDDLoss` contrasts its samples, ``loss="mixup"``'s
        mixes them) has none: it raises NotImplementedError.

        Parameters
        ----------
        embeddings : Tensor of shape (B, width)
            The batch's embeddings.
        y : Tensor of int of shape (B,)
            The batch's classes.
        head : torch.nn.Module
            The classifier head.

        Returns
        -------
        losses : Tensor of shape (B,)
            One loss per sample.
        """
        raise NotImplementedError(
            f"{type(self).__name__} computes its loss over the batch as a whole in forward(), not per sample."
        )

    def forget_training_state(self) -> None:
        """Drop state that describes the training samples (a fitted model does not keep it)."""

    def record_term(self, name: str, value: torch.Tensor, n_samples: int) -> None:
        """Count a term of the training loss that is computed beside this one (the wide expert's),
        for criteria that report their terms; the others ignore it."""

    def divergence_advice(self) -> str:
        """What to change in this loss's own parameters after a training that diverged.

        Returns
        -------
        advice : str
            Advice that follows "lower the learning rate, or"; empty where only the rate can be
            at fault (as for every loss without parameters of its own).
        """
        return ""

    def forward(self, y_pred: tuple, targets: dict, head: nn.Module) -> torch.Tensor:
        per_sample = self.per_sample(y_pred[0], lt.class_indices(targets["y"]), head)
        return weighted_mean(per_sample, targets["weight"])

    def apply_head(self, head: nn.Module, embeddings: torch.Tensor, **kwargs) -> torch.Tensor | tuple:
        """``head(embeddings, **kwargs)``, whose logits (its output, or the output's first item)
        must have one column per class count.

        Parameters
        ----------
        head : torch.nn.Module
            The classifier head.
        embeddings : Tensor of shape (B, width)
            What the head reads.
        **kwargs
            Passed on to the head.

        Returns
        -------
        output : Tensor or tuple of Tensor
            The head's output.
        """
        output = head(embeddings, **kwargs)
        logits = output[0] if isinstance(output, tuple) else output
        if logits.shape[-1] != len(self.class_counts):  # a count of one broadcast, others indexed past
            raise ValueError(
                f"{type(self).__name__} holds {len(self.class_counts)} class counts, but the head gives "
                f"{logits.shape[-1]} logits per sample: give one count per class of the head."
            )
        return output


class CrossEntropyLoss(_LongTailLoss):
    """The plain cross-entropy of the head's logits (``ce``), weighted by the sample weights."""

    summary = "cross-entropy (vanilla)"

    def per_sample(self, embeddings, y, head):
        return F.cross_entropy(self.apply_head(head, embeddings), y, reduction="none")


class DecouplingLoss(CrossEntropyLoss):
    """Cross-entropy in both phases of decoupling; its second phase balances the batches instead."""

    summary = (
        "cross-entropy, then the head re-trained on class-balanced batches (the last fifth, or from "
        "when validation stalls)"
    )
    prior_correcting = True
    balances_batches = True


class CostSensitiveLoss(_LongTailLoss):
    """w_y · CE averaged over the batch's samples (their sample weights), not over the w_y as
    ImDrug's ``F.cross_entropy(weight=w)``: that normalisation lifts the batches with few rare
    samples, undoing part of the cost; it scored 4 to 6 points of BA lower on the embedded templates
    (docs/results.md, *The cost-sensitive loss's normalisation*)."""

    summary = "cost-sensitive cross-entropy, w_c = n_min / n_c"
    prior_correcting = True

    def per_sample(self, embeddings, y, head):
        return lt.cost_sensitive_loss(self.apply_head(head, embeddings), y, self.class_counts)


class BalancedSoftmaxLoss(_LongTailLoss):
    """Balanced softmax (``bs``; Ren et al. 2020): the cross-entropy of the logits shifted by
    log n_c, so that the head learns the class-balanced posterior."""

    summary = "balanced softmax, cross-entropy on z + log n_c"
    prior_correcting = True

    def per_sample(self, embeddings, y, head):
        return lt.balanced_softmax_loss(self.apply_head(head, embeddings), y, self.class_counts)


class ClassBalancedFocalLoss(_LongTailLoss):
    """Class-balanced focal loss (``cb_focal``; Cui et al. 2019): the focal loss (γ = 0.5) weighted
    by the inverse effective number of each class's samples, (1 − β) / (1 − β^n_c), β = 0.999."""

    summary = "class-balanced focal loss, β=0.999, γ=0.5"
    prior_correcting = True

    def per_sample(self, embeddings, y, head):
        return lt.class_balanced_focal_loss(self.apply_head(head, embeddings), y, self.class_counts)


class ClassDependentTemperatureLoss(_LongTailLoss):
    """Class-dependent temperatures (``cdt``; Ye et al. 2020): in training, each class's logit is
    divided by (n_max / n_c)^0.2, so that the head must push the rare classes' logits further."""

    summary = "class-dependent temperatures, z / (n_max / n_c)^0.2 in training"
    prior_correcting = True

    def per_sample(self, embeddings, y, head):
        return F.cross_entropy(
            lt.cdt_logits(self.apply_head(head, embeddings), self.class_counts), y, reduction="none"
        )


class InfluenceBalancedLoss(_LongTailLoss):
    """Cross-entropy in the first phase, then the influence-balanced loss, which reads the
    features the head's last layer sees, not the graph embedding."""

    summary = "influence-balanced loss (cross-entropy first: until half-time, or until validation stalls)"
    prior_correcting = True

    def per_sample(self, embeddings, y, head):
        logits, features = self.apply_head(head, embeddings, return_emb=True)
        if not self.in_main_phase():
            return F.cross_entropy(logits, y, reduction="none")
        return lt.influence_balanced_loss(logits, features, y, self.class_counts)


class MixupLoss(_LongTailLoss):
    """Mixup of graph embeddings: the head sees λh + (1−λ)h[perm], λ ~ Beta(1, 1) = U(0, 1).

    The head runs once per step, on the mixed embeddings only, so its BatchNorm statistics are
    those of the inputs it learns from.
    """

    summary = "mixup of graph embeddings, λ ~ Beta(1, 1)"

    def forward(self, y_pred: tuple, targets: dict, head: nn.Module) -> torch.Tensor:
        # each label weighs as its own sample does: the partner's label carries the partner's
        # weight (the mixed sample's own weight on both gave a class of weight 0 a say)
        y, weight = lt.class_indices(targets["y"]), targets["weight"]
        lam = torch.rand((), device=y.device)
        perm = torch.randperm(len(y), device=y.device)
        weighted = lt.mixup_loss(lambda h: self.apply_head(head, h), y_pred[0], y, lam, perm, weight)
        return weighted.sum() / _nonzero(weight.sum())


class LTDDLoss(_LongTailLoss):
    """LTDD's loss on two stacked views (embeddings: 2B rows, view 0's first).

    In the warm-up (the phase before its main one): SupCon on the views. Afterwards: the
    sub-cluster contrastive loss plus the cross-entropy of view 0's logits weighted per sample by
    ω[y] · sub-cluster weight · sample weight. The ``Recluster`` callback hands it the state
    (:meth:`set_state`). Loss terms are summed on the device; :meth:`pop_epoch_means` reads them
    once per epoch, each a mean over the epoch's samples as skorch's ``train_loss`` is (the batch
    means weighted by batch size), so that the terms add up to it.

    Parameters
    ----------
    class_counts : Tensor of shape (n_classes,)
        The training samples of each class.
    tau : float, default=0.1
        The warm-up's SupCon temperature.
    tau1 : float, default=0.1
        The temperature of the sub-cluster term A.
    tau2 : float, default=0.1
        The temperature of term B, where :meth:`set_state` gives no per-class one (the
        classifier's ``SubclusterContrast(tau2="adaptive")`` is such per-class temperatures,
        recomputed at each re-clustering and handed to :meth:`set_state`).
    beta : float, default=0.25
        The weight β of term B.
    term_a_scale : float, default=1.0
        The weight a of term A.
    phases : object with a bool ``final``, default=None
        The fit's phases: the main loss applies in the final one (always without phases).

    Examples
    --------
    >>> from sklearn_ltdd.nn import LTDDLoss
    >>> import torch
    >>> loss = LTDDLoss(torch.tensor([50, 5]))
    >>> loss.in_main_phase(), loss.pop_epoch_means()  # outside a fit: the main loss, no terms yet
    (True, {'contrastive_loss': nan, 'ce_loss': nan})
    """

    summary = "LTDD: sub-cluster contrastive loss plus separability-weighted cross-entropy"
    TERMS = ("contrastive_loss", "ce_loss")

    def __init__(
        self,
        class_counts: torch.Tensor,
        tau: float = 0.1,
        tau1: float = 0.1,
        tau2: float = 0.1,
        beta: float = 0.25,
        term_a_scale: float = 1.0,
        *,
        phases: PhaseView | None = None,
    ):
        super().__init__(class_counts, phases=phases)
        self.tau, self.tau1, self.tau2 = tau, tau1, tau2
        self.beta, self.term_a_scale = beta, term_a_scale
        # set by set_state; non-persistent: re-computed state, not parameters
        self.register_buffer("sub", torch.zeros(0, dtype=torch.long), persistent=False)
        for name in ("class_weights", "subcluster_weights", "class_tau2"):
            self.register_buffer(name, torch.zeros(0), persistent=False)
        self.totals: dict[str, torch.Tensor] = {}
        self.n_samples = 0
        # the sums of the last epoch popped: divergence found at an epoch's end (validation, the
        # re-clustering) comes after pop_epoch_means has emptied ``totals``
        self.last_epoch_sums: dict[str, float] = {}

    def set_state(
        self,
        sub: torch.Tensor,
        class_weights: torch.Tensor,
        subcluster_weights: torch.Tensor,
        class_tau2: torch.Tensor | None = None,
    ) -> None:
        """Sub-cluster id per training position, weights, and an optional per-class τ2.

        Parameters
        ----------
        sub : Tensor of int of shape (n_train,)
            The sub-cluster of each training position.
        class_weights : Tensor of shape (n_classes,)
            ω of each class.
        subcluster_weights : Tensor of shape (n_subclusters,)
            The weight of each sub-cluster.
        class_tau2 : Tensor of shape (n_classes,), default=None
            τ2 per class; None keeps ``tau2``.
        """
        device = self.class_counts.device
        self.sub = lt.class_indices(sub, "sub-cluster ids").to(device)
        self.class_weights = class_weights.to(device, torch.float32)
        self.subcluster_weights = subcluster_weights.to(device, torch.float32)
        self.class_tau2 = torch.zeros(0, device=device) if class_tau2 is None else class_tau2.to(device)

    def forget_training_state(self) -> None:
        """Drop the sub-cluster of every training sample, the class and sub-cluster weights, the
        per-class τ2 and the running loss sums (``history_`` keeps the weights of every epoch)."""
        empty = self.class_counts.new_zeros(0)  # on the criterion's device
        self.set_state(empty.long(), empty, empty.clone())
        self.totals, self.n_samples, self.last_epoch_sums = {}, 0, {}

    def record_term(self, name: str, value: torch.Tensor, n_samples: int) -> None:
        """Add a batch's mean of a term, weighted by the batch's size (no read from the device).

        Parameters
        ----------
        name : str
            The term's name, a key of :meth:`pop_epoch_means`.
        value : Tensor
            The batch's mean of the term (a scalar).
        n_samples : int
            The batch's samples.
        """
        # summed in float64 where the device has it: a batch mean of 1e38 times its size overflowed float32
        value = value.detach().to(widest_float(value.device)) * n_samples
        self.totals[name] = self.totals[name] + value if name in self.totals else value

    def divergence_advice(self) -> str:
        """The temperatures and the terms' weights (β, term A's scale), with their values, where
        this epoch's contrastive term overflowed while its cross-entropy did not, or one of them
        is extreme (a τ near zero, or a weight of 1e30, overflows the term at any rate). Between
        epochs (after :meth:`pop_epoch_means`), the epoch that ended.

        Returns
        -------
        advice : str
            Advice that follows "lower the learning rate, or"; empty where the rate alone is at fault.
        """
        sums = self.totals or self.last_epoch_sums
        finite = {name: math.isfinite(float(total)) for name, total in sums.items()}
        if finite.get("contrastive_loss", True):
            return ""
        weights = {"beta": self.beta, "term_a_scale": self.term_a_scale}
        temperatures = {"tau": self.tau, "tau1": self.tau1, "tau2": self.tau2}
        extreme = any(t < 1e-6 for t in temperatures.values()) or any(w > 1e6 for w in weights.values())
        if not (extreme or finite.get("ce_loss", False)):
            return ""
        shown = ", ".join(f"{name}={value:g}" for name, value in {**temperatures, **weights}.items())
        return f"raise a temperature near zero or lower a huge weight ({shown})"

    def pop_epoch_means(self) -> dict[str, float]:
        """Per-epoch means of the loss terms (one read from the device), and reset.

        Returns
        -------
        means : dict of str to float
            Each term's mean over the epoch's samples; NaN for a term the phase did not compute.
        """
        names = list(self.totals)
        values = torch.stack([self.totals[n] for n in names]).tolist() if names else []
        means = dict.fromkeys(self.TERMS, float("nan"))  # NaN: a term the phase did not compute
        means.update({n: v / max(self.n_samples, 1) for n, v in zip(names, values, strict=True)})
        self.last_epoch_sums = dict(zip(names, values, strict=True))
        self.totals, self.n_samples = {}, 0
        return means

    def forward(self, y_pred: tuple, targets: dict, head: nn.Module) -> torch.Tensor:
        """The batch's loss: SupCon in the warm-up, then the sub-cluster loss plus the weighted
        cross-entropy.

        Parameters
        ----------
        y_pred : tuple of Tensor
            The module's training output; its first item the embeddings of two stacked views (2B rows).
        targets : dict of str to Tensor
            ``y`` (B classes), ``index`` (B training positions) and ``weight`` (B sample weights).
        head : torch.nn.Module
            The classifier head, applied to view 0's embeddings.

        Returns
        -------
        loss : Tensor
            A scalar.
        """
        embeddings = y_pred[0]
        y, index = lt.class_indices(targets["y"]), lt.class_indices(targets["index"], "training positions")
        warmup = not self.in_main_phase()
        if len(embeddings) != 2 * len(y):  # each anchor's partner is the row B away: two views only
            raise ValueError(
                f"LTDDLoss needs two stacked views of the batch's {len(y)} samples (2B = {2 * len(y)} "
                f"rows), got {len(embeddings)} rows; build the module with two edge-drop probabilities."
            )
        if not warmup and not self.sub.numel():
            raise ValueError(
                "LTDDLoss has no sub-clusters (set_state was never called, or a fit has forgotten "
                "them since); the Recluster callback hands them over after the warm-up."
            )
        # view 0's logits, from the head before anything else reads the embeddings (the order in
        # which their gradients add up is part of what a seed reproduces)
        logits = None if warmup else self.apply_head(head, embeddings[: len(y)])
        z = F.normalize(embeddings, dim=1)
        y_views = y.repeat(len(z) // len(y))
        self.n_samples += len(y)
        if warmup:
            loss = supcon_loss(z, y_views, self.tau)
            self.record_term("contrastive_loss", loss, len(y))
            return loss
        sub = self.sub[index]
        tau2 = self.class_tau2[y_views] if self.class_tau2.numel() else self.tau2
        contrastive = subcluster_contrastive_loss(
            z, y_views, sub.repeat(len(z) // len(y)), tau1=self.tau1, tau2=tau2, beta=self.beta,
            term_a_scale=self.term_a_scale,
        )  # fmt: skip
        weight = targets["weight"] * self.class_weights[y] * self.subcluster_weights[sub]
        ce = weighted_mean(F.cross_entropy(logits, y, reduction="none"), weight)
        self.record_term("contrastive_loss", contrastive, len(y))
        self.record_term("ce_loss", ce, len(y))
        return contrastive + ce


#: loss name → its criterion: LTDDClassifier's and the Table-2 baselines' (BaselineClassifier's ``loss``)
LOSSES: dict[str, type[_LongTailLoss]] = {
    "ltdd": LTDDLoss,
    "ce": CrossEntropyLoss,
    "cs": CostSensitiveLoss,
    "bs": BalancedSoftmaxLoss,
    "cb_focal": ClassBalancedFocalLoss,
    "ib": InfluenceBalancedLoss,
    "cdt": ClassDependentTemperatureLoss,
    "mixup": MixupLoss,
    "decoupling": DecouplingLoss,
}
