"""The optional dependencies, imported where they are needed, each with the extra that installs it."""

import importlib
import importlib.util
import sys
from types import ModuleType


class MissingDependencyError(ImportError):
    """An optional dependency is not installed (the message names the extra that installs it), or is
    installed and does not import (the message gives the import's error)."""


def import_optional(name: str, extra: str, purpose: str) -> ModuleType:
    """Import ``name``, or raise a MissingDependencyError saying that ``purpose`` needs it and which extra
    (``pip install 'sklearn-ltdd[extra]'``) installs it, or, where it is installed and its import fails,
    why."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        package = name.partition(".")[0]
        # the package may be there, and one it imports missing (dask without pyarrow, say): named
        missing = (error.name or package).partition(".")[0]
        if _installed(missing) and sys.modules.get(error.name or package, False) is not None:
            # a version clash (pyarrow 26 under numpy 1, say), which installing the extra again would not
            # mend; the error names the module that failed. (None in sys.modules: disabled, as not there.)
            raise MissingDependencyError(
                f"{purpose} needs {package}, which is installed but does not import: {error}"
            ) from error
        lacks = package if missing == package else f"{package}, which needs {missing}"
        raise MissingDependencyError(
            f"{purpose} needs {lacks}: pip install 'sklearn-ltdd[{extra}]' (or {missing})."
        ) from error


def _installed(package: str) -> bool:
    """Whether the top-level ``package`` is there to import: a module or a regular package, not a folder
    of that name that an uninstall left behind (a namespace package, without an origin)."""
    try:
        spec = importlib.util.find_spec(package)
    except ValueError:  # a stand-in module without a __spec__ in sys.modules
        return True
    return spec is not None and spec.origin is not None
