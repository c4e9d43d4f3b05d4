"""Atom-mapping reactions that arrive without map numbers, for the condensed graph of reaction.

``"rxnmapper"`` is Schwaller et al.'s attention-guided mapper (the ``reactions`` extra). Its wheel
ships the model weights, so it maps offline. Maps are cached per reaction SMILES: in this
process, and across processes in an SQLite file when a cache folder is given. The cache knows
``"rxnmapper"`` by its version; a function by its code, defaults and closure and by the globals it
reads: its own module's helper functions by their code, constants by value, modules and other
libraries' functions by name and installed version, mutable values by type (so an edited or
redefined function, helper or constant never gets the maps of its earlier version); any other
callable, or a function whose closure cannot be hashed, by identity, in this process only.
"""

from __future__ import annotations

import re
import threading
import types
import warnings
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from functools import cache
from importlib.metadata import version
from pathlib import Path, PurePath
from typing import TYPE_CHECKING
from urllib.parse import quote

import joblib
import numpy as np
from rdkit import Chem, RDLogger, rdBase

from .._arguments import expanded
from .._fork import renew_after_fork
from .._labels import few_of
from .._optional import import_optional
from .._warnings import warn
from ._cgr import needs_mapping
from ._errors import mapper_failed
from ._function_key import function_key, script_as_main
from ._smiles import oversized, rdkit_reading, reaction_parts

if TYPE_CHECKING:
    import sqlite3

__all__ = ["ATOM_MAPPERS", "map_reactions"]

ATOM_MAPPERS = ("rxnmapper",)

_MAPPED = re.compile(r":\d+\]")
_BATCH = 16  # rxnmapper's own default batch size
#: the maps a process keeps, of all mappers together, of the reactions mapped (or read from disk)
#: last, so that a library screened through a mapper does not grow memory without end (about 100 MB
#: of USPTO-sized reactions), nor do the maps of each edit of a mapper function (a key of its own,
#: whose maps outlived it); a ``memory`` folder keeps every map on disk
IN_PROCESS_MAPS = 100_000
#: mapper key -> {reaction: mapped}, oldest first; the mappers least recently used first
_IN_PROCESS: OrderedDict[str, OrderedDict[str, str]] = OrderedDict()
_ON_DISK: dict[tuple[str, str], set[str]] = {}  # (mapper key, SQLite file) -> reactions known there
_WATCHED: set[str] = set()  # the keys of object mappers whose end a finalizer watches (one each)
_DEAD: list[str] = []  # the keys of object mappers that ended while the caches' lock was held
_WARNED: set[tuple[Path, str]] = set()  # (atom-map file, "read" / "written"): said once per process
_CACHES_LOCK = threading.Lock()  # threads featurise at once; one's eviction must not break another's read


_SWITCHES = ("DisableLog", "EnableLog")  # RDKit's log switches, in rdBase and in RDLogger (a copy)
#: one freeze at a time: a second thread's freeze would save the first's stand-ins as the switches
_FREEZE_LOCK = threading.RLock()
renew_after_fork(globals(), _CACHES_LOCK=threading.Lock, _FREEZE_LOCK=threading.RLock)


@contextmanager
def _rdkit_log_settings_frozen() -> Iterator[None]:
    """Make RDKit's log switches do nothing for a while: importing rxnmapper (and its helper
    library) turns RDKit's warnings and errors off for the whole process, which would hide every
    later parse error from the user. Ignoring the calls, rather than restoring a snapshot, keeps
    the switches right when another thread is inside ``rdkit_reading()`` (a block of RDKit's logs) as
    the import starts."""
    with _FREEZE_LOCK:
        modules = (rdBase, RDLogger)
        switches = [(module, name, getattr(module, name)) for module in modules for name in _SWITCHES]
        try:
            for module, name, _ in switches:
                setattr(module, name, lambda *channels: None)
            yield
        finally:
            for module, name, switch in switches:
                setattr(module, name, switch)


