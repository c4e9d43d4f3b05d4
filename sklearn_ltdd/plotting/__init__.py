"""Plots of what LTDD does to a long-tailed problem (matplotlib, an optional dependency).

Each function takes fitted classifiers (or a Pipeline, search or FrozenEstimator ending in one),
draws on ``ax`` (a new figure when None) and returns the Axes.
"""

from ._plots import plot_class_accuracy, plot_embedding, plot_training, plot_weights

__all__ = ["plot_class_accuracy", "plot_embedding", "plot_training", "plot_weights"]
