"""Helpers shared by the benchmark scripts: where the real data is, an earlier tree of the package,
a fresh process, and writing results."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def arguments(doc: str | None, **positional: dict) -> argparse.Namespace:
    """A script's command line: ``--help`` prints its docstring, an unknown argument is refused
    (rather than the benchmark running, and overwriting its results); ``positional`` names
    optional positional arguments and their ``add_argument`` options."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, options in positional.items():
        parser.add_argument(name, nargs="?", **options)
    return parser.parse_args()


def data_dir() -> Path:
    """The real benchmark data: $SKLEARN_LTDD_DATA, else ../shared/data beside the repository."""
    for candidate in (os.environ.get("SKLEARN_LTDD_DATA"), ROOT.parent / "shared" / "data"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    sys.exit("benchmark data not found: set SKLEARN_LTDD_DATA or place it in ../shared/data")


def hiv_smiles(n: int | None = None) -> list[str]:
    import pandas as pd

    smiles = pd.read_csv(data_dir() / "hiv" / "HIV.csv")["smiles"].tolist()
    return smiles if n is None else smiles[:n]


def hiv_sample(n: int) -> tuple[list[str], np.ndarray]:
    """The first ``n`` HIV molecules RDKit reads, with random labels, 10 % "active" (seed 0): what
    the training benchmarks train on, the same molecules in each."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    smiles = [s for s in hiv_smiles(n + 100) if Chem.MolFromSmiles(s) is not None][:n]
    return smiles, np.random.default_rng(0).choice(["inactive", "active"], size=len(smiles), p=[0.9, 0.1])


@contextmanager
def tree_at(revision: str) -> Iterator[str]:
    """A folder holding the package as it was at git ``revision`` (a temporary worktree, removed
    afterwards); a folder given instead is that tree itself (where there is no git history)."""
    if os.path.isdir(revision):
        yield os.path.abspath(revision)
        return
    with tempfile.TemporaryDirectory(prefix="ltdd-bench-") as tmp:
        tree = os.path.join(tmp, "tree")
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", tree, revision],
                       check=True, capture_output=True)  # fmt: skip
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", tree], check=False)


def in_fresh_process(script: str, args: list[str], tree: str | None = None) -> dict:
    """The JSON that ``script args`` prints last, run in a fresh Python that imports the
    package from ``tree`` when given; its stderr passes through (a failure's traceback lands in
    the log of a one-shot device run)."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [tree, env.get("PYTHONPATH")]))
    command = [sys.executable, script, *args]
    out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def both_trees(
    script: str, before: str, cases: Iterable[list[str]]
) -> Iterator[tuple[list[str], dict, dict]]:
    """Each case measured by ``script --measure *case`` (the JSON it prints) in the tree at
    ``before`` and in this one, side by side, each in a fresh process."""
    with tree_at(before) as old:
        for case in cases:
            measure = ["--measure", *case]
            yield case, in_fresh_process(script, measure, old), in_fresh_process(script, measure, str(ROOT))


def write_table(name: str, results: dict, title: str, columns: list[str], rows: list[str]) -> None:
    """:func:`write` with markdown of one table: a line saying what it holds, then its rows."""
    lines = [f"{title}\n", f"| {' | '.join(columns)} |", "|" + "---|" * len(columns), *rows, ""]
    write(name, results, "\n".join(lines))


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
    }


def write(name: str, results: dict, markdown: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps({"machine": machine(), **results}, indent=2))
    (RESULTS / f"{name}.md").write_text(markdown)
    print(markdown)
    print(f"written to {RESULTS / name}.json and .md")


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike getrusage's ru_maxrss, which a child
    inherits from its parent across fork and exec, it is this program's alone); ru_maxrss where
    there is no /proc (macOS)."""
    status = Path("/proc/self/status")
    if not status.exists():
        return rusage_peak_mb()
    lines = status.read_text().splitlines()
    return int(next(line for line in lines if line.startswith("VmHWM")).split()[1]) / 1024


def rusage_peak_mb() -> float:
    """getrusage's ru_maxrss in MB: counted in KiB on Linux, in bytes on macOS."""
    import resource  # (POSIX only)

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)


def best_of(repeats: int, func: Callable[[], object]) -> float:
    """Shortest wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)
