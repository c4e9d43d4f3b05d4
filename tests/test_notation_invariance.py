"""A molecule's graph and fingerprint do not depend on how its SMILES is written.

Each molecule is rewritten in RDKit's randomised atom order, with every hydrogen in brackets
(``[CH3][OH]``, every stereocentre's ``[C@H]``), in kekulé form, all three at once, and padded
with whitespace; every version must give the same graph, array for array (nodes in RDKit's
canonical order), and the same fingerprints, so that the same molecules and the same seed train
the same model. Reactions are rewritten side by side, keeping their atom maps.
"""

import gzip

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem

from sklearn_ltdd import LTDDClassifier, SmilesGraphizer, SubclusterSchedule
from sklearn_ltdd.datasets import load_reaction_templates, load_solubility
from sklearn_ltdd.featurize import MorganFingerprint
from sklearn_ltdd.featurize._smiles import parse_rows, parse_smiles

SOLUBILITY = load_solubility().data.tolist()
SEEDS = st.integers(0, 2**31 - 1)

# mapped reactions with a stereocentre, an E double bond, bracket hydrogens and unmapped leaving groups
REACTIONS = [
    "[CH3:1][C@H:2]([NH2:3])[C:4](=[O:5])[OH:6].[CH3:7][OH:8]>>[CH3:1][C@H:2]([NH2:3])[C:4](=[O:5])[O:8][CH3:7]",
    "[CH3:1]/[CH:2]=[CH:3]/[C:4](=[O:5])Cl.[NH2:6][c:7]1[cH:8][cH:9][nH:10][cH:11]1"
    ">>[CH3:1]/[CH:2]=[CH:3]/[C:4](=[O:5])[NH:6][c:7]1[cH:8][cH:9][nH:10][cH:11]1",
    "CC(C)(C)OC(=O)[NH:1][C@@H:2]([CH3:3])[c:4]1[cH:5][cH:6][cH:7][cH:8][cH:9]1"
    ">>[NH2:1][C@@H:2]([CH3:3])[c:4]1[cH:5][cH:6][cH:7][cH:8][cH:9]1",
]


def notations(mol: Chem.Mol, seed: int) -> list[str]:
    """The molecule (atom maps kept) in randomised order, explicit-H, kekulé and all-at-once forms."""
    kekule = Chem.Mol(mol)
    Chem.Kekulize(kekule, clearAromaticFlags=True)
    # the vector form takes a seed, so that hypothesis can replay a failing example
    random = Chem.MolToRandomSmilesVect(mol, 1, randomSeed=seed)[0]
    everything = Chem.MolToRandomSmilesVect(kekule, 1, randomSeed=seed, kekuleSmiles=True, allHsExplicit=True)
    return [
        random,
        Chem.MolToSmiles(mol, allHsExplicit=True),
        Chem.MolToSmiles(kekule, kekuleSmiles=True),
        everything[0],
        Chem.MolToSmiles(Chem.AddHs(mol)),  # every hydrogen an atom: [H]/N=C(/N)N's defines E/Z
        f" \t{random}\n",  # leading and trailing whitespace is not part of the SMILES
    ]


def graph_arrays(graphs) -> list[tuple]:
    """Per graph, its node features, edges and edge features as lists."""
    return [(d.x.tolist(), d.edge_index.tolist(), d.edge_attr.tolist()) for d in graphs.to_data_list()]


def graph_invariants(graphs) -> list[tuple]:
    """Per graph, its sorted node rows and its sorted edges, each with its two ends' node rows."""
    out = []
    for data in graphs.to_data_list():
        rows = [tuple(r) for r in data.x.tolist()]
        edges = sorted(
            (*sorted((rows[i], rows[j])), tuple(attr))
            for (i, j), attr in zip(data.edge_index.T.tolist(), data.edge_attr.tolist(), strict=True)
        )
        out.append((sorted(rows), edges))
    return out


def check_molecule(smiles: str, seed: int) -> None:
    written = [smiles, *notations(Chem.MolFromSmiles(smiles), seed)]
    first, *others = graph_arrays(
        SmilesGraphizer(bond_features=True, fingerprint=None).fit_transform(written)
    )
    for s, other in zip(written[1:], others, strict=True):
        assert other == first, f"{smiles!r} written {s!r}"
    for fingerprint in (MorganFingerprint(), MorganFingerprint(counts=True)):
        out = fingerprint.fit_transform(written)
        assert (out == out[0]).all(), f"{fingerprint!r} of {smiles!r}"


