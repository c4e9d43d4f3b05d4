"""The errors that name every bad input row at once: :class:`InvalidSmilesError` and, for reactions
that only lack their atom maps, :class:`UnmappedReactionError`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pandas as pd

from .._labels import labelled_index, shortened, shortened_repr

__all__ = [
    "A_REACTION",
    "NOT_A_REACTION",
    "InvalidSmilesError",
    "UnmappedReactionError",
    "rows_named_by_index",
]

_SHOW_AT_MOST = 10
#: how a row's reason begins when it is of the other kind than the featuriser reads
A_REACTION = "a reaction SMILES;"
NOT_A_REACTION = "not a reaction SMILES"


#: how a row's reason begins, and goes on after the mapper's name, where the atom mapper failed on it
MAPPER, MAPPER_FAILED = "the atom mapper (", ") failed on it: "


def mapper_failed(name: str, answer: object) -> str:
    """A row's reason where the atom mapper ``name`` gave ``answer`` (its error, say) for it."""
    return f"{MAPPER}{name}{MAPPER_FAILED}{answer!r}"


class InvalidSmilesError(ValueError):
    """Some input rows are not valid SMILES.

    ``bad_rows`` maps each offending row to ``(value, reason)``; ``advice`` ends the message (by
    default, what to do in ``fit``). Rows are named by X's index labels where X is a pandas object
    whose labels are unique and are not its positions (the message then says so), else by position, so
    that ``X.drop(index=list(error.bad_rows))`` or ``np.delete(X, list(error.bad_rows))`` drops them.

    Parameters
    ----------
    bad_rows : mapping of row to (value, reason)
        Each offending row (a position, or an index label), its value and why it is refused.
    advice : str, default=None
        What to do, ending the message; None: fix or remove the rows.
    """

    _what = "are not valid SMILES"  # what the rows are, and what one row is
    _what_one = "is not valid SMILES"
    _advice = "Fix or remove these rows (and, in a fit, their labels)."  # a transformer is both
    _rows_named = False  # by name_rows_by, once
    _naming = ""  # how the message names the rows, where a pandas index could leave it in doubt
    _input = "the input"  # whose rows they are: fit's validation_data names itself (of_input)

    def __init__(self, bad_rows: Mapping[Any, tuple[object, str]], advice: str | None = None):
        bad_rows = dict(bad_rows)
        self.bad_rows = bad_rows
        if advice is not None:
            self._advice = advice
        super().__init__(self._message())

    def _message(self) -> str:
        shown = list(self.bad_rows.items())[:_SHOW_AT_MOST]
        # (a reason may quote the value's parts: a reaction's side, the atom mapper's answer)
        lines = [
            f"  row {i}: {shortened_repr(value)} ({shortened(reason, 300)})" for i, (value, reason) in shown
        ]
        if len(self.bad_rows) > _SHOW_AT_MOST:
            lines.append(
                f"  ... and {len(self.bad_rows) - _SHOW_AT_MOST} more (every one in the error's bad_rows)"
            )
        what = self._headline(len(self.bad_rows) == 1)
        headline = f"{len(self.bad_rows)} of {self._input} rows{self._naming} {what}:"
        return "\n".join([headline, *lines, self._advice])

    def name_rows_by(self, index: pd.Index, note: bool = True) -> None:
        """Name the rows, given by position, by ``index``'s labels, in ``bad_rows`` and the message
        (whose first line says so, where ``note``); by position where labels repeat, which would
        merge rows (the first line says that too).

        Parameters
        ----------
        index : pandas.Index
            The labels of X's rows, by position.
        note : bool, default=True
            Say in the message that the rows are named by their labels.
        """
        if self._rows_named:  # an inner call named them already (by its X, which may be another)
            return
        self._rows_named = True
        if not index.is_unique:
            self._naming = " (by position: the index repeats labels)"
        else:
            labels = index[list(self.bad_rows)].tolist()  # Python values, not np.int64(3)
            self.bad_rows = dict(zip(labels, self.bad_rows.values(), strict=True))
            if note:
                self._naming = " (by their index labels, not by position)"
        self.args = (self._message(),)

    def of_input(self, name: str) -> None:
        """Say whose rows they are (e.g. ``"validation_data's X"``), where it is not the X given to
        the call that raised; ``bad_rows`` stays as it is.

        Parameters
        ----------
        name : str
            The input, as the message's first line names it ("3 of <name> rows ...").
        """
        self._input = name
        self.args = (self._message(),)

    def _headline(self, one: bool) -> str:
        """What the rows are (``one``: the one row is): where all are of the other kind (molecules
        given to a reaction featuriser, or reactions to a molecule one), that, not that they are
        invalid."""
        reasons = [reason for _, reason in self.bad_rows.values()]
        verb = "is" if one else "are"
        if reasons and all(reason.startswith(NOT_A_REACTION) for reason in reasons):
            return (
                f"{verb} not the reaction SMILES ('reactants>reagents>products') that the reaction_mode reads"
            )
        if reasons and all(reason.startswith(A_REACTION) for reason in reasons):
            return f"{verb} reaction SMILES, where reaction_mode=None reads molecules"
        # (a mapper that fails on every row, a server that is down: no fault of the SMILES)
        if reasons and all(reason.startswith(MAPPER) and MAPPER_FAILED in reason for reason in reasons):
            return f"{verb} {'a reaction' if one else 'reactions'} the atom mapper failed on"
        return self._what_one if one else self._what

    def __reduce__(self):
        # rebuilt from its message and attributes, not its constructor's arguments: a worker
        # process (joblib, Dask) sends it back pickled, and the parent must see the bad rows
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(kind: type, args: tuple, state: dict) -> InvalidSmilesError:
    error = kind.__new__(kind, *args)
    error.args = args
    error.__dict__.update(state)
    return error


