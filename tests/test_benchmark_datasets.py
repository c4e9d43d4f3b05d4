"""Loaders of the paper's data sets, on small files the tests write (and on the real files when present)."""

import bz2
import functools
import gzip
import hashlib
import http.server
import lzma
import os
import re
import socket
import ssl
import threading
import time
import warnings
import zipfile
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_ltdd import BaselineClassifier, SmilesGraphizer
from sklearn_ltdd.benchmark.__main__ import main as benchmark_main
from sklearn_ltdd.datasets import (
    REMOTE_FILES,
    RemoteFile,
    fetch_file,
    get_data_home,
    load_hiv,
    load_sbap,
    load_solubility,
    load_uspto50k,
    load_uspto50k_templates,
)
from sklearn_ltdd.datasets._fetch import sha256_of

# small stand-ins are written where the benchmark files live
pytestmark = pytest.mark.usefixtures("stand_in_data_files")
DOCUMENTED_HIV_SHA256 = REMOTE_FILES["hiv"].sha256  # before the fixture clears it

HIV_CSV = "smiles,activity,HIV_active\nCCO,CI,0\nc1ccccc1,CM,1\nC1CC,CI,0\nCCO,CI,0\nCCN,CA,1\n"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_hiv_csv_reports_invalid_and_duplicate_rows_and_keeps_them(tmp_path):
    path = write(tmp_path / "hiv" / "HIV.csv", HIV_CSV)
    with pytest.warns(UserWarning) as record:
        data = load_hiv(data_home=tmp_path)
    messages = " ".join(str(w.message) for w in record)
    assert "1 of 5 rows cannot be parsed (rows [2])" in messages and "rows [3]" in messages
    assert {w.filename for w in record} == {__file__}  # the line that called the loader
    assert data.data.tolist() == ["CCO", "c1ccccc1", "C1CC", "CCO", "CCN"]  # nothing dropped
    assert data.target.tolist() == [0, 1, 0, 0, 1]
    assert list(data.invalid) == [2] and data.duplicates.tolist() == [3]
    assert data.filename == str(path)


def test_a_set_read_again_is_not_parsed_again_and_still_reported(tmp_path, monkeypatch):
    # a notebook cell run again parsed all of HIV's rows again (8 s a call)
    from sklearn_ltdd.datasets import _benchmark_sets

    monkeypatch.setattr(_benchmark_sets, "_ROWS_READ", OrderedDict())  # (earlier tests read these rows)
    parsed = []
    parse_rows = _benchmark_sets.parse_rows
    monkeypatch.setattr(
        _benchmark_sets, "parse_rows", lambda rows, *a: parsed.append(len(rows)) or parse_rows(rows, *a)
    )
    path = write(tmp_path / "hiv" / "HIV.csv", HIV_CSV)
    for _ in range(2):
        with pytest.warns(UserWarning) as record:
            data = load_hiv(data_home=tmp_path)
        messages = " ".join(str(w.message) for w in record)
        assert "1 of 5 rows cannot be parsed (rows [2])" in messages and "1 rows repeat" in messages
        assert list(data.invalid) == [2] and data.duplicates.tolist() == [3]
        data.invalid.clear()  # a caller's changes stay its own
        data.duplicates[:] = 0
    assert parsed == [5]
    write(path, HIV_CSV.replace("CCN,CA,1", "CCN,CA,1\nC1CC,CI,0"))  # other rows: read afresh
    with pytest.warns(UserWarning) as record:
        assert load_hiv(data_home=tmp_path).duplicates.tolist() == [3, 5]
    assert "2 of 6 rows cannot be parsed (rows [2, 5])" in " ".join(str(w.message) for w in record)
    assert parsed == [5, 6]


def test_a_molecule_written_another_way_is_a_duplicate(tmp_path):
    # the same molecule however written (atom maps are not read, nor a 13C label); a stereoisomer
    # is another molecule (though not to the GCN)
    rows = ["CCO", "OCC", "C(O)C", "Oc1ccccc1", "c1ccc(O)cc1", "C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O"]
    rows += ["[CH3:1]CO", "[13CH3]CO", "[CH3:1][C@@H:2](N)C(=O)O"]
    path = write(tmp_path / "mine.csv", "smiles,HIV_active\n" + "".join(f"{r},0\n" for r in rows))
    with pytest.warns(
        UserWarning, match=r"6 rows repeat an earlier row's molecule \(rows \[1, 2, 4, 7, 8, 9\]\)"
    ):
        assert load_hiv(path=path).duplicates.tolist() == [1, 2, 4, 7, 8, 9]
    reactions = [
        "CC(=O)O.OCC>>CC(=O)OCC",
        "OCC.CC(=O)O>>CCOC(C)=O",
        "CC(=O)O.OCC>O>CC(=O)OCC",  # reagents are no part of it
        "CC(=O)O.OC>>CC(=O)OC",
    ]
    path = write(tmp_path / "rxn.csv", "rxn_smiles,class\n" + "".join(f"{r},1\n" for r in reactions))
    with pytest.warns(UserWarning, match=r"2 rows repeat an earlier row's reaction \(rows \[1, 2\]\)"):
        assert load_uspto50k(path=path).duplicates.tolist() == [1, 2]


def test_imdrug_tab_format(tmp_path):
    path = write(tmp_path / "hiv.tab", "Drug_ID\tDrug\tY\nd1\tCCO\t0\nd2\tc1ccccc1\t1\n")
    smiles, y = load_hiv(path=path, return_X_y=True)
    assert smiles.tolist() == ["CCO", "c1ccccc1"] and y.tolist() == [0, 1]
    smiles, y = load_hiv(path=path, return_X_y=True, as_frame=True)  # as load_solubility does
    assert (smiles.name, y.name, smiles.tolist(), y.tolist()) == (
        "smiles",
        "target",
        ["CCO", "c1ccccc1"],
        [0, 1],
    )
    bunch = load_hiv(path=path, as_frame=True)  # the Bunch's too, as scikit-learn's loaders give them
    pd.testing.assert_series_equal(bunch.data, smiles)
    pd.testing.assert_series_equal(bunch.target, y)
    assert bunch.target_names.tolist() == [0, 1] and bunch.frame.shape[0] == 2


