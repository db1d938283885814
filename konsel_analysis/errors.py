"""The one exception a user can cause and fix.

Kept in its own module so that every step (and the ``konsel`` command, which
catches it) can import it without importing each other.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; its message names the file, the column and the fix."""