def _has_e_or_z(smiles: str) -> bool:
    mol = Chem.MolFromSmiles(smiles)
    return any(b.GetStereo() in (Chem.BondStereo.STEREOE, Chem.BondStereo.STEREOZ) for b in mol.GetBonds())


#: the embedded template products with an E or Z double bond
DOUBLE_BOND_ISOMERS = [s for s in load_reaction_templates().data if _has_e_or_z(s)]


def check_both_stereo_perceptions(smiles: str, seed: int) -> None:
    """RDKit's new perception (its coming default) reads ``Br/C(Cl)=C(\\F)I`` and ``Cl/C(Br)=C(/F)I``,
    one molecule, as cis and trans, relative to the atoms written: the bond features, and the
    canonical atom order, took that as written, and a model saw two molecules."""
    written = [smiles, *notations(Chem.MolFromSmiles(smiles), seed)]
    graphizer = SmilesGraphizer(bond_features=True, fingerprint=None)
    setting = Chem.GetUseLegacyStereoPerception()
    try:
        Chem.SetUseLegacyStereoPerception(True)
        legacy = graph_arrays(graphizer.fit_transform(written))
        Chem.SetUseLegacyStereoPerception(False)
        new = graph_arrays(graphizer.fit_transform(written))
        assert not Chem.GetUseLegacyStereoPerception()  # the caller's setting, given back
    finally:
        Chem.SetUseLegacyStereoPerception(setting)
    assert new == legacy
    assert all(graphs == legacy[0] for graphs in legacy)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(DOUBLE_BOND_ISOMERS), SEEDS)
def test_double_bond_isomers_read_with_the_new_stereo_perception_as_with_the_legacy_one(smiles, seed):
    check_both_stereo_perceptions(smiles, seed)


@pytest.mark.parametrize(
    "smiles",
    [
        "Cl/C(Br)=C(/F)I",
        "C/C=C(/C=C/C#N)CC",  # dienes: the new perception's cis and trans also ranked the atoms
        "C/C=C/C(/C=C\\C)=C/C",
        "C/C=C(/[C@H](C)O)[C@@H](C)O",  # one end's neighbours differ only by their own stereo
        "C/C=C/[2H]",
    ],
)
def test_double_bonds_a_review_found_read_alike_with_either_stereo_perception(smiles):
    for seed in range(5):
        check_both_stereo_perceptions(smiles, seed)


@settings(max_examples=40)
@given(st.sampled_from(SOLUBILITY), SEEDS)
def test_solubility_molecules_in_every_notation(smiles, seed):
    check_molecule(smiles, seed)


# cis / trans 1,4-disubstituted rings, whose two stereocentres define each other: RDKit's
# CanonicalRankAtoms ranked their atoms otherwise when the hydrogens were written as atoms (17 of
# the first 3,000 reaction-template products)
RING_STEREO = [
    "O[C@H]1CC[C@H](CCN2CCCCC2)CC1",
    "O[C@H]1CC[C@@H](CCN2CCCCC2)CC1",
    "CN(C)C(=O)N[C@@H]1CC[C@@H](CCN2CCN(c3cccc4c3CCC4)CC2)CC1",
    "C[C@H]1CC[C@@H](Nc2ncc(-c3ccc(N4CCOCC4)cc3)c(OCC3CCN(S(C)(=O)=O)CC3)n2)CC1",
    # E and Z double bonds in rings of eight atoms and more, whose geometry RDKit's removal of
    # hydrogens written as atoms turned over (trans-cyclodecene read as cis, cis-cyclooctene as
    # trans), and an open chain's
    "C1CCCCC/C=C\\1",
    "C1CCCCCCC/C=C/1",
    "C1CCCCCCC/C=C\\1",
    "CC1CCCCC/C=C/CCCCC1",
    "O=C1CCCCCCC/C=C/CCCCCCO1",
    "O=C1CCCCCCC/C=C\\CCCCCCO1",
    "OC/C=C/c1ccccc1",
]


@pytest.mark.parametrize("smiles", RING_STEREO)
@pytest.mark.parametrize("seed", [0, 1])
def test_ring_stereo_in_every_notation(smiles, seed):
    check_molecule(smiles, seed)


