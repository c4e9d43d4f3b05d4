"""What the stateless SMILES transformers share: a validating fit and string-input tags."""

from __future__ import annotations

from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin

from .._compat import _fit_context
from ._smiles import check_smiles

__all__ = ["SmilesTransformer"]


class SmilesTransformer(TransformerMixin, BaseEstimator):
    """Base of transformers that read one column of SMILES and learn nothing in ``fit``."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> SmilesTransformer:
        """Check the parameters and the shape of X; nothing is learned."""
        check_smiles(X)
        self.n_features_in_ = 1
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = []  # graphs, or fingerprints of their own dtype
        return tags
