"""The condensed graph of reaction (CGR): one graph over the atoms of an atom-mapped reaction.

After Heid & Green 2021 (chemprop's reaction modes). Every reactant atom is a node, followed by
the product atoms whose map number has no reactant partner. A node's features join its
reactant-side features with its product-side ones, or with their difference. An atom present on
one side only is filled, on the other side, with its element alone (every other feature zero).
An edge stands wherever either side has a bond, and carries both sides' bond features, each
with a "no bond" flag.

A reaction counts as atom-mapped when its reactants carry map numbers and every heavy atom of its
products does (unique on each side), and some product number pairs with a reactant's (each side
numbered on its own pairs nothing); reactant atoms without a number are leaving groups. A
product atom without a number could not be told apart from one the reaction creates, so a
partly mapped reaction goes to the atom mapper, or is reported, like an unmapped one.

Map numbers only pair atoms. Nodes follow RDKit's canonical atom order of the reactants, then of
the products, each side ranked with its atoms labelled by their partners' symmetry classes on the
other side, and the features are those of the molecules written without maps. Renumbering the
maps, or writing the reaction's molecules another way, therefore leaves the graph's arrays
unchanged, except where both sides are symmetric in a way the reaction breaks (ethylene's [2+2]
dimerisation: the same graph, its nodes in another order). This matters: in USPTO-50k's
original numbering the low map numbers mark the reaction centre.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

import numpy as np
from rdkit import Chem

from ._graph_features import (
    ATOM_FEATURE_NAMES,
    BOND_FEATURE_NAMES,
    FEATURE_DTYPE,
    REACTION_MODES,
    CodeRows,
    _split_input,
    atom_codes,
    atom_features,
    bond_codes,
    bond_features,
    canonical_ranks,
    directed_edges,
    in_node_order,
    parse_parts,
)
from ._smiles import (
    oversized,
    parse_mapped,
    parse_rows,
    reaction_parts,
    written_reason,
)

__all__ = [
    "CGR_BOND_FEATURE_NAMES",
    "CGR_MODES",
    "GRAPH_REACTION_MODES",
    "NOT_MAPPED",
    "cgr_feature_names",
    "condense",
    "featurize_cgr_chunk",
    "mapping_gap",
    "needs_mapping",
    "parse_cgr",
]

#: reaction mode → what the second half of each node's features holds
CGR_MODES = {"cgr": "difference", "cgr_product": "product"}

#: every reaction_mode that SmilesGraphizer builds graphs for
GRAPH_REACTION_MODES = (*REACTION_MODES, *CGR_MODES)

#: the start of the reason given for a reaction without atom maps
NOT_MAPPED = "not atom-mapped"

_NO_BOND = (-1, 0, 0, -1)  # codes of a missing bond; only the "no bond" flag is set for it


def cgr_feature_names(reaction_mode: str) -> list[str]:
    """Node feature names: the reactant side, then the product side or the difference."""
    return [
        f"{side}:{name}" for side in ("reactant", CGR_MODES[reaction_mode]) for name in ATOM_FEATURE_NAMES
    ]


CGR_BOND_FEATURE_NAMES = [
    f"{side}:{name}" for side in ("reactant", "product") for name in [*BOND_FEATURE_NAMES, "no_bond"]
]


def _element_only(codes: tuple) -> tuple:
    """The fill for the side an atom is missing from: its element, and -1 (no column) elsewhere."""
    return (codes[0], -1, -1, 0, 0, -1, 0, -1)


def mapping_gap(reactant_maps: np.ndarray, products: Chem.Mol, product_maps: np.ndarray) -> str | None:
    """Why a reaction does not count as atom-mapped (see the module docstring), or None when it does."""
    if not reactant_maps.any():
        return f"{NOT_MAPPED}: its reactants carry no map numbers"
    heavy = np.array([atom.GetAtomicNum() > 1 for atom in products.GetAtoms()], dtype=bool)
    missing = int((heavy & (product_maps == 0)).sum())
    if missing:
        verb = "carries" if missing == 1 else "carry"
        return f"{NOT_MAPPED}: {missing} of its {int(heavy.sum())} product heavy atoms {verb} no map number"
    if not heavy.any():  # (">>[H][H]"): every reactant atom would leave, and nothing pair
        return f"{NOT_MAPPED}: its products hold no heavy atom to pair with a reactant's"
    # each side numbered on its own, say: every reactant atom would leave, every product atom be
    # made from nothing
    if not np.isin(product_maps[heavy], reactant_maps).any():
        return f"{NOT_MAPPED}: no map number of its products occurs among its reactants"
    return None


def needs_mapping(value: object) -> bool:
    """Whether a row is a reaction for the atom mapper: one that reads but does not count as mapped.

    Rows that are bad in other ways are left to the featuriser, which names the reason.
    """
    if not isinstance(value, str):
        return False
    if written_reason(value):
        return False
    smiles, _ = _split_input(value.strip(), "cgr")
    if smiles is None or maps_on_reagents(value.strip()):  # the mapper is given no reagents
        return False
    # unsanitised: map numbers and elements are all the rule reads, and this is 3-5x faster
    mols = [Chem.MolFromSmiles(s, sanitize=False) for s in smiles]
    if any(mol is None or oversized(mol) for mol in mols):  # (the featuriser names its size)
        return False
    reactant_maps, product_maps = (
        np.array([atom.GetAtomMapNum() for atom in mol.GetAtoms()], dtype=np.int64) for mol in mols
    )
    return mapping_gap(reactant_maps, mols[1], product_maps) is not None


def condense(
    reactants: Chem.Mol, reactant_maps: np.ndarray, products: Chem.Mol, product_maps: np.ndarray
) -> tuple[list[tuple], list[tuple], list[tuple]] | str:
    """The CGR of one reaction as RDKit codes, or the reason it cannot be built.

    Returns the per-node atom codes of the reactant side and of the product side, and the bonds
    as ``(i, j, reactant bond codes, product bond codes)``, where a missing bond has
    ``_NO_BOND`` codes.
    """
    gap = mapping_gap(reactant_maps, products, product_maps)
    if gap is not None:
        return gap
    for maps, side in ((reactant_maps, "reactants"), (product_maps, "products")):
        numbers, counts = np.unique(maps[maps > 0], return_counts=True)
        if (counts > 1).any():
            return f"atom-map number {numbers[counts > 1][0]} appears more than once among its {side}"
    reactant_side = atom_codes(reactants)
    product_side = [_element_only(codes) for codes in reactant_side]
    partner = {int(m): i for i, m in enumerate(reactant_maps) if m}
    node_of = []  # product atom → node
    created = []  # product atom of each node only in the products
    for atom, codes, number in zip(
        products.GetAtoms(), atom_codes(products), product_maps.tolist(), strict=True
    ):
        node = partner.get(number) if number else None
        if node is None:  # only in the products
            node = len(reactant_side)
            created.append(atom.GetIdx())
            reactant_side.append(_element_only(codes))
            product_side.append(codes)
        elif (reactant := reactants.GetAtomWithIdx(node)).GetAtomicNum() != atom.GetAtomicNum():
            # a wrong map would make a graph of one element turning into another
            return (
                f"atom-map number {number} pairs {reactant.GetSymbol()} among its reactants with "
                f"{atom.GetSymbol()} among its products; a map pairs atoms of one element"
            )
        else:
            product_side[node] = codes
        node_of.append(node)
    # nodes in a canonical order, so that every spelling of the reaction gives the same graph
    new_of = _canonical_nodes(reactants, products, node_of, created)
    bonds: dict[tuple[int, int], list] = {}
    for bond in reactants.GetBonds():
        ends = tuple(sorted((new_of[bond.GetBeginAtomIdx()], new_of[bond.GetEndAtomIdx()])))
        bonds[ends] = [bond_codes(bond), _NO_BOND]
    for bond in products.GetBonds():
        ends = tuple(sorted((new_of[node_of[bond.GetBeginAtomIdx()]], new_of[node_of[bond.GetEndAtomIdx()]])))
        bonds.setdefault(ends, [_NO_BOND, _NO_BOND])[1] = bond_codes(bond)
    return (
        in_node_order(reactant_side, new_of),
        in_node_order(product_side, new_of),
        [(*ends, *r, *p) for ends, (r, p) in sorted(bonds.items())],
    )


def _canonical_nodes(
    reactants: Chem.Mol, products: Chem.Mol, node_of: list[int], created: list[int]
) -> list[int]:
    """The canonical place of each CGR node: reactant atoms first, in RDKit's canonical order of
    the reactants, then the atoms only in the products, in that of the products.

    Each side is ranked with its atoms labelled by their partners' symmetry classes on the other
    side (0: no partner), so that atoms symmetric on one side but told apart by the reaction (one
    of two equal groups reacts) are ordered by what the reaction makes of them.
    """
    n_reactant_atoms = reactants.GetNumAtoms()
    reactant_class = canonical_ranks(reactants, break_ties=False)
    product_class = canonical_ranks(products, break_ties=False)
    partner = {node: atom for atom, node in enumerate(node_of) if node < n_reactant_atoms}
    reactant_rank = _labelled_ranks(
        reactants, [product_class[partner[i]] + 1 if i in partner else 0 for i in range(n_reactant_atoms)]
    )
    product_rank = _labelled_ranks(
        products, [reactant_class[node] + 1 if node < n_reactant_atoms else 0 for node in node_of]
    )
    keys = [(0, rank) for rank in reactant_rank] + [(1, product_rank[atom]) for atom in created]
    return np.argsort(np.argsort([side * len(keys) + rank for side, rank in keys])).tolist()


def _labelled_ranks(mol: Chem.Mol, labels: list[int]) -> list[int]:
    """Canonical ranks of the molecule with each atom labelled (as an atom-map number)."""
    labelled = Chem.Mol(mol)
    for atom, label in zip(labelled.GetAtoms(), labels, strict=True):
        atom.SetAtomMapNum(label)
    return canonical_ranks(labelled)


_MAP_NUMBER = re.compile(r":(\d+)\]")


def maps_on_reagents(value: str) -> list[int]:
    """The map numbers of a reaction's product atoms that only its reagents carry: the molecules
    holding them are reactants written in the wrong place (no graph reads reagents)."""
    reactants, reagents, products = (set(_MAP_NUMBER.findall(part)) for part in reaction_parts(value))
    return sorted(int(n) for n in (reagents & products) - reactants)


def parse_cgr(value: str, reaction_mode: str = "cgr") -> tuple[tuple | None, str]:
    """The CGR of one reaction SMILES (see :func:`condense`), or None and the reason it is bad
    (``reaction_mode``, one of the CGR modes, is named in it)."""
    parsed, reason = parse_parts(value, reaction_mode, parse_mapped)
    if parsed is None:
        return None, reason
    if on_reagents := maps_on_reagents(value):
        return None, (
            f"atom-map numbers {on_reagents[:5]} of its products are on its reagents, which no graph "
            "reads: write those molecules among the reactants, before the first '>'"
        )
    (reactants, reactant_maps), (products, product_maps) = parsed
    result = condense(reactants, reactant_maps, products, product_maps)
    return (None, result) if isinstance(result, str) else (result, "")


def _side_bond_features(codes: np.ndarray) -> np.ndarray:
    """One side's 12 bond features plus its "no bond" flag, from (n, 4) codes."""
    missing = codes[:, 0] == _NO_BOND[0]
    out = np.zeros((codes.shape[0], len(BOND_FEATURE_NAMES) + 1), dtype=FEATURE_DTYPE)
    out[~missing, :-1] = bond_features(codes[~missing])
    out[missing, -1] = 1
    return out


