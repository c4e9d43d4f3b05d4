"""Turning SMILES into model inputs: input checks, fingerprints and graphs.

``SmilesGraphizer`` and the graph stores import torch; they load on first use so
that fingerprint-only work (and worker processes) stay light.
"""

from importlib import import_module
from typing import TYPE_CHECKING

from ._fingerprint import MorganFingerprint
from ._smiles import InvalidSmilesError, UnmappedReactionError, check_smiles, mols_from_smiles

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

    def __getattr__(name: str) -> object:
        if name in _LAZY:
            return getattr(import_module(_LAZY[name], __name__), name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})  # the lazy names too, for tab completion
