"""Morgan (ECFP-like) fingerprints as a scikit-learn transformer: the baseline chemists try first."""

from __future__ import annotations

from functools import partial
from numbers import Integral

import numpy as np
from numpy.typing import ArrayLike
from rdkit.Chem import rdFingerprintGenerator

from .._compat import Interval, StrOptions
from ._base import SmilesTransformer
from ._graph_features import parse_row
from ._smiles import InvalidSmilesError, check_smiles, parse_rows

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
        Return occurrence counts instead of bits.
    reaction_mode : {None, "difference"}, default=None
        ``"difference"`` reads reaction SMILES (``reactants>reagents>products``, reagents unused)
        and returns the products' count fingerprint minus the reactants' (signed int16): what the
        reaction changes, the classic reaction-type fingerprint.

    Attributes
    ----------
    n_features_in_ : int
        Always 1: one SMILES column.

    Examples
    --------
    >>> fp = MorganFingerprint(n_bits=64).fit_transform(["CCO", "c1ccccc1"])
    >>> fp.shape, fp.dtype
    ((2, 64), dtype('uint8'))
    >>> diff = MorganFingerprint(n_bits=64, reaction_mode="difference").fit_transform(["CCO>>CC=O"])
    >>> diff.dtype, bool((diff < 0).any() and (diff > 0).any())
    (dtype('int16'), True)
    """

    _parameter_constraints: dict = {
        "radius": [Interval(Integral, 0, None, closed="left")],
        "n_bits": [Interval(Integral, 1, None, closed="left")],
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

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Fingerprint each SMILES; invalid SMILES raise one error listing all of them.

        Reactions are read as :class:`SmilesGraphizer` reads them (``reactants>reagents>products``
        or ``reactants>>products``; reagents unused; atom maps ignored).

        Returns
        -------
        fingerprints : ndarray of uint8 (int16 for differences), shape (n_samples, n_bits)
        """
        generator = rdFingerprintGenerator.GetMorganGenerator(radius=self.radius, fpSize=self.n_bits)
        difference = self.reaction_mode == "difference"
        dtype = np.int16 if difference else np.uint8
        counts = difference or self.counts
        fingerprint = generator.GetCountFingerprintAsNumPy if counts else generator.GetFingerprintAsNumPy
        parse = partial(parse_row, self.reaction_mode, reaction_modes="'difference'")
        values = check_smiles(X)
        out = np.zeros((len(values), self.n_bits), dtype=dtype)
        bad: dict[int, tuple[object, str]] = {}
        for i, mols in parse_rows(values, parse, bad):
            if mols is None:
                continue
            if difference:
                reactants, products = (fingerprint(m).astype(np.int16) for m in mols)
                out[i] = products - reactants
            else:
                out[i] = np.minimum(fingerprint(mols[0]), 255)
        if bad:
            raise InvalidSmilesError(bad)
        return out

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Names ``morgan0`` ... ``morgan{n_bits-1}``."""
        return np.array([f"morgan{i}" for i in range(self.n_bits)], dtype=object)