def test_malformed_rows_are_named(tmp_path):
    path = write(tmp_path / "bad.csv", "smiles,HIV_active\nCCO,0\nCCN,1,extra\n")
    with pytest.raises(ValueError, match=r"bad.csv is malformed: .*line 3, saw 3 \(pandas' numbering: after"):
        load_hiv(path=path)
    # one field more on every line: pandas would make the first column an index and shift the cells
    for name, text in (("shifted.csv", "smiles,HIV_active\nCCO,C,0\nCC,N,1\n"),
                       ("trailing.csv", "smiles,HIV_active\nCCO,1,\nCC,0,\n")):  # fmt: skip
        path = write(tmp_path / name, text)
        with pytest.raises(ValueError, match=rf"{name} is malformed: .*line 2\) has more fields"):
            load_hiv(path=path)
    # columns of one name twice, or two columns that could each be the SMILES: none taken silently
    path = write(tmp_path / "twice.csv", "smiles,HIV_active,HIV_active\nCCO,0,1\nCCN,1,1\n")
    with pytest.raises(ValueError, match=r"twice.csv's header names the column\(s\) \['HIV_active'\] more"):
        load_hiv(path=path)
    path = write(tmp_path / "both.csv", "SMILES,smiles,HIV_active\nCCO,C,0\nCCN,C,1\n")
    with pytest.raises(ValueError, match=r"both.csv has 2 SMILES columns, \['smiles', 'SMILES'\]; keep one"):
        load_hiv(path=path)
    # a stray quote read the lines up to the next quote into one field: their rows were gone
    path = write(tmp_path / "quote.tsv", 'id\tsmiles\tnote\tHIV_active\nM1\tCCO\t"ditto\t0\n'
                 'M2\tCCN\tamine\t1\nM3\tCCC\t5" vial\t0\nM4\tCCCl\tchloro\t1\n')  # fmt: skip
    with pytest.raises(
        ValueError, match=r"quote.tsv: the 'note' field of data row 0 \(line 2\) spans several lines"
    ):
        load_hiv(path=path)
    path = write(tmp_path / "missing.csv", "smiles,HIV_active\nCCO,0\nCCN,\n,1\n")
    with pytest.raises(
        ValueError, match=r"2 rows have an empty smiles or HIV_active field, e.g. data rows \[1, 2\]"
    ):
        load_hiv(path=path)
    path = write(tmp_path / "columns.csv", "mol,act\nCCO,0\n")
    with pytest.raises(ValueError, match="no SMILES column"):
        load_hiv(path=path)
    # tabs in a file named .txt (or .csv): one column, whose name holds them
    path = write(tmp_path / "tabs.txt", "smiles\tlabel\nCCO\ta\nCCN\tb\n")
    with pytest.raises(
        ValueError, match=r"no SMILES column .* \(tab-separated\? name the file .tsv or .tab\)"
    ):
        load_hiv(path=path)
    assert len(load_hiv(path=write(tmp_path / "tabs.tsv", "smiles\tlabel\nCCO\ta\nCCN\tb\n")).data) == 2
    assert len(load_hiv(path=write(tmp_path / "assay.v2.tsv", "smiles\tlabel\nCCO\ta\nCCN\tb\n")).data) == 2
    # semicolons, as Excel saves "CSV" where the decimal mark is a comma (which split lines in two)
    path = write(tmp_path / "decimal.csv", "smiles;label;mw\nCCO;a;46,07\nCCN;b;45,08\n")
    with pytest.raises(ValueError, match=r"more fields than the header \(semicolon-separated, with decimal"):
        load_hiv(path=path)
    path = write(tmp_path / "excel.csv", "smiles;label\nCCO;a\nCCN;b\n")
    with pytest.raises(
        ValueError, match=r"it has \['smiles;label'\]\) \(semicolon-separated\? save it with commas"
    ):
        load_hiv(path=path)
    path = write(tmp_path / "library.smi", "smiles label\nCCO 1\nCCN 0\n")  # a .smi file of labels
    with pytest.raises(ValueError, match=r"it has \['smiles label'\]\) \(space-separated, as a .smi file\?"):
        load_hiv(path=path)
    with pytest.raises(ValueError, match=r"it has \['mol', 'act'\]\)\.$"):  # no such hint without tabs
        load_hiv(path=write(tmp_path / "columns.csv", "mol,act\nCCO,0\n"))


def test_a_damaged_compressed_table_is_named(tmp_path, damaged_tables):
    """A .bz2, .xz or .zip that is cut short or no such file raised the library's error, naming no
    file (gzip's alone were named); a zip of two files, pandas' "Multiple files found"."""
    for name, said in damaged_tables.items():
        with pytest.raises(ValueError, match=said):
            load_hiv(path=tmp_path / name)
    # an error of the file system is no damaged file: it stays as it is
    for missing in ("missing.csv.gz", "missing.csv.zip"):
        with pytest.raises(FileNotFoundError):
            load_hiv(path=tmp_path / missing)


def test_a_file_that_is_not_a_whole_table_is_named(tmp_path):
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(HIV_CSV.encode())[:-12])
    (tmp_path / "binary.csv").write_bytes(bytes(range(128, 256)) * 4)  # no UTF-8
    write(tmp_path / "empty.csv", "")
    for name, reason in [("cut.csv.gz", "EOFError"), ("empty.csv", "EmptyData")]:
        with pytest.raises(ValueError, match=rf"{name} cannot be read as a table \({reason}.*is it complete"):
            load_hiv(path=tmp_path / name)
    with pytest.raises(ValueError, match=r"binary.csv is not UTF-8 text: line 1 .*save it as UTF-8"):
        load_hiv(path=tmp_path / "binary.csv")
    # a workbook or Parquet file was read as CSV ("Expected 1 fields in line 4"); an upper-case
    # .TSV as comma-separated
    for name in ("library.xlsx", "library.parquet"):
        with pytest.raises(ValueError, match=rf"{name} is an? (Excel|Parquet) .*save it as CSV"):
            load_hiv(path=write(tmp_path / name, "PK\x03\x04"))
    tsv = write(tmp_path / "LIBRARY.TSV", "smiles\tHIV_active\nCCO\t0\nCCN\t1\n")
    assert load_hiv(path=tsv).target.tolist() == [0, 1]
    # a compressed file named as text was "not UTF-8: line 1 holds b'\x8b'", with iconv's advice,
    # which garbles it
    table = b"smiles,HIV_active\nCCO,0\nCCN,1\n"
    for name, packed, said in [
        ("gzip.csv", gzip.compress(table), r"gzip-compressed .* add \.gz to its name"),
        ("bzip.csv", bz2.compress(table), r"bzip2-compressed .* add \.bz2 to its name"),
        ("bzip_empty.csv", bz2.compress(b""), r"bzip2-compressed .* add \.bz2 to its name"),
        ("xz.csv", lzma.compress(table), r"xz-compressed .* add \.xz to its name"),
        ("parquet.csv", b"PAR1\x85" + b"PAR1", r"a Parquet file .*; save it as CSV text"),
    ]:
        (tmp_path / name).write_bytes(packed)
        with pytest.raises(ValueError, match=rf"{name} is {said}"):
            load_hiv(path=tmp_path / name)
    # text that begins as bzip2 does, a block size and no block, is text (it was "bzip2-compressed")
    (tmp_path / "bzh.csv").write_bytes("BZh1,HIV_active\nCCO,\u00e9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"bzh.csv is not UTF-8 text: line 2 \(the header is line 1\)"):
        load_hiv(path=tmp_path / "bzh.csv")
    # a workbook or an archive of several files is not told to be named .zip (pandas would refuse it)
    with zipfile.ZipFile(tmp_path / "book.csv", "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")
    with zipfile.ZipFile(tmp_path / "two.csv", "w") as two:
        two.writestr("a.csv", "smiles,HIV_active\nCCO,0\n")
        two.writestr("b.csv", "smiles,HIV_active\nCCN,1\n")
    for name, said in [
        ("book.csv", r"an Excel \(\.xlsx\) workbook by its first bytes, not text; save it as CSV text"),
        ("two.csv", r"a zip archive of 2 files by its first bytes, not text; extract the table from it"),
    ]:
        with pytest.raises(ValueError, match=rf"{name} is {said}\.$"):
            load_hiv(path=tmp_path / name)
    # and the advice works
    assert load_hiv(path=(tmp_path / "gzip.csv").rename(tmp_path / "gzip.csv.gz")).target.tolist() == [0, 1]
    with pytest.raises(
        ValueError, match=r"header.csv holds no data rows \(columns: \['smiles', 'HIV_active'\]\)"
    ):
        load_hiv(path=write(tmp_path / "header.csv", "smiles,HIV_active\n"))
    with pytest.raises(NotADirectoryError, match=r"the data home .*empty\.csv is a file"):
        load_hiv(data_home=tmp_path / "empty.csv")


def test_a_path_is_read_as_given_with_its_home_and_never_empty(tmp_path, monkeypatch):
    """path="~/x.csv" read as a table by pandas but opened as given by the messages ("No such file"
    for a file with a bad line); path="" read the data set's own file; a "~user" of no user said
    "Could not determine home directory", naming nothing."""
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "latin.csv").write_bytes(b"smiles,HIV_active\nCCO,0\nC\xe9,1\n")
    with pytest.raises(ValueError, match=rf"{tmp_path / 'latin.csv'} is not UTF-8 text: line 3"):
        load_hiv(path="~/latin.csv")
    write(tmp_path / "hiv.csv", HIV_CSV)
    with warnings.catch_warnings():  # (of its invalid and repeated rows)
        warnings.simplefilter("ignore")
        assert load_hiv(path="~/hiv.csv").data.tolist() == load_hiv(path=tmp_path / "hiv.csv").data.tolist()
    for loader in (load_hiv, load_sbap, load_uspto50k):
        with pytest.raises(ValueError, match="path is empty; give the path of a file, or leave path out"):
            loader(path="")
    with pytest.raises(
        ValueError, match=r"path '~no-such-user-here/x.csv': '~no-such-user-here' is the home of no user here"
    ):
        load_hiv(path="~no-such-user-here/x.csv")
    with pytest.raises(
        ValueError, match=r"the data home '~no-such-user-here/d': '~no-such-user-here' is the home of no user"
    ):
        get_data_home("~no-such-user-here/d")
    # an empty data home (--data-home= : an unset shell variable) fell back to the default silently
    with pytest.raises(ValueError, match=r"data_home \(the benchmark command: --data-home\) is empty; name"):
        get_data_home("")


