import os
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("default", deadline=None, max_examples=60)
settings.load_profile("default")


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
    """Exact equality where training runs on the CPU (it repeats bit for bit); on CUDA, equality
    within float tolerance, because its scatter-add and sparse products are not deterministic."""
    import numpy as np
    import torch

    def check(actual, expected):
        if torch.cuda.is_available():
            np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-6)
        else:
            np.testing.assert_array_equal(actual, expected)

    return check
