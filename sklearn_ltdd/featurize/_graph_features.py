"""Atom and bond features for molecular graphs (numpy and RDKit only, so worker processes stay light).

The 74 atom features reproduce the "canonical" atom featurisation of dgllife that ImDrug's GCN
baseline and LTDD use, in the same order, with one deviation: ``implicit_valence`` counts every
hydrogen that is not a graph node, including those a bracket atom writes (``[C@H]``, ``[nH]``,
``[CH3:1]``). dgllife reads RDKit's implicit valence, which is 0 for every bracket atom, so the
same molecule got other features depending on how its SMILES was written. The 12 bond features
reproduce dgllife's canonical bond featurisation. Every feature is computed for all atoms of a
chunk of molecules at once with numpy; the per-atom Python work is only reading eight integers
from RDKit.

Every feature is a small integer (a one-hot flag, a charge of at most 99, a radical count), so the
arrays are int8: a quarter of float32's memory, in a cache, a pickle and on a GPU. Batches carry
them as float32, which the networks compute in (:meth:`GraphStore.batch`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from rdkit import Chem

from ._errors import A_REACTION, NOT_A_REACTION
from ._smiles import (
    CX_EXTENSION,
    parse_mapped,
    parse_rows,
    rdkit_refusal,
    reaction_parts,
)

if TYPE_CHECKING:
    from ._fingerprint import MorganFingerprint

__all__ = [
    "ATOM_FEATURE_NAMES",
    "ATOM_SYMBOLS",
    "BOND_FEATURE_NAMES",
    "FEATURE_DTYPE",
    "FEATURE_SCHEMA",
    "NODE_ORDER",
    "REACTION_MODES",
    "atom_codes",
    "atom_features",
    "bond_codes",
    "bond_features",
    "featurize_chunk",
]

ATOM_SYMBOLS = (
    "C N O S F Si P Cl Br Mg Na Ca Fe As Al I B V K Tl Yb Sb Sn Ag Pd Co Se Ti Zn "
    "H Li Ge Cu Au Ni Cd In Mn Zr Cr Pt Hg Pb"
).split()
_HYBRIDIZATIONS = ("SP", "SP2", "SP3", "SP3D", "SP3D2")
_BOND_TYPES = ("SINGLE", "DOUBLE", "TRIPLE", "AROMATIC")
_BOND_STEREO = ("STEREONONE", "STEREOANY", "STEREOZ", "STEREOE", "STEREOCIS", "STEREOTRANS")

ATOM_FEATURE_NAMES = (
    [f"symbol={s}" for s in ATOM_SYMBOLS]
    + [f"degree={d}" for d in range(11)]
    # hydrogens that are not graph nodes, implicit or written in brackets (see the module docstring)
    + [f"implicit_valence={v}" for v in range(7)]
    + ["formal_charge", "radical_electrons"]
    + [f"hybridization={h}" for h in _HYBRIDIZATIONS]
    + ["is_aromatic"]
    + [f"total_h={h}" for h in range(5)]
)
BOND_FEATURE_NAMES = (
    [f"bond_type={t}" for t in _BOND_TYPES]
    + ["is_conjugated", "is_in_ring"]
    + [f"stereo={s}" for s in _BOND_STEREO]
)

# Column offsets of each one-hot block in the atom feature matrix.
_DEGREE, _VALENCE, _CHARGE = 43, 54, 61
_RADICAL, _HYBRID, _AROMATIC, _TOTAL_H = 62, 63, 68, 69


def _lookup(pairs: dict[int, int], size: int) -> np.ndarray:
    """Array mapping an RDKit integer code to a one-hot column, -1 for 'no column'."""
    table = np.full(size, -1, dtype=np.int64)
    for code, column in pairs.items():
        table[code] = column
    return table


_PERIODIC = Chem.GetPeriodicTable()
_SYMBOL_COLUMN = _lookup({_PERIODIC.GetAtomicNumber(s): i for i, s in enumerate(ATOM_SYMBOLS)}, 256)
_HYBRID_COLUMN = _lookup(
    {int(getattr(Chem.HybridizationType, h)): i for i, h in enumerate(_HYBRIDIZATIONS)}, 64
)
_BOND_TYPE_COLUMN = _lookup({int(getattr(Chem.BondType, t)): i for i, t in enumerate(_BOND_TYPES)}, 64)
_STEREO_COLUMN = _lookup({int(getattr(Chem.BondStereo, s)): i for i, s in enumerate(_BOND_STEREO)}, 64)

#: the version of what the features mean; a graph store records it (1: dgllife's implicit valence)
FEATURE_SCHEMA = 2
#: the version of the graphs' layout (2: nodes in canonical atom order, edges sorted; 3: the same,
#: ranked without the parse's stale stereo ranks); a cache of graphs is keyed by it, a model is not:
#: it predicts the same on any node order
NODE_ORDER = 3
#: how the features are stored: small integers (a cache of graphs is keyed by it too)
FEATURE_DTYPE = np.int8

# What each reaction mode builds from "reactants>reagents>products" (reagents are not used).
REACTION_MODES = ("products", "reaction", "pair")


def atom_codes(mol: Chem.Mol) -> list[tuple]:
    """Per atom, the eight RDKit integers that :func:`atom_features` one-hot encodes.

    The implicit valence is the atom's hydrogen count, whether the SMILES wrote the hydrogens in
    brackets or left them implicit, so that the features depend on the molecule, not its notation.
    """
    return [
        (
            a.GetAtomicNum(),
            a.GetDegree(),
            a.GetTotalNumHs(),
            a.GetFormalCharge(),
            a.GetNumRadicalElectrons(),
            int(a.GetHybridization()),
            a.GetIsAromatic(),
            a.GetTotalNumHs(),
        )
        for a in mol.GetAtoms()
    ]


def bond_codes(bond: Chem.Bond) -> tuple[int, int, int, int]:
    """The four RDKit integers that :func:`bond_features` encodes: type, conjugated, in ring, stereo."""
    return int(bond.GetBondType()), bond.GetIsConjugated(), bond.IsInRing(), int(bond.GetStereo())


def canonical_ranks(mol: Chem.Mol, break_ties: bool = True) -> list[int]:
    """Each atom's place in RDKit's canonical atom order, the order of a graph's nodes (with
    ``break_ties`` False, its symmetry class instead: symmetric atoms share a rank).

    Every spelling of a molecule (atom order, kekulé form, brackets, hydrogens written as atoms)
    then gives the same arrays, so that the same molecules and the same seed train the same
    model: edge dropping draws one number per edge, in edge order. The molecule is ranked without
    the properties its parse computed: removing hydrogens written as atoms left behind stereo
    ranks computed with them, and RDKit ranked a 1,4-disubstituted cyclohexane so written
    otherwise than the same molecule written without them. Its ring information is kept: RDKit
    finds rings again recursively, which overflowed the C stack (a crash, no error) for chains of
    some 40,000 atoms.
    """
    fresh = Chem.Mol(mol)
    fresh.ClearComputedProps(includeRings=False)
    return list(Chem.CanonicalRankAtoms(fresh, breakTies=break_ties))


def in_node_order(items: list, node_of: Sequence[int]) -> list:
    """``items`` (one per atom) placed at their atoms' nodes."""
    out = [None] * len(items)
    for item, node in zip(items, node_of, strict=True):
        out[node] = item
    return out


