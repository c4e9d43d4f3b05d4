"""The optional dependencies, imported where they are needed, each with the extra that installs it."""

import importlib
from types import ModuleType


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""


def import_optional(name: str, extra: str, purpose: str) -> ModuleType:
    """Import ``name``, or raise a MissingDependencyError saying that ``purpose`` needs it and which extra
    (``pip install 'sklearn-ltdd[extra]'``) installs it."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        package = name.partition(".")[0]
        # the package may be there, and one it imports missing (dask without pyarrow, say): named
        missing = (error.name or package).partition(".")[0]
        lacks = package if missing == package else f"{package}, which needs {missing}"
        raise MissingDependencyError(
            f"{purpose} needs {lacks}: pip install 'sklearn-ltdd[{extra}]' (or {missing})."
        ) from error
