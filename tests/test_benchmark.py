"""The benchmark command and the fingerprint baselines, on the embedded data."""

import gzip
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sklearn import config_context

from sklearn_ltdd import LTDDClassifier
from sklearn_ltdd.benchmark import _run, make_fingerprint_model, paper_table, run_benchmark, tune_threshold
from sklearn_ltdd.benchmark.__main__ import main
from sklearn_ltdd.benchmark._methods import paper_interval
from sklearn_ltdd.benchmark._results_file import code_version, data_id, machine
from sklearn_ltdd.benchmark._run import SplitError
from sklearn_ltdd.benchmark._tasks import as_text
from sklearn_ltdd.datasets import load_solubility
from sklearn_ltdd.featurize import InvalidSmilesError, MorganFingerprint
from sklearn_ltdd.metrics import balanced_accuracy_score
from sklearn_ltdd.model_selection import imdrug_split

# small stand-ins are written where the benchmark files live
pytestmark = pytest.mark.usefixtures("stand_in_data_files")
DATA = "5f1d0c2a9b8e7d6c"  # a data set's id in the results files


def test_difference_fingerprint_is_product_minus_reactants():
    fp = MorganFingerprint(counts=True, n_bits=256)
    reactants, product = fp.fit_transform(["CC(=O)O.OCC"])[0], fp.fit_transform(["CC(=O)OCC"])[0]
    diff = MorganFingerprint(n_bits=256, reaction_mode="difference").fit_transform(["CC(=O)O.OCC>>CC(=O)OCC"])
    np.testing.assert_array_equal(diff[0], product.astype(int) - reactants.astype(int))
    with pytest.raises(InvalidSmilesError) as error:
        MorganFingerprint(reaction_mode="difference").fit_transform(["CCO>>CC=O", "CCO", "CCO>>C1CC"])
    assert sorted(error.value.bad_rows) == [1, 2]


def test_fingerprint_models_learn_reaction_types():
    reactions = ["CC(=O)O.OCC>>CC(=O)OCC", "CCC(=O)O.OC>>CCC(=O)OC", "CCO>>CC=O", "CCCO>>CCC=O"] * 5
    y = ["ester", "ester", "oxidation", "oxidation"] * 5
    for model in ("lr", "rf"):  # (gradient boosting needs more than 20 samples to split)
        fitted = make_fingerprint_model(model, reaction=True, random_state=0).fit(reactions, y)
        assert fitted.predict(["CCCCC(=O)O.OCC>>CCCCC(=O)OCC", "CCCCO>>CCCC=O"]).tolist() == [
            "ester",
            "oxidation",
        ]
    hgb = make_fingerprint_model("hgb")
    assert hgb[-1].class_weight == "balanced" and type(hgb[0]).__name__ == "MorganFingerprint"
    with pytest.raises(ValueError, match="model must be one of"):
        make_fingerprint_model("svm")


def test_tune_threshold_maximises_validation_balanced_accuracy():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(200), np.ones(20)].astype(int)
    p = np.r_[rng.uniform(0, 0.6, 200), rng.uniform(0.2, 0.5, 20)]
    t = tune_threshold(y, p)
    best = balanced_accuracy_score(y, (p > t).astype(int))
    for other in np.linspace(0, 1, 101):
        assert balanced_accuracy_score(y, (p > other).astype(int)) <= best + 1e-12
    assert best > balanced_accuracy_score(y, (p > 0.5).astype(int))


@given(
    st.lists(st.tuples(st.booleans(), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.7, 1.0, np.nextafter(0.5, 1)])
                       | st.floats(0, 1)),
             min_size=2, max_size=40)
)  # fmt: skip
def test_tune_threshold_is_the_best_of_every_cut_scored_one_by_one(rows):
    y, p = (np.array(column) for column in zip(*rows, strict=True))
    assume(y.any() and not y.all())
    for probabilities in (p, p.astype(np.float32)):  # (float32's midpoints round onto its values)
        points = np.unique(probabilities)
        # the k-th cut predicts class 1 from points[k] up; the best BA, the first of equals
        scores = [balanced_accuracy_score(y, probabilities >= cut) for cut in [*points, np.inf]]
        threshold = tune_threshold(y, probabilities)
        assert balanced_accuracy_score(y, probabilities > threshold) == max(scores)
        best = int(np.argmax(scores))
        assert (points[best - 1] if best else -np.inf) <= threshold < (np.r_[points, np.inf][best])
    # a midpoint between distinct points is kept, as before
    assert tune_threshold([0, 0, 1, 1], [0.1, 0.3, 0.35, 0.9]) == pytest.approx(0.325)


def test_tune_threshold_refuses_labels_other_than_0_and_1_and_missing_probabilities():
    """Labels 1 and 2 were scored against predictions 0 and 1: every threshold predicted class 1."""
    p = [0.1, 0.3, 0.35, 0.9]
    for y, got in (([1, 1, 2, 2], r"\[1, 2\]"), ([-1, -1, 1, 1], r"\[-1, 1\]")):
        with pytest.raises(ValueError, match=rf"must hold the classes 0 and 1 .* got the labels {got}"):
            tune_threshold(y, p[: len(y)])
    # empty (it said "must hold the classes 0 and 1"), of other lengths (sklearn's message named
    # neither), predict_proba's two columns (it blamed y), scores of another scale (a threshold of 3.55)
    with pytest.raises(ValueError, match=r"y_valid and p_valid are empty"):
        tune_threshold([], [])
    with pytest.raises(ValueError, match=r"^y_valid has 3 labels but p_valid has 2 probabilities\.$"):
        tune_threshold([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"shape \(2, 2\): of predict_proba's output give .* proba\[:, 1\]"):
        tune_threshold([0, 1], [[0.1, 0.9], [0.3, 0.7]])
    with pytest.raises(
        ValueError, match=r"in \[0, 1\]; got values from np.float64\(0.1\) to np.float64\(7.0\)\."
    ):
        tune_threshold([0, 1], [0.1, 7])
    # a probability's last bits past 1 (an ensemble's weighted mean of ones), in float32 too, are one
    for p in ([0.1, 0.3, 0.35, np.nextafter(1.0, 2)], np.float32([0.1, 0.3, 0.35, 1.0000001])):
        assert tune_threshold([0, 0, 1, 1], p) == pytest.approx(0.325)
    with pytest.warns(UserWarning, match="only the class 0: no threshold balances two classes; 0.5 is kept"):
        assert tune_threshold([0, 0, 0, 0], p) == 0.5  # a benchmark's run goes on
    with pytest.raises(ValueError, match="finite probabilities"):
        tune_threshold([0, 0, 1, 1], [0.1, np.nan, 0.35, 0.9])
    assert tune_threshold([False, False, True, True], p) == tune_threshold([0, 0, 1, 1], p)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        # the function's errors, each named by its flag as argparse's own are
        (["--seeds", "-1"], "argument --seeds: seeds are numpy seeds, from 0 to 2\\*\\*32 - 1; got -1"),
        (["--epochs", "-5"], "argument --epochs: epochs must be an integer of at least 1, got -5"),
        (["--warmup", "-1"], "argument --warmup: warmup must be an integer of at least 0"),
        (["--update-every", "0"], "argument --update-every: update_every must be an integer of at least 1"),
        (["--n-jobs", "0"], "argument --n-jobs: give a positive number of processes or -1, -2, .*got '0'"),
        (["--seeds", "0", "0"], r"argument --seeds: seeds \[0\] given more than once"),
        (["--methods", "ltdd", "--epochs", "20", "--warmup", "20"], r"\['ltdd'\] follow the paper's"),
        (["--methods", "defaults", "--epochs", "3"], r"\['defaults'\] follow the package's schedule"),
        (["--reaction-mode", "cgr"], "argument --reaction-mode: reaction_mode='cgr' applies to the reaction"),
        (["--device", "gpu"], "argument --device: device='gpu' is not a device torch knows"),
        # a device no graph method uses: a typo all the same
        (["--methods", "fp_lr", "--device", "tpu"], "argument --device: device='tpu' is not a device torch"),
        (["--methods", "fp_lr", "--device", "mps"], "argument --device: device='mps' is not supported"),
        (["--verbose", "5"], r"argument --verbose: invalid choice: 5"),
        (["--out", ""], r"--out is empty; name a path \('\.' for the working folder\)"),  # an unset variable
    ],
)
def test_the_command_names_a_bad_value_before_any_work(given, message, tmp_path, capsys):
    out = tmp_path / "bench"
    with pytest.raises(SystemExit) as exit_:
        main(["--dataset", "solubility", "--methods", "ce", "--out", str(out), *given])
    assert exit_.value.code == 2
    assert re.search(f"benchmark: error: {message}", capsys.readouterr().err)
    assert not out.exists()  # nothing loaded, featurised or written


