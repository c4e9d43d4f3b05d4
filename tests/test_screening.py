"""Screening: predict, predict_proba and transform in chunks, bad rows named before any compute or
marked NaN, file screens that resume, and the same scores from a Dask cluster."""

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_ltdd import LTDDClassifier, SmilesGraphizer, SubclusterSchedule
from sklearn_ltdd.classifier import _base
from sklearn_ltdd.datasets import load_solubility
from sklearn_ltdd.featurize import InvalidSmilesError
from sklearn_ltdd.screen import _file, screen, screen_dask, screen_file
from sklearn_ltdd.screen.__main__ import main as screen_command

BAD = {3: "C1CC", 8: "not smiles", 9: "", 15: "CC(C"}  # rows in three different chunks of 5


@pytest.fixture(scope="module")
def model():
    data = load_solubility()
    return LTDDClassifier(
        max_epochs=3, hidden=16, schedule=SubclusterSchedule(warmup_epochs=1), random_state=0
    ).fit(data.data[:120], data.target[:120])


@pytest.fixture(scope="module")
def library():
    """22 rows: molecules the model has not seen, with bad rows among them."""
    smiles = list(load_solubility().data[300:322])
    for row, value in BAD.items():
        smiles[row] = value
    return smiles


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(_base, "CHUNK_ROWS", 5)


def good(rows):
    return [s for i, s in enumerate(rows) if i not in BAD]


def test_chunked_outputs_equal_one_pass(model, library, monkeypatch):
    X = good(library)
    whole = {m: getattr(model, m)(X) for m in ("predict_proba", "decision_function", "predict", "transform")}
    sizes, transform = [], SmilesGraphizer.transform
    monkeypatch.setattr(
        SmilesGraphizer, "transform", lambda self, X: sizes.append(len(X)) or transform(self, X)
    )
    monkeypatch.setattr(_base, "CHUNK_ROWS", 4)
    for method, expected in whole.items():  # float32 sums differ in the last bit between batch sizes
        check = np.testing.assert_array_equal if method == "predict" else np.testing.assert_allclose
        check(getattr(model, method)(X), expected, **({} if method == "predict" else {"rtol": 1e-5}))
    assert max(sizes) == 4 and sum(sizes) == 4 * len(X)  # featurised four rows at a time, each once
    graphs = SmilesGraphizer().fit_transform(X)  # graphs are chunked too
    np.testing.assert_allclose(model.predict_proba(graphs), whole["predict_proba"], rtol=1e-5)


def test_every_bad_row_is_named_before_anything_is_featurised(model, library, small_chunks, monkeypatch):
    def featurised(self, rows):
        raise AssertionError("featurised before the bad rows were named")

    monkeypatch.setattr(SmilesGraphizer, "transform", featurised)
    for method in ("predict_proba", "predict", "transform"):
        with pytest.raises(InvalidSmilesError) as error:
            getattr(model, method)(library)
        assert sorted(error.value.bad_rows) == sorted(BAD)
        assert [value for value, _ in error.value.bad_rows.values()] == list(BAD.values())


def test_screen_with_nan_keeps_every_row_in_place(model, library, small_chunks):
    scores = screen(model, pd.Series(library, index=[f"m{i}" for i in range(len(library))]), errors="nan")
    assert list(scores.index) == [f"m{i}" for i in range(len(library))]
    valid = ~np.isin(np.arange(len(library)), list(BAD))
    np.testing.assert_array_equal(scores["valid"], valid)
    proba = scores[[f"proba_{c}" for c in model.classes_]].to_numpy()
    assert np.isnan(proba[~valid]).all() and scores["prediction"][~valid].isna().all()
    np.testing.assert_allclose(proba[valid], model.predict_proba(good(library)), rtol=1e-5)
    np.testing.assert_array_equal(
        scores["prediction"][valid].astype(str), model.predict(good(library)).astype(str)
    )
    assert scores["error"][~valid].tolist() == [
        "RDKit cannot parse it", "whitespace inside it; RDKit would read only the part before",
        "not a non-empty string", "RDKit cannot parse it",
    ]  # fmt: skip
    assert scores["error"][valid].isna().all()
    with pytest.raises(InvalidSmilesError):
        screen(model, library)  # errors="raise" by default


def test_progress_bar_only_when_asked_and_long(model, library, small_chunks, capsys):
    model.verbose = 1
    try:
        model.predict_proba(good(library))
        assert "rows" in capsys.readouterr().err
        model.predict_proba(good(library)[:5])  # one chunk: nothing to follow
        assert capsys.readouterr().err == ""
    finally:
        model.verbose = 0
    model.predict_proba(good(library))
    assert capsys.readouterr().err == ""


def write_library(path, library):
    frame = pd.DataFrame({"id": [f"{i:05d}" for i in range(len(library))], "smiles": library, "mass": 1.5})
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return frame


def read(path):
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype={"id": str})


