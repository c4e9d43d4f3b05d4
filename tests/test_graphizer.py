import copy
import dataclasses
import io
import os
import pickle
import re
import subprocess
import sys
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from rdkit import Chem, rdBase
from sklearn import config_context
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from torch_geometric.data import Batch
from torch_geometric.nn import global_mean_pool

from sklearn_ltdd import (
    GraphStore,
    GraphStorePair,
    InconsistentVersionWarning,
    LTDDClassifier,
    MorganFingerprint,
    SmilesGraphizer,
)
from sklearn_ltdd.datasets import load_solubility
from sklearn_ltdd.featurize import GraphRecipe, InvalidSmilesError, _graphizer, check_graphs_match
from sklearn_ltdd.featurize._cgr import GRAPH_REACTION_MODES
from sklearn_ltdd.featurize._graph_features import (
    ATOM_FEATURE_NAMES,
    ATOM_SYMBOLS,
    FEATURE_SCHEMA,
    canonical_ranks,
    featurize_chunk,
)
from sklearn_ltdd.featurize._graph_keys import graph_keys, identical_graphs
from sklearn_ltdd.featurize._graph_store import check_finite_features
from sklearn_ltdd.featurize._smiles import PARSE_VERSION
from sklearn_ltdd.metrics import balanced_accuracy_score

SYNTAX = "RDKit cannot parse it: its syntax, e.g. a typo, an unclosed ring or branch, an unknown atom"
NAMES = np.array(SmilesGraphizer().get_feature_names_out())
REAL_SMILES = load_solubility().data.tolist()


def atom_features(smiles, atom=0):
    """The features of the SMILES's atom ``atom``, at its node: its place in RDKit's canonical order."""
    node = canonical_ranks(Chem.MolFromSmiles(smiles))[atom]
    x = SmilesGraphizer().fit_transform([smiles]).x[node].numpy()
    return {name: float(v) for name, v in zip(NAMES, x, strict=True) if v != 0}


@pytest.mark.parametrize(
    ("smiles", "atom", "expected"),
    [
        # benzene carbon: two ring neighbours, one implicit H, aromatic sp2
        (
            "c1ccccc1",
            0,
            ["symbol=C", "degree=2", "implicit_valence=1", "hybridization=SP2", "is_aromatic", "total_h=1"],
        ),
        # ammonium: charge +1 read as its integer value, four hydrogens (written in brackets, and
        # counted in the implicit valence all the same), no heavy neighbours
        (
            "[NH4+]",
            0,
            ["symbol=N", "degree=0", "implicit_valence=4", "hybridization=SP3", "total_h=4", "formal_charge"],
        ),
        # methyl radical: one radical electron
        (
            "[CH3]",
            0,
            [
                "symbol=C",
                "degree=0",
                "implicit_valence=3",
                "hybridization=SP3",
                "total_h=3",
                "radical_electrons",
            ],
        ),
        # xenon is not in the 43-symbol vocabulary: no symbol bit at all
        ("[Xe]", 0, ["degree=0", "implicit_valence=0", "hybridization=SP3", "total_h=0"]),
        # phosphoric acid: 5-valent P with four heavy neighbours
        ("P(=O)(O)(O)O", 0, ["symbol=P", "degree=4", "implicit_valence=0", "hybridization=SP3", "total_h=0"]),
        # pyrrole N-H: the bracket H counts as it would written implicitly (kekulé "C1=CNC=C1")
        (
            "c1cc[nH]c1",
            3,
            ["symbol=N", "degree=2", "implicit_valence=1", "hybridization=SP2", "is_aromatic", "total_h=1"],
        ),
    ],
)
def test_atom_features_match_hand_derived_values(smiles, atom, expected):
    assert atom_features(smiles, atom) == dict.fromkeys(expected, 1.0)


def test_formal_charge_is_its_integer_value():
    assert atom_features("[O-2]")["formal_charge"] == -2.0


def test_feature_vocabulary():
    assert NAMES.shape == (74,)
    assert NAMES[0] == "symbol=C" and NAMES[42] == "symbol=Pb" and NAMES[-1] == "total_h=4"


def test_bond_features():
    graphs = SmilesGraphizer(bond_features=True).fit_transform(["C/C=C/c1ccccc1"])
    assert graphs.edge_attr.shape == (graphs.edge_index.shape[1], 12)
    # edges come in (i, j), (j, i) pairs carrying the same features
    np.testing.assert_array_equal(graphs.edge_attr[0::2], graphs.edge_attr[1::2])
    first = graphs.edge_attr[0].numpy()  # C-C single, conjugated? no; not in ring; stereo none
    assert first[0] == 1 and first[5] == 0 and first[6] == 1
    assert graphs.edge_attr[:, 3].sum() == 12  # six aromatic bonds, both directions
    assert SmilesGraphizer().fit_transform(["CC"]).edge_attr is None


def test_bond_features_mark_rings_and_conjugation_in_their_own_columns():
    # columns: single, double, triple, aromatic, conjugated, in ring, then stereo
    ring = SmilesGraphizer(bond_features=True).fit_transform(["C1CCCCC1"]).edge_attr.numpy()
    np.testing.assert_array_equal(ring, np.tile([1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0], (12, 1)))
    diene = SmilesGraphizer(bond_features=True).fit_transform(["C=CC=C"]).edge_attr.numpy()
    middle = diene[diene[:, 0] == 1]  # the single bond, both directions: conjugated, not in a ring
    np.testing.assert_array_equal(middle, np.tile([1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0], (2, 1)))


def test_atom_symbols_in_the_reference_order():
    # the spec's (dgllife's) order: a trained model's first layer reads these columns by position
    expected = (
        "C N O S F Si P Cl Br Mg Na Ca Fe As Al I B V K Tl Yb Sb Sn Ag Pd Co Se Ti Zn H Li Ge Cu Au Ni "
    )
    assert ATOM_SYMBOLS == (expected + "Cd In Mn Zr Cr Pt Hg Pb").split()
    x = SmilesGraphizer().fit_transform(["ClCBr"]).x.numpy()
    assert x[:, :9].sum(axis=0).tolist() == [1, 0, 0, 0, 0, 0, 0, 1, 1]  # C, Cl, Br


@given(st.lists(st.sampled_from(REAL_SMILES), min_size=1, max_size=25))
def test_graph_sizes_and_edge_symmetry(smiles):
    graphs = SmilesGraphizer().fit_transform(smiles)
    assert len(graphs) == len(smiles)
    for data, s in zip(graphs.to_data_list(), smiles, strict=True):
        mol = Chem.MolFromSmiles(s)
        assert data.num_nodes == mol.GetNumAtoms()
        assert data.edge_index.shape[1] == 2 * mol.GetNumBonds()
        edges = set(map(tuple, data.edge_index.t().tolist()))
        assert edges == {(j, i) for i, j in edges}
        assert all(i != j and 0 <= i < data.num_nodes for i, j in edges)


@given(st.lists(st.sampled_from(REAL_SMILES[:40]), min_size=1, max_size=20), st.data())
def test_store_batch_equals_pyg_collation(smiles, data):
    graphs = SmilesGraphizer(bond_features=True).fit_transform(smiles)
    index = data.draw(st.lists(st.integers(0, len(smiles) - 1), min_size=1, max_size=10))
    ours = graphs.batch(index)
    reference = Batch.from_data_list(graphs.to_data_list(index))
    for key in ("x", "edge_index", "edge_attr", "batch", "ptr"):
        assert torch.equal(getattr(ours, key), getattr(reference, key)), key
    assert ours.num_graphs == len(index)


def test_duplicates_are_featurised_once_but_returned_per_row(monkeypatch):
    calls = []
    original = _graphizer.featurize_chunk

    def counting(values, *args, **kwargs):
        calls.append(len(values))
        return original(values, *args, **kwargs)

    monkeypatch.setattr(_graphizer, "featurize_chunk", counting)
    graphs = SmilesGraphizer().fit_transform(["CCO", "c1ccccc1", "CCO", "CCO"])
    assert calls == [2]
    assert len(graphs) == 4
    assert torch.equal(graphs[0].x, graphs[3].x) and graphs[1].num_nodes == 6


def test_every_bad_row_is_reported():
    X = ["CCO", "C1CC", None, float("nan"), "", "CC>>C", "c1ccccc1", "C1CC", b"CCO"]
    with pytest.raises(InvalidSmilesError) as info:
        SmilesGraphizer().fit_transform(X)
    assert sorted(info.value.bad_rows) == [1, 2, 3, 4, 5, 7, 8]
    message = str(info.value)
    assert message.startswith("7 of the input rows are not valid SMILES")
    assert "row 8: b'CCO' (bytes, not a string; decode it first" in message
    assert "row 1: 'C1CC' (RDKit cannot parse it: its syntax, e.g. a typo, an unclosed ring" in message
    assert "row 7: 'C1CC'" in message  # a repeated bad string is reported at every row
    assert "row 3: nan (missing)" in message
    assert "row 5: 'CC>>C' (a reaction SMILES; set reaction_mode" in message
    assert "'cgr_product' (and refit a fitted model)" in message
    hint = message[message.index("row 5: 'CC>>C'") :].splitlines()[0]
    assert all(f"'{mode}'" in hint for mode in GRAPH_REACTION_MODES)  # the hint names every mode


