"""``python -m sklearn_ltdd.benchmark``: the Table-2 benchmark from the command line."""

from __future__ import annotations

import argparse

from .._cli import as_flag_error, n_jobs_flag, with_notes
from .._console import say
from ..featurize._cgr import GRAPH_REACTION_MODES
from ..model_selection._imdrug import SPLITS
from ._names import DEFAULT_METHODS, DEFAULT_OUT, DEFAULT_SEEDS, METHODS, PAPER_EPOCHS
from ._tasks import DATASETS, DataError, default_split, task_name

#: check_arguments' parameters that a flag gives, named by it in their errors
_FLAGGED = (
    "dataset",
    "seeds",
    "methods",
    "epochs",
    "warmup",
    "update_every",
    "reaction_mode",
    "n_jobs",
    "split",
    "device",
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_ltdd.benchmark",
        description="Train and score the methods named (the paper's Table 2 by default) on one data set's "
        "ImDrug split, for each seed; results as JSON lines and a markdown table.",
        epilog="Each finished run is appended to <out>/<dataset>-<split>.jsonl (<dataset>-<split>-<mode>"
        ".jsonl for a --reaction-mode other than pair); run the same command again to resume. The table "
        "(.md, .csv) summarises every run of that file, earlier calls' too; runs of other --epochs are rows "
        "of their own; a file of runs on other data, or of these epochs with another --warmup or "
        "--update-every, is refused (use another --out).",
    )
    parser.add_argument(
        "--dataset",
        default="hiv",
        metavar="DATASET",
        help=f"one of {', '.join(DATASETS)} (default hiv; sbap is classified by its ligands' SMILES "
        "alone, no protein encoder), or the path of a table of your own: CSV, or tab-separated named .tsv "
        "or .tab, a SMILES column (smiles, SMILES, Drug or drug) and a label column (label, y, Y or "
        "HIV_active)",
    )
    parser.add_argument("--split", default=None,
                        choices=sorted(SPLITS, key=lambda split: split != "standard"),  # the default first
                        help="ImDrug's split: standard (balanced validation and test sets; the default) "
                             "or random (stratified; the default of the template tasks, whose small "
                             "classes the standard split cannot cut)")  # fmt: skip
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS),
                        help="the seeds themselves (--seeds 3 is seed 3 alone); default "
                             f"{' '.join(map(str, DEFAULT_SEEDS))}")  # fmt: skip
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS),
                        choices=METHODS, metavar="METHOD",
                        help=f"default: the paper's table, {' '.join(DEFAULT_METHODS)}; 'defaults' is the "
                             f"package's defaults; any of {', '.join(METHODS)}")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"graph models; {PAPER_EPOCHS} as in the paper; fewer on CPU")  # fmt: skip
    parser.add_argument(
        "--warmup", type=int, default=None, help="paper-protocol rows; default: epochs / 30, at least 1"
    )
    parser.add_argument(
        "--update-every", type=int, default=None, help="paper-protocol rows; default: epochs / 30, at least 1"
    )
    parser.add_argument("--reaction-mode", default=None, choices=GRAPH_REACTION_MODES,
                        help="graph mode for reaction data sets (default pair; cgr reads the mapped "
                             "reactions)")  # fmt: skip
    parser.add_argument("--data-home", default=None,
                        help="folder with hiv/, uspto50k/, sbap/ (default: $SKLEARN_LTDD_DATA, else "
                             "~/sklearn_ltdd_data)")  # fmt: skip
    parser.add_argument("--download", action="store_true", help="fetch a missing data file first")
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        help=f"where JSON lines and tables go (default {DEFAULT_OUT}, from the current folder)",
    )
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:<index>")
    parser.add_argument("--n-jobs", type=n_jobs_flag, default=1, help="processes that featurise (default 1)")
    parser.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2),
                        help="1 prints a line per epoch of each fit, 2 adds a progress bar")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        _benchmark(parser, args)
    except KeyboardInterrupt:  # before the runs (loading the code) or after them
        parser.exit(130, f"{parser.prog}: interrupted.\n")


def _benchmark(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    # the training modules, and torch with them, once the arguments are read: --help needs none
    from .._arguments import expanded
    from ._results_file import ResultsFileError, result_stem
    from ._run import SplitError, check_arguments, run_benchmark

    try:  # a bad value is a usage error, named before anything is loaded or written
        check_arguments(args.dataset, args.seeds, args.methods, args.epochs, args.warmup, args.update_every,
                        args.reaction_mode, args.n_jobs, args.split, args.device)  # fmt: skip
        out = expanded(args.out, "--out")
    except (TypeError, ValueError) as error:
        parser.error(as_flag_error(str(error), _FLAGGED))
    args.split = default_split(args.dataset) if args.split is None else args.split
    # what only the run finds (missing or damaged data, an --out of other settings or data or that is a
    # file): said, not a traceback; errors of training keep theirs
    try:
        run_benchmark(args.dataset, split=args.split, seeds=args.seeds, methods=args.methods,
                      epochs=args.epochs, warmup=args.warmup, update_every=args.update_every,
                      reaction_mode=args.reaction_mode, data_home=args.data_home, download=args.download,
                      out_dir=args.out, device=args.device, n_jobs=args.n_jobs,
                      verbose=args.verbose)  # fmt: skip
    except SplitError as error:
        parser.exit(2, f"{parser.prog}: error: {error} (--seeds gives the random_state, --split the split)\n")
    except (OSError, DataError, ResultsFileError) as error:  # with its notes: what is kept, say
        parser.exit(2, f"{parser.prog}: error: {with_notes(str(error), error)}\n")
    except KeyboardInterrupt:
        parser.exit(130, f"{parser.prog}: interrupted; the runs that finished are kept in {args.out}, "
                         "and the same command resumes from them.\n")  # fmt: skip
    stem = result_stem(task_name(args.dataset), args.split, args.reaction_mode)
    table = out / f"{stem}.md"
    say(table.read_text(encoding="utf-8"))  # (its ± and – in any terminal)


if __name__ == "__main__":
    main()
