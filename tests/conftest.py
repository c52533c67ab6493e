"""Shared test configuration: hypothesis profiles, markers, data location."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("MPLBACKEND", "Agg")

# Profiles: `ci` (default under `make test`), `dev` (quick), `thorough` (many examples).
settings.register_profile(
    "ci",
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=10, deadline=None)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if "TINYGEN_DATA" not in os.environ and _SHARED.is_dir():
    os.environ["TINYGEN_DATA"] = str(_SHARED)


def _gpu_available() -> bool:
    try:
        from tinygen import backend

        cp = backend._import_cupy()
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def pytest_collection_modifyitems(config, items):
    if any(item.get_closest_marker("gpu") for item in items) and not _gpu_available():
        skip = pytest.mark.skip(reason="needs CuPy and a GPU")
        for item in items:
            if item.get_closest_marker("gpu"):
                item.add_marker(skip)


@pytest.fixture
def data_dir() -> Path:
    """The data folder the loaders read (TINYGEN_DATA); tests skip where a file is absent."""
    return Path(os.environ.get("TINYGEN_DATA", Path.home() / ".cache" / "tinygen"))


def require_file(relpath: str) -> Path:
    """Path of a data file under TINYGEN_DATA, or skip the calling test with a reason."""
    root = Path(os.environ.get("TINYGEN_DATA", Path.home() / ".cache" / "tinygen"))
    path = root / relpath
    if not path.exists():
        pytest.skip(f"{path} is absent (set TINYGEN_DATA to a folder holding {relpath})")
    return path
