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


def safe_local_path(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects):
    "//host" and "/\\host" are other sites to a browser, and so is anything with a scheme."""
    target = target or ""
    ok = (target.startswith("/") and not target.startswith(("//", "/\\"))
          and "\\" not in target and not any(ch in target for ch in "\r\n\t"))
    return target if ok else default