@contextmanager
def rows_named_by_index(X: object) -> Iterator[None]:
    """Name the rows of an :class:`InvalidSmilesError` raised inside by X's index labels, where X is
    a pandas object whose labels are not its positions (``train_test_split`` shuffles them)."""
    try:
        yield
    except InvalidSmilesError as error:
        if (index := labelled_index(X)) is not None:
            error.name_rows_by(index)
        raise


class UnmappedReactionError(InvalidSmilesError):
    """Some input reactions lack the atom maps that the condensed graph of reaction needs.

    A reaction counts as mapped when its reactants carry map numbers and every heavy atom of its
    products does, some product number pairing with a reactant's. ``atom_mapper`` is the mapper that
    was set, if any, and ``fitted`` whether a fitted model met them (its mapper changes only with a
    refit), so that the advice fits; ``advice`` says what else the call can do with them.

    Parameters
    ----------
    bad_rows : mapping of row to (value, reason)
        Each unmapped reaction's row, its value and what its maps lack.
    atom_mapper : str or None, default=None
        The featuriser's ``atom_mapper``.
    advice : str, default=None
        What else the call can do with the rows, ending the message.
    fitted : bool, default=False
        Whether a fitted model met the rows.
    """

    _what = (
        "are reactions without complete atom maps, which the condensed graph of reaction "
        "(reaction_mode 'cgr' or 'cgr_product') needs to pair atoms"
    )
    _what_one = _what.replace("are reactions", "is a reaction")

    def __init__(
        self,
        bad_rows: Mapping[Any, tuple[object, str]],
        atom_mapper: object = None,
        advice: str | None = None,
        fitted: bool = False,
    ):
        if atom_mapper is None and fitted:  # setting atom_mapper on it changes nothing until a refit
            advice = (
                "Map them first: this model was fitted with atom_mapper=None, and maps nothing (a model "
                "fitted with atom_mapper='rxnmapper' maps them itself). " + (advice or "")
            ).strip()
        elif atom_mapper is None:
            advice = (
                "Map them first, or let the package map them: atom_mapper='rxnmapper' "
                "(pip install 'sklearn-ltdd[reactions]'). " + (advice or "")
            ).strip()
        else:  # ``advice``: what else the call can do with them
            advice = f"atom_mapper={atom_mapper!r} returned them so; map them another way. " + (
                advice or "Or pass errors='ignore' to make them empty graphs marked in valid_mask_."
            )
        super().__init__(bad_rows, advice)