@cache
def _rxnmapper() -> tuple[str, Callable[[list[str]], list[str]]]:
    # its import warns (pkg_resources, deprecated by setuptools) and would turn RDKit's logs off
    with warnings.catch_warnings(), _rdkit_log_settings_frozen():
        warnings.simplefilter("ignore")
        rxnmapper = import_optional("rxnmapper", "reactions", "atom_mapper='rxnmapper'")
    from .._torch_state import torch_defaults

    # under the classifiers' lock on torch's state: transformers sets the default dtype while it
    # loads a model, and the mapper computes at torch's defaults whatever the caller's
    with warnings.catch_warnings(), torch_defaults(), _rdkit_log_settings_frozen():
        warnings.simplefilter("ignore")
        model = rxnmapper.RXNMapper()

    def map_batch(reactions: list[str]) -> list[str]:
        with torch_defaults(), rdkit_reading():  # its own parsing, quiet as its import meant it
            results = model.get_attention_guided_atom_maps(reactions, canonicalize_rxns=False)
        return [r["mapped_rxn"] for r in results]

    return f"rxnmapper-{version('rxnmapper')}", map_batch


def _mapper(atom_mapper: str | Callable) -> tuple[str, str | None, bool, Callable[[list[str]], list[str]]]:
    """The mapper's name (for messages), its cache key (None: not cached), whether the key holds
    across processes (the SQLite cache), and the mapper."""
    if not callable(atom_mapper):
        if not _rxnmapper.cache_info().currsize:
            from .. import _torch_state

            # threads mapping at once load one model (six threads loaded six) under the lock its
            # load takes anyway, taken first as a fit takes it before it maps: a lock of its own
            # taken before it deadlocked a fit mapping in one thread and a transform in another
            with _torch_state.TORCH_STATE_LOCK:
                _rxnmapper()
        name, map_batch = _rxnmapper()
        return name, name, True, map_batch
    module = script_as_main(getattr(atom_mapper, "__module__", None) or type(atom_mapper).__module__)
    name = f"{module}.{getattr(atom_mapper, '__qualname__', type(atom_mapper).__qualname__)}"
    if isinstance(atom_mapper, types.FunctionType):
        try:
            return name, f"{name}@{joblib.hash(function_key(atom_mapper))}", True, atom_mapper
        except Exception:  # its closure holds what cannot be pickled, or an empty cell: as an object
            pass
    # an object (or a method, a partial): its state may change what it returns, and hashing it
    # (a model, say) at every call would cost more than mapping again; its maps live as long as it
    # (a method's, as long as its object, by its function too: ``m.map`` is a new method object
    # each time it is read, and two methods may share a name, as a decorator's wrappers do; the
    # function lives as long as the object's class)
    key, owner = f"{name}#{id(atom_mapper)}", atom_mapper
    if isinstance(atom_mapper, types.MethodType) and _weakly_referenced(atom_mapper.__self__):
        key, owner = f"{name}#{id(atom_mapper.__self__)}:{id(atom_mapper.__func__)}", atom_mapper.__self__
    with _CACHES_LOCK:
        _bury_the_dead()  # (an object that died had this id: its maps go before they are read)
        if key not in _WATCHED:
            try:  # its maps go with it, before its id can be another object's
                weakref.finalize(owner, _forget_mapper, key)
            except TypeError:  # it cannot be weakly referenced: not cached
                return name, None, False, atom_mapper
            _WATCHED.add(key)
    return name, key, False, atom_mapper


def _weakly_referenced(value: object) -> bool:
    """Whether ``value`` can be weakly referenced (an object of a class with __slots__ cannot)."""
    try:
        weakref.ref(value)
    except TypeError:
        return False
    return True


def _forget_mapper(key: str) -> None:
    """An object mapper's finalizer: its maps go, under the caches' lock. Where the lock is held
    (by another thread, or by this one, whose garbage collection ran the finalizer) the next
    holder buries them, before it reads a key."""
    _DEAD.append(key)
    if _CACHES_LOCK.acquire(blocking=False):
        try:
            _bury_the_dead()
        finally:
            _CACHES_LOCK.release()


def _bury_the_dead() -> None:
    """Forget the maps of the object mappers that died (under ``_CACHES_LOCK``)."""
    while _DEAD:
        key = _DEAD.pop()
        _WATCHED.discard(key)
        _IN_PROCESS.pop(key, None)


