"""Warnings attributed to the user's line, however deep in this package they are raised."""

import os
import sys
import sysconfig
import warnings
from importlib.util import find_spec

#: frames in these folders are passed over: this package, and the libraries that call into it
#: (sklearn's fit wrapper and scorers, joblib's loop under sklearn's model selection, skorch's
#: training loop); found without importing them, since the metrics import no torch
_LIBRARIES = tuple(
    os.path.join(os.path.dirname(spec.origin), "")  # with the system's separator at the end
    for spec in map(find_spec, ("sklearn_ltdd", "sklearn", "joblib", "skorch"))
    if spec is not None and spec.origin is not None
)


_STDLIB = os.path.join(sysconfig.get_paths()["stdlib"], "")
#: the standard library's starts of threads and processes, by file and function: no line of the
#: user's lies beyond (a forked worker's stack holds its parent's, a spawned one's a ``<string>``
#: line); its other frames (a Connection's recv unpickling in the user's thread) are passed over
_STARTS = tuple(os.path.join(_STDLIB, name) for name in ("threading.py", "multiprocessing", "concurrent"))
_START_FUNCTIONS = {"run", "_bootstrap", "_bootstrap_inner", "worker", "_worker", "_process_worker",
                    "mapstar", "starmapstar", "_process_chunk"}  # fmt: skip
_INSTALLED = ("site-packages", "dist-packages")


class InconsistentVersionWarning(UserWarning):
    """Warning that a model was loaded under other versions than it was fitted with.

    What decides what a fitted estimator computes from a SMILES is recorded when it is fitted
    (its ``versions_``): the release of sklearn-ltdd, the version of how it reads SMILES and
    RDKit's version. Loading one where any of them differs warns with this category (as do graph
    stores made from SMILES read otherwise), so that a rule can select it, e.g. turn it into an
    error. scikit-learn warns of its own objects with
    :class:`sklearn.exceptions.InconsistentVersionWarning`, of which this is not a subclass.

    Parameters
    ----------
    message : str
        What differs, and what to do.
    estimator_name : str, default=None
        The name of the class of what was loaded.
    original_versions : dict of str to str, default=None
        The versions it was fitted with, as it recorded them (a classifier records torch's and
        others' too, which are not compared); None where the release that saved it did not record
        them.
    current_versions : dict of str to str, default=None
        The versions here of those compared.

    Examples
    --------
    >>> import pickle, warnings
    >>> from sklearn_ltdd import InconsistentVersionWarning, MorganFingerprint
    >>> saved = pickle.dumps(MorganFingerprint().fit(["CCO"]))
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", InconsistentVersionWarning)  # refuse models of other versions
    ...     fingerprint = pickle.loads(saved)  # fitted here: loaded
    >>> sorted(fingerprint.versions_)
    ['rdkit', 'sklearn-ltdd', 'smiles-parse']
    """

    def __init__(
        self,
        message: str,
        estimator_name: str | None = None,
        original_versions: dict[str, str] | None = None,
        current_versions: dict[str, str] | None = None,
    ) -> None:  # (defaults: warnings.warn("...", InconsistentVersionWarning) makes one of a message)
        super().__init__(message)
        self.estimator_name = estimator_name
        self.original_versions = original_versions
        self.current_versions = current_versions

    def __reduce__(self):  # (a worker process's warnings come back pickled)
        return type(self), (str(self), self.estimator_name, self.original_versions, self.current_versions)


def warn(message: str | Warning, category: type[Warning] = UserWarning) -> None:
    """:func:`warnings.warn`, attributed to the first frame outside this package and the libraries
    that call it: a fixed ``stacklevel`` points into the package wherever its call path differs.
    ``message`` may be a warning itself, whose class is then its category."""
    frame, level = sys._getframe(1), 2  # stacklevel 2: the frame that called this function
    # (frozen modules too: ``python -m sklearn_ltdd.benchmark``'s warnings were runpy's; and
    # Python's own, pickle's under joblib.load, whose caller is the user)
    while frame is not None and (
        frame.f_code.co_filename.startswith((*_LIBRARIES, "<frozen "))
        or _in_python_itself(frame.f_code.co_filename)
    ):
        if frame.f_code.co_filename.startswith(_STARTS) and frame.f_code.co_name in _START_FUNCTIONS:
            frame = None
            break
        frame, level = frame.f_back, level + 1
    if frame is None:
        level = 2  # no line of the user's (a worker process's or a thread's start): the package's line
    warnings.warn(message, category, stacklevel=level)


def _in_python_itself(filename: str) -> bool:
    """Whether ``filename`` is of Python's standard library (``threading``, ``multiprocessing``)."""
    return filename.startswith(_STDLIB) and not any(part in filename for part in _INSTALLED)
