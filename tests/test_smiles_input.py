import copy
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
import warnings
from unittest.mock import patch

import hypothesis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import strategies as st
from rdkit import Chem, rdBase
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import sklearn_ltdd
from sklearn_ltdd import InconsistentVersionWarning
from sklearn_ltdd.featurize import (
    InvalidSmilesError,
    MorganFingerprint,
    SmilesGraphizer,
    UnmappedReactionError,
    _smiles,
    check_smiles,
    mols_from_smiles,
)
from sklearn_ltdd.featurize._smiles import CX_EXTENSION, MAX_ATOMS, PARSE_VERSION


@pytest.mark.parametrize(
    "X",
    [
        ["CCO", "CCN"],
        ("CCO", "CCN"),
        np.array(["CCO", "CCN"]),
        np.array([["CCO"], ["CCN"]], dtype=object),
        pd.Series(["CCO", "CCN"]),
        pd.DataFrame({"smiles": ["CCO", "CCN"]}),
        pa.array(["CCO", "CCN"]),
        pa.chunked_array([["CCO"], ["CCN"]]),
        pa.table({"smiles": ["CCO", "CCN"]}),
    ],
)
def test_check_smiles_accepts_common_containers(X):
    assert check_smiles(X).tolist() == ["CCO", "CCN"]


def test_pyg_graphs_given_as_smiles_are_named():
    """graphs[0], to_data_list() and batch() were 'an array of shape (3, 2)', of their attributes."""
    graphs = SmilesGraphizer().fit_transform(["CCO", "CCN"])
    for given in (graphs[0], graphs.to_data_list(), graphs.batch(), (graphs[0], graphs[1])):
        with pytest.raises(
            TypeError, match=r"X holds PyG graphs \((Data|DataBatch)\); pass SMILES, or a GraphStore"
        ):
            check_smiles(given)


def test_one_bad_row_is_one_row_in_the_headline():
    with pytest.raises(InvalidSmilesError, match=r"^1 of the input rows is not valid SMILES:"):
        SmilesGraphizer().fit_transform(["CCO", "C1CC"])
    with pytest.raises(UnmappedReactionError, match=r"^1 of the input rows is a reaction without complete"):
        SmilesGraphizer(reaction_mode="cgr").fit_transform(["CCO>>CC=O"])


def test_check_smiles_rejects_bad_shapes():
    with pytest.raises(TypeError, match=r"not one str \('CCO'\); wrap a single SMILES in a list\.$"):
        check_smiles("CCO")
    # a file's text, read whole (it was the message, 2 MB of it, with the advice to wrap it in a list)
    text = "smiles\n" + "CCO\n" * 100_000
    for given in (text, text.encode()):
        with pytest.raises(
            TypeError, match=r"\.\.\. \(400,007 (characters|bytes)\)\): it holds 100,001 lines"
        ) as error:
            check_smiles(given)
        assert len(str(error.value)) < 400 and "text.splitlines()" in str(error.value)
    for one, advice in (
        (b"CCO", "; decode it, and wrap a single SMILES in a list"),
        (None, ""),
        (3, ""),
    ):  # was "got an array of shape ()"
        with pytest.raises(
            TypeError,
            match=rf"X must be a sequence of SMILES strings, not one {type(one).__name__} \(.*\){advice}\.$",
        ):
            check_smiles(one)
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        check_smiles([["CCO", "CCN"], ["C", "N"]])
    # a table of several columns: they are named, and the one that looks like SMILES suggested
    table = pd.DataFrame({"id": ["M1", "M2"], "Canonical_SMILES": ["CCO", "CCN"], "pIC50": [5.1, 6.2]})
    message = (
        r"a table of 3 columns \(\['id', 'Canonical_SMILES', 'pIC50'\]\); .*X\[\['Canonical_SMILES'\]\] "
        r"\(of a pyarrow or polars table: X.select\(\['Canonical_SMILES'\]\)\)"  # (they have no X[[...]])
    )
    with pytest.raises(ValueError, match=message):
        check_smiles(table)
    pa = pytest.importorskip("pyarrow")
    with pytest.raises(ValueError, match=message):
        check_smiles(pa.Table.from_pandas(table))
    # none named like SMILES (it was an IndexError from the message's example), or no column at all
    for unnamed, columns in ((table.drop(columns="Canonical_SMILES"), r"2 columns \(\['id', 'pIC50'\]\)"),
                             (pd.DataFrame(index=range(2)), r"0 columns \(\[\]\)")):  # fmt: skip
        with pytest.raises(ValueError, match=rf"got a table of {columns}; pass the column of SMILES\.$"):
            check_smiles(unnamed)
    with pytest.raises(ValueError, match="X is empty"):
        check_smiles([])
    for unordered in ({"CCO", "CCN"}, {"CCO": 0}, {"CCO": 0}.keys()):
        with pytest.raises(
            TypeError, match=rf"in sample order, not a {type(unordered).__name__}; pass a list"
        ):
            check_smiles(unordered)


def test_an_rdkit_mol_is_named_as_one():
    with pytest.raises(
        InvalidSmilesError, match=r"row 1: .*\(an RDKit Mol, not a SMILES string; pass Chem.MolToSmiles"
    ):
        mols_from_smiles(["CCO", Chem.MolFromSmiles("CCO")])


