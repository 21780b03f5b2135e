"""Shared pytest set-up: make ``tests.helpers`` importable and keep torch deterministic and small."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dao_engine.threads import configure_threads, prepare_environment

prepare_environment()  # OMP_WAIT_POLICY=PASSIVE before torch loads (see dao_engine/threads.py)
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _limit_threads():
    """The project's thread rule (one intra-op thread unless DAO_THREADS says otherwise); a
    test that changes the count gets it restored afterwards."""
    before = configure_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(1234)
