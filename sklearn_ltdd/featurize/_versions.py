"""The library versions a model was fitted with, and the warning when it is loaded under others."""

from __future__ import annotations

from rdkit import rdBase

import sklearn_ltdd

from .._warnings import InconsistentVersionWarning, warn
from ._smiles import PARSE_VERSION

__all__ = ["check_versions", "checked_versions", "fitted_versions"]

#: what decides what a fitted model computes from a SMILES: this package (features, network,
#: decision), its reading of SMILES (PARSE_VERSION: the package's version is not raised with each
#: change of it) and RDKit (parsing, aromaticity, valence). Others (torch, PyG) only move the
#: last bits of the arithmetic, and scikit-learn and skorch hold the estimator's parts (scikit-learn
#: warns of its own objects itself): recorded, not checked.
CHECKED = ("sklearn-ltdd", "smiles-parse", "rdkit")


def checked_versions() -> dict[str, str]:
    """The versions of :data:`CHECKED` here: what decides what a SMILES gives a model (a fitted
    transformer's ``versions_``, and what a screen's progress records)."""
    return {
        "sklearn-ltdd": sklearn_ltdd.__version__,
        "smiles-parse": str(PARSE_VERSION),
        "rdkit": rdBase.rdkitVersion,
    }


def fitted_versions() -> dict[str, str]:
    """The versions of the packages a classifier's fit ran with: its ``versions_``."""
    # (imported here: the fingerprint's transformer records its versions, and loads no torch)
    import sklearn
    import skorch
    import torch
    import torch_geometric

    return {
        **checked_versions(),
        "torch": str(torch.__version__),  # (a TorchVersion, which a pickle would have to import)
        "torch-geometric": torch_geometric.__version__,
        "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__,
    }


def check_versions(estimator: object, saved: dict[str, str] | None, differs: str) -> None:
    """Warn where a loaded ``estimator`` was fitted under other versions of :data:`CHECKED` than
    these (``saved`` None: by a release that did not record them); ``differs`` says what may then
    differ, and what to do."""
    name, here = type(estimator).__name__, checked_versions()
    if saved is None:
        fitted = "was saved by a release of sklearn-ltdd that did not record its versions"
    else:
        differ = [version for version in CHECKED if saved.get(version) != here[version]]
        if not differ:
            return
        pairs = ", ".join(
            f"{version} {saved.get(version, '(not recorded)')} (here {here[version]})" for version in differ
        )
        fitted = f"was fitted with {pairs}"
    warn(InconsistentVersionWarning(f"this {name} {fitted}: {differs}", name, saved, here))
