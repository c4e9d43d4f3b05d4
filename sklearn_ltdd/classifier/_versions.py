"""The library versions a model was fitted with, and the warning when it is loaded under others."""

from __future__ import annotations

import sklearn
import skorch
import torch
import torch_geometric
from rdkit import rdBase

import sklearn_ltdd

from .._warnings import warn
from ..featurize._smiles import PARSE_VERSION

__all__ = ["check_versions", "checked_versions", "fitted_versions"]

#: what decides what a fitted model computes from a SMILES: this package (features, network,
#: decision), its reading of SMILES (PARSE_VERSION: the package's version is not raised with each
#: change of it) and RDKit (parsing, aromaticity, valence). Others (torch, PyG) only move the
#: last bits of the arithmetic, and scikit-learn and skorch hold the estimator's parts (scikit-learn
#: warns of its own objects itself): recorded, not checked.
CHECKED = ("sklearn-ltdd", "smiles-parse", "rdkit")


def fitted_versions() -> dict[str, str]:
    """The versions of the packages a fit ran with: the model's ``versions_``."""
    return {
        "sklearn-ltdd": sklearn_ltdd.__version__,
        "smiles-parse": str(PARSE_VERSION),
        "rdkit": rdBase.rdkitVersion,
        "torch": str(torch.__version__),  # (a TorchVersion, which a pickle would have to import)
        "torch-geometric": torch_geometric.__version__,
        "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__,
    }


def checked_versions() -> dict[str, str]:
    """The versions of :data:`CHECKED` here: what decides what a SMILES gives a model (and a
    screen's progress records)."""
    here = fitted_versions()
    return {name: here[name] for name in CHECKED}


def check_versions(model_name: str, saved: dict[str, str] | None) -> None:
    """Warn where a loaded model was fitted under other versions of :data:`CHECKED` (``saved`` None:
    by a release that did not record them)."""
    if saved is None:
        fitted = "was saved by a release of sklearn-ltdd that did not record its versions"
    else:
        here = checked_versions()
        differ = [name for name in CHECKED if saved.get(name) != here[name]]
        if not differ:
            return
        pairs = ", ".join(
            f"{name} {saved.get(name, '(not recorded)')} (here {here[name]})" for name in differ
        )
        fitted = f"was fitted with {pairs}"
    warn(
        f"this {model_name} {fitted}: its featurisation or predictions may differ from the fitted "
        "model's; check them on molecules of known class, or refit it here."
    )
