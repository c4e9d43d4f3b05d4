"""LTDDClassifier and its training machinery (datasets, the skorch net, schedule callbacks)."""

from ._ltdd import LTDDClassifier

__all__ = ["LTDDClassifier"]
