"""The condensed graph of reaction: hand-checked graphs, map-number invariance, atom mapping."""

import gc
import importlib.util
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import types
import weakref
from collections import Counter, OrderedDict
from pathlib import PurePosixPath, PureWindowsPath

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from rdkit import Chem, RDLogger, rdBase
from rdkit.Chem import AllChem
from sklearn.base import clone

from sklearn_ltdd import BaselineClassifier, LTDDClassifier, SmilesGraphizer, SubclusterSchedule
from sklearn_ltdd.featurize import InvalidSmilesError, UnmappedReactionError, _atom_mapping
from sklearn_ltdd.featurize._cgr import CGR_BOND_FEATURE_NAMES, needs_mapping
from sklearn_ltdd.featurize._graph_features import ATOM_FEATURE_NAMES, canonical_ranks
from sklearn_ltdd.featurize._graphizer import find_invalid, invalid_input_error
from sklearn_ltdd.metrics import balanced_accuracy_score

# Fischer esterification: the acid's OH (map 7) leaves as water, the alcohol's O (map 4) stays.
ESTERIFICATION = "[CH3:1][C:2](=[O:3])[OH:7].[OH:4][CH2:5][CH3:6]>>[CH3:1][C:2](=[O:3])[O:4][CH2:5][CH3:6]"
# Boc deprotection: the whole Boc group is unmapped and leaves.
DEPROTECTION = "CC(C)(C)OC(=O)[NH:1][CH2:2][CH3:3]>>[NH2:1][CH2:2][CH3:3]"
# amide coupling with an unmapped leaving chloride
AMIDE = "[CH3:1][C:2](=[O:3])Cl.[NH2:4][CH3:5]>>[CH3:1][C:2](=[O:3])[NH:4][CH3:5]"
# a product atom whose map number (4) has no reactant partner
SUBSTITUTION = "[CH3:1][Br:2].[OH2:3]>>[CH3:1][OH:4]"
REACTIONS = [ESTERIFICATION, DEPROTECTION, AMIDE, SUBSTITUTION]

S, D, NONE = "SINGLE", "DOUBLE", "none"


def molecule_features(smiles: str) -> torch.Tensor:
    """The 74 atom features of an unmapped molecule, by the molecule path of the featuriser, in the
    SMILES's atom order (the graph's nodes follow RDKit's canonical order)."""
    ranks = canonical_ranks(Chem.MolFromSmiles(smiles))
    return SmilesGraphizer().fit_transform([smiles]).batch().x[ranks]


def element_only(symbol: str) -> torch.Tensor:
    out = torch.zeros(len(ATOM_FEATURE_NAMES))
    out[ATOM_FEATURE_NAMES.index(f"symbol={symbol}")] = 1.0
    return out


def cgr(reaction: str, mode: str = "cgr"):
    return SmilesGraphizer(reaction_mode=mode, bond_features=True).fit_transform([reaction]).batch()


def bond_states(graph) -> dict[tuple[int, int], tuple[str, str]]:
    """{(i, j): (reactant bond, product bond)} over the undirected edges of a CGR batch."""
    assert graph.edge_attr.shape[1] == len(CGR_BOND_FEATURE_NAMES) == 26

    def state(attr: torch.Tensor, side: str) -> str:
        values = {
            name.removeprefix(f"{side}:"): value
            for name, value in zip(CGR_BOND_FEATURE_NAMES, attr.tolist(), strict=True)
            if name.startswith(f"{side}:")
        }
        if values.pop("no_bond") == 1:
            assert not any(values.values())
            return NONE
        (bond_type,) = [
            n.removeprefix("bond_type=") for n, v in values.items() if n.startswith("bond_type") and v
        ]
        return bond_type

    states = {}
    for (i, j), attr in zip(graph.edge_index.T.tolist(), graph.edge_attr, strict=True):
        value = (state(attr, "reactant"), state(attr, "product"))
        assert states.setdefault((min(i, j), max(i, j)), value) == value  # both directions alike
    return states


def check_cgr(graph, reactant_side: torch.Tensor, product_side: torch.Tensor, bonds: dict) -> None:
    """The graph holds these nodes (by their two sides, numbered in the reaction SMILES's order) and
    these bonds between them, whatever order its nodes are in: compared as multisets of node rows
    and of bonds between node rows."""
    assert graph.x.shape == (len(reactant_side), 2 * len(ATOM_FEATURE_NAMES))
    expected_rows = [
        tuple(r.tolist() + (p - r).tolist()) for r, p in zip(reactant_side, product_side, strict=True)
    ]
    rows = [tuple(x.tolist()) for x in graph.x]
    assert Counter(rows) == Counter(expected_rows)
    between = Counter((*sorted((rows[i], rows[j])), states) for (i, j), states in bond_states(graph).items())
    expected = Counter(
        (*sorted((expected_rows[i], expected_rows[j])), states) for (i, j), states in bonds.items()
    )
    assert between == expected


def test_esterification_node_by_node_and_edge_by_edge():
    graph = cgr(ESTERIFICATION)
    reactants, product = molecule_features("CC(=O)O.OCC"), molecule_features("CC(=O)OCC")
    # nodes: C1 C2 O3 O7 | O4 C5 C6, in reactant order; product atoms C1 C2 O3 O4 C5 C6
    product_side = torch.stack([product[0], product[1], product[2], element_only("O"), *product[3:]])
    check_cgr(graph, reactants, product_side, {
        (0, 1): (S, S), (1, 2): (D, D), (1, 3): (S, NONE), (4, 5): (S, S), (5, 6): (S, S), (1, 4): (NONE, S),
    })  # fmt: skip
    # reagents are not used, as in the other reaction modes
    with_reagents = cgr(ESTERIFICATION.replace(">>", ">[H+]>"))
    assert torch.equal(with_reagents.x, graph.x) and torch.equal(with_reagents.edge_attr, graph.edge_attr)
    # the reactant ⊕ product variant holds the product side itself
    variant = cgr(ESTERIFICATION, "cgr_product")
    expected = torch.cat([reactants, product_side], dim=1)
    assert Counter(map(tuple, variant.x.tolist())) == Counter(map(tuple, expected.tolist()))
    # node for node as the difference variant: the same order
    assert torch.equal(variant.x[:, :74], graph.x[:, :74])


def test_deprotection_keeps_the_leaving_group_as_reactant_only_atoms():
    graph = cgr(DEPROTECTION)
    reactants, product = molecule_features("CC(C)(C)OC(=O)NCC"), molecule_features("NCC")
    boc = [element_only(s) for s in "CCCCOCO"]
    boc_bonds = {(0, 1): S, (1, 2): S, (1, 3): S, (1, 4): S, (4, 5): S, (5, 6): D, (5, 7): S}
    check_cgr(graph, reactants, torch.stack([*boc, *product]), {
        **{k: (v, NONE) for k, v in boc_bonds.items()}, (7, 8): (S, S), (8, 9): (S, S),
    })  # fmt: skip
    # the nitrogen gains a hydrogen and loses a neighbour: the difference shows it
    (nitrogen,) = np.flatnonzero(graph.x[:, ATOM_FEATURE_NAMES.index("symbol=N")].numpy())
    difference = dict(zip(ATOM_FEATURE_NAMES, graph.x[nitrogen, 74:].tolist(), strict=True))
    changed = ("total_h=1", "total_h=2", "degree=2", "degree=1")
    assert [difference[name] for name in changed] == [-1, 1, -1, 1]


def test_amide_coupling_with_an_unmapped_leaving_group():
    graph = cgr(AMIDE)
    reactants, product = molecule_features("CC(=O)Cl.NC"), molecule_features("CC(=O)NC")
    check_cgr(graph, reactants, torch.stack([*product[:3], element_only("Cl"), *product[3:]]), {
        (0, 1): (S, S), (1, 2): (D, D), (1, 3): (S, NONE), (4, 5): (S, S), (1, 4): (NONE, S),
    })  # fmt: skip


def test_a_product_atom_without_a_partner_becomes_its_own_node():
    graph = cgr(SUBSTITUTION)
    reactants, product = molecule_features("CBr.O"), molecule_features("CO")
    reactant_side = torch.cat([reactants, element_only("O")[None]])
    product_side = torch.stack([product[0], element_only("Br"), element_only("O"), product[1]])
    check_cgr(graph, reactant_side, product_side, {(0, 1): (S, NONE), (0, 3): (NONE, S)})


def renumber(reaction: str, numbers: list[int]) -> str:
    """The reaction with its map numbers replaced one-to-one by ``numbers`` (in first-seen order)."""
    seen: dict[str, int] = {}
    return re.sub(r":(\d+)\]", lambda m: f":{seen.setdefault(m.group(1), numbers[len(seen)])}]", reaction)


@given(
    st.sampled_from(REACTIONS),
    st.lists(st.integers(1, 999), min_size=12, max_size=12, unique=True),
    st.booleans(),
)
def test_renumbering_the_maps_leaves_the_graph_unchanged(reaction, numbers, bonds):
    graphizer = SmilesGraphizer(reaction_mode="cgr", bond_features=bonds)
    original, renumbered = (
        graphizer.fit_transform([r]).batch() for r in (reaction, renumber(reaction, numbers))
    )
    assert torch.equal(original.x, renumbered.x) and torch.equal(original.edge_index, renumbered.edge_index)
    if bonds:
        assert torch.equal(original.edge_attr, renumbered.edge_attr)


