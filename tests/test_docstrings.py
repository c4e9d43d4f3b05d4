"""Every public object documents what it takes and gives, as numpydoc reads it.

The checks are numpydoc's own (``numpydoc.validate``), restricted to the ones about content: a
parameter in the signature and not in the docstring or the other way round, one without a type
or a description, a missing Returns or Yields section, a missing docstring, and, on the public
classes and functions, a missing Examples section. Style codes are left to the reviewer.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import sklearn_ltdd

validate = pytest.importorskip("numpydoc.validate", reason="numpydoc (the docs extra) is not installed")

#: content checks on every public object; EX01 (no Examples) on public classes and functions only
CHECKED = {"GL08", "PR01", "PR02", "PR03", "PR04", "PR07", "RT01", "YD01"}
EXAMPLES = "EX01"


def _public_modules() -> list[str]:
    """The package and its public subpackages, at every depth (``sklearn_ltdd.nn.losses`` too)."""
    names = ["sklearn_ltdd"]
    for info in pkgutil.walk_packages(sklearn_ltdd.__path__, "sklearn_ltdd."):
        if info.ispkg and not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return names


def _own_members(cls: type) -> dict[str, object]:
    """Public methods and properties a class defines or inherits from this package's classes."""
    members: dict[str, object] = {}
    for base in reversed([c for c in cls.__mro__ if c.__module__.startswith("sklearn_ltdd")]):
        for name, value in vars(base).items():
            if name.startswith("_"):
                continue
            if isinstance(value, property | staticmethod | classmethod) or inspect.isfunction(value):
                members[name] = getattr(cls, name)
    return members


def _public_objects() -> dict[str, tuple[object, bool]]:
    """Qualified name -> (object, whether it needs an Examples section)."""
    found: dict[str, tuple[object, bool]] = {}
    seen: set[int] = set()
    for module_name in _public_modules():
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue  # constants and objects such as scorers: documented in their module
            qualified = f"{module_name}.{name}"
            # an exception says what went wrong: it needs no example
            examples = inspect.isfunction(obj) or not issubclass(obj, BaseException)
            found[qualified] = (obj, examples)
            if inspect.isclass(obj):
                for member, value in _own_members(obj).items():
                    found[f"{qualified}.{member}"] = (value, False)
    return found


OBJECTS = _public_objects()


def test_the_walk_finds_the_public_api():
    # a walk that silently found nothing would pass every check below
    for name in (
        "LTDDClassifier",
        "LTDDClassifier.fit",
        "nn.LTDDLoss",
        "metrics.balanced_f1_score",
        "nn.losses.weighted_mean",
    ):
        assert f"sklearn_ltdd.{name}" in OBJECTS
    assert len(OBJECTS) > 100


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_docstring_documents_what_it_takes_and_gives(name):
    obj, needs_examples = OBJECTS[name]
    checked = CHECKED | ({EXAMPLES} if needs_examples else set())
    if isinstance(obj, property):
        checked = {"GL08"}  # a property documents a value, not parameters and returns
        obj = obj.fget
    report = validate.validate(validate.get_doc_object(obj))
    problems = [f"{code}: {message}" for code, message in report["errors"] if code in checked]
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


def test_each_classifier_documents_its_own_method():
    from sklearn_ltdd import BaselineClassifier, LTDDClassifier

    ltdd, baselines = LTDDClassifier.__doc__, BaselineClassifier.__doc__
    assert "two views make each step" in ltdd and "two views" not in baselines
    assert "decoupling" in baselines and "decoupling" not in ltdd  # a loss LTDDClassifier has not
    assert not any(marker in doc for doc in (ltdd, baselines) for marker in ("{ltdd:", "{baselines:"))


def _mapped_packages() -> list[str]:
    """The packages whose docstring maps their private modules: ``_name`` (what it holds)."""
    return [
        name
        for name in _public_modules()
        if re.search(r"``_\w+``", importlib.import_module(name).__doc__ or "")
    ]


@pytest.mark.parametrize("package", _mapped_packages())
def test_a_package_map_names_each_of_its_modules(package):
    """The map is how a newcomer finds where a concept lives: it names each private module there is
    and none that is not."""
    module = importlib.import_module(package)
    named = set(re.findall(r"``(_\w+)``", module.__doc__)) - {"__main__"}
    there = {info.name for info in pkgutil.iter_modules(module.__path__) if info.name.startswith("_")}
    assert named <= there, f"{package}'s map names no module {sorted(named - there)}"
    assert there - {"__main__"} <= named, f"{package}'s map leaves out {sorted(there - named - {'__main__'})}"