def test_the_command_gives_the_run_what_it_was_told_and_the_papers_defaults(monkeypatch, tmp_path):
    """Each flag reaches run_benchmark as itself (--warmup and --update-every are both numbers of
    epochs: swapped, nothing would be refused), and without flags the run is the paper's Table 2:
    its three seeds, its baselines and LTDD beside the fingerprint models, its 300 epochs."""
    from sklearn_ltdd.classifier import PAPER_PROTOCOL

    told = []

    def recorded(dataset, **settings):
        told.append({"dataset": dataset, **settings})
        raise KeyboardInterrupt  # (the command then exits 130)

    monkeypatch.setattr(_run, "run_benchmark", recorded)
    out = str(tmp_path / "bench")
    for argv in (["--dataset", "solubility", "--epochs", "30", "--warmup", "2", "--update-every", "5",
                  "--seeds", "4", "7", "--methods", "ltdd", "fp_lr", "--split", "random", "--out", out],
                 ["--out", out]):  # fmt: skip
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 130
    given, default = told
    flags = ("dataset", "epochs", "warmup", "update_every", "seeds", "methods")
    assert {key: given[key] for key in flags} == {
        "dataset": "solubility", "epochs": 30, "warmup": 2, "update_every": 5, "seeds": [4, 7],
        "methods": ["ltdd", "fp_lr"],
    }  # fmt: skip
    assert given["split"] == "random" and given["out_dir"] == out
    assert default["dataset"] == "hiv" and default["seeds"] == [0, 1, 2] and default["split"] == "standard"
    assert default["methods"] == ["ce", "cs", "bs", "ltdd", "fp_lr", "fp_hgb"]
    assert default["epochs"] is None and _run.PAPER_EPOCHS == PAPER_PROTOCOL["max_epochs"] == 300


def test_the_fingerprint_models_are_the_documented_ones():
    """Radius 2, 2,048 bits, class-balanced weights, 200 trees, and the seed reaches what draws."""
    lr, rf, hgb = (make_fingerprint_model(name, random_state=3) for name in ("lr", "rf", "hgb"))
    for pipeline in (lr, rf, hgb):
        fingerprint = pipeline[0]
        assert (fingerprint.radius, fingerprint.n_bits, fingerprint.reaction_mode) == (2, 2048, None)
    assert lr[-1].class_weight == hgb[-1].class_weight == "balanced"
    assert (rf[-1].n_estimators, rf[-1].class_weight, rf[-1].random_state) == (200, "balanced_subsample", 3)
    assert hgb[-1].random_state == 3
    assert make_fingerprint_model("lr", reaction=True)[0].reaction_mode == "difference"


def test_what_only_the_run_finds_is_said_without_a_traceback(tmp_path, capsys):
    out = tmp_path / "bench"
    with pytest.raises(SystemExit) as exit_:
        main(["--methods", "fp_lr", "--data-home", str(tmp_path / "none"), "--out", str(out)])
    assert exit_.value.code == 2
    assert re.search(r"benchmark: error: .*HIV.csv not found", capsys.readouterr().err)
    assert not out.exists()  # a run that found no data leaves no empty results folder behind
    out.write_text("")
    with pytest.raises(SystemExit) as exit_:
        main(["--dataset", "solubility", "--methods", "fp_lr", "--out", str(out)])
    assert exit_.value.code == 2
    assert re.search(r"benchmark: error: out_dir \(--out\) '.*bench' is a file", capsys.readouterr().err)
    saved_page = tmp_path / "data" / "hiv" / "HIV.csv"  # a web page saved in the data's place
    saved_page.parent.mkdir(parents=True)
    saved_page.write_text("<html><body>Rate limit exceeded</body></html>\n")
    with pytest.raises(SystemExit) as exit_:  # was a traceback
        main(["--methods", "fp_lr", "--data-home", str(tmp_path / "data"), "--out", str(tmp_path / "b2")])
    assert exit_.value.code == 2
    assert re.search(r"benchmark: error: .*HIV.csv holds no data rows", capsys.readouterr().err)


def test_a_data_set_the_split_cannot_cut_is_said_before_anything_is_written(tmp_path, capsys):
    folder = tmp_path / "data" / "hiv"
    folder.mkdir(parents=True)
    smiles = ["C" * n for n in range(1, 41)]  # two actives: a class of 2 cannot be in 3 parts
    pd.DataFrame({"smiles": smiles, "HIV_active": [1, 1] + [0] * 38}).to_csv(folder / "HIV.csv", index=False)
    out = tmp_path / "bench"
    with pytest.raises(SystemExit) as exit_:
        main(["--methods", "fp_lr", "--seeds", "0", "--data-home", str(tmp_path / "data"), "--out", str(out)])
    assert exit_.value.code == 2
    message = capsys.readouterr().err
    assert re.search(r"error: hiv, 'standard' split, seed 0: classes \[1\] have no sample in the", message)
    assert message.rstrip().endswith("(--seeds gives the random_state, --split the split)")
    assert not out.exists()
    # a table of one class: said, not a traceback from the first fit after the folder was made
    table = tmp_path / "one.csv"
    for label, shown in (("x", "'x'"), (1, "1")):  # (a number as the user wrote it, not np.int64(1))
        pd.DataFrame({"smiles": smiles, "label": [label] * 40}).to_csv(table, index=False)
        with pytest.raises(SystemExit) as exit_:
            main(["--dataset", str(table), "--methods", "fp_lr", "--seeds", "0", "--out", str(out)])
        assert exit_.value.code == 2 and not out.exists()
        said = capsys.readouterr().err
        assert f"error: one holds one class ({shown}); a classifier needs at least two." in said
    # advice of a split's fractions, which the benchmark has no way to set, is not given
    pd.DataFrame({"smiles": smiles[:3], "label": [1, 0, 1]}).to_csv(table, index=False)
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "--dataset",
                str(table),
                "--split",
                "random",
                "--methods",
                "fp_lr",
                "--seeds",
                "0",
                "--out",
                str(out),
            ]
        )
    said = capsys.readouterr().err
    assert exit_.value.code == 2 and "the validation part of the 'random' split is empty" in said
    assert (
        "Use larger classes (the 'standard' split cannot" in said and "fraction" not in said.split("Use")[-1]
    )


def test_an_out_that_cannot_be_made_is_said_in_sentences(tmp_path, capsys):
    """The note read into the error's path: "No such file or directory: '/x' out_dir (--out) ..."."""
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "runs"
    with pytest.raises(SystemExit) as exit_:
        main(["--dataset", "solubility", "--methods", "fp_lr", "--seeds", "0", "--out", str(out)])
    assert exit_.value.code == 2
    said = capsys.readouterr().err
    assert said.endswith(f"Not a directory: '{out}'. out_dir (--out) '{out}' cannot be made a folder.\n")


def test_a_commands_error_is_followed_by_its_notes_as_sentences():
    from sklearn_ltdd._cli import with_notes

    error = ValueError("unused")
    assert with_notes("is it whole?", error) == "is it whole?"  # no note: as it is
    error.add_note("The rows scored are kept.")
    assert (
        with_notes("[Errno 2] No such file: '/x'", error)
        == "[Errno 2] No such file: '/x'. The rows scored are kept."
    )
    for ended in (
        "is it complete, and the file it should be?",
        "rows 1, 2, 3...",
        "said.",
    ):  # (it was "be?.")
        assert with_notes(ended, error) == f"{ended} The rows scored are kept."


def test_an_interrupted_benchmark_says_it_resumes(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_run, "run_benchmark", interrupted)
    with pytest.raises(SystemExit) as exit_:
        main(["--dataset", "solubility", "--methods", "fp_lr", "--out", str(tmp_path)])
    assert exit_.value.code == 130
    assert "interrupted; the runs that finished are kept in" in capsys.readouterr().err
    # while its code loads, before a run (it was Python's traceback)
    monkeypatch.setattr(_run, "check_arguments", interrupted)
    with pytest.raises(SystemExit) as exit_:
        main(["--dataset", "solubility", "--methods", "fp_lr", "--out", str(tmp_path)])
    assert (
        exit_.value.code == 130
        and capsys.readouterr().err == "python -m sklearn_ltdd.benchmark: interrupted.\n"
    )