def test_every_bad_row_is_reported_once():
    X = ["CCO", "not a smiles", None, pd.NA, "", 7, " ", "C1CC"] + ["Xx"] * 11
    with pytest.raises(InvalidSmilesError) as info:
        mols_from_smiles(X)
    err = info.value
    assert sorted(err.bad_rows) == [1, 2, 3, 4, 5, 6, *range(7, 19)]
    message = str(err)
    assert message.startswith("18 of the input rows are not valid SMILES")
    assert "row 1: 'not a smiles' (whitespace inside it" in message
    assert "row 8: 'Xx' (RDKit cannot parse it: its syntax" in message
    # what each row that is no string is (each was "not a non-empty string")
    reasons = [err.bad_rows[row][1] for row in range(2, 7)]
    assert reasons == [
        "missing",
        "missing",
        "an empty string",
        "of type int, not a SMILES string",
        "only whitespace",
    ]
    assert "row 2: None (missing)" in message
    assert "... and 8 more (every one in the error's bad_rows)" in message
    assert isinstance(err, ValueError)


def test_morgan_fingerprint():
    fp = MorganFingerprint(n_bits=128).fit(["CCO"])
    out = fp.transform(["CCO", "CCO", "c1ccccc1"])
    assert out.shape == (3, 128) and set(np.unique(out)) <= {0, 1}
    np.testing.assert_array_equal(out[0], out[1])
    assert not np.array_equal(out[0], out[2])
    counts = MorganFingerprint(n_bits=128, counts=True).fit_transform(["CCCCCCCC"])
    assert counts.max() > 1
    assert len(fp.get_feature_names_out()) == 128
    with pytest.raises(InvalidSmilesError, match="row 1"):
        fp.transform(["CCO", "C1CC"])
    with pytest.raises(ValueError, match="n_bits"):
        MorganFingerprint(n_bits=0).fit(["CCO"])
    with pytest.raises(ValueError, match=r"n_bits' .* must be an int in the range \[1, 2147483647\]"):
        MorganFingerprint(n_bits=2**40).fit(["CCO"])  # RDKit said "bad numeric conversion"


@pytest.mark.parametrize("radius", [0, 1, 3])
def test_morgan_bits_and_counts_are_rdkits_at_the_radius_asked_for(radius):
    """A mutation that read radius + 1 passed every test: the bits are checked against RDKit's
    Morgan generator called directly."""
    from rdkit.Chem import rdFingerprintGenerator

    smiles = ["CC(=O)Oc1ccccc1C(=O)O", "CN1CCC[C@H]1c1cccnc1", "CCCCCCCCCCCCCCCC(=O)O"]
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=256)
    mols = [Chem.MolFromSmiles(value) for value in smiles]
    for counts, read in [
        (False, generator.GetFingerprintAsNumPy),
        (True, generator.GetCountFingerprintAsNumPy),
    ]:
        found = MorganFingerprint(radius=radius, n_bits=256, counts=counts).fit_transform(smiles)
        np.testing.assert_array_equal(found, np.stack([read(mol) for mol in mols]))
    others = MorganFingerprint(radius=radius + 1, n_bits=256).fit_transform(smiles)
    assert not np.array_equal(others, MorganFingerprint(radius=radius, n_bits=256).fit_transform(smiles))


def test_a_count_above_255_saturates_instead_of_wrapping():
    """uint8 counts: the 298 CH2 groups of a 300-carbon chain are 255, not 298 mod 256 = 42."""
    counts = MorganFingerprint(radius=0, counts=True).fit_transform(["C" * 300])
    assert counts.dtype == np.uint8 and sorted(counts[0][counts[0] > 0].tolist()) == [2, 255]


def test_morgan_fingerprint_takes_numpy_integers_as_a_grid_gives_them():
    """GridSearchCV over np.array([16, 32]) passed np.int64s, which RDKit's signature refused."""
    smiles = ["CCO", "c1ccccc1", "CC(=O)N"]
    numpy_params = MorganFingerprint(n_bits=np.int64(16), radius=np.uint8(1)).fit_transform(smiles)
    np.testing.assert_array_equal(numpy_params, MorganFingerprint(n_bits=16, radius=1).fit_transform(smiles))


@pytest.mark.parametrize("transformer", [MorganFingerprint(n_bits=16), SmilesGraphizer()])
def test_a_transformer_fitted_on_a_named_column_refuses_another(transformer):
    """Fitted on the products' column, given the reactants': sklearn refuses other feature names."""
    table = pd.DataFrame({"product": ["CCO", "CCN"], "reactant": ["CC=O", "CC#N"]})
    transformer.fit(table[["product"]])
    assert transformer.feature_names_in_.tolist() == ["product"]
    for same in (table[["product"]], ["CCO"], table["product"]):
        transformer.transform(same)  # the fit's column, or no name: one column has no wrong order
    for other in (table[["reactant"]], pa.table({"reactant": ["CCO"]}), table["reactant"]):
        with pytest.raises(ValueError, match=r"column is 'reactant', but this .* on the column 'product'"):
            transformer.transform(other)
    names = transformer.get_feature_names_out()
    assert transformer.get_feature_names_out(["product"]).tolist() == names.tolist()
    for names in (["reactant"], ["product", "reactant"]):
        with pytest.raises(ValueError, match=r"input_features must be \['product'\]"):
            transformer.get_feature_names_out(names)
    transformer.fit(["CCO"])  # a refit on a list forgets the name
    assert not hasattr(transformer, "feature_names_in_")
    transformer.transform(table[["reactant"]])
    with pytest.raises(ValueError, match="input_features must be one name"):
        transformer.get_feature_names_out(["a", "b"])