def test_unmapped_reactions_without_a_mapper_are_a_clear_error():
    with pytest.raises(UnmappedReactionError, match=r"reactions without complete atom maps") as error:
        SmilesGraphizer(reaction_mode="cgr").fit_transform([AMIDE, "CC(=O)O.OCC>>CC(=O)OCC", "C>>C"])
    assert sorted(error.value.bad_rows) == [1, 2]
    assert "atom_mapper='rxnmapper'" in str(error.value)
    with pytest.raises(UnmappedReactionError, match=r"row 0: 'C>>C'"):
        LTDDClassifier(reaction_mode="cgr").fit(["C>>C", AMIDE], [0, 1])
    # mixed with other bad rows, the general error lists them all
    with pytest.raises(
        InvalidSmilesError, match="row 1: 'CC>>C1CC' \\(RDKit cannot parse it: its syntax"
    ) as error:
        SmilesGraphizer(reaction_mode="cgr").fit_transform(["C>>C", "CC>>C1CC"])
    assert sorted(error.value.bad_rows) == [0, 1] and not isinstance(error.value, UnmappedReactionError)
    with pytest.raises(
        InvalidSmilesError, match="atom-map number 1 appears more than once among its products"
    ):
        SmilesGraphizer(reaction_mode="cgr").fit_transform(["[CH3:1][OH:2]>>[CH3:1][OH:1]"])
    # a map pairing atoms of two elements would make a graph of one element turning into another
    for reaction, pair in (
        ("[CH3:1][Cl:2]>>[CH3:1][OH:2]", "2 pairs Cl among its reactants with O"),
        ("[CH3:1][OH:2]>>[CH2:2]=[O:1]", "2 pairs O among its reactants with C"),
    ):
        with pytest.raises(InvalidSmilesError, match=f"map number {pair} among its products"):
            SmilesGraphizer(reaction_mode="cgr").fit_transform([reaction])
    # each side numbered on its own pairs nothing: every reactant atom would leave, every product
    # atom be made from nothing (no reaction of either mapped USPTO-50k copy has such a number)
    # so it does not count as mapped: it goes to the atom mapper, or is named as unmapped
    for reaction in ("[CH3:1][OH:2]>>[CH3:3][OH:4]", "[CH3:1][OH:2].[Na+:3]>>[CH3:4][OH:5]"):
        with pytest.raises(UnmappedReactionError, match="no map number of its products occurs among its"):
            SmilesGraphizer(reaction_mode="cgr").fit_transform([reaction])
        assert needs_mapping(reaction)
    # nor do products without a heavy atom, which nothing can pair with (they were accepted, every
    # reactant atom leaving)
    for reaction in ("[CH3:1][OH:2]>>[H][H]", "[CH3:1][OH:2]>>[H+]"):
        with pytest.raises(UnmappedReactionError, match="its products hold no heavy atom to pair"):
            SmilesGraphizer(reaction_mode="cgr").fit_transform([reaction])
        assert needs_mapping(reaction)
    with pytest.raises(ValueError, match="reaction_mode='pair' does not build"):
        SmilesGraphizer(reaction_mode="pair", atom_mapper="rxnmapper").fit_transform([AMIDE])


def test_feature_names_follow_the_mode():
    names = SmilesGraphizer(reaction_mode="cgr").get_feature_names_out()
    assert len(names) == 148 and names[0] == "reactant:symbol=C" and names[74] == "difference:symbol=C"
    assert SmilesGraphizer(reaction_mode="cgr_product").get_feature_names_out()[74] == "product:symbol=C"


class DictMapper:
    """A stand-in atom mapper: known answers, a count of the reactions it was asked to map."""

    def __init__(self, answers: dict[str, str], fail_on: str | None = None):
        self.answers, self.fail_on, self.asked = answers, fail_on, []

    def __call__(self, reactions: list[str]) -> list[str]:
        self.asked.extend(reactions)
        if self.fail_on in reactions:
            raise RuntimeError(f"too long: {self.fail_on}")
        return [self.answers[r] for r in reactions]


def strip_maps(reaction: str) -> str:
    """The reaction without map numbers, as an atom mapper is asked it (canonical SMILES)."""
    return ">>".join(
        Chem.MolToSmiles(Chem.MolFromSmiles(re.sub(r":\d+\]", "]", side))) for side in reaction.split(">>")
    )


ASKED: list[str] = []  # what recording_mapper was asked (a mutable global: its key knows its type only)


def recording_mapper(reactions: list[str]) -> list[str]:
    ASKED.extend(reactions)
    return [{strip_maps(r): r for r in (AMIDE, DEPROTECTION)}[r] for r in reactions]


def test_a_mapper_maps_once_per_reaction_and_the_cache_outlives_the_process(tmp_path, monkeypatch):
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    monkeypatch.setattr(sys.modules[__name__], "ASKED", [])
    plain = [strip_maps(r) for r in (AMIDE, DEPROTECTION)]
    graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper=recording_mapper, memory=str(tmp_path))
    graphs = graphizer.fit_transform([plain[0], plain[1], plain[0], ESTERIFICATION])
    assert sorted(ASKED) == sorted(plain)  # a repeated row and a mapped one are not asked
    expected = SmilesGraphizer(reaction_mode="cgr").fit_transform(
        [AMIDE, DEPROTECTION, AMIDE, ESTERIFICATION]
    )
    assert torch.equal(graphs.batch().x, expected.batch().x)
    clone(graphizer).fit_transform(plain[::-1])
    assert len(ASKED) == 2  # in-process cache, a clone's too
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())  # as in a new process
    graphizer.fit_transform(plain)
    assert len(ASKED) == 2  # the SQLite file beside the memory cache answered
    with sqlite3.connect(tmp_path / "sklearn_ltdd_atom_maps.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM maps").fetchone() == (2,)
    # reagents are not sent to the mapper: "A>B>C" is asked as "A>>C"
    graphizer.fit_transform([plain[0].replace(">>", ">O>")])
    assert len(ASKED) == 2
    # maps made in this process before a disk cache was set go to it too, once it is
    later = tmp_path / "later"
    clone(graphizer).set_params(memory=None).fit_transform(plain)
    graphizer.set_params(memory=str(later)).fit_transform(plain[:1])
    with sqlite3.connect(later / "sklearn_ltdd_atom_maps.sqlite") as db:
        assert db.execute("SELECT reaction FROM maps").fetchall() == [(plain[0],)]
    assert len(ASKED) == 2


def test_a_cache_file_deleted_while_the_process_runs_is_written_again(tmp_path, monkeypatch):
    """The process remembered which maps it had written to the file and trusted that after the
    file was deleted (the way to clear a cache): the maps it knew were never written again, and
    the next process sent them back to the mapper."""
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    monkeypatch.setattr(sys.modules[__name__], "ASKED", [])
    plain = [strip_maps(r) for r in (AMIDE, DEPROTECTION)]
    graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper=recording_mapper, memory=str(tmp_path))
    graphizer.fit_transform(plain)
    file = tmp_path / "sklearn_ltdd_atom_maps.sqlite"
    file.unlink()
    graphizer.fit_transform(plain[:1])  # answered from memory, and written to the file again
    with sqlite3.connect(file) as db:
        assert db.execute("SELECT reaction FROM maps").fetchall() == [(plain[0],)]
    graphizer.fit_transform(plain)
    assert len(ASKED) == 2
    with sqlite3.connect(file) as db:
        assert sorted(db.execute("SELECT reaction FROM maps").fetchall()) == sorted((r,) for r in plain)


def test_the_maps_kept_in_memory_are_the_last_used_and_bounded(monkeypatch):
    """Every reaction mapped stayed in memory for the life of the process: a library screened
    through a mapper grew memory without end."""
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    monkeypatch.setattr(_atom_mapping, "IN_PROCESS_MAPS", 2)
    mapped = (AMIDE, DEPROTECTION, ESTERIFICATION)
    plain = [strip_maps(r) for r in mapped]
    mapper = DictMapper(dict(zip(plain, mapped, strict=True)))
    graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper)
    for rows in (plain[:2], plain[:1], plain[2:]):  # AMIDE used last of the first two: kept
        graphizer.fit_transform(rows)
    (cache,) = _atom_mapping._IN_PROCESS.values()
    assert list(cache) == [plain[0], plain[2]]
    mapper.asked.clear()
    graphizer.fit_transform(plain)
    assert mapper.asked == [plain[1]]  # only the one forgotten is mapped again
    assert len(cache) == 2


def _mapper_of_version(version: int):
    """A mapper function as a notebook cell edited ``version`` times makes it: a key of its own."""

    def mapper(reactions: list[str]) -> list[str]:
        assert version >= 0  # (read, so that the closure is part of what the function is)
        return [{strip_maps(r): r for r in (AMIDE, DEPROTECTION, ESTERIFICATION)}[r] for r in reactions]

    return mapper


def test_the_maps_of_all_mappers_together_are_bounded(monkeypatch):
    """Each edit of a mapper function is a mapper of its own, whose maps outlived it: a notebook
    that edited its mapper 30 times kept 30 mappers' maps for the life of the kernel."""
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    monkeypatch.setattr(_atom_mapping, "IN_PROCESS_MAPS", 3)
    plain = [strip_maps(r) for r in (AMIDE, DEPROTECTION, ESTERIFICATION)]
    for version in range(5):
        SmilesGraphizer(reaction_mode="cgr", atom_mapper=_mapper_of_version(version)).fit_transform(plain[:2])
    cache = _atom_mapping._IN_PROCESS
    assert sum(map(len, cache.values())) == 3  # 10 before, 2 per edit
    # the mappers used last keep theirs, the one used last all of its own; the others went whole
    (older, last) = cache.values()
    assert len(cache) == 2 and (list(older), list(last)) == ([plain[1]], plain[:2])
    # a mapper used again becomes the last used: its maps are the ones kept
    again = _mapper_of_version(3)
    SmilesGraphizer(reaction_mode="cgr", atom_mapper=again).fit_transform(plain)
    assert [len(maps) for maps in cache.values()] == [3]


def test_a_mapper_object_that_ends_while_the_caches_are_in_use_takes_its_maps(monkeypatch):
    """Its finalizer took its maps without the caches' lock: an eviction in another thread, then
    emptying that mapper's maps, met a key gone (a KeyError in a featurisation of any mapper)."""
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    monkeypatch.setattr(_atom_mapping, "IN_PROCESS_MAPS", 2)
    plain = [strip_maps(r) for r in (AMIDE, DEPROTECTION, ESTERIFICATION)]
    answers = dict(zip(plain, (AMIDE, DEPROTECTION, ESTERIFICATION), strict=True))
    mapper = DictMapper(answers)
    SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper).fit_transform(plain[:2])
    (key,) = _atom_mapping._IN_PROCESS
    with _atom_mapping._CACHES_LOCK:  # held, as by an eviction, when the mapper ends
        del mapper
        gc.collect()
        assert key in _atom_mapping._IN_PROCESS  # (not taken from under the holder)
    # the next use of the caches forgets them, before anything is read, and evicts without error
    other = DictMapper(answers)
    SmilesGraphizer(reaction_mode="cgr", atom_mapper=other).fit_transform(plain)
    assert key not in _atom_mapping._IN_PROCESS and key not in _atom_mapping._WATCHED
    assert [len(maps) for maps in _atom_mapping._IN_PROCESS.values()] == [2]
    # a mapper whose maps all went to make room is watched by one finalizer still, not one per use
    watched, finalize = [], weakref.finalize
    monkeypatch.setattr(weakref, "finalize", lambda obj, *args: watched.append(obj) or finalize(obj, *args))
    third = DictMapper(answers)
    for _ in range(3):
        for mapper in (other, third):  # each takes the other's maps' room
            SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper).fit_transform(plain)
    assert [id(obj) for obj in watched] == [id(third)]  # (other was watched already)