def test_a_run_whose_training_was_interrupted_is_not_written_as_done(tmp_path, monkeypatch):
    from sklearn_ltdd.classifier._net import LTDDNet

    train_step = LTDDNet.train_step

    def interrupted(self, batch, **fit_params):
        if len(self.history) == 2:  # Ctrl-C in the second epoch ...
            raise KeyboardInterrupt  # ... which skorch's loop takes for the end of training
        return train_step(self, batch, **fit_params)

    monkeypatch.setattr(LTDDNet, "train_step", interrupted)
    with pytest.raises(KeyboardInterrupt, match="interrupted"):
        run_benchmark("solubility", seeds=[0], methods=["ce"], epochs=3, out_dir=tmp_path)
    assert not (tmp_path / "solubility-standard.jsonl").exists()
    monkeypatch.setattr(LTDDNet, "train_step", train_step)
    run_benchmark("solubility", seeds=[0], methods=["ce"], epochs=3, out_dir=tmp_path)  # the run, again
    assert len((tmp_path / "solubility-standard.jsonl").read_text().splitlines()) == 1


def test_fingerprint_methods_run_whatever_sklearn_s_transform_output(tmp_path):
    # a DataFrame of fingerprints, which sklearn's "pandas" output made, read [train] as columns
    expected = run_benchmark("solubility", seeds=[0], methods=["fp_lr"], out_dir=tmp_path / "default")
    with config_context(transform_output="pandas"):
        runs = run_benchmark("solubility", seeds=[0], methods=["fp_lr"], out_dir=tmp_path / "pandas")
    assert runs[["BA", "BF1"]].to_numpy().tolist() == expected[["BA", "BF1"]].to_numpy().tolist()


def test_a_file_of_the_user_s_where_a_table_goes_is_not_overwritten(tmp_path):
    """A table of one's own, assay.csv, beside one's assay-standard.csv: the summary replaced it."""
    mine = tmp_path / "solubility-standard.csv"
    mine.write_text("smiles,y\nCCO,1\n")
    with pytest.raises(FileExistsError, match=r"solubility-standard.csv is not a table of this benchmark's"):
        run_benchmark("solubility", seeds=[0], methods=["fp_lr"], out_dir=tmp_path)
    assert mine.read_text() == "smiles,y\nCCO,1\n" and not (tmp_path / "solubility-standard.jsonl").exists()
    mine.unlink()
    run_benchmark("solubility", seeds=[0], methods=["fp_lr"], out_dir=tmp_path)
    (tmp_path / "solubility-standard.md").write_text("my notes\n")
    with pytest.raises(FileExistsError, match=r"solubility-standard.md is not a table of this benchmark's"):
        run_benchmark("solubility", seeds=[0, 1], methods=["fp_lr"], out_dir=tmp_path)
    (tmp_path / "solubility-standard.md").write_text("")  # as a write cut short left it: its own, rewritten
    run_benchmark("solubility", seeds=[0, 1], methods=["fp_lr"], out_dir=tmp_path)
    assert (tmp_path / "solubility-standard.md").read_text().startswith("### solubility, standard split")
    (tmp_path / "gone").symlink_to(tmp_path / "nothing")
    with pytest.raises(
        NotADirectoryError, match=r"out_dir .*gone' is a link to .*nothing', which does not exist"
    ):
        run_benchmark("solubility", seeds=[0], methods=["fp_lr"], out_dir=tmp_path / "gone")


def test_a_results_file_that_lost_its_last_line_break_gets_the_next_run_on_a_line_of_its_own(tmp_path):
    run_benchmark("solubility", seeds=[0], methods=["fp_lr"], out_dir=tmp_path)
    log = tmp_path / "solubility-standard.jsonl"
    log.write_text(log.read_text().rstrip("\n"))  # as an editor may save it
    runs = run_benchmark("solubility", seeds=[0, 1], methods=["fp_lr"], out_dir=tmp_path)
    assert sorted(runs["seed"]) == [0, 1]
    assert [json.loads(line)["seed"] for line in log.read_text().splitlines()] == [0, 1]


def test_sbap_says_that_its_pairs_are_classified_by_their_ligands_alone(tmp_path, capsys):
    folder = tmp_path / "data" / "sbap"
    folder.mkdir(parents=True)
    ligands = list(dict.fromkeys(load_solubility().data))[:100]
    rows = [
        f"{smiles}\t{protein}\t{label}"
        for smiles in ligands
        for protein, label in (("MKTAY", 1), ("MSDNG", 0))
    ]
    (folder / "sbap.tab").write_text("Drug\tTarget\tY\n" + "\n".join(rows) + "\n")
    with pytest.warns(
        UserWarning, match="holds 200 rows, not the 32,140 of the paper's SBAP"
    ):  # said, not swallowed
        runs = run_benchmark(
            "sbap", seeds=[0], methods=["fp_lr"], data_home=tmp_path / "data", out_dir=tmp_path
        )
    assert (
        "sbap: each (ligand, protein) pair is classified by its ligand's SMILES alone"
        in capsys.readouterr().out
    )
    assert runs["BA"].iloc[0] <= 0.6  # the label is the protein's: from the ligand it is a coin toss


def test_a_binary_tasks_threshold_is_tuned_on_the_labels_its_probabilities_are_of(tmp_path, monkeypatch):
    """The validation-tuned threshold is on P(class 1): tuned against class 0's labels it would be
    a threshold for the wrong class, and the thr_ scores meaningless."""
    data = load_solubility()
    table = tmp_path / "soluble.csv"
    pd.DataFrame({"smiles": data.data, "label": np.where(data.target == "high", "yes", "no")}).to_csv(table)
    tuned = []
    monkeypatch.setattr(_run, "tune_threshold", lambda y, p: tuned.append((y, p)) or tune_threshold(y, p))
    runs = run_benchmark(str(table), split="random", seeds=[0], methods=["fp_lr"], out_dir=tmp_path)
    ((positive, p_yes),) = tuned  # positive: the rows labelled "yes", classes_[1]
    assert p_yes[positive].mean() > p_yes[~positive].mean() + 0.2  # (a model that learned)
    assert runs["threshold"].tolist() == [tune_threshold(positive, p_yes)]
    assert 0.5 < runs["thr_BA"].iloc[0] <= 1


def test_a_classifier_rows_scores_are_of_its_own_predictions_and_schedule(tmp_path, monkeypatch):
    """A row's BA is that of the classifier's predict (the logit-adjusted decision, τ chosen on
    validation), and its schedule the package's, not the paper rows' warm-up and interval, which
    the paper rows train with and record."""
    fitted, fit = [], LTDDClassifier.fit

    def recorded(self, *args, **kwargs):
        fitted.append(self)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(LTDDClassifier, "fit", recorded)
    data = load_solubility()
    runs = run_benchmark("solubility", seeds=[2], methods=["ltdd", "defaults"], epochs=12, warmup=1,
                         update_every=2, device="cpu", out_dir=tmp_path)  # fmt: skip
    paper, defaults = fitted
    assert (paper.schedule.warmup_epochs, paper.schedule.update_every, defaults.schedule) == (1, 2, None)
    assert runs.set_index("method").loc["ltdd", ["warmup", "update_every"]].tolist() == [1, 2]
    assert defaults.logit_adjustment_ > 0  # (seed 2's τ: else its predict would be the argmax)
    _, _, test = imdrug_split(data.target, "standard", random_state=2)  # (the set's default split)
    predicted = defaults.predict(data.data[test])
    row = runs.set_index("method").loc["defaults"]
    assert row["BA"] == pytest.approx(balanced_accuracy_score(data.target[test], predicted))


def test_the_paper_interval_is_a_thirtieth_of_the_epochs_rounded_at_least_one():
    assert [paper_interval(epochs) for epochs in (None, 1, 29, 44, 45, 50, 300)] == [1, 1, 1, 1, 2, 2, 10]


def test_a_score_a_task_has_not_is_null_in_strict_json(tmp_path):
    from sklearn_ltdd.benchmark._results_file import json_row

    row = json_row({"BA": np.float32(0.5), "BA_tail": np.float64("nan"), "n": np.int64(3), "method": "ce",
                    "graphs_per_s": float("inf")})  # fmt: skip
    assert json.dumps(row, allow_nan=False) == (
        '{"BA": 0.5, "BA_tail": null, "n": 3, "method": "ce", "graphs_per_s": null}'
    )


