import numpy as np
import pandas as pd
import pytest

from sklearn_ltdd.featurize import (
    InvalidSmilesError,
    MorganFingerprint,
    check_smiles,
    mols_from_smiles,
)


@pytest.mark.parametrize(
    "X",
    [
        ["CCO", "CCN"],
        ("CCO", "CCN"),
        np.array(["CCO", "CCN"]),
        np.array([["CCO"], ["CCN"]], dtype=object),
        pd.Series(["CCO", "CCN"]),
        pd.DataFrame({"smiles": ["CCO", "CCN"]}),
    ],
)
def test_check_smiles_accepts_common_containers(X):
    assert check_smiles(X).tolist() == ["CCO", "CCN"]


def test_check_smiles_rejects_bad_shapes():
    with pytest.raises(TypeError, match="not one string"):
        check_smiles("CCO")
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        check_smiles([["CCO", "CCN"], ["C", "N"]])
    with pytest.raises(ValueError, match="X is empty"):
        check_smiles([])


def test_every_bad_row_is_reported_once():
    X = ["CCO", "not a smiles", None, float("nan"), "", 7, "C1CC"] + ["Xx"] * 12
    with pytest.raises(InvalidSmilesError) as info:
        mols_from_smiles(X)
    err = info.value
    assert sorted(err.bad_rows) == [1, 2, 3, 4, 5, 6, *range(7, 19)]
    message = str(err)
    assert message.startswith("18 of the input rows are not valid SMILES")
    assert "row 1: 'not a smiles' (RDKit cannot parse it)" in message
    assert "row 2: None (not a non-empty string)" in message
    assert "... and 8 more" in message
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


def test_an_iterator_is_refused_with_a_clear_error():
    with pytest.raises(TypeError, match=r"not an iterator .*generator.*list"):
        MorganFingerprint().fit_transform(s for s in ["CCO", "CCN"])
