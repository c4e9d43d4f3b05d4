"""What the stateless SMILES transformers share: a validating fit and string-input tags."""

from __future__ import annotations

from typing import Self

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin

from .._compat import _fit_context, from_arrow
from ._input import check_column_name, check_smiles
from ._versions import check_versions, checked_versions

__all__ = ["SmilesTransformer"]


class SmilesTransformer(TransformerMixin, BaseEstimator):
    """Base of transformers that read one column of SMILES and learn nothing in ``fit``."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> Self:
        """Check the parameters and the shape of X; nothing is learned but the name of X's
        column, where X is a one-column table (``feature_names_in_``).

        Parameters
        ----------
        X : array-like of str of shape (n_samples,) or (n_samples, 1)
            SMILES or reaction SMILES: a list, array, pandas or polars Series, or a one-column table.
        y : None
            Ignored; accepted for the Pipeline API.

        Returns
        -------
        self : transformer
            The transformer, checked.
        """
        X = from_arrow(X)  # once, for both checks
        check_smiles(X)
        check_column_name(self, X, reset=True)
        self.n_features_in_ = 1
        self.versions_ = checked_versions()  # what a model fitted on its features learned them from
        return self

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if "n_features_in_" in state:  # fitted: a model after it in a pipeline learned from its features
            check_versions(
                self,
                state.get("versions_"),
                "the features it gives may differ from those it gave when fitted, and a model fitted on "
                "them may predict otherwise; check them, or fit them again here.",
            )

    def _check_input_features(self, input_features: ArrayLike | None) -> None:
        """Refuse ``input_features`` that cannot name X's one column (or that name another than the
        fit's), as sklearn's transformers refuse names that do not match their input."""
        if input_features is None:
            return
        names = np.asarray(input_features, dtype=object).ravel().tolist()
        fitted = getattr(self, "feature_names_in_", None)
        if len(names) != 1 or (fitted is not None and names != fitted.tolist()):
            expected = "one name" if fitted is None else f"{fitted.tolist()}"
            raise ValueError(f"input_features must be {expected}: X is one column of SMILES; got {names}.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True  # a column of SMILES (a one-column table is also read)
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = []  # graphs, or fingerprints of their own dtype
        return tags