def test_a_machine_that_knows_no_home_folder_is_told_to_name_one(monkeypatch, tmp_path, capsys):
    """HOME unset and no entry in the password database (a container run as another user): the
    loaders raised pathlib's "Could not determine home directory", and a "~" was "no user's home"."""
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # as when no home is known
    monkeypatch.delenv("SKLEARN_LTDD_DATA", raising=False)
    unknown = (
        r"defaults to ~/sklearn_ltdd_data, but this user's home folder is not known here \(HOME is unset"
    )
    with pytest.raises(
        FileNotFoundError,
        match=unknown + r".*choose a folder with data_home= \(the .*--data-home\) or \$SKLEARN_LTDD_DATA",
    ):
        load_hiv()
    with pytest.raises(
        ValueError, match=r"the data home '~/d': this user's home folder is not known .*without '~'"
    ):
        get_data_home("~/d")
    assert get_data_home(tmp_path / "d") == tmp_path / "d"  # a folder named in full needs no home
    with pytest.raises(SystemExit) as exit_:  # the command's one line, not a traceback
        benchmark_main(["--dataset", "hiv", "--methods", "fp_lr", "--seeds", "0", "--out", str(tmp_path)])
    assert exit_.value.code == 2
    assert re.search(
        "benchmark: error: the data home defaults to ~/sklearn_ltdd_data, but", capsys.readouterr().err
    )


def test_uspto_builds_reaction_smiles_and_keeps_the_split(tmp_path):
    text = (
        ",id,class,prod_smiles,reactants_can,split,label\n"
        "0,US1,1,CC(=O)OCC,CC(=O)O.OCC,train,77\n"
        "1,US2,6,CC=O,CCO,test,12\n"
    )
    path = tmp_path / "uspto50k" / "USPTO_50k_MHN_prepro.csv.gz"
    path.parent.mkdir()
    with gzip.open(path, "wt") as handle:
        handle.write(text)
    data = load_uspto50k(data_home=tmp_path)
    assert data.data.tolist() == ["CC(=O)O.OCC>>CC(=O)OCC", "CCO>>CC=O"]
    assert data.target.tolist() == [1, 6]  # the reaction class, not MHN-react's template label
    assert data.split.tolist() == ["train", "test"]
    bad = write(tmp_path / "rx.tab", "Reactant\tProduct\tY\nCCO\tC1CC\t1\nCCO\tCC=O\t2\n")
    with pytest.warns(UserWarning, match=r"rows \[0\]"):
        assert list(load_uspto50k(path=bad).invalid) == [0]
    # reagents between the arrows are a reaction the featurisers read, not an invalid row
    with_reagents = write(tmp_path / "rxn.csv", "reaction,Y\nCCO>O=O>CC=O,1\nCCCO>>CCC=O,2\nCCO>>C1CC,2\n")
    with pytest.warns(UserWarning, match=r"rows \[2\]"):
        assert list(load_uspto50k(path=with_reagents).invalid) == [2]


