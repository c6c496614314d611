"""The range test's error type (its own module: the test and its batch handling both raise it)."""

from __future__ import annotations

from ..errors import LrkitError


class FinderError(LrkitError):
    """A range test that cannot run as asked; the message says which argument to change."""