def test_benchmark_runs_resumes_and_writes_tables(tmp_path, capsys):
    out = tmp_path / "bench"
    argv = ["--dataset", "solubility", "--split", "random", "--seeds", "0", "1", "--methods", "ce", "fp_lr",
            "--epochs", "2", "--out", str(out)]  # fmt: skip
    main(argv)
    lines = (out / "solubility-random.jsonl").read_text().splitlines()
    runs = [json.loads(line) for line in lines]
    assert sorted((r["method"], r["seed"]) for r in runs) == [
        ("ce", 0),
        ("ce", 1),
        ("fp_lr", 0),
        ("fp_lr", 1),
    ]
    assert all(0 <= r["BA"] <= 1 and 0 <= r["BA_tail"] <= 1 and r["seconds"] > 0 for r in runs)
    assert all(r["reaction_mode"] is None and r["warmup"] is None for r in runs)  # molecules; no schedule
    assert {r["data"] for r in runs} == {data_id(*load_solubility(return_X_y=True))}
    assert {r["code"] for r in runs} == {code_version()}
    # the baselines train as the paper does, keeping the best epoch (their rows said the mean)
    assert {r["method"]: r["kept"] for r in runs} == {"ce": "best", "fp_lr": None}
    for r in runs:  # graphs/s counts the graphs trained on: each epoch every training graph but
        if r["method"] == "fp_lr":  # a last batch of one, which BatchNorm cannot train on
            assert r["graphs_per_s"] is None
        else:
            per_epoch = r["n_train"] - (r["n_train"] % 128 == 1)
            assert r["graphs_per_s"] * r["seconds"] == pytest.approx(2 * per_epoch)
    table = (out / "solubility-random.md").read_text()
    assert "| fp_lr | – | 2 |" in table and "| ce | 2 | 2 |" in table
    printed = capsys.readouterr().out
    assert "seed 1 fp_lr: BA" in printed
    main(argv)  # everything is there already: nothing re-runs, and it says so
    assert (out / "solubility-random.jsonl").read_text().splitlines() == lines
    assert "4 of these runs are there already" in capsys.readouterr().out
    # a count of seeds, as ImDrugSplit takes: seeds 0 and 1, there already
    counted = run_benchmark("solubility", split="random", seeds=2, methods=["ce", "fp_lr"], epochs=2,
                            out_dir=out)  # fmt: skip
    assert sorted(set(counted["seed"])) == [0, 1] and "4 of these runs" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown methods"):
        run_benchmark("solubility", methods=["svm"], out_dir=out)
    with pytest.raises(ValueError, match="applies to the reaction data sets"):
        run_benchmark("solubility", methods=["fp_lr"], reaction_mode="pair", out_dir=out)
    with pytest.raises(ValueError, match=r"warm-up is 10 epochs: .*\(epochs=11 or more; --epochs 11 on"):
        run_benchmark("solubility", methods=["ce", "defaults"], epochs=3, out_dir=out)


