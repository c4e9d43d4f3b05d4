"""Clustering: LTDD's size-balanced sub-clustering on the unit sphere."""

from ._balanced_subcluster import BalancedSubcluster, subclusters_per_class

__all__ = ["BalancedSubcluster", "subclusters_per_class"]
