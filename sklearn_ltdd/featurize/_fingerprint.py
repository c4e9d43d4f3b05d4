"""Morgan (ECFP-like) fingerprints as a scikit-learn transformer: the baseline chemists try first."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from numpy.typing import ArrayLike
from rdkit.Chem import rdFingerprintGenerator

from .._compat import Interval
from ._base import SmilesTransformer
from ._smiles import mols_from_smiles

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

    Attributes
    ----------
    n_features_in_ : int
        Always 1: one SMILES column.

    Examples
    --------
    >>> fp = MorganFingerprint(n_bits=64).fit_transform(["CCO", "c1ccccc1"])
    >>> fp.shape, fp.dtype
    ((2, 64), dtype('uint8'))
    """

    _parameter_constraints: dict = {
        "radius": [Interval(Integral, 0, None, closed="left")],
        "n_bits": [Interval(Integral, 1, None, closed="left")],
        "counts": ["boolean"],
    }

    def __init__(self, *, radius: int = 2, n_bits: int = 2048, counts: bool = False):
        self.radius = radius
        self.n_bits = n_bits
        self.counts = counts

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Fingerprint each SMILES; invalid SMILES raise one error listing all of them.

        Returns
        -------
        fingerprints : ndarray of uint8, shape (n_samples, n_bits)
        """
        mols = mols_from_smiles(X)
        generator = rdFingerprintGenerator.GetMorganGenerator(radius=self.radius, fpSize=self.n_bits)
        to_numpy = generator.GetCountFingerprintAsNumPy if self.counts else generator.GetFingerprintAsNumPy
        out = np.zeros((len(mols), self.n_bits), dtype=np.uint8)
        for row, mol in zip(out, mols, strict=True):
            row[:] = np.minimum(to_numpy(mol), 255)
        return out

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Names ``morgan0`` ... ``morgan{n_bits-1}``."""
        return np.array([f"morgan{i}" for i in range(self.n_bits)], dtype=object)
