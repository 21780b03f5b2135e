"""Engine test fixtures: a tiny trained checkpoint shared by API and CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.models import train_tiny_dao_g, train_tiny_dao_p


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A 1-layer, 16-wide DAO-G trained for 3 steps on NaCl/CsCl/Si (max 12 atoms)."""
    return train_tiny_dao_g(tmp_path_factory.mktemp("models") / "tiny.pt")


@pytest.fixture(scope="session")
def tiny_dao_p(tmp_path_factory) -> Path:
    """A small DAO-P whose energy head learned E = (a − 5.64 Å)² on strained NaCl cells."""
    return train_tiny_dao_p(tmp_path_factory.mktemp("models") / "tiny_dao_p.pt")
