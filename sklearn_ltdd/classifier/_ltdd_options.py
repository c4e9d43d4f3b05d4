"""LTDD's own knobs, grouped as the paper groups them: the contrastive views and losses, and the
schedule of sub-clustering and re-weighting. Plain parameter objects, as sklearn's kernels are:
``clone``, ``get_params`` and ``GridSearchCV`` reach inside them (``schedule__weighting``)."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Self

import numpy as np
from sklearn.base import BaseEstimator

from .._compat import Interval, StrOptions
from ..nn._module import _drop_probabilities
from ..nn._weights import WEIGHT_FORMULAS, WEIGHTINGS

__all__ = ["SubclusterContrast", "SubclusterSchedule"]


_TINY, _HUGE = float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max)


class SubclusterContrast(BaseEstimator):
    """The contrastive half of LTDD: the two edge-dropped views and the temperatures of its losses.

    Parameters
    ----------
    tau : float, default=0.1
        τ, the SupCon temperature during warm-up (paper Eq. 1).
    tau1 : float, default=0.1
        τ1, the temperature of term A, which pulls a sample's own sub-cluster together (Eq. 2).
    tau2 : float or "adaptive", default=0.1
        τ2, the temperature of term B, which pulls the other sub-clusters of its class closer;
        ``"adaptive"`` is the reference code's per-class τ2.
    beta : float, default=0.25
        β, the weight of term B.
    term_a_scale : float, default=1.0
        The weight of term A (the reference code uses τ1/0.07).
    edge_drop : tuple of two floats, default=(0.15, 0.10)
        p, the base edge-drop probabilities of the two views: an edge into a node of low degree
        is dropped more often (probability w_e · p, the weights w_e averaging 1), each edge at
        most with probability 0.7 (GCA's cap: every edge is kept at least 3 times in 10). From about
        p = 0.4 on, the cap binds on many edges and the mean drop probability falls below p: over
        the solubility set's edges, about 0.44 at p = 0.5 and 0.58 at p = 0.99.

    Examples
    --------
    >>> from sklearn_ltdd import LTDDClassifier, SubclusterContrast
    >>> LTDDClassifier(contrast=SubclusterContrast(beta=0.5)).get_params()["contrast__beta"]
    0.5
    """

    # the losses compute in float32: a temperature or weight beyond its range is no number there
    _parameter_constraints: dict = {
        "tau": [Interval(Real, _TINY, _HUGE, closed="both")],
        "tau1": [Interval(Real, _TINY, _HUGE, closed="both")],
        "tau2": [Interval(Real, _TINY, _HUGE, closed="both"), StrOptions({"adaptive"})],
        "beta": [Interval(Real, 0, _HUGE, closed="both")],
        "term_a_scale": [Interval(Real, 0, _HUGE, closed="both")],
        "edge_drop": [tuple, list],
    }

    def __init__(
        self,
        *,
        tau: float = 0.1,
        tau1: float = 0.1,
        tau2: float | str = 0.1,
        beta: float = 0.25,
        term_a_scale: float = 1.0,
        edge_drop: tuple[float, float] | list[float] = (0.15, 0.10),
    ):
        self.tau = tau
        self.tau1 = tau1
        self.tau2 = tau2
        self.beta = beta
        self.term_a_scale = term_a_scale
        self.edge_drop = edge_drop

    def check(self) -> Self:
        """Validate the parameters (``fit`` of the classifier calls it).

        Returns
        -------
        self : SubclusterContrast
            The options, unchanged.

        Raises
        ------
        ValueError
            Naming a parameter out of its range (the first by name, as scikit-learn checks them).
        """
        self._validate_params()
        # the network's own reading of drop probabilities (no bool is one), and two views below 1
        drop = _drop_probabilities(self.edge_drop)
        if drop is None or len(drop) != 2 or max(drop) >= 1:
            raise ValueError(f"edge_drop must be two probabilities in [0, 1), got {self.edge_drop!r}.")
        return self


class SubclusterSchedule(BaseEstimator):
    """When and how LTDD sub-clusters and re-weights, and what an epoch visits.

    Parameters
    ----------
    warmup_epochs : int, default=10
        T0, epochs of SupCon-only warm-up, which train the encoder (and the fingerprint's wide
        expert) but not the classifier head; 0 switches warm-up off. The classifier's
        ``max_epochs`` must be larger, or ``fit`` raises a ValueError: a model whose head never
        trained is not returned.
    update_every : int, default=10
        K, re-cluster and re-weight every K epochs after warm-up.
    dynamic : bool, default=True
        False computes sub-clusters and weights once, at the end of warm-up (ablation).
    cluster_method : {"balanced", "kmeans"}, default="balanced"
        The paper's balanced greedy clustering, or spherical k-means as the reference code
        clusters (its sub-clusters are not size-balanced); seeded here by k-means++, where the
        reference seeds at random, so its sub-clusters are not the reference's.
    min_cluster_size : int, default=10
        δ, the floor of the sub-cluster size unit U.
    weighting : {"both", "class_distance", "subcluster_distance", "none", "subcluster"}, default="both"
        Which separability weights feed the cross-entropy (paper Table 4 ablations);
        ``"subcluster"`` weights each sample by its own sub-cluster's distance to the nearest
        other class, which also acts on binary tasks where class weights are uniform (it
        corrects separability, not the class prior), once a class has two sub-clusters or more:
        with two classes of one sub-cluster each (the larger under twice the size unit U, e.g.
        an imbalance under 2) both distances are the same number and it changes nothing.
    weight_formula : {"paper", "code"}, default="paper"
        Normalised inverse distances summed (paper) or averaged softmax(−d) (reference code),
        for the class and sub-cluster distance weights; ``weighting="subcluster"`` always takes
        the normalised inverse of a sub-cluster's own distance, and ``"none"`` has no formula.
    resample : bool, default=False
        Class-balance the training set as the reference code does: every sample is kept and
        each class is topped up with draws with replacement to the largest class's count.
        Sub-clusters and the size unit U are computed on the distinct training samples, so
        resampling changes what an epoch visits, not the sub-clusters. On binary tasks, where
        the separability weights are uniform, this is what balances the decision in the
        reference code (see the results page of the documentation). An epoch then visits
        n_classes × the largest class's count samples: with a head of 300 and 200 classes of
        one, a hundred times the molecules of an epoch without.

    Examples
    --------
    >>> from sklearn_ltdd import LTDDClassifier, SubclusterSchedule
    >>> clf = LTDDClassifier(schedule=SubclusterSchedule(weighting="none"))  # Table 4's ablation
    >>> clf.set_params(schedule__weighting="class_distance").schedule.weighting
    'class_distance'
    """

    _parameter_constraints: dict = {
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "update_every": [Interval(Integral, 1, None, closed="left")],
        "dynamic": ["boolean"],
        "cluster_method": [StrOptions({"balanced", "kmeans"})],
        "min_cluster_size": [Interval(Integral, 1, None, closed="left")],
        "weighting": [StrOptions(set(WEIGHTINGS))],
        "weight_formula": [StrOptions(set(WEIGHT_FORMULAS))],
        "resample": ["boolean"],
    }

    def __init__(
        self,
        *,
        warmup_epochs: int = 10,
        update_every: int = 10,
        dynamic: bool = True,
        cluster_method: str = "balanced",
        min_cluster_size: int = 10,
        weighting: str = "both",
        weight_formula: str = "paper",
        resample: bool = False,
    ):
        self.warmup_epochs = warmup_epochs
        self.update_every = update_every
        self.dynamic = dynamic
        self.cluster_method = cluster_method
        self.min_cluster_size = min_cluster_size
        self.weighting = weighting
        self.weight_formula = weight_formula
        self.resample = resample

    def check(self) -> Self:
        """Validate the parameters (``fit`` of the classifier calls it).

        Returns
        -------
        self : SubclusterSchedule
            The options, unchanged.

        Raises
        ------
        ValueError
            Naming a parameter out of its range (the first by name, as scikit-learn checks them).
        """
        self._validate_params()
        return self
