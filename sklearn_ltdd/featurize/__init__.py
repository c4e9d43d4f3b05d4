"""Turning SMILES into model inputs: input checks, fingerprints and graphs.

- Input: ``_input`` (the shape of a column of SMILES, its name against the fit's), ``_smiles``
  (RDKit's parse, row by row, with the reason for each row refused), ``_errors`` (the errors
  that name every bad row).
- Features: ``_fingerprint`` (``MorganFingerprint``), ``_graph_features`` (atom and bond
  features), ``_cgr`` (the condensed graph of reaction), ``_atom_mapping`` (atom mappers and
  their caches, keyed by ``_function_key``), ``_graphizer`` (``SmilesGraphizer``),
  ``_graph_store`` (the packed graphs), ``_graph_keys`` (graphs told apart by content),
  ``_base`` (what the two transformers share), ``_versions`` (the library versions a fitted
  transformer or classifier records, and the warning when they differ).

``SmilesGraphizer`` and the graph stores import torch; they load on first use so
that fingerprint-only work (and worker processes) stay light.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
from ._errors import InvalidSmilesError, UnmappedReactionError
from ._fingerprint import MorganFingerprint
from ._input import check_smiles
from ._smiles import mols_from_smiles

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from ._graph_store import (
        GraphRecipe,
        GraphStore,
        GraphStorePair,
        check_graphs_match,
    )
    from ._graphizer import SmilesGraphizer

_LAZY = {
    "SmilesGraphizer": "._graphizer",
    "GraphRecipe": "._graph_store",
    "GraphStore": "._graph_store",
    "GraphStorePair": "._graph_store",
    "check_graphs_match": "._graph_store",
}

__all__ = [  # written out, the lazy names too, so that type checkers read the exports
    "GraphRecipe",
    "GraphStore",
    "GraphStorePair",
    "InvalidSmilesError",
    "MorganFingerprint",
    "SmilesGraphizer",
    "UnmappedReactionError",
    "check_graphs_match",
    "check_smiles",
    "mols_from_smiles",
]


if not TYPE_CHECKING:  # checkers read the imports above, and flag a name that is not there
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__, globals())