@pytest.mark.parametrize(
    "transformer, parameter",
    [(MorganFingerprint(n_bits=0), "n_bits"), (MorganFingerprint(n_bits="64"), "n_bits"),
     (SmilesGraphizer(reaction_mode="cgrx"), "reaction_mode")],
)  # fmt: skip
def test_feature_names_are_refused_for_invalid_parameters(transformer, parameter):
    """They were 0 names, a TypeError from range(), and the 74 names of molecules."""
    with pytest.raises(ValueError, match=f"The '{parameter}' parameter of {type(transformer).__name__} must"):
        transformer.get_feature_names_out()


def test_a_fingerprint_pipeline_knows_its_input_column():
    pipe = make_pipeline(MorganFingerprint(n_bits=16), LogisticRegression())
    pipe.fit(pd.DataFrame({"smiles": ["CCO", "CCN", "CCC", "CCCl"]}), [0, 1, 0, 1])
    assert pipe.feature_names_in_.tolist() == ["smiles"]


def test_an_iterator_is_refused_with_a_clear_error():
    with pytest.raises(TypeError, match=r"not an iterator .*generator.*list"):
        MorganFingerprint().fit_transform(s for s in ["CCO", "CCN"])


def test_a_reaction_given_as_a_molecule_is_named_as_one():
    with pytest.raises(InvalidSmilesError, match=r"row 1: 'CC>>CC' \(a reaction SMILES \('reactants>"):
        mols_from_smiles(["CCO", "CC>>CC"])
    assert mols_from_smiles(["C[N+]->[Fe]"])[0].GetNumAtoms() == 3  # a dative bond is no arrow


def test_another_notation_given_for_a_smiles_is_named_as_such():
    """A mol block was refused for its 'whitespace inside it', an InChI or InChIKey for its syntax."""
    ethanol = Chem.MolFromSmiles("CCO")
    X = [Chem.MolToMolBlock(ethanol), Chem.MolToV3KMolBlock(ethanol), Chem.MolToInchi(ethanol),
         Chem.MolToInchiKey(ethanol), "CCO"]  # fmt: skip
    with pytest.raises(InvalidSmilesError) as info:
        mols_from_smiles(X)
    reasons = [reason for _, reason in info.value.bad_rows.values()]
    assert sorted(info.value.bad_rows) == [0, 1, 2, 3]
    assert reasons == [
        *["a mol block (a molfile's text), not a SMILES; RDKit's Chem.MolFromMolBlock reads it"] * 2,
        "an InChI, not a SMILES; RDKit's Chem.MolFromInchi reads it",
        "an InChIKey, not a SMILES: a hash, which holds no structure to read",
    ]


def test_whitespace_inside_a_smiles_is_a_bad_row():
    """RDKit reads what follows a space as a name: "CC O" would be ethane, the second one benzene."""
    X = [" CCO\n", "CC O", "c1ccccc1 CCCCCCCC", "CC\tN", "\tc1ccccc1 "]
    with pytest.raises(InvalidSmilesError) as info:
        mols_from_smiles(X)
    assert sorted(info.value.bad_rows) == [1, 2, 3]
    assert "row 2: 'c1ccccc1 CCCCCCCC' (whitespace inside it; RDKit would read only" in str(info.value)
    # leading and trailing whitespace is not part of the SMILES
    assert [m.GetNumAtoms() for m in mols_from_smiles([X[0], X[4]])] == [3, 6]
    for fingerprint, bad in (
        (MorganFingerprint(), "CC O"),
        (MorganFingerprint(reaction_mode="difference"), "CCO>>CC =O"),
        (MorganFingerprint(reaction_mode="difference"), "CCO >>CC=O"),
    ):
        with pytest.raises(InvalidSmilesError, match=r"row 1: .* \(whitespace inside it"):
            fingerprint.fit_transform([" CCO>>CC=O " if fingerprint.reaction_mode else " CCO ", bad])


@pytest.mark.parametrize(
    "bad", ["CCO\u2020", "\u00a7CCO", "CC\u0130", "CCO\u200b", "CC\u9ad8O", "CCO>>CC=O\u00b2"]
)
def test_a_character_outside_ascii_is_a_bad_row(bad):
    """RDKit drops such a character at either end and reads the rest: "CCO†" was ethanol, "CCİ"
    (a Turkish keyboard's capital I) ethane, each scored as a valid molecule."""
    reaction = ">>" in bad
    good = "CCO>>CC=O" if reaction else "CCO"
    position = next(i for i, c in enumerate(bad) if not c.isascii())
    expected = rf"row 1: .* \(the non-ASCII character U\+{ord(bad[position]):04X} at position {position};"
    featurisers = [
        SmilesGraphizer(reaction_mode="products" if reaction else None),
        MorganFingerprint(reaction_mode="difference" if reaction else None),
    ]
    for featuriser in featurisers:
        with pytest.raises(InvalidSmilesError, match=expected) as info:
            featuriser.fit_transform([good, bad])
        assert list(info.value.bad_rows) == [1]
    # surrounding whitespace, a no-break space from a spreadsheet too, is still stripped
    assert len(SmilesGraphizer().fit_transform([" CCO\u00a0"])) == 1


