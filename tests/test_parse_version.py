"""What a SMILES gives changes only with the version that says so.

Models record ``PARSE_VERSION`` (``versions_``), graph stores too (their recipe), screens their
progress, and a ``memory`` cache keys its graphs on it with the features' versions: each warns
of, refuses or does not reuse graphs read by another version. A change of the reading that
leaves the number as it was defeats them all (three changes once did: a model fitted before
them loaded without a word, and a cache served its old graphs). So the graphs of a panel of
SMILES are summarised here, under the versions that made them.
"""

import hashlib

import numpy as np
import pytest
from rdkit import rdBase

from sklearn_ltdd import SmilesGraphizer
from sklearn_ltdd.datasets import load_reaction_templates, load_solubility
from sklearn_ltdd.featurize._graph_features import FEATURE_SCHEMA, NODE_ORDER
from sklearn_ltdd.featurize._smiles import MAX_ATOMS, PARSE_VERSION

#: (FEATURE_SCHEMA, NODE_ORDER, PARSE_VERSION), RDKit and the panel's digest under them
RECORDED = ((2, 3, 10), "2026.09.1", "2d5069ab1a555b57e6157ada2bc8418ad20e6d631fdd6951ff1c245335dbaf62")

#: each change of the reading so far, and the notations it concerned
NOTATIONS = [
    "F/C=C/[H]", "[H]/C(F)=C/F", "[H]/C1=C(/[H])CCCCCCCC1", "[H]/C1=C/CCCCCC1", "[#1]/N=C(/N)N",
    "[#1]C", "[1*]CC", "[2H]C([2H])([2H])O", "[13CH3]C=CC |ctu:1|", "C[C@H](O)[C@@H](C)N |&1:1,3|",
    "[13CH3][C@H](O)[C@@H](C)N |o1:1,3|", "C1CCCCC1 |LN:0:1.5|", "*C(=O)O |$_AP1;;;$|",
    "CC(C)C |$;;;R1$|", "C[NH100]C", "CĀC", "C\x07C", "C" * (MAX_ATOMS + 1), "[Fe+2].[Cl-].[Cl-]",
    "c1ccccc1.[Na+].[O-]C(=O)C", "[H+]", "[H][H]", "[He]", "C", "N#N", "O=[N+]([O-])c1ccccc1",
    "CC~C", "C1~CCCCC1", "C~1CCCCC1",
]  # fmt: skip
REACTIONS = [
    "[CH3:1][OH:2]>>[CH2:1]=[O:2]", "CCO>O>CC=O", "CCO>>[H][H]", "CCO.CC>>CCOCC |f:0.1|",
    "[CH3:1][C@H:2](O)[NH2:3]>>[CH3:1][C@@H:2](Cl)[NH2:3] |o1:1|", "[13CH3:1][OH:2]>>[13CH2:1]=[O:2]",
    "[CH3:1][CH2:2][OH:3]>>[CH3:1][CH2:2]~[OH:3]",
]  # fmt: skip


def _digest(*stores) -> str:
    """A hash of the arrays of graph stores: their shape and dtype, and their bytes."""
    digest = hashlib.sha256()
    for store in stores:
        arrays = [store.x, store.edge_index, store.edge_attr, store.fingerprint, store.node_ptr,
                  store.edge_ptr, store.valid_mask]  # fmt: skip
        for array in arrays:
            if array is None:  # (a pair's sides have no fingerprint of their own)
                digest.update(b"None")
                continue
            array = np.ascontiguousarray(np.asarray(array))
            digest.update(f"{array.dtype.str}{array.shape}".encode())
            digest.update(array.tobytes())
    return digest.hexdigest()


def _panel_digest() -> str:
    molecules = [*NOTATIONS, *load_solubility().data[:400]]
    reactions = [*REACTIONS, *load_reaction_templates().data[:150]]
    stores = [SmilesGraphizer(bond_features=True, errors="ignore").fit_transform(molecules)]
    for mode in ("products", "reaction", "cgr", "pair"):
        graphizer = SmilesGraphizer(reaction_mode=mode, bond_features=True, errors="ignore")
        graphs = graphizer.fit_transform(reactions)
        stores.extend([graphs.reactants, graphs.products] if mode == "pair" else [graphs])
    return _digest(*stores)


def test_what_a_smiles_gives_changes_only_with_the_versions_that_say_so():
    versions, rdkit, digest = RECORDED
    if rdBase.rdkitVersion != rdkit:
        pytest.skip(f"the panel was recorded under RDKit {rdkit}, not {rdBase.rdkitVersion}: record it again")
    here = (FEATURE_SCHEMA, NODE_ORDER, PARSE_VERSION)
    assert (here, _panel_digest()) == (versions, digest), (
        "the panel's graphs differ from those recorded under the same versions: raise PARSE_VERSION "
        "(or FEATURE_SCHEMA, NODE_ORDER, where they changed) and record the new digest in RECORDED"
    )