SPAWNED_MAPPER_SCRIPT = """
import multiprocessing

from factory import make
from sklearn_ltdd.featurize._atom_mapping import _mapper

SUFFIX = ""


def helper(reaction):
    return reaction + SUFFIX


def mapper(reactions):
    return [helper(r) for r in reactions]


made = make(helper)  # a mapper of the user's own module, holding the script's helper


def keys():
    return _mapper(mapper)[1], _mapper(made)[1]


if __name__ == "__main__":
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        print(keys() == pool.apply(keys), keys()[0].split("@")[0])
"""
FACTORY_MODULE = """
def make(fix):
    def mapper(reactions):
        return [fix(r) for r in reactions]

    return mapper
"""


def test_a_scripts_mapper_function_has_one_cache_key_in_spawned_workers_too(tmp_path):
    """In a worker that multiprocessing spawned (macOS's and Windows' way), the script is the
    module ``__mp_main__``: its mapper's key differed, and the workers mapped again what the disk
    cache held (the probe: 40 reactions mapped in the parent, each worker's 20 again)."""
    script = tmp_path / "script.py"
    script.write_text(SPAWNED_MAPPER_SCRIPT)
    (tmp_path / "factory.py").write_text(FACTORY_MODULE)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "__main__.mapper"]


def test_a_mapper_object_is_cached_while_it_lives_in_this_process_only(tmp_path, monkeypatch):
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    plain = [strip_maps(r) for r in (AMIDE, DEPROTECTION)]
    mapper = DictMapper(dict(zip(plain, (AMIDE, DEPROTECTION), strict=True)))
    graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper, memory=str(tmp_path))
    graphizer.fit_transform(plain)
    graphizer.fit_transform(plain[::-1])
    assert len(mapper.asked) == 2  # its state could change its maps: known by itself, not its code
    assert not (tmp_path / "sklearn_ltdd_atom_maps.sqlite").exists()
    # its method, a new object each time it is read, by the object it is bound to (each missed)
    for _ in range(2):
        SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper.__call__).fit_transform(plain)
    assert len(mapper.asked) == 4

    def unwrapped(method):  # a decorator without functools.wraps: its methods share one name
        def wrapper(self, reactions):
            return method(self, reactions)

        return wrapper

    class Two:
        __slots__ = ("called",)  # (no weak reference to it: its methods are known by themselves)

        def __init__(self):
            self.called = []

        @unwrapped
        def fast(self, reactions):
            self.called.append("fast")
            return [dict(zip(plain, (AMIDE, DEPROTECTION), strict=True))[r] for r in reactions]

        @unwrapped
        def careful(self, reactions):
            self.called.append("careful")
            return [AMIDE if "Cl" in reaction else DEPROTECTION for reaction in reactions]

    class TwoWeak(Two):
        __slots__ = ("__weakref__",)

    for two in (Two(), TwoWeak()):
        for method in (two.fast, two.careful, two.fast, two.careful):
            SmilesGraphizer(reaction_mode="cgr", atom_mapper=method).fit_transform(plain)
        # each method mapped, once where the object can be watched (one's maps were the other's)
        assert two.called == (["fast", "careful"] * (2 if type(two) is Two else 1)), type(two)
    del graphizer, mapper, two, method
    gc.collect()
    assert _atom_mapping._IN_PROCESS == {}  # its maps went with it: no leak, no id reused


def test_an_edited_mapper_of_the_same_name_maps_afresh(tmp_path, monkeypatch):
    """The cache knows a callable by its code (and, in this process, by itself), not its name."""
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    plain = strip_maps(AMIDE)
    swapped = {"1": "2", "2": "1"}  # the same reaction with two map numbers exchanged in the products
    reactants, products = AMIDE.split(">>")
    other = reactants + ">>" + re.sub(r":([12])\]", lambda m: f":{swapped[m.group(1)]}]", products)

    def mapper(reactions):
        return [AMIDE for _ in reactions]

    graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper, memory=str(tmp_path))
    first = graphizer.fit_transform([plain]).batch().x

    def mapper(reactions):  # redefined, as in a notebook cell, with other maps
        return [other for _ in reactions]

    edited = graphizer.set_params(atom_mapper=mapper).fit_transform([plain]).batch().x
    assert torch.equal(edited, SmilesGraphizer(reaction_mode="cgr").fit_transform([other]).batch().x)
    assert not torch.equal(edited, first)
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())  # a new process: the disk cache answers
    assert torch.equal(graphizer.fit_transform([plain]).batch().x, edited)
    # two closures of one code are told apart in this process
    make = [(lambda answer: lambda reactions: [answer for _ in reactions])(m) for m in (AMIDE, other)]
    xs = [SmilesGraphizer(reaction_mode="cgr", atom_mapper=f).fit_transform([plain]).batch().x for f in make]
    assert torch.equal(xs[0], first) and torch.equal(xs[1], edited)


def test_a_mapper_whose_helper_or_constant_changed_maps_afresh(tmp_path, monkeypatch):
    """A notebook's mapper that calls a helper: editing the helper, or a constant it reads, must not
    get the earlier maps from the disk cache in a later session."""
    plain = strip_maps(AMIDE)
    reactants, products = AMIDE.split(">>")
    other = reactants + ">>" + re.sub(r":([12])\]", lambda m: f":{3 - int(m.group(1))}]", products)
    notebook = {"__name__": "__main__", "ANSWER": AMIDE}
    exec("def helper(reaction):\n    return ANSWER\n\n"
         "def mapper(reactions):\n    return [helper(r) for r in reactions]\n", notebook)  # fmt: skip
    graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper=notebook["mapper"], memory=str(tmp_path))

    def later_session():
        monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
        return graphizer.fit_transform([plain]).batch().x

    first, second = later_session(), SmilesGraphizer(reaction_mode="cgr").fit_transform([other]).batch().x
    assert torch.equal(later_session(), first)  # unchanged: the disk cache answers
    notebook["ANSWER"] = other  # a constant the helper reads
    assert torch.equal(later_session(), second)
    exec("def helper(reaction):\n    return ANSWER.replace(':2]', ':2]')\n", notebook)  # an edited helper
    notebook["ANSWER"] = AMIDE
    keys = {_atom_mapping._mapper(notebook["mapper"])[1]}
    exec("def helper(reaction):\n    return ANSWER\n", notebook)  # back as it was
    keys.add(_atom_mapping._mapper(notebook["mapper"])[1])
    assert len(keys) == 2 and torch.equal(later_session(), first)


