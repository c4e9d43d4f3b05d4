"""Screening: predict, predict_proba and transform in chunks, bad rows named before any compute or
marked NaN, file screens that resume, and the same scores from a Dask cluster."""

import copy
import errno
import functools
import gzip
import json
import os
import pickle
import re
import subprocess
import sys
import types
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from rdkit import rdBase
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import sklearn_ltdd
from sklearn_ltdd import LTDDClassifier, SmilesGraphizer, SubclusterSchedule, _csv
from sklearn_ltdd.classifier import _base, _inference
from sklearn_ltdd.datasets import load_solubility
from sklearn_ltdd.featurize import InvalidSmilesError
from sklearn_ltdd.featurize._smiles import PARSE_VERSION
from sklearn_ltdd.screen import _file, _frame, _resume, _source, score_frame, screen, screen_dask, screen_file
from sklearn_ltdd.screen.__main__ import main as screen_command

SYNTAX = "RDKit cannot parse it: its syntax, e.g. a typo, an unclosed ring or branch, an unknown atom"
BAD = {3: "C1CC", 8: "not smiles", 9: "", 15: "CC(C"}  # rows in three different chunks of 5


@pytest.fixture(scope="module")
def model():
    # on the CPU: the tests compare screens' files as text, and CUDA's sums are not deterministic
    return LTDDClassifier(
        max_epochs=3, hidden=16, schedule=SubclusterSchedule(warmup_epochs=1), random_state=0, device="cpu"
    ).fit(*_training_data())


def _training_data():
    data = load_solubility()
    return data.data[:120], data.target[:120]


@pytest.fixture(scope="module")
def library():
    """22 rows: molecules the model has not seen, with bad rows among them."""
    smiles = list(load_solubility().data[300:322])
    for row, value in BAD.items():
        smiles[row] = value
    return smiles


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(_inference, "CHUNK_ROWS", 5)


def good(rows):
    return [s for i, s in enumerate(rows) if i not in BAD]


def test_chunked_outputs_equal_one_pass(model, library, monkeypatch):
    X = good(library)
    whole = {m: getattr(model, m)(X) for m in ("predict_proba", "decision_function", "predict", "transform")}
    sizes, transform = [], SmilesGraphizer.transform
    monkeypatch.setattr(
        SmilesGraphizer, "transform", lambda self, X: sizes.append(len(X)) or transform(self, X)
    )
    monkeypatch.setattr(_inference, "CHUNK_ROWS", 4)
    for method, expected in whole.items():  # float32 sums differ in the last bit between batch sizes
        check = np.testing.assert_array_equal if method == "predict" else np.testing.assert_allclose
        check(getattr(model, method)(X), expected, **({} if method == "predict" else {"rtol": 1e-5}))
    assert max(sizes) == 4 and sum(sizes) == 4 * len(X)  # featurised four rows at a time, each once
    graphs = SmilesGraphizer().fit_transform(X)  # graphs are chunked too
    np.testing.assert_allclose(model.predict_proba(graphs), whole["predict_proba"], rtol=1e-5)


def test_a_molecule_scored_alone_or_last_scores_as_among_others(model, library, monkeypatch):
    """The CPU's float32 matrix products take other kernels for few rows (fewer than 4 on the
    machines first tested, 16 on an AVX-512 Xeon with AMX): a molecule scored alone, or alone in a
    last batch or chunk, scored 1e-8 from itself among others. (With one thread, as the suite runs:
    with several, the sums are divided among them by the product's size.)"""
    X = good(library)
    together = {m: getattr(model, m)(X) for m in ("predict_proba", "decision_function", "transform")}
    for method, expected in together.items():
        alone = np.concatenate([getattr(model, method)([row]) for row in X])
        np.testing.assert_array_equal(alone, expected)
        monkeypatch.setattr(_inference, "CHUNK_ROWS", len(X) - 1)  # a last chunk of one row
        np.testing.assert_array_equal(getattr(model, method)(X), expected)
        monkeypatch.setattr(model.net_, "iterator_valid__batch_size", len(X) - 2)  # a last batch of two
        np.testing.assert_array_equal(getattr(model, method)(X), expected)
        monkeypatch.undo()


def test_graphs_with_nan_features_are_refused_by_their_position_in_the_store(model, library, monkeypatch):
    """Predicted as the first class with NaN probabilities, silently; refused by the store's
    constructor, the graph was counted within a chunk (graph 3 for 10,003)."""
    graphs = SmilesGraphizer().fit_transform(good(library))
    graphs.x = graphs.x.float()
    graphs.x[graphs.node_ptr[9], 0] = float("nan")  # (changed in place, as a user may)
    monkeypatch.setattr(_inference, "CHUNK_ROWS", 4)
    for method in (model.predict, model.predict_proba, model.transform):
        with pytest.raises(ValueError, match=r"x holds NaN or infinity \(row \d+, of graph 9; 1 row"):
            method(graphs)
    with pytest.raises(ValueError, match=r"of graph 9; 1 row"):  # (labels of two classes: checked first)
        clone(model).fit(graphs, np.resize(model.classes_, len(graphs)))
    with pytest.raises(ValueError, match=r"of graph 9; 1 row"):  # skorch's own, which the docs offer
        model.net_.predict_proba(graphs)
    # named by the labels of the rows they were made from, as the other errors of graphs name them
    labelled = SmilesGraphizer().fit_transform(
        pd.Series(good(library), index=[f"m{i}" for i in range(len(graphs))])
    )
    labelled.fingerprint = labelled.fingerprint.float()
    labelled.fingerprint[9, 0] = float("inf")
    with pytest.raises(
        ValueError, match=r"fingerprint holds NaN or infinity \(graph 9, the row labelled 'm9'; "
    ):
        model.predict(labelled)


def test_predict_holds_the_scores_of_one_chunk_at_a_time(model, library, monkeypatch):
    """predict computed the decision's scores of every row at once, n_samples x n_classes in
    float64, for one label per row (40,000 molecules of 1,000 classes: 640 MB of scores)."""
    X = good(library)
    expected = model.classes_[model.decision_function(X).argmax(axis=1)]
    shapes, adjusted_scores = [], _inference.adjusted_scores
    monkeypatch.setattr(
        _inference,
        "adjusted_scores",
        lambda log_proba, *args: shapes.append(log_proba.shape) or adjusted_scores(log_proba, *args),
    )
    monkeypatch.setattr(_inference, "CHUNK_ROWS", 4)
    np.testing.assert_array_equal(model.predict(X), expected)
    assert max(rows for rows, _ in shapes) == 4 and sum(rows for rows, _ in shapes) == len(X)


def test_every_bad_row_is_named_before_anything_is_featurised(model, library, small_chunks, monkeypatch):
    def featurised(self, rows):
        raise AssertionError("featurised before the bad rows were named")

    monkeypatch.setattr(SmilesGraphizer, "transform", featurised)
    for method in ("predict_proba", "predict", "transform"):
        with pytest.raises(InvalidSmilesError) as error:
            getattr(model, method)(library)
        assert sorted(error.value.bad_rows) == sorted(BAD)
        assert [value for value, _ in error.value.bad_rows.values()] == list(BAD.values())
        # advice for predicting: there are no labels to remove, and screen() scores the rest
        assert "labels" not in str(error.value) and "errors='nan'" in str(error.value)


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
        SYNTAX, "whitespace inside it; RDKit would read only the part before",
        "an empty string", SYNTAX,
    ]  # fmt: skip
    assert scores["error"][valid].isna().all()
    with pytest.raises(InvalidSmilesError, match=r"or pass errors='nan' to score the others") as error:
        screen(model, library)  # errors="raise" by default
    assert error.value.__context__ is None  # one error in the traceback, not one raised in another's handling
    # a Series is named by its labels, as the scores' rows are (were: positions, under other labels)
    series = pd.Series(["CCO", "C1CC", "CCN"], index=[10, 20, 30])
    with pytest.raises(InvalidSmilesError, match=r"row 20: 'C1CC'") as error:
        screen(model, series)
    assert "input rows (by their index labels, not by position)" in str(error.value)
    assert not screen(model, series, errors="nan").loc[20, "valid"]
    with pytest.raises(InvalidSmilesError, match=r"row 1: 'C1CC' .*\n.*screen\(model, X, errors='nan'\)"):
        model.predict(["CCO", "C1CC"])  # one chunk: named by its featurisation
    graphs = SmilesGraphizer(errors="ignore").fit_transform(["CCO", "C1CC"])
    with pytest.raises(InvalidSmilesError, match=r"(?s)row 1: '<empty graph>' .*invalid_rows_.*valid_mask"):
        model.predict(graphs)
    # graphs of a Series, by its labels, as its SMILES are (were: by position)
    labelled = SmilesGraphizer(errors="ignore").fit_transform(pd.Series(["CCO", "C1CC"], index=["x", "y"]))
    with pytest.raises(
        InvalidSmilesError, match=r"(?s)\(by their index labels, not by position\).*row y: '<empty"
    ):
        model.predict(labelled)


def test_a_model_on_the_default_device_screens_as_it_predicts(library, small_chunks, assert_same_predictions):
    """The fixture's model is on the CPU; this one is where a user's is (on a GPU where there is one)."""
    data = load_solubility()
    on_default = LTDDClassifier(
        max_epochs=2, hidden=8, schedule=SubclusterSchedule(warmup_epochs=1), random_state=0
    ).fit(data.data[:60], data.target[:60])
    scores = screen(on_default, library, errors="nan")
    valid = scores["valid"].to_numpy(bool)
    proba = scores[[f"proba_{c}" for c in on_default.classes_]].to_numpy()[valid]
    assert_same_predictions(proba, on_default.predict_proba(good(library)), cpu_rtol=1e-5)


def test_a_chunk_of_bad_rows_only_and_an_all_bad_input(model, small_chunks):
    rows = ["CCO", "C1CC", "C1CC", "", "CC(C", "x", "c1ccccc1O"]  # rows 1-5 fill a chunk of 5 but one
    scores = screen(model, rows, errors="nan")
    assert scores["valid"].tolist() == [True, False, False, False, False, False, True]
    all_bad = screen(model, ["C1CC", "CC(C"], errors="nan")
    assert not all_bad["valid"].any() and all_bad.filter(like="proba_").isna().all().all()


def test_a_repeated_row_after_a_bad_one_scores_as_its_first(model):
    """Repeats are featurised once and indexed back: a store's mask that did not follow that
    index (sorted) would score the bad row 1 and leave row 2 NaN, with a right 'valid' column."""
    scores = screen(model, ["CCO", "C1CC", "CCO", "c1ccccc1O", "C1CC", "c1ccccc1O"], errors="nan")
    proba = scores.filter(like="proba_").to_numpy()
    assert scores["valid"].tolist() == [True, False, True, True, False, True]
    assert np.isnan(proba[[1, 4]]).all() and not np.isnan(proba[[0, 2, 3, 5]]).any()
    np.testing.assert_array_equal(proba[[2, 5]], proba[[0, 3]])
    np.testing.assert_allclose(proba[[0, 3]], model.predict_proba(["CCO", "c1ccccc1O"]), rtol=1e-5)


def test_no_rows_screen_to_an_empty_table_like_a_frame_of_none(model):
    expected = screen(model, ["CCO"]).iloc[:0]
    for rows in ([], pd.Series([], dtype=object), np.array([], dtype=object)):
        pd.testing.assert_frame_equal(screen(model, rows), expected, check_index_type=False)
    frame = score_frame(pd.DataFrame({"smiles": pd.Series([], dtype=object)}), model, keep=[])
    pd.testing.assert_frame_equal(frame, expected, check_index_type=False)
    with pytest.raises(ValueError, match="empty"):  # predict, as sklearn's, wants rows
        model.predict([])


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


def test_a_screen_without_its_bar_leaves_no_thread_behind(model, library, tmp_path):
    # in a fresh process: tqdm's monitor thread, once started by a bar anywhere, stays for good
    joblib.dump(model, tmp_path / "model.joblib")
    write_library(tmp_path / "library.csv", library)
    script = (
        "import threading, joblib; from sklearn_ltdd.screen import screen_file; "
        f"screen_file(joblib.load({str(tmp_path / 'model.joblib')!r}), {str(tmp_path / 'library.csv')!r}, "
        f"{str(tmp_path / 'scores.csv')!r}, errors='nan', progress=False); "
        "print(sorted(thread.name for thread in threading.enumerate()))"
    )
    done = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "['MainThread']"


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
    assert "pass errors='nan'" in str(error.value) and "labels" not in str(error.value)
    assert not destination.exists()  # nothing written before they were named

    with pytest.warns(
        UserWarning, match=rf"4 of the {len(library)} rows written to .*scores.* are invalid \(NaN scores"
    ):
        assert screen_file(model, source, destination, keep=["id"], errors="nan", chunk_rows=4) == len(
            library
        )
    out = read(destination)
    assert list(out.columns[:2]) == ["id", "prediction"]
    assert out["id"].tolist() == [f"{i:05d}" for i in range(len(library))]  # none shifted, ids verbatim
    assert np.flatnonzero(~out["valid"]).tolist() == sorted(BAD)
    proba = out[[f"proba_{c}" for c in model.classes_]].to_numpy()
    np.testing.assert_allclose(proba[out["valid"]], model.predict_proba(good(library)), rtol=1e-5)
    assert not destination.with_name(destination.name + ".progress.json").exists()  # complete


def count_chunks(monkeypatch, stop_after=None):
    """The lengths of the chunks screen_file scores; after ``stop_after`` chunks it stops as a crash
    would."""
    scores_of, calls = _file.scores_of, []

    def counted(frame, *args):
        if stop_after is not None and len(calls) == stop_after:
            raise RuntimeError("the machine went down")
        calls.append(len(frame))
        return scores_of(frame, *args)

    monkeypatch.setattr(_file, "scores_of", counted)
    return calls