@pytest.mark.parametrize(
    ("argument", "message"),
    [({"dataset": "tox21"}, r"unknown dataset 'tox21'; choose from \['hiv', "),
     ({"dataset": ""}, r"unknown dataset ''; choose from \['hiv', "),  # not "name a path ('.' ...)"
     ({"dataset": "USPTO50k", "reaction_mode": "cgr"}, "unknown dataset 'USPTO50k'"),  # not "holds molecules"
     ({"split": "scaffold"}, r"split must be one of \['random', 'standard'\] or None .*got 'scaffold'"),
     ({"device": "cuda:99"}, "device='cuda:99' was requested but"),
     ({"dataset": "uspto50k", "reaction_mode": "foo"}, r"reaction_mode must be one of \['products', "),  # ran
     ({"methods": "ce"}, r"a list of method names, e.g. \['ce'\], not a string"),  # was "unknown ['c', 'e']"
     ({"methods": b"ce"}, r"a list of method names, got a bytes"),  # was "unknown methods [99, 101]"
     ({"methods": None}, r"a list of method names, got a NoneType"),  # was "not iterable"
     ({"methods": [1]}, r"a list of method names, got \[1\]"),
     ({"methods": iter(["ce"])}, r"a list of method names, got a list_iterator"),  # (ran nothing)
     ({"methods": ["ce", "ib", "decoupling"], "epochs": 1},  # (trained ce, then a traceback: max_epochs)
      r"\['ib', 'decoupling'\] train in two phases, .*\(epochs=2; --epochs 2 on the command line\)")],
)  # fmt: skip
def test_a_bad_argument_is_refused_before_data_is_loaded_or_a_folder_made(
    argument, message, tmp_path, monkeypatch
):
    monkeypatch.setattr(_run, "load_task", lambda *args, **kwargs: pytest.fail("loaded the data first"))
    arguments = {"dataset": "solubility", "seeds": [0], "methods": ["ce"], "epochs": 2, **argument}
    with pytest.raises((ValueError, TypeError), match=message):
        run_benchmark(arguments.pop("dataset"), **arguments, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_paper_table_names_the_data_sets_and_splits_it_has():
    """A split spelt 'Standard' gave an empty table; 'HIV' a bare KeyError."""
    assert paper_table("hiv").loc["LTDD", "BA"] == 77.63
    with pytest.raises(ValueError, match=r"has the splits \['random', 'standard'\], not 'Standard'"):
        paper_table("hiv", "Standard")
    for dataset in ("HIV", "solubility"):
        with pytest.raises(
            ValueError, match=rf"has the data sets \['hiv', 'sbap', 'uspto50k'\], not '{dataset}'"
        ):
            paper_table(dataset)


def test_a_rerun_with_another_schedule_is_refused_not_skipped(tmp_path, capsys):
    from sklearn_ltdd.benchmark._methods import schedule_of
    from sklearn_ltdd.benchmark._results_file import check_data, done_runs

    log = tmp_path / "hiv-standard.jsonl"
    old = {"method": "ltdd", "seed": 0, "epochs": 30}  # written before the schedule was recorded
    log.write_text(json.dumps(old) + "\n" + json.dumps({**old, "seed": 1, "warmup": 2, "update_every": 1}))
    paper = {"warmup": 1, "update_every": 1}  # 30 epochs: the paper's 10 of 300
    with pytest.raises(ValueError, match=r"with \{'warmup': 2, 'update_every': 1\}, not"):
        done_runs(log, ["ltdd"], [0, 1], 30, paper)
    log.write_text(json.dumps(old) + "\n")
    assert done_runs(log, ["ltdd", "ce"], [0, 1], 30, paper) == {("ltdd", 0)}
    assert done_runs(log, ["ltdd"], [1], 30, paper) == set()  # only the seeds asked for
    assert done_runs(log, ["ltdd"], [0], 60, paper) == set()  # other epochs: runs of their own
    with pytest.raises(ValueError, match="another folder"):
        done_runs(log, ["ltdd"], [0], 30, {"warmup": 3, "update_every": 1})
    # runs on other data (a subset of the file, say) are neither resumed nor averaged in: refused
    log.write_text(json.dumps({**old, "data": DATA}) + "\n" + json.dumps(old) + "\n")
    check_data(log, DATA)  # (a row written before the data was recorded: unknown, taken)
    log.write_text(json.dumps({**old, "data": "0123", "n_train": 288}) + "\n")
    with pytest.raises(ValueError, match=r"holds runs on other data \(ltdd, seed 0: data 0123, 288 training"):
        check_data(log, DATA)
    # the command refuses them before it says that it resumes them
    other = {"method": "fp_lr", "seed": 0, "epochs": None, "kept": None, "data": "0123"}
    (tmp_path / "solubility-random.jsonl").write_text(json.dumps(other) + "\n")
    with pytest.raises(ValueError, match="holds runs on other data"):
        run_benchmark("solubility", split="random", seeds=[0], methods=["fp_lr"], out_dir=tmp_path)
    assert "there already" not in capsys.readouterr().out
    # nor runs of another split or (a graph model's) reaction mode, which share the data's id
    log.write_text(json.dumps({**old, "data": DATA, "split": "random"}) + "\n")
    with pytest.raises(
        ValueError, match=r"holds a run of another split \(ltdd, seed 0: 'random'; these are 'st"
    ):
        check_data(log, DATA, "standard")
    check_data(log, DATA, "random")
    for method, mode, refused in (("ltdd", "products", True), ("fp_lr", "difference-fp", False)):
        log.write_text(json.dumps({**old, "method": method, "data": DATA, "reaction_mode": mode}) + "\n")
        if refused:
            with pytest.raises(ValueError, match=r"another reaction mode \(ltdd, seed 0: 'products'; these"):
                check_data(log, DATA, reaction_mode="pair")
        else:  # a fingerprint reads the reaction whatever the graphs' mode
            check_data(log, DATA, reaction_mode="pair")
    # what a row records: the paper rows' schedule, nothing for the package's or a fingerprint's
    assert schedule_of("ltdd", paper) == paper and schedule_of("ltdd_fp", paper) == paper
    none = {"warmup": None, "update_every": None}
    assert schedule_of("defaults", paper) == schedule_of("ce", paper) == schedule_of("fp_lr", paper) == none


def test_the_summary_puts_the_best_method_first():
    """A results table is read top-down for the winner: the worst method led it."""
    from sklearn_ltdd.benchmark import summarise

    row = {"epochs": 2, "seconds": 1.0, "graphs_per_s": 10.0, "seed": 0}
    bas = {"ce": 0.7, "fp_lr": 0.9, "cs": 0.5, "bs": 0.8}
    table = summarise(pd.DataFrame([{**row, "method": method, "BA": ba} for method, ba in bas.items()]))
    assert table["BA_mean"].tolist() == [90.0, 80.0, 70.0, 50.0]
    assert table.index.get_level_values("method").tolist() == ["fp_lr", "bs", "ce", "cs"]


def test_a_run_written_twice_counts_once_and_a_half_written_line_is_named(tmp_path):
    from sklearn_ltdd.benchmark import summarise
    from sklearn_ltdd.benchmark._results_file import read_runs

    row = {"method": "ce", "epochs": 2, "seconds": 1.0, "graphs_per_s": 10.0, "kept": "best"}
    runs = [{**row, "seed": 0, "BA": 0.6}, {**row, "seed": 1, "BA": 0.8, "seconds": 2.0},
            {**row, "seed": 0, "BA": 0.9, "seconds": 9.0},
            {**row, "seed": 2, "BA": 0.7, "seconds": 6.0}]  # fmt: skip
    with pytest.warns(UserWarning, match=r"runs \[\['ce', 2, 0\]\] .* more than once; each counts once"):
        table = summarise(pd.DataFrame(runs))
    # seed 0's first row (0.6, 1 s) counts, not its second; the time is a mean, as the scores are
    assert table["n_seeds"].tolist() == [3] and table["BA_mean"].tolist() == [70.0]
    assert table["BA_std"].tolist() == [8.16]  # the spread of the seeds, ddof=0: sqrt(0.02 / 3)
    assert table["seconds"].tolist() == [3.0]
    # runs of the wrong kind are named (a list: "no attribute 'columns'"; a frame without a
    # column: pandas' KeyError of an Index)
    with pytest.raises(
        TypeError, match=r"runs must be a DataFrame of runs, e.g. pd.DataFrame\(rows\), got a list"
    ):
        summarise(runs)
    with pytest.raises(ValueError, match=r"runs has no column\(s\) \['method'\], which run_benchmark's"):
        summarise(pd.DataFrame(runs).drop(columns="method"))
    with pytest.raises(ValueError, match=r"\('ce', 2, 0\)\] .* there twice with other settings"):
        summarise(pd.DataFrame([*runs[:2], {**runs[2], "kept": "mean_from_best"}]))
    # seeds of one row of the table run with other settings or on other data (two processes
    # writing one folder): refused, not averaged; rows written before the data was recorded agree
    for other in ({"kept": "mean_from_best"}, {"data": "0123"}):
        with pytest.raises(ValueError, match=rf"the runs of ce at 2 epochs \({next(iter(other))}\) differ"):
            summarise(pd.DataFrame([{**runs[0], "data": DATA}, {**runs[1], "data": DATA, **other}]))
    with pytest.raises(ValueError, match=r"\('ce', 2, 0\)\] .* there twice with other settings"):
        summarise(pd.DataFrame([{**runs[0], "data": DATA}, {**runs[0], "data": "0123"}]))  # (a seed twice)
    # two processes on other data, each with its own method: every row is of one data set, but the
    # table compared methods across two
    cs = {**runs[0], "method": "cs", "data": "0123"}
    with pytest.raises(ValueError, match=rf"of data 0123 \(cs\) and data {DATA} \(ce\); keep the runs"):
        summarise(pd.DataFrame([{**runs[0], "data": DATA}, {**runs[1], "data": DATA}, cs]))
    # rows written before a setting or the data was recorded (docs/results' files) agree with any
    fingerprint = {**row, "method": "fp_lr", "epochs": None, "kept": None, "seed": 0}
    old = [{**runs[0], "data": DATA}, {k: v for k, v in runs[1].items() if k != "kept"}, fingerprint]
    assert sorted(summarise(pd.DataFrame(old))["n_seeds"].tolist()) == [1, 2]
    # and so does a run written twice, once before its setting was recorded: counted once, as two
    # seeds of which one lacks it are averaged (it was "there twice with other settings")
    twice = [runs[0], {k: v for k, v in runs[0].items() if k != "kept"}, runs[1]]
    with pytest.warns(UserWarning, match=r"runs \[\['ce', 2, 0\]\] .* more than once; each counts once"):
        assert summarise(pd.DataFrame(twice))["n_seeds"].tolist() == [2]
    log = tmp_path / "solubility-random.jsonl"
    log.write_text(json.dumps(runs[0]) + "\n" + '{"method": "ce", "se')
    with pytest.raises(ValueError, match=r"line 2, is not a run's JSON row .*remove it"):
        read_runs(log)
    for edited in ('["ce", 0]', "3", '{"method": "ce", "seed": 0}'):  # by hand: no raw TypeError or KeyError
        log.write_text(json.dumps(runs[0]) + "\n" + edited + "\n")
        with pytest.raises(
            ValueError, match=r"line 2, is not a run's JSON row \(an object with epochs, method"
        ):
            read_runs(log)
    with pytest.raises(SystemExit) as exit_:  # the command says it in a line, not a traceback
        main(["--dataset", "solubility", "--split", "random", "--methods", "fp_lr", "--out", str(tmp_path)])
    assert exit_.value.code == 2


def test_the_command_writes_and_prints_its_table_under_any_locale(tmp_path):
    """Under a locale that is not UTF-8 the table's ± and – failed its file (left empty, and every
    later run failed the same way after its runs) and its printing. Python's own UTF-8 mode is
    off here, as it is on Windows."""
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "OMP_NUM_THREADS": "1"}
    env.pop("PYTHONIOENCODING", None)
    argv = ["--dataset", "solubility", "--split", "random", "--seeds", "0", "--methods", "fp_lr"]
    argv += ["--out", str(tmp_path)]
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_ltdd.benchmark", *argv], capture_output=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    table = (tmp_path / "solubility-random.md").read_text(encoding="utf-8")
    assert "| fp_lr | – | 1 |" in table
    ask = [sys.executable, "-c", "import sys; print(sys.stdout.encoding)"]
    encoding = subprocess.run(ask, capture_output=True, env=env, text=True).stdout.strip()  # cp1252 has –
    assert "| fp_lr | – | 1 |".encode(encoding, "replace") in result.stdout


def test_a_reader_that_stops_reading_stops_no_run(tmp_path, capsys, closed_stdout):
    """``... | head -1``: the pipe's closing stopped the benchmark after its first run, "error: Broken
    pipe", exit 2, without its table."""
    argv = ["--dataset", "solubility", "--split", "random", "--seeds", "0", "1", "--methods", "fp_lr"]
    with closed_stdout():
        main([*argv, "--out", str(tmp_path / "runs")])  # no SystemExit
    assert len((tmp_path / "runs" / "solubility-random.jsonl").read_text().splitlines()) == 2
    assert (tmp_path / "runs" / "solubility-random.md").exists() and "error" not in capsys.readouterr().err


