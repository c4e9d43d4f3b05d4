"""BalancedSubcluster: LTDD's size-balanced, class-conditional sub-clustering as a sklearn clusterer."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Self, overload

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._class_counts import check_class_counts
from .._compat import RANDOM_STATE, Interval, StrOptions, _fit_context
from .._labels import check_class_labels, class_labels, row_names
from .._torch_state import thread_defaults
from ._spherical import balanced_cluster, kmeans_cluster

__all__ = ["BalancedSubcluster", "subclusters_per_class"]


def subclusters_per_class(class_counts: ArrayLike, min_cluster_size: int) -> np.ndarray:
    """The paper's rule: k_c = max(1, floor(n_c / U)) with U = max(smallest class count, min_cluster_size).

    Parameters
    ----------
    class_counts : array-like of int of shape (n_classes,)
        The number of samples n_c of each class, each at least 1.
    min_cluster_size : int
        The floor δ of the sub-cluster size unit U.

    Returns
    -------
    k : ndarray of int of shape (n_classes,)
        The number of sub-clusters k_c of each class.

    Examples
    --------
    >>> from sklearn_ltdd.cluster import subclusters_per_class
    >>> subclusters_per_class([1000, 95, 30], min_cluster_size=10).tolist()
    [33, 3, 1]
    """
    if not Interval(Integral, 1, None, closed="left").is_satisfied_by(min_cluster_size):  # bools refused
        raise ValueError(f"min_cluster_size must be a positive integer, got {min_cluster_size!r}.")
    counts = check_class_counts(class_counts)  # a class of 2.7 or 0 molecules has no sub-clusters
    # a U above every count (one sub-cluster a class) need not fit in int64, the counts' type
    unit = min(max(int(counts.min()), int(min_cluster_size)), np.iinfo(np.int64).max)
    return np.maximum(1, counts // unit)


def _as_unit_tensor(estimator: BaseEstimator, X: object, reset: bool) -> tuple[torch.Tensor, bool]:
    """Rows of X as a float tensor on X's own device, scaled to unit length.

    Arrays go through sklearn's validation (which also records or checks ``n_features_in_``);
    tensors are checked here and stay on their device.
    """
    is_tensor = isinstance(X, torch.Tensor)
    if is_tensor:
        if X.layout != torch.strided or X.is_meta:  # (torch's own errors name its kernels)
            what = "a meta tensor, which holds no values" if X.is_meta else f"a {X.layout} tensor"
            raise TypeError(f"X must be a dense tensor of numbers, not {what}; use X.to_dense().")
        if X.ndim != 2 or 0 in X.shape:
            raise ValueError(
                f"X must be a 2-D tensor of at least one sample and one feature, got shape {tuple(X.shape)}."
            )
        if X.is_complex():  # its real part alone would be clustered
            raise ValueError(f"X must hold real numbers, not {X.dtype}.")
        if not torch.isfinite(X).all():
            row = int(torch.nonzero(~torch.isfinite(X))[0, 0])
            raise ValueError(f"X contains NaN or infinity (row {row}, the first such).")
        # half precision as float32, as an array's is made float64: the same data, as an array or
        # as a tensor, was assigned otherwise, and distances came out below 0
        wide = X.is_floating_point() and torch.finfo(X.dtype).bits >= 32
        tensor = X.detach() if wide else X.detach().float()
        if reset:
            estimator.n_features_in_ = tensor.shape[1]
            estimator.__dict__.pop("feature_names_in_", None)  # (a refit on a table had them)
        elif tensor.shape[1] != estimator.n_features_in_:
            raise ValueError(
                f"X has {tensor.shape[1]} features, but {type(estimator).__name__} is expecting "
                f"{estimator.n_features_in_} features as input."
            )
    else:
        array = validate_data(
            estimator, X, reset=reset, dtype=[np.float64, np.float32], ensure_all_finite=False
        )
        if not np.isfinite(array).all():  # (sklearn's message names no row, and another estimator)
            kind, (row,) = row_names(X, np.nonzero(~np.isfinite(array))[0][:1])  # (a table's by its label)
            raise ValueError(f"X contains NaN or infinity ({kind} {row!r}, the first such).")
        tensor = torch.tensor(array)  # a copy: the input may be read-only
    peak = tensor.abs().amax(dim=1, keepdim=True)
    norms = tensor.norm(dim=1, keepdim=True)
    # a sum of squares that overflows (|x| from about 1e154 in float64, 1e19 in float32) would give
    # a row no direction, one that underflows (towards subnormals) a wrong one: such rows are
    # first scaled by their largest entry (the others are left bit for bit as they are)
    extreme = ~torch.isfinite(norms) | ((norms < torch.finfo(norms.dtype).tiny ** 0.25) & (peak > 0))
    tensor = torch.where(extreme, tensor / peak, tensor)
    norms = torch.where(extreme, tensor.norm(dim=1, keepdim=True), norms)
    zero = torch.nonzero(peak.flatten() == 0).flatten()
    if zero.numel():
        rows = zero[:10].tolist()
        raise ValueError(
            f"{zero.numel()} row(s) of X have zero norm and no direction on the unit sphere "
            f"(rows {rows}{' ...' if zero.numel() > 10 else ''}); remove them or use non-zero features."
        )
    return tensor / norms, is_tensor


def _projection(unit: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """The rows' projections on a random direction, which order them whatever order they came in
    (rows of half precision come as float32: in their own, distinct rows tie, 273 values for 300
    bfloat16 rows, and a stable sort would keep such rows in their input order)."""
    return unit @ direction


# auto_wrap_output_keys=None: no set_output, so a tensor (on a GPU too) comes back as a tensor
# whatever sklearn's transform_output says
class BalancedSubcluster(
    ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """Size-balanced clustering on the unit sphere, optionally within each class (LTDD's step).

    ``fit(X)`` clusters the rows of X by cosine similarity into ``n_clusters`` groups.
    ``fit(X, y)`` clusters each class separately, the way LTDD splits head classes into
    sub-clusters of about the tail's size: class c gets ``k_c = max(1, floor(n_c / U))``
    sub-clusters with ``U = max(smallest class count, min_cluster_size)``.

    With ``method="balanced"`` (the paper's Algorithm 1) the globally most similar
    (sample, open centre) pair is assigned first and a centre closes when full, so no
    cluster can swallow the class; centres then move to their members' mean direction and
    the two steps repeat until the assignment stops changing. The paper's capacity of U can
    leave samples unassigned when k_c·U < n_c; here sizes are floor(n_c/k_c) or
    ceil(n_c/k_c), so every sample is assigned and no cluster is empty. With
    ``method="kmeans"`` it runs spherical k-means, as LTDD's reference code does (seeded by
    k-means++, where the reference seeds at random); a centre that ends with no member is
    dropped, so a class can get fewer sub-clusters than k_c.

    Rows are put in a canonical order (by their projection on a fixed random direction)
    before seeding, so the result does not depend on row order (but for which of two identical
    rows gets which label: copies tie in that order, and with ``method="balanced"`` the size
    limit can split them between sub-clusters). With ``y``, the classes are
    clustered one after another in the sorted order of their labels, drawing from one random
    stream: renaming or adding a class can change the other classes' sub-clusters too.

    X may be an array (computed in its float precision, float64 for others) or a dense torch
    tensor, computed on its device in its float precision (float32 for half precision and
    integers) and answered with tensors there.

    Parameters
    ----------
    n_clusters : int or None, default=None
        Without y: the number of clusters (required). With y: None applies the rule above;
        an int caps every class at that many sub-clusters. Never more than the samples.
    min_cluster_size : int, default=10
        The floor δ of the sub-cluster size unit U.
    method : {"balanced", "kmeans"}, default="balanced"
        The paper's size-balanced assignment, or spherical k-means (the reference code's), as above.
    max_iter : int, default=35
        Most assignment/update rounds per clustering.
    tol : float, default=1e-3
        k-means stops when no centre moves more than this (Euclidean, on the sphere).
    random_state : int, RandomState instance or None, default=None
        Seeds the direction that puts rows in their canonical order, and the k-means++
        initialisation.

    Attributes
    ----------
    labels_ : ndarray of int, shape (n_samples,), or tensor on X's device
        Global cluster id of each sample (same array type as X).
    cluster_centers_ : ndarray of shape (n_clusters_total, n_features), or tensor
        Unit mean direction of each cluster (with ``method="kmeans"``, of the assignment before
        the last where k-means stops before it converges, at ``max_iter``, as scikit-learn's
        ``KMeans``).
    subcluster_class_ : ndarray of shape (n_clusters_total,)
        The class of each sub-cluster (all None without y).
    classes_ : ndarray
        The classes of y, sorted (one None class without y).
    n_subclusters_per_class_ : ndarray of int, shape (n_classes,)
        How many (non-empty) sub-clusters each class was split into.
    n_iter_ : int
        Most iterations run for any class.
    n_iter_per_class_ : ndarray of int, shape (n_classes,)
        Iterations run per class.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ltdd import BalancedSubcluster
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 8))
    >>> y = np.array([0] * 80 + [1] * 20)
    >>> sub = BalancedSubcluster(random_state=0).fit(X, y)
    >>> sub.n_subclusters_per_class_.tolist(), np.bincount(sub.labels_).tolist()
    ([4, 1], [20, 20, 20, 20, 20])
    """

    if TYPE_CHECKING:  # the fitted attributes' types (arrays, or tensors after a fit on a tensor)
        labels_: np.ndarray | torch.Tensor
        cluster_centers_: np.ndarray | torch.Tensor
        subcluster_class_: np.ndarray
        classes_: np.ndarray
        n_subclusters_per_class_: np.ndarray
        n_iter_per_class_: np.ndarray
        n_iter_: int

    _parameter_constraints: dict = {
        "n_clusters": [None, Interval(Integral, 1, None, closed="left")],
        "min_cluster_size": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions({"balanced", "kmeans"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": RANDOM_STATE,
    }

    def __init__(
        self,
        n_clusters: int | None = None,
        *,
        min_cluster_size: int = 10,
        method: str = "balanced",
        max_iter: int = 35,
        tol: float = 1e-3,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.n_clusters = n_clusters
        self.min_cluster_size = min_cluster_size
        self.method = method
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike | torch.Tensor, y: ArrayLike | None = None) -> Self:
        """Cluster X, within each class of y when y is given.

        Parameters
        ----------
        X : array-like or tensor of shape (n_samples, n_features)
            The rows to cluster, by direction (each is scaled to unit length; a row of zeros has none
            and is refused). A tensor stays on its device.
        y : array-like of shape (n_samples,), default=None
            The class of each row; each class is clustered on its own into ``k_c`` sub-clusters.
            Without it, all rows are clustered into ``n_clusters``.

        Returns
        -------
        self : BalancedSubcluster
            The fitted clusterer.
        """
        with thread_defaults():  # a caller's autocast (bfloat16: other clusters, same seed) or device
            return self._fit(X, y)

    def _fit(self, X: ArrayLike | torch.Tensor, y: ArrayLike | None) -> Self:
        unit, is_tensor = _as_unit_tensor(self, X, reset=True)
        n = unit.shape[0]
        if y is None:
            if self.n_clusters is None:
                raise ValueError("n_clusters is required when fitting without y.")
            classes, codes = np.array([None], dtype=object), np.zeros(n, dtype=np.int64)
            # (int64 whatever n_clusters' type: a uint64 or a Python int past 2**63 met int64 counts)
            counts, per_class = np.array([n]), np.array([min(int(self.n_clusters), n)], dtype=np.int64)
        else:
            y = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else y
            y = class_labels(y, "y", "give every sample a class, or fit without y.")
            if y.shape[0] != n:
                raise ValueError(f"X has {n} rows but y has {y.shape[0]} labels.")
            check_class_labels(y)  # continuous values are not classes (many classes of one are)
            classes, codes = np.unique(y, return_inverse=True)
            counts = np.bincount(codes)
            per_class = subclusters_per_class(counts, self.min_cluster_size)
            if self.n_clusters is not None:
                per_class = np.minimum(per_class, min(int(self.n_clusters), int(counts.max())))

        rng = check_random_state(self.random_state)
        direction = torch.from_numpy(rng.normal(size=unit.shape[1])).to(unit)
        # each class's rows in order, by one sort (comparing every label with each class took
        # seconds at thousands of classes)
        by_class = torch.from_numpy(np.argsort(codes, kind="stable")).to(unit.device)
        labels = torch.empty(n, dtype=torch.long, device=unit.device)
        per_class_centres, n_iter, offset = [], [], 0
        for c, (k, rows) in enumerate(zip(per_class, by_class.split(counts.tolist()), strict=True)):
            rows = rows[torch.argsort(_projection(unit[rows], direction), stable=True)]  # canonical order
            if self.method == "balanced":
                sub, centre, iters = balanced_cluster(unit[rows], int(k), self.max_iter, rng)
            else:
                sub, centre, iters = kmeans_cluster(unit[rows], int(k), self.max_iter, self.tol, rng)
            # k-means can leave a centre without members: drop it, so that no empty sub-cluster
            # (with a zero centroid) reaches the counts, the weights or the distances
            used, sub = torch.unique(sub, return_inverse=True)
            labels[rows] = sub + offset
            per_class_centres.append(centre[used])
            n_iter.append(iters)
            per_class[c] = len(used)
            offset += len(used)

        centres = torch.cat(per_class_centres)
        self.labels_ = labels if is_tensor else labels.cpu().numpy()
        self.cluster_centers_ = centres if is_tensor else centres.cpu().numpy()
        self.subcluster_class_ = np.repeat(classes, per_class)
        self.classes_ = classes
        self.n_subclusters_per_class_ = per_class
        self.n_iter_per_class_ = np.array(n_iter)
        self.n_iter_ = int(self.n_iter_per_class_.max())
        return self

    @overload
    def fit_predict(self, X: torch.Tensor, y: ArrayLike | None = None) -> torch.Tensor: ...
    @overload
    def fit_predict(self, X: ArrayLike, y: ArrayLike | None = None) -> np.ndarray: ...
    def fit_predict(
        self, X: ArrayLike | torch.Tensor, y: ArrayLike | None = None
    ) -> np.ndarray | torch.Tensor:
        """Cluster X (within each class of y when y is given) and return the sub-cluster labels.

        The same as ``fit(X, y).labels_`` (sklearn's ``ClusterMixin.fit_predict`` would drop y).

        Parameters
        ----------
        X : array-like or tensor of shape (n_samples, n_features)
            The rows to cluster, by direction (each is scaled to unit length; a row of zeros has none
            and is refused). A tensor stays on its device.
        y : array-like of shape (n_samples,), default=None
            The class of each row, as in :meth:`fit`.

        Returns
        -------
        labels : ndarray of int of shape (n_samples,), or a tensor for a tensor X
            The global sub-cluster id of each row.
        """
        return self.fit(X, y).labels_

    def _similarity(self, X: ArrayLike | torch.Tensor) -> tuple[torch.Tensor, bool]:
        check_is_fitted(self, "cluster_centers_")
        with thread_defaults():
            unit, is_tensor = _as_unit_tensor(self, X, reset=False)
            centres = torch.as_tensor(self.cluster_centers_).to(unit)
            return unit @ centres.T, is_tensor

    @overload
    def predict(self, X: torch.Tensor) -> torch.Tensor: ...
    @overload
    def predict(self, X: ArrayLike) -> np.ndarray: ...
    def predict(self, X: ArrayLike | torch.Tensor) -> np.ndarray | torch.Tensor:
        """Nearest centre (cosine) of each row; capacities are not enforced.

        After a fit with ``y`` the centres of every class compete: a row may go to another class's
        sub-cluster, so ``fit(X, y).predict(X)`` can differ from ``labels_``, which keeps each row
        in its own class. To keep a row's class, take the nearest centre among that class's
        (``subcluster_class_[j] == y_i``), e.g. by masking the columns of :meth:`transform`.

        Parameters
        ----------
        X : array-like or tensor of shape (n_samples, n_features)
            Rows with the features seen in :meth:`fit`, none of them all zeros.

        Returns
        -------
        labels : ndarray of int of shape (n_samples,), or a tensor for a tensor X
            The id of the nearest centre of each row.
        """
        similarity, is_tensor = self._similarity(X)
        labels = similarity.argmax(dim=1)
        return labels if is_tensor else labels.cpu().numpy()

    @property
    def _n_features_out(self) -> int:
        """One output per centre (``get_feature_names_out``: balancedsubcluster0, ...)."""
        return len(self.cluster_centers_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # (ClusterMixin, first among the parents, leaves it empty)
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]  # distances in X's dtype
        return tags

    @overload
    def transform(self, X: torch.Tensor) -> torch.Tensor: ...
    @overload
    def transform(self, X: ArrayLike) -> np.ndarray: ...
    def transform(self, X: ArrayLike | torch.Tensor) -> np.ndarray | torch.Tensor:
        """Cosine distance (1 - cosine similarity) of each row to each centre.

        A tensor for a tensor X (on its device), else an array, whatever scikit-learn's
        ``transform_output`` says: the clusterer has no ``set_output``, so a pipeline holding it
        refuses ``set_output(transform="pandas")`` (set it on the steps before instead).

        Parameters
        ----------
        X : array-like or tensor of shape (n_samples, n_features)
            Rows with the features seen in :meth:`fit`, none of them all zeros.

        Returns
        -------
        distances : ndarray of shape (n_samples, n_centres), or a tensor for a tensor X
            The cosine distance of each row to each centre, from 0 (same direction) to 2.
        """
        similarity, is_tensor = self._similarity(X)
        distance = (1.0 - similarity).clamp_(0.0, 2.0)  # a rounded cosine goes a few ulps past ±1
        return distance if is_tensor else distance.cpu().numpy()
