"""LTDDClassifier and its training machinery (datasets, the skorch net, schedule callbacks)."""

from ._ltdd import PAPER_PROTOCOL, LTDDClassifier

__all__ = ["PAPER_PROTOCOL", "LTDDClassifier"]