def test_a_transform_that_raises_leaves_its_own_invalid_rows():
    """They described the transform before, another input's rows."""
    graphizer = SmilesGraphizer(errors="ignore").fit(["CC"])
    graphizer.transform(["xx", "CC"])
    graphizer.set_params(errors="raise")
    with pytest.raises(InvalidSmilesError):
        graphizer.transform(["CC", "yy"])
    assert graphizer.invalid_rows_ == {1: ("yy", SYNTAX)}
    np.testing.assert_array_equal(graphizer.valid_mask_, [True, False])


@pytest.mark.parametrize("errors", ["raise", "ignore"])
def test_a_saved_graphizer_keeps_nothing_of_its_last_input(errors):
    """A Pipeline saved after a refit that failed on a bad training row held the row's text."""
    graphizer = SmilesGraphizer(errors=errors).fit(["CC"])
    try:
        graphizer.transform(["CCO"] * 50 + ["C-a-secret-row"])
    except InvalidSmilesError:
        assert errors == "raise"
    assert graphizer.invalid_rows_ and len(graphizer.valid_mask_) == 51  # the notebook still sees them
    saved = pickle.dumps(graphizer)
    assert (
        b"secret" not in saved
        and len(saved) < len(pickle.dumps(SmilesGraphizer(errors=errors).fit(["CC"]))) + 20
    )
    for loaded in (pickle.loads(saved), joblib.load(_dumped(graphizer))):
        assert not hasattr(loaded, "invalid_rows_") and not hasattr(loaded, "valid_mask_")
        assert loaded.get_params() == graphizer.get_params() and loaded.n_features_in_ == 1
        np.testing.assert_array_equal(loaded.transform(["CC", "CCO"]).x, graphizer.transform(["CC", "CCO"]).x)


def _dumped(obj: object) -> io.BytesIO:
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    buffer.seek(0)
    return buffer


def test_errors_ignore_keeps_positions():
    graphizer = SmilesGraphizer(errors="ignore")
    graphs = graphizer.fit_transform(["CCO", "C1CC", None, "N"])
    assert len(graphs) == 4
    np.testing.assert_array_equal(graphizer.valid_mask_, [True, False, False, True])
    np.testing.assert_array_equal(graphs.valid_mask, graphizer.valid_mask_)
    assert [d.num_nodes for d in graphs.to_data_list()] == [3, 0, 0, 1]
    assert graphs.batch().num_graphs == 4
    assert graphizer.invalid_rows_ == {
        1: ("C1CC", SYNTAX),
        2: (None, "missing"),
    }
    # a reaction whose products make a graph but whose reactants the fingerprint cannot read (a
    # carbon of valence 5: their syntax, which every mode checks, is sound) is invalid, and its
    # graph empty like every invalid row's
    for bond_features in (False, True):
        products = SmilesGraphizer(reaction_mode="products", errors="ignore", bond_features=bond_features)
        graphs = products.fit_transform(["C(C)(C)(C)(C)C>>CCO", "CC>>CCO", "C(C)(C)(C)(C)C>>CCN"])
        assert graphs.valid_mask.tolist() == [False, True, False]
        assert [d.num_nodes for d in graphs.to_data_list()] == [0, 3, 0]
        assert graphs.edge_index.shape[1] == 4 and graphs.fingerprint[[0, 2]].abs().sum() == 0
        assert "fingerprint cannot read it" in products.invalid_rows_[0][1]


@pytest.mark.parametrize("fingerprint", ["morgan", None])
@pytest.mark.parametrize("mode", [None, "products", "reaction", "pair", "cgr", "cgr_product"])
def test_the_checking_pass_rejects_exactly_what_featurisation_rejects(mode, fingerprint):
    mapped = "[CH3:1][OH:2]>>[CH2:1]=[O:2]"
    rows = ["CCO", "C1CC", None, "CC>>C", mapped, "CCO>>CC=O", "[NH3]->[Fe]", " ", "CC O>>C"]
    # products whose graph reads, reactants only the fingerprint reads: mapped, and not
    rows += ["C(C)(C)(C)(C)C>>CCO", "[CH3:1]C(C)(C)(C)(C)C.[OH2:2]>>[CH3:1][OH:2]"]
    # parts no mode (or not this one) parses whole: their syntax is checked in every mode
    rows += ["C1CC>>C1", "C(C>>C)C", "CCO>xx>CC=O"]
    graphizer = SmilesGraphizer(reaction_mode=mode, fingerprint=fingerprint, errors="ignore")
    graphizer.fit_transform(rows)
    assert _graphizer.find_invalid(np.array(rows, dtype=object), graphizer) == graphizer.invalid_rows_
    if mode == "products" and fingerprint is not None:
        assert "fingerprint cannot read it" in graphizer.invalid_rows_[9][1]


def test_each_named_atom_feature_is_rdkits_reading_of_the_atom():
    """The one-hot groups and numbers say what their names say (test_parse_version pins the
    layout, not the meaning): read by name, against RDKit's atoms, as multisets (the graphs' atoms
    are in canonical order). implicit_valence is only checked to be one-hot."""
    names = list(ATOM_FEATURE_NAMES)
    smiles = ["C#CC=CCC(=O)[O-]", "c1ccncc1C[NH3+]", "FC(F)(F)c1ccc(Cl)cc1", "O=S(=O)(N)c1ccccc1", "[CH2]C"]
    store = SmilesGraphizer().fit_transform(smiles)

    groups = ("symbol", "hybridization", "total_h", "degree")

    def read(row):
        """The atom's features by their names: one column of each one-hot group, and the numbers."""
        hot = [name.split("=") for name, value in zip(names, row, strict=True) if "=" in name and value == 1]
        assert sorted(group for group, _ in hot) == sorted((*groups, "implicit_valence"))  # one of each
        one = dict(hot)
        numbers = [row[names.index(name)] for name in ("formal_charge", "radical_electrons", "is_aromatic")]
        return (*(one[group] for group in groups), int(numbers[0]), int(numbers[1]), bool(numbers[2]))

    for value, graph in zip(smiles, store, strict=True):
        expected = sorted(
            (atom.GetSymbol(), atom.GetHybridization().name, str(atom.GetTotalNumHs()), str(atom.GetDegree()),
             atom.GetFormalCharge(), atom.GetNumRadicalElectrons(), atom.GetIsAromatic())
            for atom in Chem.MolFromSmiles(value).GetAtoms()
        )  # fmt: skip
        assert sorted(map(read, graph.x.numpy())) == expected, value


@pytest.mark.parametrize("reaction_mode", [None, "difference"])
def test_the_fingerprint_parses_each_distinct_smiles_once(monkeypatch, reaction_mode):
    """It parsed and fingerprinted every row (200,000 rows of 1,000 SMILES: 46 s, the graphs 2.3 s)."""
    from sklearn_ltdd.featurize import _fingerprint

    molecules = ["CCO", "bad(", None, "c1ccccc1O", "bad(", "CCO", None, "CCO"]
    rows = np.array(
        molecules if reaction_mode is None else [m and f"C>>{m}" for m in molecules], dtype=object
    )
    parsed = []
    parse_row = _fingerprint.parse_row
    monkeypatch.setattr(
        _fingerprint, "parse_row", lambda *args, **kw: parsed.append(args[1]) or parse_row(*args, **kw)
    )
    fingerprint = MorganFingerprint(reaction_mode=reaction_mode)
    out, bad = fingerprint._fingerprints(rows)
    assert len(parsed) == 3 and sorted(set(parsed)) == sorted(parsed)  # the distinct strings, once each
    assert list(bad) == [1, 2, 4, 6] and bad[4] == bad[1] and bad[6][0] is None
    good = [0, 3, 5, 7]
    for row in good:
        np.testing.assert_array_equal(out[row], fingerprint.transform(rows[[row]])[0])
    assert not out[[1, 2, 4, 6]].any() and out[good].any(axis=1).all()


def test_the_checking_pass_parses_each_distinct_smiles_once(monkeypatch):
    """It parsed every row, where featurisation parses each distinct SMILES once: a prediction of
    more than one chunk of repeated rows took 4.5x as long with errors="raise" as with "nan"."""
    rows = np.array(["CCO", "C1CC", None, "CCN", "C1CC", "CCO", None, "CCO"], dtype=object)
    parsed = []
    parse_row = _graphizer.parse_row
    monkeypatch.setattr(
        _graphizer, "parse_row", lambda mode, value: parsed.append(value) or parse_row(mode, value)
    )
    graphizer = SmilesGraphizer(fingerprint=None, errors="ignore")
    graphizer.fit_transform(rows)
    parsed.clear()
    bad = _graphizer.find_invalid(rows, graphizer)
    assert bad == graphizer.invalid_rows_ and list(bad) == [1, 2, 4, 6]
    assert sorted(parsed) == ["C1CC", "CCN", "CCO"]  # (None is bad without a parse)


