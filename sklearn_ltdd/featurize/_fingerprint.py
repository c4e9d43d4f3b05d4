"""Morgan (ECFP-like) fingerprints as a scikit-learn transformer: the baseline chemists try first."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from numbers import Integral

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

from .._compat import Interval, StrOptions
from ._base import SmilesTransformer
from ._errors import InvalidSmilesError, rows_named_by_index
from ._graph_features import parse_row
from ._input import check_smiles_for
from ._smiles import bad_rows_of, deduplicate, parse_rows

__all__ = ["MorganFingerprint"]


class MorganFingerprint(SmilesTransformer):
    """Hashed Morgan fingerprint bits of SMILES strings.

    Parameters
    ----------
    radius : int, default=2
        Radius of the circular environments (2 gives ECFP4-like bits).
    n_bits : int, default=2048
        Length of the folded bit vector.
    counts : bool, default=False
        Return occurrence counts instead of bits (as uint8: a count above 255 reads 255).
    reaction_mode : {None, "difference"}, default=None
        ``"difference"`` reads reaction SMILES (``reactants>reagents>products``, reagents unused)
        and returns the products' count fingerprint minus the reactants' (signed int16, saturating
        at ±32,767): what the reaction changes, the classic reaction-type fingerprint. A difference
        is always one of counts: ``counts`` is not read.

    Attributes
    ----------
    n_features_in_ : int
        Always 1: one SMILES column.
    feature_names_in_ : ndarray of str of shape (1,)
        The name of X's column, where ``fit`` was given a one-column table of SMILES;
        ``transform`` then refuses a table whose column has another name.
    versions_ : dict of str to str
        The versions of sklearn-ltdd, of its reading of SMILES (``smiles-parse``) and of RDKit
        that fitted it. Loading it (pickle, joblib; a fitted Pipeline, say) where any differs
        warns with :class:`~sklearn_ltdd.InconsistentVersionWarning`: a model fitted on its
        features learned them as these versions computed them.

    Examples
    --------
    >>> from sklearn_ltdd import MorganFingerprint
    >>> fp = MorganFingerprint(n_bits=64).fit_transform(["CCO", "c1ccccc1"])
    >>> fp.shape, fp.dtype
    ((2, 64), dtype('uint8'))
    >>> diff = MorganFingerprint(n_bits=64, reaction_mode="difference").fit_transform(["CCO>>CC=O"])
    >>> diff.dtype, bool((diff < 0).any() and (diff > 0).any())
    (dtype('int16'), True)
    """

    _parameter_constraints: dict = {
        "radius": [Interval(Integral, 0, 2**31 - 1, closed="both")],
        "n_bits": [Interval(Integral, 1, 2**31 - 1, closed="both")],  # RDKit's fpSize is a C int
        "counts": ["boolean"],
        "reaction_mode": [None, StrOptions({"difference"})],
    }

    def __init__(
        self, *, radius: int = 2, n_bits: int = 2048, counts: bool = False, reaction_mode: str | None = None
    ):
        self.radius = radius
        self.n_bits = n_bits
        self.counts = counts
        self.reaction_mode = reaction_mode

    def transform(self, X: ArrayLike) -> np.ndarray | pd.DataFrame:
        """Fingerprint each SMILES; invalid SMILES raise one error listing all of them.

        Reactions are read as :class:`~sklearn_ltdd.SmilesGraphizer` reads them
        (``reactants>reagents>products`` or ``reactants>>products``; reagents unused; atom maps
        ignored).

        Parameters
        ----------
        X : array-like of str of shape (n_samples,) or (n_samples, 1)
            SMILES or reaction SMILES: a list, array, pandas or polars Series, or a one-column table.

        Returns
        -------
        fingerprints : ndarray of uint8 (int16 for differences), shape (n_samples, n_bits)
            One row per SMILES: bits, counts capped at 255 with ``counts=True``, or a reaction's
            count difference with ``reaction_mode="difference"``. Under
            ``set_output(transform="pandas")`` (or scikit-learn's ``transform_output``), a
            DataFrame of them (scikit-learn's wrapper of ``transform``).
        """
        self._validate_params()  # transform needs no fit, so fit's check cannot be relied on
        out, bad = self._fingerprints(check_smiles_for(self, X))
        if bad:
            with rows_named_by_index(X):
                raise InvalidSmilesError(bad)
        return out

    def _fingerprints(self, values: np.ndarray) -> tuple[np.ndarray, dict[int, tuple[object, str]]]:
        """Fingerprints of checked rows, zeros where a row cannot be read, and those rows as
        ``{row: (value, reason)}``."""
        row_fingerprint, dtype = self._row_fingerprint()
        unique, codes = deduplicate(values)  # each distinct SMILES once, as the graphs are made
        out = np.zeros((len(unique), self.n_bits), dtype=dtype)
        bad: dict[int, tuple[object, str]] = {}
        for i, mols in parse_rows(unique, self._row_parser(), bad):
            if mols is not None:
                out[i] = row_fingerprint(mols)
        return out[codes], bad_rows_of(bad, codes)

    def _row_parser(self) -> Callable[[str], tuple[list[Chem.Mol] | None, str]]:
        """The parse of one row: its molecule, or its reactants and products (``parse_rows``' form)."""
        return partial(parse_row, self.reaction_mode, reaction_modes="'difference'")

    def _row_fingerprint(self) -> tuple[Callable[[list[Chem.Mol]], np.ndarray], type]:
        """The fingerprint of one row's molecules (its molecule, or its reactants and products) and
        its dtype; :class:`SmilesGraphizer` uses it on the molecules it parses for the graphs."""
        # Python ints: RDKit's signature refuses numpy's (a grid of np.array([16, 32]) gives those)
        generator = rdFingerprintGenerator.GetMorganGenerator(
            radius=int(self.radius), fpSize=int(self.n_bits)
        )
        if self.reaction_mode == "difference":
            count = generator.GetCountFingerprintAsNumPy
            # in int64, then saturated: int16 arithmetic would wrap a count above 32,767 to negative
            return lambda mols: _saturated_difference(count(mols[1]), count(mols[0])), np.int16
        fingerprint = generator.GetCountFingerprintAsNumPy if self.counts else generator.GetFingerprintAsNumPy
        return lambda mols: np.minimum(fingerprint(mols[0]), 255), np.uint8

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Names ``morgan0`` to ``morgan{n_bits-1}``, one per bit.

        Parameters
        ----------
        input_features : array-like of str, default=None
            The name of X's one column, checked against the fit's where it had one; not otherwise read.

        Returns
        -------
        feature_names_out : ndarray of str of shape (n_bits,)
            The bits' names.
        """
        self._validate_params()  # the names depend on them
        self._check_input_features(input_features)
        return np.array([f"morgan{i}" for i in range(self.n_bits)], dtype=object)


def _saturated_difference(products: np.ndarray, reactants: np.ndarray) -> np.ndarray:
    limits = np.iinfo(np.int16)
    difference = products.astype(np.int64) - reactants.astype(np.int64)
    return np.clip(difference, limits.min + 1, limits.max).astype(np.int16)
