"""The library versions a model was fitted with, and the warning when it is loaded under others."""

from __future__ import annotations

import torch
import torch_geometric
from rdkit import rdBase

import sklearn_ltdd

from .._warnings import warn

__all__ = ["check_versions", "fitted_versions"]

#: the packages whose code decides what a fitted model computes from a SMILES: this one (features,
#: network, decision) and RDKit (parsing, aromaticity, valence). Others (torch, PyG) only move the
#: last bits of the arithmetic and are recorded, not checked.
CHECKED = ("sklearn-ltdd", "rdkit")


def fitted_versions() -> dict[str, str]:
    """The versions of the packages a fit ran with: the model's ``versions_``."""
    return {
        "sklearn-ltdd": sklearn_ltdd.__version__,
        "rdkit": rdBase.rdkitVersion,
        "torch": str(torch.__version__),  # (a TorchVersion, which a pickle would have to import)
        "torch-geometric": torch_geometric.__version__,
    }


def check_versions(model_name: str, saved: dict[str, str]) -> None:
    """Warn where a loaded model was fitted under other versions of :data:`CHECKED` packages."""
    here = fitted_versions()
    differ = [name for name in CHECKED if saved.get(name) != here[name]]
    if differ:
        pairs = ", ".join(f"{name} {saved.get(name)} (here {here[name]})" for name in differ)
        warn(
            f"this {model_name} was fitted with {pairs}: its featurisation or predictions may differ "
            "from the fitted model's; check them on molecules of known class, or refit it here."
        )
