"""Exports that load their module when first read, so that importing a package stays light
(torch takes seconds to import; the metrics, a command's --help and worker processes need none)."""

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
            return getattr(import_module(lazy[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*defined, *exported})

    return __getattr__, __dir__