def test_a_table_named_in_letters_the_console_lacks_is_benchmarked_and_said(tmp_path):
    """Its lines, printed as they were, failed the command under an ASCII console (or Windows'
    cp1252 with its output redirected) after its first run, and at once when resumed; a table of
    results that a spreadsheet holds open failed the runs left."""
    data = load_solubility()
    folder = tmp_path / "dossier é"
    folder.mkdir()
    pd.DataFrame({"smiles": data.data, "label": data.target}).to_csv(folder / "essai č.csv", index=False)
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "OMP_NUM_THREADS": "1", "HOME": str(tmp_path)}
    argv = ["--dataset", str(folder / "essai č.csv"), "--split", "random", "--methods", "fp_lr"]
    for seeds in (["0"], ["0", "1"]):  # a second call resumes: it says the run there first
        # (--out=~/...: the shell leaves a ~ after "=" as it is; so does Windows' cmd)
        command = [sys.executable, "-m", "sklearn_ltdd.benchmark", *argv, "--seeds", *seeds, "--out=~/é"]
        done = subprocess.run(command, capture_output=True, env=env, cwd=tmp_path, timeout=600)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        assert b"essai ? random seed" in done.stdout
    assert b"are there already" in done.stdout
    assert sorted(path.name for path in (tmp_path / "é").iterdir()) == [
        "essai č-random.csv", "essai č-random.jsonl", "essai č-random.md"]  # fmt: skip
    assert not (tmp_path / "~").exists()


def test_a_table_that_cannot_be_written_does_not_stop_the_runs(tmp_path, monkeypatch):
    write_tables, failures = _run.write_tables, []

    def held_open(log, *args):  # as Windows refuses to replace a file a spreadsheet has open
        if not failures:
            failures.append(log)
            raise PermissionError(13, "Permission denied", str(log.with_suffix(".csv")))
        return write_tables(log, *args)

    monkeypatch.setattr(_run, "write_tables", held_open)
    with pytest.warns(RuntimeWarning, match=r"the tables beside solubility-random.jsonl were not written"):
        runs = run_benchmark("solubility", split="random", seeds=[0, 1], methods=["fp_lr"], out_dir=tmp_path)
    assert runs["seed"].tolist() == [0, 1] and len(failures) == 1
    assert "| fp_lr | – | 2 |" in (tmp_path / "solubility-random.md").read_text(encoding="utf-8")
    # held open to the end: the call fails at its last table, saying the runs are kept
    monkeypatch.setattr(
        _run, "write_tables", lambda log, *_: (_ for _ in ()).throw(PermissionError(13, "held"))
    )
    with pytest.warns(RuntimeWarning, match="not written"), pytest.raises(PermissionError) as error:
        run_benchmark("solubility", split="random", seeds=[0, 1, 2], methods=["fp_lr"], out_dir=tmp_path)
    assert error.value.__notes__[0].startswith(
        f"Every run is recorded in {tmp_path / 'solubility-random.jsonl'}"
    )
    assert len(pd.read_json(tmp_path / "solubility-random.jsonl", lines=True)) == 3


def test_a_table_that_cannot_be_moved_into_place_is_said_with_what_is_kept(tmp_path, monkeypatch, capsys):
    replace = os.replace

    def held_open(source, destination):  # Windows refuses to replace a file a spreadsheet has open
        if str(destination).endswith(".md"):
            raise PermissionError(13, "Permission denied", str(destination))
        return replace(source, destination)

    monkeypatch.setattr(_run.os, "replace", held_open)
    with pytest.warns(RuntimeWarning, match="not written"), pytest.raises(SystemExit) as exit_:
        main(["--dataset", "solubility", "--methods", "fp_lr", "--seeds", "0", "--out", str(tmp_path)])
    assert exit_.value.code == 2
    # the command said its error's note, not the error alone; no temporary file stays behind
    assert "; the same call, once the tables can be written, writes them" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "solubility-standard.csv", "solubility-standard.jsonl"]  # fmt: skip