@pytest.mark.parametrize("bad", ["\x00CCO", "CCO\x1b", "CC\x00", "\x7fCCO", "CCO>>CC=O\x01"])
def test_a_control_character_is_a_bad_row(bad):
    """RDKit drops one at either end as it does a character outside ASCII: "\\x00CCO" was ethanol,
    "CC\\x00" ethane, scored as valid molecules; inside it was refused as a typo."""
    reaction = ">>" in bad
    position = next(i for i, c in enumerate(bad) if not c.isprintable())
    expected = rf"row 1: .* \(the control character U\+{ord(bad[position]):04X} at position {position};"
    for featuriser in (
        SmilesGraphizer(reaction_mode="products" if reaction else None),
        MorganFingerprint(reaction_mode="difference" if reaction else None),
    ):
        with pytest.raises(InvalidSmilesError, match=expected) as info:
            featuriser.fit_transform(["CCO>>CC=O" if reaction else "CCO", bad])
        assert list(info.value.bad_rows) == [1]
    assert len(SmilesGraphizer().fit_transform(["\tCCO\r\n"])) == 1  # whitespace is still stripped


def test_non_ascii_rows_are_named_where_they_are_and_extensions_may_hold_any_text():
    with pytest.raises(InvalidSmilesError) as info:
        mols_from_smiles(["  CCO\u2020", "\ufeffCCO"])
    reasons = {row: reason for row, (_, reason) in info.value.bad_rows.items()}
    assert reasons[0].startswith("the non-ASCII character U+2020 at position 5;")  # in the row as given
    assert "byte-order mark" in reasons[1] and "encoding='utf-8-sig'" in reasons[1]
    # a CXSMILES extension's atom labels are text, which RDKit reads as such
    assert [m.GetNumAtoms() for m in mols_from_smiles(["*CC |$R\u00b9;;$|"])] == [3]


def test_difference_fingerprint_names_its_own_mode():
    with pytest.raises(InvalidSmilesError, match=r"row 0: 'CCO' \(not a reaction SMILES") as info:
        MorganFingerprint(reaction_mode="difference").fit_transform(["CCO"])
    assert "reaction_mode='difference'" in str(info.value) and "pair" not in str(info.value)


def test_a_cxsmiles_extension_is_not_taken_for_inner_whitespace():
    """RDKit reads ChemAxon's "|...|" extension as part of the molecule (here: enhanced stereo)."""
    mols = mols_from_smiles(["C[C@H](O)CC |&1:1|", "CC |$R;;$|"])
    assert [m.GetNumAtoms() for m in mols] == [5, 2]
    with pytest.raises(InvalidSmilesError, match="row 0"):
        mols_from_smiles(["CCO |&1:1| a name"])
    # a name between bars: the extension is at fault, not the SMILES (as in "C1CC |$R1$|")
    with pytest.raises(InvalidSmilesError) as error:
        mols_from_smiles(["CCO |ethanol|", "C1CC |$R1$|"])
    reasons = [reason for _, reason in error.value.bad_rows.values()]
    assert reasons[0] == "RDKit cannot read its CXSMILES extension (the |...| after the SMILES)"
    assert "its syntax" in reasons[1]


QUERIES = {  # CXSMILES of a query or Markush structure, and what it holds
    "*C1CCCCC1 |$X_p;;;;;;$|": "a query atom",  # any halogen
    "*C1CCCCC1 |$A_p;;;;;;$|": "a query atom",  # any atom (RDKit keeps no query for it)
    "C1CCCCC1 |rb:0:2|": "a query atom",
    "C1CCCCC1 |u:0|": "a query atom",
    "CC*.c1ccncc1 |m:2:3.4.5.6.7.8|": "a position-variation bond",
    "C1CCCCC1 |LN:0:1.5|": "a link node",
    "*CC(*)c1ccccc1 |Sg:n:1,2::ht|": "a polymer (substance group SRU)",
    "*C |u:0|": "a query atom",  # an attachment point's query beyond "any atom"
}


def test_a_query_or_markush_cxsmiles_is_no_molecule():
    """RDKit read each as one molecule (the dummy atom, the monomer, the ring written once) and
    the package scored it as that, without a word; extensions that say nothing of the kind
    (labels, coordinates, stereo groups, radicals, attachment points) are read as before."""
    with pytest.raises(InvalidSmilesError) as error:
        mols_from_smiles(list(QUERIES))
    for (value, reason), held in zip(error.value.bad_rows.values(), QUERIES.values(), strict=True):
        assert reason.startswith("a query or Markush structure, not one molecule") and held in reason, value
    fine = ["*C1CCCCC1", "[*:1]C", "CCO |$R;;$|", "C[C@H](O)N |&1:1|", "CCO |(0,0,;1,0,;2,0,)|", "CCO |^1:0|"]
    # attachment points and a mixture beside an extension: RDKit makes each dummy atom a query
    fine += ["[*:1]C |(0,0,;1,0,)|", "*C[C@H](N)C(=O)O |&1:2|", "*CC |$;;$|", "CCO.O |Sg:mix:0,1,2,3::|"]
    assert len(mols_from_smiles(fine)) == len(fine)


def test_a_query_bond_is_no_molecule():
    """RDKit's SMILES reader takes SMARTS's '~' (any bond) as a bond of no type that fills no
    valence: CC~C was featurised and scored as ethane beside methane, C1~CCCCC1 as a ring holding
    two CH3, in every reaction mode too; closing a ring, as a single bond. A '~' that is no bond
    (an atom's label) is read as before."""
    with pytest.raises(InvalidSmilesError) as error:
        mols_from_smiles(["CCC", "CC~C", "C1~CCCCC1", "CC(~O)C", "C~1CCCCC1", "c~1ccccc~1", "C%10CCCCC~%10"])
    held = "a query bond '~' (SMARTS's any bond), not one molecule: RDKit reads it as a bond that fills"
    assert sorted(error.value.bad_rows) == [1, 2, 3, 4, 5, 6]
    assert all(reason.startswith(held) for _, reason in error.value.bad_rows.values())
    assert mols_from_smiles(["CCO |$;;a~b$|"])[0].GetNumAtoms() == 3
    reactions = ["[CH3:1][CH2:2][OH:3]>>[CH3:1][CH2:2][OH:3]", "[CH3:1][CH2:2][OH:3]>>[CH3:1][CH2:2]~[OH:3]"]
    for mode in ("products", "reaction", "pair", "cgr"):
        graphs = SmilesGraphizer(reaction_mode=mode, errors="ignore").fit_transform(reactions)
        assert graphs.valid_mask.tolist() == [True, False], mode