def test_uspto_returns_the_mapped_copy_row_by_row(tmp_path):
    text = (
        ",id,class,prod_smiles,reactants_can,split\n"
        "0,US1,1,CC(=O)OCC,CC(=O)O.OCC,train\n"
        "1,US2,6,CC=O,CCO,test\n"
    )
    mapped = (
        "mhn_index,id,class,rxn_smiles_mapped,confidence,error\n"
        "0,US1,1,[CH3:1][C:2](=[O:3])O.[OH:4][CH2:5][CH3:6]>>[CH3:1][C:2](=[O:3])[O:4][CH2:5][CH3:6],0.9,\n"
        "1,US2,6,[CH3:1]CO>>CC=O,,no tokens\n"  # (what a failed mapper left: not the reaction's text)
    )
    folder = tmp_path / "uspto50k"
    folder.mkdir()
    with gzip.open(folder / "USPTO_50k_MHN_prepro.csv.gz", "wt") as handle:
        handle.write(text)
    with pytest.raises(FileNotFoundError, match=r"no public copy to download.*atom_mapper='rxnmapper'"):
        load_uspto50k(data_home=tmp_path, mapping="rxnmapper")
    with gzip.open(folder / "USPTO_50k_rxnmapper.csv.gz", "wt") as handle:
        handle.write(mapped)
    data = load_uspto50k(data_home=tmp_path, mapping="rxnmapper")
    assert data.data[0].startswith("[CH3:1][C:2](=[O:3])O.") and data.target.tolist() == [1, 6]
    assert data.data[1] == "CCO>>CC=O"  # the mapper failed on it: kept unmapped, so "cgr" names it
    with gzip.open(folder / "USPTO_50k_rxnmapper.csv.gz", "wt") as handle:
        handle.write(mapped.replace("1,US2,6", "1,US2,7"))
    with pytest.raises(ValueError, match=r"rows \[1\] name another patent or class"):
        load_uspto50k(data_home=tmp_path, mapping="rxnmapper")
    with gzip.open(folder / "USPTO_50k_rxnmapper.csv.gz", "wt") as handle:
        handle.write(mapped.replace("mhn_index,id,", "mhn_index,patent,"))
    with pytest.raises(ValueError, match=r"USPTO_50k_rxnmapper.csv.gz has no id column"):
        load_uspto50k(data_home=tmp_path, mapping="rxnmapper")
    # a file made by hand: pandas' KeyError named no file, int() named no row
    for renamed, column in (("mhn_index,", "index,"), ("rxn_smiles_mapped,", "rxn_smiles,")):
        with gzip.open(folder / "USPTO_50k_rxnmapper.csv.gz", "wt") as handle:
            handle.write(mapped.replace(renamed, column, 1))
        with pytest.raises(
            ValueError, match=f"USPTO_50k_rxnmapper.csv.gz has no '{renamed[:-1]}' column .*it has"
        ):
            load_uspto50k(data_home=tmp_path, mapping="rxnmapper")
    with gzip.open(folder / "USPTO_50k_rxnmapper.csv.gz", "wt") as handle:
        handle.write(mapped.replace("1,US2,6", "x,US2,6"))
    with pytest.raises(
        ValueError, match=r"mhn_index must be .* a whole number; 1 rows .* 'x' \(data row 1\)"
    ):
        load_uspto50k(data_home=tmp_path, mapping="rxnmapper")
    with gzip.open(folder / "USPTO_50k_rxnmapper.csv.gz", "wt") as handle:
        handle.write(mapped.replace("1,US2,6", "1.0,US2,6"))  # (what pandas writes of a float column)
    assert load_uspto50k(data_home=tmp_path, mapping="rxnmapper").target.tolist() == [1, 6]


def test_sbap_returns_proteins(tmp_path):
    two_rows = write(tmp_path / "sbap" / "sbap.tab", "Drug\tTarget\tY\nCCO\tMKVL\t0\nCCN\tMKAA\t1\n")
    # no checksum tells a download cut at a line's end from the data set: its row count does
    with pytest.warns(
        UserWarning, match=r"sbap.tab holds 2 rows, not the 32,140 of the paper's SBAP \(its Table 1\)"
    ):
        smiles, proteins, y = load_sbap(data_home=tmp_path, return_X_y=True)
    assert (
        smiles.tolist() == ["CCO", "CCN"] and proteins.tolist() == ["MKVL", "MKAA"] and y.tolist() == [0, 1]
    )
    assert load_sbap(path=two_rows).proteins.tolist() == ["MKVL", "MKAA"]  # a path= is read as it is
    # a row is a drug and its target: one drug against two targets is two samples
    pairs = write(tmp_path / "pairs.tab", "Drug\tTarget\tY\nCCO\tMKVL\t0\nOCC\tMKAA\t1\nOCC\tMKVL\t0\n")
    with pytest.warns(UserWarning, match=r"1 rows repeat an earlier row's molecule and protein \(rows \[2"):
        assert load_sbap(path=pairs).duplicates.tolist() == [2]
    framed = load_sbap(path=two_rows, return_X_y=True, as_frame=True)
    assert [s.name for s in framed] == ["smiles", "protein", "target"]
    bunch = load_sbap(path=two_rows, as_frame=True)  # the Bunch's halves of X are Series too
    for got, expected in zip((bunch.data, bunch.proteins, bunch.target), framed, strict=True):
        pd.testing.assert_series_equal(got, expected)


def test_missing_file_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True"):
        load_hiv(data_home=tmp_path)
    # a data home mistyped is not made, empty, on the way to saying the file is not there
    with pytest.raises(FileNotFoundError, match=r"typo.hiv.HIV\.csv not found"):
        load_hiv(data_home=tmp_path / "typo")
    assert not (tmp_path / "typo").exists()
    # one that cannot be made, to download into, is named with the way to choose another
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match=r"cannot save HIV.csv in .*file.home.hiv .*data_home="):
        load_hiv(data_home=tmp_path / "file" / "home", download=True)
    with pytest.raises(ValueError, match="mapping must be None or 'rxnmapper', got 'schneider'"):
        load_uspto50k(data_home=tmp_path, mapping="schneider")


def test_labels_are_whole_numbers_other_numbers_or_words(tmp_path):
    path = write(tmp_path / "lab.csv", "smiles,HIV_active\nCCO,0.7\nCCN,1.5\nCCC,0\n")
    target = load_hiv(path=path).target
    assert target.dtype == float and target.tolist() == [0.7, 1.5, 0.0]  # not 0, 1, 0
    # a regression target, which a classifier refuses (as text it was three classes)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        BaselineClassifier(max_epochs=1).fit(["CCO", "CCN", "CCC"], target)
    write(path, "smiles,HIV_active\nCCO,1.0\nCCN,0\n")
    assert load_hiv(path=path).target.tolist() == [1, 0]
    write(path, "smiles,HIV_active\nCCO,inf\nCCN,2\nCCC,1\n")
    assert load_hiv(path=path).target.tolist() == [np.inf, 2.0, 1.0]
    # whole numbers beyond a float's exact integers stay as written: as floats two ids were one
    write(path, "smiles,HIV_active\nCCO,9007199254740993\nCCN,9007199254740992\nCCC,1\n")
    assert load_hiv(path=path).target.tolist() == ["9007199254740993", "9007199254740992", "1"]
    # a missing-value marker among numbers is a missing label, not a third class
    write(path, "smiles,HIV_active\nCCO,0\nCCN,NA\nCCC,1\nCCCC, null\n")
    with pytest.raises(
        ValueError,
        match=r"2 rows have no label but a missing-value marker, e\.g\. 'NA' \(data row 1, line 3\)",
    ):
        load_hiv(path=path)
    # a word among numbers ("n.d.", a header repeated where two files were joined) is no class
    write(path, "smiles,HIV_active\nCCO,0\nCCN,n.d.\nCCC,1\nsmiles,HIV_active\n")
    with pytest.raises(
        ValueError, match=r"numbers but for 2 rows, e\.g\. 'n\.d\.' \(data row 1, line 3\), 'HIV_a"
    ):
        load_hiv(path=path)
    write(path, "smiles,HIV_active\nCCO,active\nCCN,#N/A\nCCC,inactive\n")  # Excel's, among words too
    with pytest.raises(ValueError, match=r"1 rows have a spreadsheet's error value as label, e\.g\. '#N/A'"):
        load_hiv(path=path)
    write(path, "smiles,HIV_active\nCCO,none\nCCN,some\n")  # among words, "none" may be a class
    assert load_hiv(path=path).target.tolist() == ["none", "some"]
    # a stray space makes no class of its own, and a blank label is a missing one
    write(path, "smiles,HIV_active\nCCO, active\nCC,inactive\nCCC,active \n CCO,active\n")
    with pytest.warns(UserWarning, match=r"rows \[3\]"):  # " CCO" repeats "CCO"
        data = load_hiv(path=path)
    assert data.target.tolist() == ["active", "inactive", "active", "active"] and data.data[3] == "CCO"
    write(path, "smiles,HIV_active\nCCO,0\nCC, \nCCC,1\n")
    with pytest.raises(ValueError, match=r"1 rows have an empty smiles or HIV_active field, .* rows \[1\]"):
        load_hiv(path=path)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """A local HTTP server of tmp_path/server (sklearn's fetch_file wants a URL with a host)."""
    root = tmp_path / "server"
    root.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=root))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def remote_for(url, sha256):
    return RemoteFile("hiv", "HIV.csv", f"{url}/HIV.csv", sha256)


