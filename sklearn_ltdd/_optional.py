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
    (``pip install 'sklearn-ltdd[extra]'``) installs it."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        package = name.partition(".")[0]
        # the package may be there, and one it imports missing (dask without pyarrow, say): named
        missing = (error.name or package).partition(".")[0]
        blocked = sys.modules.get(error.name or package, False) is None  # disabled on purpose, as not there
        if not blocked and importlib.util.find_spec(missing) is not None:
            # installed, and its import failed: a version clash (pyarrow 26 under numpy 1, say) that
            # installing the extra again would not mend
            raise MissingDependencyError(
                f"{purpose} needs {missing}, which is installed but does not import: {error}"
            ) from error
        lacks = package if missing == package else f"{package}, which needs {missing}"
        raise MissingDependencyError(
            f"{purpose} needs {lacks}: pip install 'sklearn-ltdd[{extra}]' (or {missing})."
        ) from error