@pytest.mark.parametrize(
    "plain,with_hydrogen_atoms",
    [
        ("C1CCCCC/C=C\\1", "[H]/C1=C/CCCCCC1"),
        ("C1CCCCCCC/C=C/1", "[H]/C1=C(/[H])CCCCCCCC1"),
        ("C1CCCCCCC/C=C/1", "[#1]/C1=C(/[#1])CCCCCCCC1"),
    ],
)
def test_a_ring_double_bond_written_with_its_hydrogens_is_the_same_isomer(plain, with_hydrogen_atoms):
    """cis-cyclooctene and trans-cyclodecene, each written by hand with hydrogen atoms that set
    its geometry, which RDKit's parse read as the other isomer."""
    graphs = SmilesGraphizer(bond_features=True, fingerprint=None).fit_transform([plain, with_hydrogen_atoms])
    first, second = graph_arrays(graphs)
    assert first == second


def test_bracket_hydrogens_count_as_implicit_ones():
    """The issue's cases by hand: a written stereocentre (whose tag no feature reads), hydrogens
    in brackets, and the aromatic [nH] that kekulé form writes without brackets."""
    pairs = [("CC(N)C(=O)O", "C[C@H](N)C(=O)O"), ("CO", "[CH3][OH]"), ("C1=CNC=C1", "c1cc[nH]c1")]
    for plain, written in pairs:
        graphs = SmilesGraphizer(bond_features=True).fit_transform([plain, written])
        first, second = graph_invariants(graphs)
        assert first == second, written


def test_a_hydrogen_atom_that_only_defines_a_double_bond_s_geometry_is_no_node():
    """RDKit keeps such a hydrogen as an atom: guanidine, propene and benzamidine written with one
    got a node more than written without. Where the bond's other neighbours define its geometry,
    the bond features keep it."""
    pairs = [
        ("N=C(N)N", "[H]/N=C(/N)N"),
        ("C=CC", "C(/[H])=C/C"),
        ("NC(=N)c1ccccc1", "[H]/N=C(\\N)c1ccccc1"),
        ("F/C=C\\F", "[H]/C(F)=C/F"),
        ("NC(=N)N", "[H:1]/N=C(/N)N"),
        ("NC(=N)N", "[#1]/N=C(/N)N"),
        ("CC(=N)c1ccccc1", "[#1]/N=C(/C)c1ccccc1"),
        ("*c1ccc(*)cc1O", "[1*]c1ccc([2*])cc1O"),  # attachment points labelled by isotope
    ]
    for plain, written in pairs:
        graphs = SmilesGraphizer(bond_features=True).fit_transform([plain, written])
        assert graph_arrays(graphs[:1]) == graph_arrays(graphs[1:]), written
        assert (graphs.fingerprint[0] == graphs.fingerprint[1]).all(), written
    # a hydrogen isotope stays a node (pitfalls.md), and a lone hydrogen is the molecule
    sizes = np.diff(SmilesGraphizer().fit_transform(["[2H]/N=C(/N)N", "[H+]", "[H][H]"]).node_ptr)
    assert list(sizes) == [5, 1, 2]


@pytest.mark.parametrize(
    "cxsmiles",
    ["C[C@H](O)[C@@H](C)N |&1:1,3|", "C[C@H](O)[C@@H](C)N |o1:1,3|", "CC=CC |ctu:1|", "CC(C)=CC |ctu:2|"],
)
def test_stereo_groups_and_unknown_geometry_outlast_an_isotope_or_atom_maps(cxsmiles):
    """The molecule read again without its isotopes or maps was written without its CXSMILES
    extension: stereo groups, which canonical ranks read (the nodes came in another order), and an
    unknown double-bond geometry (the bond's stereo column read STEREONONE for STEREOANY)."""
    isotope = cxsmiles.replace("C", "[13CH3]", 1)
    mapped = cxsmiles.replace("C", "[CH3:1]", 1)
    first, *others = graph_arrays(
        SmilesGraphizer(bond_features=True, fingerprint=None).fit_transform([cxsmiles, isotope, mapped])
    )
    assert others == [first, first]


def test_a_hydrogen_whose_stereo_only_an_isotope_made_goes_before_the_molecule_is_read_again():
    """The hydrogen went after the reading again, which had dropped it with the isotope's stereo:
    the atoms of the unknown geometry carried over were those of another bond, or none at all."""
    for other in ("CC=CC |ctu:5|", "CC(C)=CC |ctu:6|", "C1CC=CCCCC1 |ctu:6|"):
        written = [f"[H]/N=C(/[13CH3])C.{other}", f"[H]/N=C(/C)C.{other}"]
        first, second = graph_arrays(
            SmilesGraphizer(bond_features=True, fingerprint=None).fit_transform(written)
        )
        assert first == second, written