@pytest.mark.parametrize("mode", [None, "pair", "products", "cgr"])
def test_the_stored_fingerprint_is_morgan_fingerprints_in_every_mode(mode):
    # molecules and pairs are fingerprinted from the graphs' own parse, the other modes apart
    rows = ["CCO", "c1ccccc1O", "C1CC", "CC(=O)[O-].[Na+]"]
    if mode is not None:
        rows = ["[CH3:1][OH:2]>>[CH2:1]=[O:2]", "[CH3:1][Br:2].[OH2:3]>>[CH3:1][OH:3]"]
        rows += ["C(C)(C)(C)(C)C>>C", "CC>>CC"]
    graphizer = SmilesGraphizer(reaction_mode=mode, errors="ignore")
    graphs = graphizer.fit_transform(rows)
    valid = graphizer.valid_mask_
    expected = MorganFingerprint(reaction_mode=None if mode is None else "difference")
    fingerprints = graphs.fingerprint.numpy()
    np.testing.assert_array_equal(fingerprints[valid], expected.fit_transform(np.array(rows)[valid]))
    assert not fingerprints[~valid].any() and (~valid).sum() >= 1
    if mode == "products":  # the graph reads the products alone, the fingerprint the reactants too
        value, reason = graphizer.invalid_rows_[2]
        assert value == "C(C)(C)(C)(C)C>>C" and reason.startswith("its fingerprint cannot read it: RDKit")
        assert reason.endswith(", in 'C(C)(C)(C)(C)C'") and "valence" in reason


def test_a_dative_bond_is_not_a_reaction_arrow():
    # RDKit writes dative bonds in molecule SMILES: "->" and "<-" are bonds, not ">" separators
    graphs = SmilesGraphizer().fit_transform(["[NH3]->[Fe+2]<-[NH3]", "[NH3].[Fe+2].[NH3]"])
    assert [d.num_nodes for d in graphs.to_data_list()] == [3, 3]
    assert graphs.to_data_list()[0].num_edges == 4  # two bonds, the dot-separated one has none
    pair = SmilesGraphizer(reaction_mode="pair").fit_transform(["[NH3]->[Fe+2].CC>>CC"])
    assert [b.num_nodes for b in pair.batch()] == [4, 2]


def test_an_aromatic_bond_colon_is_not_a_map_number():
    explicit, implicit = SmilesGraphizer().fit_transform(["c1:c:c:c:c:c:1", "c1ccccc1"]).to_data_list()
    assert torch.equal(explicit.x, implicit.x) and torch.equal(explicit.edge_index, implicit.edge_index)


def test_bad_shapes_and_parameters():
    with pytest.raises(ValueError, match="X is empty"):
        SmilesGraphizer().fit_transform([])
    with pytest.raises(ValueError, match="one column of SMILES"):
        SmilesGraphizer().fit_transform([["CC", "CO"]])
    with pytest.raises(ValueError, match="reaction_mode"):
        SmilesGraphizer(reaction_mode="reactants").fit_transform(["CC>>C"])
    # MorganFingerprint needs no fit, so its transform checks the parameters itself
    for bad in ({"reaction_mode": "pair"}, {"counts": "no"}, {"n_bits": 0}, {"radius": -1}, {"n_bits": 2.5}):
        with pytest.raises(ValueError, match=f"The '{next(iter(bad))}' parameter of MorganFingerprint"):
            MorganFingerprint(**bad).transform(["CCO>>CC=O" if "reaction_mode" in bad else "CC"])


MAPPED = "[CH3:1][C:2](=[O:3])[OH:4].[OH:5][CH2:6][CH3:7]>>[CH3:1][C:2](=[O:3])[O:5][CH2:6][CH3:7]"
UNMAPPED = "CC(=O)O.OCC>>CC(=O)OCC"


@pytest.mark.parametrize("mode", ["products", "reaction", "pair"])
def test_reaction_modes_ignore_atom_maps(mode):
    graphizer = SmilesGraphizer(reaction_mode=mode)
    mapped, plain = graphizer.fit_transform([MAPPED]), graphizer.fit_transform([UNMAPPED])
    for a, b in (
        zip(mapped.batch(), plain.batch(), strict=True)
        if mode == "pair"
        else [(mapped.batch(), plain.batch())]
    ):
        assert torch.equal(a.x, b.x) and torch.equal(a.edge_index, b.edge_index)


def test_reaction_modes_build_the_right_graphs():
    products = SmilesGraphizer(reaction_mode="products").fit_transform([MAPPED, "CC>O>CO"])
    assert [d.num_nodes for d in products.to_data_list()] == [6, 2]
    reaction = SmilesGraphizer(reaction_mode="reaction").fit_transform([MAPPED])
    assert reaction.batch().num_nodes == 4 + 3 + 6
    pair = SmilesGraphizer(reaction_mode="pair").fit_transform([MAPPED, UNMAPPED])
    assert isinstance(pair, GraphStorePair) and len(pair) == 2
    reactants, prods = pair.batch([1])
    assert (reactants.num_nodes, prods.num_nodes) == (7, 6)


@pytest.mark.parametrize("fingerprint", ["morgan", None])
@pytest.mark.parametrize("mode", ["products", "reaction", "pair", "cgr", "cgr_product"])
def test_a_reaction_with_a_part_that_is_no_smiles_is_refused_in_every_mode(mode, fingerprint):
    """``reaction_mode="reaction"`` parsed its two sides joined into one SMILES, in which a ring or a
    branch left open on one side closed on the other: "C1CC>>C1" became cyclobutane, silently
    (without the fingerprint, which parses each side apart). "products" read no reactants, and no
    mode the reagents, so that what was refused depended on the mode and the fingerprint."""
    rows = ["C1CC>>C1", "C(C>>C)C", "garbage>>CCO", "CCO>xx>CC=O", "CC>C1C>CO"]
    graphizer = SmilesGraphizer(reaction_mode=mode, fingerprint=fingerprint, errors="ignore")
    graphizer.fit_transform([*rows, "[CH3:1][OH:2]>>[CH2:1]=[O:2]"])
    assert sorted(graphizer.invalid_rows_) == [0, 1, 2, 3, 4]  # the mapped reaction reads
    parts = ["C1CC", "C(C", "garbage", "xx", "C1C"]  # each row's first part that is no SMILES
    for row, part in enumerate(parts):
        assert graphizer.invalid_rows_[row][1] == f"{SYNTAX}, in {part!r}"


def test_molecule_in_reaction_mode_is_an_error():
    with pytest.raises(InvalidSmilesError, match=r"row 1: 'CCO' \(not a reaction SMILES") as info:
        SmilesGraphizer(reaction_mode="pair").fit_transform([UNMAPPED, "CCO"])
    # valid molecules of the wrong kind are not called invalid SMILES, in either direction
    assert str(info.value).startswith("1 of the input rows is not the reaction SMILES (")
    with pytest.raises(InvalidSmilesError, match=r"^2 of the input rows are reaction SMILES, where"):
        SmilesGraphizer().fit_transform([UNMAPPED, "CCO", UNMAPPED])
    with pytest.raises(InvalidSmilesError, match=r"^2 of the input rows are not valid SMILES"):
        SmilesGraphizer().fit_transform([UNMAPPED, "C1CC"])  # of both kinds: the general headline
    with pytest.raises(InvalidSmilesError, match="without reactants or without products"):
        SmilesGraphizer(reaction_mode="reaction").fit_transform([">>CCO"])
    with pytest.raises(InvalidSmilesError, match=r"\): it has 4 '>' where one reaction has two"):
        SmilesGraphizer(reaction_mode="cgr").fit_transform(["CCO>>CC=O>>CC(=O)O"])  # a route of two steps
    for mode in ("cgr", "cgr_product"):  # the mode asked for is the one named
        with pytest.raises(InvalidSmilesError, match=rf"\(reaction_mode='{mode}'\)"):
            SmilesGraphizer(reaction_mode=mode).fit_transform(["CCO"])


def test_store_indexing_pickle_and_device():
    graphs = SmilesGraphizer().fit_transform(["CCO", "c1ccccc1", "N", "CC"])
    sub = graphs[np.array([3, 1])]
    assert isinstance(sub, GraphStore) and len(sub) == 2
    assert torch.equal(sub.batch().x, graphs.batch([3, 1]).x)
    assert len(graphs[1:3]) == 2 and len(graphs[np.array([True, False, True, False])]) == 2
    assert graphs[-1].num_nodes == 2
    with pytest.raises(IndexError):
        graphs.batch([4])
    restored = pickle.loads(pickle.dumps(graphs))
    assert torch.equal(restored.batch().edge_index, graphs.batch().edge_index)
    assert graphs.to("cpu") is graphs
    if torch.cuda.is_available():
        on_gpu = graphs.to("cuda")
        assert on_gpu.batch([0, 2]).x.is_cuda


def _with_float32_features(graphs: GraphStore) -> GraphStore:
    """The same graphs with float32 features, as every release before int8 kept them."""
    edge_attr = None if graphs.edge_attr is None else graphs.edge_attr.float()
    return GraphStore(graphs.x.float(), graphs.edge_index, graphs.node_ptr, graphs.edge_ptr, edge_attr,
                      graphs.valid_mask, graphs.fingerprint, graphs.recipe)  # fmt: skip