def interrupted_screen(monkeypatch, n_chunks, *args, **kwargs):
    with monkeypatch.context() as patch:
        count_chunks(patch, stop_after=n_chunks)
        with pytest.raises(RuntimeError, match="went down"):
            screen_file(*args, **kwargs)


def test_an_interrupted_file_screen_resumes_where_it_stopped(model, library, tmp_path, monkeypatch):
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    write_library(source, good(library))
    screen_file(model, source, tmp_path / "whole.csv", errors="nan", chunk_rows=3)
    interrupted_screen(monkeypatch, 2, model, source, destination, errors="nan", chunk_rows=3)
    joblib.dump(model, tmp_path / "model.joblib")
    progress = destination.with_name("scores.csv.progress.json")
    assert json.loads(progress.read_text())["rows"] == 6
    assert not destination.exists()  # nothing to be taken for the whole screen
    with open(tmp_path / "scores.csv.partial", "a") as out:
        out.write("00006,CCO,1.5,half a row")  # as if stopped while writing the next chunk
    calls = count_chunks(monkeypatch)
    resumed = joblib.load(tmp_path / "model.joblib")  # as the command resumes: the file loaded afresh
    assert screen_file(resumed, source, destination, errors="nan", chunk_rows=3) == len(good(library))
    assert sum(calls) == len(good(library)) - 6  # only the rows not yet written were scored
    assert destination.read_text() == (tmp_path / "whole.csv").read_text()
    with pytest.raises(FileExistsError, match="not an unfinished screen"):
        screen_file(model, source, destination)


def test_a_source_written_while_it_is_screened_stops_the_screen_for_good(
    model, library, tmp_path, monkeypatch
):
    """A resumed screen refuses a source changed since its start; one run through accepted it, and
    its output could mix rows of two versions of the file."""
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    partial = destination.with_name("scores.csv.partial")
    write_library(source, good(library))
    scores_of, calls = _file.scores_of, []

    def changing_at_the_second_chunk(change):
        def scored(frame, *args):
            calls.append(len(frame))
            if len(calls) == 2:
                change()
            return scores_of(frame, *args)

        return scored

    def append():  # another program appends while the second chunk is scored
        with open(source, "a") as out:
            out.write("99999,CCN\n")

    monkeypatch.setattr(_file, "scores_of", changing_at_the_second_chunk(append))
    with pytest.raises(ValueError, match=r"library\.csv changed while it was screened .* kept in .*partial"):
        screen_file(model, source, destination, errors="nan", chunk_rows=3)
    assert not destination.exists()
    assert read(partial).shape[0] == 3  # the chunk scored as it changed is not written
    with pytest.raises(ValueError, match=r"unfinished screen of another source"):  # (its size differs)
        screen_file(model, source, destination, errors="nan", chunk_rows=3)
    # a file of the same size and time renamed over it (rsync -t, say) is another file, and the
    # same screen run again is refused (it resumed, and wrote rows of two files)
    for leftover in tmp_path.glob("scores.csv.*"):
        leftover.unlink()
    write_library(source, good(library))
    times = source.stat().st_atime_ns, source.stat().st_mtime_ns

    def replace():
        twin = tmp_path / "twin.csv"
        twin.write_bytes(source.read_bytes())
        os.utime(twin, ns=times)
        os.replace(twin, source)

    calls.clear()
    monkeypatch.setattr(_file, "scores_of", changing_at_the_second_chunk(replace))
    with pytest.raises(ValueError, match=r"changed while it was screened \(its size, modification time or"):
        screen_file(model, source, destination, errors="nan", chunk_rows=3)
    monkeypatch.setattr(_file, "scores_of", scores_of)
    with pytest.raises(
        ValueError, match=r"partial is a screen that cannot be finished: .*library\.csv changed"
    ):
        screen_file(model, source, destination, errors="nan", chunk_rows=3)
    # changed before any row was written: nothing mixed, and the same screen run again starts afresh
    for leftover in tmp_path.glob("scores.csv.*"):
        leftover.unlink()
    calls[:] = [0]  # (the change comes with the next chunk, the first)
    monkeypatch.setattr(_file, "scores_of", changing_at_the_second_chunk(replace))
    with pytest.raises(ValueError, match=r"changed while it was screened .*, before any row was written"):
        screen_file(model, source, destination, errors="nan", chunk_rows=3)
    monkeypatch.setattr(_file, "scores_of", scores_of)
    assert screen_file(model, source, destination, errors="nan", chunk_rows=3) == len(good(library))


def test_parquet_parts_are_named_in_their_order_for_a_billion_rows(model, library, tmp_path, monkeypatch):
    """pandas and pyarrow read a folder's parts by name: six digits put part 1,000,000 first."""
    names = [_resume.part_name(i) for i in (0, 9, 999_999, 1_000_000, 10**8 + 3)]
    assert sorted(names) == names
    with pytest.raises(ValueError, match=r"at most 1,000,000,000 parts, one per chunk; screen with larger"):
        _resume.part_name(10**9)
    # a screen begun by a release that named its parts with six digits is refused as such (it was
    # told its part "part-000000000.parquet" was missing, beside its part-000000.parquet)
    pytest.importorskip("pyarrow")
    source, destination = tmp_path / "library.csv", tmp_path / "scores.parquet"
    write_library(source, good(library))
    interrupted_screen(monkeypatch, 1, model, source, destination, errors="nan", chunk_rows=3)
    progress = tmp_path / "scores.parquet.progress.json"
    record = json.loads(progress.read_text())
    del record["screen"]["part_names"]
    progress.write_text(json.dumps(record))
    partial = tmp_path / "scores.parquet.partial"
    (partial / _resume.part_name(0)).rename(partial / "part-000000.parquet")
    with pytest.raises(ValueError, match=r"its Parquet parts' names \(finish a .*\(None, now 'part-\{:09d\}"):
        screen_file(model, source, destination, errors="nan", chunk_rows=3)


@pytest.mark.parametrize("saved", ["", '{"screen": {"sou', "[]", "\udcff"])
def test_a_progress_record_that_cannot_be_read_is_named(model, library, tmp_path, monkeypatch, saved):
    """An empty or cut-short record (a crash while it was written) gave a bare JSONDecodeError, a
    list an AttributeError."""
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    write_library(source, good(library))
    interrupted_screen(monkeypatch, 2, model, source, destination, chunk_rows=3)
    progress = destination.with_name("scores.csv.progress.json")
    progress.write_bytes(saved.encode(errors="surrogateescape"))
    with pytest.raises(
        ValueError,
        match=rf"{re.escape(str(progress))} cannot be read as the record of a screen .*remove both",
    ):
        screen_file(model, source, destination, chunk_rows=3)


def test_the_invalid_rows_are_counted_across_a_resume(model, library, tmp_path, monkeypatch):
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    write_library(source, library)  # bad rows 3, 8, 9 and 15
    interrupted_screen(monkeypatch, 2, model, source, destination, errors="nan", chunk_rows=5)
    with pytest.warns(UserWarning, match=rf"^4 of the {len(library)} rows written to"):
        screen_file(model, source, destination, errors="nan", chunk_rows=5)


def test_a_screen_begun_with_nan_is_not_resumed_with_raise(model, library, tmp_path, monkeypatch, capsys):
    """Resumed with errors="raise", it checked only the rows still to screen: rows 3 and 8, written
    with NaN scores, went unnamed, and with no bad row after them it ended as a success."""
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    write_library(source, library[:15])  # bad rows 3, 8 and 9, in the two chunks written
    interrupted_screen(monkeypatch, 2, model, source, destination, errors="nan", chunk_rows=5)
    begun = r"holds the first 10 rows of this screen, begun with errors='nan', 3 of them invalid"
    with pytest.raises(ValueError, match=begun):
        screen_file(model, source, destination, chunk_rows=5)
    with pytest.warns(UserWarning, match="^3 of the 15 rows"):  # with "nan" it goes on
        assert screen_file(model, source, destination, errors="nan", chunk_rows=5) == 15
    interrupted_screen(monkeypatch, 2, model, source, tmp_path / "again.csv", errors="nan", chunk_rows=5)
    joblib.dump(model, tmp_path / "model.joblib")  # the command names its flag
    with pytest.raises(SystemExit) as stop:
        screen_command([str(tmp_path / name) for name in ("model.joblib", "library.csv", "again.csv")])
    assert stop.value.code == 2
    assert "--errors raise refuses: go on with --errors nan, or remove" in capsys.readouterr().err
    # begun with "raise" (no bad row before the stop), it may go on with "nan"
    write_library(source, good(library))
    interrupted_screen(monkeypatch, 1, model, source, tmp_path / "strict.csv", chunk_rows=5)
    n_rows = screen_file(model, source, tmp_path / "strict.csv", errors="nan", chunk_rows=5)
    assert n_rows == len(good(library))


def test_rows_met_bad_past_the_first_chunk_say_what_was_kept(model, library, tmp_path, monkeypatch, capsys):
    """The atom mapper fails on rows only as their chunk is featurised: the chunks before are written."""
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    write_library(source, good(library))
    scores_of = _file.scores_of

    def mapper_fails_in_chunk_3(frame, *args):
        if frame.index[0] == 10:
            raise InvalidSmilesError({11: ("CC>>CC", "the atom mapper failed")})
        return scores_of(frame, *args)

    monkeypatch.setattr(_file, "scores_of", mapper_fails_in_chunk_3)
    with pytest.raises(InvalidSmilesError) as error:
        screen_file(model, source, destination, chunk_rows=5)
    assert error.value.__notes__ == [
        f"The first 10 rows (the chunks before theirs) are scored and kept in {destination}.partial: "
        "the same screen with "
        "errors='nan' resumes from them; to screen the source once mended, remove scores.csv.partial and "
        "scores.csv.progress.json first."
    ]
    joblib.dump(model, tmp_path / "model.joblib")
    with pytest.raises(SystemExit) as stop:
        screen_command([str(tmp_path / name) for name in ("model.joblib", "library.csv", "scores.csv")])
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert "The first 10 rows (the chunks before theirs) are scored and kept in" in err
    assert "the same screen with --errors nan resumes from them" in err


def test_a_source_unreadable_past_the_first_chunk_says_what_was_kept(model, tmp_path, capsys):
    """With errors="nan" a source is read once, as it is screened: a malformed line (or a damaged
    part) past the first chunk stopped the screen with the chunks before it kept, unsaid."""
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    source.write_text("smiles,id\nCC,1\nCCO,2\nCCC,3\nCCCO,4,extra\nCCCC,5\n")
    with pytest.raises(ValueError, match=r"not a well-formed CSV file") as error:
        screen_file(model, source, destination, errors="nan", chunk_rows=2)
    assert error.value.__notes__ == [
        f"The first 2 rows (the chunks read before it) are scored and kept in {destination}.partial; "
        "to screen the source once "
        "mended, remove scores.csv.partial and scores.csv.progress.json first."
    ]
    joblib.dump(model, tmp_path / "model.joblib")
    with pytest.raises(SystemExit) as stop:
        screen_command(
            [str(tmp_path / n) for n in ("model.joblib", "library.csv", "again.csv")]
            + ["--errors", "nan", "--chunk-rows", "2"]
        )
    assert stop.value.code == 2 and "The first 2 rows (the chunks read before it)" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"not a well-formed CSV file") as error:  # none scored: no note
        screen_file(model, source, tmp_path / "first.csv", errors="nan", chunk_rows=4)
    assert not getattr(error.value, "__notes__", [])


def test_a_parquet_screen_stopped_in_its_first_chunk_resumes(model, library, tmp_path, monkeypatch):
    source, destination = tmp_path / "library.parquet", tmp_path / "scores.parquet"
    write_library(source, good(library))
    interrupted_screen(monkeypatch, 0, model, source, destination, chunk_rows=4)
    assert screen_file(model, source, destination, chunk_rows=4) == len(good(library))
    out = pd.read_parquet(destination)
    assert out["id"].tolist() == write_library(tmp_path / "x.csv", good(library))["id"].tolist()
    interrupted_screen(monkeypatch, 2, model, source, tmp_path / "again.parquet", chunk_rows=4)
    assert not (tmp_path / "again.parquet").exists()  # nothing to be read as the whole table
    assert len(pd.read_parquet(tmp_path / "again.parquet.partial")) == 8  # the chunks kept


@pytest.mark.parametrize(
    "kind,stopped", [(".csv", "in chunk 3"), (".csv", "in chunk 1"), (".parquet", "in chunk 3"),
                     (".parquet", "in chunk 1"), (".csv", "at the end"), (".parquet", "at the end")],
)  # fmt: skip
def test_a_screen_with_its_rows_in_its_destination_goes_on(
    model, library, tmp_path, monkeypatch, kind, stopped
):
    """As the release before left a screen (it wrote into the destination itself; a Parquet one
    made its directory before its first chunk), or as one stopped between its last rename and
    removing its record."""
    source, destination, whole = (
        tmp_path / f"library{kind}",
        tmp_path / f"scores{kind}",
        tmp_path / f"whole{kind}",
    )
    write_library(source, good(library))
    screen_file(model, source, whole, chunk_rows=3)
    done = {"in chunk 3": 2, "in chunk 1": 0, "at the end": 0}[stopped]
    if stopped == "at the end":
        with monkeypatch.context() as patch:
            patch.setattr(_file.Path, "unlink", lambda *_, **__: (_ for _ in ()).throw(KeyboardInterrupt))
            with pytest.raises(KeyboardInterrupt):
                screen_file(model, source, destination, chunk_rows=3)
        done = len(good(library)) // 3 + 1
    else:
        interrupted_screen(monkeypatch, done, model, source, destination, chunk_rows=3)
        if kind == ".csv" and not done:  # its first chunk written, its record not yet updated
            destination.write_text("".join(whole.read_text().splitlines(keepends=True)[:4]))
        else:
            (tmp_path / f"scores{kind}.partial").rename(destination)
    calls = count_chunks(monkeypatch)
    assert screen_file(model, source, destination, chunk_rows=3) == len(good(library))
    assert sum(calls) == max(len(good(library)) - 3 * done, 0)
    pd.testing.assert_frame_equal(read(destination), read(whole))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([source.name, destination.name, whole.name])


