"""Checks of the arguments of public functions, each naming the argument it refuses (estimators'
parameters are checked by their ``_parameter_constraints`` instead). They raise scikit-learn's
``InvalidParameterError``, as the estimators do: both a ValueError and a TypeError, so that either
``except`` catches a wrong value and a wrong type alike."""

import os
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.utils import check_random_state

from ._compat import Interval, InvalidParameterError

__all__ = [
    "N_JOBS",
    "check_flags",
    "check_n_jobs",
    "check_path",
    "check_seed",
    "expanded",
    "is_integer",
    "is_number",
    "is_one_of",
]

#: ``n_jobs`` as joblib reads it: None, a positive count, or -1, -2, ... (all CPUs, all but one, ...)
N_JOBS = [None, Interval(Integral, 1, None, closed="left"), Interval(Integral, None, -1, closed="right")]


def check_n_jobs(n_jobs: object) -> None:
    """Refuse an ``n_jobs`` that joblib has no meaning for (0, a float, a bool), naming it."""
    if n_jobs is not None and not any(interval.is_satisfied_by(n_jobs) for interval in N_JOBS[1:]):
        raise InvalidParameterError(
            f"n_jobs must be None, a positive integer or -1, -2, ... (all CPUs, all but one, ...), "
            f"got {n_jobs!r}."
        )


def check_flags(**flags: object) -> None:
    """Refuse a flag that is not True or False (a string, 1, None), naming it: ``download="no"``
    is truthy, and would start a download."""
    for name, value in flags.items():
        if not isinstance(value, bool | np.bool_):
            raise InvalidParameterError(f"{name} must be True or False, got {value!r}.")


def check_path(value: object, name: str) -> None:
    """Refuse a ``value`` that is neither None nor a path (a str or an ``os.PathLike``), naming it."""
    if value is not None and not isinstance(value, str | os.PathLike):
        raise InvalidParameterError(f"{name} must be a path (a str or a pathlib.Path), got {value!r}.")


def is_integer(value: object) -> bool:
    """Whether ``value`` is a whole number (Python's, NumPy's) and no boolean: True is an int to
    Python, and no count."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """Whether ``value`` is a real number (Python's, NumPy's, a Fraction) and no boolean."""
    return isinstance(value, Real) and not isinstance(value, bool)


def is_one_of(value: object, options: tuple) -> bool:
    """Whether ``value`` is one of ``options`` (strings, or None): ``value in options`` of an array
    compares it element-wise, and fails with NumPy's "truth value ... is ambiguous"."""
    return (value is None or isinstance(value, str)) and value in options


#: why ``~`` cannot be expanded (pathlib says "Could not determine home directory")
NO_HOME = (
    "this user's home folder is not known here (HOME is unset, or USERPROFILE on Windows, and the "
    "user has no entry in the password database: a container run as another user, say)"
)


def expanded(value: str | os.PathLike[str], name: str) -> Path:
    """``value`` as a path with its ``~`` or ``~user`` expanded, as every path of the package is;
    a ``~`` whose home is not known, or a ``~user`` of no user here, is named (pathlib says "Could
    not determine home directory"), and so is a value that is no path (Python's "expected str,
    bytes or os.PathLike object" names none) or an empty one."""
    if not isinstance(value, str | os.PathLike):
        raise InvalidParameterError(
            f"{name} must be a path (a str or a pathlib.Path), got {type(value).__name__}."
        )
    if not os.fspath(value):  # Path("") is the working folder: an unset shell variable, say
        raise ValueError(f"{name} is empty; name a path ('.' for the working folder).")
    try:
        return Path(value).expanduser()
    except RuntimeError:
        home = Path(value).parts[0]
        if home == "~":
            raise ValueError(f"{name} {os.fspath(value)!r}: {NO_HOME}; give the path without '~'.") from None
        raise ValueError(f"{name} {os.fspath(value)!r}: {home!r} is the home of no user here.") from None


def check_seed(random_state: object, name: str = "random_state") -> np.random.RandomState:
    """:func:`sklearn.utils.check_random_state`, whose refusals do not say which argument was wrong
    (and which takes True for the seed 1)."""
    if not isinstance(random_state, bool | np.bool_):
        try:
            return check_random_state(random_state)
        except (TypeError, ValueError):
            pass
    raise InvalidParameterError(
        f"{name} must be None, a whole number from 0 to 2**32 - 1 or a numpy RandomState, "
        f"got {random_state!r}."
    )
