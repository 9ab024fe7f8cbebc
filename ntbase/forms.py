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


def submit(form: FlaskForm, action):
    """Run ``action()`` (a service call) for a validated form, as one transaction: commit
    and return ``(True, result)``; on a DomainError roll back, show the message next to the
    field it names and return ``(False, None)``."""
    from ntbase.db import db

    try:
        result = action()
    except DomainError as err:
        db.session.rollback()
        attach_error(form, err)
        return False, None
    db.session.commit()
    return True, result


def act(action, success: str) -> bool:
    """Run a form-less POST action (withdraw, cancel…): commit and flash ``success``, or roll
    back and flash the error. A DomainError with code "not_found" becomes a 404."""
    from flask import abort, flash

    from ntbase.db import db

    try:
        action()
    except DomainError as err:
        db.session.rollback()
        if err.code == "not_found":
            abort(404)
        flash(err.message, "error")
        return False
    db.session.commit()
    flash(success, "success")
    return True