def test_a_destination_made_by_another_while_a_screen_ran_is_not_overwritten(
    model, library, tmp_path, monkeypatch
):
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    write_library(source, good(library))
    screen_file(model, source, tmp_path / "whole.csv", chunk_rows=3)
    scores_of = _file.scores_of

    def another_writes(frame, *args):
        destination.write_text("someone else's\n")
        return scores_of(frame, *args)

    with monkeypatch.context() as patch:
        patch.setattr(_file, "scores_of", another_writes)
        with pytest.raises(
            FileExistsError, match=r"scores\.csv appeared while the screen ran, and is not ov"
        ):
            screen_file(model, source, destination, chunk_rows=3)
    assert destination.read_text() == "someone else's\n"
    with pytest.raises(
        FileExistsError, match=r"scores\.csv exists beside the unfinished screen scores\.csv\.par"
    ):
        screen_file(model, source, destination, chunk_rows=3)
    destination.rename(tmp_path / "theirs.csv")
    calls = count_chunks(monkeypatch)
    assert screen_file(model, source, destination, chunk_rows=3) == len(good(library))
    assert sum(calls) == 0 and destination.read_text() == (tmp_path / "whole.csv").read_text()


def test_a_screen_whose_output_cannot_take_its_name_says_the_next_call_gives_it(
    model, library, tmp_path, monkeypatch
):
    # (Windows refuses to rename a file another program has open; the path may start with ~)
    monkeypatch.setenv("HOME", str(tmp_path))
    write_library(tmp_path / "library.csv", good(library))
    with monkeypatch.context() as patch:
        patch.setattr(_file.os, "rename", lambda *_: (_ for _ in ()).throw(PermissionError(13, "in use")))
        with pytest.raises(PermissionError) as error:
            screen_file(model, "~/library.csv", "~/scores.csv", chunk_rows=3)
    assert error.value.__notes__ == [
        f"The whole screen is in {tmp_path / 'scores.csv.partial'}; the same screen, run again once "
        "that is mended, only gives it its name."
    ]
    calls = count_chunks(monkeypatch)
    assert screen_file(model, "~/library.csv", "~/scores.csv", chunk_rows=3) == len(good(library))
    assert sum(calls) == 0 and len(read(tmp_path / "scores.csv")) == len(good(library))


def test_a_csv_screen_stopped_after_writing_its_first_chunk_resumes(model, library, tmp_path, monkeypatch):
    """Written, but stopped before its progress was recorded: the resumed screen writes it again, once."""
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    write_library(source, good(library))
    screen_file(model, source, tmp_path / "whole.csv", chunk_rows=3)

    synced = os.fsync

    def stopped(fd):  # in the first chunk's (the record is synced before the output exists)
        if (tmp_path / "scores.csv.partial").exists():
            raise KeyboardInterrupt
        synced(fd)

    with monkeypatch.context() as patch:
        patch.setattr(_file.os, "fsync", stopped)
        with pytest.raises(KeyboardInterrupt):
            screen_file(model, source, destination, chunk_rows=3)
    assert (tmp_path / "scores.csv.partial").stat().st_size > 0  # the first chunk, with its header
    assert screen_file(model, source, destination, chunk_rows=3) == len(good(library))
    assert destination.read_text() == (tmp_path / "whole.csv").read_text()


def test_a_second_process_cannot_screen_into_a_destination_being_screened(model, library, tmp_path):
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    write_library(source, good(library))
    holder = (  # another screen, stopped inside its lock
        "import sys; from pathlib import Path; from sklearn_ltdd.screen._resume import only_screen_into\n"
        "with only_screen_into(Path(sys.argv[1])): print(1, flush=True); sys.stdin.read()"
    )
    with subprocess.Popen(
        [sys.executable, "-c", holder, str(destination)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as other:
        assert other.stdout.readline() == b"1\n"
        held = r"another process \(or thread\) is screening into .*scores\.csv now"
        with pytest.raises(BlockingIOError, match=held):
            screen_file(model, source, destination, chunk_rows=3)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["library.csv", "scores.csv.lock"]
        other.kill()  # a screen killed mid-way: its lock goes with it
    assert screen_file(model, source, destination, chunk_rows=3) == len(good(library))
    left = {"library.csv", "scores.csv"} | ({"scores.csv.lock"} if sys.platform == "win32" else set())
    assert {p.name for p in tmp_path.iterdir()} == left  # Windows cannot remove a file while it is open


def test_a_destination_whose_helper_files_cannot_be_made_is_named_as_such(
    tmp_path, monkeypatch, model, capsys
):
    """The errors named a file the user never chose: '...csv.progress.json', 'scores.csv.lock', or
    (the command) '...csv.invalid.csv' in a traceback."""
    longest = os.pathconf(tmp_path, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
    legal = tmp_path / ("s" * (longest - len(".csv")) + ".csv")  # as long as the filesystem takes
    too_long = r"too long for the files a screen keeps beside it: the longest, "
    with pytest.raises(ValueError, match=too_long):
        _file.check_destination(legal)
    joblib.dump(model, tmp_path / "model.joblib")
    pd.DataFrame({"smiles": ["CCO"]}).to_csv(tmp_path / "library.csv", index=False)
    for destination in (legal, tmp_path / ("s" * longest + ".csv")):  # (the command read its bad rows' list)
        with pytest.raises(SystemExit) as exit_:
            screen_command([str(tmp_path / "model.joblib"), str(tmp_path / "library.csv"), str(destination)])
        assert exit_.value.code == 2  # (1 says: bad rows, listed)
        assert re.search(too_long, capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["library.csv", "model.joblib"]
    monkeypatch.setattr(_resume.os, "pathconf", lambda *_: -1, raising=False)  # POSIX's "no limit"
    _file.check_destination(legal)
    monkeypatch.undo()

    def unwritable(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "scores.csv.lock"))

    def read_only(*args, **kwargs):  # a read-only mount: no PermissionError, which root never gets
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "scores.csv.lock"))

    said = f"A screen keeps its lock and progress beside scores.csv: {tmp_path} must be a folder"
    for refusal in (read_only, unwritable):
        monkeypatch.setattr(_resume, "open", refusal, raising=False)  # (root writes in any folder)
        with pytest.raises(OSError) as error:
            with _resume.only_screen_into(tmp_path / "scores.csv"):
                pass
        assert error.value.__notes__ == [f"{said} you can write in."]
    # the command says the note as a sentence of its own (it ran on: "...scores.csv.lock' A screen")
    with pytest.raises(SystemExit):
        screen_command([str(tmp_path / name) for name in ("model.joblib", "library.csv", "scores.csv")])
    lock = tmp_path / "scores.csv.lock"
    assert capsys.readouterr().err.endswith(f"Permission denied: '{lock}'. {said} you can write in.\n")


@pytest.mark.skipif(sys.platform == "win32", reason="Windows keeps its lock files")
def test_a_lock_file_removed_by_its_holder_after_it_was_opened_is_not_taken(tmp_path, monkeypatch):
    destination, path = tmp_path / "scores.csv", tmp_path / "scores.csv.lock"
    flock, locked = _resume.fcntl.flock, []

    def the_holder_ends_first(fd, operation):
        if not locked:
            path.unlink()  # between this process opening the file and locking it
        locked.append(os.fstat(fd).st_ino)
        flock(fd, operation)

    monkeypatch.setattr(_resume.fcntl, "flock", the_holder_ends_first)
    with _resume.only_screen_into(destination):
        assert len(locked) == 2 and locked[1] == path.stat().st_ino  # the file now at the path
    assert not path.exists()


def test_a_lock_file_whose_identity_a_filesystem_does_not_keep_is_refused_not_retried_forever(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(_resume, "_is_at", lambda *_: False)  # (fstat and stat never agree)
    with pytest.raises(OSError, match=r"scores.csv.lock never stayed the file this process opened"):
        with _resume.only_screen_into(tmp_path / "scores.csv"):
            pass


@pytest.mark.skipif(os.name == "nt", reason="flock: POSIX")
@pytest.mark.parametrize("code", [errno.ENOTSUP, errno.ENOLCK])
def test_a_filesystem_that_does_not_lock_files_is_named(tmp_path, monkeypatch, code):
    def unsupported(*args):  # (some network and FUSE mounts: the bare "[Errno 95] ..." named no file)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(_resume.fcntl, "flock", unsupported)
    with pytest.raises(
        OSError, match=r"scores.csv.lock cannot be locked .*: the filesystem of .* does not lock"
    ) as error:
        with _resume.only_screen_into(tmp_path / "scores.csv"):
            pass
    assert error.value.errno == code

    def failing(*args):  # any other error is the system's, with the file named
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(_resume.fcntl, "flock", failing)
    with pytest.raises(OSError, match="Input/output error") as error:
        with _resume.only_screen_into(tmp_path / "scores.csv"):
            pass
    assert error.value.errno == errno.EIO and "scores.csv.lock" in error.value.__notes__[0]


def test_a_file_written_by_someone_else_after_a_failed_start_is_not_emptied(
    model, library, tmp_path, monkeypatch
):
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    write_library(source, good(library))

    def failing(*args, **kwargs):
        raise RuntimeError("CUDA out of memory (simulated)")

    with monkeypatch.context() as patch:
        patch.setattr(_file, "scores_of", failing)
        with pytest.raises(RuntimeError, match="out of memory"):
            screen_file(model, source, destination, chunk_rows=3)
    destination.write_text("my,own\n1,2\n")  # the user's own file, beside the progress file left
    with pytest.raises(FileExistsError, match=r"scores\.csv exists, but .* records nothing written to it"):
        screen_file(model, source, destination, chunk_rows=3)
    assert destination.read_text() == "my,own\n1,2\n"
    destination.rename(tmp_path / "scores.csv.partial")  # the same, where a screen writes until the end
    with pytest.raises(FileExistsError, match=r"scores\.csv\.partial was not written by this screen"):
        screen_file(model, source, destination, chunk_rows=3)
    assert (tmp_path / "scores.csv.partial").read_text() == "my,own\n1,2\n"


def test_an_empty_source_resumed_after_its_header_gets_one_header(model, tmp_path, monkeypatch):
    source, destination = tmp_path / "empty.csv", tmp_path / "scores.csv"
    source.write_text("id,smiles\n")
    screen_file(model, source, tmp_path / "whole.csv")
    with monkeypatch.context() as patch:  # stopped after the header was recorded, before the end
        patch.setattr(
            _file.Path, "unlink", lambda self, missing_ok=False: (_ for _ in ()).throw(KeyboardInterrupt)
        )
        with pytest.raises(KeyboardInterrupt):
            screen_file(model, source, destination)
    assert screen_file(model, source, destination) == 0
    assert destination.read_text() == (tmp_path / "whole.csv").read_text()


def test_parquet_saved_with_a_pandas_index_and_other_source_edges(model, tmp_path):
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"id": ["a", "b", "c"], "smiles": ["CCO", "CCN", "c1ccccc1"]})
    frame.set_index("id").to_parquet(tmp_path / "named.parquet")  # the index, named, is a column
    screen_file(model, tmp_path / "named.parquet", tmp_path / "named.csv", keep=["id"])
    assert read(tmp_path / "named.csv")["id"].tolist() == ["a", "b", "c"]
    frame.set_index(pd.Index([10, 20, 30])).to_parquet(tmp_path / "unnamed.parquet")  # bookkeeping
    screen_file(model, tmp_path / "unnamed.parquet", tmp_path / "unnamed.csv")
    assert list(read(tmp_path / "unnamed.csv").columns[:2]) == ["id", "smiles"]
    assert not [c for c in read(tmp_path / "unnamed.csv").columns if c.startswith("__")]
    dask_like = frame.set_index(pd.Index([10, 20, 30], name="__null_dask_index__"))  # dd.to_parquet's
    dask_like.to_parquet(tmp_path / "dask.parquet")
    screen_file(model, tmp_path / "dask.parquet", tmp_path / "dask.csv")
    assert "__null_dask_index__" not in read(tmp_path / "dask.csv").columns
    frame.to_csv(tmp_path / "library.csv", index=False)
    assert screen_file(model, tmp_path / "library.csv", tmp_path / "int64.csv", chunk_rows=np.int64(2)) == 3
    for chunk_rows in (True, 0, 2.0):
        with pytest.raises(ValueError, match="chunk_rows must be a positive integer"):
            screen_file(model, tmp_path / "library.csv", tmp_path / "bad.csv", chunk_rows=chunk_rows)
    with pytest.raises(ValueError, match=r"n_jobs must be None, a positive integer or -1, -2, .*got 0"):
        screen_file(model, tmp_path / "library.csv", tmp_path / "bad.csv", n_jobs=0)
    with pytest.raises(TypeError, match="progress must be True or False, got 'no'"):  # was a bar
        screen_file(model, tmp_path / "library.csv", tmp_path / "bad.csv", progress="no")
    assert not list(tmp_path.glob("bad.csv*"))  # refused before a progress file is written
    with pytest.raises(ValueError, match=r"keep names the column\(s\) \['id'\] more than once"):
        screen_file(model, tmp_path / "library.csv", tmp_path / "bad.csv", keep=["id", "id"])
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="is empty: a CSV source needs a header row"):
        screen_file(model, tmp_path / "empty.csv", tmp_path / "bad.csv")
    for separator in ("\t", ";"):
        frame.to_csv(tmp_path / "library.txt", sep=separator, index=False)
        with pytest.raises(ValueError, match="read as comma-separated; if it is separated otherwise"):
            screen_file(model, tmp_path / "library.txt", tmp_path / "bad.csv")
    with pytest.raises(TypeError, match=r"keep must be a list of column names, e.g. keep=\['id'\]"):
        screen_file(model, tmp_path / "library.csv", tmp_path / "bad.csv", keep="id")
    # arguments of the wrong kind are named (they were "'int' object has no attribute 'casefold'",
    # "'int' object is not iterable", the columns [105, 100] of b"id", "unhashable type: 'list'",
    # "expected str, bytes or os.PathLike object, not NoneType")
    for kwargs, said in (
        ({"smiles_column": 0}, r"smiles_column must be a column's name \(a str\), got 0"),
        ({"keep": 5}, r"keep must be a list of column names, got a int"),
        ({"keep": b"id"}, r"keep must be a list of column names, got a bytes"),
    ):
        with pytest.raises(TypeError, match=said):
            screen_file(model, tmp_path / "library.csv", tmp_path / "bad.csv", **kwargs)
    with pytest.raises(TypeError, match=r"smiles_column must be one column's name, got a list"):
        score_frame(frame, model, smiles_column=["smiles"])
    with pytest.raises(
        TypeError, match=r"^destination must be a path \(a str or a pathlib.Path\), got NoneType"
    ):
        screen_file(model, tmp_path / "library.csv", None)
    assert not list(tmp_path.glob("bad.csv*"))  # refused before anything was written


