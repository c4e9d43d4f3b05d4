import gzip
import lzma
import os
import sys
import zipfile
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import settings
from joblib import cpu_count
from threadpoolctl import threadpool_limits

settings.register_profile("default", deadline=None, max_examples=60)
settings.load_profile("default")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: a worker per core allowed (xdist itself would count the host's physical cores,
    whatever the affinity mask or the container's quota; joblib counts both)."""
    return cpu_count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that reads the real benchmark data (the ``shared_data`` fixture), so
    that ``-m "not slow"`` leaves them out as the marker's declaration says."""
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def _share_the_cores_among_xdist_workers() -> None:
    """Each pytest-xdist worker gets its share of the cores for torch, BLAS and OpenMP, and so do
    the processes it starts: two torch processes that each take every core slow each other down up
    to tenfold."""
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers is None:
        return
    threads = max(1, cpu_count() // int(workers))
    os.environ["OMP_NUM_THREADS"] = str(threads)
    torch.set_num_threads(threads)
    threadpool_limits(threads)


_share_the_cores_among_xdist_workers()


def shared_data_dir() -> Path | None:
    """The real benchmark data: $SKLEARN_LTDD_DATA, else ../shared/data beside the repository."""
    candidates = [
        os.environ.get("SKLEARN_LTDD_DATA"),
        Path(__file__).resolve().parents[2] / "shared" / "data",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("real benchmark data not found: set SKLEARN_LTDD_DATA or place it in ../shared/data")
    return path


@pytest.fixture
def assert_same_predictions():
    """Exact equality on a machine without CUDA (the CPU repeats a computation bit for bit), or
    within ``cpu_rtol`` where the CPU computes the same in another order; where CUDA is, and so
    the default device, within float tolerance, because its scatter-add and sparse products are
    not deterministic. Labels are compared exactly."""

    def check(actual, expected, cpu_rtol=0.0):
        actual, expected = np.asarray(actual), np.asarray(expected)
        if expected.dtype.kind not in "fc":
            np.testing.assert_array_equal(actual, expected)
        elif torch.cuda.is_available():
            np.testing.assert_allclose(actual, expected, rtol=max(cpu_rtol, 1e-4), atol=1e-6)
        else:
            np.testing.assert_allclose(actual, expected, rtol=cpu_rtol, atol=0)

    return check


class _ClosedPipe:
    """A standard output whose pipe's reader has ended (``| head -1``): every write fails."""

    def __init__(self, fd: int):
        self.fd = fd

    def write(self, text: str) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self.fd


@pytest.fixture
def closed_stdout(tmp_path, monkeypatch):
    """A context in which ``sys.stdout`` is a closed pipe (over a file's descriptor)."""

    @contextmanager
    def closed():
        with open(tmp_path / "closed-stdout", "w") as file, monkeypatch.context() as patch:
            patch.setattr(sys, "stdout", _ClosedPipe(file.fileno()))
            yield

    return closed


@pytest.fixture
def stand_in_data_files(monkeypatch):
    """Let small stand-ins written into a data home be read as the benchmark files: a file in place
    is otherwise checked against the documented sha256."""
    from sklearn_ltdd.datasets import REMOTE_FILES

    for key, remote in REMOTE_FILES.items():
        monkeypatch.setitem(REMOTE_FILES, key, replace(remote, sha256=None))


@pytest.fixture
def damaged_tables(tmp_path) -> dict:
    """Compressed tables cut short, or not of the compression their names say, and a zip of two
    files: each file's name, and what its message must say."""
    table = ("smiles,HIV_active\n" + "CCO,0\nCCN,1\n" * 2000).encode()
    files = {
        "cut.csv.gz": (packed := gzip.compress(table))[: len(packed) // 2],
        "plain.csv.gz": table,
        "plain.csv.bz2": table,
        "cut.csv.xz": (packed := lzma.compress(table))[: len(packed) // 2],
        "plain.csv.zip": table,
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    with zipfile.ZipFile(tmp_path / "two.csv.zip", "w") as two:
        two.writestr("a.csv", table)
        two.writestr("b.csv", table)
    said = {name: rf"{name} cannot be read as a table \(\w+: .*\); is it complete" for name in files}
    return {
        **said,
        "two.csv.zip": r"two.csv.zip holds 2 entries \(\['a.csv', 'b.csv'\]\); a zipped table is one file",
    }
