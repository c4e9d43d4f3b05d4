"""Atom-mapping reactions that arrive without map numbers, for the condensed graph of reaction.

``"rxnmapper"`` is Schwaller et al.'s attention-guided mapper (the ``reactions`` extra). Its wheel
ships the model weights, so it maps offline. Maps are cached per reaction SMILES: in this
process, and across processes in an SQLite file when a cache folder is given. The cache knows a
mapper by its name and version, or a callable by its name and code: an edited or redefined
function never gets the maps of its earlier version.
"""

from __future__ import annotations

import hashlib
import marshal
import re
import sqlite3
import warnings
from collections.abc import Callable, Sequence
from contextlib import closing
from functools import cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
from rdkit import rdBase

from ._cgr import needs_mapping
from ._graph_features import reaction_parts

__all__ = ["ATOM_MAPPERS", "map_reactions"]

ATOM_MAPPERS = ("rxnmapper",)

_MAPPED = re.compile(r":\d+\]")
_BATCH = 16  # rxnmapper's own default batch size
_IN_PROCESS: dict[tuple[str, str], str] = {}
_CALLABLES: dict[int, Callable] = {}  # keeps every callable whose id is in a key alive (ids unique)


@cache
def _rxnmapper() -> tuple[str, Callable[[list[str]], list[str]]]:
    try:
        with warnings.catch_warnings():  # it imports pkg_resources, deprecated by setuptools
            warnings.simplefilter("ignore")
            from rxnmapper import RXNMapper
    except ImportError as error:
        raise ImportError(
            "atom_mapper='rxnmapper' needs the rxnmapper package: pip install 'sklearn-ltdd[reactions]' "
            "(rxnmapper, transformers<5 and setuptools<81)."
        ) from error
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = RXNMapper()

    def map_batch(reactions: list[str]) -> list[str]:
        results = model.get_attention_guided_atom_maps(reactions, canonicalize_rxns=False)
        return [r["mapped_rxn"] for r in results]

    return f"rxnmapper-{version('rxnmapper')}", map_batch


def _mapper(atom_mapper: str | Callable) -> tuple[str, str | None, Callable[[list[str]], list[str]]]:
    """The mapper's name (for messages), its key on disk (None: not cached there) and the mapper."""
    if not callable(atom_mapper):
        name, map_batch = _rxnmapper()
        return name, name, map_batch
    name = getattr(atom_mapper, "__qualname__", type(atom_mapper).__qualname__)
    name = f"{getattr(atom_mapper, '__module__', type(atom_mapper).__module__)}.{name}"
    # the code, not the name alone: a function edited in a notebook keeps its name. Without
    # code to read (a partial, a builtin) it is cached in this process only.
    function = getattr(atom_mapper, "__func__", atom_mapper)  # a bound method's function
    if not hasattr(function, "__code__"):  # an object: its class's __call__
        function = type(function).__call__
    code = getattr(function, "__code__", None)
    disk_key = None if code is None else f"{name}@{hashlib.sha256(marshal.dumps(code)).hexdigest()[:16]}"
    return name, disk_key, atom_mapper


class _DiskCache:
    """Mapped reactions in an SQLite file, keyed by mapper and reaction SMILES."""

    def __init__(self, folder: str | Path | None):
        self.path = None if folder is None else Path(folder) / "sklearn_ltdd_atom_maps.sqlite"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=60)
        connection.execute("CREATE TABLE IF NOT EXISTS maps (mapper TEXT, reaction TEXT, mapped TEXT, "
                           "PRIMARY KEY (mapper, reaction))")  # fmt: skip
        return connection

    def get(self, mapper: str, reactions: Sequence[str]) -> dict[str, str]:
        if self.path is None or not self.path.exists() or not reactions:
            return {}
        with closing(self._connect()) as connection:
            rows = connection.execute("SELECT reaction, mapped FROM maps WHERE mapper = ?", (mapper,))
            wanted = set(reactions)
            return {reaction: mapped for reaction, mapped in rows if reaction in wanted}

    def put(self, mapper: str, maps: dict[str, str]) -> None:
        if self.path is None or not maps:
            return
        with closing(self._connect()) as connection, connection:
            connection.executemany("INSERT OR REPLACE INTO maps VALUES (?, ?, ?)",
                                   [(mapper, r, m) for r, m in maps.items()])  # fmt: skip


def _map_one_by_one(map_batch: Callable, reactions: list[str]) -> dict[str, str | Exception]:
    """Where a batch fails, each reaction alone, so that one failure names its own reaction."""
    out: dict[str, str | Exception] = {}
    for reaction in reactions:
        try:
            out[reaction] = map_batch([reaction])[0]
        except Exception as error:  # the mapper's own errors vary (tokens, RDKit, shapes)
            out[reaction] = error
    return out


def map_reactions(
    reactions: np.ndarray, atom_mapper: str | Callable, cache_folder: str | Path | None = None
) -> tuple[np.ndarray, dict[int, tuple[object, str]]]:
    """Atom-map the reaction SMILES that do not count as mapped; return them with the failures.

    A reaction counts as mapped when its reactants carry map numbers and every heavy atom of its
    products does (:func:`~._cgr.mapping_gap`); a partly mapped one loses its numbers and is
    mapped afresh. Mapped rows, and rows that are not readable reactions, are returned as they
    are (the featuriser reports the latter). Only ``reactants>>products`` goes to the mapper:
    reagents are not used by the graphs. A row the mapper fails on keeps its input and is
    reported as ``{row: (value, reason)}``, never dropped.
    """
    out = np.array(reactions, dtype=object)
    with rdBase.BlockLogs():  # a row RDKit cannot read is reported by the featuriser, named
        rows = [i for i, r in enumerate(out) if needs_mapping(r)]
    if not rows:
        return out, {}
    name, disk_key, map_batch = _mapper(atom_mapper)
    # in this process a callable is known by its identity too: closures of one code map differently
    key = disk_key if not callable(atom_mapper) else f"{disk_key or name}#{id(atom_mapper)}"
    _CALLABLES[id(atom_mapper)] = atom_mapper
    # a partly mapped reaction is mapped afresh: its numbers could clash with the mapper's
    query = {i: _MAPPED.sub("]", ">>".join(reaction_parts(out[i].strip())[::2])) for i in rows}
    known = {q: _IN_PROCESS[key, q] for q in query.values() if (key, q) in _IN_PROCESS}
    disk = _DiskCache(cache_folder if disk_key else None)
    known |= disk.get(disk_key, [q for q in set(query.values()) if q not in known])
    todo = sorted({q for q in query.values() if q not in known})
    mapped: dict[str, str | Exception] = {}
    for start in range(0, len(todo), _BATCH):
        batch = todo[start : start + _BATCH]
        try:
            mapped.update(zip(batch, map_batch(batch), strict=True))
        except Exception:  # see _map_one_by_one
            mapped.update(_map_one_by_one(map_batch, batch))
    found = {q: m for q, m in mapped.items() if isinstance(m, str)}
    _IN_PROCESS.update(((key, q), m) for q, m in found.items())
    disk.put(disk_key, found)
    known |= found
    failed: dict[int, tuple[object, str]] = {}
    for i, q in query.items():
        if q in known:
            out[i] = known[q]
        else:
            failed[i] = (out[i], f"the atom mapper ({name}) failed on it: {mapped[q]!r}")
    return out, failed