@given(st.sampled_from(SOLUBILITY), SEEDS, st.sampled_from([13, 14, 18, 37, 125]))
@settings(max_examples=40, deadline=None)
def test_a_heavy_atom_s_isotope_changes_neither_graph_nor_fingerprint(smiles, seed, isotope):
    """Morgan's invariants read an isotope's mass ([14CH3]C(=O)O had other bits than acetic acid,
    and C[125I] another prediction than CI), and RDKit's canonical ranks ordered the nodes of half
    the molecules given one [13C] otherwise (the same graph permuted: another seeded fit)."""
    mol = Chem.MolFromSmiles(smiles)
    heavy = [atom for atom in mol.GetAtoms() if atom.GetAtomicNum() > 1]
    heavy[seed % len(heavy)].SetIsotope(isotope)
    labelled = Chem.MolToSmiles(mol)
    graphs = SmilesGraphizer(bond_features=True).fit_transform([smiles, labelled])
    assert graph_arrays(graphs[:1]) == graph_arrays(graphs[1:]), labelled
    assert (graphs.fingerprint[0] == graphs.fingerprint[1]).all(), labelled
    counts = MorganFingerprint(counts=True).fit_transform([smiles, labelled])
    assert (counts[0] == counts[1]).all(), labelled


def test_stereo_that_only_an_isotope_made_goes_with_it():
    """Cleared after RDKit's parse, the isotope left its E/Z behind: [13CH3]/C(C)=C/C and
    [13CH3]/C(C)=C\\C were two graphs, neither the parent's, and mapped another than unmapped."""
    parent = "CC=C(C)C"
    for labelled in ("[13CH3]/C(C)=C/C", "[13CH3]/C(C)=C\\C", "[13CH3:1]/[C:2]([CH3:3])=[CH:4]/[CH3:5]"):
        graphs = SmilesGraphizer(bond_features=True).fit_transform([parent, labelled])
        assert graph_arrays(graphs[:1]) == graph_arrays(graphs[1:]), labelled
    reactions = [f"CC>>{parent}", "CC>>[13CH3]/C(C)=C/C", "[CH3:1][CH3:2]>>[13CH3:1]/[C:2](C)=C/C"]
    graphs = SmilesGraphizer(bond_features=True, reaction_mode="products").fit_transform(reactions)
    assert graph_arrays(graphs[:1]) == graph_arrays(graphs[1:2]) == graph_arrays(graphs[2:])


def test_a_hydrogen_isotope_written_as_an_atom_stays_a_node_with_its_own_bits():
    """As pitfalls.md says: a deuterated drug is not its parent (write the parent where it should be)."""
    fingerprints = MorganFingerprint().fit_transform(["CC(=O)O", "[2H]CC(=O)O"])
    assert (fingerprints[0] != fingerprints[1]).any()


@pytest.fixture(scope="module")
def model() -> LTDDClassifier:
    """A small fitted model with the default network (graph and fingerprint, bond-aware encoder)."""
    data = load_solubility(subset="train")
    params = {"max_epochs": 3, "schedule": SubclusterSchedule(warmup_epochs=1), "hidden": 16,
              "encoder": "gine", "random_state": 0}  # fmt: skip
    return LTDDClassifier(**params).fit(data.data[:200], data.target[:200])


def test_the_same_molecules_written_otherwise_train_the_same_model():
    data = load_solubility(subset="train")
    X, y = data.data[:150].tolist(), data.target[:150]
    respelled = [notations(Chem.MolFromSmiles(s), seed)[3] for seed, s in enumerate(X)]
    assert sum(a != b for a, b in zip(X, respelled, strict=True)) > 140
    # on the CPU, where two fits repeat bit for bit
    params = {
        "max_epochs": 4,
        "schedule": SubclusterSchedule(warmup_epochs=1, update_every=1),
        "hidden": 16,
        "fingerprint": None,
        "random_state": 0,
        "device": "cpu",
    }
    first, second = (LTDDClassifier(**params).fit(train, y) for train in (X, respelled))
    for key in ("train_loss", "valid_ba"):
        np.testing.assert_array_equal(first.history_[:, key], second.history_[:, key])
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))


def check_prediction(model: LTDDClassifier, smiles: str, seed: int) -> None:
    written = [smiles, *notations(Chem.MolFromSmiles(smiles), seed)]
    proba = model.predict_proba(written)
    np.testing.assert_allclose(proba, np.broadcast_to(proba[0], proba.shape), atol=1e-5, err_msg=smiles)


@settings(max_examples=25)
@given(st.sampled_from(SOLUBILITY), SEEDS)
def test_a_fitted_model_predicts_the_same_in_every_notation(model, smiles, seed):
    check_prediction(model, smiles, seed)