def read_only_uri(path: PurePath) -> str:
    """The SQLite URI that opens the file at the absolute ``path`` read-only, with no host: the
    ``as_uri()`` of a Windows share's path (or of a mapped drive's, which ``resolve()`` turns into
    one) names its server, ``file://server/...``, an authority SQLite refuses; so the cache was
    written and never read. ``file:///C:/...`` and ``file:////server/share/...`` are SQLite's forms."""
    posix = path.as_posix()
    return f"file://{'' if posix.startswith('/') else '/'}{quote(posix, safe='/:')}?mode=ro"


class _DiskCache:
    """Mapped reactions in an SQLite file, keyed by mapper and reaction SMILES. A file that cannot
    be read (damaged) or written (a read-only folder) is said once and left aside: the maps are
    made, or kept in memory, without it."""

    def __init__(self, folder: str | Path | None):
        # (joblib keeps a "~/..." location as given, and expands it where it writes)
        self.path = None if folder is None else expanded(folder, "memory") / "sklearn_ltdd_atom_maps.sqlite"

    def _set_aside(self, doing: str, error: Exception) -> None:
        if (self.path, doing) not in _WARNED:
            _WARNED.add((self.path, doing))
            mend = (
                "A Python with the sqlite3 module (built with SQLite) can keep it."
                if isinstance(error, ImportError)
                else "Delete the file, or make it writable, to have it rebuilt."
            )
            warn(
                f"the atom-map cache {self.path} cannot be {doing} ({error}); the maps are "
                f"{'made afresh' if doing == 'read' else 'kept in memory only'}. {mend}"
            )

    def _connect(self, sqlite: types.ModuleType) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite.connect(self.path, timeout=60)
        connection.execute("CREATE TABLE IF NOT EXISTS maps (mapper TEXT, reaction TEXT, mapped TEXT, "
                           "PRIMARY KEY (mapper, reaction))")  # fmt: skip
        return connection

    def _sqlite(self, doing: str) -> types.ModuleType | None:
        """sqlite3, imported here only: a Python built without SQLite (pyenv without the SQLite
        headers, say) has none, and nothing else of the package needs it. Without it the cache
        is set aside (said once), as a file that cannot be read or written is."""
        try:
            import sqlite3
        except ImportError as error:
            self._set_aside(doing, error)
            return None
        return sqlite3

    def get(self, mapper: str, reactions: Sequence[str]) -> dict[str, str]:
        if self.path is None or not self.path.exists() or not reactions:
            return {}
        if (sqlite3 := self._sqlite("read")) is None:
            return {}
        found: dict[str, str] = {}
        reactions = list(reactions)
        try:
            read_only = read_only_uri(self.path.resolve())  # a read never creates the file
            with closing(sqlite3.connect(read_only, uri=True, timeout=60)) as connection:
                # looked up by the table's key, a few hundred at a time (SQLite's limit on
                # parameters): reading the mapper's whole table for every chunk grew with the file
                for start in range(0, len(reactions), 500):
                    batch = reactions[start : start + 500]
                    marks = ",".join("?" * len(batch))
                    query = f"SELECT reaction, mapped FROM maps WHERE mapper = ? AND reaction IN ({marks})"
                    found.update(connection.execute(query, (mapper, *batch)))
        except sqlite3.Error as error:  # damaged, not an SQLite file, or one being made by another process
            if not str(error).startswith(("no such table", "unable to open")):  # (those hold no maps yet)
                self._set_aside("read", error)
            return {}
        return found

    def put(self, mapper: str, maps: dict[str, str]) -> bool:
        """Store ``maps``; whether they are on disk now (or there was nothing to store)."""
        if self.path is None or not maps:
            return True
        if (sqlite3 := self._sqlite("written")) is None:
            return False
        try:
            with closing(self._connect(sqlite3)) as connection, connection:
                connection.executemany("INSERT OR REPLACE INTO maps VALUES (?, ?, ?)",
                                       [(mapper, r, m) for r, m in maps.items()])  # fmt: skip
        except (sqlite3.Error, OSError) as error:  # read-only, damaged, locked, or a full disk
            self._set_aside("written", error)
            return False
        return True


