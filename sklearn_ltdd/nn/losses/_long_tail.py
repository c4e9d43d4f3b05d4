"""The long-tail losses of the paper's Table 2 (and the wide expert's), as per-sample formulas.

Each takes the logits (or the graph embeddings and the classifier head) of one batch and the
training class counts ``n_c``, and returns one loss per sample; the caller averages them with
the sample weights. Formulas follow the cited papers; where the paper's reference code differs,
docs/method.md ("Deviations, and why") says which we follow.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = [
    "balanced_cross_entropy",
    "balanced_softmax_loss",
    "cdt_logits",
    "check_weight_shape",
    "class_balanced_focal_loss",
    "class_indices",
    "cost_sensitive_loss",
    "influence_balanced_loss",
    "mixup_loss",
]


def balanced_cross_entropy(logits: torch.Tensor, y: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Cross-entropy scaled by w_y = n / (C · n_y), scikit-learn's "balanced" class weights (mean 1).

    A count below 1 (a class without training samples) counts as 1, as in the criteria of ``LOSSES``.

    Parameters
    ----------
    logits : torch.Tensor of shape (n, C)
        The network's outputs for one batch.
    y : torch.Tensor of shape (n,)
        Class indices in ``[0, C)``.
    counts : torch.Tensor of shape (C,)
        The training samples of each class, ``n_c``; a ValueError names another shape.

    Returns
    -------
    torch.Tensor of shape (n,)
        One loss per sample, for the caller to average (with the sample weights).

    Examples
    --------
    >>> from sklearn_ltdd.nn.losses import balanced_cross_entropy
    >>> import torch
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> counts = torch.tensor([90.0, 10.0])  # weights 100 / (2 · 90) and 100 / (2 · 10)
    >>> balanced_cross_entropy(logits, torch.tensor([0, 0, 1]), counts).round(decimals=4)
    tensor([0.0705, 0.7296, 3.4657])
    """
    if counts.shape != logits.shape[-1:]:
        raise ValueError(
            f"counts must hold one count per class, {logits.shape[-1]}, got shape {tuple(counts.shape)}."
        )
    y = class_indices(y)
    counts = counts.clamp_min(1)  # a select, not a check: reading the counts would wait for the device
    weights = counts.sum() / (len(counts) * counts)
    return weights[y] * F.cross_entropy(logits, y, reduction="none")


def cost_sensitive_loss(logits: torch.Tensor, y: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Cross-entropy scaled by w_y = n_min / n_y (rarest class weight 1)."""
    weights = counts.min() / counts
    return weights[y] * F.cross_entropy(logits, y, reduction="none")


def balanced_softmax_loss(logits: torch.Tensor, y: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of softmax(z + log n_c): the label-prior shift of Ren et al. (2020)."""
    return F.cross_entropy(logits + counts.log(), y, reduction="none")


def class_balanced_focal_loss(
    logits: torch.Tensor, y: torch.Tensor, counts: torch.Tensor, beta: float = 0.999, gamma: float = 0.5
) -> torch.Tensor:
    """Cui et al. (2019): focal loss (softmax form) weighted by the inverse effective number of samples.

    w_c = (1 − β) / (1 − β^{n_c}), normalised to sum to the number of classes;
    loss = −w_y (1 − p_y)^γ log p_y.
    """
    weights = (1 - beta) / (1 - beta**counts)
    weights = weights / weights.sum() * len(counts)
    log_p = F.log_softmax(logits, dim=1).gather(1, y[:, None])[:, 0]
    # 1 − p_y from above 0: the derivative of x^γ (γ < 1) is infinite at x = 0, which a confident
    # sample reaches in float32 (p_y rounds to 1), and ∞ · 0 would turn the gradient to NaN
    miss = (-torch.expm1(log_p)).clamp_min(torch.finfo(log_p.dtype).tiny)
    return -weights[y] * miss**gamma * log_p


def influence_balanced_loss(
    logits: torch.Tensor, features: torch.Tensor, y: torch.Tensor, counts: torch.Tensor, alpha: float = 1000.0
) -> torch.Tensor:
    """Park et al. (2021): class-weighted cross-entropy divided by each sample's influence.

    influence = ‖softmax(z) − onehot(y)‖₁ · ‖h‖₁ (h: the features the last layer sees);
    class weights ∝ 1/n_c summing to the number of classes; loss = w_y · CE · α / (influence + ε).
    """
    weights = 1 / counts
    weights = weights / weights.sum() * len(counts)
    proba = F.softmax(logits, dim=1)
    # a scatter, not F.one_hot, which reads y's range back on the CPU
    one_hot = torch.zeros_like(proba).scatter_(1, y.unsqueeze(1), 1.0)
    grads = (proba - one_hot).abs().sum(dim=1)
    influence = grads * features.abs().sum(dim=1)
    return weights[y] * F.cross_entropy(logits, y, reduction="none") * alpha / (influence + 1e-3)


def cdt_logits(logits: torch.Tensor, counts: torch.Tensor, gamma: float = 0.2) -> torch.Tensor:
    """Ye et al. (2020): divide class c's logit by (n_max / n_c)^γ (training only)."""
    return logits / (counts.max() / counts) ** gamma


def class_indices(y: torch.Tensor, what: str = "class labels") -> torch.Tensor:
    """``y`` as int64 indices (itself when it is int64): a uint8 or bool tensor indexes as a mask,
    and a mask the size of the class weights broadcasts into wrong weights, without an error. A
    floating-point ``y`` is refused rather than truncated; ``what`` names it. (Its dtype is known
    on the host.)"""
    if not isinstance(y, torch.Tensor):  # (an array or a list failed on a missing attribute)
        raise TypeError(
            f"{what} must be a torch tensor, got a {type(y).__name__}; convert it with torch.as_tensor."
        )
    if y.is_floating_point() or y.is_complex():
        raise TypeError(f"{what} must be integer indices, got a {y.dtype} tensor.")
    return y.long()


def check_weight_shape(weight: torch.Tensor, per_sample: torch.Tensor) -> None:
    """Refuse weights that are not one per sample, of ``per_sample``'s shape: a broadcast weight
    would give a sum, or a matrix's mean."""
    if weight.shape != per_sample.shape:
        raise ValueError(
            f"weight must have the shape of per_sample, {tuple(per_sample.shape)}, got {tuple(weight.shape)}."
        )


def mixup_loss(
    head: Callable[[torch.Tensor], torch.Tensor],
    h: torch.Tensor,
    y: torch.Tensor,
    lam: float | torch.Tensor,
    perm: torch.Tensor,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mixup on graph embeddings: the head sees λh + (1−λ)h[perm]; the loss mixes both labels,
    per mixed sample. With ``weight`` (one per sample) each label's term carries the weight of
    the sample it is the label of: λ·w_i for its own, (1−λ)·w_perm(i) for its partner's (their
    sum over the batch, divided by Σ w, is the weighted mean; Σ w_perm(i) = Σ w_i)."""
    logits = head(lam * h + (1 - lam) * h[perm])
    own = F.cross_entropy(logits, y, reduction="none")
    partner = F.cross_entropy(logits, y[perm], reduction="none")
    if weight is None:
        return lam * own + (1 - lam) * partner
    check_weight_shape(weight, own)
    return lam * weight * own + (1 - lam) * weight[perm] * partner
