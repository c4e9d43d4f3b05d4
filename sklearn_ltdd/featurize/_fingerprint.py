"""Morgan (ECFP-like) fingerprints as a scikit-learn transformer: the baseline chemists try first."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from numpy.typing import ArrayLike
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

from .._compat import Interval, StrOptions
from ._base import SmilesTransformer
from ._smiles import InvalidSmilesError, check_smiles, mols_from_smiles, parse_rows

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
        ``"difference"`` reads reaction SMILES ``reactants>>products`` and returns the product's
        count fingerprint minus the reactants' (signed int16): what the reaction changes, the
        classic reaction-type fingerprint.

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

        Returns
        -------
        fingerprints : ndarray of uint8 (int16 for differences), shape (n_samples, n_bits)
        """
        generator = rdFingerprintGenerator.GetMorganGenerator(radius=self.radius, fpSize=self.n_bits)
        if self.reaction_mode == "difference":
            return self._differences(X, generator)
        mols = mols_from_smiles(X)
        to_numpy = generator.GetCountFingerprintAsNumPy if self.counts else generator.GetFingerprintAsNumPy
        out = np.zeros((len(mols), self.n_bits), dtype=np.uint8)
        for row, mol in zip(out, mols, strict=True):
            row[:] = np.minimum(to_numpy(mol), 255)
        return out

    def _differences(self, X: ArrayLike, generator) -> np.ndarray:
        bad: dict[int, tuple[object, str]] = {}
        values = check_smiles(X)
        out = np.zeros((len(values), self.n_bits), dtype=np.int16)
        for i, sides in parse_rows(values, _reaction_sides, bad):
            if sides is not None:
                reactants, products = (
                    generator.GetCountFingerprintAsNumPy(m).astype(np.int16) for m in sides
                )
                out[i] = products - reactants
        if bad:
            raise InvalidSmilesError(bad)
        return out

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Names ``morgan0`` ... ``morgan{n_bits-1}``."""
        return np.array([f"morgan{i}" for i in range(self.n_bits)], dtype=object)


def _reaction_sides(reaction: str) -> tuple[tuple[Chem.Mol, Chem.Mol] | None, str]:
    sides = reaction.split(">>")
    if len(sides) != 2:
        return None, "not a reaction SMILES (reactants>>products)"
    mols = tuple(Chem.MolFromSmiles(side) for side in sides)
    if any(m is None or not side for m, side in zip(mols, sides, strict=True)):
        return None, "RDKit cannot parse a side of the reaction"
    return mols, ""