def _narrowest(difference: np.ndarray) -> np.ndarray:
    """The features' own int8 where the differences fit it, else int16: a charge can change by up
    to 198 (+99 to -99)."""
    limit = np.iinfo(FEATURE_DTYPE)
    if difference.size == 0 or limit.min <= difference.min() <= difference.max() <= limit.max:
        return difference.astype(FEATURE_DTYPE)
    return difference


def featurize_cgr_chunk(
    values: Sequence[object], reaction_mode: str = "cgr", bond_features_on: bool = False
) -> tuple[list[dict[str, np.ndarray]], dict[int, tuple[object, str]]]:
    """Featurise a chunk of atom-mapped reaction SMILES into one slot of packed CGR arrays.

    The same contract as :func:`featurize_chunk`: ``x`` is (n_nodes, 148), int8 (int16 where a
    charge changes by more than 127), ``edge_attr`` (only with bond features) is (n_edges, 26),
    and a bad row gets an empty graph.
    """
    reactant_side, product_side, bonds = CodeRows(8), CodeRows(8), CodeRows(10, np.int32)
    n_nodes = np.zeros(len(values), dtype=np.int64)
    n_bonds = np.zeros(len(values), dtype=np.int64)
    bad: dict[int, tuple[object, str]] = {}
    for row, cgr in parse_rows(values, partial(parse_cgr, reaction_mode=reaction_mode), bad):
        if cgr is None:
            continue
        reactant_side.extend(cgr[0])
        product_side.extend(cgr[1])
        bonds.extend(cgr[2])
        n_nodes[row], n_bonds[row] = len(cgr[0]), len(cgr[2])
    reactant_x, product_x = atom_features(reactant_side.array()), atom_features(product_side.array())
    if CGR_MODES[reaction_mode] == "difference":
        second = _narrowest(product_x.astype(np.int16) - reactant_x)
    else:
        second = product_x
    bond_array = bonds.array()
    packed = {
        "x": np.concatenate([reactant_x, second], axis=1),
        "edge_index": directed_edges(bond_array[:, :2]),
        "n_nodes": n_nodes,
        "n_edges": 2 * n_bonds,
    }
    if bond_features_on:
        sides = [_side_bond_features(bond_array[:, 2:6]), _side_bond_features(bond_array[:, 6:])]
        packed["edge_attr"] = np.repeat(np.concatenate(sides, axis=1), 2, axis=0)
    return [packed], bad