def test_download_checks_the_checksum(tmp_path, server):
    root, url = server
    source = write(root / "HIV.csv", HIV_CSV)
    good = hashlib.sha256(HIV_CSV.encode()).hexdigest()
    home = tmp_path / "home"
    with pytest.raises(OSError, match="checksum mismatch"):
        fetch_file(remote_for(url, "0" * 64), home, download=True)
    assert not (home / "hiv").exists()  # nothing half-written is left behind, not even the folder
    path = fetch_file(remote_for(url, good), home, download=True)
    assert path.read_text() == HIV_CSV
    source.write_text("changed")  # cached: not downloaded again
    assert fetch_file(remote_for(url, good), home).read_text() == HIV_CSV


def test_load_hiv_downloads_over_http(tmp_path, server, monkeypatch):
    root, url = server
    write(root / "HIV.csv", HIV_CSV)
    monkeypatch.setitem(REMOTE_FILES, "hiv", replace(REMOTE_FILES["hiv"], url=f"{url}/HIV.csv",
                        sha256=hashlib.sha256(HIV_CSV.encode()).hexdigest()))  # fmt: skip
    with pytest.warns(UserWarning) as record:
        data = load_hiv(data_home=tmp_path / "home", download=True)
    assert len(data.data) == 5 and "cannot be parsed" in str(record[0].message)


def test_a_failed_download_says_where_to_put_the_file(tmp_path, server):
    _, url = server  # the server has no HIV.csv: 404
    home = tmp_path / "home"
    # the server answered: not "without a connection"
    answered = (
        r"could not download .*: the server answered HTTP 404 \(File not found\); the file may have moved"
    )
    with pytest.warns(UserWarning, match="Retry"), pytest.raises(OSError, match=answered):
        fetch_file(remote_for(url, None), home, download=True)
    assert not home.exists()  # nor the data home made for it


def test_unknown_checksum_warns_with_the_digest(tmp_path, server):
    root, url = server
    write(root / "HIV.csv", HIV_CSV)
    with pytest.warns(UserWarning, match=hashlib.sha256(HIV_CSV.encode()).hexdigest()):
        path = fetch_file(remote_for(url, None), tmp_path / "home", download=True)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not sklearn's private temporary file's 0600


@pytest.mark.parametrize(
    ("body", "sent"),
    [
        ("<!DOCTYPE html><html><body>Sign in</body></html>", "a web page"),
        ("  <HTML>503</HTML>", "a web page"),
        ("\ufeff<!DOCTYPE html><html></html>", "a web page"),  # after a byte-order mark
        ("<head><title>Error</title></head>", "a web page"),
        ('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"></html>', "a web page"),
        ('{"status": "ERROR", "message": "dataset not found"}', "a JSON message"),  # an API's error
        ("", "an empty file"),
    ],
)
def test_a_web_page_or_nothing_sent_for_a_file_without_checksum_is_not_kept(tmp_path, server, body, sent):
    """Without a checksum, such a download was cached as the data set (and download=True did not
    replace it)."""
    root, url = server
    write(root / "HIV.csv", body)
    home = tmp_path / "home"
    with pytest.raises(OSError, match=rf"{url}/HIV.csv sent {sent}, not HIV.csv; nothing was"):
        fetch_file(remote_for(url, None), home, download=True)
    assert not home.exists()


@pytest.mark.parametrize(
    "body",
    [
        "[Na+].[Cl-]\n[NH4+]\n",  # SMILES without a header that start with a bracket atom
        '{"smiles": "CCO", "y": 1}\n{"smiles": "CCN", "y": 0}\n',  # JSON Lines
        '<?xml version="1.0"?>\n<drugbank><drug><name>x</name></drug></drugbank>\n',  # XML data
        "<id>\tsmiles\n1\tCCO\n",  # a header whose first name starts with "<"
    ],
)
def test_data_that_starts_like_markup_or_json_is_kept(tmp_path, server, body):
    root, url = server
    write(root / "HIV.csv", body)
    with pytest.warns(UserWarning, match="no published checksum"):
        path = fetch_file(remote_for(url, None), tmp_path / "home", download=True)
    assert path.read_text() == body


def test_the_benchmark_says_the_sha256_of_a_download_without_one(tmp_path, server, monkeypatch):
    """It swallowed every loader warning: SBAP's only record of what was downloaded was lost."""
    from sklearn_ltdd.benchmark import run_benchmark

    root, url = server
    ligands = list(dict.fromkeys(load_solubility().data))[:100]
    body = "Drug\tTarget\tY\n" + "".join(f"{s}\tMKV\t{i % 2}\n" for i, s in enumerate(ligands))
    write(root / "sbap.tab", body)
    monkeypatch.setitem(REMOTE_FILES, "sbap", replace(REMOTE_FILES["sbap"], url=f"{url}/sbap.tab"))
    with pytest.warns(UserWarning) as record:
        run_benchmark("sbap", seeds=[0], methods=["fp_lr"], data_home=tmp_path / "home", download=True,
                      out_dir=tmp_path / "out")  # fmt: skip
    said = [str(warning.message) for warning in record]
    assert any(f"sha256={hashlib.sha256(body.encode()).hexdigest()}" in message for message in said)
    assert any("holds 100 rows, not the 32,140 of the paper's SBAP" in message for message in said)


