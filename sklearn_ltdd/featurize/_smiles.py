"""Parsing SMILES with RDKit, row by row, with the reason for every row it refuses (the input's
shape is checked in ``_input``, the errors that name the rows are in ``_errors``)."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from rdkit import Chem, rdBase

from .._fork import renew_after_fork
from .._labels import shortened
from ._errors import InvalidSmilesError, rows_named_by_index
from ._input import check_smiles

__all__ = [
    "MAX_ATOMS",
    "PARSE_VERSION",
    "bad_rows_of",
    "deduplicate",
    "mols_from_smiles",
    "oversized",
    "parse_mapped",
    "rdkit_refusal",
    "reaction_parts",
    "reading_version",
    "written_reason",
]

_INNER_SPACE = re.compile(r"\S\s+\S")
#: a molfile's text: its counts line's version, or its last line
_MOL_BLOCK = re.compile(r"V[23]000|^M  END", re.MULTILINE)
#: an InChIKey, a hash that holds no structure: 14 letters, 8 and S or N (standard or not) and A
#: (its version), 1
_INCHIKEY = re.compile(r"[A-Z]{14}-[A-Z]{8}[SN]A-[A-Z]")
#: a bracket atom, and in one a hydrogen count or charge of three digits or more, which RDKit keeps
#: in a byte and wraps around without a word (C[CH2562]C is propane, [C+200] is [C-56]); found in
#: two steps, each scanning a row once (one pattern tried every count against the row's end: a
#: malformed row of 60,000 characters took 9 s, "C[" + "CH100" * 20000 five)
_BRACKET_ATOM = re.compile(r"\[[^\[\]]*\]")
_WRAPPED_COUNT = re.compile(r"(?:H|[+-])[1-9]\d{2,}")  # (with a leading zero: RDKit's syntax error)
#: an atomic number of three digits or more written out, ``[#262]``: RDKit keeps it in a byte too
_ATOMIC_NUMBER = re.compile(r"#([1-9]\d{2,})")
#: the last element
MAX_ATOMIC_NUMBER = 118
#: ChemAxon's extended SMILES, "CC[C@H](C)O |&1:2|"; its whitespace is matched from where a run of
#: it begins only: tried at every space of a long run, the search took seconds (30,000 spaces: 2 s)
CX_EXTENSION = re.compile(r"(?<!\s)\s+\|[^|\s]*\|\s*$")
#: an extension of fragment groups alone (|f:3.4|, |f:0.1,2.3|), which says which fragments are one
#: salt and changes no graph; reactions from Lowe's USPTO files end in one
_FRAGMENT_GROUPS = re.compile(r"\s*\|f:\d+(?:[.,]\d+)*\|\s*")


def _without_extension(value: str) -> str:
    """A SMILES stripped of surrounding whitespace and of a trailing CXSMILES extension (``|...|``,
    which RDKit reads as part of the molecule, and whose atom labels may be any text)."""
    return CX_EXTENSION.sub("", value.strip())


def _is_stray(character: str) -> bool:
    """A character outside ASCII or an ASCII control character (NUL, ESC), other than whitespace
    (stripped at either end, refused inside as such)."""
    return not character.isspace() and not (character.isascii() and character.isprintable())


def stray_character_reason(value: str) -> str:
    """Why a SMILES holding a stray character is bad: RDKit drops one at either end and reads the
    rest (``"CCO†"`` and ``"\\x00CCO"`` are ethanol, ``"CCİ"`` typed for ``"CCI"`` is ethane), and
    refuses one inside. The character is named by its code point (an invisible one too) and its
    position in the row as given."""
    position, character = next((i, c) for i, c in enumerate(value) if _is_stray(c))
    if character == "\ufeff" and not value[:position].strip():
        return (
            "a byte-order mark (U+FEFF) before it, which a file read as 'utf-8' keeps in its first "
            "line; read the file with encoding='utf-8-sig'"
        )
    kind = "non-ASCII character" if not character.isascii() else "control character"
    return (
        f"the {kind} U+{ord(character):04X} at position {position}; a SMILES is printable ASCII, "
        "and RDKit drops such a character at either end and reads the rest"
    )


def written_reason(value: str) -> str | None:
    """Why a SMILES as written is bad before RDKit reads it, or None; a trailing CXSMILES extension
    (whose atom labels may be any text) is not looked at.

    - a mol block, a molfile's text, given where a SMILES goes;
    - a query bond ``~`` (SMARTS's any bond), which RDKit's SMILES reader takes as a bond that fills
      no valence (``CC~C``: ethane beside methane), or as a single bond where it closes a ring;
    - whitespace inside it: RDKit reads what follows a space as the molecule's name, so ``"CC O"``
      would silently be ethane;
    - a character outside ASCII or a control character (:func:`stray_character_reason`);
    - a bracket atom's hydrogen count or charge of 100 or more (:data:`_WRAPPED_COUNT`), or its
      atomic number above 118 (``[#262]``).
    """
    text = _without_extension(value)
    if "\n" in text and _MOL_BLOCK.search(text):
        return "a mol block (a molfile's text), not a SMILES; RDKit's Chem.MolFromMolBlock reads it"
    if "~" in text:
        return (
            "a query bond '~' (SMARTS's any bond), not one molecule: RDKit reads it as a bond that fills "
            "no valence (CC~C: ethane beside methane); write the bond meant"
        )
    if _INNER_SPACE.search(text):
        return "whitespace inside it; RDKit would read only the part before"
    if not (text.isascii() and text.isprintable()) and any(map(_is_stray, text)):
        return stray_character_reason(value)
    for atom in (match.group() for match in _BRACKET_ATOM.finditer(text)):
        if (reason := _misread_atom(atom)) is not None:  # (the row's own repr is cut: its reason is not)
            return f"the atom {shortened(atom, 40)}, {reason}"
    return None


def _misread_atom(atom: str) -> str | None:
    """Why RDKit would misread the bracket ``atom``: a hydrogen count or charge of 100 or more, or
    an atomic number no element has (each held in a byte, so one of 256 or more wraps round)."""
    if _WRAPPED_COUNT.search(atom):
        return (
            "whose hydrogen count or charge of 100 or more no atom has (RDKit wraps one of 256 or more "
            "around: C[CH2562]C reads as propane): a map number that lost its ':'?"
        )
    number = _ATOMIC_NUMBER.search(atom)
    digits = number.group(1) if number else ""  # (int() of 4,300 digits or more raises)
    if len(digits) > 3 or (digits and int(digits) > MAX_ATOMIC_NUMBER):
        written = digits if len(digits) <= 6 else f"of {len(digits):,} digits"
        return (
            f"whose atomic number {written} no element has (the last is {MAX_ATOMIC_NUMBER}; RDKit "
            "wraps one of 256 or more around: [#262] reads as carbon)"
        )
    return None


def deduplicate(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct inputs (first-seen order) and, per row, its position among them.

    Strings are shared by value; anything else (None, NaN, numbers) keeps its own slot so it
    is reported at its own row.
    """
    slots: dict[object, int] = {}
    codes = np.empty(len(values), dtype=np.int64)
    for row, value in enumerate(values):
        key = value if isinstance(value, str) else ("<not a string>", row)
        codes[row] = slots.setdefault(key, len(slots))
    unique = np.empty(len(slots), dtype=object)
    for key, slot in slots.items():
        unique[slot] = key if isinstance(key, str) else values[key[1]]
    return unique, codes


def bad_rows_of(bad: dict[int, tuple[object, str]], codes: np.ndarray) -> dict[int, tuple[object, str]]:
    """The bad distinct inputs of :func:`deduplicate` as the rows that hold them, in row order."""
    return {int(row): bad[codes[row]] for row in np.flatnonzero(np.isin(codes, list(bad)))}


def parse_rows(
    values: Sequence[object], parse: Callable[[str], tuple[object | None, str]], bad: dict
) -> Iterator[tuple[int, object | None]]:
    """Parse rows one at a time, yielding ``(row, result)``; bad rows go into ``bad`` with a reason.

    A row that is not a non-empty string, that has whitespace inside it, a character outside
    ASCII, a control character, a bracket atom's hydrogen count or charge of 100 or more or its
    atomic number above 118, is bad without being parsed; leading and trailing whitespace is
    stripped. ``parse`` takes a string and returns ``(result, reason)``; a None result marks the row
    bad for that reason. Results are yielded rather than collected, so a caller that consumes each
    molecule keeps only one alive at a time.
    """
    # RDKit's reading settings for as long as the rows' molecules are read and featurised, between
    # the yields too (its own messages would name no row: we report all rows)
    with rdkit_reading():
        for i, value in enumerate(values):
            if isinstance(value, bytes):
                result, reason = None, "bytes, not a string; decode it first (e.g. value.decode())"
            elif isinstance(value, Chem.Mol):
                result, reason = None, "an RDKit Mol, not a SMILES string; pass Chem.MolToSmiles(mol)"
            elif not isinstance(value, str) or not value.strip():
                result, reason = None, _no_string(value)
            elif written := written_reason(value):
                result, reason = None, written
            else:
                result, reason = parse(value.strip())
            if result is None:
                bad[i] = (value, reason)
            yield i, result


def _no_string(value: object) -> str:
    """Why ``value``, which is not a non-empty string, is no SMILES."""
    if isinstance(value, str):
        return "an empty string" if not value else "only whitespace"
    if pd.api.types.is_scalar(value) and pd.isna(value):  # None, NaN, pandas' NA
        return "missing"
    return f"of type {type(value).__name__}, not a SMILES string"


_READING_LOCK = threading.Lock()
#: the readings on now, by thread; the stereo perception to give back after the last; the logs' block
_reading: dict = {"threads": Counter(), "setting": True, "block": None}


@contextmanager
def rdkit_reading() -> Iterator[None]:
    """RDKit as SMILES are read here, from the first reading on to the end of the last (its
    settings are the process's: another thread reading molecules of its own meanwhile has them too,
    and a log switch of the user's set meanwhile is undone with the block).

    - Its legacy stereo perception. The new one (``Chem.SetUseLegacyStereoPerception(False)``, its
      coming default) labels a double bond cis or trans relative to the atoms the SMILES was written
      with, and ranks the atoms by it: one molecule written two ways (``Cl/C(Br)=C(/F)I``,
      ``Br/C(Cl)=C(\\F)I``) gave two graphs. The caller's setting is given back after the last.
    - Its logs blocked: bad rows are reported, named. Every block of the package's is this one (a
      block of each call's own, as ``rdBase.BlockLogs`` gives, let the first to end unblock those
      of others, in threads).
    """
    with _READING_LOCK:
        if not _reading["threads"]:
            _reading["setting"] = Chem.GetUseLegacyStereoPerception()
            _reading["block"] = ExitStack()
            _reading["block"].enter_context(rdBase.BlockLogs())
        # (set by every reading: one left unfinished, a generator never closed, holds the count)
        Chem.SetUseLegacyStereoPerception(True)
        _reading["threads"][threading.get_ident()] += 1
    try:
        yield
    finally:
        with _READING_LOCK:
            _end_readings(threading.get_ident(), 1)


def _end_readings(thread: int, n: int) -> None:
    """End ``n`` readings of ``thread``; after the last of all, give RDKit back its settings."""
    _reading["threads"][thread] -= n
    _reading["threads"] = +_reading["threads"]  # (threads of none left out)
    if not _reading["threads"] and _reading["block"] is not None:
        Chem.SetUseLegacyStereoPerception(_reading["setting"])
        _reading["block"].close()
        _reading["block"] = None


def _forked() -> threading.Lock:
    """In a forked child, the lock (a thread may have held it at the fork) and the readings of the
    thread that forked alone: the others' threads are not in the child, and theirs never end."""
    forking = threading.get_ident()
    for thread, n in list(_reading["threads"].items()):
        if thread != forking:
            _end_readings(thread, n)
    return threading.Lock()


renew_after_fork(globals(), _READING_LOCK=_forked)


#: the version of how a SMILES becomes RDKit's molecule, part of a ``memory`` cache's key with the
#: features' (2: a hydrogen atom that only defines a double bond's geometry is no node; 3: a
#: character outside ASCII makes a row bad; 4: a reaction's parts that its mode does not parse on
#: their own, the reagents among them, must be SMILES; 5: a reaction whose products hold no heavy
#: atom is not atom-mapped, an ASCII control character or a hydrogen count or charge of 100 or more
#: makes a row bad, and a heavy atom's isotope is cleared; 6: a molecule of more than MAX_ATOMS
#: atoms makes a row bad; 7: a reaction's CXSMILES extension of fragment groups alone is read; 8: a
#: ring's E/Z double bond written with hydrogen atoms keeps its geometry; 9: stereo groups and
#: unknown double-bond geometry (CXSMILES) are kept where isotopes or atom maps are cleared, a
#: hydrogen written [#1] is one written [H], a dummy atom's isotope ([1*]) is cleared, and a query
#: or Markush CXSMILES makes a row bad; 10: so does a query bond, '~'). Raise it with any change of
#: what a SMILES gives: models record it (``versions_``), graph stores too (their recipe), and a
#: screen's progress, so that none is read as made by this one; tests/test_parse_version.py's
#: panel tells when it changed.
PARSE_VERSION = 10


def reading_version() -> tuple[int, str]:
    """What reads a SMILES here: :data:`PARSE_VERSION` and RDKit's version (read when asked), which
    a ``memory`` cache keys its graphs on and a graph store's recipe records."""
    return PARSE_VERSION, rdBase.rdkitVersion


#: the most atoms one molecule (a connected fragment) read may have: RDKit writes a SMILES
#: recursively, which reading one with atom maps or isotopes needs, some 450 bytes of stack an
#: atom: a chain of some 18,000 atoms overflowed Linux's 8 MiB stack (the process crashed, a
#: notebook's kernel with it), and 4,500 a thread's 2 MB, the stack of Python on Windows;
#: polyphenylene of 7,200 atoms opened more rings than its writer allows. Insulin has some 400.
MAX_ATOMS = 2_000
#: an isotope, written first inside an atom's brackets ([13CH4], [2H])
_ISOTOPE = re.compile(r"\[\d")
#: a hydrogen written as an atom of its own, by its symbol or its atomic number ([H], [H+], [#1])
_HYDROGEN_ATOM = re.compile(r"\[(?:H|#1(?!\d))")
_KEEP_NO_PLAIN_HYDROGEN = Chem.RemoveHsParameters()
_KEEP_NO_PLAIN_HYDROGEN.removeDefiningBondStereo = True
_KEEP_HYDROGEN_ATOMS = Chem.SmilesParserParams()
_KEEP_HYDROGEN_ATOMS.removeHs = False


def oversized(mol: Chem.Mol) -> int:
    """The atoms of ``mol``'s largest fragment where they are more than ``MAX_ATOMS``, else 0."""
    if mol.GetNumAtoms() <= MAX_ATOMS:
        return 0
    largest = max(map(len, Chem.GetMolFrags(mol)))
    return largest if largest > MAX_ATOMS else 0


def mol_from_smiles(smiles: str) -> Chem.Mol | None:
    """RDKit's molecule of one SMILES, or None, with every hydrogen that RDKit would keep only for
    the double-bond geometry it defines (``[H]/N=C(/N)N``) folded into its atom like any other:
    otherwise such a hydrogen stays a graph node, and one molecule gets two graphs. Isotopic
    hydrogens stay nodes, as RDKit keeps them; a heavy (or dummy) atom's isotope is cleared, as no
    feature of the graph: RDKit's Morgan invariants read it (``[14CH3]C(=O)O`` had other bits than acetic
    acid, ``[13CH4]`` not) and its canonical ranks order atoms by it. None also for a molecule
    of more than ``MAX_ATOMS`` atoms, and for a query or Markush structure of a CXSMILES
    (:func:`_query_features`)."""
    mol = _read(smiles)
    if mol is not None and oversized(mol):
        return None
    if mol is not None and "|" in smiles and _query_features(mol):  # (only CXSMILES has them)
        return None
    # first the hydrogens, so that the reading again below keeps every atom
    if mol is not None and _HYDROGEN_ATOM.search(smiles):  # how every hydrogen RDKit keeps is written
        with rdkit_reading():  # RDKit would note each lone hydrogen ([H+]) it leaves
            mol = Chem.RemoveHs(mol, _KEEP_NO_PLAIN_HYDROGEN)
    if mol is not None and _ISOTOPE.search(smiles):
        for atom in mol.GetAtoms():
            if atom.GetAtomicNum() != 1:  # (a dummy atom's too: [1*] labels an attachment point)
                atom.SetIsotope(0)
        # read again: the stereo that only the isotope made ([13CH3]/C(C)=C/C's E) goes with it
        mol = _read_again(mol)[0]
    return mol


def _read(smiles: str) -> Chem.Mol | None:
    """``Chem.MolFromSmiles``, whose removal of hydrogens written as atoms can turn a ring's E
    double bond into Z and Z into E (RDKit 2026.09: ``[H]/C1=C(/[H])CCCCCCCC1``, trans-cyclodecene
    written with its hydrogens, read as cis; ``[H]/C1=C/CCCCCC1``, cis-cyclooctene, as trans), as
    it goes by the directions of the hydrogens' bonds:
    where such a hydrogen meets a bond direction, the hydrogens are removed only once the
    directions of the double bonds' other neighbours are set from their stereo."""
    if not _HYDROGEN_ATOM.search(smiles) or not ("/" in smiles or "\\" in smiles):
        return Chem.MolFromSmiles(smiles)
    mol = Chem.MolFromSmiles(smiles, _KEEP_HYDROGEN_ATOMS)
    if mol is None:  # (a hydrogen of two bonds, which only the parser's removal makes sense of)
        return Chem.MolFromSmiles(smiles)
    Chem.SetDoubleBondNeighborDirections(mol)
    return Chem.RemoveHs(mol)  # what the parser removes


#: what can give a molecule stereo, which RDKit perceives with map numbers counted: a bond
#: direction (E/Z), a chiral tag (an atom that is a stereocentre only because maps tell its
#: neighbours apart keeps its tag) or a CXSMILES extension (its stereo flags)
_STEREO = re.compile(r"[/\\@|]")


def parse_mapped(smiles: str) -> tuple[Chem.Mol, np.ndarray] | None:
    """Parse one SMILES as if it were written without atom maps; also each atom's map number (0: none).

    RDKit's stereo perception counts map numbers: a mapped double bond can read STEREOZ where the
    same bond unmapped reads STEREOE, and an atom that is a stereocentre only because maps tell
    its neighbours apart keeps its chiral tag (``[CH3:1][C@H:2]1CC[CH:5](O)CC1``), which the
    canonical node order reads. Writing the molecule out without maps (:func:`_read_again`) and
    reading it back gives exactly the graph of the unmapped SMILES; a SMILES without any stereo
    (no ``/``, ``\\``, ``@`` or CXSMILES extension) is not read twice, as its maps changed
    nothing the graph holds (docs/benchmarks.md). Writing can reorder the atoms, so the map
    numbers are returned in the new order. None: RDKit cannot parse the SMILES.
    """
    mol = mol_from_smiles(smiles)
    if mol is None:
        return None
    if ":" not in smiles:  # no map numbers (":n]"); reading each atom's would cost a third of the parse
        return mol, np.zeros(mol.GetNumAtoms(), dtype=np.int64)
    maps = np.array([atom.GetAtomMapNum() for atom in mol.GetAtoms()], dtype=np.int64)
    if not maps.any():
        return mol, maps
    for atom in mol.GetAtoms():
        atom.SetAtomMapNum(0)
    if not _STEREO.search(smiles):  # nothing the maps changed: no write, no second parse
        return mol, maps
    unmapped, order = _read_again(mol)
    return None if unmapped is None else (unmapped, maps[order])


_AS_GIVEN = Chem.SmilesWriteParams()
_AS_GIVEN.canonical = False


def _read_again(mol: Chem.Mol) -> tuple[Chem.Mol | None, list[int]]:
    """``mol`` written as SMILES and read back, so that RDKit perceives its stereo anew, and the
    order in which its atoms were written (the new atoms'). Stereo groups (``|&1:1,3|``), which
    canonical ranks read, are written as CXSMILES; an unknown geometry of a double bond
    (``|ctu:1|``, STEREOANY), which RDKit does not write, is carried over."""
    written = Chem.MolToSmiles(mol, _AS_GIVEN)
    order = list(mol.GetPropsAsDict(includePrivate=True, includeComputed=True)["_smilesAtomOutputOrder"])
    if mol.GetStereoGroups():  # (the CXSMILES writer writes in the same order, but does not record it)
        written = Chem.MolToCXSmiles(mol, _AS_GIVEN)
    again = Chem.MolFromSmiles(written)
    if again is None or again.GetNumAtoms() != mol.GetNumAtoms():
        return again, order
    new = np.argsort(order)  # each old atom's place in the new molecule
    for bond in mol.GetBonds():
        if bond.GetStereo() == Chem.BondStereo.STEREOANY:
            twin = again.GetBondBetweenAtoms(int(new[bond.GetBeginAtomIdx()]), int(new[bond.GetEndAtomIdx()]))
            if twin is not None and twin.GetStereo() == Chem.BondStereo.STEREONONE:
                twin.SetStereo(Chem.BondStereo.STEREOANY)
    return again, order


#: the atom labels of CXSMILES's query atoms that RDKit reads as a plain dummy atom, "any atom"
_QUERY_LABELS = {"A_p", "AH_p", "Q_e", "QH_p", "X_p", "XH_p", "M_p", "MH_p", "star_e"}


#: what RDKit makes of every dummy atom in a CXSMILES, an attachment point's too: "any atom but H"
_ANY_HEAVY_ATOM = "AtomAtomicNum 1 != val"
#: the types of substance group that make a polymer of the atoms written (not those of mixtures,
#: components, formulations or a generic bracket, which describe the fragments read)
_POLYMER_GROUPS = {"SRU", "MON", "MER", "COP", "GRA", "CRO", "MOD", "ANY"}


def _query_features(mol: Chem.Mol) -> list[str]:
    """What of a CXSMILES makes ``mol`` a query or a Markush structure, not one molecule: query
    atoms (``|$X_p$|``, ``|rb:|``, ``|u:|``, ``|s:|``), a position-variation bond (``|m:|``), a
    link node (``|LN:|``), a polymer (``|Sg:n:|`` and the other polymer groups). RDKit reads each
    as one molecule, a dummy atom or the atoms written, which is not the structure meant (a query
    bond, ``~``, is refused as written: :func:`written_reason`)."""
    found = []
    if any(_is_query_atom(atom) for atom in mol.GetAtoms()):
        found.append("a query atom")
    if any(bond.HasProp("_MolFileBondEndPts") for bond in mol.GetBonds()):
        found.append("a position-variation bond")
    if mol.HasProp("_molLinkNodes"):
        found.append("a link node")
    if polymers := sorted({g.GetProp("TYPE") for g in Chem.GetMolSubstanceGroups(mol)} & _POLYMER_GROUPS):
        found.append(f"a polymer (substance group {', '.join(polymers)})")
    return found


def _is_query_atom(atom: Chem.Atom) -> bool:
    """An atom that stands for several (a query label, or a query beyond the one RDKit gives
    every dummy atom of a CXSMILES, an attachment point's, ``[*:1]C |(0,0,;1,0,)|``, too)."""
    if atom.GetPropsAsDict().get("atomLabel") in _QUERY_LABELS:
        return True
    if not atom.HasQuery():
        return False
    return atom.GetAtomicNum() != 0 or atom.DescribeQuery().strip() != _ANY_HEAVY_ATOM


_SYNTAX = "its syntax, e.g. a typo, an unclosed ring or branch, an unknown atom"


def rdkit_refusal(smiles: str) -> str:
    """Why RDKit refuses a SMILES it cannot parse: an InChI or InChIKey given for it, its syntax,
    the chemistry RDKit's sanitising finds wrong (a valence, an aromatic ring it cannot kekulize),
    in RDKit's words, a CXSMILES extension it cannot apply, a query or Markush structure
    (:func:`_query_features`), or a molecule too large (more than ``MAX_ATOMS``, 2,000 atoms)."""
    if smiles.startswith("InChI="):
        return "an InChI, not a SMILES; RDKit's Chem.MolFromInchi reads it"
    if _INCHIKEY.fullmatch(smiles):
        return "an InChIKey, not a SMILES: a hash, which holds no structure to read"
    with rdkit_reading():
        mol = Chem.MolFromSmiles(smiles, sanitize=False)
        if mol is not None:
            try:
                Chem.SanitizeMol(mol)
            except Chem.MolSanitizeException as error:
                return f"RDKit cannot parse it: {' '.join(str(error).split())}"
            except RuntimeError as error:  # an invariant of RDKit's own code, not the chemistry's
                words = ": ".join(line.strip() for line in str(error).splitlines()[:2])
                return (
                    f"RDKit cannot parse it: its checks fail inside RDKit ({words}), as for an atomic "
                    "number above 118 or an atom of 128 bonds or more"
                )
            if n_atoms := oversized(mol):
                return (
                    f"a molecule of {n_atoms:,} atoms, more than the {MAX_ATOMS:,} this package "
                    "reads: RDKit's SMILES writer crashes the process on one of some 18,000 in a chain"
                )
            if found := _query_features(mol):
                return (
                    f"a query or Markush structure, not one molecule: its CXSMILES holds "
                    f"{' and '.join(found)}, which RDKit reads as one molecule; give the molecules meant"
                )
        bare = CX_EXTENSION.sub("", smiles)
        if bare != smiles and Chem.MolFromSmiles(bare) is not None:
            return "RDKit cannot read its CXSMILES extension (the |...| after the SMILES)"
    return f"RDKit cannot parse it: {_SYNTAX}" if mol is None else "RDKit cannot parse it"


# the ">" between the parts of a reaction SMILES; not the ">" of a dative bond ("N->[Fe]"), which
# RDKit writes in molecule SMILES (a part of a reaction never ends with a bond symbol)
_REACTION_ARROW = re.compile(r"(?<!-)>")


def reaction_parts(value: str) -> list[str]:
    """The ``>``-separated parts of a reaction SMILES (one part: a molecule SMILES); a ``>`` in a
    CXSMILES extension (an atom label, ``CC* |$;;R>1$|``) separates nothing, and the extension
    stays with the last part, but for a reaction's fragment groups alone (``|f:3.4|``), which
    change no graph and are left out."""
    if "|" in value and (extension := CX_EXTENSION.search(value)):
        *parts, last = _REACTION_ARROW.split(value[: extension.start()])
        if parts and _FRAGMENT_GROUPS.fullmatch(extension.group()):
            return [*parts, last]
        return [*parts, last + extension.group()]
    return _REACTION_ARROW.split(value)


def parse_smiles(smiles: str) -> tuple[Chem.Mol | None, str]:
    """RDKit's molecule of one SMILES and, where there is none, why (:func:`parse_rows`' ``parse``)."""
    mol = mol_from_smiles(smiles)
    if mol is not None:
        return mol, ""
    if len(reaction_parts(smiles)) > 1:
        return None, "a reaction SMILES ('reactants>reagents>products'), where a molecule's is read"
    return None, rdkit_refusal(smiles)


def mols_from_smiles(X: ArrayLike) -> list[Chem.Mol]:
    """Parse SMILES with RDKit; one :class:`~sklearn_ltdd.featurize.InvalidSmilesError` lists every bad row.

    A row is bad when it is not a non-empty string (``None``, NaN, a number,
    ``""``), when it has whitespace inside it (RDKit would read only the part before), a
    character outside ASCII or a control character (RDKit drops one at either end), a bracket
    atom's hydrogen count or charge of 100 or more or its atomic number above 118, more than
    ``MAX_ATOMS`` (2,000) atoms, a query bond ``~`` or a query or Markush structure (a CXSMILES
    of query atoms, say), which RDKit reads as one molecule, or when RDKit cannot parse it.
    Leading and trailing whitespace is ignored.

    Parameters
    ----------
    X : array-like of str of shape (n_samples,) or (n_samples, 1)
        SMILES: a list, array, pandas or polars Series, or a one-column table.

    Returns
    -------
    mols : list of rdkit.Chem.Mol
        One molecule per row, in order.

    Examples
    --------
    >>> from sklearn_ltdd.featurize import mols_from_smiles
    >>> [m.GetNumAtoms() for m in mols_from_smiles(["CCO", "c1ccccc1"])]
    [3, 6]
    """
    bad: dict[int, tuple[object, str]] = {}
    mols = [mol for _, mol in parse_rows(check_smiles(X), parse_smiles, bad)]
    if bad:
        with rows_named_by_index(X):
            raise InvalidSmilesError(bad)
    return mols