def _answers(map_batch: Callable, reactions: list[str]) -> list[str]:
    """The mapper's answers, refused unless they are a sequence of as many strings as questions
    (a string would otherwise be read character by character)."""
    answers = map_batch(list(reactions))  # a copy: a mapper that answers in place overwrote the questions
    listed = not isinstance(answers, str | bytes | Mapping) and hasattr(answers, "__len__")
    listed = listed and getattr(answers, "ndim", 1) == 1  # (a list of lists: its items are named below)
    if not listed or len(answers) != len(reactions):
        what = f"{len(answers)} items" if listed else type(answers).__name__
        raise TypeError(f"an atom mapper returns a list of as many reaction SMILES as it is given "
                        f"({len(reactions)}), not {what}")  # fmt: skip
    answers = list(answers)
    if kinds := {type(answer).__name__ for answer in answers if not isinstance(answer, str)}:
        raise TypeError(f"an atom mapper returns reaction SMILES, strings, not {', '.join(sorted(kinds))}")
    return answers


def _map_one_by_one(map_batch: Callable, reactions: list[str]) -> dict[str, str | Exception]:
    """Each reaction alone, so that one failure names its own reaction."""
    out: dict[str, str | Exception] = {}
    for reaction in reactions:
        try:
            out[reaction] = _answers(map_batch, [reaction])[0]
        except Exception as error:  # the mapper's own errors vary (tokens, RDKit, shapes)
            out[reaction] = error
    return out


def _writable(mol: Chem.Mol | None) -> bool:
    """Whether RDKit can write a molecule it read as SMILES without crashing (``MAX_ATOMS``)."""
    return mol is not None and not oversized(mol)


def _unmapped(reaction: str) -> list[str | None]:
    """Canonical SMILES of a reaction's reactants and products, map numbers removed (None for a side
    RDKit cannot read or write)."""
    sides = [Chem.MolFromSmiles(_MAPPED.sub("]", side)) for side in reaction_parts(reaction.strip())[::2]]
    return [Chem.MolToSmiles(mol) if _writable(mol) else None for mol in sides]


def _question(reaction: str, reagents_as_reactants: bool = False) -> str:
    """What the mapper is asked for a reaction: ``reactants>>products`` as canonical SMILES without
    map numbers, so that every spelling of one reaction gets one mapping (rxnmapper's answer
    depends on the spelling: 18 % of USPTO-50k reactions written another way were mapped
    otherwise); with ``reagents_as_reactants``, its reagents join the reactants. One RDKit cannot
    read is asked as written, its numbers removed."""
    reactants, reagents, products = reaction_parts(reaction.strip())
    if reagents_as_reactants and reagents:
        reactants = f"{reactants}.{reagents}" if reactants else reagents
    sides = _unmapped(f"{reactants}>>{products}")
    if None in sides:
        return _MAPPED.sub("]", f"{reactants}>>{products}")
    return ">>".join(sides)


def _made_from_nothing(mapped: str) -> int:
    """How many product heavy atoms of a mapped reaction have no reactant partner."""
    parts = reaction_parts(mapped)
    if len(parts) != 3:  # (a custom mapper's answer to a reaction RDKit cannot read)
        return 0  # the featuriser names the row
    reactants, products = (Chem.MolFromSmiles(side, sanitize=False) for side in parts[::2])
    if reactants is None or products is None:
        return 0  # the featuriser names the row
    partners = {atom.GetAtomMapNum() for atom in reactants.GetAtoms()} - {0}
    return sum(
        atom.GetAtomicNum() > 1 and atom.GetAtomMapNum() not in partners for atom in products.GetAtoms()
    )


def _molecules(side: str, numbered: set[int] | None = None) -> Counter[str]:
    """Canonical SMILES of the molecules of a reaction's side, without map numbers; with
    ``numbered``, of those only that hold an atom whose map number is in it."""
    mol = Chem.MolFromSmiles(side)
    found: Counter[str] = Counter()
    for part in Chem.GetMolFrags(mol, asMols=True) if _writable(mol) else ():
        if numbered is None or {atom.GetAtomMapNum() for atom in part.GetAtoms()} & numbered:
            for atom in part.GetAtoms():
                atom.SetAtomMapNum(0)
            found[Chem.MolToSmiles(Chem.MolFromSmiles(Chem.MolToSmiles(part)))] += 1  # as if written so
    return found