@pytest.mark.parametrize(
    "held",
    [
        "def make(helper):\n    def mapper(reactions):\n        return [helper(r) for r in reactions]\n"
        "    return mapper\nmapper = make(helper)\n",  # in a closure
        "def mapper(reactions, fix=helper):\n    return [fix(r) for r in reactions]\n",  # as a default
        "def mapper(reactions, *, fix=helper):\n    return [fix(r) for r in reactions]\n",
        "import functools\ndef apply(reactions, fix):\n    return [fix(r) for r in reactions]\n"
        "def make(fix):\n    def mapper(reactions):\n        return fix(reactions)\n    return mapper\n"
        "mapper = make(functools.partial(apply, fix=helper))\n",  # in a partial's arguments
        "mapper = ltdd_probe_library.make(helper)\n",  # handed to a mapper of the user's own module
    ],
    ids=["closure", "default", "keyword default", "partial", "other module"],
)
def test_a_helper_handed_to_the_mapper_is_known_by_its_code(held, tmp_path, monkeypatch):
    """joblib's hash knows a function by its module and name: a notebook's edited helper in a
    closure, a default or a partial kept the maps of the helper before it."""
    (tmp_path / "ltdd_probe_library.py").write_text(
        "def make(helper):\n    def mapper(reactions):\n        return [helper(r) for r in reactions]\n"
        "    return mapper\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "ltdd_probe_library", raising=False)
    import ltdd_probe_library

    keys = []
    for body in ("return reaction", "return reaction.upper()", "return reaction"):
        notebook = types.ModuleType("__main__")  # a module joblib can find the helper in, by name
        notebook.ltdd_probe_library = ltdd_probe_library
        monkeypatch.setitem(sys.modules, "__main__", notebook)
        exec(f"def helper(reaction):\n    {body}\n" + held, vars(notebook))
        keys.append(_atom_mapping._mapper(notebook.mapper)[1])
    assert "#" not in keys[0]  # known by what it computes (not by its identity, in this process only)
    assert keys[0] != keys[1] and keys[2] == keys[0]  # the edit changes the key; undone, gives it back
    sys.modules.pop("ltdd_probe_library", None)


@pytest.mark.parametrize(
    "held",
    [
        "def mapper(reactions):\n    return [Helper().fix(r) for r in reactions]\n",  # a global
        "def mapper(reactions, fixer=Helper):\n    return [fixer().fix(r) for r in reactions]\n",  # a default
    ],
    ids=["global", "default"],
)
def test_a_helper_class_is_known_by_its_methods_and_attributes(held):
    """A class was known by its name: a notebook's edited method (a cell run again) kept serving
    the maps of the class before it, also from the disk cache in a later session."""
    fix = "    def fix(self, reaction):\n        return reaction{}\n"
    cached = "import functools\nclass Helper:\n    @functools.cached_property\n    def end(self):\n"
    cached += "        return {!r}\n"
    partial = (
        "import functools\nclass Helper:\n    def _f(self, reaction, end):\n        return reaction + end\n"
    )
    meta = "class Meta(type):\n    def __call__(cls):\n        return {}\n"
    meta += "class Helper(metaclass=Meta):\n    pass\n"
    classes = [
        "class Helper:\n" + fix.format(""),
        "class Helper:\n" + fix.format(".upper()"),  # a method
        "class Helper:\n    SUFFIX = '!'\n" + fix.format(""),  # a class attribute
        "class Base:\n" + fix.format("[::-1]") + "class Helper(Base):\n    pass\n",  # a base's method
        "class Helper:\n    @staticmethod\n    def fix(reaction):\n        return reaction\n",
        cached.format("!") + fix.format(" + self.end"),
        cached.format("?") + fix.format(" + self.end"),  # a cached property's body
        partial + "    fix = functools.partialmethod(_f, end='!')\n",
        partial + "    fix = functools.partialmethod(_f, end='?')\n",  # a partial method's argument
        "import enum\nclass Helper(enum.Enum):\n    A = '!'\n" + fix.format(""),
        "import enum\nclass Helper(enum.Enum):\n    A = '?'\n" + fix.format(""),  # an Enum member's value
        meta.format("str"),
        meta.format("repr"),  # a metaclass's method
        "class Helper:\n" + fix.format(""),  # back as it was
    ]
    keys = [_notebook_key(helper + held)[0] for helper in classes]
    assert len(set(keys[:-1])) == len(keys) - 1 and keys[-1] == keys[0]
    assert "#" not in keys[0]  # by what it computes: the same in another process


def test_single_dispatch_and_a_partial_methods_arguments_count_in_the_key():
    """A single-dispatch function's wrapper is a function of the user's module whose code is
    functools': an edited implementation, or one registered for another type, kept the key; a
    partial method's dict argument counted by its type alone."""
    dispatch = (
        "from functools import singledispatch\n@singledispatch\ndef fix(r):\n    return r\n"
        "@fix.register({kind})\ndef _(r):\n    return {body}\n"
        "@fix.register(list)\ndef _(rs):\n    return [fix(r) for r in rs]\n"  # (dispatching again)
        "def mapper(reactions):\n    return fix(list(reactions))\n"
    )
    method = (
        "import functools\nclass Helper:\n    def _f(self, r, table):\n        return table.get(r, r)\n"
        "    fix = functools.partialmethod(_f, table={table})\n"
        "def mapper(reactions):\n    return [Helper().fix(r) for r in reactions]\n"
    )
    sources = [
        dispatch.format(kind="str", body="r"),
        dispatch.format(kind="str", body="r.upper()"),  # an implementation edited
        dispatch.format(kind="bytes", body="r"),  # registered for another type
        method.format(table="{'C>>C': 'a'}"),
        method.format(table="{'C>>C': 'b'}"),  # a partial method's argument
    ]
    mapper = (  # a mapper that is itself a single-dispatch function
        "from functools import singledispatch\n@singledispatch\ndef mapper(reactions):\n"
        "    return [r{body} for r in reactions]\n"
    )
    plugins = (  # a registry and a dispatch of one's own: no single-dispatch function, a class
        "class Helper:\n    registry = {{}}\n    @classmethod\n    def dispatch(cls, r):\n        return r\n"
        "    def clean(self, r):\n        return r{body}\n"
        "def mapper(reactions):\n    return [Helper().clean(r) for r in reactions]\n"
    )
    wrapped = (  # functools.wraps copies the registry onto a decorator's wrapper, which is no dispatcher
        "import functools\ndef logged(f):\n    @functools.wraps(f)\n    def wrapper(rs):\n"
        "        return [r{body} for r in f(rs)]\n    return wrapper\n"
        "@logged\n@functools.singledispatch\ndef mapper(reactions):\n    return list(reactions)\n"
    )
    sources += [wrapped.format(body=""), wrapped.format(body="[::-1]")]
    sources += [mapper.format(body=""), mapper.format(body=".upper()")]
    sources += [plugins.format(body=""), plugins.format(body=".upper()")]
    bound = (  # a bound class method registered: what it reads through cls counts
        "import functools\nclass Helper:\n    END = {end!r}\n    @classmethod\n    def fix(cls, r):\n"
        "        return r + cls.END\n@functools.singledispatch\ndef clean(r):\n    return r\n"
        "clean.register(str, Helper.fix)\ndef mapper(reactions):\n    return [clean(r) for r in reactions]\n"
    )
    library = (  # a dispatcher over a library's function, with an implementation of one's own
        "import functools, operator\nclean = functools.singledispatch(operator.pos)\n"
        "@clean.register(str)\ndef _(r):\n    return r{body}\n"
        "def mapper(reactions):\n    return [clean(r) for r in reactions]\n"
    )
    instance = (  # a method bound to an object of one's own class: its class's code counts
        "class Cleaner:\n    def fix(self, r):\n        return r{body}\nfix = Cleaner().fix\n"
        "def mapper(reactions):\n    return [fix(r) for r in reactions]\n"
    )
    sources += [bound.format(end=""), bound.format(end="X")]
    sources += [library.format(body=""), library.format(body=".upper()")]
    sources += [instance.format(body=""), instance.format(body=".upper()")]
    keys = [_notebook_key(source)[0] for source in sources]
    assert len(set(keys)) == len(keys) and all("#" not in key for key in keys)
    assert _notebook_key(sources[0])[0] == keys[0]


def test_a_compiled_librarys_function_and_a_compiled_pattern_are_known_by_what_they_are():
    # RDKit's functions are Boost.Python functions, with a __name__ but no __qualname__: all of them
    # were one "Boost.Python function", so a mapper that swapped MolFromSmiles for MolFromSmarts
    # kept its key (and its maps)
    source = "from rdkit.Chem import {} as parse\n"
    source += "def mapper(reactions):\n    return [parse(r) and r for r in reactions]\n"
    keys = {_notebook_key(source.format(name))[0] for name in ("MolFromSmiles", "MolFromSmarts")}
    assert len(keys) == 2 and all("#" not in key for key in keys)
    # a compiled pattern counted by its type alone: an edited pattern kept the key
    pattern = "import re\nAMIDE = re.compile({!r})\n"
    pattern += "def mapper(reactions):\n    return [AMIDE.sub('', r) for r in reactions]\n"
    assert len({_notebook_key(pattern.format(text))[0] for text in ("N", "O")}) == 2
    # an object of one's own class that copies a name is known by its type, not by that name
    named = "class {0}:\n    def __init__(self, f):\n        self.f, self.__name__ = f, f.__name__\n"
    named += "    def __call__(self, r):\n        return self.f(r)\n@{0}\ndef fix(r):\n    return r\n"
    named += "def mapper(reactions):\n    return [fix(r) for r in reactions]\n"
    assert len({_notebook_key(named.format(kind))[0] for kind in ("Upper", "Lower")}) == 2
    # a mapping answering attributes from its keys (a KeyError for __qualname__) keeps a key of every process
    config = "class AttrDict(dict):\n    __getattr__ = dict.__getitem__\nCONFIG = AttrDict(strip='Cl')\n"
    config += "def mapper(reactions):\n    return [r.replace(CONFIG.strip, '') for r in reactions]\n"
    assert "#" not in _notebook_key(config)[0]


def test_what_a_walked_class_holds_cannot_cost_the_rest_of_the_key(tmp_path, monkeypatch):
    """A method's default joblib cannot pickle (a lock, an RDKit standardiser), in a class of the
    user's module, made joblib's hash drop that module from the key (an edit of the helper the
    mapper calls kept the key): what a class's methods hold counts by value where it is plain,
    else by its type."""
    monkeypatch.syspath_prepend(str(tmp_path))
    keys = []
    for index in (0, -1, 0):
        (tmp_path / "ltdd_probe_cache.py").write_text(
            "import threading\nclass Cache:\n    def __init__(self, lock=threading.Lock(), table={'a': 1}):\n"
            f"        self.lock = lock\ndef first(r):\n    return r.split('.')[{index}]\n"
        )
        monkeypatch.delitem(sys.modules, "ltdd_probe_cache", raising=False)
        mapper = "import ltdd_probe_cache as cache\n"
        mapper += "def mapper(reactions):\n    return [cache.first(r) for r in reactions]\n"
        keys.append(_notebook_key(mapper)[0])
    assert keys[0] != keys[1] and keys[2] == keys[0] and all("#" not in key for key in keys)
    sys.modules.pop("ltdd_probe_cache", None)


def test_a_cached_helper_over_ones_own_decorator_counts_that_decorator():
    # (unwrapped to the bottom, the user's wrapper between was skipped: its edit kept the key)
    source = (
        "import functools\ndef safe(f):\n    @functools.wraps(f)\n    def inner(r):\n"
        "        try:\n            return f(r)\n        except Exception:\n            return {fallback}\n"
        "    return inner\n@functools.lru_cache(maxsize=None)\n@safe\ndef clean(r):\n"
        "    return r.split('>')[0]\ndef mapper(reactions):\n    return [clean(r) for r in reactions]\n"
    )
    assert len({_notebook_key(source.format(fallback=f))[0] for f in ("''", "r")}) == 2


def test_a_helper_that_answers_every_attribute_keeps_a_key_of_every_process():
    """A proxy's __wrapped__ is another proxy, without end: the key's RecursionError made the mapper
    one of this process only (no disk cache), held in a global or in a helper class."""
    proxy = (
        "class Proxy:\n    def __getattr__(self, name):\n        return Proxy()\n"
        "    def __call__(self, *args):\n        return args\n"
    )
    for held in ("client = Proxy()\n", "class Helper:\n    client = Proxy()\nclient = Helper\n"):
        source = proxy + held + "def mapper(reactions):\n    return [client and r for r in reactions]\n"
        key, _ = _notebook_key(source)
        assert "@" in key and "#" not in key


def test_a_partials_arguments_are_known_by_content():
    """A repr cuts an array short (and names an object by its address): two tables, one key."""
    keys = set()
    for table in (np.zeros(2000), np.where(np.arange(2000) == 1000, 1.0, 0.0)):  # (the repr shows the ends)
        notebook = {"__name__": "__main__", "table": table}
        exec(
            "import functools\ndef shift(reactions, table):\n    return reactions\n"
            "mapped = functools.partial(shift, table=table)\n"
            "def mapper(reactions):\n    return mapped(reactions)\n",
            notebook,
        )
        keys.add(_atom_mapping._mapper(notebook["mapper"])[1])
    assert len(keys) == 2


def test_a_home_relative_memory_keeps_the_maps_in_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    mapper = lambda reactions: [AMIDE] * len(reactions)  # noqa: E731
    graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper, memory="~/cache")
    graphizer.fit_transform([strip_maps(AMIDE)])
    assert (tmp_path / "home" / "cache" / "sklearn_ltdd_atom_maps.sqlite").exists()
    assert not (tmp_path / "~").exists()  # (a folder named "~" invites an rm -rf ~)


def _notebook_key(source: str, **values) -> tuple[str, dict]:
    """The cache key of ``mapper`` defined by ``source`` in a notebook's namespace (and the namespace)."""
    notebook = {"__name__": "__main__", **values}
    exec(source, notebook)
    return _atom_mapping._mapper(notebook["mapper"])[1], notebook


def test_a_mapper_keeping_state_in_globals_keeps_its_cache_key():
    """A memo, a log or a lazily loaded model changes as the mapper runs; what it computes does not."""
    source = (
        "import functools\n"
        "MODEL = None\nMEMO = {}\nSEEN = []\nHALOGENS = {'Cl', 'Br', 'I'}\n"
        "def mapper(reactions):\n"
        "    global MODEL\n"
        "    if MODEL is None:\n"
        "        MODEL = object()\n"
        "    SEEN.extend(reactions)\n"
        "    MEMO.update({r: r.split('>>')[0] for r in reactions})\n"
        "    return [r for r in reactions if r not in HALOGENS]\n"
    )
    key, notebook = _notebook_key(source, split=[1])  # a global named like the method it calls
    notebook["mapper"](["CC>>C"])
    notebook["split"] = "another value"
    assert _atom_mapping._mapper(notebook["mapper"])[1] == key