@hypothesis.settings(max_examples=300)
@hypothesis.given(st.text(alphabet="C |&1:$\t", max_size=16))
def test_the_cxsmiles_extension_is_found_where_it_was_before_its_linear_search(value):
    """The extension's pattern took seconds on a long run of whitespace (30,000 spaces: 2 s; a
    1 MB cell of padding, most of an hour): it now starts its match where a run begins, and
    finds what it found, where it found it."""
    before = re.compile(r"\s+\|[^|\s]*\|\s*$").search(value)
    now = CX_EXTENSION.search(value)
    assert (now is None) == (before is None)
    assert now is None or now.span() == before.span()


@pytest.mark.parametrize("mode", ["products", "reaction", "pair", "cgr"])
def test_a_reaction_cxsmiles_is_refused_not_applied_to_the_products(mode):
    """RDKit applies a reaction's extension to its reactants' atoms; split into parts, the extension
    would mark the products' atoms instead (here a radical on the ester's first carbon)."""
    from sklearn_ltdd import SmilesGraphizer

    reaction = "[CH3:1][C:2](=[O:3])[OH:4].[OH:5][CH2:6][CH3:7]>>[CH3:1][C:2](=[O:3])[O:5][CH2:6][CH3:7]"
    graphizer = SmilesGraphizer(reaction_mode=mode)
    with pytest.raises(InvalidSmilesError, match=r"row 1: .*a reaction CXSMILES: its \|...\| extension"):
        graphizer.fit_transform([reaction, reaction + " |^1:0|"])
    with pytest.raises(InvalidSmilesError, match=r"row 0: .*a reaction CXSMILES"):
        MorganFingerprint(reaction_mode="difference").fit_transform(["CCO>>CC=O |^1:0|"])
    with pytest.raises(InvalidSmilesError, match=r"row 0: .*a reaction CXSMILES"):  # a ">" in a label too
        graphizer.fit_transform(["CC>>CO |$a>b;;$|"])


def _arrays(graphs) -> list:
    stores = [graphs.reactants, graphs.products] if hasattr(graphs, "products") else [graphs]
    return [
        [(d.x.tolist(), d.edge_index.tolist(), d.edge_attr.tolist()) for d in store.to_data_list()]
        for store in stores
    ]


@pytest.mark.parametrize("mode", ["products", "reaction", "pair", "cgr"])
def test_a_reactions_fragment_groups_are_read_and_change_no_graph(mode):
    """Lowe's USPTO reactions end in fragment groups (|f:1.2|: the acetate and sodium are one
    salt), which say nothing a graph holds: such a reaction was refused as a reaction CXSMILES."""
    reaction = "[CH3:1][OH:2].[CH3:3][C:4](=[O:5])[O-:6].[Na+]>Cl>[CH3:3][C:4](=[O:5])[O:2][CH3:1]"
    for groups in (" |f:1.2|", " |f:0.1,2.3|\t"):
        graphs = SmilesGraphizer(reaction_mode=mode, bond_features=True).fit_transform(
            [reaction, reaction + groups]
        )
        assert [store[0] for store in _arrays(graphs)] == [store[1] for store in _arrays(graphs)]
    fingerprints = MorganFingerprint(reaction_mode="difference").fit_transform(
        [reaction, reaction + " |f:1.2|"]
    )
    assert fingerprints.any() and (fingerprints[0] == fingerprints[1]).all()
    # with any other field the extension is refused, as before
    with pytest.raises(InvalidSmilesError, match=r"a reaction CXSMILES: .* \|f:...\|, which are read"):
        SmilesGraphizer(reaction_mode=mode).fit_transform([reaction + " |f:1.2,^1:0|"])


def test_the_atom_mapper_is_asked_a_reaction_without_its_fragment_groups():
    asked = []

    def mapper(rows: list[str]) -> list[str]:
        asked.extend(rows)
        return ["[CH3:1][OH:2].[CH3:3][C:4](=[O:5])[O-:6].[Na+]>>[CH3:3][C:4](=[O:5])[O:2][CH3:1]"]

    graphs = SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper).fit_transform(
        ["CO.CC(=O)[O-].[Na+]>Cl>COC(C)=O |f:1.2|"]
    )
    assert asked == ["CC(=O)[O-].CO.[Na+]>>COC(C)=O"] and graphs.node_ptr.tolist() == [0, 7]


def test_a_greater_than_sign_in_a_cxsmiles_label_is_no_reaction_arrow():
    """A molecule whose atom label holds ">" was called "a reaction SMILES"."""
    from sklearn_ltdd import SmilesGraphizer

    rows = ["C* |$>;$|", "CCO |$R>1;;$|"]
    assert [m.GetNumAtoms() for m in mols_from_smiles(rows)] == [2, 3]
    graphs = SmilesGraphizer().fit_transform(rows)
    assert graphs.valid_mask.all() and MorganFingerprint().fit_transform(rows).any(axis=1).all()