def _reagents_drawn_on(reaction: str, mapped: str) -> list[str]:
    """The reagents of ``reaction`` whose atoms ``mapped`` (its mapping with the reagents among the
    reactants) pairs with product atoms: reactants written in the wrong place. A molecule written
    both among the reactants and among the reagents is one where more copies of it are drawn on
    than the reactants hold."""
    reactants, reagents, _ = reaction_parts(reaction.strip())
    mapped_reactants, _, mapped_products = reaction_parts(mapped)
    products = Chem.MolFromSmiles(mapped_products, sanitize=False)
    if products is None:
        return []
    made = {atom.GetAtomMapNum() for atom in products.GetAtoms()} - {0}
    written, among_reagents = _molecules(reactants), _molecules(reagents)
    drawn_on = _molecules(mapped_reactants, made)
    return sorted(m for m, n in drawn_on.items() if m in among_reagents and n > written[m])


def _checked(query: str, mapped: str | Exception) -> str | Exception:
    """The mapper's answer, or why it is refused: an answer that is another reaction (a mapper's
    answers shifted or reordered, say) would give a row another row's graph. Where RDKit cannot
    read the reaction asked, an answer it cannot read either is passed on (the featuriser names
    the row as unreadable); one it can read is another reaction."""
    if isinstance(mapped, str):
        with rdkit_reading():
            asked, answered = _unmapped(query), _unmapped(mapped)
        if answered != asked and not (None in asked and None in answered):
            return ValueError(f"it returned another reaction, {mapped!r}")
    return mapped


def _map_batch(map_batch: Callable, batch: list[str]) -> dict[str, str | Exception]:
    """A batch's answers, checked; the reactions whose answer is refused, or all of them where the
    batch fails, are asked again one at a time (which also undoes answers in another order)."""
    try:
        answers = {q: _checked(q, m) for q, m in zip(batch, _answers(map_batch, batch), strict=True)}
    except Exception:  # the mapper's own errors, or answers that are not a list of reactions
        answers = {}
    again = [q for q in batch if not isinstance(answers.get(q), str)]
    answers.update((q, _checked(q, m)) for q, m in _map_one_by_one(map_batch, again).items())
    return answers


def _maps(
    wanted: set[str], key: str | None, lasting: bool, map_batch: Callable, cache_folder: str | Path | None
) -> tuple[dict[str, str], dict[str, str | Exception]]:
    """The maps of the reactions ``wanted``, from the caches or the mapper (``key`` names it in
    the caches, None: in none), and what the mapper answered, failures included."""
    with _CACHES_LOCK:
        _bury_the_dead()
        in_process = OrderedDict() if key is None else _IN_PROCESS.setdefault(key, OrderedDict())
        known = {q: in_process[q] for q in wanted if q in in_process}
    disk = _DiskCache(cache_folder if lasting else None)
    from_disk = disk.get(key, [q for q in wanted if q not in known])  # read only for what memory lacks
    known |= from_disk
    todo = sorted(wanted - known.keys())
    mapped: dict[str, str | Exception] = {}
    for start in range(0, len(todo), _BATCH):
        mapped.update(_map_batch(map_batch, todo[start : start + _BATCH]))
    known |= {q: m for q, m in mapped.items() if isinstance(m, str)}
    new: dict[str, str] = {}  # what the disk file lacks
    with _CACHES_LOCK:
        if key is not None:  # the last used; (again: another's maps may have taken all its room)
            in_process = _IN_PROCESS.setdefault(key, in_process)
            _IN_PROCESS.move_to_end(key)
        for q, m in known.items():  # the disk's answers too: this process need not read them again
            in_process[q] = m
            in_process.move_to_end(q)  # the last used go last, and the first used go first
        _forget_the_least_recently_used()
        if disk.path is not None:  # the file gets what it lacks, maps made before it was set too
            if not disk.path.exists():  # deleted since (to clear the cache): what it held is gone
                _ON_DISK.pop((key, str(disk.path)), None)
            written = _ON_DISK.setdefault((key, str(disk.path)), set())
            written.update(from_disk)  # there already: a cache that only answers is not written
            new = {q: m for q, m in known.items() if q not in written}
    if disk.path is not None and disk.put(key, new):  # (maps a failed write lost are tried again)
        with _CACHES_LOCK:
            written.update(new)
            # bounded as the maps are, all files together: forgetting costs a rewrite only
            if sum(map(len, _ON_DISK.values())) > IN_PROCESS_MAPS:
                _ON_DISK.clear()
    return known, mapped