def sorted_bonds(bonds: Iterable[Chem.Bond], node_of: Sequence[int]) -> list[tuple]:
    """``(i, j, *bond_codes(bond))`` per bond between nodes i < j, in (i, j) order."""
    out = []
    for bond in bonds:
        i, j = sorted((node_of[bond.GetBeginAtomIdx()], node_of[bond.GetEndAtomIdx()]))
        out.append((i, j, *bond_codes(bond)))
    return sorted(out)


def _one_hot(out: np.ndarray, offset: int, values: np.ndarray, n_values: int) -> None:
    """Set ``out[row, offset + v]`` for each row whose value v lies in 0..n_values-1."""
    rows = np.flatnonzero((values >= 0) & (values < n_values))
    out[rows, offset + values[rows]] = 1


def atom_features(codes: np.ndarray) -> np.ndarray:
    """74 canonical features from an (n_atoms, 8) integer array of RDKit atom properties, as int8
    (the parse refuses charges of 100 or more)."""
    out = np.zeros((codes.shape[0], len(ATOM_FEATURE_NAMES)), dtype=FEATURE_DTYPE)
    if codes.shape[0] == 0:
        return out
    atomic_num, degree, valence, charge, radical, hybrid, aromatic, total_h = codes.T
    if max(np.abs(charge).max(), radical.max()) > np.iinfo(FEATURE_DTYPE).max:  # int8 would wrap it
        raise ValueError(f"a charge or radical count beyond ±{np.iinfo(FEATURE_DTYPE).max}: not a molecule")
    _one_hot(out, 0, _SYMBOL_COLUMN[np.clip(atomic_num, 0, 255)], len(ATOM_SYMBOLS))
    _one_hot(out, _DEGREE, degree, 11)
    _one_hot(out, _VALENCE, valence, 7)
    out[:, _CHARGE] = charge
    out[:, _RADICAL] = radical
    _one_hot(out, _HYBRID, _HYBRID_COLUMN[np.clip(hybrid, 0, 63)], len(_HYBRIDIZATIONS))
    out[:, _AROMATIC] = aromatic
    _one_hot(out, _TOTAL_H, total_h, 5)
    return out


