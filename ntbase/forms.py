"""Shared form helpers: put a DomainError next to the field where it was typed."""
from __future__ import annotations

from flask_wtf import FlaskForm

from ntbase.db import DomainError


def attach_error(form: FlaskForm, err: DomainError) -> None:
    field = getattr(form, err.field, None) if err.field else None
    if field is not None:
        field.errors = list(field.errors or []) + [err.message]
    else:
        form.form_errors.append(err.message)