def test_the_bad_row_errors_survive_a_worker_process():
    """joblib and Dask send a worker's exception back pickled: the rows and advice must arrive."""
    import pickle

    from sklearn_ltdd.featurize import UnmappedReactionError

    error = InvalidSmilesError({3: ("C1CC", "RDKit cannot parse it")}, advice="Do this.")
    error.add_note("(in fit's validation_data)")
    unmapped = UnmappedReactionError({0: ("CCO>>CC=O", "no maps")}, atom_mapper=lambda rows: rows)
    for original in (error, unmapped):
        copy = pickle.loads(pickle.dumps(original))
        assert type(copy) is type(original) and str(copy) == str(original)
        assert copy.bad_rows == original.bad_rows and getattr(copy, "__notes__", None) == getattr(
            original, "__notes__", None
        )


def test_a_difference_fingerprint_saturates_instead_of_wrapping():
    # 40,000 methanes made from one: beyond int16 (disconnected: a 40,000-atom chain takes RDKit
    # 2023.9 hours to fingerprint)
    big = "C>>" + ".".join(["C"] * 40_000)
    difference = MorganFingerprint(reaction_mode="difference").fit_transform([big, "CC>>C"])
    assert difference[0].max() == 32_767 and difference.min() >= -32_767
    assert difference[1].min() < 0 < difference[1].max()  # ethane to methane: environments lost and made


def test_a_bad_row_says_what_rdkit_finds_wrong_with_it():
    """Every refusal read 'RDKit cannot parse it': a valence error could not be told from a typo."""
    with pytest.raises(InvalidSmilesError) as error:
        SmilesGraphizer().fit_transform(["CCO", "C(C)(C)(C)(C)C", "c1cccc1", "CC)O", "[CH5]"])
    bad = {row: reason for row, (_, reason) in error.value.bad_rows.items()}
    assert bad[1] == "RDKit cannot parse it: Explicit valence for atom # 0 C, 5, is greater than permitted"
    assert bad[2] == "RDKit cannot parse it: Can't kekulize mol. Unkekulized atoms: 0 1 2 3 4"
    assert bad[3].startswith("RDKit cannot parse it: its syntax") and "valence" in bad[4]
    # a reaction names the molecule RDKit refuses; the CGR modes and the data loaders say the same
    for mode in ("pair", "cgr"):
        with pytest.raises(InvalidSmilesError, match=r"Can't kekulize mol.* in 'c1cccc1'\)"):
            SmilesGraphizer(reaction_mode=mode).fit_transform(["[CH3:1][CH3:2]>>c1cccc1"])


@pytest.mark.parametrize(
    "atom, reason",
    [
        ("[#119]", r"the atom \[#119\], whose atomic number 119 no element has \(the last is 118"),
        ("[#262H4]", r"the atom \[#262H4\], whose atomic number 262 .* \[#262\] reads as carbon"),  # was CH4
        ("[#300]", r"the atom \[#300\], whose atomic number 300 no element has"),  # was Ru
        ("[#" + "9" * 4400 + "]", r"whose atomic number of 4,400 digits"),  # (int() raised out of the call)
        ("[#0300]", r"RDKit cannot parse it: its syntax"),  # (a leading zero: no wrapped number)
        ("[CH0100]", r"RDKit cannot parse it: its syntax"),
        ("C" + "(C)" * 130, r"RDKit cannot parse it: its checks fail inside RDKit \(Pre-condition"),
        ("[CH128]", r"the atom \[CH128\], whose hydrogen count or charge of 100 or more no atom has"),
        ("[C+128]", r"the atom \[C\+128\], whose hydrogen count or charge"),
        ("[NH2716]", r"the atom \[NH2716\], whose"),
        ("[CH2562]", r"RDKit wraps one of 256 or more around: C\[CH2562\]C reads as propane"),  # was CH2
        ("[CH002]", r"RDKit cannot parse it: its syntax"),  # (not "a hydrogen count of 100 or more")
        ("[C+200]", r"the atom \[C\+200\], whose"),  # was [C-56]
        ("[C-130:5]", r"the atom \[C-130:5\], whose"),  # was [C+126]
        ("[C[CH128]", r"the atom \[CH128\], whose"),  # was "[C[CH128]", each "[" searched to the end
    ],
)
def test_an_atom_rdkit_fails_on_or_misreads_is_a_bad_row(atom, reason):
    """An atomic number above 118 or 128 bonds on one atom raised RDKit's RuntimeError out of the
    whole call, errors="ignore" and reactions too; so did a hydrogen count or charge of 128 to
    255 (a map number that lost its ':'), and one of 256 or more RDKit read wrapped around."""
    with pytest.raises(InvalidSmilesError, match=reason):
        SmilesGraphizer().fit_transform(["CCO", f"C{atom}O"])
    ignored = SmilesGraphizer(errors="ignore").fit_transform(["CCO", f"C{atom}O"])
    assert ignored.node_ptr.tolist() == [0, 3, 3]  # an empty graph at its own position
    with pytest.raises(InvalidSmilesError, match=reason):
        SmilesGraphizer(reaction_mode="cgr").fit_transform([f"[CH3:1][OH:2]>>[CH3:1]{atom}=[O:2]"])
    with pytest.raises(InvalidSmilesError, match=reason):
        MorganFingerprint().fit_transform(["CCO", f"C{atom}O"])


def _chain(n_atoms: int, kind: str) -> str:
    if kind == "mapped":
        return "".join(f"[CH2:{i}]" for i in range(1, n_atoms + 1))
    return ("[13CH3]" if kind == "isotope" else "C") + "C" * (n_atoms - 1)