def bond_features(codes: np.ndarray) -> np.ndarray:
    """12 canonical features from an (n_bonds, 4) array: type, conjugated, in ring, stereo."""
    out = np.zeros((codes.shape[0], len(BOND_FEATURE_NAMES)), dtype=FEATURE_DTYPE)
    if codes.shape[0] == 0:
        return out
    bond_type, conjugated, in_ring, stereo = codes.T
    _one_hot(out, 0, _BOND_TYPE_COLUMN[np.clip(bond_type, 0, 63)], len(_BOND_TYPES))
    out[:, 4] = conjugated
    out[:, 5] = in_ring
    _one_hot(out, 6, _STEREO_COLUMN[np.clip(stereo, 0, 63)], len(_BOND_STEREO))
    return out


_GRAPH_REACTION_MODES = "'products', 'reaction', 'pair', 'cgr' or 'cgr_product'"


def _split_input(
    value: str, reaction_mode: str | None, reaction_modes: str = _GRAPH_REACTION_MODES
) -> tuple[list[str] | None, str]:
    """The SMILES to parse for one input row, or None and the reason it is bad.

    ``reaction_modes`` names the modes that read reactions, for the hint given when a reaction
    arrives with ``reaction_mode=None``.
    """
    parts = reaction_parts(value)
    is_reaction = len(parts) > 1
    if reaction_mode is None:
        if is_reaction:
            # a fitted model reads what it was fitted on: setting the parameter alone changes nothing
            return (
                None,
                f"{A_REACTION} set reaction_mode to {reaction_modes} (and refit a fitted model)",
            )
        return [value], ""
    if not is_reaction or len(parts) != 3:
        # (a route of several steps written in one row, say)
        arrows = f": it has {len(parts) - 1} '>' where one reaction has two" if is_reaction else ""
        return (
            None,
            f"{NOT_A_REACTION} 'reactants>reagents>products' (reaction_mode={reaction_mode!r}){arrows}",
        )
    if CX_EXTENSION.search(parts[-1]):
        # RDKit applies a reaction's extension to its atoms in reactant order; split into parts,
        # it would stay with the products and mark their atoms instead
        return None, (
            "a reaction CXSMILES: its |...| extension cannot be kept with the right molecule; remove it, "
            "or keep fragment groups alone, |f:...|, which are read"
        )
    reactants, reagents, products = parts
    if not reactants.strip() or not products.strip():
        return None, "a reaction SMILES without reactants or without products"
    # the parts this mode does not parse on their own have their syntax checked (RDKit's parse
    # without its chemistry, a fifth of the cost), so that a part that is no SMILES is refused
    # whatever the mode (a part's chemistry only where it is read): "reaction" joins the sides
    # into one SMILES, in which a ring or branch left open on one side closed on the other
    # ("C1CC>>C1" became one ring); "products" reads no reactants; no mode reads the reagents
    unparsed = {"products": (reactants, reagents), "reaction": (reactants, products, reagents)}
    for part in unparsed.get(reaction_mode, (reagents,)):
        if part and Chem.MolFromSmiles(part, sanitize=False) is None:
            return None, refusal_of_part(part, len(parts))
    if reaction_mode == "products":
        return [products], ""
    if reaction_mode == "reaction":
        return [f"{reactants}.{products}"], ""
    return [reactants, products], ""  # "pair", the CGR modes and the fingerprint's "difference"


def _parse(smiles: str) -> Chem.Mol | None:
    parsed = parse_mapped(smiles)
    return None if parsed is None else parsed[0]


def refusal_of_part(part: str, n_parts: int) -> str:
    """Why RDKit refuses one molecule of a row, naming it where the row has several (a reaction's sides)."""
    return rdkit_refusal(part) + (f", in {part!r}" if n_parts > 1 else "")


def parse_parts(
    value: str, reaction_mode: str | None, parse: Callable[[str], object | None],
    reaction_modes: str = _GRAPH_REACTION_MODES,
) -> tuple[list | None, str]:  # fmt: skip
    """Each SMILES the row holds for ``reaction_mode``, as ``parse`` reads it (None where it cannot),
    or None and the reason the row is bad, naming the first part ``parse`` refuses."""
    smiles, reason = _split_input(value, reaction_mode, reaction_modes)
    if smiles is None:
        return None, reason
    parsed = [parse(s) for s in smiles]
    failed = next((part for part, p in zip(smiles, parsed, strict=True) if p is None), None)
    return (parsed, "") if failed is None else (None, refusal_of_part(failed, len(smiles)))


def parse_row(
    reaction_mode: str | None, value: str, reaction_modes: str = _GRAPH_REACTION_MODES
) -> tuple[list[Chem.Mol] | None, str]:
    """The molecules of one input row (one, or reactants and products in pair mode)."""
    return parse_parts(value, reaction_mode, _parse, reaction_modes)