def test_a_malformed_or_non_utf8_csv_is_refused_and_a_fixed_one_then_screens(model, tmp_path, monkeypatch):
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    # one field too many on line 3: its cells would shift (the id read as " absolute")
    source.write_text("smiles,name,id\nCC,ethane,41\nCCO,ethanol, absolute,42\nCCC,propane,43\n")
    well_formed = r"library.csv is not a well-formed CSV file: .*line 3, saw 4 \(pandas' numbering: .*\); fix"
    with pytest.raises(ValueError, match=well_formed):
        screen_file(model, source, destination, keep=["id"], errors="nan")
    (tmp_path / "library.parquet").write_text(source.read_text())  # a CSV by another name
    with pytest.raises(ValueError, match=r"library.parquet cannot be read as Parquet: "):
        screen_file(model, tmp_path / "library.parquet", destination, errors="nan")
    # ... on the first data line, pandas would take the first column for an index and shift them all
    for text in ("smiles,id\nCCO,ethanol,41\nCC,42\n", "smiles,id\nCCO,41,\nCC,42,\n"):
        source.write_text(text)
        with pytest.raises(ValueError, match=r"first data line \(line 2\) has more fields than the header"):
            screen_file(model, source, destination, keep=["id"], errors="nan")
    # a column name written twice: pandas renamed the second ("smiles.1") and it was written so
    source.write_text("smiles,id,smiles\nCCO,1,C\n")
    with pytest.raises(ValueError, match=r"library.csv has the column\(s\) \['smiles'\] more than once"):
        screen_file(model, source, tmp_path / "twice.csv", errors="nan")
    # a stray quote (5" vial) in a later chunk: the lines up to the next quote were one field
    source.write_text('smiles,note\nCC,gas\nCCO,"ditto\nCCC,x\nCCCC,5" vial\nCCCCC,y\n')
    with pytest.raises(ValueError, match=r"'note' field of data row 1 spans several lines"):
        screen_file(model, source, tmp_path / "quoted.csv", errors="nan", chunk_rows=1)
    # a chunk's lines are not counted (a pass over a library of any size, on the way to an error)
    with monkeypatch.context() as patch:
        patch.setattr(_csv, "data_lines", lambda *args: pytest.fail("counted the lines of a chunk"))
        with pytest.raises(ValueError, match=r"'note' field of data row 1 spans several lines"):
            screen_file(model, source, tmp_path / "quoted.csv", errors="nan", chunk_rows=3)
    # Excel's line break in a cell (Alt+Enter) cannot be told from that, and the message says so
    source.write_text('id,smiles,name\r\nM1,CCO,"Ethanol\nabsolute"\r\n')
    with pytest.raises(ValueError, match=r"Or the cell holds a line break on purpose \(Excel's Alt\+Enter\)"):
        screen_file(model, source, tmp_path / "excel.csv", errors="nan")
    source.write_bytes("smiles,name\nCCO,\u00e9thanol\n".encode("latin-1"))
    with pytest.raises(
        ValueError,
        match=r"is not UTF-8 text: line 2 \(the header is line 1\) holds b'\\xe9'; save it as UTF-8",
    ):
        screen_file(model, source, destination, keep=["name"], errors="nan")
    # far into a chunk the line is named all the same (it was "somewhere after data row 0")
    source.write_bytes(("smiles,name\n" + "CCO,a\n" * 3000 + "CCO,\u00e9\n").encode("latin-1"))
    with pytest.raises(ValueError, match=r"line 3002 \(the header is line 1\)"):
        screen_file(model, source, destination, keep=["name"], errors="nan")
    source.write_bytes(b"smiles,name\rCCO,a\rCCO,\xe9\r")  # old Mac line ends, as pandas reads them
    with pytest.raises(ValueError, match=r"line 3 \(the header is line 1\) holds b'\\xe9'"):
        screen_file(model, source, destination, keep=["name"], errors="nan")
    source.write_text("smiles,name\nCCO,x\n", encoding="utf-16")  # Excel's "Unicode text"
    with pytest.raises(
        ValueError, match=r"library.csv is UTF-16 text, not UTF-8; .*iconv -f utf-16 -t utf-8"
    ):
        screen_file(model, source, destination, keep=["name"], errors="nan")
    source.write_text("smiles,name\nCCO,x\n", encoding="utf-16-le")  # no byte-order mark: read as UTF-8
    with pytest.raises(ValueError, match=r"library.csv holds NUL characters in its header"):
        screen_file(model, source, destination, keep=["name"], errors="nan")
    source.write_text("smiles,name\nCCO,\u00e9thanol\n", encoding="utf-8")  # fixed: nothing to resume
    assert screen_file(model, source, destination, keep=["name"], errors="nan") == 1
    assert read(destination)["name"].tolist() == ["\u00e9thanol"]


def test_a_blank_line_of_a_one_column_csv_is_a_missing_smiles_not_a_line_to_skip(model, tmp_path):
    source = tmp_path / "library.csv"
    source.write_text("smiles\nCCO\n\nc1ccccc1\nCC(=O)O\n")  # a missing cell, as Excel writes it alone
    with pytest.raises(InvalidSmilesError) as error:
        screen_file(model, source, tmp_path / "scores.csv")
    assert list(error.value.bad_rows) == [1]
    with pytest.warns(UserWarning, match="1 of the 4 rows written"):
        assert screen_file(model, source, tmp_path / "scores.csv", errors="nan", chunk_rows=2) == 4
    out = read(tmp_path / "scores.csv")
    assert out["valid"].tolist() == [True, False, True, True]  # the rows after it stay in place
    np.testing.assert_allclose(
        out.loc[out["valid"], [f"proba_{c}" for c in model.classes_]].to_numpy(),
        model.predict_proba(["CCO", "c1ccccc1", "CC(=O)O"]),
        rtol=1e-5,
    )
    # with more columns a blank line holds no cell at all (an empty row is written ",,"): not a row
    source.write_text("id,smiles\nA,CCO\n\nB,c1ccccc1\n")
    assert screen_file(model, source, tmp_path / "two.csv", keep=["id"]) == 2
    assert read(tmp_path / "two.csv")["id"].tolist() == ["A", "B"]


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.tar", ".csv.tar.gz"])
@pytest.mark.parametrize(
    "text,rows",
    [
        ("smiles\nCCO\nc1ccccc1\n\n", ["CCO", "c1ccccc1"]),  # an editor's last line break
        ("smiles\r\nCCO\r\n\r\nC\r\n\r\n\r\n", ["CCO", "", "C"]),
        ("smiles\nCCO\n\n\n\nC", ["CCO", "", "", "", "C"]),  # no last line break
        ('smiles\nCCO\n""\n\n', ["CCO", ""]),  # an empty cell written "" is a row, at the end too
        ("smiles\n\n\n", []),
    ],
)
def test_the_blank_lines_that_end_a_one_column_csv_are_not_rows(model, tmp_path, suffix, text, rows):
    import bz2
    import gzip
    import io
    import tarfile
    import zipfile

    source = tmp_path / f"library{suffix}"
    if ".tar" in suffix:  # (pandas reads a .tar.gz as a tar archive, not as a gzipped CSV)
        for path, files in ((source, ["library.csv"]), (tmp_path / f"two{suffix}", ["a.csv", "b.csv"])):
            with tarfile.open(path, "w:gz" if suffix.endswith(".gz") else "w") as archive:
                for name in files:
                    member = tarfile.TarInfo(name)
                    member.size = len(text.encode())
                    archive.addfile(member, io.BytesIO(text.encode()))
        with pytest.raises(ValueError, match=r"two\.csv\.tar(\.gz)? holds 2 files; a tar CSV source"):
            _source._blank_lines_at_end(tmp_path / f"two{suffix}", 1)
    elif suffix == ".csv.zip":
        with zipfile.ZipFile(source, "w") as archive:
            archive.writestr("library.csv", text)
        two = tmp_path / "two.csv.zip"
        with zipfile.ZipFile(two, "w") as archive:
            archive.writestr("a.csv", text)
            archive.writestr("b.csv", text)
        with pytest.raises(ValueError, match=r"two\.csv\.zip holds 2 files; a zipped CSV source holds one"):
            _source._blank_lines_at_end(two, 1)
    else:
        with {".csv": open, ".csv.gz": gzip.open, ".csv.bz2": bz2.open}[suffix](source, "wb") as handle:
            handle.write(text.encode())
    for chunk_rows in (1, 2, 1000):  # whatever chunk the empty cells at its end fall into
        destination = tmp_path / f"scores{chunk_rows}.csv"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (the warning of the empty rows scored NaN)
            assert screen_file(model, source, destination, errors="nan", chunk_rows=chunk_rows) == len(rows)
        assert read(destination)["smiles"].fillna("").tolist() == rows


@pytest.mark.parametrize("left", ["another parse", "unrecorded"])
def test_a_screen_begun_by_another_release_is_not_resumed(model, library, tmp_path, monkeypatch, left):
    """Its model hashed the same (the same pickle, the same versions_), but the code reading the
    SMILES was another: the rows after the resume were scored from other graphs than those before
    (a [#1] hydrogen read as a node, a query CXSMILES scored), with no word."""
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    write_library(source, good(library))
    interrupted_screen(monkeypatch, 1, model, source, destination, chunk_rows=3)
    progress = destination.with_name("scores.csv.progress.json")
    record = json.loads(progress.read_text())
    versions = {"sklearn-ltdd": sklearn_ltdd.__version__, "smiles-parse": str(PARSE_VERSION)}
    assert record["rows"] == 3 and record["screen"]["versions"] == {**versions, "rdkit": rdBase.rdkitVersion}
    if left == "another parse":
        record["screen"]["versions"]["smiles-parse"] = str(PARSE_VERSION - 1)
        then = repr(record["screen"]["versions"])
    else:  # a release before the versions were recorded
        del record["screen"]["versions"]
        then = "None"
    progress.write_text(json.dumps(record))
    another = (
        r"scores.csv.partial is an unfinished screen of another source, model, columns or release: its "
        rf"versions of what reads its SMILES \(finish a screen before upgrading\) \({re.escape(then)}, now"
    )
    with pytest.raises(ValueError, match=another):
        screen_file(model, source, destination, chunk_rows=3)


def test_a_model_hashes_the_same_fitted_saved_and_loaded_and_differs_by_its_weights(model, tmp_path):
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = [joblib.load(tmp_path / "model.joblib") for _ in range(2)]
    mapped = joblib.load(tmp_path / "model.joblib", mmap_mode="r")  # its arrays numpy memmaps
    hashes = {_resume.model_hash(m) for m in [model, *loaded, mapped, pickle.loads(pickle.dumps(model))]}
    assert len(hashes) == 1  # the fitted model, three loads of its file and a pickled copy
    assert _resume.model_hash(loaded[0].set_params(verbose=1)) in hashes  # a progress bar changes nothing
    # nor does a parameter, before the next fit
    assert _resume.model_hash(loaded[0].set_params(max_epochs=7, lr=0.5, fingerprint=None)) in hashes
    # nor scikit-learn's settings of the instance (a notebook's set_output stopped a screen resuming)
    assert _resume.model_hash(loaded[0].set_output(transform="pandas")) in hashes
    with sklearn.config_context(enable_metadata_routing=True):
        assert _resume.model_hash(loaded[0].set_score_request(sample_weight=True)) in hashes
    with torch.no_grad():  # the same parameters, one weight changed
        next(loaded[1].net_.module_.parameters()).view(-1)[0] += 1e-6
    assert _resume.model_hash(loaded[1]) not in hashes