def test_features_are_kept_as_int8_and_reach_the_networks_as_float32():
    smiles = ["CC[N+](C)(C)C", "[O-]C(=O)c1ccccc1", "C[CH2]", "OCC"]  # charges and a radical
    graphs = SmilesGraphizer(bond_features=True).fit_transform(smiles)
    assert graphs.x.dtype == graphs.edge_attr.dtype == torch.int8
    batch, data = graphs.batch([2, 0, 1]), graphs.to_data_list([2, 0, 1])
    for features in (batch.x, batch.edge_attr, data[0].x, data[0].edge_attr):
        assert features.dtype == torch.float32
    assert torch.equal(batch.x, Batch.from_data_list(data).x)
    charge, radical = ATOM_FEATURE_NAMES.index("formal_charge"), ATOM_FEATURE_NAMES.index("radical_electrons")

    def per_graph(column: int) -> list[float]:
        return torch.zeros(3).index_add_(0, batch.batch, batch.x[:, column]).tolist()

    assert per_graph(charge) == [0.0, 1.0, -1.0] and per_graph(radical) == [1.0, 0.0, 0.0]
    # a store of float32 features (built by hand, or pickled by an older release) batches the same
    as_float = _with_float32_features(graphs)
    assert torch.equal(as_float.batch([2, 0, 1]).x, batch.x)
    assert as_float.to_data_list()[0].x.data_ptr() == as_float.x.data_ptr()  # still a view
    assert graph_keys(as_float) == graph_keys(graphs)  # one molecule, whichever storage
    # and so for the fingerprint (its bytes were hashed as stored: a hand-built training store of
    # float32 fingerprints never matched the same molecules' validation SMILES, uint8 bits)
    with_bits = SmilesGraphizer(fingerprint="morgan").fit_transform(smiles)
    assert with_bits.fingerprint.dtype == torch.uint8
    for dtype in (torch.float32, torch.float64, torch.int64, torch.bool):
        stored = copy.copy(with_bits)
        stored.fingerprint = with_bits.fingerprint.to(dtype)
        assert graph_keys(stored) == graph_keys(with_bits), dtype
    halved = copy.copy(with_bits)
    halved.fingerprint = with_bits.fingerprint.float() / 2  # other values: other keys
    assert all(a != b for a, b in zip(graph_keys(halved), graph_keys(with_bits), strict=True))
    # a row's key is its own, whatever the rows beside it (one fractional row made every row of
    # its store key otherwise), and -0.0 keys as 0.0, which a network reads alike
    one_halved = copy.copy(with_bits)
    one_halved.fingerprint = with_bits.fingerprint.float()
    one_halved.fingerprint[1] = -one_halved.fingerprint[1] / 2
    keys, bits = graph_keys(one_halved), graph_keys(with_bits)
    assert keys[1] != bits[1] and [keys[0], *keys[2:]] == [bits[0], *bits[2:]]
    signed = copy.copy(with_bits)
    signed.fingerprint = torch.where(with_bits.fingerprint == 0, -0.0, 1.0)  # its zeros -0.0
    assert graph_keys(signed) == bits


def test_a_model_learns_the_same_from_int8_and_float32_features():
    from sklearn_ltdd import LTDDClassifier, SubclusterSchedule

    data = load_solubility()
    graphs = SmilesGraphizer().fit_transform(data.data[:48])
    model = LTDDClassifier(
        max_epochs=3, hidden=8, early_stopping=None, random_state=0, device="cpu",
        schedule=SubclusterSchedule(warmup_epochs=1, update_every=1),
    )  # fmt: skip
    ours = clone(model).fit(graphs, data.target[:48]).predict_proba(graphs)
    theirs = clone(model).fit(_with_float32_features(graphs), data.target[:48]).predict_proba(graphs)
    np.testing.assert_array_equal(ours, theirs)


BLOCK_MOLECULES = ["CCO", "c1ccccc1O", "[Na+].[Cl-]", "CC(=O)N", "C1CC1"]
BLOCK_REACTIONS = [
    "[CH3:1][OH:2]>>[CH2:1]=[O:2]",
    "[CH3:1][CH2:2][OH:3].[ClH:4]>>[CH3:1][CH2:2][Cl:4].[OH2:3]",
    "[NH3+:1][CH2:2][C:3](=[O:4])[O-:5]>>[NH2:1][CH2:2][C:3](=[O:4])[OH:5]",
]


@pytest.mark.parametrize(
    "mode, rows", [(None, BLOCK_MOLECULES), ("pair", BLOCK_REACTIONS), ("cgr", BLOCK_REACTIONS)]
)
def test_codes_gathered_in_blocks_give_the_graphs_of_one_block(monkeypatch, mode, rows):
    """A chunk's RDKit codes become int16/int32 blocks as they come (its tuples took three times
    the graphs' memory): a block boundary between any two molecules changes nothing."""
    from sklearn_ltdd.featurize import _graph_features

    graphizer = SmilesGraphizer(reaction_mode=mode, bond_features=True)
    one_block = graphizer.fit_transform(rows * 3)
    monkeypatch.setattr(_graph_features, "CODE_BLOCK", 5)
    blocks = graphizer.fit_transform(rows * 3)
    for ours, theirs in zip(_stores(one_block), _stores(blocks), strict=True):
        for name in ("x", "edge_index", "edge_attr", "node_ptr", "edge_ptr"):
            assert torch.equal(getattr(ours, name), getattr(theirs, name)), name


def _stores(graphs):
    return (graphs.reactants, graphs.products) if isinstance(graphs, GraphStorePair) else (graphs,)


def test_a_row_of_more_than_32767_atoms_keeps_its_node_numbers():
    """Node numbers pass int16's range in a mixture of many small fragments (MAX_ATOMS is per
    fragment): the bonds' codes are kept as int32."""
    graphs = SmilesGraphizer().fit_transform([".".join(["CO"] * 20_000), "CCO"])
    assert graphs.edge_index.max() == 39_999 and len(graphs[0].x) == 40_000


def test_atom_features_refuse_a_charge_int8_would_wrap():
    from sklearn_ltdd.featurize._graph_features import atom_features

    carbon = [6, 4, 0, 99, 0, 4, 0, 0]  # the parse's largest charge
    assert atom_features(np.array([carbon]))[0, ATOM_FEATURE_NAMES.index("formal_charge")] == 99
    with pytest.raises(ValueError, match="charge or radical count beyond ±127"):
        atom_features(np.array([[*carbon[:3], -200, *carbon[4:]]]))


def test_a_reaction_whose_charge_changes_by_more_than_127_keeps_the_difference():
    charge = len(ATOM_FEATURE_NAMES) + ATOM_FEATURE_NAMES.index("formal_charge")  # the difference half
    plain = SmilesGraphizer(reaction_mode="cgr").fit_transform(["[CH3:1][OH:2]>>[CH2:1]=[O:2]"])
    assert plain.x.dtype == torch.int8
    extreme = SmilesGraphizer(reaction_mode="cgr").fit_transform(
        ["[CH3:1][OH:2]>>[CH2:1]=[O:2]", "[CH4+99:1]>>[CH4-99:1]"]
    )
    assert extreme.x.dtype == torch.int16  # int8 would have wrapped -198 around to 58
    assert extreme.batch([1]).x[0, charge] == -198
    assert torch.equal(extreme.batch([0]).x, plain.batch().x)


STORE_SMILES = ["CCO", "c1ccccc1", "N", "CC", "CCCC", "O=C=O", "CN(C)C"]
STORE = SmilesGraphizer().fit_transform(STORE_SMILES)
#: the same rows, two of them bad: a graph's mask and fingerprint go with it
MIXED = SmilesGraphizer(errors="ignore").fit_transform(["CCO", "C1CC", "N", "CC", "x", "O=C=O", "CN(C)C"])


@given(st.slices(len(STORE_SMILES)) | st.lists(st.integers(-7, 6), max_size=9))
@example(slice(None, None, -7))  # one graph, by a reversed view (a negative stride numpy keeps)
def test_a_store_indexes_like_a_list_of_its_graphs(index):
    """Slices (reversed too) and integer lists pick the graphs a numpy array of them would."""
    expected = np.arange(len(STORE_SMILES))[index]
    sub = STORE[index]
    assert [d.num_nodes for d in sub.to_data_list()] == [STORE[int(i)].num_nodes for i in expected]
    assert torch.equal(sub.batch().x, STORE.batch(expected).x) if len(expected) else len(sub) == 0
    np.testing.assert_array_equal(MIXED[index].valid_mask, MIXED.valid_mask[expected])
    for data, i in zip(sub.to_data_list(), expected, strict=True):  # graph by graph
        assert torch.equal(data.fingerprint, STORE.fingerprint[[i]].float())


