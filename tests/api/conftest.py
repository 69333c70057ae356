"""Fixtures shared by the API tests of one feature and another."""

import pytest

from tests.api.recon_helpers import World


@pytest.fixture
def world(api, admin, officer, session, parties):
    """Invoice reconciliation's world: GB and DE owe RW (test files with another world define their own)."""
    return World(api, admin, officer, session, parties)
