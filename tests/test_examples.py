"""Every docstring example runs as a user pastes it into a fresh session: pytest's doctests run
each example with its module's globals, where a name the example never imports is found anyway
(39 examples used their own function without importing it, a NameError when pasted)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import sklearn_ltdd

MODULES = [
    info.name
    for info in pkgutil.walk_packages(sklearn_ltdd.__path__, "sklearn_ltdd.")
    if not info.name.endswith("__main__")  # (running it is the command line's work)
]


@pytest.mark.parametrize("module", MODULES)
def test_every_example_imports_what_it_uses(module):
    module = importlib.import_module(module)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    failed = []
    for test in doctest.DocTestFinder().find(module, globs={}):
        if test.examples and test.filename == module.__file__:  # (imported objects: at home)
            report: list[str] = []
            if doctest.DocTestRunner(optionflags=flags).run(test, out=report.append).failed:
                failed.append(f"{test.name}:\n{''.join(report)[-600:]}")
    assert not failed, "\n".join(failed)
