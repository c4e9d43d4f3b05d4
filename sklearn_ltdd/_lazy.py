"""Exports that load their module when first read, so that importing a package stays light
(torch takes seconds to import; the metrics, the screening and demo commands' --help and worker
processes need none)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module


def lazy_exports(
    package: str, lazy: dict[str, str], exported: list[str], defined: dict[str, object]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__``: each name of ``lazy`` is read from its module
    (absolute, or relative to ``package``), imported when the name is first asked for; ``dir``
    lists the ``exported`` names with those ``defined`` (the package's globals), for tab completion."""

    def __getattr__(name: str) -> object:
        if name in lazy:
            try:
                module = import_module(lazy[name], package)
            except AttributeError as error:
                # Python reads an AttributeError from here as "no such name": ``from package import
                # name`` would say only "cannot import name", hiding the failing import's cause (often
                # a dependency of another version).
                raise ImportError(
                    f"importing {name} from {package} failed in {lazy[name]}: {type(error).__name__}: {error}"
                ) from error
            return getattr(module, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*defined, *exported})

    return __getattr__, __dir__