def test_a_store_refuses_indices_that_are_not_integers():
    for index, message in (([0.5, 1.7], "integers or a boolean mask, got float64"),
                           (np.array([[0, 1], [2, 3]]), "one-dimensional"), ("a", "integers"),
                           (True, "a single boolean"), (np.bool_(False), "a single boolean"),
                           ((0, 1), r"one dimension, so store\[0, 1\] names 2 of them; .* store\[\[0, 1\]\]"),
                           ((slice(None), 0), "one dimension")):  # fmt: skip
        with pytest.raises(IndexError, match=message):
            STORE[index]
    with pytest.raises(IndexError, match=rf"graph index 7 out of range for a store of {len(STORE)} graphs"):
        STORE.batch([0, 7])  # (the index was not named)
    # parts of the wrong kind are named as the store is made (they failed in predict: torch's
    # "Expected dtype int32/int64 for index", "'numpy.ndarray' object has no attribute 'index_select'")
    s = STORE
    parts = (s.x, s.edge_index, s.node_ptr, s.edge_ptr)
    with pytest.raises(ValueError, match=r"edge_index must hold integer node numbers, got torch.float32"):
        GraphStore(s.x, s.edge_index.float(), s.node_ptr, s.edge_ptr)
    with pytest.raises(TypeError, match=r"^x must be a torch tensor, got a ndarray"):
        GraphStore(s.x.numpy(), *parts[1:])
    with pytest.raises(TypeError, match=r"^fingerprint must be a torch tensor, got a ndarray"):
        GraphStore(*parts, fingerprint=np.zeros((len(s), 8), dtype=np.float32))
    with pytest.raises(ValueError, match=r"fingerprint must be one row per graph, .* got \(\)"):
        GraphStore(*parts, fingerprint=torch.tensor(3.0))
    with pytest.raises(TypeError, match=r"recipe must be a GraphRecipe .* got a str"):
        GraphStore(*parts, recipe="morgan")
    assert torch.equal(STORE[[0, 1], ...].batch().x, STORE.batch([0, 1]).x)  # sklearn's store[rows, ...]
    mask = np.arange(len(STORE)) % 2 == 0
    assert torch.equal(STORE[np.nonzero(mask)].batch().x, STORE[mask].batch().x)  # a tuple of one array
    assert torch.equal(STORE.batch(np.nonzero(mask)).x, STORE[mask].batch().x)  # batch() takes it too
    # an unsigned 2**64 - 1 was -1 as int64: the last graph, silently; 2**70 "not integers"
    for index in (np.uint64(2**64 - 1), np.array([2**63], dtype=np.uint64), [2**70, 0], 2**70):
        with pytest.raises(IndexError, match=rf"graph index {int(np.ravel(index)[0])} out of range"):
            STORE[index]
        with pytest.raises(IndexError, match="out of range"):
            STORE.batch(np.ravel(np.array(index, dtype=object)).tolist())
    with pytest.raises(IndexError, match="a single boolean"):  # (a "mask of shape ()")
        STORE.to_data_list(np.True_)
    # any whole number is a position, one alone one graph (sympy's, which torch brings, gave a store)
    sympy = pytest.importorskip("sympy")
    assert type(STORE[sympy.Integer(1)]) is type(STORE[1])
    assert torch.equal(STORE[[sympy.Integer(1)]].batch().x, STORE[[1]].batch().x)


def test_a_tool_that_makes_an_array_of_the_graphs_is_told_to_take_smiles():
    # (NumPy would read the graphs one by one and fail on their "inhomogeneous shape")
    from sklearn.inspection import permutation_importance

    pair = SmilesGraphizer(reaction_mode="pair").fit_transform(["CCO>>CC=O", "CC>>C=C"])
    for graphs in (STORE, pair):
        with pytest.raises(TypeError, match=f"a {type(graphs).__name__} cannot become a NumPy array.*SMILES"):
            np.asarray(graphs)
    clf = FunctionTransformer(lambda graphs: graphs)  # any estimator: the tool converts X first
    with pytest.raises(TypeError, match="GraphStore cannot become a NumPy array"):
        permutation_importance(clf, STORE, np.arange(len(STORE)), scoring=lambda *args: 0.0)


def test_graphs_given_to_an_estimator_of_numbers_are_told_what_it_needs():
    """A Ridge after a graphizer was told of permutation_importance and to give SMILES, which it cannot
    read; a fingerprint before a classifier that "X must be one column of SMILES"."""
    from sklearn.linear_model import Ridge

    smiles = REAL_SMILES[:30]
    with pytest.raises(TypeError, match=r"only this package's classifiers read graphs.* MorganFingerprint"):
        make_pipeline(SmilesGraphizer(), Ridge()).fit(smiles, np.arange(30.0))
    with pytest.raises(ValueError, match=r"It holds numbers: the classifiers read SMILES or graphs"):
        make_pipeline(MorganFingerprint(n_bits=16), LTDDClassifier()).fit(smiles, [0, 1] * 15)


def test_a_list_of_stores_or_a_sparse_matrix_is_named_as_such():
    """A list of stores was blamed on "a tool" that makes an array of X; a sparse matrix was "an
    array of shape ()"."""
    from scipy import sparse

    clf = SmilesGraphizer().fit(["CC"])
    with pytest.raises(TypeError, match=r"^X is a list of GraphStores; a classifier takes one GraphStore"):
        clf.transform([STORE, STORE])
    with pytest.raises(TypeError, match=r"not a sparse matrix \(csr_matrix, shape \(3, 1\)\)"):
        clf.transform(sparse.csr_matrix(np.ones((3, 1))))


def test_graphs_given_to_a_smiles_featuriser_are_named():
    """Its message spoke of permutation_importance: a Pipeline starting with a graphizer, given graphs."""
    pair = SmilesGraphizer(reaction_mode="pair").fit_transform(["CCO>>CC=O", "CC>>C=C"])
    for graphs in (STORE, pair):
        for featuriser in (SmilesGraphizer().fit(["CC"]), MorganFingerprint(n_bits=8).fit(["CC"])):
            with pytest.raises(
                TypeError, match=f"X is a {type(graphs).__name__}, graphs already, where SMILES"
            ):
                featuriser.transform(graphs)


@pytest.mark.parametrize("index", [2, np.int64(2), np.array(2), torch.tensor(2), torch.tensor(-5)])
def test_one_position_however_written_gives_one_graph(index):
    graph = STORE[index]
    assert graph.num_nodes == 1 and torch.equal(graph.x, STORE.batch([2]).x)  # "N"
    reactions = SmilesGraphizer(reaction_mode="pair").fit_transform(
        ["CCO>>CC=O", "CC>>C=C", "N>>N", "CC>>CC", "O>>O", "CO>>C=O", "CN>>C=N"]
    )
    assert [side.num_nodes for side in reactions[index]] == [1, 1]


def test_a_hand_built_store_and_check_graphs_match_refuse_what_they_cannot_use():
    parts = (STORE.x, STORE.edge_index, STORE.node_ptr, STORE.edge_ptr)
    for mask in (np.ones(3, bool), np.ones(len(STORE))):
        with pytest.raises(ValueError, match=r"valid_mask must be one boolean per graph \(7\)"):
            GraphStore(*parts, valid_mask=mask)
    with pytest.raises(TypeError, match="checks a GraphStore or GraphStorePair, not a list"):
        check_graphs_match(["CCO"])
    # it advised SmilesGraphizer(reaction_mode='molecules'), and fingerprint='ecfp' and
    # bond_features='yes' as well; bond_features=0 passed as False
    for name, value in (("reaction_mode", "molecules"), ("fingerprint", "ecfp"), ("bond_features", "yes"),
                        ("bond_features", 0)):  # fmt: skip
        with pytest.raises(
            ValueError, match=rf"The '{name}' parameter of check_graphs_match must be .* Got {value!r}"
        ):
            check_graphs_match(STORE, **{name: value})
    # features of other shapes failed far away (an IndexError in fit); NaN was predicted as a class
    with pytest.raises(ValueError, match=r"x must be one row of features per node, .* got \(23,\)"):
        GraphStore(STORE.x[:, 0], *parts[1:])
    bonds = SmilesGraphizer(bond_features=True).fit_transform(STORE_SMILES)
    with pytest.raises(ValueError, match=r"edge_attr must be one row of features per edge, .* got \(34,\)"):
        GraphStore(*parts, edge_attr=bonds.edge_attr[:, 0].float())
    x = STORE.x.float()
    x[[5, 20], 3] = torch.tensor([float("nan"), float("inf")])  # node 5 is benzene's, 20 dimethylamine's
    check_finite_features(STORE)  # (small integers)
    with pytest.raises(ValueError, match=r"x holds NaN or infinity \(row 5, of graph 1; 2 row\(s\) in all\)"):
        check_finite_features(GraphStore(x, *parts[1:]))
    fingerprint = STORE.fingerprint.float()
    fingerprint[4, 0] = float("inf")
    with pytest.raises(ValueError, match=r"fingerprint holds NaN or infinity \(graph 4; 1 row"):
        check_finite_features(GraphStore(*parts, fingerprint=fingerprint))
    pair = SmilesGraphizer(reaction_mode="pair").fit_transform(["CCO>>CC=O", "CC>>C=C"])
    pair.products.x = pair.products.x.float()
    pair.products.x[-1, 0] = float("nan")  # (changed in place: no constructor sees it)
    with pytest.raises(ValueError, match=r"products.x holds NaN or infinity \(row 4, of graph 1;"):
        check_finite_features(pair)
    with pytest.raises(TypeError, match="reactants must be a GraphStore, got a list"):
        GraphStorePair([1], [2])
    # its advice gave the value back: "give this classifier reaction_mode='foo'"
    for settings in (("foo", False, None), (None, "x", None), (None, False, 3)):
        with pytest.raises(ValueError, match=r"parameter of GraphRecipe must be"):
            GraphRecipe(*settings)


def test_graphizer_clone_pickle_and_memory(tmp_path):
    graphizer = SmilesGraphizer(bond_features=True, memory=str(tmp_path))
    assert clone(graphizer).get_params() == graphizer.get_params()
    first = graphizer.fit_transform(["CCO", "CCN"])
    assert any(tmp_path.iterdir())  # the featurisation was cached on disk
    second = pickle.loads(pickle.dumps(graphizer)).fit_transform(["CCO", "CCN"])
    assert torch.equal(first.x, second.x) and torch.equal(first.edge_attr, second.edge_attr)
    memory = joblib.Memory(tmp_path / "explicit", verbose=0)
    third = SmilesGraphizer(memory=memory).fit_transform(["CCO", "CCN"])
    assert torch.equal(first.x, third.x)


