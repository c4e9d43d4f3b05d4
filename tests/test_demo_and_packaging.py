import ast
import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import sklearn_ltdd
from sklearn_ltdd import demo
from sklearn_ltdd.featurize import MorganFingerprint
from sklearn_ltdd.metrics import long_tail_report

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("dataset", ["templates", "solubility"])
def test_demo_prints_balanced_scores(capsys, dataset):
    summary = demo.run(dataset, random_state=0, epochs=2)
    out = capsys.readouterr().out
    assert "head" in out and "tail" in out and "BF1" in out
    assert set(summary.columns) >= {"BA", "BF1", "tail BA"}
    assert list(summary.index) == [
        "Morgan + logistic regression (balanced weights)",
        "GCN + cross-entropy",
        "LTDD, the paper's protocol (GCN)",
        "LTDD, package defaults",
    ]
    # chance BA is 1/60 or 1/3: the fingerprint model must clearly learn something
    assert summary.loc["Morgan + logistic regression (balanced weights)", "BA"] > 0.5


def test_each_demo_row_trains_the_model_its_name_says():
    """The rows differ only where their names say: the paper's protocol, the package's defaults,
    plain cross-entropy, each at the demo's epochs and seed; the fingerprint model as documented."""
    from sklearn_ltdd import LTDDClassifier
    from sklearn_ltdd.classifier import PAPER_PROTOCOL

    models = demo.demo_models(12, 7)
    fingerprint, ce = models["Morgan + logistic regression (balanced weights)"], models["GCN + cross-entropy"]
    paper, defaults = models["LTDD, the paper's protocol (GCN)"], models["LTDD, package defaults"]
    assert (fingerprint[-1].C, fingerprint[-1].class_weight) == (0.1, "balanced")
    package = LTDDClassifier().get_params(deep=False)
    for model in (ce, paper, defaults):
        assert (model.max_epochs, model.random_state) == (12, 7)
    for key in sorted(set(PAPER_PROTOCOL) - {"max_epochs"}):
        assert getattr(paper, key) == getattr(ce, key) == PAPER_PROTOCOL[key], key
        assert getattr(defaults, key) == package[key], key
    assert ce.loss == "ce"
    # the paper's 10 warm-up epochs, a third of a shorter run
    assert paper.schedule.warmup_epochs == defaults.schedule.warmup_epochs == 4
    assert demo.demo_models(60, 0)["LTDD, package defaults"].schedule.warmup_epochs == 10


def test_the_demo_groups_classes_by_their_training_sizes(monkeypatch):
    """Head, middle and tail are the training set's (its long tail), not the test set's."""
    model = make_pipeline(MorganFingerprint(), LogisticRegression(max_iter=500))
    monkeypatch.setattr(demo, "demo_models", lambda epochs, random_state: {"the model": model})
    summary = demo.run("solubility", random_state=0)
    _, y_train, X_test, y_test, _ = demo.load_demo_data("solubility", 10.0, 0)
    expected = long_tail_report(y_test, model.predict(X_test), y_train)
    by_test_sizes = long_tail_report(y_test, model.predict(X_test), y_test)
    for group in ("head", "middle", "tail"):
        assert summary.loc["the model", f"{group} BA"] == expected.loc[group, "BA"], group
    assert not np.allclose(expected["BA"], by_test_sizes["BA"], equal_nan=True)  # (they differ here)


@pytest.mark.parametrize(
    ("argument", "message"),
    [(["--epochs", "0"], "'0' is not a positive number of epochs"),
     (["--imbalance-ratio", "nan"], "'nan' is not a finite ratio of 1 or more"),
     (["--imbalance-ratio", "inf"], "'inf' is not a finite ratio"),
     (["--random-state", "-1"], "'-1' is not a seed from 0 to 2\\*\\*32 - 1"),
     (["--dataset", "solubility", "--imbalance-ratio", "1000"], r"imbalance_ratio=1000.0 leaves no sample"),
     (["--imbalance-ratio", "5"], r"--imbalance-ratio applies to --dataset solubility only, not templates")],
)  # fmt: skip
def test_the_demo_command_names_a_bad_argument_before_it_fits(argument, message, capsys, monkeypatch):
    monkeypatch.setattr(demo, "run", lambda *args: pytest.fail("ran with a bad argument"))
    with pytest.raises(SystemExit) as stop:
        demo.main(argument)
    assert stop.value.code == 2 and re.search(message, capsys.readouterr().err)


