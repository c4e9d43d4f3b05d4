"""Helpers shared by the benchmark scripts: where the real data is, and writing results."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

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


def best_of(repeats: int, func: Callable[[], object]) -> float:
    """Shortest wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)
