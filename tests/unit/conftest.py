"""Fixtures of the unit tests."""

from __future__ import annotations

import pytest

from tests.helpers.rules import bound_catalogue


@pytest.fixture(scope="module")
def catalogue():
    """The district rule catalogue with the shipped forms' option labels."""
    return bound_catalogue()
