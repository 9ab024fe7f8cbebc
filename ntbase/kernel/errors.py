"""Errors services raise. Their messages are already translated for the user.

One place turns them into responses (``ntbase.kernel.uow``): next to the form field they
name, as a flash message after a form-less action, or as JSON 422/403/404 under /api/.
"""
from __future__ import annotations


class DomainError(Exception):
    """A rule was broken; ``message`` is already translated for the user.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class PermissionDenied(DomainError):
    def __init__(self, message: str = "forbidden"):
        super().__init__(message, code="forbidden")
