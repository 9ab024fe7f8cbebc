"""What a learner files (Art. 29), checked field by field by pydantic.

Building a ``ComplaintInput`` checks it: the first refusal is a ``DomainError`` on the
form field it belongs to, with the translated message the form shows next to it.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from ntbase.kernel.bounds import parse_id
from ntbase.kernel.errors import DomainError
from ntbase.office.complaints.models import ComplaintTarget

MAX_ATTACHMENTS = 5
# model field -> form field, where they differ
FORM_FIELDS = {"files": "attachments"}


def _text(value: Any, *, empty: str, max_len: int, min_len: int = 1) -> str:
    text = ("" if value is None else str(value)).strip()
    if len(text) < min_len:
        raise ValueError(empty)
    if len(text) > max_len:
        raise ValueError(_("At most %(n)s characters.", n=max_len))
    return text


class ComplaintInput(BaseModel):
    model_config = ConfigDict(validate_default=True)

    # checked in this order; the first refusal is the one shown
    target: ComplaintTarget | None = None
    base_id: int | None = None
    employer_name: str = ""
    subject: str = ""
    details: str = ""
    files: list[tuple[str, bytes]] = []

    def __init__(self, **data: Any):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _domain_error(exc) from exc

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, value):
        try:
            return ComplaintTarget(value)
        except ValueError:
            raise ValueError(_("Choose whom the complaint is about.")) from None

    @field_validator("base_id", mode="before")
    @classmethod
    def _base(cls, value, info: ValidationInfo):
        if info.data.get("target") != ComplaintTarget.BASE:
            return None
        base_id = parse_id(value)
        if base_id is None:
            raise ValueError(_("Choose the training base."))
        return base_id

    @field_validator("employer_name", mode="before")
    @classmethod
    def _employer(cls, value, info: ValidationInfo):
        if info.data.get("target") != ComplaintTarget.EMPLOYER:
            return ""
        return _text(value, empty=_("Enter the employer's name."), max_len=200)

    @field_validator("subject", mode="before")
    @classmethod
    def _subject(cls, value):
        return _text(value, empty=_("Sum up the complaint in a few words."), max_len=200)

    @field_validator("details", mode="before")
    @classmethod
    def _details(cls, value):
        return _text(value, empty=_("Describe what happened (at least 10 characters)."), max_len=10000,
                     min_len=10)

    @field_validator("files", mode="before")
    @classmethod
    def _files(cls, value):
        files = [(name, data) for name, data in (value or []) if data]
        if len(files) > MAX_ATTACHMENTS:
            raise ValueError(_("At most %(n)s files.", n=MAX_ATTACHMENTS))
        return files


def _domain_error(exc: ValidationError) -> DomainError:
    """The first refusal, on its form field. A validator's ValueError carries our own
    translated message; anything else (a wrong type) gets the field's generic one."""
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else None
    cause = (err.get("ctx") or {}).get("error")
    message = str(cause) if isinstance(cause, ValueError) else _("Check this field.")
    return DomainError(message, field=FORM_FIELDS.get(field, field))
