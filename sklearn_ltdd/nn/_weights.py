"""Separability weights (spec §6): classes (or sub-clusters) close to another class weigh more."""

from __future__ import annotations

import torch
from torch_geometric.utils import scatter

__all__ = [
    "DISTANCE_FLOOR",
    "WEIGHTINGS",
    "WEIGHT_FORMULAS",
    "centroids",
    "class_distances",
    "normalised_inverse",
    "separability_weights",
    "subcluster_distances",
]

_EPS = 1e-8
#: distances below this fraction of the median one weigh as if at it: a class coincident with
#: another (one molecule labelled with both, or two singletons whose graphs match) would otherwise
#: take nearly all of the weight, 1/d at d = 0 being unbounded; so no class outweighs the one at
#: the median distance more than fourfold (fitted models' weights spread 1.6-2.7-fold: docs/method.md)
DISTANCE_FLOOR = 0.25
#: what the separability weights are computed from (``separability_weights``' ``weighting``)
WEIGHTINGS = ("both", "class_distance", "subcluster_distance", "none", "subcluster")
#: how distances become weights (``separability_weights``' ``formula``)
WEIGHT_FORMULAS = ("paper", "code")


def centroids(z: torch.Tensor, groups: torch.Tensor, n_groups: int) -> torch.Tensor:
    """Plain mean of the rows of z in each group (no re-normalisation); zero for an empty group."""
    return scatter(z, groups, dim=0, dim_size=n_groups, reduce="mean")


def class_distances(class_centres: torch.Tensor, present: torch.Tensor | None = None) -> torch.Tensor:
    """d_min(c): distance from each class centroid to the nearest other class centroid; with
    ``present`` (a mask), among the present classes only, and infinite for an absent class (whose
    zero centroid would otherwise be taken for a class at the origin)."""
    d = torch.cdist(class_centres, class_centres).fill_diagonal_(torch.inf)
    if present is not None:
        absent = ~present
        d = d.masked_fill(absent.unsqueeze(0) | absent.unsqueeze(1), torch.inf)
    return d.min(dim=1).values


def subcluster_distances(sub_centres: torch.Tensor, sub_class: torch.Tensor) -> torch.Tensor:
    """Per sub-cluster: distance to the nearest sub-cluster centroid of another class."""
    d = torch.cdist(sub_centres, sub_centres)
    return d.masked_fill(sub_class.unsqueeze(0) == sub_class.unsqueeze(1), torch.inf).min(dim=1).values


def normalised_inverse(d: torch.Tensor) -> torch.Tensor:
    """(1/d) / Σ(1/d), each d floored at ``DISTANCE_FLOOR`` times the median of the finite ones (an
    infinite d, an absent class's, weighs 0). Computed without a host sync: once per re-clustering."""
    median = torch.nanmedian(d.masked_fill(~torch.isfinite(d), torch.nan))  # NaN where none is finite
    floor = torch.nan_to_num(DISTANCE_FLOOR * median, nan=_EPS).clamp_min(_EPS)
    inverse = 1.0 / torch.maximum(d, floor)
    return inverse / inverse.sum()


def separability_weights(
    z: torch.Tensor,
    y: torch.Tensor,
    sub: torch.Tensor,
    sub_class: torch.Tensor,
    n_classes: int,
    *,
    weighting: str = "both",
    formula: str = "paper",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Class weights ω (n_classes,) and per-sub-cluster weights (n_subclusters,).

    weighting: ``"none"`` (all ones), ``"class_distance"`` (from d_min), ``"subcluster_distance"``
    (from d_sub, the closest pair of sub-clusters of different classes), ``"both"`` (their sum,
    the paper's default), or ``"subcluster"``: uniform class weights and, per sub-cluster, the
    normalised inverse distance to the nearest sub-cluster of another class (each sample is
    weighted by its own sub-cluster; this acts on binary tasks, where class weights are uniform).
    formula: ``"paper"`` — ω̂ = (1/d)/Σ(1/d), ω = ω̂ + ω̂', with each d floored at a quarter of
    the median distance (``DISTANCE_FLOOR``), so that classes whose centroids coincide (a molecule
    labelled with both) do not take all the weight; ``"code"`` — ½(softmax(−d) + softmax(−d_sub)),
    bounded as it is.
    Sub-cluster weights are ones unless weighting is ``"subcluster"``; they are scaled to mean 1.
    A class without samples in ``y`` weighs 0 under the distance weightings (``"none"`` and
    ``"subcluster"`` give every class 1); with ``n_classes`` < 2 every weight is 1, and with
    fewer than two classes present, distances to another class do not exist and those weights
    are NaN.

    Parameters
    ----------
    z : Tensor of shape (n_samples, d)
        The samples' embeddings.
    y : Tensor of int of shape (n_samples,)
        The class of each sample.
    sub : Tensor of int of shape (n_samples,)
        The sub-cluster of each sample.
    sub_class : Tensor of int of shape (n_subclusters,)
        The class of each sub-cluster.
    n_classes : int
        The number of classes (a class may have no sample).
    weighting : {"both", "class_distance", "subcluster_distance", "none", "subcluster"}, default="both"
        What the weights are computed from, as above.
    formula : {"paper", "code"}, default="paper"
        How distances become weights, as above.

    Returns
    -------
    class_weights : Tensor of shape (n_classes,)
        ω of each class.
    subcluster_weights : Tensor of shape (n_subclusters,)
        The weight of each sub-cluster, mean 1.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[0.0, 0.0], [0.0, 1.0], [3.0, 0.0], [3.0, 1.0], [0.0, 4.0]])
    >>> y = torch.tensor([0, 0, 1, 1, 2])  # classes 0 and 1 are the closest pair
    >>> separability_weights(z, y, sub=y, sub_class=torch.tensor([0, 1, 2]), n_classes=3)
    (tensor([0.7000, 0.7000, 0.6000]), tensor([1., 1., 1.]))
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}.")
    if formula not in WEIGHT_FORMULAS:
        raise ValueError(f"formula must be 'paper' or 'code', got {formula!r}.")
    n_sub = len(sub_class)
    sub_weights = torch.ones(n_sub, dtype=z.dtype, device=z.device)
    if weighting == "none" or n_classes < 2:
        return torch.ones(n_classes, dtype=z.dtype, device=z.device), sub_weights
    sub_d = subcluster_distances(centroids(z, sub, n_sub), sub_class)
    if weighting == "subcluster":
        w = normalised_inverse(sub_d)
        return torch.ones(n_classes, dtype=z.dtype, device=z.device), w / w.mean()
    # a class without samples weighs 0 (a scatter, not bincount, which waits for the device)
    present = torch.zeros(n_classes, dtype=torch.bool, device=y.device).scatter_(0, y, True)
    d_class = class_distances(centroids(z, y, n_classes), present)
    d_sub = torch.full((n_classes,), torch.inf, dtype=z.dtype, device=z.device).scatter_reduce(
        0, sub_class, sub_d, reduce="amin"
    )
    per_distance = normalised_inverse if formula == "paper" else (lambda d: torch.softmax(-d, dim=0))
    parts = {"class_distance": [d_class], "subcluster_distance": [d_sub], "both": [d_class, d_sub]}[weighting]
    weights = sum(per_distance(d) for d in parts)
    if formula == "code":
        weights = weights / len(parts)
    return weights, sub_weights