def featurize_chunk(
    values: Sequence[object],
    reaction_mode: str | None = None,
    bond_features_on: bool = False,
    fingerprinter: MorganFingerprint | None = None,
) -> tuple[list[dict[str, np.ndarray]], dict[int, tuple[object, str]]]:
    """Featurise a chunk of input rows into packed arrays, one set per graph slot.

    Returns one dict of packed arrays per graph slot (one slot, or two in ``pair`` mode: reactants
    and products) with keys ``x`` (n_nodes, 74, int8), ``edge_index`` (2, n_edges; node numbers
    local to each graph), ``edge_attr`` (n_edges, 12, int8, only with bond features), ``n_nodes``
    and ``n_edges`` (per graph), and the bad rows as ``{row: (value, reason)}``. A bad row gets an
    empty graph, so positions never shift. With a ``fingerprinter`` (for molecules, or differences in ``pair``
    mode: the molecules it reads are the graphs'), the first slot also holds ``fingerprint``
    (n_rows, n_bits), computed from the same parse; zeros for a bad row.
    """
    n_slots = 2 if reaction_mode == "pair" else 1
    atoms = [CodeRows(8) for _ in range(n_slots)]
    bonds = [CodeRows(6, np.int32) for _ in range(n_slots)]  # node numbers: a mixture's can pass 2**15
    n_nodes = np.zeros((n_slots, len(values)), dtype=np.int64)
    n_bonds = np.zeros((n_slots, len(values)), dtype=np.int64)
    bad: dict[int, tuple[object, str]] = {}
    if fingerprinter is not None:
        row_fingerprint, dtype = fingerprinter._row_fingerprint()
        fingerprints = np.zeros((len(values), fingerprinter.n_bits), dtype=dtype)
    for row, mols in parse_rows(values, partial(parse_row, reaction_mode), bad):
        for slot, mol in enumerate(mols or ()):  # a bad row (None) keeps an empty graph
            node_of = canonical_ranks(mol)
            atoms[slot].extend(in_node_order(atom_codes(mol), node_of))
            bonds[slot].extend(sorted_bonds(mol.GetBonds(), node_of))
            n_nodes[slot, row] = mol.GetNumAtoms()
            n_bonds[slot, row] = mol.GetNumBonds()
        if fingerprinter is not None and mols:
            fingerprints[row] = row_fingerprint(mols)
    packed = [
        _pack(atoms[s].array(), bonds[s].array(), n_nodes[s], n_bonds[s], bond_features_on)
        for s in range(n_slots)
    ]
    if fingerprinter is not None:
        packed[0]["fingerprint"] = fingerprints
    return packed, bad


class CodeRows:
    """Rows of integers (an atom's RDKit codes, or a bond's nodes and codes), gathered as tuples and
    kept in ``dtype`` blocks of :data:`CODE_BLOCK` rows or more (a molecule's rows are added
    together): a chunk's codes held as Python tuples until the end took about three times the
    memory of the graphs made from them."""

    def __init__(self, width: int, dtype: type = np.int16):
        self.width, self.dtype, self._rows, self._blocks = width, dtype, [], []

    def extend(self, rows: Iterable[Sequence[int]]) -> None:
        """Add rows of ``width`` integers each."""
        self._rows.extend(rows)
        if len(self._rows) >= CODE_BLOCK:
            self._flush()

    def _flush(self) -> None:
        self._blocks.append(np.array(self._rows, dtype=self.dtype).reshape(-1, self.width))
        self._rows = []

    def array(self) -> np.ndarray:
        """Every row so far, an array of shape (n_rows, width)."""
        self._flush()
        return np.concatenate(self._blocks)


#: rows of codes gathered as tuples before they become a block (about 2.5 MB of tuples)
CODE_BLOCK = 20_000


def _pack(
    atom_array: np.ndarray, bond_array: np.ndarray, n_nodes: np.ndarray, n_bonds: np.ndarray, with_bonds: bool
) -> dict[str, np.ndarray]:
    # every bond becomes two directed edges, (i, j) then (j, i)
    packed = {
        "x": atom_features(atom_array),
        "edge_index": directed_edges(bond_array[:, :2]),
        "n_nodes": n_nodes,
        "n_edges": 2 * n_bonds,
    }
    if with_bonds:
        packed["edge_attr"] = np.repeat(bond_features(bond_array[:, 2:]), 2, axis=0)
    return packed


def directed_edges(ends: np.ndarray) -> np.ndarray:
    """Edge index (2, 2 n) from an (n, 2) array of bond ends: each bond as (i, j) then (j, i)."""
    edge_index = np.empty((2, 2 * ends.shape[0]), dtype=np.int64)
    edge_index[0, 0::2] = edge_index[1, 1::2] = ends[:, 0]
    edge_index[1, 0::2] = edge_index[0, 1::2] = ends[:, 1]
    return edge_index
