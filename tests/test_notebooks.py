"""The notebooks run top to bottom (quickstart on reduced epochs), so they cannot rot."""

from pathlib import Path

import pandas as pd
import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebooks extra (nbformat, nbclient) is not installed")
nbclient = pytest.importorskip("nbclient", reason="the notebooks extra (nbformat, nbclient) is not installed")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run(name: str, parameters: dict[str, str] | None = None):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    for key, value in (parameters or {}).items():
        cell = next(c for c in notebook.cells if c.cell_type == "code" and f"{key} = " in c.source)
        cell.source = "\n".join(f"{key} = {value}" if line.startswith(f"{key} = ") else line
                                for line in cell.source.splitlines())  # fmt: skip
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()  # fmt: skip
    return notebook


def outputs(notebook, kind):
    return [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == kind]


def test_quickstart_runs_and_draws_every_plot():
    notebook = run("quickstart.ipynb", {"EPOCHS": "4", "WARMUP": "1"})
    assert not outputs(notebook, "error")
    # (tqdm's "IProgress not found" where ipywidgets is missing, from the package's first import)
    assert not [o.text for o in outputs(notebook, "stream") if o.name == "stderr" and "IProgress" in o.text]
    images = [o for o in outputs(notebook, "display_data") if "image/png" in o.data]
    assert len(images) == 3  # class accuracy, the two embeddings, weights + training curves
    tables = [o.data["text/html"] for o in outputs(notebook, "execute_result") if "text/html" in o.data]
    assert any("tail BA" in table and "LTDD" in table for table in tables)


def test_benchmark_notebook_recomputes_the_readme_figures_and_reads_a_run_folder():
    notebook = run("benchmark.ipynb", {"OWN_RUNS": 'Path("../docs/results/wide_expert")'})
    assert not outputs(notebook, "error")
    tables = " ".join(o.data.get("text/html", "") for o in outputs(notebook, "execute_result"))
    reported = pd.read_csv(NOTEBOOKS.parent / "docs" / "results" / "reported.csv", dtype={"readme": str})
    for row in reported[reported["readme"].str.contains("±")].itertuples():
        assert f"<td>{row.readme}</td>" in tables, row
    text = " ".join(o.get("text", "") for o in outputs(notebook, "stream"))
    assert "hiv, standard split (paper)" in text
    assert "uspto50k_template_tail-random" in text  # OWN_RUNS: a table per results file
    assert [o for o in outputs(notebook, "display_data") if "image/png" in o.data]