@pytest.mark.parametrize("mode,rows", [(None, ["CCO", "C1CC", "CCN"]), ("pair", ["CCO>>CC=O", "CC>>C1CC"])])
def test_a_read_only_memory_mapped_cache_serves_writable_graphs(tmp_path, mode, rows):
    expected = SmilesGraphizer(reaction_mode=mode, errors="ignore").fit_transform(rows)
    memory = joblib.Memory(tmp_path, mmap_mode="r", verbose=0)
    for _ in range(2):  # computed, then served from the read-only memory maps
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # torch warns of tensors over read-only arrays
            graphs = SmilesGraphizer(reaction_mode=mode, errors="ignore", memory=memory).fit_transform(rows)
        assert torch.equal(graphs.fingerprint, expected.fingerprint)
        assert (graphs.valid_mask == expected.valid_mask).all() and not graphs.valid_mask.all()
    # a store saved and memory-mapped back read-only (as joblib's workers receive large arrays)
    joblib.dump(graphs, tmp_path / "graphs.joblib")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = joblib.load(tmp_path / "graphs.joblib", mmap_mode="r")
    first = loaded.reactants if mode == "pair" else loaded
    assert torch.equal(first.x, (graphs.reactants if mode == "pair" else graphs).x)


def test_an_empty_memory_folder_is_refused(tmp_path, monkeypatch):
    """joblib cached into ./joblib, and the atom maps' cache refused the empty path."""
    monkeypatch.chdir(tmp_path)
    for graphizer in (
        SmilesGraphizer(memory=""),
        SmilesGraphizer(reaction_mode="cgr", atom_mapper=str, memory=""),
    ):
        with pytest.raises(ValueError, match=r"memory='' names no folder .*give a folder, or None"):
            graphizer.fit_transform(["CO>>C=O"] if graphizer.atom_mapper else ["CCO"])
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("mode", ["r+", "w+"])
def test_a_writable_memory_mapped_cache_is_refused(tmp_path, mode):
    """The graphs would be the cache's files: zeroing an invalid row's fingerprint wrote into them."""
    graphizer = SmilesGraphizer(memory=joblib.Memory(tmp_path, mmap_mode=mode, verbose=0))
    refused = rf"memory's mmap_mode='{re.escape(mode)}' maps the cached arrays writable"
    with pytest.raises(ValueError, match=refused):
        graphizer.fit_transform(["CCO", "CCN"])
    assert not list(tmp_path.rglob("output.pkl"))  # refused before anything is cached


def test_a_memory_that_cannot_be_a_folder_is_named(tmp_path):
    """A file as memory failed with joblib's "Not a directory: '/a/file/joblib'", naming no parameter."""
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError) as error:
        SmilesGraphizer(memory=str(tmp_path / "file")).fit_transform(["CCO"])
    assert error.value.__notes__ == [
        f"memory={str(tmp_path / 'file')!r} cannot be made a cache folder; give a folder, or None."
    ]


@pytest.mark.parametrize(
    "version, other",
    [("FEATURE_SCHEMA", FEATURE_SCHEMA + 1), ("NODE_ORDER", 99), ("FEATURE_DTYPE", np.float32)],
)
def test_a_feature_cache_from_another_schema_or_layout_is_not_served(tmp_path, monkeypatch, version, other):
    first = SmilesGraphizer(memory=str(tmp_path)).fit_transform(["CCO", "CCN"])
    calls = []
    monkeypatch.setattr(
        _graphizer, "featurize_chunk", lambda *a, **k: calls.append(1) or featurize_chunk(*a, **k)
    )
    SmilesGraphizer(memory=str(tmp_path)).fit_transform(["CCO", "CCN"])
    assert not calls  # served from the cache
    monkeypatch.setattr(_graphizer, version, other)  # as if graphs changed
    again = SmilesGraphizer(memory=str(tmp_path)).fit_transform(["CCO", "CCN"])
    assert calls and torch.equal(first.x, again.x)


def test_a_feature_cache_of_another_rdkit_is_not_served(tmp_path, monkeypatch):
    """A folder shared by environments of other RDKit releases (other canonical ranks, other
    Morgan bits) served their graphs and difference fingerprints."""
    reactions = ["CC(=O)O.OCC>>CC(=O)OCC", "CCO>>CC=O"]
    graphizer = SmilesGraphizer(memory=str(tmp_path), reaction_mode="products")  # its fingerprint apart
    graphizer.fit_transform(reactions)
    calls = []  # (the work inside the cached functions, which the cache keys by their code)
    fingerprints = MorganFingerprint._fingerprints
    monkeypatch.setattr(
        _graphizer, "featurize_chunk", lambda *a, **k: calls.append(1) or featurize_chunk(*a, **k)
    )
    monkeypatch.setattr(MorganFingerprint, "_fingerprints", lambda *a: calls.append(2) or fingerprints(*a))
    graphizer.fit_transform(reactions)
    assert not calls  # served from the cache
    monkeypatch.setattr(rdBase, "rdkitVersion", "1999.09.1")
    graphizer.fit_transform(reactions)
    assert sorted(set(calls)) == [1, 2]  # the graphs and the fingerprints made again


def test_parallel_chunks_equal_one_process(monkeypatch):
    monkeypatch.setattr(_graphizer, "_MIN_ROWS_PER_JOB", 50)
    smiles = [*REAL_SMILES[:200], "C1CC"]
    serial = SmilesGraphizer(errors="ignore").fit_transform(smiles)
    parallel = SmilesGraphizer(errors="ignore", n_jobs=2).fit_transform(smiles)
    for key in ("x", "edge_index", "node_ptr", "edge_ptr"):
        assert torch.equal(getattr(serial, key), getattr(parallel, key)), key
    np.testing.assert_array_equal(serial.valid_mask, parallel.valid_mask)
    with pytest.raises(InvalidSmilesError, match="row 200: 'C1CC'"):
        SmilesGraphizer(n_jobs=2).fit_transform(smiles)
    for meaningless in (0, 1.5, True):  # joblib's own error named neither the parameter nor the class
        with pytest.raises(ValueError, match="'n_jobs' parameter of SmilesGraphizer must be"):
            SmilesGraphizer(n_jobs=meaningless).fit_transform(smiles[:2])


def mean_node_features(graphs):
    batch = graphs.batch()
    return global_mean_pool(batch.x, batch.batch, size=batch.num_graphs).numpy()


def test_works_in_a_pipeline():
    X_train, y_train = load_solubility(subset="train", return_X_y=True)
    X_test, y_test = load_solubility(subset="test", return_X_y=True)
    model = make_pipeline(
        SmilesGraphizer(), FunctionTransformer(mean_node_features), LogisticRegression(max_iter=500)
    )
    model.fit(X_train, y_train)
    # three classes (chance 1/3): mean atom features already carry solubility signal
    assert balanced_accuracy_score(y_test, model.predict(X_test)) > 0.5


@pytest.mark.parametrize("mode", [None, "products", "reaction", "pair"])
def test_whitespace_inside_a_smiles_is_a_bad_row_in_every_mode(mode):
    good, bad = ("  CC(=O)O.OCC>>CC(=O)OCC\n", "CC(=O)O.OCC>>CC(=O)OCC C") if mode else (" CCO\t", "CC O")
    graphizer = SmilesGraphizer(reaction_mode=mode)
    with pytest.raises(InvalidSmilesError, match=r"row 1: .* \(whitespace inside it; RDKit would read only"):
        graphizer.fit_transform([good, bad])
    # leading and trailing whitespace is accepted: the graph of the bare SMILES
    padded, bare = graphizer.fit_transform([good]), graphizer.fit_transform([good.strip()])
    for a, b in zip(*(g.batch() if mode == "pair" else [g.batch()] for g in (padded, bare)), strict=True):
        assert torch.equal(a.x, b.x) and torch.equal(a.edge_index, b.edge_index)


def test_a_tabular_output_leaves_the_graphs_and_sets_the_steps_after_them():
    for transform in ("pandas", "polars", "default", None):
        graphizer = SmilesGraphizer().set_output(transform=transform)
        assert isinstance(graphizer.fit_transform(["CCO"]), GraphStore)
        assert graphizer.get_params() == SmilesGraphizer().get_params()
    with pytest.raises(
        ValueError, match=r"transform must be 'default', 'pandas', 'polars' or None, got 'pd'"
    ):
        SmilesGraphizer().set_output(transform="pd")
    # a Pipeline's set_output sets every step's, the graphizer's too (which once refused it)
    names = [f"mean_{name}" for name in SmilesGraphizer().fit(["C"]).get_feature_names_out()]
    means = FunctionTransformer(mean_node_features, feature_names_out=lambda *_: names)
    pipeline = make_pipeline(SmilesGraphizer(), means).set_output(transform="pandas")
    frame = pipeline.fit_transform(["CCO", "c1ccccc1"])
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == names
    graphs = SmilesGraphizer().fit_transform(["CCO", "c1ccccc1"])
    np.testing.assert_array_equal(frame.to_numpy(), mean_node_features(graphs))
    # as a global pandas setting leaves the graphs as they are
    with config_context(transform_output="pandas"):
        assert isinstance(SmilesGraphizer().fit_transform(["CCO"]), GraphStore)