def test_an_interrupted_demo_exits_130_without_a_traceback(capsys, monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt("the fit was interrupted (Ctrl-C) in epoch 3")

    monkeypatch.setattr(demo, "run", interrupted)
    with pytest.raises(SystemExit) as stop:
        demo.main([])
    assert stop.value.code == 130 and capsys.readouterr().err == "python -m sklearn_ltdd.demo: interrupted\n"
    # while it loads the data set (it was Python's traceback)
    monkeypatch.setattr(demo, "load_demo_data", interrupted)
    with pytest.raises(SystemExit) as stop:
        demo.main([])
    assert stop.value.code == 130 and capsys.readouterr().err == "python -m sklearn_ltdd.demo: interrupted\n"


def test_the_demo_commands_help_loads_no_torch():
    """--help took 7.5 s: the demo imported the classifiers, and with them torch, PyG and skorch."""
    code = (
        "import sys\nfrom sklearn_ltdd.demo import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n"
        "    pass\nloaded = {'torch', 'torch_geometric', 'skorch'} & set(sys.modules)\n"
        "assert not loaded, loaded"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and "usage: python -m sklearn_ltdd.demo" in done.stdout, done.stderr


def test_demo_splits_the_templates_by_class_and_seed():
    X_train, y_train, X_test, y_test, description = demo.load_demo_data("templates", random_state=1)
    assert (len(X_train), len(X_test)) == (4478, 1120)
    # stratified: every template on both sides, in the proportions of the whole
    train_sizes, test_sizes = (pd.Series(y).value_counts().sort_index() for y in (y_train, y_test))
    assert list(train_sizes.index) == list(test_sizes.index) and len(test_sizes) == 60
    assert (abs(test_sizes / (train_sizes + test_sizes) - 0.2) < 0.05 + 1 / (train_sizes + test_sizes)).all()
    assert "60 templates" in description
    again = demo.load_demo_data("templates", random_state=1)[2]
    other = demo.load_demo_data("templates", random_state=2)[2]
    assert list(again) == list(X_test) and list(other) != list(X_test)
    with pytest.raises(ValueError, match="dataset must be one of"):
        demo.load_demo_data("tox21")


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./dev.sh test" in readme and "./dev.sh demo" in readme
    assert ci.strip().splitlines()[-1] == "./dev.sh test"


def test_dev_sh_expands_no_array_that_bash_3_would_call_unbound():
    # under `set -u`, bash before 4.4 (macOS's /bin/bash is 3.2) stops at an empty array's "${a[@]}":
    # `./dev.sh demo` failed at once on a Mac; ${a[@]+"${a[@]}"} expands to nothing there
    script = (ROOT / "dev.sh").read_text()
    assert "set -euo pipefail" in script
    unguarded = re.sub(r'\$\{(\w+)\[@\]\+"\$\{\1\[@\]\}"\}', "", script)
    assert not re.findall(r"\$\{\w+\[@\]\}", unguarded)


# ruff on PATH, or beside this Python (a venv not activated), or in the set-up's .venv
RUFF = shutil.which("ruff") or next(
    (str(path) for path in (Path(sys.executable).parent / "ruff", ROOT / ".venv/bin/ruff") if path.exists()),
    None,
)


@pytest.mark.skipif(RUFF is None, reason="ruff not installed")
def test_code_is_ruff_clean():
    result = subprocess.run([RUFF, "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("package", ["sklearn_ltdd", "sklearn_ltdd.featurize"])
def test_every_lazy_name_is_imported_for_type_checkers(package):
    # Editors and type checkers do not run the module's __getattr__: without the TYPE_CHECKING
    # import, a lazy name such as LTDDClassifier is an untyped object to them.
    module = importlib.import_module(package)
    tree = ast.parse(Path(module.__file__).read_text())
    block = next(
        node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    typed = {}
    for node in block.body:
        source = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
        typed.update({alias.name: source for alias in node.names})
    assert set(typed) == set(module._LAZY) <= set(module.__all__)
    for name, source in typed.items():
        assert getattr(importlib.import_module(source), name) is getattr(module, name)


def test_a_lazy_name_whose_module_fails_says_why(tmp_path, monkeypatch):
    # an AttributeError inside the import (a dependency of another version) must not read as "no such
    # name": Python turns that into "cannot import name", without the cause
    package = tmp_path / "lazy_probe"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from sklearn_ltdd._lazy import lazy_exports\n"
        "__getattr__, __dir__ = lazy_exports(__name__, {'Thing': '._broken'}, ['Thing'], globals())\n"
    )
    (package / "_broken.py").write_text("import types\ntypes.no_such_helper\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    expected = re.escape("Thing from lazy_probe failed in ._broken: AttributeError")
    with pytest.raises(ImportError, match=expected) as caught:
        exec("from lazy_probe import Thing", {})
    assert isinstance(caught.value.__cause__, AttributeError)
    with pytest.raises(AttributeError, match="no attribute 'Other'"):
        importlib.import_module("lazy_probe").Other  # noqa: B018 (the access is the test)


def test_the_classifiers_under_python_oo_import_or_say_why():
    # skorch rewrites docstrings when imported, which -OO strips
    def run(code):
        return subprocess.run([sys.executable, "-OO", "-c", code], capture_output=True, text=True, cwd=ROOT)

    ours = run("from sklearn_ltdd import LTDDClassifier")
    if run("import skorch").returncode == 0:
        assert ours.returncode == 0, ours.stderr
    else:
        assert "run Python without -OO" in ours.stderr.splitlines()[-1], ours.stderr


@pytest.mark.parametrize(
    "code",
    [
        "from sklearn_ltdd import SmilesGraphizer",
        "from sklearn_ltdd import BalancedSubcluster",
        "import sklearn_ltdd.nn",
        "from sklearn_ltdd import LTDDClassifier",
    ],
)
def test_the_package_imports_under_a_callers_error_filter(code):
    # PyG's import warns that torch.jit.script is deprecated: under "error" the import failed and
    # left PyG half initialised, so that every later import failed too, with another message
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_wheel_holds_the_whole_package_its_data_and_licence(tmp_path):
    # built from a copy, so that the build's folders do not land in the checkout
    source = tmp_path / "source"
    shutil.copytree(
        ROOT / "sklearn_ltdd", source / "sklearn_ltdd", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    build = subprocess.run(
        [sys.executable, "-c", f"import setuptools.build_meta as b; print(b.build_wheel({str(tmp_path)!r}))"],
        cwd=source, capture_output=True, text=True,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    with zipfile.ZipFile(tmp_path / build.stdout.split()[-1]) as wheel:
        files = set(wheel.namelist())
        metadata = wheel.read(next(f for f in files if f.endswith(".dist-info/METADATA"))).decode()
    package = {
        path.relative_to(source).as_posix()
        for path in (source / "sklearn_ltdd").rglob("*")
        if path.is_file() and not path.name.startswith(".")  # an editor's or Finder's files
    }
    assert package <= files  # the embedded data sets and py.typed among them
    assert {"sklearn_ltdd/py.typed", "sklearn_ltdd/datasets/data/solubility.csv.gz"} <= package
    assert any(f.endswith(".dist-info/licenses/LICENSE") for f in files)
    assert f"\nVersion: {sklearn_ltdd.__version__}\n" in metadata