class CutShort(QuietHandler):
    """Sends the start of a chunked body, then closes the connection."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"5\r\nsmile\r\n")
        self.close_connection = True


class Stalls(QuietHandler):
    """Sends nothing until the test ends."""

    def do_GET(self):
        self.server.released.wait(30)


@pytest.mark.parametrize(("handler", "error"), [(CutShort, "IncompleteRead"), (Stalls, "TimeoutError")])
def test_a_connection_cut_or_stalled_names_the_url(tmp_path, monkeypatch, handler, error):
    """A cut transfer raised http.client.IncompleteRead without the URL; a stalled server hung the
    load for ever (sklearn's download has no timeout)."""
    monkeypatch.setattr("sklearn_ltdd.datasets._fetch.DOWNLOAD_TIMEOUT_S", 0.2)
    monkeypatch.setattr("sklearn.datasets._base.time.sleep", lambda seconds: None)  # sklearn's retries
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.released = threading.Event()
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    home = tmp_path / "home"
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Retry downloading")
            with pytest.raises(OSError, match=rf"could not download {url}/HIV.csv \({error}.*copy the file"):
                fetch_file(remote_for(url, None), home, download=True)
    finally:
        httpd.released.set()
        httpd.shutdown()
        httpd.server_close()
    assert not home.exists() and socket.getdefaulttimeout() is None  # the user's setting is back


def test_downloads_in_two_threads_keep_the_timeout_and_give_it_back(tmp_path, monkeypatch):
    """The socket timeout is the process's: a download that ended restored it under another still
    running, whose retries then had none, and the last to end left it set for good."""
    seen = []

    def slow_download(url, folder, local_filename, sha256):
        seen.append(socket.getdefaulttimeout())
        time.sleep(0.2)  # the other thread starts and ends its own meanwhile, unless it waits
        seen.append(socket.getdefaulttimeout())
        return write(Path(folder) / local_filename, HIV_CSV)

    monkeypatch.setattr("sklearn_ltdd.datasets._fetch._sklearn_fetch_file", slow_download)
    monkeypatch.setattr("sklearn_ltdd.datasets._fetch.DOWNLOAD_TIMEOUT_S", 7.0)
    good = hashlib.sha256(HIV_CSV.encode()).hexdigest()
    threads = [threading.Thread(target=fetch_file, args=(remote_for("http://x", good), tmp_path / str(i)),
                                kwargs={"download": True}) for i in range(2)]  # fmt: skip
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert seen == [7.0] * 4 and socket.getdefaulttimeout() is None


def test_a_tls_connection_cut_is_a_download_failure_not_a_folder_one(tmp_path, monkeypatch):
    def cut(*args, **kwargs):
        raise ssl.SSLEOFError(8, "EOF occurred in violation of protocol")

    monkeypatch.setattr("sklearn_ltdd.datasets._fetch._sklearn_fetch_file", cut)
    with pytest.raises(OSError, match=r"could not download http://x/HIV.csv \(SSLEOFError: .*copy the file"):
        fetch_file(remote_for("http://x", None), tmp_path, download=True)


def test_an_interrupted_download_leaves_no_folders(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("sklearn_ltdd.datasets._fetch._sklearn_fetch_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fetch_file(remote_for("http://127.0.0.1:9", None), tmp_path / "home", download=True)
    assert not (tmp_path / "home").exists()


def test_a_folder_where_the_file_should_be_is_named(tmp_path):
    (tmp_path / "hiv" / "HIV.csv").mkdir(parents=True)
    with pytest.raises(
        IsADirectoryError, match=r"hiv.HIV\.csv is a folder, where the file HIV.csv should be"
    ):
        load_hiv(data_home=tmp_path)


def test_a_data_home_that_cannot_be_made_says_how_to_choose_another(tmp_path, monkeypatch):
    def refused(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refused)  # (the tests may run as root, whom modes do not stop)
    with pytest.raises(
        PermissionError, match=r"cannot make the data home .*home \(Permission denied\); .*data_home="
    ):
        get_data_home(tmp_path / "home")


def test_a_bad_sbap_download_says_to_delete_it(tmp_path):
    """SBAP has no published checksum, so a download cut short is found by its rows; the error
    said what was wrong but not that the cached file is the culprit."""
    path = write(tmp_path / "sbap" / "sbap.tab", "Drug\tTarget\tY\nCCO\tMKV\t1\nCCN\tMKV")
    with pytest.raises(ValueError, match=rf"If it is a download that went wrong, delete {path}"):
        load_sbap(data_home=tmp_path)
    with pytest.raises(ValueError) as error:  # a file the user names is theirs: no such advice
        load_sbap(path=path)
    assert "download=True" not in str(error.value)


def test_data_home_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_LTDD_DATA", str(tmp_path / "env"))
    assert get_data_home() == tmp_path / "env" and (tmp_path / "env").is_dir()
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")  # (Windows reads no HOME)
    monkeypatch.chdir(tmp_path)
    for nothing in ("", " ", "\t\n"):  # a variable set to nothing: the default (" " made a folder ' ' here)
        monkeypatch.setenv("SKLEARN_LTDD_DATA", nothing)
        assert get_data_home() == tmp_path / "home" / "sklearn_ltdd_data"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["env", "home"]


def test_real_hiv_and_uspto(shared_data):
    from rdkit import rdBase

    # RDKit 2024.9 refuses 7 of HIV's SMILES that RDKit 2024.3 and before read
    refused = 7 if tuple(map(int, rdBase.rdkitVersion.split(".")[:2])) >= (2024, 9) else 0
    with pytest.warns(UserWarning, match="7 of 41127 rows cannot be parsed") if refused else nullcontext():
        hiv = load_hiv(data_home=shared_data)
    assert len(hiv.invalid) == refused and len(hiv.data) == 41127 and hiv.target.sum() == 1443
    assert sha256_of(Path(hiv.filename)) == DOCUMENTED_HIV_SHA256
    with pytest.warns(UserWarning, match="repeat an earlier row"):
        uspto = load_uspto50k(data_home=shared_data)
    with pytest.warns(UserWarning, match="repeat an earlier row"):
        mapped = load_uspto50k(data_home=shared_data, mapping="rxnmapper", return_X_y=True)[0]
    graphs = SmilesGraphizer(reaction_mode="cgr").fit_transform(mapped[:2000])  # raises on any bad row
    assert len(graphs) == 2000 and graphs.num_node_features == 148
    assert np.bincount(uspto.target).tolist()[1:] == [
        15151,
        11896,
        5662,
        909,
        672,
        8237,
        4614,
        811,
        1834,
        230,
    ]


def test_a_file_in_place_that_is_not_the_documented_one_is_refused(tmp_path, monkeypatch):
    """A copy cut short (or an older release, a saved web page) was read as the data set: HIV cut
    to half its rows loaded with no more than the usual invalid-rows warning."""
    good = hashlib.sha256(HIV_CSV.encode()).hexdigest()
    monkeypatch.setitem(REMOTE_FILES, "hiv", replace(REMOTE_FILES["hiv"], sha256=good))
    path = write(tmp_path / "hiv" / "HIV.csv", HIV_CSV)
    with pytest.warns(UserWarning):  # the stand-in's invalid and repeated rows
        assert len(load_hiv(data_home=tmp_path).data) == 5
    cut = "\n".join(HIV_CSV.splitlines()[:4]) + "\n"
    path.write_text(cut)
    with pytest.raises(ValueError) as error:
        load_hiv(data_home=tmp_path)
    message = str(error.value)
    assert f"{path} is not the documented HIV.csv" in message
    assert hashlib.sha256(cut.encode()).hexdigest() in message and good in message
    assert "download=True" in message and "path=" in message
    with pytest.warns(UserWarning, match="cannot be parsed"):
        assert len(load_hiv(path=path).data) == 3  # another copy, read on purpose


def test_a_mapped_copy_made_again_is_read_though_its_bytes_differ(tmp_path, monkeypatch):
    """The rxnmapper copy has no URL: a user makes it, and a gzip of the same rows differs in its
    header, so its documented sha256 cannot be asked of it (its rows are checked instead)."""
    mapped = "mhn_index,id,class,rxn_smiles_mapped\n0,US1,1,[CH3:1][OH:2]>>[CH2:1]=[O:2]\n"
    folder = tmp_path / "uspto50k"
    folder.mkdir()
    with gzip.open(folder / "USPTO_50k_rxnmapper.csv.gz", "wt") as handle:
        handle.write(mapped)
    documented = replace(REMOTE_FILES["uspto50k_rxnmapper"], sha256="0" * 64)
    assert fetch_file(documented, tmp_path) == folder / "USPTO_50k_rxnmapper.csv.gz"


def test_a_missing_value_marker_among_word_labels_is_no_class(tmp_path):
    """Among numbers "NA" was refused; among words "NA", "n/a", "null" and "?" each became a class."""
    path = write(
        tmp_path / "words.csv", "smiles,label\nCCO,active\nCCC,inactive\nCCN,NA\nCCCC,n/a\nCCCCC,?\n"
    )
    with pytest.raises(
        ValueError,
        match=r"3 rows have no label but a missing-value marker, e\.g\. 'NA' \(data row 2, line 4\), 'n/a'",
    ):
        load_hiv(path=path)
    # "none" among words is a class as often as not ("no effect"); among numbers it is refused
    write(path, "smiles,label\nCCO,active\nCCC,none\n")
    assert load_hiv(path=path).target_names.tolist() == ["active", "none"]
    write(path, "smiles,label\nCCO,+\nCCC,-\n")  # active and inactive, as an Ames table writes them
    assert load_hiv(path=path).target.tolist() == ["+", "-"]
    # one class spelt two ways is two classes, said (it was silent)
    write(path, "smiles,label\nCCO,active\nCCC,Active\nCCN,inactive\n")
    with pytest.warns(UserWarning, match=r"labels \[\['active', 'Active'\]\] differ only in case"):
        assert load_hiv(path=path).target_names.tolist() == ["Active", "active", "inactive"]
    # in chemical notation case is meaning (a template's [C:1] aliphatic, [c:1] aromatic): not said
    write(path, "smiles,label\nCCO,[C:1]>>[C:1]O\nCCC,[c:1]>>[c:1]O\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_hiv(path=path).target_names) == 2
    # whole numbers written differently are one number each, said (they were merged silently)
    write(path, "smiles,label\nCCO,7\nCCN,007\nCCC,7.0\nCCCC,8\nCCCN,08\nCCCO,9\n")
    with pytest.warns(
        UserWarning, match=r"read as one number, \['7', '007', '7\.0'\] as 7; \['8', '08'\] as 8;"
    ):
        assert load_hiv(path=path).target.tolist() == [7, 7, 7, 8, 8, 9]
    # a float's or a sign's spelling is the same number, not said; SMILES without brackets keep case
    write(path, "smiles,label\nCCO,1\nCCN,1.0\nCCC,+1\nCCCC,0\nCCCN,-0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_hiv(path=path).target.tolist() == [1, 1, 1, 0, 0]
        write(path, "smiles,label\nCCO,c1ccccc1\nCCC,C1CCCCC1\n")  # benzene, cyclohexane
        assert len(load_hiv(path=path).target_names) == 2
    write(path, "smiles,label\nCCO,1\nCCC,None\n")
    with pytest.raises(ValueError, match=r"1 rows have no label but a missing-value marker, e\.g\. 'None'"):
        load_hiv(path=path)


def test_a_file_not_utf8_far_in_names_its_line_or_the_cell(tmp_path):
    """The offset said counted from the block pandas decoded, not from the file ("at byte 3" for a
    byte 30,000 in); a plain file's line is named (as the screen names it), a compressed file's cell."""
    rows = "".join(f"C{'C' * (i % 5)}O,0\n" for i in range(6000))
    text = f"smiles,HIV_active\n{rows}CCN,1 caf\xe9\n".encode("latin-1")
    (tmp_path / "latin.csv").write_bytes(text)
    with pytest.raises(
        ValueError, match=r"latin.csv is not UTF-8 text: line 6002 \(the header is line 1\) holds b'\\xe9'"
    ):
        load_hiv(path=tmp_path / "latin.csv")
    (tmp_path / "latin.csv.gz").write_bytes(gzip.compress(text))
    with pytest.raises(
        ValueError,
        match=r"latin.csv.gz is not UTF-8 text \(byte\(s\) b'\\xe9' in the cell '1 caf.'\); save it as",
    ):
        load_hiv(path=tmp_path / "latin.csv.gz")


def test_a_bad_row_is_named_by_its_line_too(tmp_path):
    """A bad label was named only by its data row, counted from 0 past the header and the blank
    lines pandas skips (a "data row 2" after two blank lines is line 6 of the file)."""
    path = write(tmp_path / "blank.csv", 'smiles,HIV_active\nCCO,0\n\n  \nCCN,1\n"C,C",0\nCCC,x\n')
    with pytest.raises(ValueError, match=r"but for 1 rows, e\.g\. 'x' \(data row 3, line 7\); remove"):
        load_hiv(path=path)
    # a stray quote is named by the line it opened on
    write(path, 'smiles,HIV_active\nCCO,0\n\nCCN,"1\nCCC,0\nCC,1"\nC,0\n')
    with pytest.raises(ValueError, match=r"'HIV_active' field of data row 1 \(line 4\) spans several lines"):
        load_hiv(path=path)
    write(path, "smiles,HIV_active\nCCO,0\n\nCCN,\nCC,1\n\n,1\n")
    with pytest.raises(ValueError, match=r"2 rows have an empty .*data rows \[1, 3\] \(lines \[4, 7\]\)\.$"):
        load_hiv(path=path)
    # past a stray quote's field of more than the csv module's 131,072 characters too
    write(path, 'smiles,HIV_active\nCCO,0\n\nCCN,"1\n' + "CCCCCCCCCC,0\n" * 20_000 + 'C,1"\nC,0\n')
    with pytest.raises(ValueError, match=r"'HIV_active' field of data row 1 \(line 4\) spans several lines"):
        load_hiv(path=path)
    # a line of an empty quoted field is a row, a line of a form feed too (pandas keeps both)
    write(path, 'smiles,HIV_active\n""\nCCO,0\n\x0c\nCC,x\n')
    with pytest.raises(ValueError, match=r"data rows \[0, 2\] \(lines \[2, 4\]\)"):
        load_hiv(path=path)
    # a compressed file's lines are not counted: the data row alone
    (tmp_path / "blank.csv.gz").write_bytes(gzip.compress(b"smiles,HIV_active\nCCO,0\n\nCCC,x\n"))
    with pytest.raises(ValueError, match=r"e\.g\. 'x' \(data row 1\); remove"):
        load_hiv(path=tmp_path / "blank.csv.gz")
    # in a tab-separated file a line of spaces is blank, but a tab is a row of two empty cells
    path = write(tmp_path / "blank.tsv", "smiles\tHIV_active\nCCO\t0\n  \nCCC\t1\n\t\n")
    with pytest.raises(ValueError, match=r"1 rows have an empty .*data rows \[2\] \(lines \[5\]\)\.$"):
        load_hiv(path=path)


def test_the_header_repeated_inside_a_file_is_named_as_such(tmp_path):
    """Two files joined end to end read as one whose label column holds its own name."""
    path = write(tmp_path / "joined.csv", "smiles,HIV_active\nCCO,0\nsmiles,HIV_active\nCCN,1\n")
    with pytest.raises(ValueError, match=r"'HIV_active' \(data row 1, line 3\) \(the header repeated inside"):
        load_hiv(path=path)
    write(path, "smiles,HIV_active\nCCO,0\nCCN,inactive\nCCC,1\n")  # a word, not the header
    with pytest.raises(ValueError, match=r"'inactive' \(data row 1, line 3\); remove"):
        load_hiv(path=path)


def test_a_header_name_with_a_space_is_its_name(tmp_path):
    """``smiles, HIV_active`` had no label column: "it has ['smiles', ' HIV_active']"."""
    path = write(tmp_path / "spaced.csv", "smiles, HIV_active\nCCO,0\nCCN,1\n")
    assert load_hiv(path=path).target.tolist() == [0, 1]
    # names that are blank are pandas' "Unnamed: i", as empty ones are (two were one name "" twice)
    write(path, "smiles,HIV_active,  ,   ,\nCCO,0,a,b,c\nCCN,1,d,e,f\n")
    frame = load_hiv(path=path, as_frame=True).frame
    assert list(frame.columns) == ["smiles", "HIV_active", "Unnamed: 2", "Unnamed: 3", "Unnamed: 4"]


def test_fetch_file_takes_a_remote_file_and_says_so():
    with pytest.raises(
        TypeError, match=r"remote must be a RemoteFile, e\.g\. REMOTE_FILES\['hiv'\], got str"
    ):
        fetch_file("hiv")


def test_a_utf16_file_and_a_stray_number_among_words_are_named(tmp_path):
    """A UTF-16 file (Excel's "Unicode text") was advised "iconv -f latin1", which made it worse; one
    number among 299 word labels was "numbers but for 299 rows", naming only the right ones."""
    (tmp_path / "u16.tsv").write_bytes("smiles\tHIV_active\nCCO\t0\nCCN\t1\n".encode("utf-16"))
    with pytest.raises(
        ValueError, match=r"u16.tsv is UTF-16 text, not UTF-8; convert it, e.g. iconv -f utf-16"
    ):
        load_hiv(path=tmp_path / "u16.tsv")
    # without a byte-order mark its NULs are UTF-8 too: every name was read interleaved with them
    for order in ("le", "be"):
        (tmp_path / "bare.csv").write_bytes("smiles,HIV_active\nCCO,0\n".encode(f"utf-16-{order}"))
        with pytest.raises(
            ValueError, match=f"NUL characters in its header .*without a byte-order mark.*-f utf-16{order} "
        ):
            load_hiv(path=tmp_path / "bare.csv")
        # an accent beyond ASCII: pandas fails first (it was "not UTF-8 ... iconv -f latin1", worse)
        (tmp_path / "accent.csv").write_bytes(
            "smiles,HIV_active,name\nCCO,0,\u00e9thanol\n".encode(f"utf-16-{order}")
        )
        with pytest.raises(
            ValueError, match=f"accent.csv is UTF-16 text without a byte-order mark .*-f utf-16{order} "
        ):
            load_hiv(path=tmp_path / "accent.csv")
    # compressed, the cell pandas failed on tells no byte order (it was guessed, wrongly)
    text = "smiles,HIV_active,name\nCCO,0,\u00e9thanol\n".encode("utf-16-le")
    (tmp_path / "accent.csv.gz").write_bytes(gzip.compress(text))
    with pytest.raises(ValueError, match=r"without a byte-order mark .*-f utf-16le \(or utf-16be\) "):
        load_hiv(path=tmp_path / "accent.csv.gz")
    # a stray NUL past the first bytes is no UTF-16 (it was an IndexError)
    (tmp_path / "nul.csv").write_bytes(b"smiles," + b"x" * 70 + b",la\x00bel\nCCO,1,0\n")
    with pytest.raises(
        ValueError, match=r"NUL characters in its header \('la\\x00bel'\), which text does not"
    ):
        load_hiv(path=tmp_path / "nul.csv")
    path = write(tmp_path / "words.csv", "smiles,label\nCCO,active\nCCN,inactive\nCCC,0\nCCCC,active\n")
    with pytest.raises(
        ValueError, match=r"the labels are words but for 1 rows, e\.g\. '0' \(data row 2, line 4\)"
    ):
        load_hiv(path=path)


def test_the_template_task_is_loaded_by_a_public_function(tmp_path):
    """The many-class task the README reports (335 and 676 templates) could be built only by the
    benchmark's private code, from a column no loader documented."""
    products = [f"C{'C' * i}O" for i in range(12)] + ["CCO"]  # CCO again: a second reaction made it
    templates = ["[C:1]>>T1"] * 6 + ["[C:1]>>T2"] * 4 + ["[C:1]>>T3"] * 2 + ["[C:1]>>T2"]
    path = write(tmp_path / "uspto.csv", pd.DataFrame({"prod_smiles": products, "reaction_smarts": templates})
                 .to_csv(index=False))  # fmt: skip
    kept = r"uspto.csv \(its rows of templates of 4 reactions or more, numbered from 0\): "
    with pytest.warns(UserWarning, match=kept + r"1 rows repeat an earlier row's molecule \(rows \[10\]\)"):
        data = load_uspto50k_templates(path=path, min_count=4, as_frame=True)
    assert data.target_names.tolist() == ["[C:1]>>T1", "[C:1]>>T2"]
    assert data.data.tolist() == [*products[:10], "CCO"] and data.duplicates.tolist() == [10]
    assert data.frame.index.tolist() == list(range(11))  # the kept rows, numbered as data is
    with pytest.raises(ValueError, match=r"no template has min_count=7 reactions \(the largest has 6\)"):
        load_uspto50k_templates(path=path, min_count=7)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match=rf"min_count must be a whole number of at least 1, got {bad}"):
            load_uspto50k_templates(path=path, min_count=bad)
    write(path, "prod_smiles,class\nCCO,1\n")
    with pytest.raises(ValueError, match=r"has no template \(reaction_smarts, MHN-react's\) column"):
        load_uspto50k_templates(path=path)


def test_the_real_template_tasks_have_the_classes_the_readme_reports(shared_data):
    for least, n_classes in ((20, 335), (10, 676)):
        with pytest.warns(UserWarning, match="repeat an earlier row's molecule"):
            data = load_uspto50k_templates(data_home=shared_data, min_count=least)
        assert len(data.target_names) == n_classes and not data.invalid