def test_a_mapper_key_is_the_same_in_every_process():
    """Sets and frozensets iterate in another order in each process (string hashing is seeded)."""
    source = (
        "def mapper(reactions, skip=frozenset({'Na', 'K', 'Li', 'Cs'})):\n"  # (a default: joblib's own order)
        "    return [r for r in reactions if r not in {'Cl', 'Br', 'I', 'F'} and r not in skip]\n"
    )
    program = (
        "from sklearn_ltdd.featurize import _atom_mapping\n"
        f"notebook = {{'__name__': '__main__'}}\nexec({source!r}, notebook)\n"
        "print(_atom_mapping._mapper(notebook['mapper'])[1])\n"
    )

    def key(seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, check=True, env=env
        )
        return run.stdout.strip()

    keys = {key(seed) for seed in ("1", "2", "3")}
    assert len(keys) == 1 and "@" in keys.pop()


def test_a_decorated_or_partial_helper_is_known_by_its_code():
    template = (
        "import functools\n"
        "@functools.cache\ndef helper(reaction):\n    return reaction.upper(){}\n"
        "checked = functools.partial(helper)\n"
        "def mapper(reactions):\n    return [checked(r) for r in reactions]\n"
    )
    keys = {_notebook_key(template.format(edit))[0] for edit in ("", ".strip()", "")}
    assert len(keys) == 2


def test_reactions_the_mapper_fails_on_are_reported_not_dropped(monkeypatch):
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    plain = [strip_maps(r) for r in (AMIDE, DEPROTECTION)]
    mapper = DictMapper(dict(zip(plain, (AMIDE, DEPROTECTION), strict=True)), fail_on=plain[1])
    graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper)
    with pytest.raises(
        InvalidSmilesError, match=r"row 1: .*the atom mapper \(.*DictMapper\) failed on it: .*too long"
    ):
        graphizer.fit_transform(plain)
    graphs = graphizer.set_params(errors="ignore").fit_transform(plain)
    assert graphs.valid_mask.tolist() == [True, False] and len(graphs) == 2
    # a mapper that fails on every row (a server that is down) fails no SMILES: the first line
    # says so (it said "2 of the input rows are not valid SMILES")
    down = DictMapper({}, fail_on=plain[0])  # (and a KeyError for the other)
    with pytest.raises(
        InvalidSmilesError, match=r"^2 of the input rows are reactions the atom mapper failed on:"
    ):
        SmilesGraphizer(reaction_mode="cgr", atom_mapper=down).fit_transform(plain)
    # a row the mapper leaves unmapped is named as the user gave it, with what the mapper made of it
    partly = AMIDE[: AMIDE.rindex(":5]")] + "]"  # the product's last carbon unnumbered
    wrong = DictMapper({plain[0]: partly})
    with pytest.raises(UnmappedReactionError) as error:
        SmilesGraphizer(reaction_mode="cgr", atom_mapper=wrong).fit_transform([plain[0]])
    assert error.value.bad_rows[0][0] == plain[0]
    assert error.value.bad_rows[0][1].endswith(f"as the atom mapper mapped it: {partly!r}")


def test_a_mapper_that_answers_in_the_list_it_is_given_maps(monkeypatch):
    """It overwrote the questions the answers were matched to: a bare KeyError of the reaction."""
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    table = {strip_maps(r): r for r in (AMIDE, DEPROTECTION)}

    def in_place(reactions):
        for i, reaction in enumerate(reactions):
            reactions[i] = table[reaction]
        return reactions

    graphs = SmilesGraphizer(reaction_mode="cgr", atom_mapper=in_place).fit_transform(list(table))
    expected = SmilesGraphizer(reaction_mode="cgr").fit_transform([AMIDE, DEPROTECTION])
    assert graphs.valid_mask.all() and torch.equal(graphs.batch().x, expected.batch().x)


@pytest.mark.parametrize("answer", ["shifted", "reordered", "another molecule"])
def test_a_mapper_answer_that_is_another_reaction_is_asked_again_then_refused(monkeypatch, answer):
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    plain = [strip_maps(r) for r in (AMIDE, DEPROTECTION)]
    maps = dict(zip(plain, (AMIDE, DEPROTECTION), strict=True))
    mappers = {
        "shifted": lambda reactions: [AMIDE for _ in reactions[:1]],  # one answer for two questions
        "reordered": lambda reactions: [maps[r] for r in reactions][::-1],
        "another molecule": lambda reactions: [maps[r].replace("O", "S") for r in reactions],
    }
    graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper=mappers[answer], errors="ignore")
    graphs = graphizer.fit_transform(plain)
    # asked one reaction at a time, the reordering mapper answers right; the amide's one answer
    # is right for the amide alone; a changed molecule is never right
    valid = {"shifted": [True, False], "reordered": [True, True], "another molecule": [False, False]}
    assert graphs.valid_mask.tolist() == valid[answer]
    expected = SmilesGraphizer(reaction_mode="cgr").fit_transform([AMIDE, DEPROTECTION])
    for row in np.flatnonzero(graphs.valid_mask):
        assert torch.equal(graphs[row].x, expected[row].x)
    if answer != "reordered":
        with pytest.raises(InvalidSmilesError, match=r"row 1: .*failed on it: .*returned another reaction"):
            graphizer.set_params(errors="raise").fit_transform(plain)


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (lambda reactions: AMIDE, "a list of as many reaction SMILES as it is given \\(1\\), not str"),
        (lambda reactions: [], "as it is given \\(1\\), not 0 items"),
        (lambda reactions: [None] * len(reactions), "strings, not NoneType"),
        (lambda reactions: [[r] for r in reactions], "strings, not list"),
        (lambda reactions: [["a"], ["b", "c"]], "as it is given \\(1\\), not 2 items"),
    ],
)
def test_a_mapper_answer_that_is_not_a_list_of_reactions_is_named(monkeypatch, answer, why):
    # a string was read character by character ("it returned another reaction, '['"), [] failed
    # with an IndexError
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    with pytest.raises(InvalidSmilesError, match=rf"row 0: .*failed on it: .*an atom mapper returns .*{why}"):
        SmilesGraphizer(reaction_mode="cgr", atom_mapper=answer).fit_transform([strip_maps(AMIDE)])
    expected = SmilesGraphizer(reaction_mode="cgr").fit_transform([AMIDE])[0].x
    for sequence in (np.array, pd.Series, tuple):  # any one-dimensional sequence of strings
        mapper = lambda reactions, sequence=sequence: sequence([AMIDE] * len(reactions))  # noqa: E731
        graphs = SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper).fit_transform([strip_maps(AMIDE)])
        assert torch.equal(graphs[0].x, expected)


def test_a_reaction_rdkit_cannot_read_is_named_as_such_not_blamed_on_the_mapper(monkeypatch):
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    mapper = DictMapper({"c1cccc1C>>CC": "[c:1]1[c:2][c:3][c:4][c:5]1[CH3:6]>>[CH3:6][CH3:5]"})
    with pytest.raises(InvalidSmilesError, match="RDKit cannot") as error:
        SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper).fit_transform(["c1cccc1C>>CC"])
    assert "returned another reaction" not in str(error.value)
    # a readable answer to it is another reaction, which would give the row another's graph
    readable = DictMapper({"c1cccc1C>>CC": AMIDE})
    with pytest.raises(InvalidSmilesError, match="returned another reaction"):
        SmilesGraphizer(reaction_mode="cgr", atom_mapper=readable).fit_transform(["c1cccc1C>>CC"])


def test_rxnmapper_maps_reactions_as_a_chemist_would(monkeypatch):
    # looked up, not imported: the package imports it, keeping RDKit's logs as they were
    if importlib.util.find_spec("rxnmapper") is None:
        pytest.skip("the 'reactions' extra (rxnmapper) is not installed")
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    plain = [strip_maps(r) for r in (AMIDE, DEPROTECTION)]
    graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper="rxnmapper", bond_features=True)
    graphs = graphizer.fit_transform(plain)
    by_hand = SmilesGraphizer(reaction_mode="cgr", bond_features=True).fit_transform([AMIDE, DEPROTECTION])
    for mapped, expected in zip(graphs.to_data_list(), by_hand.to_data_list(), strict=True):
        assert torch.equal(mapped.x, expected.x) and torch.equal(mapped.edge_index, expected.edge_index)
    (maps,) = _atom_mapping._IN_PROCESS.values()
    assert len(maps) == 2  # the next fit maps nothing


def mapped_reaction(template: str, reactants: list[str]) -> str:
    """Run a reaction template with RDKit and write the result with every atom mapped."""
    reaction = AllChem.ReactionFromSmarts(template)
    mols = [Chem.MolFromSmiles(s) for s in reactants]
    offsets = np.cumsum([0] + [m.GetNumAtoms() for m in mols]).tolist()
    for k, mol in enumerate(mols):
        for atom in mol.GetAtoms():
            atom.SetIntProp("number", offsets[k] + atom.GetIdx() + 1)
    # the product's atoms the template maps keep no property of theirs before RDKit 2025 (nor say
    # which reactant they come from): their template map number says
    side = {
        atom.GetAtomMapNum(): k for k, part in enumerate(reaction.GetReactants()) for atom in part.GetAtoms()
    }
    product = reaction.RunReactants(mols)[0][0]
    Chem.SanitizeMol(product)
    for atom in product.GetAtoms():
        if atom.HasProp("old_mapno"):
            k = side[atom.GetIntProp("old_mapno")]
            atom.SetAtomMapNum(offsets[k] + atom.GetIntProp("react_atom_idx") + 1)
        else:
            atom.SetAtomMapNum(atom.GetIntProp("number"))
    for mol in mols:
        for atom in mol.GetAtoms():
            atom.SetAtomMapNum(atom.GetIntProp("number"))
    return ".".join(Chem.MolToSmiles(m) for m in mols) + ">>" + Chem.MolToSmiles(product)


ACYLATION = "[C:1](=[O:2])[Cl,OH1].[N,O;!H0;!$(*C=O):3]>>[C:1](=[O:2])[*:3]"
ACIDS = ["CC(=O)X", "CCC(=O)X", "c1ccccc1C(=O)X", "CC(C)C(=O)X", "O=C(X)C1CC1", "CCCCC(=O)X", "O=C(X)c1ccco1"]
ALCOHOLS = ["OC", "OCC", "OCCC", "OC(C)C", "OCc1ccccc1", "OCCOC"]
AMINES = ["NC", "NCC", "NCCC", "N1CCCC1", "NCc1ccccc1", "NC1CC1"]


