"""Screen a CSV or Parquet library with a saved model: ``python -m sklearn_ltdd.screen``.

Example::

    python -m sklearn_ltdd.screen model.joblib library.parquet scores.parquet --keep id --errors nan

The model is a fitted LTDDClassifier or BaselineClassifier saved with ``joblib.dump``; loading
runs code from the file, so load only models you trust. Run the same command again to resume an
interrupted screen. Bad rows (``--errors raise``) are all listed in
``<destination>.invalid.csv``, each with its row number, SMILES, reason and ``--keep`` columns;
a later run that scores the file removes that list.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Sequence
from typing import NoReturn

from .._cli import as_flag_error, n_jobs_flag, with_notes
from .._console import say
from . import ERRORS

CLI_ADVICE = "Fix or remove these rows, or run again with --errors nan to score the others and mark these."


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose complaint of missing files says where ``--keep`` took them."""

    keep_given = False

    def error(self, message: str) -> NoReturn:
        if self.keep_given and message.startswith("the following arguments are required"):
            message += (
                " (--keep takes every word after it as a column name: give the three files before "
                "it, or end its columns with --)"
            )
        super().error(message)


def main(argv: Sequence[str] | None = None) -> None:
    parser = _Parser(
        prog="python -m sklearn_ltdd.screen",
        description="Score every row of a CSV or Parquet file with a saved classifier, in chunks, resumably.",
        epilog="Columns written: the kept ones, prediction (the model's predict: by default it takes the "
        "training set's class prior out, so it need not be the class of the largest probability), "
        "proba_<class> (predict_proba, prior kept; with --top-k K: class_1, proba_1, ..., class_K, proba_K), "
        "valid, error. "
        "Exit status: 0 scored; 1 bad rows, listed in <destination>.invalid.csv (none scored, but where "
        "the atom mapper failed past the first chunk: the rows before are kept in <destination>.partial); "
        "2 a usage or input error; 130 interrupted (the rows scored so far are in <destination>.partial; the "
        "same command resumes).",
    )
    parser.add_argument("model", help="a fitted classifier saved with joblib.dump")
    parser.add_argument("source", help="the library: .parquet, or CSV")
    parser.add_argument("destination", help=".csv, or .parquet (a directory of parts)")
    parser.add_argument("--smiles-column", default="smiles", help="column of SMILES (default smiles)")
    parser.add_argument("--keep", nargs="+", metavar="COLUMN", help="input columns to write (default all)")
    parser.add_argument(
        "--errors", choices=ERRORS, default="raise",
        help="raise: name every bad row and stop before scoring (default); nan: score the rest, mark them",
    )  # fmt: skip
    parser.add_argument("--chunk-rows", type=int, default=100_000, help="rows per chunk (default 100000)")
    parser.add_argument(
        "--n-jobs",
        type=n_jobs_flag,
        default=None,
        help="processes that featurise (default: the model Pipeline's SmilesGraphizer's n_jobs, else 1)",
    )
    parser.add_argument(
        "--top-k", type=int, default=None, metavar="K",
        help="write each row's K classes of the highest scores (class_1, proba_1, ...; predict's "
        "decision, so the probabilities need not decrease) instead of a probability per class: for "
        "models of hundreds of classes",
    )  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="no progress bar (else shown on a terminal)")
    # --keep as a word of its own (or as argparse's abbreviations of it), whose columns follow
    words = sys.argv[1:] if argv is None else argv
    parser.keep_given = any(arg.startswith("--k") and "--keep".startswith(arg) for arg in words)
    args = parser.parse_args(argv)
    with warnings.catch_warnings():  # lines of the command's, not Python's file:line and source line
        warnings.showwarning = lambda message, *_, **__: print(
            f"{parser.prog}: warning: {message}", file=sys.stderr, flush=True
        )
        try:
            _screen(parser, args)
        except KeyboardInterrupt:  # before the screen (loading the code, the model) or after it
            parser.exit(130, f"{parser.prog}: interrupted.\n")