def test_a_refit_of_the_same_seed_hashes_as_the_model_and_resumes_its_screen(
    model, library, tmp_path, monkeypatch
):
    # what a user does after losing the model of an unfinished screen: fit it again (on the CPU a
    # seeded fit repeats exactly; its epochs' durations do not)
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    write_library(source, good(library))
    screen_file(model, source, tmp_path / "whole.csv", chunk_rows=3)
    interrupted_screen(monkeypatch, 2, model, source, destination, chunk_rows=3)
    refit = clone(model).fit(*_training_data())
    assert refit.history_[0]["dur"] != model.history_[0]["dur"]
    assert _resume.model_hash(refit) == _resume.model_hash(model)
    calls = count_chunks(monkeypatch)
    assert screen_file(refit, source, destination, chunk_rows=3) == len(good(library))
    assert sum(calls) == len(good(library)) - 6  # resumed, not begun again
    assert destination.read_text() == (tmp_path / "whole.csv").read_text()
    tau = refit.logit_adjustment_
    refit.logit_adjustment_ = tau + 0.5  # what predicts: another decision
    assert _resume.model_hash(refit) != _resume.model_hash(model)
    refit.logit_adjustment_ = tau
    refit.classes_ = refit.classes_[::-1].copy()
    assert _resume.model_hash(refit) != _resume.model_hash(model)


def _with_mapper(model, mapper):
    edited = copy.deepcopy(model)
    edited.graphizer_.atom_mapper = mapper
    return edited


@pytest.mark.parametrize("wrap", ["function", "lambda", "partial", "cached"])
def test_a_model_whose_atom_mapper_was_edited_hashes_as_another(model, monkeypatch, wrap):
    # joblib's hash knows a function by its name: a notebook's mapper edited between an interrupted
    # screen and its resume would have scored the rest of the library with other graphs (and a
    # lambda's or a closure's model could not be hashed: screen_file and screen_dask failed)
    hashes = set()
    for body in ("reactions", "[r.upper() for r in reactions]"):
        notebook = types.ModuleType("__main__")  # (where pickle finds a notebook's function)
        monkeypatch.setitem(sys.modules, "__main__", notebook)
        exec(f"import functools\ndef mapper(reactions, table=None):\n    return {body}\n", vars(notebook))
        exec(f"closure = (lambda: lambda reactions: {body})()", vars(notebook))
        mapper = {
            "function": notebook.mapper,
            "lambda": notebook.closure,
            "partial": functools.partial(notebook.mapper, table={}),
            "cached": functools.cache(notebook.mapper),
        }[wrap]
        hashes.add(_resume.model_hash(_with_mapper(model, mapper)))
    assert len(hashes) == 2 and _resume.model_hash(model) not in hashes