def test_two_writers_of_one_results_file_s_tables_do_not_meet(tmp_path):
    run_benchmark("solubility", split="random", seeds=[0], methods=["fp_lr"], out_dir=tmp_path)
    log, failures = tmp_path / "solubility-random.jsonl", []

    def write() -> None:
        for _ in range(40):
            try:
                _run.write_tables(log, "solubility", "random", None)
            except OSError as error:  # one's move found the other's temporary file, its own, gone
                failures.append(error)

    writers = [threading.Thread(target=write) for _ in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert not failures
    assert sorted(path.suffix for path in tmp_path.iterdir()) == [".csv", ".jsonl", ".md"]
    # a table whose name is as long as a name can be (a data set's file of a long name) is written
    longest = tmp_path / (
        "t" * ((os.pathconf(tmp_path, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255) - 3) + ".md"
    )
    _run._write_whole(longest, lambda path: path.write_text("| method |\n", encoding="utf-8"))
    assert longest.read_text(encoding="utf-8") == "| method |\n"


def test_a_results_file_and_tables_saved_with_a_byte_order_mark_are_read(tmp_path):
    from sklearn_ltdd.benchmark._results_file import read_runs

    log, row = tmp_path / "hiv-standard.jsonl", {"method": "fp_lr", "seed": 0, "epochs": None}
    log.write_text(json.dumps(row) + "\n", encoding="utf-8-sig")  # as an editor may save it
    assert read_runs(log) == [row]
    run_benchmark("solubility", split="random", seeds=[0], methods=["fp_lr"], out_dir=tmp_path)
    table = tmp_path / "solubility-random.csv"  # saved again by Excel ("CSV UTF-8")
    table.write_text(table.read_text(encoding="utf-8"), encoding="utf-8-sig")
    run_benchmark("solubility", split="random", seeds=[0, 1], methods=["fp_lr"], out_dir=tmp_path)
    assert pd.read_csv(table)["n_seeds"].tolist() == [2]  # ours, written again: not "move it away"


def test_rows_that_kept_the_best_epoch_are_not_taken_for_the_mean_from_it(tmp_path):
    from sklearn_ltdd.benchmark._results_file import done_runs

    log = tmp_path / "hiv-standard.jsonl"
    old = {"method": "defaults", "seed": 0, "epochs": 30}  # written when the best epoch was kept
    log.write_text(json.dumps(old) + "\n" + json.dumps({**old, "method": "defaults_best1"}) + "\n")
    with pytest.raises(ValueError, match=r"keeping best, not .*keeping mean_from_best.*another folder"):
        done_runs(log, ["defaults"], [0], 30, {})
    assert done_runs(log, ["defaults_best1"], [0], 30, {}) == {("defaults_best1", 0)}
    log.write_text(json.dumps({**old, "kept": "mean_from_best"}) + "\n")
    assert done_runs(log, ["defaults"], [0], 30, {}) == {("defaults", 0)}


def test_the_method_names_are_those_the_benchmark_fits():
    # the command's --help reads them without torch, from a list of their own
    from sklearn_ltdd.benchmark._methods import VARIANTS
    from sklearn_ltdd.benchmark._names import FINGERPRINT_MODELS, METHODS
    from sklearn_ltdd.classifier import BASELINE_LOSSES

    assert METHODS == (*VARIANTS, *BASELINE_LOSSES, *(f"fp_{model}" for model in FINGERPRINT_MODELS))
    for model in FINGERPRINT_MODELS:
        make_fingerprint_model(model)


def test_the_benchmark_commands_help_and_the_choices_it_refuses_load_no_torch():
    """--help took 6.5 s: the command imported the classifiers, and with them torch, PyG and skorch."""
    for args, said in ((["--help"], "usage: python -m sklearn_ltdd.benchmark"),
                       (["--methods", "ltd"], "invalid choice: 'ltd'")):  # fmt: skip
        code = (
            "import sys\nfrom sklearn_ltdd.benchmark.__main__ import main\ntry:\n"
            f"    main({args!r})\nexcept SystemExit:\n    pass\n"
            "loaded = {'torch', 'torch_geometric', 'skorch'} & set(sys.modules)\nassert not loaded, loaded"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0 and said in done.stdout + done.stderr, done.stderr


def test_every_benchmark_variant_is_a_valid_classifier_configuration():
    from sklearn_ltdd import BaselineClassifier, LTDDClassifier, SubclusterSchedule
    from sklearn_ltdd.benchmark._methods import METHODS, PAPER, VARIANTS

    for name, (kind, params, package_schedule) in VARIANTS.items():
        assert name in METHODS
        if kind == "ltdd":
            schedule = params.get("schedule")
            options = {**params, "schedule": None if schedule is None else SubclusterSchedule(**schedule)}
            LTDDClassifier(**options)._validate_params()
            options["schedule"] is None or options["schedule"].check()
        else:
            BaselineClassifier(loss=kind, **params)._validate_params()
        assert package_schedule == name.startswith(("defaults", "ce_defaults"))
        if package_schedule:  # defaults rows differ from the package defaults in what they name only
            named = {"_nofp": ("fingerprint", None), "_best1": ("average_from_best", False),
                     "_gine": ("encoder", "gine"), "_resample": ("schedule", {"resample": True}),
                     "_argmax": ("decision", "argmax")}  # fmt: skip
            expected = {key: value for part, (key, value) in named.items() if part in name}
            assert params == expected, name
        elif kind == "ltdd":  # paper-protocol rows: the paper's protocol and the one change they name
            named = {"_subcluster": ("schedule", {"weighting": "subcluster"}), "_resample": ("schedule",
                     {"resample": True}), "_gine": ("encoder", "gine"), "_fp": ("fingerprint", "morgan"),
                     "_la": ("decision", "logit_adjusted")}  # fmt: skip
            expected = {key: value for part, (key, value) in named.items() if name.endswith(part)}
            assert params == {**PAPER, **expected} and len(expected) == (name != "ltdd"), name
    assert VARIANTS["defaults"][1] == {} and VARIANTS["ltdd"][1]["encoder"] == "gcn"


def test_built_tasks_template_classes_and_hiv_at_imbalance_50(tmp_path):
    from sklearn_ltdd.benchmark._tasks import MIN_TEMPLATE_COUNT, _hiv_lt50
    from sklearn_ltdd.datasets import load_uspto50k_templates

    for least in MIN_TEMPLATE_COUNT.values():
        templates = ["T1"] * least + ["T2"] * (least - 1) + ["T3"] * 30
        frame = pd.DataFrame({"prod_smiles": [f"C{'C' * i}O" for i in range(len(templates))],
                              "reaction_smarts": templates})  # fmt: skip
        frame.to_csv(tmp_path / "templates.csv", index=False)
        X, y = load_uspto50k_templates(path=tmp_path / "templates.csv", min_count=least, return_X_y=True)
        assert sorted(set(y)) == ["T1", "T3"] and len(X) == least + 30
    smiles = np.array([f"C{i}" for i in range(20_000)], dtype=object)
    labels = np.r_[np.zeros(19_500, int), np.ones(500, int)]
    X, y = _hiv_lt50(smiles, labels)
    assert np.bincount(y).tolist() == [10_000, 200]
    assert np.array_equal(X, _hiv_lt50(smiles, labels)[0])  # a fixed draw
    with pytest.raises(ValueError, match=r"10,000 inactive and 200 active .* has 19,500 and 150; use the"):
        _hiv_lt50(smiles[:19_650], labels[:19_650])  # was NumPy's "Cannot take a larger sample"


def test_defaults_rows_record_their_epochs_and_decision(tmp_path):
    out = tmp_path / "bench"
    main(["--dataset", "solubility", "--split", "random", "--seeds", "0", "--methods", "defaults",
          "--epochs", "12", "--out", str(out)])  # fmt: skip
    (run,) = [json.loads(line) for line in (out / "solubility-random.jsonl").read_text().splitlines()]
    assert 11 <= run["epochs_run"] <= 12 and run["tau"] >= 0 and run["epochs"] == 12


def test_fingerprints_read_reactions_as_the_graphizer_does():
    """Reagents (A>B>C) are accepted and unused, atom maps are ignored, and a reaction given
    without a reaction_mode names the mode to set."""
    difference = MorganFingerprint(n_bits=256, reaction_mode="difference")
    plain = difference.fit_transform(["CC(=O)O.OCC>>CC(=O)OCC"])
    with_reagents = difference.fit_transform(["CC(=O)O.OCC>OS(=O)(=O)O>CC(=O)OCC"])
    mapped = difference.fit_transform(["[CH3:1][C:2](=[O:3])[OH:4].[OH:5][CH2:6][CH3:7]>>"
                                       "[CH3:1][C:2](=[O:3])[O:5][CH2:6][CH3:7]"])  # fmt: skip
    np.testing.assert_array_equal(with_reagents, plain)
    np.testing.assert_array_equal(mapped, plain)
    with pytest.raises(
        InvalidSmilesError, match=r"a reaction SMILES; set reaction_mode to 'difference' \(and refit"
    ):
        MorganFingerprint().fit_transform(["CCO", "CCO>>CC=O"])


def test_a_seed_or_method_asked_for_twice_is_refused(tmp_path):
    from sklearn_ltdd.benchmark import run_benchmark

    with pytest.raises(ValueError, match=r"seeds \[0\] given more than once"):
        run_benchmark("hiv", seeds=[0, 0, 1], methods=["fp_lr"], out_dir=str(tmp_path))
    with pytest.raises(ValueError, match=r"methods \['fp_lr'\] given more than once"):
        run_benchmark("hiv", seeds=[0], methods=["fp_lr", "ce", "fp_lr"], out_dir=str(tmp_path))
    with pytest.raises(ValueError, match="seeds=0 gives no split"):
        run_benchmark("hiv", seeds=0, methods=["fp_lr"], out_dir=str(tmp_path))
    with pytest.raises(ValueError, match="methods is empty; choose some from"):  # (pandas' KeyError)
        run_benchmark("hiv", seeds=[0], methods=[], out_dir=str(tmp_path / "empty"))
    assert not any(tmp_path.iterdir())  # refused before anything ran


def test_a_row_names_the_code_that_made_it(tmp_path, monkeypatch):
    """The rows said nothing of the code that made them: a table re-measured later could not say
    which of its rows were of the defaults before a change."""
    import sklearn_ltdd
    from sklearn_ltdd.benchmark import _results_file

    root = Path(_results_file.__file__).resolve().parents[2]
    if (root / ".git").exists():  # a checkout: its commit, and whether the package has changed since
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        assert re.fullmatch(
            rf"{re.escape(sklearn_ltdd.__version__)} \({head}( \+ changes)?\)", code_version()
        )
    # installed (no checkout around the package), or a checkout where git is missing: the version
    monkeypatch.setattr(
        _results_file,
        "__file__",
        str(tmp_path / "site-packages" / "sklearn_ltdd" / "benchmark" / "_results_file.py"),
    )
    assert code_version() == sklearn_ltdd.__version__
    (tmp_path / "site-packages" / ".git").mkdir(parents=True)
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    assert code_version() == sklearn_ltdd.__version__


@pytest.mark.parametrize(
    ("given", "message"),
    [(["--methods", "fp_lr", "--epochs", "5"],
      "argument --epochs: epochs=5 sets the graph models' epochs; fp_lr trains none"),
     (["--methods", "fp_lr", "fp_hgb", "--epochs", "5"],
      "argument --epochs: epochs=5 .*; fp_lr, fp_hgb train none"),
     (["--methods", "defaults", "ce", "--epochs", "12", "--warmup", "2"],
      r"argument --warmup: warmup=2 sets the paper-protocol LTDD rows \(ltdd, .*\) only; none of "),
     (["--methods", "fp_lr", "--update-every", "2"],
      r"argument --update-every: update_every=2 sets the paper-protocol LTDD rows")],
)  # fmt: skip
def test_a_flag_none_of_the_methods_uses_is_refused_not_ignored(given, message, tmp_path, capsys):
    """``--methods fp_lr --epochs 5`` or ``--methods defaults --warmup 2`` ran, ignoring the flag."""
    with pytest.raises(SystemExit) as exit_:
        main(["--dataset", "solubility", "--out", str(tmp_path / "bench"), *given])
    assert exit_.value.code == 2
    assert re.search(f"benchmark: error: {message}", capsys.readouterr().err)
    assert not (tmp_path / "bench").exists()
    # called as a function, too (the API took epochs=5 for fingerprint models without a word)
    with pytest.raises(ValueError, match="epochs=5 sets the graph models' epochs"):
        run_benchmark("solubility", methods=["fp_lr"], epochs=5, out_dir=tmp_path / "bench")


def test_the_tables_are_written_after_each_run_and_name_the_code_that_made_them(tmp_path, monkeypatch):
    """The tables were written when every run had finished: an interrupted call left them stale. A
    seed alone printed "± 0.00", and runs of two code versions were averaged without a word."""
    from sklearn_ltdd.benchmark import _run

    fit_predict, calls = _run.fit_predict, []

    def interrupted_after_one(*args, **kwargs):
        if calls:
            raise KeyboardInterrupt
        calls.append(1)
        return fit_predict(*args, **kwargs)

    monkeypatch.setattr(_run, "fit_predict", interrupted_after_one)
    with pytest.raises(KeyboardInterrupt):
        run_benchmark("solubility", seeds=[0, 1], methods=["fp_lr"], out_dir=tmp_path)
    table = (tmp_path / "solubility-standard.md").read_text()
    row = next(line for line in table.splitlines() if line.startswith("| fp_lr"))
    assert row.startswith("| fp_lr | – | 1 | ") and "±" not in row  # one seed: its figure, no spread
    assert f"Every run: code {code_version()}, machine {machine()}." in table
    monkeypatch.setattr(_run, "fit_predict", fit_predict)
    monkeypatch.setattr(_run, "code_version", lambda: "0.0.1 (abcdef0)")
    run_benchmark("solubility", seeds=[0, 1], methods=["fp_lr"], out_dir=tmp_path)
    table = (tmp_path / "solubility-standard.md").read_text()
    assert " ± " in next(line for line in table.splitlines() if line.startswith("| fp_lr"))
    assert "more than one code version or machine" in table
    assert f"- fp_lr: code 0.0.1 (abcdef0); {code_version()}, machine {machine()}" in table
    csv = pd.read_csv(tmp_path / "solubility-standard.csv")
    assert csv["code"].tolist() == [f"0.0.1 (abcdef0); {code_version()}"]
    # a run written before runs recorded their code is one of another code, not of this one
    log = tmp_path / "solubility-standard.jsonl"
    old = {k: v for k, v in json.loads(log.read_text().splitlines()[0]).items() if k != "code"}
    log.write_text(json.dumps({**old, "seed": 2}) + "\n" + log.read_text())
    run_benchmark("solubility", seeds=[0, 1, 2], methods=["fp_lr"], out_dir=tmp_path)
    table = (tmp_path / "solubility-standard.md").read_text()
    assert f"- fp_lr: code 0.0.1 (abcdef0); {code_version()}; not recorded, machine" in table


def test_the_template_tasks_take_the_random_split_unless_told(tmp_path, monkeypatch, capsys):
    """`--split` defaulted to "standard", which no seed can draw from the template tasks' hundreds
    of small classes: the command failed after loading USPTO-50k (27 s)."""
    smiles = np.array(["C" * n + "N" * m for n in range(1, 13) for m in range(12)], dtype=object)
    labels = np.array([f"T{n}" for n in range(1, 13) for _ in range(12)], dtype=object)
    monkeypatch.setattr(_run, "load_task", lambda *args, **kwargs: (smiles, labels))
    main(["--dataset", "uspto50k_template", "--methods", "fp_lr", "--seeds", "0", "--out", str(tmp_path)])
    assert "uspto50k_template random seed 0 fp_lr" in capsys.readouterr().out
    assert [path.name for path in tmp_path.glob("*.jsonl")] == ["uspto50k_template-random.jsonl"]
    runs = run_benchmark("uspto50k_template_tail", seeds=[0], methods=["fp_lr"], out_dir=tmp_path)
    assert runs["split"].tolist() == ["random"]
    with pytest.raises(SplitError, match=r"uspto50k_template, 'standard' split, seed 0"):  # as asked
        run_benchmark("uspto50k_template", split="standard", seeds=[0], methods=["fp_lr"], out_dir=tmp_path)


def test_a_table_of_ones_own_is_benchmarked_as_a_named_data_set(tmp_path, capsys):
    """Whether LTDD beats a fingerprint model on one's own assay: the benchmark took only its
    named data sets. A table of the embedded solubility set scores as the set does."""
    data = load_solubility()
    table = tmp_path / "my assay.v2.csv"
    pd.DataFrame({"smiles": data.data, "label": data.target}).to_csv(table, index=False)
    runs = run_benchmark(str(table), split="random", seeds=[0], methods=["fp_lr"], out_dir=tmp_path / "a")
    named = run_benchmark("solubility", split="random", seeds=[0], methods=["fp_lr"], out_dir=tmp_path / "b")
    # named by the file's name without the endings of a table (a dot of the name's own stays)
    assert runs["dataset"].tolist() == ["my assay.v2"] and runs["BA"].tolist() == named["BA"].tolist()
    assert (tmp_path / "a" / "my assay.v2-random.jsonl").is_file()
    main([f"--dataset={table}", "--split", "random", "--seeds", "0", "--methods", "fp_lr",
          "--out", str(tmp_path / "a")])  # fmt: skip
    assert "### my assay.v2, random split" in capsys.readouterr().out  # the table, resumed: no run again
    with pytest.raises(SystemExit):
        main(["--dataset", str(tmp_path / "missing.csv"), "--methods", "fp_lr"])
    assert "missing.csv' (no such file); choose from" in capsys.readouterr().err
    # a table named as a data set of the benchmark's own would be taken for it
    (tmp_path / "hiv.csv.gz").write_bytes(gzip.compress(table.read_bytes()))
    with pytest.raises(ValueError, match=r"hiv.csv.gz' would be named 'hiv', as a data set of the"):
        run_benchmark(str(tmp_path / "hiv.csv.gz"), methods=["fp_lr"], out_dir=tmp_path / "c")
    # a table's repeated molecules are said, as its unparsable rows are
    pd.DataFrame({"smiles": [*data.data, data.data[0]], "label": [*data.target, "low"]}).to_csv(
        tmp_path / "twice.csv", index=False
    )
    run_benchmark(str(tmp_path / "twice.csv"), split="random", seeds=[0], methods=["fp_lr"], out_dir=tmp_path)
    said = capsys.readouterr().out  # (eight of the set's own, written two ways; and the copy of row 0)
    assert re.search(r"twice.csv: 9 rows repeat an earlier row.s molecule \(data rows \[.*, 1282\]\)", said)


def test_a_table_whose_file_name_the_locale_cannot_read_gives_readable_results(tmp_path, capsys):
    """Under LC_ALL=C without UTF-8 mode, Python reads 'é' in a file name as two surrogates: the run
    wrote them into the results file, whose tables could then never be written (UnicodeEncodeError,
    this run and every later one). A name too long for the filesystem raised OSError (pathlib)."""
    data = load_solubility()
    pd.DataFrame({"smiles": data.data, "label": data.target}).to_csv(tmp_path / "assay é.csv", index=False)
    undecoded = str(tmp_path / "assay \udcc3\udca9.csv")  # what such a locale makes of the name
    if os.fsencode(undecoded) != os.fsencode(str(tmp_path / "assay é.csv")):
        pytest.skip("file names here are not UTF-8 bytes (Windows, say), which such a locale misreads")
    runs = run_benchmark(undecoded, split="random", seeds=[0], methods=["fp_lr"], out_dir=tmp_path)
    assert runs["dataset"].tolist() == ["assay é"]
    assert "### assay é, random split" in (tmp_path / "assay é-random.md").read_text(encoding="utf-8")
    assert as_text("\udce9 é") == "\ufffd é"  # a byte that is no UTF-8 (Latin-1's é), and text
    assert as_text("\ud800 é") == "? é"  # a surrogate that is no byte (Windows' names may hold one)
    with pytest.raises(SystemExit):
        main(["--dataset", str(tmp_path / ("z" * 300 + ".csv")), "--methods", "fp_lr"])
    assert "z.csv' (no such file); choose from" in capsys.readouterr().err


def test_the_names_run_benchmarks_docstring_points_to_are_public():
    """It sent users to :data:`DATASETS`, which sklearn_ltdd.benchmark did not export, and to a
    private function."""
    import sklearn_ltdd.benchmark as benchmark

    named = re.findall(r":(?:data|func):`~?([\w.]+)`", run_benchmark.__doc__)
    local = [name for name in named if "." not in name]
    # (the constants by their public path: they have no page of the API reference to link to)
    constants = re.findall(r"``sklearn_ltdd\.benchmark\.(\w+)``", run_benchmark.__doc__)
    assert "DATASETS" in constants and "METHODS" in constants
    assert [name for name in local + constants if not hasattr(benchmark, name)] == []
    assert "solubility" in benchmark.DATASETS and "DATASETS" in benchmark.__all__
