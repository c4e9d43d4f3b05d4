"""The demo over several seeds: how much of one seed's ranking is the draw.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/demo_seeds.py --dataset templates --seeds 0 1 2``.

Each seed runs the demo, ``sklearn_ltdd.demo.run(dataset, random_state=seed)`` (a new split, or
a new long-tailed subsample, and new model seeds). Every finished seed is appended to
``benchmarks/results/demo_seeds_<dataset>.jsonl`` at once, so an interrupted run keeps its seeds,
and the table (mean ± standard deviation per model over the seeds on record for these epochs, a
seed run again counting once, its last run; each row records the code that made it) is rewritten
from that file:
``demo_seeds_<dataset>.md`` for the demo's 100 epochs, ``demo_seeds_<dataset>_<epochs>ep.md`` for
others (so that a run of other epochs leaves the committed table as it is); ``--tag heldout``
adds ``_heldout`` to the names, a table of its own (seeds 4–6, on which no default was chosen:
``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/demo_seeds.py --seeds 4 5 6 --tag heldout``).
"""

from __future__ import annotations

import argparse
import json

import pandas as pd
from _common import RESULTS, machine, write

from sklearn_ltdd import demo
from sklearn_ltdd.benchmark._results_file import code_version

DEMO_EPOCHS = 100  # the demo's own (demo.run's default), whose table the docs cite


def table(records: list[dict], epochs: int) -> str:
    frame = pd.DataFrame(records)
    frame = frame[frame["epochs"] == epochs].drop_duplicates(["seed", "model"], keep="last")
    seeds = sorted(frame["seed"].unique())
    threads = ", ".join(map(str, sorted(frame["threads"].unique())))
    # (rows written before they recorded the code have none)
    code = frame["code"] if "code" in frame else pd.Series("not recorded", index=frame.index)
    codes = "; ".join(sorted(set(code.fillna("not recorded"))))
    lines = [
        f"Seeds {', '.join(map(str, seeds))}, {epochs} epochs, {threads} thread(s), code {codes}; mean ± "
        "standard deviation (ddof=1) over seeds, then each seed.\n",
        "| model | BA | BF1 | tail BA | fit s | BA per seed |",
        "|---|---|---|---|---|---|",
    ]
    for model, rows in frame.groupby("model", sort=False):
        rows = rows.sort_values("seed")

        def stat(column: str, rows: pd.DataFrame = rows) -> str:
            spread = f" ± {rows[column].std(ddof=1):.3f}" if len(rows) > 1 else ""
            return f"{rows[column].mean():.3f}{spread}"

        per_seed = " / ".join(f"{v:.3f}" for v in rows["BA"])
        lines.append(
            f"| {model} | {stat('BA')} | {stat('BF1')} | {stat('tail BA')} | "
            f"{rows['fit s'].mean():.0f} | {per_seed} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", choices=demo.DATASETS, default="templates")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=DEMO_EPOCHS)
    # seeds run apart keep a table of their own: those no default was chosen on, say
    parser.add_argument("--tag", default="", help="a suffix of the results files' names")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    tag = f"_{args.tag}" if args.tag else ""
    log = RESULTS / f"demo_seeds_{args.dataset}{tag}.jsonl"
    run = {"epochs": args.epochs, "threads": machine()["cpu_threads"], "code": code_version()}
    name = f"demo_seeds_{args.dataset}{tag}" + ("" if args.epochs == DEMO_EPOCHS else f"_{args.epochs}ep")
    for seed in args.seeds:
        summary = demo.run(args.dataset, random_state=seed, epochs=args.epochs)
        with log.open("a") as handle:
            for model, row in summary.iterrows():
                handle.write(json.dumps({"seed": seed, "model": model, **run, **row.to_dict()}) + "\n")
        records = [json.loads(line) for line in log.read_text().splitlines()]
        write(name, {"records": records}, table(records, args.epochs))


if __name__ == "__main__":
    main()