def test_a_model_hashes_the_same_in_another_process_whatever_its_mapper_holds(model, tmp_path, monkeypatch):
    # a mapper holding a torch model (pickled with addresses) or a memo it fills hashed otherwise
    # in every process, or at every call: a screen with it could not be resumed
    (tmp_path / "ltdd_held_mapper.py").write_text(
        "import torch\ntorch.manual_seed(0)\nMODEL = torch.nn.Linear(2, 2)\n"
        "def mapper(reactions, model=MODEL, memo={}):\n"
        "    memo.update((r, r) for r in reactions)\n    return [memo[r] for r in reactions]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import ltdd_held_mapper

    edited = _with_mapper(model, ltdd_held_mapper.mapper)
    before = _resume.model_hash(edited)
    ltdd_held_mapper.mapper(["CCO>>CC=O"])  # the memo fills
    assert _resume.model_hash(edited) == before
    joblib.dump(edited, tmp_path / "model.joblib")
    loaded = (
        f"import sys, joblib; sys.path.insert(0, {str(tmp_path)!r}); "
        "from sklearn_ltdd.screen import _resume; "
        f"print(_resume.model_hash(joblib.load({str(tmp_path / 'model.joblib')!r})))"
    )
    elsewhere = subprocess.run([sys.executable, "-c", loaded], check=True, capture_output=True, text=True)
    assert elsewhere.stdout.strip() == before


def test_resuming_refuses_another_screen_or_lost_output(model, library, tmp_path, monkeypatch):
    source, destination = tmp_path / "library.csv", tmp_path / "scores.csv"
    write_library(source, good(library))
    interrupted_screen(monkeypatch, 1, model, source, destination, chunk_rows=4)
    data = load_solubility()
    other = clone(model).set_params(random_state=1).fit(data.data[:120], data.target[:120])
    with pytest.raises(
        ValueError,
        match=r"unfinished screen of another source, model, columns or release: its model \(a hash",
    ):
        screen_file(other, source, destination, chunk_rows=4)
    modified = source.stat().st_mtime_ns
    os.utime(source, ns=(0, 0))  # its bytes as they were: the record cannot tell, and says what it saw
    with pytest.raises(
        ValueError, match=rf"its source's modification time \(ns\) \({modified}, now 0\)\. Remove"
    ):
        screen_file(model, source, destination, chunk_rows=4)
    os.utime(source, ns=(modified, modified))
    progress = destination.with_name("scores.csv.progress.json")
    record = json.loads(progress.read_text())
    progress.write_text(json.dumps({**record, "screen": {**record["screen"], "by": "hand"}}))
    with pytest.raises(ValueError, match=r"columns or release: its by \('hand', now None\)\. Remove it"):
        screen_file(model, source, destination, chunk_rows=4)
    progress.write_text(json.dumps(record))
    # the columns that differ, not two whole lists (hundreds of a many-class model's)
    changed = (
        r"its columns written \(then only \['proba_high', 'proba_low', 'proba_medium'\]; "
        r"now only \['class_1', 'proba_1'\]; another keep, or another top_k\?\)"
    )
    with pytest.raises(ValueError, match=changed):
        screen_file(model, source, destination, chunk_rows=4, top_k=1)
    (tmp_path / "scores.csv.partial").rename(destination)  # as the release before wrote it
    with pytest.raises(ValueError, match=r"scores\.csv is an unfinished screen of another source"):
        screen_file(other, source, destination, chunk_rows=4)
    destination.rename(tmp_path / "scores.csv.partial")
    progress.rename(tmp_path / "record.json")  # a partial output without its record: what it holds, unknown
    with pytest.raises(FileExistsError, match=r"scores\.csv\.partial exists and is not an unfinished screen"):
        screen_file(model, source, destination, chunk_rows=4)
    (tmp_path / "record.json").rename(progress)
    (tmp_path / "scores.csv.partial").unlink()  # the output lost, its progress file left
    with pytest.raises(ValueError, match=r"records 4 rows written to .*scores\.csv\.partial, but it holds 0"):
        screen_file(model, source, destination, chunk_rows=4)


def test_parquet_columns_keep_their_types_in_every_part(model, tmp_path):
    pa, pq = pytest.importorskip("pyarrow"), pytest.importorskip("pyarrow.parquet")
    ids = [1, 2, 3, 4, None, 2**60 + 1]  # a null in the second chunk only; too big for a float
    pq.write_table(pa.table({"id": pa.array(ids), "smiles": ["CCO"] * 6}), tmp_path / "library.parquet")
    screen_file(model, tmp_path / "library.parquet", tmp_path / "scores.parquet", keep=["id"], chunk_rows=3)
    parts = sorted((tmp_path / "scores.parquet").glob("part-*.parquet"))
    assert len(parts) == 2 and len({pq.read_schema(part).field("id").type for part in parts}) == 1
    assert pq.read_table(tmp_path / "scores.parquet")["id"].to_pylist() == ids
    # a categorical column: written back as one, and pandas reads the parts again
    library = pd.DataFrame({"family": pd.Categorical(["a", "b", "a", "c", "b"]), "smiles": ["CCO"] * 5})
    library.to_parquet(tmp_path / "categorical.parquet")
    screen_file(
        model, tmp_path / "categorical.parquet", tmp_path / "out.parquet", keep=["family"], chunk_rows=2
    )
    family = pd.read_parquet(tmp_path / "out.parquet")["family"]
    assert isinstance(family.dtype, pd.CategoricalDtype) and family.tolist() == library["family"].tolist()
    # a dictionary column of other categories in each row group (a library appended batch by batch):
    # pandas kept a chunk of 2 categories' codes in 8 bits and one of 300 in 16, and the parts were
    # no table ("Integer value 128 not in range")
    vendors = ["a", "b"] * 150 + [f"v{i}" for i in range(300)]
    kind = pa.dictionary(pa.int32(), pa.string())
    schema = pa.schema([("vendor", kind), ("smiles", pa.string())])
    with pq.ParquetWriter(tmp_path / "appended.parquet", schema) as writer:
        for rows in (slice(0, 300), slice(300, 600)):
            vendor = pa.array(vendors[rows]).dictionary_encode().cast(kind)
            writer.write_table(pa.table({"vendor": vendor, "smiles": ["CCO"] * 300}, schema=schema))
    destination = tmp_path / "appended_scores.parquet"
    screen_file(model, tmp_path / "appended.parquet", destination, keep=["vendor"], chunk_rows=300)
    assert pd.read_parquet(destination)["vendor"].tolist() == vendors
    assert pq.read_table(destination)["vendor"].to_pylist() == vendors


def test_a_model_this_release_cannot_use_is_refused_before_the_library_is_read(model, library, tmp_path):
    """It was found out only after the pass that checks every row (for a billion rows, some 36
    core-hours), and only once the bad rows that pass named were fixed."""
    old = copy.deepcopy(model)
    old.feature_schema_ = 1  # as fitted by a release before the notation-invariant features
    write_library(tmp_path / "library.csv", library)  # with bad rows, which the pass would name first
    for errors in ("raise", "nan"):
        with pytest.raises(ValueError, match=r"fitted on atom features of schema 1.*refit it"):
            screen_file(old, tmp_path / "library.csv", tmp_path / "scores.csv", errors=errors)
    assert not list(tmp_path.glob("scores*"))


def test_a_parquet_smiles_column_stored_as_binary_is_read_as_text(model, tmp_path):
    pa, pq = pytest.importorskip("pyarrow"), pytest.importorskip("pyarrow.parquet")
    smiles, ids = ["CCO", "c1ccccc1O", None, "C1CC"], [b"\x00\xff", b"a", b"b", b"c"]
    pq.write_table(pa.table({"smiles": smiles, "id": ids}), tmp_path / "text.parquet")
    warnings.filterwarnings("ignore", "2 of the 4 rows .* are invalid")  # (pytest restores the filters)
    screen_file(model, tmp_path / "text.parquet", tmp_path / "text.out.parquet", errors="nan")
    expected = pd.read_parquet(tmp_path / "text.out.parquet")
    assert expected["valid"].tolist() == [True, True, False, False]
    for kind in (pa.binary(), pa.large_binary()):  # as writers without the UTF-8 annotation store text
        binary = pa.array([None if s is None else s.encode() for s in smiles], kind)
        pq.write_table(pa.table({"smiles": binary, "id": ids}), tmp_path / f"{kind}.parquet")
        screen_file(model, tmp_path / f"{kind}.parquet", tmp_path / f"{kind}.out.parquet", errors="nan")
        scores = pd.read_parquet(tmp_path / f"{kind}.out.parquet")
        # (large_binary is read back as large_string); another column's bytes stay bytes
        pd.testing.assert_frame_equal(scores, expected, check_dtype=kind == pa.binary())
    # (the row was not named); one batch of rows at a time, counted through the file
    latin = pa.array(
        [b"CCO", b"CCN", "C\u00e9".encode("latin-1"), b"CO", "\u00e9".encode("latin-1")], pa.binary()
    )
    pq.write_table(pa.table({"smiles": latin}), tmp_path / "latin.parquet")
    for chunk_rows, named in ((2, r"row 2: b'C\\xe9'"), (100, r"row 2: b'C\\xe9'; row 4: b'\\xe9'")):
        with pytest.raises(
            ValueError, match=rf"latin.parquet's column 'smiles' holds bytes that are not UTF-8 .*\({named};"
        ):
            screen_file(model, tmp_path / "latin.parquet", tmp_path / "latin.csv", chunk_rows=chunk_rows)


def test_the_screen_command(model, library, tmp_path, capsys, monkeypatch):
    joblib.dump(model, tmp_path / "model.joblib")
    write_library(tmp_path / "library.csv", library)
    args = [str(tmp_path / name) for name in ("model.joblib", "library.csv", "scores.csv")]
    # the command's warnings are lines on stderr (pytest restores the filters)
    warnings.simplefilter("always")
    screen_command([*args, "--keep", "id", "--errors", "nan", "--quiet"])
    printed = capsys.readouterr()
    assert f"{len(library)} rows scored" in printed.out
    assert f"python -m sklearn_ltdd.screen: warning: 4 of the {len(library)} rows written to" in printed.err
    assert list(read(tmp_path / "scores.csv").columns[:2]) == ["id", "prediction"]
    with pytest.raises(SystemExit) as stop:
        screen_command([*args[:2], str(tmp_path / "other.csv"), "--keep", "name"])
    assert stop.value.code == 2 and "no column(s) ['name']" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        screen_command([*args[:2], str(tmp_path / "strict.csv"), "--quiet"])
    listing = pd.read_csv(tmp_path / "strict.csv.invalid.csv", dtype=str, keep_default_na=False)
    assert stop.value.code == 1 and listing["row"].tolist() == [str(row) for row in sorted(BAD)]
    # each row with the source's cells that find it (every column, as --keep is not given)
    assert list(listing.columns) == ["row", "value", "reason", "id", "mass"]
    assert listing["id"].tolist() == [f"{row:05d}" for row in sorted(BAD)]
    assert listing["value"].tolist() == [BAD[row] for row in sorted(BAD)]
    err = capsys.readouterr().err
    assert "All 4 bad rows are listed in" in err and "run again with --errors nan" in err
    assert "errors='nan'" not in err  # the library's spelling, not the command's
    # --keep's columns only; one named as the list's own columns is told apart
    write_library(tmp_path / "valued.csv", library).rename(columns={"mass": "value"}).to_csv(
        tmp_path / "valued.csv", index=False
    )
    with pytest.raises(SystemExit):
        screen_command([args[0], str(tmp_path / "valued.csv"), str(tmp_path / "v.csv"), "--keep", "value"])
    listing = pd.read_csv(tmp_path / "v.csv.invalid.csv")
    assert list(listing.columns) == ["row", "value", "reason", "value (source)"]
    assert listing["value (source)"].tolist() == [1.5] * len(BAD)
    capsys.readouterr()

    # the listing's own pass over the file fails (or is stopped): the rows listed all the same
    def the_listings_pass_fails(*args):  # (screen_file's own passes read through _file's name)
        raise OSError("the disk went away")

    with monkeypatch.context() as patch, pytest.raises(SystemExit) as stop:
        patch.setattr(_source, "read_chunks", the_listings_pass_fails)
        screen_command([*args[:2], str(tmp_path / "w.csv"), "--quiet"])
    assert (
        stop.value.code == 1
        and "reading them failed (OSError('the disk went away'))" in capsys.readouterr().err
    )
    assert pd.read_csv(tmp_path / "w.csv.invalid.csv")["row"].tolist() == sorted(BAD)
    # once the file is scored (here with the bad rows marked), the earlier run's list goes
    screen_command([*args[:2], str(tmp_path / "strict.csv"), "--quiet", "--errors", "nan"])
    assert not (tmp_path / "strict.csv.invalid.csv").exists() and "removed" in capsys.readouterr().out


def test_the_screen_command_reads_a_home_folder_as_screen_file_does(
    model, library, tmp_path, capsys, monkeypatch
):
    """A ~ the shell left as it was (after "=", quoted, or on Windows) reached screen_file, which
    reads it, but the command's own listing of bad rows lost its --keep columns and an earlier
    run's list was not removed."""
    monkeypatch.setenv("HOME", str(tmp_path))
    joblib.dump(model, tmp_path / "model.joblib")
    write_library(tmp_path / "library.csv", library)
    args = [str(tmp_path / "model.joblib"), "~/library.csv", "~/scores.csv", "--quiet"]
    with pytest.raises(SystemExit) as stop:
        screen_command(args)
    listing = pd.read_csv(tmp_path / "scores.csv.invalid.csv", dtype=str)
    assert stop.value.code == 1 and list(listing.columns) == ["row", "value", "reason", "id", "mass"]
    capsys.readouterr()
    # the command's warnings are lines on stderr (pytest restores the filters)
    warnings.simplefilter("always")
    screen_command([*args, "--errors", "nan"])
    assert not (tmp_path / "scores.csv.invalid.csv").exists() and "removed" in capsys.readouterr().out


def test_the_screen_command_with_streams_and_disks_that_fail(
    model, library, tmp_path, capsys, monkeypatch, closed_stdout
):
    """A full disk said only "No space left on device"; a stdout whose reader had gone (``| head``)
    made a finished screen exit 1, "bad rows, none scored"; a pipe as the source was "empty"; and
    the progress bar, drawn on a stderr that was no terminal, stopped the screen where it failed."""
    joblib.dump(model, tmp_path / "model.joblib")
    write_library(tmp_path / "library.csv", library)
    args = [str(tmp_path / "model.joblib"), str(tmp_path / "library.csv"), str(tmp_path / "scores.csv")]
    write_csv, written = _file.write_csv, []

    def disk_full_at_the_second_chunk(destination, frame, progress):
        if written:
            raise OSError(28, "No space left on device")
        written.append(len(frame))
        write_csv(destination, frame, progress)

    monkeypatch.setattr(_file, "write_csv", disk_full_at_the_second_chunk)
    # the command's warnings are lines on stderr (pytest restores the filters)
    warnings.simplefilter("always")
    with pytest.raises(SystemExit) as stop:
        screen_command([*args, "--errors", "nan", "--chunk-rows", "3"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "No space left on device" in err
    assert "kept in" in err and "run again once that is mended, resumes from them" in err
    assert "it/s" not in err and "rows/s" not in err  # no bar on a stderr that is no terminal
    monkeypatch.setattr(_file, "write_csv", write_csv)

    for nowhere, named in ((".", "."), ("./", "."), ("/", "/")):  # (a traceback: "." has no name)
        with pytest.raises(SystemExit) as stop:
            screen_command([args[0], args[1], nowhere])
        assert stop.value.code == 2
        assert f"the destination must end in .csv or .parquet, got '{named}'." in capsys.readouterr().err
    with pytest.raises(SystemExit):
        screen_command([args[0], args[1], str(tmp_path / ".csv")])
    assert "(.csv alone names a hidden file; name it, e.g. scores.csv)" in capsys.readouterr().err
    (tmp_path / "scores.csv.invalid.csv").write_text("row,value,reason\n")  # an earlier run's list
    with closed_stdout():
        screen_command([*args, "--errors", "nan"])  # resumed, finished: no SystemExit
    assert len(read(tmp_path / "scores.csv")) == len(library)
    assert not (tmp_path / "scores.csv.invalid.csv").exists()
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.csv")
        with pytest.raises(SystemExit) as stop:
            screen_command([args[0], str(tmp_path / "pipe.csv"), str(tmp_path / "piped.csv")])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and "pipe.csv is not a regular file" in err and "save it to a file" in err


def test_a_frame_names_bad_rows_by_its_labels_or_by_position_where_labels_repeat(model):
    frame = pd.DataFrame({"smiles": ["CCO", "C1CC", "CCN"], "id": ["a", "b", "c"]}, index=[10, 20, 30])
    with pytest.raises(InvalidSmilesError) as error:
        score_frame(frame, model)
    assert list(error.value.bad_rows) == [20] and type(next(iter(error.value.bad_rows))) is int
    assert "input rows (by their index labels, not by position)" in str(error.value)
    with pytest.raises(InvalidSmilesError) as error:  # a slice of a default index: labels too
        score_frame(pd.concat([frame] * 2, ignore_index=True).iloc[3:], model)
    assert list(error.value.bad_rows) == [4] and "(by their index labels" in str(error.value)
    scores = score_frame(frame, model, errors="nan")
    assert scores.index.tolist() == [10, 20, 30] and scores["valid"].tolist() == [True, False, True]
    twice = pd.concat([frame, frame])  # labels 10, 20, 30, 10, 20, 30: both bad rows must be named
    with pytest.raises(InvalidSmilesError, match="2 of the input rows") as error:
        score_frame(twice, model)
    assert list(error.value.bad_rows) == [1, 4] and "rows (by position: the index repeats" in str(error.value)


def test_the_screen_commands_help_loads_no_model_code():
    """--help took 7 s: importing the screening package imported torch, RDKit and skorch."""
    code = (
        "import sys\nfrom sklearn_ltdd.screen.__main__ import main\ntry:\n    main(['--help'])\n"
        "except SystemExit:\n    pass\n"
        "loaded = {'torch', 'rdkit', 'skorch'} & set(sys.modules)\nassert not loaded, loaded"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "usage: python -m sklearn_ltdd.screen" in done.stdout


def test_the_screen_commands_advice_follows_other_advice(model, library, tmp_path, capsys, monkeypatch):
    def refused(*args, **kwargs):  # bad rows whose advice is not the screening one (say, map them)
        raise InvalidSmilesError({3: ("CC>>CC", "no atom maps")}, advice="Map them first.")

    joblib.dump(model, tmp_path / "model.joblib")
    write_library(tmp_path / "library.csv", library)
    monkeypatch.setattr(_file, "screen_file", refused)  # (the command imports it when it runs)
    with pytest.raises(SystemExit) as stop:
        screen_command([str(tmp_path / name) for name in ("model.joblib", "library.csv", "scores.csv")])
    assert stop.value.code == 1
    assert (
        "Map them first.\nFix or remove these rows, or run again with --errors nan" in capsys.readouterr().err
    )


def test_an_interrupted_screen_says_it_resumes(model, library, tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    joblib.dump(model, tmp_path / "model.joblib")
    write_library(tmp_path / "library.csv", library)
    monkeypatch.setattr(_file, "screen_file", interrupted)  # (the command imports it when it runs)
    with pytest.raises(SystemExit) as stop:
        screen_command([str(tmp_path / name) for name in ("model.joblib", "library.csv", "scores.csv")])
    assert stop.value.code == 130 and "interrupted before a row was written" in capsys.readouterr().err
    (tmp_path / "scores.csv.partial").write_text("id,smiles\n")  # stopped after its first chunk
    with pytest.raises(SystemExit) as stop:
        screen_command([str(tmp_path / name) for name in ("model.joblib", "library.csv", "scores.csv")])
    said = capsys.readouterr().err
    assert stop.value.code == 130 and f"kept in {tmp_path / 'scores.csv.partial'}, and the same" in said
    # stopped after the last rename (it said "before a row was written")

    def renamed_then_interrupted(*args, **kwargs):
        (tmp_path / "scores.csv.partial").rename(tmp_path / "scores.csv")
        raise KeyboardInterrupt

    monkeypatch.setattr(_file, "screen_file", renamed_then_interrupted)
    with pytest.raises(SystemExit) as stop:
        screen_command([str(tmp_path / name) for name in ("model.joblib", "library.csv", "scores.csv")])
    said = capsys.readouterr().err
    assert stop.value.code == 130 and f"after every row was scored into {tmp_path / 'scores.csv'}" in said
    # a file of the same name that was there before is no screen this command completed
    monkeypatch.setattr(_file, "screen_file", interrupted)
    with pytest.raises(SystemExit) as stop:
        screen_command([str(tmp_path / name) for name in ("model.joblib", "library.csv", "scores.csv")])
    assert stop.value.code == 130 and "interrupted before a row was written" in capsys.readouterr().err
    # one with its record was stopped after its last rename, and is complete again
    (tmp_path / "scores.csv.progress.json").write_text("{}")
    with pytest.raises(SystemExit) as stop:
        screen_command([str(tmp_path / name) for name in ("model.joblib", "library.csv", "scores.csv")])
    assert stop.value.code == 130 and "after every row was scored" in capsys.readouterr().err
    # while loading the model, before the screen (it was Python's traceback)
    monkeypatch.setattr(joblib, "load", interrupted)
    with pytest.raises(SystemExit) as stop:
        screen_command([str(tmp_path / name) for name in ("model.joblib", "library.csv", "other.csv")])
    assert (
        stop.value.code == 130 and capsys.readouterr().err == "python -m sklearn_ltdd.screen: interrupted.\n"
    )


def test_the_screen_command_never_lists_bad_rows_over_its_source_or_another_file(
    model, library, tmp_path, capsys
):
    """The list of bad rows, fixed and screened again into the same destination, was overwritten (its
    fixed rows lost) or, all valid, removed; so was any file of its name."""
    joblib.dump(model, tmp_path / "model.joblib")
    write_library(tmp_path / "library.csv", library)
    args = [str(tmp_path / name) for name in ("model.joblib", "library.csv", "scores.csv")]
    with pytest.raises(SystemExit):
        screen_command(args)
    listing = tmp_path / "scores.csv.invalid.csv"
    assert listing.read_text().startswith("row,value,reason") and capsys.readouterr()
    listed = listing.read_text()
    with pytest.raises(SystemExit) as stop:
        screen_command([args[0], str(listing), args[2], "--smiles-column", "value"])
    err = capsys.readouterr().err
    assert (
        stop.value.code == 2 and "scores.csv.invalid.csv is where the bad rows" in err and "the source" in err
    )
    assert listing.read_text() == listed
    listing.write_text("my own notes\n")
    with pytest.raises(SystemExit) as stop:
        screen_command(args)
    assert stop.value.code == 2 and "not such a list; move it away" in capsys.readouterr().err
    assert listing.read_text() == "my own notes\n" and not (tmp_path / "scores.csv.partial").exists()


def test_the_screen_command_run_as_a_module_removes_the_list_of_an_earlier_run(model, library, tmp_path):
    """Run as `python -m`, the command failed on a list of bad rows left by an earlier run (its check
    was defined after the module's `main()` call)."""
    joblib.dump(model, tmp_path / "model.joblib")
    write_library(tmp_path / "library.csv", good(library))
    listing = tmp_path / "scores.csv.invalid.csv"
    listing.write_text("row,value,reason\n3,C1CC,RDKit cannot parse it\n")  # the earlier run's, since fixed
    args = [str(tmp_path / name) for name in ("model.joblib", "library.csv", "scores.csv")]
    done = subprocess.run(
        [sys.executable, "-m", "sklearn_ltdd.screen", *args, "--quiet"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert f"removed {listing}" in done.stdout and not listing.exists()


def test_a_destination_that_links_to_nothing_is_refused_before_the_screen(model, library, tmp_path):
    write_library(tmp_path / "library.csv", good(library))
    (tmp_path / "scores.csv").symlink_to(tmp_path / "nowhere.csv")  # (it was refused after the screen)
    with pytest.raises(FileExistsError, match=r"scores.csv exists and is not an unfinished screen"):
        screen_file(model, tmp_path / "library.csv", tmp_path / "scores.csv", progress=False)
    assert not (tmp_path / "scores.csv.partial").exists()


def test_the_screen_command_says_what_it_cannot_do(
    model, library, tmp_path, capsys, monkeypatch, damaged_tables
):
    write_library(tmp_path / "library.csv", library)
    joblib.dump(model, tmp_path / "model.joblib")
    # a damaged compressed source: named, a usage error (it was a traceback and exit status 1, which
    # means bad rows), as by screen_file (the library's own error, naming no file)
    for name, said in damaged_tables.items():
        with pytest.raises(ValueError, match=said):
            screen_file(model, tmp_path / name, tmp_path / "damaged.csv")
        with pytest.raises(SystemExit) as stop:
            screen_command([str(tmp_path / "model.joblib"), str(tmp_path / name), str(tmp_path / "d.csv")])
        assert stop.value.code == 2 and re.search(said, capsys.readouterr().err)
    for not_a_model in (tmp_path / "library.csv", tmp_path / "missing.joblib"):
        with pytest.raises(SystemExit) as stop:
            screen_command([str(not_a_model), str(tmp_path / "library.csv"), str(tmp_path / "out.csv")])
        assert stop.value.code == 2
        assert f"cannot load a model from {not_a_model}" in capsys.readouterr().err
    # a model holding a function of the script that fitted it (said: "give a file written by joblib.dump")

    def a_notebooks_mapper(reactions):
        return reactions

    a_notebooks_mapper.__module__, a_notebooks_mapper.__qualname__ = "__main__", "a_notebooks_mapper"
    with monkeypatch.context() as patch:
        patch.setattr(sys.modules["__main__"], "a_notebooks_mapper", a_notebooks_mapper, raising=False)
        joblib.dump({"atom_mapper": a_notebooks_mapper}, tmp_path / "scripted.joblib")
    with pytest.raises(SystemExit) as stop:
        screen_command(
            [str(tmp_path / "scripted.joblib"), str(tmp_path / "library.csv"), str(tmp_path / "o.csv")]
        )
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "a_notebooks_mapper" in err and "defined in the script or notebook" in err
    # bad rows, and their listing cannot be written (a folder has its name): the rows named, the failure too
    args = [str(tmp_path / "model.joblib"), str(tmp_path / "library.csv"), str(tmp_path / "out.csv")]
    # a bad value of a flag is named by the flag (screen_file's error named its parameter alone)
    for flag, value in (("--chunk-rows", "0"),):
        with pytest.raises(SystemExit) as stop:
            screen_command([*args, flag, value])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and f"error: argument {flag}: {flag[2:].replace('-', '_')} must be" in err
    # --n-jobs 0 was refused as "n_jobs must be None, ...", which no flag gives
    with pytest.raises(SystemExit) as stop:
        screen_command([*args, "--n-jobs", "0"])
    err = capsys.readouterr().err
    assert "argument --n-jobs: give a positive number of processes or -1, -2" in err and "None" not in err
    # --keep before the files took them as columns: "the following arguments are required" alone
    with pytest.raises(SystemExit) as stop:
        screen_command(["--keep", "id", *args])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "required: model, source, destination (--keep takes every word" in err
    with pytest.raises(SystemExit) as stop:
        screen_command(["--kee", "id", *args])  # (argparse takes an abbreviation)
    assert "(--keep takes every word after it" in capsys.readouterr().err
    for without in ([], ["--keep=id"]):  # argparse's message as it is: --keep=id took one word
        with pytest.raises(SystemExit) as stop:
            screen_command([*without, *args[:2]])
        assert capsys.readouterr().err.endswith("required: destination\n")
    (tmp_path / "out.csv.invalid.csv").mkdir()
    with pytest.raises(SystemExit) as stop:
        screen_command([*args, "--quiet"])
    err = capsys.readouterr().err
    assert stop.value.code == 1 and "row 3" in err and "could not be written" in err
    args[-1] = str(tmp_path / "no" / "out.csv")
    with pytest.raises(SystemExit) as stop:
        screen_command([*args, "--quiet"])
    assert stop.value.code == 2 and f"{tmp_path / 'no'} is not a folder" in capsys.readouterr().err
    # another screen's Parquet output (a directory of parts) as the source
    (tmp_path / "scores.parquet").mkdir()
    args[1:] = [str(tmp_path / "scores.parquet"), str(tmp_path / "again.csv")]
    with pytest.raises(SystemExit) as stop:
        screen_command([*args, "--quiet"])
    assert (
        stop.value.code == 2
        and "scores.parquet is a directory; screen_file reads one file" in capsys.readouterr().err
    )


def test_parquet_without_pyarrow_is_refused_before_anything_is_scored(
    model, library, tmp_path, capsys, monkeypatch
):
    write_library(tmp_path / "library.csv", library)
    joblib.dump(model, tmp_path / "model.joblib")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    scores = tmp_path / "scores.parquet"
    with pytest.raises(
        ImportError, match=r"scores.parquet needs pyarrow: pip install 'sklearn-ltdd\[parquet\]'"
    ):
        screen_file(model, tmp_path / "library.csv", scores, errors="nan", progress=False)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["library.csv", "model.joblib"]  # no debris
    with pytest.raises(SystemExit) as stop:  # the command: a usage error, not a traceback
        screen_command(
            [str(tmp_path / "model.joblib"), str(tmp_path / "library.csv"), str(scores), "--quiet"]
        )
    assert stop.value.code == 2 and "sklearn-ltdd[parquet]" in capsys.readouterr().err
    (tmp_path / "library.parquet").touch()  # reading one, too
    with pytest.raises(ImportError, match=r"library.parquet needs pyarrow"):
        screen_file(model, tmp_path / "library.parquet", tmp_path / "scores.csv", progress=False)


def test_a_compression_pandas_cannot_read_without_its_library_is_a_usage_error(
    model, tmp_path, capsys, monkeypatch
):
    """A .csv.zst without zstandard ended the command in pandas' traceback, exit 1."""
    joblib.dump(model, tmp_path / "model.joblib")
    (tmp_path / "library.csv.zst").write_bytes(b"(not read)")
    monkeypatch.setitem(sys.modules, "zstandard", None)  # as if not installed
    with pytest.raises(SystemExit) as stop:
        screen_command(
            [str(tmp_path / "model.joblib"), str(tmp_path / "library.csv.zst"), str(tmp_path / "s.csv")]
        )
    assert stop.value.code == 2 and "zstandard" in capsys.readouterr().err


def test_screen_dask_without_dask_names_the_extra(model, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(ImportError, match=r"screen_dask needs dask: pip install 'sklearn-ltdd\[dask\]'"):
        screen_dask(model, pd.DataFrame({"smiles": ["CCO"]}))


@pytest.mark.parametrize(
    ("package", "init", "message"),
    [
        # with dask installed and pyarrow missing, the error said that screen_dask needs dask
        ("installed_extra", "import not_installed_anywhere\n",
         "needs installed_extra, which needs not_installed_anywhere: "
         "pip install 'sklearn-ltdd[extra]' (or not_installed_anywhere)."),
        # pyarrow 26 under numpy 1 raises a plain ImportError; the error said that pyarrow was missing
        ("broken_extra", "raise ImportError('broken_extra requires NumPy 2.0 or newer, found 1.24.4')\n",
         "needs broken_extra, which is installed but does not import: "
         "broken_extra requires NumPy 2.0 or newer, found 1.24.4"),
        # a folder an uninstall left behind (an empty namespace package) is not installed
        ("uninstalled_extra", None,
         "needs uninstalled_extra: pip install 'sklearn-ltdd[extra]' (or uninstalled_extra)."),
    ],
)  # fmt: skip
def test_an_optional_dependency_is_named_missing_or_broken(tmp_path, monkeypatch, package, init, message):
    from sklearn_ltdd._optional import MissingDependencyError, import_optional

    (tmp_path / package / "__pycache__").mkdir(parents=True)
    if init is not None:
        (tmp_path / package / "__init__.py").write_text(init)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(MissingDependencyError) as error:
            import_optional(f"{package}.part", "extra", "this feature")
    finally:
        sys.modules.pop(package, None)  # the namespace package imports, its part does not
    assert str(error.value) == f"this feature {message}"


def test_a_model_loaded_where_a_gpu_is_moves_to_it_with_device_auto(model, monkeypatch):
    auto = pickle.loads(pickle.dumps(model))
    auto.device = "auto"  # as if fitted with the default (the fixture's asked for the CPU)
    # the "meta" device stands in for a GPU where the model is loaded
    monkeypatch.setattr(_base, "resolve_device", lambda device: "meta")
    moved = pickle.loads(pickle.dumps(auto))
    assert moved.device_ == "meta" and str(moved.net_.device) == "meta"
    assert all(p.device.type == "meta" for p in moved.net_.module_.parameters())
    # a model that asked for a device keeps its network's
    assert pickle.loads(pickle.dumps(model)).device_ == str(model.net_.device) == "cpu"


def test_screening_needs_one_of_our_fitted_classifiers(model, library):
    with pytest.raises(TypeError, match="LTDDClassifier or BaselineClassifier"):
        screen(object(), library)
    with pytest.raises(NotFittedError):
        screen(LTDDClassifier(), library)
    with pytest.raises(ValueError, match="errors must be one of"):
        screen(model, library, errors="drop")
    with pytest.raises(TypeError, match=r"screen reads SMILES.*model.predict_proba\(graphs\)"):
        screen(model, SmilesGraphizer().fit_transform(library[:2]))


def test_a_dask_cluster_screens_like_one_process(model, library):
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    dd = pytest.importorskip("dask.dataframe")
    # labels that repeat, as dd.read_csv gives (each partition numbered from 0)
    frame = pd.DataFrame({"smiles": library}, index=np.arange(len(library)) % 6)
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
    assert sorted(error.value.bad_rows) == sorted(BAD)  # named by row number in the whole frame
    assert "pass errors='nan'" in str(error.value)


def test_the_frame_functions_name_a_table_of_another_kind(model, library):
    """A pandas frame given to screen_dask failed on map_partitions, a dask Series on a comparison
    of str and int; a Series given to score_frame on its missing columns."""
    dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
    frame = pd.DataFrame({"smiles": library[:4]})
    for table, kind in (
        (frame, "pandas DataFrame"),
        (dd.from_pandas(frame, npartitions=2)["smiles"], "dask Series"),
    ):
        with pytest.raises(
            TypeError, match=rf"frame must be a dask DataFrame holding the column 'smiles', got a {kind}"
        ):
            screen_dask(model, table)
    with pytest.raises(TypeError, match=r"frame must be a pandas DataFrame .* got a Series"):
        score_frame(frame["smiles"], model)
    pl = pytest.importorskip("polars")
    with pytest.raises(TypeError, match=r"got a polars DataFrame; call .to_pandas\(\) on it\.$"):
        score_frame(pl.from_pandas(frame), model)


@pytest.mark.filterwarnings("ignore:the validation hold-out has no sample")  # a class of one in a fold
def test_a_pipeline_search_or_frozen_model_ending_in_a_classifier_screens_as_it(model, library, tmp_path):
    data = load_solubility()
    pipe = make_pipeline(SmilesGraphizer(), clone(model)).fit(data.data[:120], data.target[:120])
    expected = screen(pipe[-1], library, errors="nan")
    pd.testing.assert_frame_equal(screen(pipe, library, errors="nan"), expected)
    pd.testing.assert_frame_equal(screen(FrozenEstimator(pipe), library, errors="nan"), expected)
    search = GridSearchCV(pipe, {"ltddclassifier__max_epochs": [3]}, cv=2).fit(
        data.data[:120], data.target[:120]
    )
    assert screen(search, library[:3], errors="nan")["valid"].all()
    # any other step would be skipped, and a graphizer that maps atoms the model's does not would
    # let the pipeline read reactions that screening refuses: both are refused, by name
    # (also a step outside a pipeline of the graphizer and the model)
    for step in (FunctionTransformer(lambda X: X), SmilesGraphizer(reaction_mode="cgr", atom_mapper=list)):
        for holding in (
            make_pipeline(step, model),
            make_pipeline(step, make_pipeline(SmilesGraphizer(), model)),
        ):
            with pytest.raises(TypeError, match=r"may hold only SmilesGraphizers that map atoms as it does"):
                screen(holding, library)
    kept_none = GridSearchCV(pipe, {"ltddclassifier__max_epochs": [3]}, cv=2, refit=False)
    with pytest.raises(ValueError, match="refit=False and so holds no classifier to screen with"):
        screen(kept_none.fit(data.data[:120], data.target[:120]), library)
    with pytest.raises(TypeError, match="got LogisticRegression"):
        screen(LogisticRegression(), library)


def test_a_threshold_classifier_is_refused_for_its_own_threshold_and_plotted_as_its_classifier(library):
    """A TunedThresholdClassifierCV that kept its cv_results_ was "fitted with refit=False" (refit
    it), and a screen of its classifier would have lost the threshold it predicts by."""
    from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV

    from sklearn_ltdd.plotting import plot_training

    X, y = _training_data()
    classifier = LTDDClassifier(max_epochs=2, hidden=8, schedule=SubclusterSchedule(warmup_epochs=1),
                                random_state=0, device="cpu")  # fmt: skip
    for wrapper in (
        TunedThresholdClassifierCV(classifier, cv=2, store_cv_results=True),
        FixedThresholdClassifier(classifier, threshold=0.3),
    ):
        wrapper.fit(X, y == "low")
        with pytest.raises(
            ValueError, match=f"a {type(wrapper).__name__} predicts by a threshold of its own"
        ):
            screen(wrapper, library, errors="nan")
        assert len(plot_training(wrapper).get_lines()) == len(plot_training(wrapper.estimator_).get_lines())


def test_a_parquet_cell_may_hold_a_line_break_and_a_misnamed_or_headerless_file_is_said_so(model, tmp_path):
    """A Parquet cell with a line break was refused as a CSV quote gone astray; a Parquet file named
    .pq was read as CSV ("its columns are ['PAR1...']"); a CSV file without a header lost its first
    molecule to the column names, with no word of why the SMILES column was missing."""
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"id": ["a", "b"], "smiles": ["CCO", "CCN"], "notes": ["line 1\nline 2", ""]})
    frame.to_parquet(tmp_path / "library.parquet", index=False)
    assert screen_file(model, tmp_path / "library.parquet", tmp_path / "scores.csv") == 2
    assert read(tmp_path / "scores.csv")["notes"].fillna("").tolist() == ["line 1\nline 2", ""]
    frame.to_parquet(tmp_path / "library.pq", index=False)
    with pytest.raises(ValueError, match=r"library.pq is a Parquet file; name it .parquet"):
        screen_file(model, tmp_path / "library.pq", tmp_path / "pq.csv")
    (tmp_path / "bare.csv").write_text("CCCCC\nC1CCCC1\n")
    headerless = r"its columns are \['CCCCC'\] \(the header's 'CCCCC' reads as a SMILES: a CSV file needs"
    with pytest.raises(ValueError, match=headerless):
        screen_file(model, tmp_path / "bare.csv", tmp_path / "bare_scores.csv")
    # no note where no name is a SMILES or where a short name only reads as one
    for header, column in (("name,id", "smiles"), ("S,CO,name", "smiles")):
        (tmp_path / "named.csv").write_text(f"{header}\n" + ",".join(["CCO"] * header.count(",")) + ",CCO\n")
        with pytest.raises(
            ValueError, match=rf"its columns are \[{', '.join(map(repr, header.split(',')))}\]\.$"
        ):
            screen_file(model, tmp_path / "named.csv", tmp_path / "named_scores.csv", smiles_column=column)
    # a name that differs only in case or spaces is named (it had no note at all)
    (tmp_path / "named.csv").write_text("CCCCC, SMILES \nCCO,CCO\n")
    with pytest.raises(
        ValueError, match=r"\(the column ' SMILES ' is 'smiles' but for case or spaces: name it"
    ):
        screen_file(model, tmp_path / "named.csv", tmp_path / "named_scores.csv")
    # where the SMILES column is there and a kept one is missing, neither note is given
    (tmp_path / "named.csv").write_text("CCCCC,smiles\nCCO,CCO\n")
    with pytest.raises(
        ValueError, match=r"no column\(s\) \['id'\]; its columns are \['CCCCC', 'smiles'\]\.$"
    ):
        screen_file(model, tmp_path / "named.csv", tmp_path / "named_scores.csv", keep=["id"])
    # a workbook is not text (it was "not UTF-8 text: line 1 holds b'\x85'")
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04\x85\x00")
    with pytest.raises(ValueError, match=r"book.xlsx is an Excel workbook; a screen reads CSV or Parquet"):
        screen_file(model, tmp_path / "book.xlsx", tmp_path / "book_scores.csv")
    # a CSV header that begins as Parquet does is still CSV (a Parquet file ends so too)
    (tmp_path / "par.csv").write_text("PAR1_id,smiles\na,CCO\n")
    assert screen_file(model, tmp_path / "par.csv", tmp_path / "par_scores.csv") == 1
    # and not a Parquet file where a later byte is not UTF-8: that is named
    (tmp_path / "par.csv").write_bytes("PAR1_id,smiles\n\u00e9,CCO\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"par.csv is not UTF-8 text: line 2 .* iconv -f latin1"):
        screen_file(model, tmp_path / "par.csv", tmp_path / "par_scores2.csv")
    # a compressed file named as text is said to be one (it was "not UTF-8: line 1 holds b'\x8b'",
    # with iconv's advice, which garbles it)
    (tmp_path / "packed.csv").write_bytes(gzip.compress(b"smiles\nCCO\n"))
    with pytest.raises(ValueError, match=r"packed.csv is gzip-compressed by its first bytes, not text"):
        screen_file(model, tmp_path / "packed.csv", tmp_path / "packed_scores.csv")


def test_a_model_fitted_on_a_named_column_screens_only_that_column(model, tmp_path):
    """predict refuses a table of another column (reactants for products); so does every screen."""
    data = load_solubility()
    table = pd.DataFrame({"product": data.data[:120], "reactant": data.data[120:240]})
    fitted = clone(model).fit(table[["product"]], data.target[:120])
    piped = make_pipeline(SmilesGraphizer(), clone(model)).fit(table[["product"]], data.target[:120])
    passed = make_pipeline("passthrough", clone(model)).fit(table[["product"]], data.target[:120])
    source = tmp_path / "library.csv"
    table.iloc[:6].to_csv(source, index=False)
    for estimator in (fitted, piped, FrozenEstimator(piped), passed):  # (passed: the classifier's name)
        name = type(estimator).__name__
        refused = rf"smiles_column is 'reactant', but this {name} was fitted on the column 'product'"
        with pytest.raises(ValueError, match=refused):
            score_frame(table.iloc[:6], estimator, smiles_column="reactant")
        with pytest.raises(ValueError, match=refused):
            screen_file(estimator, source, tmp_path / "scores.csv", smiles_column="reactant")
        for X in (table[["reactant"]].iloc[:6], table["reactant"].iloc[:6]):
            with pytest.raises(ValueError, match=r"X's column is 'reactant', but .* on the column 'product'"):
                screen(estimator, X)
        assert not (tmp_path / "scores.csv").exists()
        scored = score_frame(table.iloc[:6], estimator, smiles_column="product")
        assert scored["valid"].all()
        pd.testing.assert_frame_equal(screen(estimator, table["product"].iloc[:6]), scored.iloc[:, 2:])
    # a model fitted without a column name scores any column, as its predict does
    unnamed = score_frame(table.iloc[:6], model, smiles_column="reactant")
    np.testing.assert_allclose(
        unnamed[[f"proba_{c}" for c in model.classes_]], model.predict_proba(table["reactant"].iloc[:6])
    )


def test_screen_featurises_in_the_processes_it_is_given(model, library, monkeypatch, tmp_path):
    """n_jobs as screen_file's (docs/scale_out.md promised it of both helpers)."""
    from sklearn_ltdd.featurize import _graphizer

    seen = []
    monkeypatch.setattr(
        _graphizer, "effective_n_jobs", lambda n_jobs: seen.append(joblib.effective_n_jobs(n_jobs)) or 1
    )
    alone = screen(model, library, errors="nan")
    assert screen(model, library, errors="nan", n_jobs=2).equals(alone)
    assert seen == [1, 2]
    with joblib.parallel_config(n_jobs=2):  # n_jobs=None keeps the caller's setting
        screen(model, library, errors="nan")
    assert seen == [1, 2, 2]
    # a Pipeline's SmilesGraphizer(n_jobs=2) featurises its screens in two, as its predict does (it
    # was one), unless n_jobs says otherwise; so does screen_file
    piped = make_pipeline(SmilesGraphizer(n_jobs=2), clone(model)).fit(*_training_data())
    seen.clear()
    assert screen(piped, library, errors="nan").equals(screen(piped, library, errors="nan", n_jobs=1))
    pd.DataFrame({"smiles": library}).to_csv(tmp_path / "library.csv", index=False)
    with pytest.warns(UserWarning, match="4 of the 22 rows written"):
        screen_file(piped, tmp_path / "library.csv", tmp_path / "scores.csv", errors="nan")
    assert seen == [2, 1, 2]
    with pytest.raises(ValueError, match=r"n_jobs must be None, a positive integer or -1, -2, .*got 0"):
        screen(model, library, n_jobs=0)
    with pytest.raises(TypeError, match="progress must be True or False, got None"):
        screen(model, library, progress=None)


def test_the_header_repeated_inside_a_file_is_named_as_such(model, tmp_path):
    """Two libraries joined end to end: the second header was one more SMILES RDKit cannot parse."""
    source = tmp_path / "joined.csv"
    source.write_text("smiles,id\nCCO,a\nsmiles,id\nCCN,b\nsmiles,id\n")
    with pytest.raises(InvalidSmilesError) as raised:
        screen_file(model, source, tmp_path / "out.csv")
    assert raised.value.__notes__ == [
        "Row 1 holds the column's name, 'smiles': the header repeated inside the file (2 times); were "
        "files joined?"
    ]
    source.write_text("smiles,id\nCCO,a\n\ufeffsmiles,id\nCCN,b\n", encoding="utf-8")  # Excel's, joined
    with pytest.raises(InvalidSmilesError) as raised:
        screen_file(model, source, tmp_path / "out.csv")
    assert raised.value.__notes__[0].startswith("Row 1 holds the column's name, 'smiles': the header")
    source.write_text("smiles,id\nCCO,a\nC1CC,b\n")  # a bad SMILES alone: no such note
    with pytest.raises(InvalidSmilesError) as raised:
        screen_file(model, source, tmp_path / "out.csv")
    assert not hasattr(raised.value, "__notes__")


def test_top_k_ranks_tied_classes_in_the_order_of_classes_():
    """Ties among many classes (numpy's default sort, unstable, reorders the ties here) rank as
    predict breaks them, first class first."""
    classes = np.array([f"template_{i:02d}" for i in range(30)])
    decision = np.array([[0.0] * 10 + [1.0] * 10 + [0.0] * 10])
    tied = types.SimpleNamespace(classes_=classes, _decision_scores=lambda log_proba: decision)
    ranked = _frame._scores(tied, np.log(np.full((1, 30), 1 / 30)), {}, pd.RangeIndex(1), top_k=30)
    expected = [*classes[10:20], *classes[:10], *classes[20:]]
    assert [ranked.loc[0, f"class_{rank}"] for rank in range(1, 31)] == expected


def test_top_k_ranks_the_classes_of_the_decision_with_their_probabilities(model, library, tmp_path, capsys):
    """Hundreds of classes made a probability column each (7 kB a row at 330): top_k writes the
    classes of the highest scores instead, the first the prediction."""
    scores = screen(model, library, errors="nan", top_k=2)
    ranks = ["class_1", "proba_1", "class_2", "proba_2"]
    assert list(scores.columns) == ["prediction", *ranks, "valid", "error"]
    valid = scores["valid"].to_numpy()
    X = [s for s, ok in zip(library, valid, strict=True) if ok]
    classes, proba, decision = model.classes_, model.predict_proba(X), model.decision_function(X)
    order = np.argsort(-decision, axis=1, kind="stable")
    for rank in (1, 2):
        ranked = scores.loc[valid, f"class_{rank}"].to_numpy()
        assert ranked.tolist() == classes[order[:, rank - 1]].tolist()
        at = np.searchsorted(classes, ranked.astype(str))
        np.testing.assert_allclose(
            scores.loc[valid, f"proba_{rank}"], proba[np.arange(len(X)), at], rtol=1e-6
        )
    assert scores["class_1"].astype(str).equals(scores["prediction"].astype(str))
    # a bad row: no class and no probability at any rank
    assert scores.loc[~valid, ["class_1", "class_2"]].isna().all().all()
    assert scores.loc[~valid, ["proba_1", "proba_2"]].isna().all().all()
    # every class ranked: each row's classes are all of them, and the default keeps its columns
    every = screen(model, X, top_k=len(classes))
    assert (every[[f"class_{r + 1}" for r in range(len(classes))]].nunique(axis=1) == len(classes)).all()
    assert [c for c in screen(model, X[:2]).columns if c.startswith("proba_")] == [
        f"proba_{c}" for c in classes
    ]
    for bad in (0, len(classes) + 1, True, 1.5, "2"):
        with pytest.raises(
            ValueError,
            match=r"top_k must be a whole number from 1 to the model's 3 classes, got .* \(or None",
        ):
            screen(model, X, top_k=bad)
    # the same from a frame, a file and the command
    frame = pd.DataFrame({"id": range(len(X)), "smiles": X})
    ranked = score_frame(frame, model, keep=["id"], top_k=2)
    assert ranked.drop(columns="id").equals(screen(model, X, top_k=2))
    frame.to_csv(tmp_path / "library.csv", index=False)
    screen_file(model, tmp_path / "library.csv", tmp_path / "out.csv", keep=["id"], top_k=2)
    written = pd.read_csv(tmp_path / "out.csv")
    assert list(written.columns) == ["id", *ranked.columns[1:]]
    assert written["class_2"].tolist() == ranked["class_2"].astype(str).tolist()
    joblib.dump(model, tmp_path / "model.joblib")
    args = [str(tmp_path / name) for name in ("model.joblib", "library.csv", "command.csv")]
    screen_command([*args, "--keep", "id", "--top-k", "2", "--quiet"])
    assert (tmp_path / "command.csv").read_bytes() == (tmp_path / "out.csv").read_bytes()
    with pytest.raises(SystemExit):
        screen_command([*args[:2], str(tmp_path / "zero.csv"), "--top-k", "0"])
    err = capsys.readouterr().err  # (no None: the command cannot give it)
    assert (
        "error: argument --top-k: top_k must be a whole number from 1 to the model's 3 classes, got 0.\n"
        in err
    )
    with pytest.raises(ValueError, match=r"the input's columns \['class_1'\] would be overwritten"):
        score_frame(frame.rename(columns={"id": "class_1"}), model, top_k=1)
    assert "class_1" in score_frame(frame.rename(columns={"id": "class_1"}), model).columns  # no clash
    dd = pytest.importorskip("dask.dataframe")  # (last: the rest runs without the extra)
    lazy = screen_dask(model, dd.from_pandas(frame, npartitions=2), keep=["id"], top_k=2)
    # (a partition is another batch: float32 sums may differ in the last bit, on two threads once)
    pd.testing.assert_frame_equal(lazy.compute(), ranked, check_exact=False, rtol=1e-6)