@pytest.fixture(scope="module")
def hiv_sample(shared_data) -> list[str]:
    """Every 100th molecule of MoleculeNet HIV (charges, metals, stereo), those RDKit reads."""
    path = shared_data / "hiv" / "HIV.csv"
    if not path.exists():
        pytest.skip(f"MoleculeNet HIV not found at {path}")
    smiles = pd.read_csv(path, usecols=["smiles"])["smiles"].iloc[::100]
    return [s for s in smiles if Chem.MolFromSmiles(s) is not None]


@settings(max_examples=40)
@given(st.data(), SEEDS)
def test_hiv_molecules_in_every_notation(hiv_sample, data, seed):
    check_molecule(data.draw(st.sampled_from(hiv_sample)), seed)


@settings(max_examples=25)
@given(st.data(), SEEDS)
def test_a_fitted_model_predicts_the_same_for_hiv_molecules_in_every_notation(model, hiv_sample, data, seed):
    check_prediction(model, data.draw(st.sampled_from(hiv_sample)), seed)


def rewritten(reaction: str, seed: int) -> list[str]:
    """The reaction with both sides in each notation (atom maps kept)."""
    sides = [notations(Chem.MolFromSmiles(side), seed)[:4] for side in reaction.split(">>")]
    return [f"{r}>>{p}" for r, p in zip(*sides, strict=True)]


def check_reaction(reaction: str, seed: int) -> None:
    written = [reaction, *rewritten(reaction, seed)]
    for mode in ("cgr", "cgr_product", "pair"):
        graphs = SmilesGraphizer(reaction_mode=mode, bond_features=True).fit_transform(written)
        for side in (graphs.reactants, graphs.products) if mode == "pair" else (graphs,):
            first, *others = graph_arrays(side)
            for s, other in zip(written[1:], others, strict=True):
                assert other == first, f"{mode}: {reaction!r} written {s!r}"
        fingerprints = graphs.fingerprint.numpy()
        assert (fingerprints == fingerprints[0]).all(), reaction


@given(st.sampled_from(REACTIONS), SEEDS)
def test_mapped_reactions_in_every_notation(reaction, seed):
    check_reaction(reaction, seed)


@pytest.mark.parametrize(
    "reaction",
    [  # one of glycol's two equal hydroxyls reacts; the product is symmetric, its atoms are not all new
        "[OH:1][CH2:2][CH2:3][OH:4].[CH3:5][C:6](=[O:7])Cl>>[OH:1][CH2:2][CH2:3][O:4][C:6](=[O:7])[CH3:5]",
        "[CH3:1][OH:2]>>[CH3:1][O:2][CH2:10][CH2:11][O:12][CH3:13]",
    ],
)
@settings(max_examples=20)
@given(seed=SEEDS)
def test_atoms_symmetric_on_one_side_but_not_in_the_reaction_keep_their_nodes(reaction, seed):
    """The reactants alone (or the products alone) cannot tell these atoms apart: their nodes are
    ordered by what they pair with on the other side."""
    check_reaction(reaction, seed)


@pytest.fixture(scope="module")
def uspto_sample(shared_data) -> list[str]:
    path = shared_data / "uspto50k" / "USPTO_50k_rxnmapper.csv.gz"
    if not path.exists():
        pytest.skip(f"the rxnmapper-mapped USPTO-50k not found at {path}")
    with gzip.open(path, "rt") as handle:
        return pd.read_csv(handle, usecols=["rxn_smiles_mapped"], nrows=500)["rxn_smiles_mapped"].tolist()


@settings(max_examples=20)
@given(st.data(), SEEDS)
def test_uspto_reactions_in_every_notation(uspto_sample, data, seed):
    check_reaction(data.draw(st.sampled_from(uspto_sample)), seed)


def test_a_reading_left_unfinished_leaves_the_next_one_the_legacy_perception():
    unfinished = parse_rows(["CC", "CCO"], parse_smiles, {})
    next(unfinished)  # a generator neither exhausted nor closed: it holds the perception's count
    setting = Chem.GetUseLegacyStereoPerception()
    try:
        Chem.SetUseLegacyStereoPerception(False)
        spellings = ["Cl/C(Br)=C(/F)I", "Br/C(Cl)=C(\\F)I"]  # one molecule
        first, second = graph_arrays(
            SmilesGraphizer(bond_features=True, fingerprint=None).fit_transform(spellings)
        )
        assert first == second
    finally:
        unfinished.close()
        Chem.SetUseLegacyStereoPerception(setting)
