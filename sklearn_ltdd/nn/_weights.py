"""Separability weights (paper Eq. 3–11): classes (or sub-clusters) close to another class weigh more."""

from __future__ import annotations

import torch
from torch_geometric.utils import scatter

from .losses._long_tail import class_indices

__all__ = [
    "DISTANCE_BLOCK",
    "DISTANCE_FLOOR",
    "WEIGHTINGS",
    "WEIGHT_FORMULAS",
    "centroids",
    "coincidence_tolerance",
    "group_distances",
    "nearest_other_groups",
    "normalised_inverse",
    "separability_weights",
    "subcluster_separability",
    "typical_distance",
]

_EPS = 1e-8
#: distances below this fraction of the typical one (the median distance between two classes
#: apart) weigh as if at it: a class coincident with another (one molecule labelled with both, or two
#: singletons whose graphs match) would otherwise take nearly all of the weight, 1/d at d = 0
#: being unbounded. Fitted models' nearest distances are 0.23 of it or more; in training they dip
#: below now and then, and are trimmed (docs/method.md)
DISTANCE_FLOOR = 0.1
#: sub-clusters (or classes) whose distance matrix is computed whole; beyond, it is computed this
#: many rows at a time, and their typical distance is the median over the pairs among this many of
#: them, so that the memory and the median's sort do not grow with their square (100,000 molecules
#: in classes of ten make 10,000 sub-clusters, whose whole matrix took 1.5 GB and 3.6 s; USPTO-50k's
#: 11,856 templates as classes, 2.2 GB and 32 s: docs/benchmarks.md, "Many classes")
DISTANCE_BLOCK = 2048
#: how the distances that set the typical one are computed: exactly, coincident centroids a few
#: ulps apart at most. torch.cdist's matrix product (its choice beyond 25 rows, and TF32's under
#: torch.set_float32_matmul_precision("high") on a GPU) left them some sqrt(eps) apart (3e-4 for
#: unit rows in float32), and 26 classes on one molecule beside 4 made that the typical distance
EXACT = "donot_use_mm_for_euclid_dist"
MATRIX_PRODUCT = "use_mm_for_euclid_dist"
#: centroids closer than this many ulps of the largest norm coincide: a mean of k copies of one
#: embedding rounds (1e-7 apart in float32 between classes of 2 and 3 copies), and a GPU's
#: atomic sums differ in the last bits from pass to pass
COINCIDENT_ULPS = 256
#: what the separability weights are computed from (``separability_weights``' ``weighting``)
WEIGHTINGS = ("both", "class_distance", "subcluster_distance", "none", "subcluster")
#: how distances become weights (``separability_weights``' ``formula``)
WEIGHT_FORMULAS = ("paper", "code")


def centroids(z: torch.Tensor, groups: torch.Tensor, n_groups: int) -> torch.Tensor:
    """Plain mean of the rows of z in each group (no re-normalisation); zero for an empty group."""
    return scatter(z, groups, dim=0, dim_size=n_groups, reduce="mean")


def group_distances(
    centres: torch.Tensor,
    group: torch.Tensor,
    rows: slice = slice(None),
    exact: bool = True,
    present: torch.Tensor | None = None,
) -> torch.Tensor:
    """The distances from the centroids ``rows`` (all by default) to every centroid, infinite
    between centroids of one group (the sub-clusters of one class; a class to itself, where each
    class is its own group) and, with ``present`` (a mask), to and from an absent one (whose zero
    centroid would otherwise be taken for one at the origin): row s's minimum is the distance to
    the nearest centroid of another group. ``exact`` False: by a matrix product on a CPU, faster,
    which leaves coincident centroids some sqrt(eps) apart (:data:`EXACT`)."""
    d = _cdist(centres[rows], centres, exact=exact)
    left_out = group[rows].unsqueeze(1) == group.unsqueeze(0)
    if present is not None:
        left_out |= ~present[rows].unsqueeze(1) | ~present.unsqueeze(0)
    return d.masked_fill(left_out, torch.inf)


