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