def test_learns_what_changes_which_the_products_cannot_show():
    """Esters from acid chlorides and from acids have the same products; only the CGR tells them apart."""
    reactions, labels = [], []
    for acid in ACIDS:
        for partner in ALCOHOLS:
            reactions.append(mapped_reaction(ACYLATION, [acid.replace("X", "Cl"), partner]))
            labels.append("ester from chloride")
            reactions.append(mapped_reaction(ACYLATION, [acid.replace("X", "O"), partner]))
            labels.append("ester from acid")
        for partner in AMINES[:3]:
            reactions.append(mapped_reaction(ACYLATION, [acid.replace("X", "Cl"), partner]))
            labels.append("amide")
    reactions, labels = np.array(reactions), np.array(labels)
    test = np.arange(len(reactions)) % 4 == 0
    scores = {}
    for mode in ("cgr", "products"):  # graphs alone: the difference fingerprint would tell them apart too
        clf = LTDDClassifier(reaction_mode=mode, fingerprint=None, max_epochs=30,
                             schedule=SubclusterSchedule(warmup_epochs=3, update_every=5), hidden=32,
                             batch_size=32, early_stopping=None, random_state=0)  # fmt: skip
        clf.fit(reactions[~test], labels[~test])
        scores[mode] = balanced_accuracy_score(labels[test], clf.predict(reactions[test]))
    assert scores["cgr"] >= 0.85
    assert scores["products"] <= 0.7  # two of the three classes share their products: at most 2/3


def test_the_bond_aware_encoder_reads_both_sides_of_each_bond():
    reactions = [mapped_reaction(ACYLATION, [a.replace("X", "Cl"), p]) for a in ACIDS[:4] for p in AMINES[:4]]
    labels = np.arange(len(reactions)) % 2
    clf = LTDDClassifier(reaction_mode="cgr", encoder="gine", fingerprint="morgan", max_epochs=3,
                         schedule=SubclusterSchedule(warmup_epochs=1, update_every=1), hidden=16,
                         batch_size=8)  # fmt: skip
    clf.fit(reactions, labels)
    encoder = clf.net_.module_.encoder
    # 148 node features; GINEConv's edge map reads the 26 bond features of both sides
    assert encoder.residuals[0].in_features == 148 and encoder.convs[0].lin.in_channels == 26
    assert clf.predict_proba(reactions).shape == (len(reactions), 2)


def test_without_the_extra_the_mapper_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "rxnmapper", None)
    _atom_mapping._rxnmapper.cache_clear()
    try:
        with pytest.raises(ImportError, match=r"pip install 'sklearn-ltdd\[reactions\]'"):
            SmilesGraphizer(reaction_mode="cgr", atom_mapper="rxnmapper").fit_transform([strip_maps(AMIDE)])
    finally:
        _atom_mapping._rxnmapper.cache_clear()