def _screen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    # only now the model's code (torch, RDKit: seconds), which --help and usage errors do without
    import joblib

    from .._arguments import expanded
    from .._csv import starts_as
    from ..featurize import InvalidSmilesError
    from ._file import check_destination, screen_file
    from ._frame import SCREEN_ADVICE, TOP_K_NONE
    from ._resume import partial_path, record_path
    from ._source import bad_rows_table

    start = time.perf_counter()
    # (a shell leaves "--x=~/..." as it is, so does Windows' cmd always: read as screen_file reads them)
    try:
        args.model, args.source, args.destination = (
            expanded(getattr(args, name), name) for name in ("model", "source", "destination")
        )
        check_destination(args.destination)  # (before its list of bad rows is named: "." has no name)
    except ValueError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    listing = args.destination.with_name(args.destination.name + ".invalid.csv")
    # a list of bad rows is overwritten and removed: not the source (its rows fixed, screened again)
    # nor a file that is no such list
    source = listing.is_file() and args.source.exists() and listing.samefile(args.source)
    if listing.is_file() and (source or not starts_as(listing, ("row,value,reason",))):
        parser.exit(
            2,
            f"{parser.prog}: error: {listing} is where the bad rows of a screen into "
            f"{args.destination.name} are listed, and it is {'the source' if source else 'not such a list'}; "
            f"{'screen a copy of it' if source else 'move it away'}, or choose another destination.\n",
        )
    try:
        model = joblib.load(args.model)
    except Exception as error:  # unpickling fails in as many ways as a file can be something else
        reason = f"{type(error).__name__}: {error}"
        advice = "give a file written by joblib.dump"
        if isinstance(error, AttributeError) and "__main__" in str(error):
            advice = (
                "the model refers to a function or class defined in the script or notebook that "
                "fitted it (its atom_mapper, say), which is found only where it is defined: move it "
                "into a module that can be imported here and refit, or screen from that script with "
                "screen_file()"
            )
        parser.exit(2, f"{parser.prog}: error: cannot load a model from {args.model} ({reason}); {advice}.\n")
    # a file there before, without the record of a screen, is refused, not completed (one with it
    # was stopped after its last rename, and is finished again)
    unrelated = args.destination.exists() and not record_path(args.destination).exists()
    try:
        n_rows = screen_file(
            model, args.source, args.destination,
            smiles_column=args.smiles_column, keep=args.keep, errors=args.errors,
            chunk_rows=args.chunk_rows, n_jobs=args.n_jobs, progress=not args.quiet and sys.stderr.isatty(),
            top_k=args.top_k,
        )  # fmt: skip
    except InvalidSmilesError as error:  # the message shows ten rows; the file holds them all
        message = str(error)
        if message.endswith(SCREEN_ADVICE):  # it names screen_file's argument; here it is a flag
            message = message.removesuffix(SCREEN_ADVICE) + CLI_ADVICE
        else:  # other advice (say, map the reactions first) stays, and this follows it
            message += f"\n{CLI_ADVICE}"
        for note in getattr(error, "__notes__", []):  # (the rows kept, where some were scored)
            message += "\n" + _as_flags(note)
        try:  # the rows' identifiers: one more pass over the file, which may fail or be stopped
            rows = bad_rows_table(args.source, args.smiles_column, args.keep, error.bad_rows)
        except (OSError, ValueError, MemoryError, KeyboardInterrupt) as cannot:
            rows = bad_rows_table(args.source, args.smiles_column, [], error.bad_rows)
            message += f"\nThe list gives no --keep columns: reading them failed ({cannot!r})."
        try:
            rows.to_csv(listing, index=False)
        except OSError as cannot:
            parser.exit(
                1, f"{message}\nThe list of all {len(rows)} bad rows could not be written: {cannot}\n"
            )
        parser.exit(1, f"{message}\nAll {len(rows)} bad rows are listed in {listing}.\n")
    # (ImportError: a Parquet file without pyarrow, a .csv.zst without zstandard)
    except (OSError, ValueError, TypeError, ImportError) as error:
        flagged = ("smiles_column", "keep", "chunk_rows", "n_jobs", "top_k")
        message = _as_flags(as_flag_error(str(error), flagged)).replace(TOP_K_NONE, ".")
        parser.exit(2, f"{parser.prog}: error: {with_notes(message, error)}\n")  # (chunks kept, say)
    except KeyboardInterrupt:
        partial = partial_path(args.destination)
        if not partial.exists() and args.destination.exists() and not unrelated:  # after the last rename
            parser.exit(
                130, f"{parser.prog}: interrupted, after every row was scored into {args.destination}.\n"
            )
        if not partial.exists():  # (stopped in the check of every row, say)
            parser.exit(130, f"{parser.prog}: interrupted before a row was written.\n")
        parser.exit(130, f"{parser.prog}: interrupted; the chunks scored so far are kept in {partial}, "
                         "and the same command resumes from them.\n")  # fmt: skip
    lines = [f"{n_rows} rows scored into {args.destination} in {time.perf_counter() - start:.0f} s"]
    if listing.is_file():  # an earlier run's list, of rows since fixed or now marked in the scores
        try:
            listing.unlink()
            lines.append(f"removed {listing}, the bad rows of an earlier run")
        except OSError as error:
            lines.append(f"{listing} lists the bad rows of an earlier run and could not be removed: {error}")
    say("\n".join(lines))  # (stdout gone, its pipe's reader ended: the screen is done all the same)


def _as_flags(message: str) -> str:
    """screen_file's ``errors='nan'`` and ``errors='raise'`` in a message as the command's flags."""
    return message.replace("errors='nan'", "--errors nan").replace("errors='raise'", "--errors raise")


if __name__ == "__main__":
    main()
