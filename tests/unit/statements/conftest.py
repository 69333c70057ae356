from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import SAMPLES


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"shared sample files are not present at {SAMPLES}")
    return SAMPLES
