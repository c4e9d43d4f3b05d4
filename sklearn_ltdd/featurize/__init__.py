"""Turning SMILES into model inputs: input checks, fingerprints (and, later, graphs)."""

from ._fingerprint import MorganFingerprint
from ._smiles import InvalidSmilesError, check_smiles, mols_from_smiles

__all__ = ["InvalidSmilesError", "MorganFingerprint", "check_smiles", "mols_from_smiles"]
