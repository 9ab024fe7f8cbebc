"""Shared form helpers: put a DomainError next to the field where it was typed."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash
from flask_wtf import FlaskForm

from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError

T = TypeVar("T")
# errors that are not the user's input: the unit of work answers them with 403 / 404
PASS_THROUGH = frozenset({"forbidden", "not_found"})


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


def submit(form: FlaskForm, action: Callable[[], T]) -> tuple[bool, T | None]:
    """Run ``action()`` (a service call) for a validated form: ``(True, result)``; on a
    DomainError undo what it wrote, show the message next to the field it names and return
    ``(False, None)``. The request's unit of work commits (see ``ntbase.kernel.uow``)."""
    try:
        return True, action()
    except DomainError as err:
        if err.code in PASS_THROUGH:
            raise  # 403/404: answered by the unit of work, not shown in the form
        db.session.rollback()
        attach_error(form, err)
        return False, None


def act(action: Callable[[], object], success: str) -> bool:
    """Run a form-less POST action (withdraw, cancel…) and flash ``success``; on a
    DomainError undo it and flash the error. A DomainError "not_found" becomes a 404."""
    try:
        action()
    except DomainError as err:
        if err.code in PASS_THROUGH:
            raise
        db.session.rollback()
        flash(err.message, "error")
        return False
    if success:
        flash(success, "success")
    return True