def test_loading_the_mapper_leaves_rdkits_logs_on(tmp_path, monkeypatch):
    # rxnmapper's import turns RDKit's warnings and errors off for the process (itself, and its
    # helper library through RDLogger); a stand-in does the same, so that this runs (fast) whether
    # or not the [reactions] extra is installed. Another thread featurising holds RDKit's logs
    # blocked as the import starts and lets them go during it: a snapshot taken then restored
    # "off" for good (seen from a service's threads).
    (tmp_path / "other_thread.py").write_text("block = None\n")
    (tmp_path / "rxnmapper.py").write_text(
        "from rdkit import RDLogger, rdBase\n"
        "import other_thread\n"
        "other_thread.block.__exit__(None, None, None)\n"
        "rdBase.DisableLog('rdApp.warning')\n"
        "RDLogger.logger().setLevel(RDLogger.CRITICAL)\n"
        "class RXNMapper:\n"
        "    def __init__(self):\n"
        "        rdBase.DisableLog('rdApp.error')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("rxnmapper", "other_thread"):  # recorded, so that the stand-ins go afterwards
        monkeypatch.setitem(sys.modules, name, None)
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(_atom_mapping, "version", lambda name: "0-stand-in")
    for channel in ("rdApp.warning", "rdApp.error"):  # on, whatever other tests left in this process
        rdBase.EnableLog(channel)
    before = rdBase.LogStatus()
    switches = (rdBase.DisableLog, rdBase.EnableLog, RDLogger.DisableLog, RDLogger.EnableLog)
    import other_thread

    other_thread.block = rdBase.BlockLogs()
    _atom_mapping._rxnmapper.cache_clear()
    try:
        _atom_mapping._rxnmapper()
    finally:
        _atom_mapping._rxnmapper.cache_clear()
    assert rdBase.LogStatus() == before
    assert (rdBase.DisableLog, rdBase.EnableLog, RDLogger.DisableLog, RDLogger.EnableLog) == switches


def test_threads_mapping_at_once_load_one_mapper(tmp_path, monkeypatch):
    """Six threads' first reactions loaded six RXNMapper models (functools.cache lets every first
    caller in); a stand-in model that takes a while to load, so that this runs without the extra."""
    (tmp_path / "rxnmapper.py").write_text(
        "import time\nloaded = []\nclass RXNMapper:\n    def __init__(self):\n"
        "        loaded.append(self)\n        time.sleep(0.3)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(sys.modules, "rxnmapper", None)  # recorded, so that the stand-in goes afterwards
    monkeypatch.delitem(sys.modules, "rxnmapper")
    monkeypatch.setattr(_atom_mapping, "version", lambda name: "0-stand-in")
    _atom_mapping._rxnmapper.cache_clear()
    try:
        threads = [threading.Thread(target=_atom_mapping._mapper, args=("rxnmapper",)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        import rxnmapper

        assert len(rxnmapper.loaded) == 1
    finally:
        _atom_mapping._rxnmapper.cache_clear()


def test_two_threads_loading_the_mapper_give_rdkits_log_switches_back():
    """The second thread's freeze saved the first's stand-ins and put them back for good."""
    switches = (rdBase.DisableLog, rdBase.EnableLog, RDLogger.DisableLog, RDLogger.EnableLog)
    entered, release, first_done = threading.Event(), threading.Event(), threading.Event()

    def first():
        with _atom_mapping._rdkit_log_settings_frozen():
            entered.set()
            release.wait(10)

    def second():
        with _atom_mapping._rdkit_log_settings_frozen():
            first_done.wait(10)  # still inside when the first has left

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    entered.wait(10)
    threads[1].start()
    time.sleep(0.2)  # the second is at its freeze
    release.set()
    threads[0].join()
    first_done.set()
    threads[1].join()
    assert (rdBase.DisableLog, rdBase.EnableLog, RDLogger.DisableLog, RDLogger.EnableLog) == switches


PARTLY_MAPPED = "[CH3:1]CO>>[CH3:1]CC=O"


def test_a_partly_mapped_reaction_is_not_taken_as_mapped():
    """Three of the four product atoms carry no number: not three atoms the reaction creates."""
    with pytest.raises(UnmappedReactionError) as error:
        SmilesGraphizer(reaction_mode="cgr").fit_transform([AMIDE, PARTLY_MAPPED])
    assert list(error.value.bad_rows) == [1]
    assert (
        "row 1: '[CH3:1]CO>>[CH3:1]CC=O' (not atom-mapped: 3 of its 4 product heavy atoms carry no map"
        in str(error.value)
    )
    # with a mapper set, the advice says what else the call can do: by default errors='ignore', in
    # a call without that option (predict, a screen) what the call gives instead
    bad = {1: (PARTLY_MAPPED, error.value.bad_rows[1][1])}
    assert "pass errors='ignore'" in str(invalid_input_error(bad, "rxnmapper"))
    told = str(invalid_input_error(bad, "rxnmapper", "Pass errors='nan' to score the others."))
    assert "atom_mapper='rxnmapper' returned them so" in told and told.endswith("score the others.")
    assert "errors='ignore'" not in told
    # unmapped reactant atoms are leaving groups, and product hydrogens need no number
    graphs = SmilesGraphizer(reaction_mode="cgr").fit_transform(["[CH3:1]Br.[OH2:2]>>[CH3:1][OH:2]"])
    assert graphs.batch().num_nodes == 3


def test_a_partly_mapped_reaction_goes_to_the_mapper_without_its_numbers(monkeypatch):
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    full = "[CH3:1][CH2:2][OH:3]>>[CH3:1][CH2:2][CH:4]=[O:3]"
    mapper = DictMapper({"CCO>>CCC=O": full})
    graphs = SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper).fit_transform([PARTLY_MAPPED, AMIDE])
    assert mapper.asked == ["CCO>>CCC=O"]  # the fully mapped row is not asked
    expected = SmilesGraphizer(reaction_mode="cgr").fit_transform([full, AMIDE])
    assert torch.equal(graphs.batch().x, expected.batch().x)


def test_every_spelling_of_a_reaction_asks_the_mapper_one_question(monkeypatch):
    """rxnmapper maps a reaction by its text: written otherwise (atoms, molecules in another order,
    partly mapped), 18 % of USPTO-50k reactions got another mapping, so one reaction had several
    graphs. The mapper is asked the canonical SMILES of the reaction's two sides."""
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    plain = strip_maps(AMIDE)
    spellings = [
        plain,
        ".".join(reversed(plain.split(">>")[0].split("."))) + ">>" + plain.split(">>")[1],
        "C(C)(=O)Cl.NC>>C(=O)(NC)C",
        "CC(=O)Cl.[NH2:7]C>>CC(=O)NC",  # partly mapped: its number goes
    ]
    assert len(set(spellings)) == len(spellings)
    mapper = DictMapper({plain: AMIDE})
    graphs = SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper).fit_transform(spellings)
    assert mapper.asked == [plain]
    expected = SmilesGraphizer(reaction_mode="cgr").fit_transform([AMIDE] * len(spellings))
    assert torch.equal(graphs.batch().x, expected.batch().x)
    assert torch.equal(graphs.batch().edge_index, expected.batch().edge_index)


def test_a_fitted_model_that_maps_nothing_says_so_of_unmapped_reactions():
    """A fitted model's atom_mapper changes only with a refit: 'pass atom_mapper=...' did nothing."""
    clf = BaselineClassifier(reaction_mode="cgr", max_epochs=1, hidden=8, random_state=0)
    with pytest.warns(UserWarning, match="holds copies of training molecules"):  # (two reactions)
        clf.fit([AMIDE, DEPROTECTION] * 4, [0, 1] * 4)
    with pytest.raises(UnmappedReactionError) as error:
        clf.predict([strip_maps(AMIDE)])
    message = str(error.value)
    assert "this model was fitted with atom_mapper=None, and maps nothing" in message
    assert "let the package map them" not in message
    assert message.endswith("scores the others and marks these.")  # predict's own advice kept


def test_unmapped_advice_fits_the_mapper_that_was_set(monkeypatch):
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    mapper = DictMapper({"CCO>>CC=O": "[CH3:1]CO>>[CH3:1]C=O"})  # a mapper that maps only part
    with pytest.raises(UnmappedReactionError, match=r"row 0: .*not atom-mapped: 2 of its 3") as error:
        SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper).fit_transform(["CCO>>CC=O"])
    assert "atom_mapper=<" in str(error.value) and "returned them so" in str(error.value)
    assert "atom_mapper='rxnmapper'" not in str(error.value)
    # a classifier's fit has no errors='ignore' to offer: its advice is to remove the rows
    with pytest.raises(UnmappedReactionError) as error:
        BaselineClassifier(reaction_mode="cgr", atom_mapper=mapper).fit(["CCO>>CC=O", AMIDE] * 4, [0, 1] * 4)
    assert str(error.value).endswith("Or remove these rows (and the matching labels).")
    # and so without a mapper (its advice to map them was all the message said)
    with pytest.raises(UnmappedReactionError) as error:
        BaselineClassifier(reaction_mode="cgr").fit(["CCO>>CC=O", AMIDE] * 4, [0, 1] * 4)
    assert "let the package map them: atom_mapper='rxnmapper'" in str(error.value)
    assert str(error.value).endswith("Or remove these rows (and the matching labels).")


def test_whitespace_inside_a_reaction_is_reported_not_mapped(monkeypatch):
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    mapper = DictMapper({})
    for atom_mapper in (None, mapper):
        with pytest.raises(InvalidSmilesError, match=r"row 1: 'CCO>>CC =O' \(whitespace inside it"):
            SmilesGraphizer(reaction_mode="cgr", atom_mapper=atom_mapper).fit_transform([AMIDE, "CCO>>CC =O"])
    assert mapper.asked == []
    padded = SmilesGraphizer(reaction_mode="cgr").fit_transform([f" {AMIDE}\n"])
    assert torch.equal(padded.batch().x, cgr(AMIDE, "cgr").x)


def test_map_numbers_do_not_change_double_bond_stereo():
    """RDKit's CIP ranks read map numbers: parsed as written, this E double bond would read Z."""
    reaction = (
        "[O:5]=[C:4]([OH:3])/[C:6]([CH3:7])=[CH:8]/[CH3:9].[CH3:1][OH:2]"
        ">>[O:5]=[C:4]([O:2][CH3:1])/[C:6]([CH3:7])=[CH:8]/[CH3:9]"
    )
    found = {
        name
        for attr in cgr(reaction).edge_attr
        for name, value in zip(CGR_BOND_FEATURE_NAMES, attr.tolist(), strict=True)
        if value and "stereo=" in name and not name.endswith("STEREONONE")
    }
    assert found == {"reactant:stereo=STEREOE", "product:stereo=STEREOE"}


def test_map_numbers_do_not_make_a_stereocentre():
    """An atom that is a stereocentre only because maps tell its neighbours apart kept its chiral
    tag when the mapped SMILES was read but once (the canonical node order reads the tag)."""
    mapped = "[CH3:1][C@H:2]1[CH2:3][CH2:4][CH:5]([OH:8])[CH2:6][CH2:7]1"
    graphs = SmilesGraphizer(bond_features=True, fingerprint=None).fit_transform([mapped, "C[C@H]1CCC(O)CC1"])
    first, second = graphs.to_data_list()
    for key in ("x", "edge_index", "edge_attr"):
        assert torch.equal(first[key], second[key]), key


def test_a_fit_and_a_transform_loading_the_mapper_at_once_finish(tmp_path):
    """A lock of the mapper's load taken before torch's deadlocked a fit (which holds torch's lock
    as it maps) in one thread and a transform loading the mapper in another; a stand-in model,
    in a process of its own, so that a deadlock fails this test alone."""
    (tmp_path / "rxnmapper.py").write_text(
        "import time\nclass RXNMapper:\n    def __init__(self):\n        time.sleep(0.3)\n"
    )
    code = """
import sys, threading, time
sys.path.insert(0, sys.argv[1])
from sklearn_ltdd.featurize import _atom_mapping
from sklearn_ltdd._torch_state import torch_defaults
_atom_mapping.version = lambda name: "0-stand-in"

def fit():
    with torch_defaults():  # as a fit holds torch's lock when it makes its graphs
        time.sleep(0.3)
        _atom_mapping._mapper("rxnmapper")

def transform():
    time.sleep(0.1)
    _atom_mapping._mapper("rxnmapper")

threads = [threading.Thread(target=f, daemon=True) for f in (fit, transform)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join(20)
print("finished" if not any(thread.is_alive() for thread in threads) else "deadlocked")
"""
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "finished", done.stderr[-2000:]


def test_reactants_written_among_the_reagents_are_named_not_dropped():
    """Their atoms became product atoms 'created from nothing', silently."""
    amide = "[NH2:1][CH3:2].[CH3:3][C:4](=[O:5])[Cl:6]>[Na+].[OH-]>[CH3:3][C:4](=[O:5])[NH:1][CH3:2]"
    misplaced = "[NH2:1][CH3:2]>[CH3:3][C:4](=[O:5])[Cl:6]>[CH3:3][C:4](=[O:5])[NH:1][CH3:2]"
    # a reagent may reuse a number that pairs a reactant atom with a product atom: not a reactant
    reused = "[CH3:1][OH:2]>[Na+:1].[Cl-:7]>[CH3:1][O:2][CH3:3]"
    # partly mapped, with the acetyl's maps among the reagents: not for the mapper, which is given
    # no reagents and would map the acetyl as made from nothing
    unmapped_reactant = "NC>[CH3:3][C:4](=[O:5])Cl>[CH3:3][C:4](=[O:5])NC"
    rows = [amide, misplaced, reused, unmapped_reactant]
    for mode in ("cgr", "cgr_product"):
        mapper = DictMapper({})
        graphizer = SmilesGraphizer(reaction_mode=mode, atom_mapper=mapper, errors="ignore")
        graphizer.fit_transform(rows)
        assert list(graphizer.invalid_rows_) == [1, 3] and not mapper.asked
        for row in (1, 3):
            reason = graphizer.invalid_rows_[row][1]
            assert reason.startswith("atom-map numbers [3, 4, 5] of its products are on its reagents")
        assert find_invalid(np.array(rows, dtype=object), graphizer) == graphizer.invalid_rows_


def test_unmapped_reactants_written_among_the_reagents_are_named_not_made_from_nothing():
    """The mapper is given no reagents: an unmapped ester synthesis with its alcohol written as a
    reagent got a graph whose ester carbons were made from nothing, silently (rxnmapper's answers
    below). The mapper is now asked again with the reagents among the reactants."""
    no_ethanol = "[CH3:5][C:1](=[O:6])[OH:3]>>[CH3:1][CH2:2][O:3][C:4]([CH3:5])=[O:6]"
    answers = {
        "CC(=O)O>>CCOC(C)=O": no_ethanol,
        "CC(=O)O.CCO>>CCOC(C)=O": (
            "[CH3:5][C:4](=[O:6])O.[CH3:1][CH2:2][OH:3]>>[CH3:1][CH2:2][O:3][C:4]([CH3:5])=[O:6]"
        ),
        "CC(=O)O.[Na+].[OH-]>>CCOC(C)=O": (
            "[CH3:5][C:1](=[O:6])[OH:3].[Na+].[OH-]>>[CH3:1][CH2:2][O:3][C:4]([CH3:5])=[O:6]"
        ),
        "CCO.O=C(O)C(=O)O>>CCOC(=O)C(=O)OCC": (
            "[CH3:10][CH2:9][OH:8].[O:5]=[C:4]([OH:3])[C:1](=[O:7])O"
            ">>[CH3:1][CH2:2][O:3][C:4](=[O:5])[C:6](=[O:7])[O:8][CH2:9][CH3:10]"
        ),
        "CCO.CCO.O=C(O)C(=O)O>>CCOC(=O)C(=O)OCC": (
            "[CH3:1][CH2:2][OH:3].[CH3:10][CH2:9][OH:8].O=[C:4]([OH:5])[C:6](=O)[OH:7]"
            ">>[CH3:1][CH2:2][O:3][C:4](=[O:5])[C:6](=[O:7])[O:8][CH2:9][CH3:10]"
        ),
        # the butanol missing altogether: the mapper draws two of its four carbons from the THF
        "CC(=O)O>>CCCCOC(C)=O": (
            "[CH3:1][C:2](=[O:3])[OH:4]>>[CH3:5][CH2:6][CH2:7][CH2:8][O:4][C:2]([CH3:1])=[O:3]"
        ),
        "C1CCOC1.CC(=O)O>>CCCCOC(C)=O": (
            "[CH2:5]1[CH2:6]COC1.[CH3:1][C:2](=[O:3])[OH:4]>>[CH3:7][CH2:8][CH2:6][CH2:5][O:4][C:2]([CH3:1])=[O:3]"
        ),
    }
    rows = [
        "CC(=O)O>OCC>CC(=O)OCC",  # the alcohol among the reagents
        "CC(=O)O>[Na+].[OH-]>CC(=O)OCC",  # reagents the mapper leaves out: the first answer stands
        "CC(=O)O>>CC(=O)OCC",  # no reagents to ask about: taken as the mapper maps it
        "OC(=O)C(=O)O.OCC>OCC>CCOC(=O)C(=O)OCC",  # a second ethanol, the one among the reagents
        "CC(=O)O.OCC>>CC(=O)OCC",  # written right
        "CC(=O)O>C1CCOC1>CC(=O)OCCCC",  # a solvent that accounts for some of the atoms made from nothing
    ]
    mapper = DictMapper(answers)
    graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper, errors="ignore")
    graphs = graphizer.fit_transform(rows)
    assert sorted(graphizer.invalid_rows_) == [0, 3]
    assert (
        "makes 2 of its product atoms from nothing, and finds them all in its reagents ['CCO']"
        in (graphizer.invalid_rows_[0][1])
    )
    assert (
        "makes 2 of its product atoms from nothing, and finds them all in its reagents ['CCO']"
        in (graphizer.invalid_rows_[3][1])
    )
    assert "before the first '>'" in graphizer.invalid_rows_[0][1]
    assert sorted(mapper.asked) == sorted(answers)  # each question once
    assert graphs.valid_mask.tolist() == [False, True, True, False, True, True]
    sizes = graphs.batch().batch.bincount().tolist()
    # the acid's 4 atoms and the 2 the mapper makes from nothing (no reagent holds them); no salt
    # atom is a node; the acid's and ethanol's 7 where the ethanol is a reactant
    assert [sizes[i] for i in (1, 2, 4, 5)] == [6, 6, 7, 8]  # (the butyl ester: the acid's 4 and 4 made)