@pytest.mark.parametrize("kind", ["plain", "mapped", "isotope"])
def test_a_molecule_of_more_than_max_atoms_is_a_bad_row(kind):
    """Reading a mapped or isotope-labelled molecule writes it out with RDKit, whose recursive
    writer crashed the process on a chain of some 18,000 atoms: one of more than MAX_ATOMS is a
    bad row, whatever its spelling, and one of MAX_ATOMS is read whole, as are two of them in
    one SMILES (the writer writes one fragment at a time)."""
    largest = _chain(MAX_ATOMS, kind)
    read = SmilesGraphizer(errors="ignore").fit_transform(["CCO", largest, f"{largest}.{largest}"])
    assert read.node_ptr.tolist() == [0, 3, 3 + MAX_ATOMS, 3 + 3 * MAX_ATOMS]
    reason = rf"\(a molecule of {MAX_ATOMS + 1:,} atoms, more than the {MAX_ATOMS:,} this package reads: "
    for featurizer in (SmilesGraphizer(), MorganFingerprint()):
        with pytest.raises(InvalidSmilesError, match=rf"row 1: .*{reason}"):
            featurizer.fit_transform(["CCO", _chain(MAX_ATOMS + 1, kind)])


def test_a_mapped_molecule_rdkit_would_crash_on_is_a_bad_row():
    """A mapped chain of 20,000 atoms killed the process (a segmentation fault in RDKit's writer),
    ``errors="ignore"`` or not; run apart, so that a crash fails this test alone."""
    code = (
        "from sklearn_ltdd.featurize import SmilesGraphizer\n"
        "chain = ''.join(f'[CH2:{i}]' for i in range(1, 20_001))\n"
        "print(SmilesGraphizer(errors='ignore').fit_transform(['CCO', chain]).node_ptr.tolist())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout.strip()) == (0, "[0, 3, 3]"), done.stderr[-2000:]


def test_an_unmapped_reaction_too_large_is_a_bad_row_not_a_question_for_the_mapper():
    """Its size, not the mapper's failure on it (rxnmapper reads 512 tokens), is the reason given."""
    asked = []

    def mapper(rows: list[str]) -> list[str]:
        asked.extend(rows)
        raise ValueError("too many tokens")

    n = MAX_ATOMS + 1
    reaction = f"{'C' * n}>>{'C' * (n - 1)}O"
    with pytest.raises(InvalidSmilesError, match=rf"a molecule of {n:,} atoms, more than the {MAX_ATOMS:,}"):
        SmilesGraphizer(reaction_mode="cgr", atom_mapper=mapper).fit_transform([reaction])
    assert asked == []


def _shuffled(values: list, bad_at: int) -> pd.Series:
    """``values`` as train_test_split leaves a column: its index shuffled, with a bad row at ``bad_at``."""
    series = pd.Series(values, dtype=object)
    series[bad_at] = "CCO ethanol"
    return series.sample(frac=1, random_state=0)


@pytest.mark.parametrize(
    "call",
    [
        lambda X: SmilesGraphizer().fit_transform(X),
        lambda X: SmilesGraphizer().fit_transform(X.to_frame("smiles")),
        lambda X: MorganFingerprint().fit_transform(X),
        mols_from_smiles,
    ],
)
def test_bad_rows_of_a_pandas_input_are_named_by_its_index_labels(call):
    """After train_test_split, "row 25" by position was another molecule than label 25, and
    X.drop(index=error.bad_rows) dropped a good row; screen named rows by label already."""
    X = _shuffled(["CCO", "CCN", "c1ccccc1", "CC(=O)O", "CCCl", "OCC"], bad_at=4)
    assert X.index.get_loc(4) != 4  # position and label differ
    with pytest.raises(InvalidSmilesError) as error:
        call(X)
    assert list(error.value.bad_rows) == [4]
    assert "row 4: 'CCO ethanol'" in str(error.value)
    assert "input rows (by their index labels, not by position)" in str(error.value)
    assert not hasattr(error.value, "__notes__")  # said in the message, which a log shows
    assert (X.drop(index=list(error.value.bad_rows)) != "CCO ethanol").all()


def test_bad_rows_are_named_by_position_without_labels_of_their_own():
    values = ["CCO", "CCN", "C1CC", "OCC"]
    for X in (values, np.array(values), pd.Series(values), pd.Series(values, index=[5, 5, 6, 7])):
        with pytest.raises(InvalidSmilesError) as error:
            SmilesGraphizer().fit_transform(X)
        assert list(error.value.bad_rows) == [2]  # repeated labels would merge rows
        repeats = isinstance(X, pd.Series) and not X.index.is_unique
        assert ("(by position: the index repeats labels)" in str(error.value)) == repeats
    # string labels, and an error that crosses a process keeps them
    import pickle

    X = pd.Series(values, index=["a", "b", "c", "d"])
    with pytest.raises(InvalidSmilesError) as error:
        SmilesGraphizer().fit_transform(X)
    copy = pickle.loads(pickle.dumps(error.value))
    assert copy.bad_rows == {"c": ("C1CC", error.value.bad_rows["c"][1])} and str(copy) == str(error.value)


def test_a_huge_bad_value_is_shortened_in_the_message_and_kept_whole_in_bad_rows():
    """A 10 MB field was echoed whole: the message was 10 MB (and the screen command's stderr)."""
    huge = "Q" * 1_000_000
    with pytest.raises(InvalidSmilesError) as error:
        mols_from_smiles(["CCO", huge])
    assert len(str(error.value)) < 400
    assert "'QQQQ" in str(error.value) and "... (1,000,000 characters)" in str(
        error.value
    )  # (its repr has two more)
    assert error.value.bad_rows[1][0] == huge
    # a reason quoting the value's part (a reaction's side) is shortened too
    with pytest.raises(InvalidSmilesError) as error:
        SmilesGraphizer(reaction_mode="pair").fit_transform(["CC>>" + "C" * 100_000 + "Q"])
    assert len(str(error.value)) < 1_000


def test_rdkit_s_logs_stay_blocked_until_the_last_of_several_readings_ends(capfd):
    """Each reading blocked RDKit's logs on its own (rdBase.BlockLogs), so the first to end unblocked
    them for the others: threads featurising at once printed RDKit's parse errors, which the
    package reports itself, named."""
    bad: dict = {}
    first = _smiles.parse_rows(["CCO"], lambda s: (Chem.MolFromSmiles(s), "unreadable"), bad)
    second = _smiles.parse_rows(["C1CC", "C(C"], lambda s: (Chem.MolFromSmiles(s), "unreadable"), bad)
    next(first)  # (as two threads' chunks: the first reading begins, then the second)
    next(second)
    first.close()  # the first reading ends while the second goes on
    list(second)
    assert sorted(bad) == [0, 1] and "SMILES Parse Error" not in capfd.readouterr().err
    Chem.MolFromSmiles("C1CC")  # after the last reading, RDKit's logs are the user's again
    assert "SMILES Parse Error" in capfd.readouterr().err


@pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="a platform that does not fork")
def test_a_process_forked_while_another_thread_reads_has_rdkit_s_settings_back():
    """The lock of RDKit's reading settings, held by a thread as another forked, stayed held in the
    child (its first reading hung for good); the other thread's reading, which the child does not
    have, kept the child's RDKit logs blocked and its stereo perception the legacy one for good."""
    reading, done = threading.Event(), threading.Event()

    def read():
        with _smiles.rdkit_reading():
            reading.set()
            done.wait(60)

    setting = Chem.GetUseLegacyStereoPerception()
    Chem.SetUseLegacyStereoPerception(False)  # the user's
    thread = threading.Thread(target=read)
    try:
        thread.start()
        reading.wait(60)
        with _smiles._READING_LOCK:  # (as held by a thread that reads while this one forks)
            child = os.fork()
            if child == 0:  # the child reads a molecule, or is killed by the alarm
                signal.alarm(20)
                with _smiles.rdkit_reading():
                    Chem.MolFromSmiles("CCO")
                logs = "rdApp.error:enabled" in rdBase.LogStatus()
                os._exit(0 if logs and not Chem.GetUseLegacyStereoPerception() else 3)
        _, status = os.waitpid(child, 0)
    finally:
        done.set()
        thread.join()
        Chem.SetUseLegacyStereoPerception(setting)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