def test_a_store_records_how_it_was_made_through_every_operation():
    graphizer = SmilesGraphizer(bond_features=True, fingerprint=None)
    graphs = graphizer.fit_transform(["CCO", "c1ccccc1", "CCO", "N"])  # a repeated row: rows re-indexed
    recipe = GraphRecipe(reaction_mode=None, bond_features=True, fingerprint=None)
    assert graphs.recipe == recipe and recipe.feature_schema == FEATURE_SCHEMA
    for derived in (graphs[[2, 0]], graphs[1:], graphs[graphs.valid_mask], graphs.to("cpu"),
                    pickle.loads(pickle.dumps(graphs))):  # fmt: skip
        assert derived.recipe == recipe
    if torch.cuda.is_available():
        assert graphs.to("cuda").recipe == recipe
    pair = SmilesGraphizer(reaction_mode="pair").fit_transform([UNMAPPED])
    assert pair.recipe == GraphRecipe("pair", False, "morgan") and pair[[0, 0]].recipe == pair.recipe
    # a store pickled before recipes existed loads without one
    state = graphs.__getstate__()
    del state["recipe"]
    old = GraphStore.__new__(GraphStore)
    old.__setstate__(state)
    assert old.recipe is None


@pytest.mark.parametrize("pair", [False, True])
def test_a_store_whose_smiles_were_read_otherwise_warns_when_loaded(pair, tmp_path):
    """Graphs pickled by a release that read SMILES otherwise (a [#1] hydrogen a node, a query
    CXSMILES a molecule) were scored by this one's models as if read by it, with no word."""
    graphizer = SmilesGraphizer(reaction_mode="pair" if pair else None)
    graphs = graphizer.fit_transform([UNMAPPED] if pair else ["[#1]/N=C(/N)N", "CCO"])
    here = (PARSE_VERSION, rdBase.rdkitVersion)
    assert graphs.recipe.parse_version == here
    with warnings.catch_warnings():  # read as this release reads them: loaded without a word
        warnings.simplefilter("error")
        pickle.loads(pickle.dumps(graphs))
    sides = [graphs.reactants, graphs.products] if pair else [graphs]
    for parse_version, said in [
        ((PARSE_VERSION - 1, here[1]), rf"read by sklearn-ltdd's parse {PARSE_VERSION - 1} under RDKit"),
        ((PARSE_VERSION, "2001.01.1"), rf"parse {PARSE_VERSION} under RDKit 2001.01.1 \(here parse"),
    ]:
        for side in sides:
            side.recipe = dataclasses.replace(side.recipe, parse_version=parse_version)
        with pytest.warns(InconsistentVersionWarning, match=said) as caught:
            loaded = pickle.loads(pickle.dumps(graphs))
        assert caught[0].filename == __file__  # the user's line
        warning = caught[0].message
        assert warning.estimator_name == "GraphStore"
        assert warning.original_versions == {"smiles-parse": str(parse_version[0]), "rdkit": parse_version[1]}
        assert warning.current_versions == {"smiles-parse": str(here[0]), "rdkit": here[1]}
        assert loaded.recipe.parse_version == parse_version  # (and so it warns again, saved again)
        joblib.dump(graphs, tmp_path / "graphs.joblib")
        with pytest.warns(UserWarning, match=said) as caught:
            joblib.load(tmp_path / "graphs.joblib")
        assert caught[0].filename == __file__  # past pickle's Python lines, which joblib runs
        check_graphs_match(loaded, reaction_mode=graphizer.reaction_mode)  # same shape of graphs: not refused
    # a recipe pickled before the parse was recorded (its state without it): not known to be this one
    for side in sides:
        state = dict(vars(side.recipe))
        del state["parse_version"]
        recipe = GraphRecipe.__new__(GraphRecipe)
        recipe.__setstate__(state)
        assert recipe.parse_version is None
        side.recipe = recipe
    unrecorded = "did not record how it read their SMILES"
    with pytest.warns(InconsistentVersionWarning, match=unrecorded) as caught:
        pickle.loads(pickle.dumps(graphs))
    assert caught[0].message.original_versions is None


def test_a_store_keeps_the_row_labels_of_a_pandas_input_through_every_operation():
    table = pd.DataFrame({"smiles": ["CCO", "c1ccccc1", "CCO", "N"]}, index=[30, 10, 20, "x"])
    graphs = SmilesGraphizer().fit_transform(table)  # a repeated row: rows re-indexed
    assert graphs.row_labels.tolist() == [30, 10, 20, "x"]
    assert SmilesGraphizer().fit_transform(table["smiles"]).row_labels.tolist() == [30, 10, 20, "x"]
    for derived, labels in (
        (graphs[[2, 0]], [20, 30]),
        (graphs[1:], [10, 20, "x"]),
        (graphs[np.array([True, False, False, True])], [30, "x"]),
        (graphs.to("cpu"), [30, 10, 20, "x"]),
        (pickle.loads(pickle.dumps(graphs)), [30, 10, 20, "x"]),
    ):
        assert derived.row_labels.tolist() == labels
    # inputs without an index give none, and a store built by hand checks the labels' length
    assert SmilesGraphizer().fit_transform(table["smiles"].tolist()).row_labels is None
    with pytest.raises(ValueError, match="3 row labels for 4 graphs"):
        GraphStore(graphs.x, graphs.edge_index, graphs.node_ptr, graphs.edge_ptr, row_labels=[1, 2, 3])
    with pytest.raises(ValueError, match="2 row labels for 4 graphs"):
        graphs.row_labels = [1, 2]  # set later, as checked
    graphs.row_labels = np.array([5, 6, 7, 8])
    assert graphs[[3]].row_labels.tolist() == [8]
    pair = SmilesGraphizer(reaction_mode="pair").fit_transform(pd.Series([UNMAPPED] * 2, index=["a", "b"]))
    assert pair.row_labels.tolist() == ["a", "b"] and pair[[1]].row_labels.tolist() == ["b"]
    assert pair.to("cpu").row_labels.tolist() == ["a", "b"]
    reactants, products = pair.reactants, pair.products[[1, 0]]  # by hand, the rows of two tables
    with pytest.raises(ValueError, match="the reactant and product graphs have other row_labels: one table"):
        GraphStorePair(reactants, products)
    products.row_labels = None
    assert GraphStorePair(reactants, products).row_labels.tolist() == ["a", "b"]  # the side that has them
    # a store pickled before row labels existed loads without them
    state = graphs.__getstate__()
    del state["_row_labels"]
    old = GraphStore.__new__(GraphStore)
    old.__setstate__(state)
    assert old.row_labels is None


def test_check_graphs_match_names_every_mismatch_and_the_fix():
    cgr = SmilesGraphizer(reaction_mode="cgr").fit_transform([MAPPED])
    check_graphs_match(cgr, reaction_mode="cgr", bond_features=False, fingerprint="morgan")
    with pytest.raises(ValueError) as info:  # a CGR store (148 features) for a 74-feature model
        check_graphs_match(cgr, reaction_mode="reaction", bond_features=True)
    assert str(info.value).splitlines() == [
        "The graphs were made with other settings than expected:",
        "  reaction_mode='cgr', expected 'reaction'",
        "  bond_features=False, expected True",
        "Make them with SmilesGraphizer(reaction_mode='reaction', bond_features=True), or pass the SMILES "
        "themselves.",
    ]
    products = SmilesGraphizer(reaction_mode="products").fit_transform([MAPPED])
    with pytest.raises(ValueError, match="reaction_mode='products', expected 'reaction'"):
        check_graphs_match(products[[0]], reaction_mode="reaction")
    pair = SmilesGraphizer(reaction_mode="pair").fit_transform([MAPPED])
    with pytest.raises(ValueError, match="fingerprint='morgan', expected None"):
        check_graphs_match(pair, reaction_mode="pair", fingerprint=None)
    with pytest.raises(TypeError, match=r"unknown settings \['atom_mapper'\]"):
        check_graphs_match(pair, atom_mapper=None)


def test_graphs_from_another_feature_schema_or_without_a_recipe():
    graphs = SmilesGraphizer().fit_transform(["CCO"])
    graphs.recipe = GraphRecipe(None, False, "morgan", feature_schema=FEATURE_SCHEMA - 1)
    with pytest.raises(ValueError, match=r"feature_schema=1, expected 2\n.*features mean something else"):
        check_graphs_match(graphs, reaction_mode=None)
    # built by hand: nothing says how, so nothing is checked
    by_hand = GraphStore(graphs.x, graphs.edge_index, graphs.node_ptr, graphs.edge_ptr)
    assert by_hand.recipe is None
    check_graphs_match(by_hand, reaction_mode="cgr")
    # in float64 it trained into "expected m1 and m2 to have the same dtype"
    with pytest.raises(
        ValueError, match=r"x must be float32 \(or int8 / int16 .*\), got torch.float64; pass x.float"
    ):
        GraphStore(graphs.x.double(), graphs.edge_index, graphs.node_ptr, graphs.edge_ptr)