def _forget_the_least_recently_used() -> None:
    """Keep ``IN_PROCESS_MAPS`` maps of all mappers together (under ``_CACHES_LOCK``): the least
    recently used mappers' oldest maps go first, and a mapper with none left goes."""
    excess = sum(map(len, _IN_PROCESS.values())) - IN_PROCESS_MAPS
    while excess > 0 and _IN_PROCESS:
        key, maps = next(iter(_IN_PROCESS.items()))
        while maps and excess > 0:
            maps.popitem(last=False)
            excess -= 1
        if not maps:
            del _IN_PROCESS[key]


@rdkit_reading()  # the questions' canonical SMILES are one spelling of each reaction
def map_reactions(
    reactions: np.ndarray, atom_mapper: str | Callable, cache_folder: str | Path | None = None
) -> tuple[np.ndarray, dict[int, tuple[object, str]]]:
    """Atom-map the reaction SMILES that do not count as mapped; return them with the failures.

    A reaction counts as mapped when its reactants carry map numbers and every heavy atom of its
    products does, some product number pairing with a reactant's (:func:`~._cgr.mapping_gap`); a
    partly mapped one loses its numbers and is mapped afresh. Mapped rows, and rows that are not
    readable reactions, are returned as they are (the featuriser reports the latter). Only
    ``reactants>>products`` goes to the mapper, as canonical SMILES (one spelling for every way of
    writing the reaction): reagents are not used by the graphs. Where its answer makes product
    atoms from nothing and the reaction has reagents, the mapper is asked again with the reagents
    among the reactants: where it then draws all of them from reagents, those are reactants written
    in the wrong place, and the row is reported, as a mapped one with map numbers on its reagents
    is. A row the mapper fails on, or maps into another reaction (other molecules once the map
    numbers are removed), keeps its input and is reported as ``{row: (value, reason)}``, never
    dropped.
    """
    out = np.array(reactions, dtype=object)
    with rdkit_reading():  # a row RDKit cannot read is reported by the featuriser, named
        rows = [i for i, r in enumerate(out) if needs_mapping(r)]
    if not rows:
        return out, {}
    name, key, lasting, map_batch = _mapper(atom_mapper)
    # a partly mapped reaction is mapped afresh: its numbers could clash with the mapper's
    with rdkit_reading():
        query = {i: _question(out[i]) for i in rows}
    known, mapped = _maps(set(query.values()), key, lasting, map_batch, cache_folder)
    with rdkit_reading():
        suspect = {
            i: _question(out[i], reagents_as_reactants=True)
            for i, q in query.items()
            if q in known and reaction_parts(out[i].strip())[1] and _made_from_nothing(known[q])
        }
    # (an answer that fails here leaves the row as the first answer maps it)
    again, _ = _maps(set(suspect.values()), key, lasting, map_batch, cache_folder) if suspect else ({}, {})
    with rdkit_reading():
        # only where the reagents account for every atom made from nothing: where a reactant is
        # missing altogether, the mapper may draw some of its atoms from a solvent, not a reactant
        misplaced = {
            i: _reagents_drawn_on(out[i], again[q])
            for i, q in suspect.items()
            if q in again and not _made_from_nothing(again[q])
        }
    failed: dict[int, tuple[object, str]] = {}
    for i, q in query.items():
        if misplaced.get(i):
            reason = (
                f"the atom mapper ({name}) makes {_made_from_nothing(known[q])} of its product atoms from "
                f"nothing, and finds them all in its reagents {few_of(misplaced[i])}, which no graph reads: "
                "write those molecules among the reactants, before the first '>'"
            )
            failed[i] = (out[i], reason)
        elif q in known:
            out[i] = known[q]
        else:
            failed[i] = (out[i], mapper_failed(name, mapped[q]))
    return out, failed