def nearest_other_groups(
    centres: torch.Tensor, group: torch.Tensor, present: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each centroid's distance to the nearest centroid of another group (``group_distances``),
    and the distance matrix that their typical distance is read from: the whole one, or for more
    than ``DISTANCE_BLOCK`` centroids the one among that many spread evenly over their order, the
    minima then taken that many rows at a time. Sub-clusters are ordered by class, and the spread
    takes the first and the last: of two classes or more, the sample holds two."""
    n = len(centres)
    if n <= DISTANCE_BLOCK:
        whole = group_distances(centres, group, present=present)
        return whole.min(dim=1).values, whole
    # (by a matrix product on a CPU, 12 times faster there: for unit embeddings a nearest distance
    # some sqrt(eps) from 0 is floored all the same)
    nearest = torch.cat([
        group_distances(centres, group, slice(start, start + DISTANCE_BLOCK), exact=False, present=present)
        .min(dim=1).values
        for start in range(0, n, DISTANCE_BLOCK)
    ])  # fmt: skip
    spread = torch.arange(DISTANCE_BLOCK, device=group.device) * (n - 1) // (DISTANCE_BLOCK - 1)
    sampled = None if present is None else present[spread]
    return nearest, group_distances(centres[spread], group[spread], present=sampled)


def _cdist(a: torch.Tensor, b: torch.Tensor, exact: bool) -> torch.Tensor:
    """torch.cdist, exactly or (on a CPU only, where it is 12 times faster) by a matrix product.
    Apple's GPU computes exact distances through an (n, m, d) tensor of differences (2 GB for
    2,048 sub-clusters): there they are computed on the CPU."""
    if not exact and a.device.type == "cpu":
        return torch.cdist(a, b, compute_mode=MATRIX_PRODUCT)
    if a.device.type == "mps":
        return torch.cdist(a.cpu(), b.cpu(), compute_mode=EXACT).to(a.device)
    return torch.cdist(a, b, compute_mode=EXACT)


def coincidence_tolerance(z: torch.Tensor) -> torch.Tensor:
    """The distance under which centroids of rows of ``z`` coincide (:data:`COINCIDENT_ULPS`
    ulps of the largest row norm, which bounds a centroid's); a 0-d tensor on z's device."""
    return COINCIDENT_ULPS * torch.finfo(z.dtype).eps * z.detach().norm(dim=1).max()


def typical_distance(distances: torch.Tensor, tolerance: float | torch.Tensor = 0.0) -> torch.Tensor:
    """The median of the finite entries of a distance matrix above ``tolerance`` (the median
    distance between two classes, or sub-clusters of two classes, apart), NaN where there are
    none: a scale that coincident pairs do not move (with them, where half the pairs coincided,
    three classes on one molecule of four, it was 0, and the fourth class weighed 1e-8 of them).
    Of an even number of pairs, the lower middle one (torch's median). A reduction along a
    dimension, which waits for no device."""
    apart = torch.isfinite(distances) & (distances > tolerance)
    return distances.masked_fill(~apart, torch.nan).flatten().nanmedian(dim=0).values


def normalised_inverse(
    d: torch.Tensor, typical: torch.Tensor, tolerance: float | torch.Tensor = 0.0
) -> torch.Tensor:
    """(1/d) / Σ(1/d), each d floored at ``DISTANCE_FLOOR`` times the ``typical`` distance (a 0-d
    tensor), and at the ``tolerance`` under which distances coincide (so that classes that all
    coincide weigh alike); an infinite d, an absent class's, weighs 0."""
    floor = torch.nan_to_num(DISTANCE_FLOOR * typical, nan=0.0).clamp_min(tolerance).clamp_min(_EPS)
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
    formula: one term per distance the weighting reads (two for ``"both"``, d and d_sub), summed
    (``"paper"``: ω̂ = (1/d)/Σ(1/d), ω = ω̂ + ω̂') or averaged (``"code"``: ½(softmax(−d) +
    softmax(−d_sub)); one distance alone, softmax(−d)).
    Where distances are inverted (the paper's formula, and ``"subcluster"``), each is floored at a
    tenth of the typical distance (``DISTANCE_FLOOR`` times the median distance between two
    classes apart, or between sub-clusters of two classes; beyond ``DISTANCE_BLOCK`` classes or
    sub-clusters, between that many of them spread evenly over their order), so that classes whose centroids
    coincide (a molecule labelled with both) do not take all the weight; the softmax is bounded
    as it is.
    Sub-cluster weights are ones unless weighting is ``"subcluster"``, which scales them to mean
    1; a sub-cluster without samples weighs 0 under every weighting, and the others' mean is 1.
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
        The sub-cluster of each sample, numbered over all classes (0 to n_subclusters − 1).
    sub_class : Tensor of int of shape (n_subclusters,)
        The class of each sub-cluster: ``sub_class[sub]`` must be ``y`` (a ValueError names a
        sample where it is not). A sub-cluster without samples weighs 0 and moves no other weight.
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
        The weight of each sub-cluster, mean 1 over those with samples (0 for an empty one).

    Examples
    --------
    >>> from sklearn_ltdd.nn import separability_weights
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
    for name, value in (("z", z), ("y", y), ("sub", sub), ("sub_class", sub_class)):
        if not isinstance(value, torch.Tensor):  # (a NumPy array or a list failed on an attribute)
            raise TypeError(
                f"{name} must be a torch tensor, got a {type(value).__name__}; torch.as_tensor({name})."
            )
    if z.ndim != 2 or y.shape != (len(z),) or sub.shape != (len(z),):  # (torch's error names neither)
        raise ValueError(
            "z must be of shape (n_samples, d), y and sub of shape (n_samples,); got "
            f"{tuple(z.shape)}, {tuple(y.shape)} and {tuple(sub.shape)}."
        )
    if not bool(torch.isfinite(z).all()):  # (one row made every class's weight NaN, silently)
        rows = torch.nonzero(~torch.isfinite(z).all(dim=1)).flatten()
        raise ValueError(f"z holds NaN or infinity in {len(rows)} row(s), the first row {int(rows[0])}.")
    y, sub, sub_class = class_indices(y), class_indices(sub, "sub"), class_indices(sub_class, "sub_class")
    _check_subclusters(y, sub, sub_class, n_classes)
    used = torch.bincount(sub, minlength=len(sub_class)) > 0
    if bool(used.all()):
        return subcluster_separability(z, y, sub, sub_class, n_classes, weighting, formula)
    # the sub-clusters with samples alone, as if the empty ones were not listed (an empty one was
    # a centroid at the origin that moved the others' weights); those weigh 0
    compact = torch.cumsum(used, 0) - 1
    class_weights, kept = subcluster_separability(
        z, y, compact[sub], sub_class[used], n_classes, weighting, formula
    )
    sub_weights = torch.zeros(len(sub_class), dtype=kept.dtype, device=kept.device)
    return class_weights, sub_weights.masked_scatter_(used, kept)


def _check_subclusters(y: torch.Tensor, sub: torch.Tensor, sub_class: torch.Tensor, n_classes: int) -> None:
    """Refuse sub-clusters that do not partition the classes (reads the device: for callers'
    input; a fit's own sub-clusters are made so): ids numbered within each class, or a sub-cluster
    of two classes, gave weights that meant nothing, or NaN; an id past ``sub_class``, torch's
    "index out of bounds"."""
    for name, ids, size, bound in (
        ("y", y, n_classes, "n_classes"),
        ("sub", sub, len(sub_class), "len(sub_class)"),
        ("sub_class", sub_class, n_classes, "n_classes"),
    ):
        if len(ids) and not (0 <= int(ids.min()) and int(ids.max()) < size):
            raise ValueError(
                f"{name} must hold ids from 0 to {size - 1} ({bound} - 1), got {int(ids.min())} to "
                f"{int(ids.max())}."
            )
    wrong = torch.nonzero(sub_class[sub] != y).flatten()
    if len(wrong):
        i = int(wrong[0])
        raise ValueError(
            f"sub and y disagree for {len(wrong)} samples: sample {i} is in sub-cluster {int(sub[i])}, "
            f"of class {int(sub_class[sub[i]])} by sub_class, but y gives {int(y[i])}. Number the "
            "sub-clusters over all classes (0 to K - 1, not within each class), and give sub_class "
            "each one's class."
        )


def subcluster_separability(
    z: torch.Tensor,
    y: torch.Tensor,
    sub: torch.Tensor,
    sub_class: torch.Tensor,
    n_classes: int,
    weighting: str = "both",
    formula: str = "paper",
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`separability_weights` of sub-clusters that partition the classes (int64 ids, on
    the device of ``z``), unchecked: a fit's re-clustering, which waits for the device no more."""
    n_sub = len(sub_class)
    sub_weights = torch.ones(n_sub, dtype=z.dtype, device=z.device)
    if weighting == "none" or n_classes < 2:
        return torch.ones(n_classes, dtype=z.dtype, device=z.device), sub_weights
    tolerance = coincidence_tolerance(z)
    sub_d, between_subclusters = nearest_other_groups(centroids(z, sub, n_sub), sub_class)
    if weighting == "subcluster":
        w = normalised_inverse(sub_d, typical_distance(between_subclusters, tolerance), tolerance)
        return torch.ones(n_classes, dtype=z.dtype, device=z.device), w / w.mean()
    # a class without samples weighs 0 (a scatter, not bincount, which waits for the device)
    present = torch.zeros(n_classes, dtype=torch.bool, device=y.device).scatter_(0, y, True)
    classes = torch.arange(n_classes, device=y.device)
    d_class, between_classes = nearest_other_groups(centroids(z, y, n_classes), classes, present)
    d_sub = torch.full((n_classes,), torch.inf, dtype=z.dtype, device=z.device).scatter_reduce(
        0, sub_class, sub_d, reduce="amin"
    )
    parts = {
        "class_distance": [(d_class, between_classes)],
        "subcluster_distance": [(d_sub, between_subclusters)],
        "both": [(d_class, between_classes), (d_sub, between_subclusters)],
    }[weighting]
    if formula == "paper":
        weights = sum(
            normalised_inverse(d, typical_distance(matrix, tolerance), tolerance) for d, matrix in parts
        )
    else:
        weights = sum(torch.softmax(-d, dim=0) for d, _ in parts) / len(parts)
    return weights, sub_weights