def test_a_hydrogen_the_mapper_leaves_unmapped_is_no_atom_made_from_nothing():
    """Mappers map heavy atoms only (rxnmapper leaves a deuterium written as an atom unmapped): an
    answer whose heavy atoms all have partners once the reagents are asked about, but for such a
    hydrogen, names the reagents, as it does without the hydrogen."""
    first = "[CH3:5][C:1](=[O:6])[OH:3]>>[2H][CH2:1][CH2:2][O:3][C:4]([CH3:5])=[O:6]"
    again = "[CH3:5][C:4](=[O:6])O.[2H][CH2:1][CH2:2][OH:3]>>[2H][CH2:1][CH2:2][O:3][C:4]([CH3:5])=[O:6]"
    mapper = DictMapper({strip_maps(answer): answer for answer in (first, again)})
    graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper, errors="ignore")
    assert not graphizer.fit_transform(["CC(=O)O>[2H]CCO>CC(=O)OCC[2H]"]).valid_mask.any()
    said = "makes 2 of its product atoms from nothing, and finds them all in its reagents ['[2H]CCO']"
    assert said in graphizer.invalid_rows_[0][1]


def test_the_disk_cache_answers_by_its_key_in_batches(tmp_path, monkeypatch):
    """It read the mapper's whole table for every chunk of a screen; now the reactions asked, by
    the table's key, a few hundred per query (SQLite's limit on parameters)."""
    disk = _atom_mapping._DiskCache(tmp_path)
    stored = {f"C{i}>>C{i}O": f"[CH4:1]>>{i}" for i in range(1_200)}
    queries, connect = [], sqlite3.connect

    def traced(*args, **kwargs):
        connection = connect(*args, **kwargs)
        connection.set_trace_callback(queries.append)
        return connection

    disk.put("mapper@1", stored)
    disk.put("mapper@2", {"C0>>C0O": "another mapper's"})
    asked = [*stored, "N>>NO"]
    monkeypatch.setattr(sqlite3, "connect", traced)
    assert disk.get("mapper@1", asked) == stored  # across three batches; the unknown one is absent
    monkeypatch.undo()
    selects = [query for query in queries if query.startswith("SELECT")]
    assert len(selects) == 3 and all("AND reaction IN (" in query for query in selects)
    assert disk.get("mapper@2", asked) == {"C0>>C0O": "another mapper's"}
    assert _atom_mapping._DiskCache(None).get("mapper@1", asked) == {}


@pytest.mark.parametrize(
    ("path", "uri"),
    [  # a share's as_uri() is file://fileserver/lab/..., whose host SQLite refuses: never read
        (PureWindowsPath(r"\\fileserver\lab\maps.sqlite"), "file:////fileserver/lab/maps.sqlite?mode=ro"),
        (PureWindowsPath(r"C:\Users\me\maps 1.sqlite"), "file:///C:/Users/me/maps%201.sqlite?mode=ro"),
        (PurePosixPath("/data/maps#1?%.sqlite"), "file:///data/maps%231%3F%25.sqlite?mode=ro"),
    ],
)
def test_the_disk_cache_opens_its_file_by_a_uri_without_a_host(path, uri):
    assert _atom_mapping.read_only_uri(path) == uri


def test_the_disk_cache_reads_back_from_a_folder_of_any_name(tmp_path):
    folder = tmp_path / "maps #1? 100%"
    folder.mkdir()
    assert _atom_mapping._DiskCache(folder).put("mapper@1", {"C>>CO": "[CH4:1]>>[CH3:1]O"})
    assert _atom_mapping._DiskCache(folder).get("mapper@1", ["C>>CO"]) == {"C>>CO": "[CH4:1]>>[CH3:1]O"}


def mapper_of_three(reactions: list[str]) -> list[str]:
    return [{strip_maps(r): r for r in (AMIDE, DEPROTECTION, ESTERIFICATION)}[r] for r in reactions]


WITHOUT_SQLITE = """
import sys, warnings
sys.modules["sqlite3"] = sys.modules["_sqlite3"] = None  # a Python built without SQLite
from sklearn_ltdd import LTDDClassifier, SmilesGraphizer
from sklearn_ltdd.featurize import _atom_mapping
LTDDClassifier(), SmilesGraphizer()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    assert _atom_mapping._DiskCache(sys.argv[1]).put("mapper", {"C>>CO": "[CH4:1]>>[CH3:1]O"}) is False
print(caught[0].message)
"""


def test_a_python_without_sqlite_imports_the_classifiers_and_sets_the_map_cache_aside(tmp_path):
    """The atom-map cache's sqlite3 import, at the top of its module, failed every import of the
    classifiers and the featuriser where Python was built without SQLite."""
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_SQLITE, str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "cannot be written" in done.stdout and "with the sqlite3 module" in done.stdout


def test_a_cache_that_only_answers_is_not_written_and_a_bad_file_is_set_aside(tmp_path, monkeypatch):
    """A fresh process wrote every map it read back to the file (a read-only cache failed with
    'attempt to write a readonly database'), and a damaged file failed every transform."""
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    monkeypatch.setattr(_atom_mapping, "_ON_DISK", {})
    monkeypatch.setattr(_atom_mapping, "_WARNED", set())
    plain = [strip_maps(r) for r in (AMIDE, DEPROTECTION)]
    graphizer = SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper_of_three, memory=str(tmp_path))
    expected = graphizer.fit_transform(plain).batch().x
    file = tmp_path / "sklearn_ltdd_atom_maps.sqlite"
    # as in a new process, with the file read-only: its maps are read, nothing is written
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    monkeypatch.setattr(_atom_mapping, "_ON_DISK", {})
    writable = _atom_mapping._DiskCache._connect
    monkeypatch.setattr(  # the connection that writes, opened read-only (root writes any file)
        _atom_mapping._DiskCache,
        "_connect",
        lambda self, sqlite: sqlite.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True),
    )
    assert torch.equal(graphizer.fit_transform(plain).batch().x, expected)  # no warning: nothing to write
    # a reaction not in the file: mapped, kept in memory, and the file said to be unwritable, once
    with pytest.warns(UserWarning, match=r"atom-map cache .*sklearn_ltdd_atom_maps.sqlite cannot be written"):
        graphizer.fit_transform([strip_maps(ESTERIFICATION)])
    monkeypatch.setattr(_atom_mapping._DiskCache, "_connect", writable)
    graphizer.fit_transform([strip_maps(ESTERIFICATION)])  # writable again: the lost map is written
    with sqlite3.connect(file) as db:
        assert db.execute("SELECT COUNT(*) FROM maps").fetchone() == (3,)
    # an empty file (another process about to make its table) holds no maps, and is no error
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    monkeypatch.setattr(_atom_mapping, "_ON_DISK", {})
    file.write_bytes(b"")
    assert torch.equal(graphizer.fit_transform(plain).batch().x, expected)
    # a damaged file: said, the maps made afresh
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    file.write_bytes(b"not a database" * 100)
    with pytest.warns(
        UserWarning, match=r"cannot be read \(file is not a database\); the maps are made afresh"
    ):
        assert torch.equal(graphizer.fit_transform(plain).batch().x, expected)


def test_a_mapper_is_known_by_what_the_users_own_modules_hold_as_loaded(tmp_path, monkeypatch):
    """A helper module beside the notebook (no distribution, no version) was known by its name
    alone: after it was edited and reloaded, the maps of the code before were served from the
    disk cache. It is known by what it holds as loaded: what runs is what maps."""
    (tmp_path / "ltdd_probe_mapper.py").write_text(
        "import ltdd_probe_helpers\nfrom ltdd_probe_helpers import shift\n\n"
        "def mapper(reactions):\n    return [ltdd_probe_helpers.SHIFT + shift() for r in reactions]\n"
    )
    (tmp_path / "ltdd_probe_helpers.py").write_text("SHIFT = 0\n\ndef shift():\n    return 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("ltdd_probe_helpers", "ltdd_probe_mapper"):
        monkeypatch.delitem(sys.modules, name, raising=False)  # imported afresh, and forgotten after
    import ltdd_probe_helpers
    import ltdd_probe_mapper

    def key():
        return _atom_mapping._mapper(ltdd_probe_mapper.mapper)[1]

    first = key()
    assert key() == first  # stable while nothing changes
    (tmp_path / "ltdd_probe_helpers.py").write_text("SHIFT = 10\n\ndef shift():\n    return 0\n")
    assert key() == first  # edited, not reloaded: the code that runs, and maps, is the same
    importlib.reload(ltdd_probe_helpers)
    after_constant = key()
    assert after_constant != first
    (tmp_path / "ltdd_probe_helpers.py").write_text("SHIFT = 10\n\ndef shift():\n    return 100\n")
    importlib.reload(ltdd_probe_helpers)
    importlib.reload(ltdd_probe_mapper)  # (its own name for shift is the function imported before)
    assert key() not in (first, after_constant)
    for name in ("ltdd_probe_helpers", "ltdd_probe_mapper"):
        sys.modules.pop(name, None)


def test_a_reaction_is_one_question_to_the_mapper_with_either_stereo_perception(monkeypatch):
    # RDKit's new perception wrote a diene's canonical SMILES after the atoms it was written with:
    # one reaction, two questions (two maps, and two graphs)
    monkeypatch.setattr(_atom_mapping, "_IN_PROCESS", OrderedDict())
    diene = Chem.MolFromSmiles("C/C=C/C(/C=C\\C)=C/C")
    writings = {Chem.MolToSmiles(diene, doRandom=True) for _ in range(30)}
    asked = []

    def mapper(reactions):
        asked.extend(reactions)
        return ["[CH3:1][CH3:2]>>[CH3:1][CH3:2]"] * len(reactions)

    setting = Chem.GetUseLegacyStereoPerception()
    Chem.SetUseLegacyStereoPerception(False)
    try:
        _atom_mapping.map_reactions(np.array([f"CC>>{w}" for w in writings], dtype=object), mapper)
        assert not Chem.GetUseLegacyStereoPerception()  # given back
    finally:
        Chem.SetUseLegacyStereoPerception(setting)
    assert len(writings) > 1 and len(set(asked)) == 1
