import shutil
import subprocess
from pathlib import Path

import pytest

from sklearn_ltdd import demo

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


def test_demo_splits_the_templates_by_class_and_seed():
    X_train, y_train, X_test, y_test, description = demo.load_demo_data("templates", random_state=1)
    assert len(X_train) + len(X_test) == 5598 and not set(X_test) <= set(X_train)
    assert set(y_test) == set(y_train) and len(set(y_test)) == 60  # stratified: every template in both
    assert "60 templates" in description
    other = demo.load_demo_data("templates", random_state=2)[2]
    assert list(other) != list(X_test)
    with pytest.raises(ValueError, match="dataset must be one of"):
        demo.load_demo_data("tox21")


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./dev.sh test" in readme and "./dev.sh demo" in readme
    assert ci.strip().splitlines()[-1] == "./dev.sh test"


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (ROOT / ".venv/bin/ruff").exists(),
    reason="ruff not installed",
)
def test_code_is_ruff_clean():
    ruff = shutil.which("ruff") or str(ROOT / ".venv/bin/ruff")
    result = subprocess.run([ruff, "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