def test_a_store_built_by_hand_whose_arrays_do_not_fit_together_is_refused():
    graphs = SmilesGraphizer(bond_features=True).fit_transform(["CCO", "CC", "N"])
    x, edge_index, node_ptr, edge_ptr, edge_attr = (
        graphs.x, graphs.edge_index, graphs.node_ptr, graphs.edge_ptr, graphs.edge_attr
    )  # fmt: skip
    past_its_graph = edge_index.clone()
    past_its_graph[1, 2] = 3  # ethanol's third edge into ethane's first atom
    wrong = {
        r"edge 2 \(of graph 0\) joins nodes \[\d, 3\], but graph 0 has 3 nodes.*\(1 edge\(s\) outside": (
            x,
            past_its_graph,
            node_ptr,
            edge_ptr,
            edge_attr,
        ),
        r"node_ptr must grow from 0 to the 12 rows of x": (torch.cat([x, x]), edge_index, node_ptr, edge_ptr),
        r"edge_ptr must grow from 0 to the 5 edges": (x, edge_index[:, :5], node_ptr, edge_ptr),
        r"node_ptr has 2 graphs but edge_ptr 3": (x[:5], edge_index, node_ptr[:3], edge_ptr),
        r"edge_ptr must be one int64 offset": (x, edge_index, node_ptr, edge_ptr.to(torch.uint8)),
        r"2 rows of edge_attr for 6 edges": (x, edge_index, node_ptr, edge_ptr, edge_attr[:2]),
        r"edge_index must have shape \(2, n_edges\), got \(6,\)": (x, edge_index[0], node_ptr, edge_ptr),
        r"node_ptr must be one int64 offset": (x, edge_index, node_ptr.float(), edge_ptr),
    }
    for message, arrays in wrong.items():
        with pytest.raises(ValueError, match=message):
            GraphStore(*arrays)
    # the arrays as they are fit together
    by_hand = GraphStore(x, edge_index, node_ptr, edge_ptr, edge_attr)
    assert torch.equal(by_hand[[2, 0]].batch().edge_index, graphs[[2, 0]].batch().edge_index)


def test_a_pair_s_valid_mask_is_read_from_its_sides_each_time():
    """The sides had one mask array, the graphizer's valid_mask_ too, and the pair kept its own
    copy: a row marked invalid on one side was still valid in the pair (its probabilities NaN)."""
    graphizer = SmilesGraphizer(reaction_mode="pair")
    pairs = graphizer.fit_transform(["CCO>>CC=O", "CCN>>CC=N"])
    pairs.reactants.valid_mask[0] = False
    assert pairs.valid_mask.tolist() == pairs[[0, 1]].valid_mask.tolist() == [False, True]
    assert pairs.products.valid_mask.all() and graphizer.valid_mask_.all()
    # a pair pickled when its sides shared one mask loads with one each
    pairs.products.valid_mask = pairs.reactants.valid_mask
    loaded = pickle.loads(pickle.dumps(pairs))
    assert loaded.reactants.valid_mask is not loaded.products.valid_mask


def test_a_pair_of_stores_made_otherwise_than_by_the_pair_mode_is_refused():
    molecules = SmilesGraphizer().fit_transform(["CCO", "CC=O"])
    with pytest.raises(
        ValueError, match=r"the reactant graphs were made with reaction_mode=None; a GraphStore"
    ):
        GraphStorePair(molecules, molecules)
    pairs = SmilesGraphizer(reaction_mode="pair").fit_transform(["CCO>>CC=O", "CCN>>CC=N"])
    wide = GraphStore(torch.cat([pairs.products.x] * 2, dim=1), *(getattr(pairs.products, name) for name in
                      ("edge_index", "node_ptr", "edge_ptr", "edge_attr")), recipe=pairs.recipe)  # fmt: skip
    with pytest.raises(
        ValueError,
        match=r"74 node features and None bond features, the product graphs 148 and None",
    ):
        GraphStorePair(pairs.reactants, wide)
    assert len(GraphStorePair(pairs.reactants, pairs.products)) == 2


def test_the_hint_for_a_reaction_names_every_reaction_mode():
    import re

    from sklearn_ltdd.featurize._cgr import GRAPH_REACTION_MODES
    from sklearn_ltdd.featurize._graph_features import _GRAPH_REACTION_MODES

    assert re.findall(r"'(\w+)'", _GRAPH_REACTION_MODES) == list(GRAPH_REACTION_MODES)


def test_sklearn_splits_and_cross_validates_graphs_as_it_does_arrays():
    from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split

    from sklearn_ltdd import BaselineClassifier

    data = load_solubility()
    smiles, y = data.data[:60], data.target[:60]
    graphs = SmilesGraphizer().fit_transform(smiles)
    train, test = train_test_split(graphs, test_size=0.25, random_state=0)
    train_smiles, _ = train_test_split(smiles, test_size=0.25, random_state=0)
    assert isinstance(train, GraphStore) and len(train) == 45 and len(test) == 15
    assert torch.equal(train.x, SmilesGraphizer().fit_transform(train_smiles).x)  # the same rows
    pair = SmilesGraphizer(reaction_mode="pair").fit_transform([f"{s}>>{s}C" for s in smiles[:8]])
    assert isinstance(train_test_split(pair, test_size=0.5)[0], GraphStorePair)
    # on the CPU: two cross-validations' scores are compared exactly; CUDA's sums are not deterministic
    model = BaselineClassifier(max_epochs=1, hidden=8, early_stopping=None, random_state=0, device="cpu")
    folds = StratifiedKFold(2, shuffle=True, random_state=0)
    scores = cross_val_score(model, graphs, y, cv=folds, error_score="raise")
    assert np.array_equal(scores, cross_val_score(model, smiles, y, cv=folds, error_score="raise"))


@given(st.lists(st.integers(0, 11), min_size=1, max_size=40), st.integers(0, 2**31 - 1))
def test_identical_graphs_are_the_same_molecules_however_written(picks, seed):
    # twelve distinct molecules (as the network reads them), each written a random way
    molecules = ["CCO", "c1ccccc1O", "CCN", "C", "O", "CC(=O)O", "[Na+].[Cl-]", "c1ccncc1", "CCCl",
                 "C1CC1", "CC#N", "OCCO"]  # fmt: skip
    rng = np.random.RandomState(seed)
    written = [
        Chem.MolToRandomSmilesVect(Chem.MolFromSmiles(molecules[k]), 1, randomSeed=int(rng.randint(1000)))[0]
        for k in picks
    ]
    ids = identical_graphs(SmilesGraphizer(bond_features=True).fit_transform(written))
    same_id = ids[:, None] == ids[None, :]
    same_molecule = np.array(picks)[:, None] == np.array(picks)[None, :]
    np.testing.assert_array_equal(same_id, same_molecule)


def test_identical_graphs_compares_every_array():
    # a fingerprint bit, a bond's features or the other side of a reaction tells two graphs apart
    graphs = SmilesGraphizer(fingerprint="morgan").fit_transform(["CCO", "CCO", "CCO"])
    graphs.fingerprint[2, 0] ^= 1
    assert identical_graphs(graphs).tolist() == [0, 0, 1]
    bonds = SmilesGraphizer(bond_features=True).fit_transform(["C/C=C/C", "C/C=C\\C", "CC=CC"])
    assert len(set(identical_graphs(bonds).tolist())) == 3  # E, Z and unspecified
    pairs = SmilesGraphizer(reaction_mode="pair").fit_transform(["CCO>>CC=O", "OCC>>O=CC", "CCO>>CCO"])
    assert identical_graphs(pairs).tolist() == [0, 0, 1]
    assert identical_graphs(graphs[np.array([], dtype=int)]).tolist() == []
    # ... where the network reads it: a GCN reads no bond (E and Z are one input), a model without
    # its fingerprint branch no fingerprint
    assert identical_graphs(bonds, bonds=False).tolist() == [0, 0, 0]
    assert identical_graphs(graphs, fingerprint=False).tolist() == [0, 0, 0]


def test_a_store_s_repr_counts_in_words():
    assert repr(SmilesGraphizer().fit_transform(["[Na+]"])) == (
        "GraphStore(1 graph, 1 node, 0 edges, 74 node features, device=cpu)"
    )
    pair = SmilesGraphizer(reaction_mode="pair").fit_transform(["CO>>C=O", "CCO>>CC=O"])
    assert repr(pair) == "GraphStorePair(2 reactions)"


@pytest.mark.skipif(sys.platform == "win32", reason="sets the stack limit with the resource module")
@pytest.mark.parametrize(
    "stack_kb, chain",
    [(256, "'C' * MAX_ATOMS"), (1024, "'[13CH3]' + 'C' * (MAX_ATOMS - 1)")],
    ids=["plain", "isotope"],
)
def test_the_longest_chain_read_is_featurised_in_a_small_stack(tmp_path, stack_kb, chain):
    """Re-finding rings recursively overflowed the C stack: a 40,000-atom chain crashed the process
    (segfault, no error, and a resumed screen crashed again) in Linux's 8 MB, and a stack of 256 KB
    at some 1,000 atoms. An isotope's molecule is written out by RDKit's recursive writer, which
    a chain of the most atoms read (MAX_ATOMS) must not overflow in 1 MB (half of Python's 2 MB
    on Windows). Run in a process of that stack."""
    import resource

    def small_stack():
        resource.setrlimit(
            resource.RLIMIT_STACK, (stack_kb * 1024, resource.getrlimit(resource.RLIMIT_STACK)[1])
        )

    code = (
        "import sklearn_ltdd as s\nfrom sklearn_ltdd.featurize._smiles import MAX_ATOMS\n"
        f"print(len(s.SmilesGraphizer().fit_transform([{chain}])))"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            preexec_fn=small_stack, cwd=tmp_path, timeout=300)  # fmt: skip
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-2000:]}"
    assert result.stdout.split() == ["1"]