@pytest.mark.parametrize("transformer", [MorganFingerprint(n_bits=64), SmilesGraphizer()])
def test_a_fitted_transformer_warns_when_loaded_under_other_versions(transformer):
    """A fingerprint pipeline saved under one RDKit loaded under another without a word, while
    the classifiers warned: its model learned the features as that RDKit computed them."""
    unfitted = pickle.dumps(transformer)
    fitted = transformer.fit(["CCO", "c1ccccc1"])
    here = {"sklearn-ltdd": sklearn_ltdd.__version__, "smiles-parse": str(PARSE_VERSION)}
    assert fitted.versions_ == {**here, "rdkit": rdBase.rdkitVersion}
    pipeline = make_pipeline(clone(transformer), FunctionTransformer()).fit(["CCO"])
    saved, saved_pipeline = pickle.dumps(fitted), pickle.dumps(pipeline)
    with warnings.catch_warnings():  # here, or unfitted (it has computed nothing for anyone): no word
        warnings.simplefilter("error")
        pickle.loads(saved), pickle.loads(unfitted), copy.deepcopy(fitted), copy.copy(fitted), clone(fitted)
        with patch.object(rdBase, "rdkitVersion", "2001.01.1"):
            pickle.loads(unfitted)
    name = type(transformer).__name__
    with patch.object(rdBase, "rdkitVersion", "2001.01.1"), pytest.warns(InconsistentVersionWarning) as said:
        loaded = pickle.loads(saved)
        pickle.loads(saved_pipeline)
    assert len(said) == 2 and all(w.filename == __file__ for w in said)  # the user's lines
    assert str(said[0].message) == (
        f"this {name} was fitted with rdkit {rdBase.rdkitVersion} (here 2001.01.1): the features it gives "
        "may differ from those it gave when fitted, and a model fitted on them may predict otherwise; "
        "check them, or fit them again here."
    )
    assert said[0].message.estimator_name == name and said[0].message.original_versions == fitted.versions_
    assert said[0].message.current_versions == {**here, "rdkit": "2001.01.1"}
    assert loaded.versions_ == fitted.versions_  # (and so it warns again, saved again)
    del fitted.versions_  # as one saved before the versions were recorded: not known to be these
    with pytest.warns(
        InconsistentVersionWarning, match=f"this {name} was saved by a release of sklearn-ltdd"
    ):
        pickle.loads(pickle.dumps(fitted))
    warning = said[0].message
    copied = pickle.loads(pickle.dumps(warning))  # (a worker's warnings come back pickled)
    assert (str(copied), copied.original_versions) == (str(warning), warning.original_versions)
    with pytest.warns(InconsistentVersionWarning, match="^a message$"):  # as warnings.warn makes one
        warnings.warn("a message", InconsistentVersionWarning, stacklevel=1)
