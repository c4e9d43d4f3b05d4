"""The documentation builds with warnings as errors (what ``./dev.sh docs`` runs)."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sklearn_ltdd


def _installed(module: str) -> bool:
    try:  # looked up, not imported: importing sphinx.__main__ would run a build
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is missing
        return False


# ``python -m sphinx`` needs sphinx.__main__; some images ship a partial sphinx without it
if not all(map(_installed, ("sphinx", "sphinx.__main__", "numpydoc", "myst_parser"))):
    pytest.skip("the docs extra (sphinx, numpydoc, myst-parser) is not installed", allow_module_level=True)

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_docs_build_without_warnings(tmp_path):
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
               "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    html = (tmp_path / "html" / "generated" / "sklearn_ltdd.LTDDClassifier.html").read_text()
    assert "Examples" in html
    assert "_SupportsArray" not in html  # signatures without the type hints numpydoc's sections give
    assert "default=&quot;gcn&quot;" in html  # as Python writes it (smart quotes made it default=”gcn”)
    scorer = (tmp_path / "html" / "generated" / "sklearn_ltdd.metrics.balanced_f1_scorer.html").read_text()
    assert "cross_val_score" in scorer  # its comment (the page was its repr alone)
    # each estimator's page documents the methods the package wrote, inherited from its base classes
    # too (autodoc leaves inherited ones out unless told; the methods' table then linked nowhere)
    for name in sklearn_ltdd.__all__:
        cls = getattr(sklearn_ltdd, name)
        page = (tmp_path / "html" / "generated" / f"sklearn_ltdd.{name}.html").read_text()
        ours = [method for method in dir(cls) if not method.startswith("_") and callable(getattr(cls, method))
                and _defined_in_the_package(cls, method)]  # fmt: skip
        undocumented = [method for method in ours if f'id="sklearn_ltdd.{name}.{method}"' not in page]
        assert not undocumented, f"{name}'s page documents none of {undocumented}"
        assert ours or issubclass(cls, Warning), f"{name} has no method of its own"  # (the test reads none)
    for figure in ("class_accuracy", "embedding", "weights", "training"):
        assert (tmp_path / "html" / "_images" / f"{figure}.png").exists()


def _defined_in_the_package(cls: type, attribute: str) -> bool:
    owner = next(base for base in cls.__mro__ if attribute in vars(base))
    generated = attribute.startswith("set_") and attribute.endswith("_request")  # sklearn's, left out
    return owner.__module__.startswith("sklearn_ltdd") and not generated


def test_dev_sh_has_the_docs_command():
    assert 'docs) setup; exec "$PY" -m sphinx -W' in (DOCS.parent / "dev.sh").read_text()


PUBLIC_MODULES = ("sklearn_ltdd", "sklearn_ltdd.featurize", "sklearn_ltdd.cluster", "sklearn_ltdd.nn",
                  "sklearn_ltdd.nn.losses", "sklearn_ltdd.metrics", "sklearn_ltdd.datasets",
                  "sklearn_ltdd.model_selection", "sklearn_ltdd.classifier", "sklearn_ltdd.screen",
                  "sklearn_ltdd.benchmark", "sklearn_ltdd.plotting")  # fmt: skip


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_class_and_function_has_a_page_in_the_api_reference(module):
    listed = {line.strip() for line in (DOCS / "api.rst").read_text().splitlines() if line.startswith("   ")}
    public = importlib.import_module(module).__all__
    missing = [name for name in public if not name.isupper() and name not in listed]
    assert not missing, f"{module}: {missing} are public but not in docs/api.rst"


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_constant_is_described_in_the_api_reference(module):
    described = []  # the objects, each where its entry says it is (nn.losses' LOSSES is nn's)
    for name in re.findall(
        r"^\.\. py:data:: ([\w.]+)\n\n   \S", (DOCS / "api.rst").read_text(), re.MULTILINE
    ):
        where, constant = name.rsplit(".", 1)
        assert constant in importlib.import_module(where).__all__, name
        described.append(getattr(importlib.import_module(where), constant))
    public = importlib.import_module(module)
    constants = [name for name in public.__all__ if name.isupper()]
    missing = [name for name in constants if not any(getattr(public, name) is value for value in described)]
    assert not missing, f"{module}: {missing} are public but not described in docs/api.rst"