@pytest.mark.parametrize("source_kind,destination_kind", [(".csv", ".csv"), (".parquet", ".parquet")])
def test_file_screen_scores_every_good_row_and_names_every_bad_one(
    model, library, tmp_path, source_kind, destination_kind
):
    source, destination = tmp_path / f"library{source_kind}", tmp_path / f"scores{destination_kind}"
    write_library(source, library)
    with pytest.raises(InvalidSmilesError) as error:
        screen_file(model, source, destination, chunk_rows=4)
    assert sorted(error.value.bad_rows) == sorted(BAD)  # every bad row, by its row number
    assert not destination.exists()  # nothing written before they were named

    assert screen_file(model, source, destination, keep=["id"], errors="nan", chunk_rows=4) == len(library)
    out = read(destination)
    assert list(out.columns[:2]) == ["id", "prediction"]
    assert out["id"].tolist() == [f"{i:05d}" for i in range(len(library))]  # none shifted, ids verbatim
    assert np.flatnonzero(~out["valid"]).tolist() == sorted(BAD)
    proba = out[[f"proba_{c}" for c in model.classes_]].to_numpy()
    np.testing.assert_allclose(proba[out["valid"]], model.predict_proba(good(library)), rtol=1e-5)
    assert not destination.with_name(destination.name + ".progress.json").exists()  # complete


def test_an_interrupted_file_screen_resumes_where_it_stopped(model, library, tmp_path, monkeypatch):
    source = tmp_path / "library.csv"
    write_library(source, good(library))
    screen_file(model, source, tmp_path / "whole.csv", errors="nan", chunk_rows=3)
    destination = tmp_path / "scores.csv"
    calls = []
    score_frame = _file.score_frame

    def interrupted(frame, *args, **kwargs):
        calls.append(len(frame))
        if calls == [3, 3, 3]:  # the third chunk of the first run
            raise RuntimeError("the machine went down")
        return score_frame(frame, *args, **kwargs)

    monkeypatch.setattr(_file, "score_frame", interrupted)
    with pytest.raises(RuntimeError, match="went down"):
        screen_file(model, source, destination, errors="nan", chunk_rows=3)
    progress = destination.with_name("scores.csv.progress.json")
    assert json.loads(progress.read_text())["rows"] == 6
    with open(destination, "a") as out:
        out.write("00006,CCO,1.5,half a row")  # as if stopped while writing the next chunk
    calls[:] = [None]
    assert screen_file(model, source, destination, errors="nan", chunk_rows=3) == len(good(library))
    assert sum(calls[1:]) == len(good(library)) - 6  # only the rows not yet written were scored
    assert destination.read_text() == (tmp_path / "whole.csv").read_text()
    with pytest.raises(FileExistsError, match="not an unfinished screen"):
        screen_file(model, source, destination)


def test_the_screen_command(model, library, tmp_path, capsys):
    joblib.dump(model, tmp_path / "model.joblib")
    write_library(tmp_path / "library.csv", library)
    args = [str(tmp_path / name) for name in ("model.joblib", "library.csv", "scores.csv")]
    screen_command([*args, "--keep", "id", "--errors", "nan", "--quiet"])
    assert f"{len(library)} rows scored" in capsys.readouterr().out
    assert list(read(tmp_path / "scores.csv").columns[:2]) == ["id", "prediction"]
    with pytest.raises(ValueError, match=r"no column\(s\) \['name'\]"):
        screen_command([*args[:2], str(tmp_path / "other.csv"), "--keep", "name"])


def test_screening_needs_one_of_our_fitted_classifiers(model, library):
    with pytest.raises(TypeError, match="LTDDClassifier or BaselineClassifier"):
        screen(object(), library)
    with pytest.raises(NotFittedError):
        screen(LTDDClassifier(), library)
    with pytest.raises(ValueError, match="errors must be one of"):
        screen(model, library, errors="drop")


def test_a_dask_cluster_screens_like_one_process(model, library):
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    dd = pytest.importorskip("dask.dataframe")
    frame = pd.DataFrame({"id": [f"m{i}" for i in range(len(library))], "smiles": library}).set_index("id")
    local = screen(model, frame["smiles"], errors="nan")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:  # fmt: skip
        with distributed.Client(cluster) as client, distributed.get_task_stream(client) as tasks:
            library_dd = dd.from_pandas(frame, npartitions=4, sort=False)  # in the file's order
            remote = screen_dask(model, library_dd, errors="nan").compute()
            with pytest.raises(InvalidSmilesError) as error:
                screen_dask(model, library_dd)
    assert len({task["worker"] for task in tasks.data}) == 2  # both workers scored
    # the same scores in the same order (Dask stores text as pyarrow strings)
    pd.testing.assert_frame_equal(remote[local.columns], local, check_dtype=False, check_index_type=False)
    assert sorted(error.value.bad_rows) == sorted(f"m{i}" for i in BAD)  # named by label
