"""The classifier at the end of a Pipeline, inside a fitted search or a FrozenEstimator, for the
tools that read a fitted classifier's own attributes (the plots, screening)."""

from __future__ import annotations

from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV
from sklearn.pipeline import Pipeline

__all__ = ["wrapped_classifier"]


def wrapped_classifier(model: object, purpose: str) -> tuple[object, list]:
    """The estimator ``model`` ends in (a Pipeline's last step, a search's best estimator, a
    FrozenEstimator's estimator, in any nesting; for a plot, a threshold classifier's) and the
    Pipeline steps met before it; ``purpose`` ("plot", "screen with") words the errors."""
    before: list = []
    while True:
        if isinstance(model, FixedThresholdClassifier | TunedThresholdClassifierCV) and hasattr(
            model, "estimator_"
        ):
            if purpose != "plot":  # (its cv_results_ made it "a search fitted with refit=False")
                raise ValueError(
                    f"a {type(model).__name__} predicts by a threshold of its own, which a screen, deciding "
                    f"as its classifier does, would lose; {purpose} its estimator_ (the probabilities are "
                    "the same), or call its predict on chunks of the library."
                )
            model = model.estimator_
        elif isinstance(model, Pipeline):
            if model[-1] in (None, "passthrough"):
                raise TypeError(f"the Pipeline ends in {model[-1]!r}, not in a classifier to {purpose}.")
            before += [step for _, step in model.steps[:-1]]
            model = model[-1]
        elif isinstance(model, FrozenEstimator):
            model = model.estimator
        elif hasattr(model, "best_estimator_"):
            model = model.best_estimator_
        elif hasattr(model, "cv_results_"):  # fitted, but kept no model
            raise ValueError(
                f"this {type(model).__name__} was fitted with refit=False and so holds no classifier to "
                f"{purpose}; fit it with refit=True, or {purpose} a classifier fitted with its best_params_."
            )
        else:
            return model, before
