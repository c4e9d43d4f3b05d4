import shutil
import subprocess
from pathlib import Path

import pytest

from sklearn_ltdd import demo

ROOT = Path(__file__).resolve().parents[1]


def test_demo_prints_balanced_scores(capsys):
    summary = demo.run(imbalance_ratio=10, random_state=0, epochs=3)
    out = capsys.readouterr().out
    assert "head" in out and "tail" in out and "BF1" in out
    assert set(summary.columns) >= {"BA", "BF1", "tail BA"}
    assert list(summary.index) == [
        "Morgan + logistic regression (balanced weights)",
        "GCN + cross-entropy",
        "LTDD, the paper's protocol (GCN)",
        "LTDD, package defaults",
    ]
    # three classes: chance BA is 1/3; the fingerprint model must clearly learn something
    assert summary.loc["Morgan + logistic regression (balanced weights)", "BA"] > 0.5


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
