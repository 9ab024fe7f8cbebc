"""One unit of work per request, per CLI command and per background job.

Services change objects and flush; they never commit. The request commits once, at its
end, when it succeeded (a response below 400), and rolls back otherwise; so a request
either writes everything it set out to write or nothing at all.

- ``UnitOfWorkFlask.dispatch_request`` is the one place a request commits (or rolls back).
  A ``DomainError`` that escapes a view is answered here too: JSON under ``/api/``
  (422, or 403/404/409 by its code), a flashed message and a redirect back for a form-less
  POST, an error page otherwise. Forms show errors next to their field with
  ``ntbase.kernel.forms.submit``, which rolls the failed attempt back first.
- A response that must keep its writes although it reports an error (a payment webhook
  that records a refused event and answers 422) calls ``keep_writes()``.
- GET, HEAD and OPTIONS requests cannot write: any INSERT, UPDATE or DELETE they try
  raises ``ReadOnlyRequest`` before it reaches the database, except rows of the
  append-only audit log (a look at a person's record is itself recorded, by
  ``audit.record_view``, in a transaction of its own once the request's is over).
- Outside requests, ``unit_of_work()`` does the same for the CLI and background jobs.
- ``after_commit(fn)`` runs ``fn`` once the surrounding unit of work has committed (never
  after a rollback): for work that must not happen for writes that were undone, such as
  handing a notification to the mail queue.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, flash, g, has_request_context, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ntbase.kernel import audit
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.kernel.forms import safe_local_path

log = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A read may record that it happened: who looked at whose data (Art. 27 records, PIPL).
READ_SAFE_TABLES = frozenset({"audit_log"})
_DML = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z_][A-Za-z0-9_]*)"?', re.I)

# DomainError.code -> HTTP status for JSON answers (anything else is 422)
STATUS_BY_CODE = {"not_found": 404, "forbidden": 403, "duplicate": 409, "conflict": 409}


class ReadOnlyRequest(RuntimeError):
    """A GET (HEAD, OPTIONS) request tried to write: a programming error, never a user's."""


# ---------------------------------------------------------------- the request boundary

class UnitOfWorkFlask(Flask):
    """Flask with the request's unit of work around every view (see the module docstring)."""

    def dispatch_request(self):
        try:
            rv = super().dispatch_request()
        except DomainError as err:
            rollback()
            return domain_error_response(err)
        except BaseException:
            rollback()
            raise
        response = self.make_response(rv)
        if response.status_code < 400 or g.get("uow_keep"):
            try:
                commit()
            except IntegrityError as exc:
                # two requests did the same thing at the same moment and the database kept one
                log.info("unit of work lost a race at commit on %s: %s", request.path, exc.orig)
                return conflict_response()
        else:
            rollback()
        return response


def keep_writes() -> None:
    """Commit this request's writes although its response reports an error (4xx)."""
    g.uow_keep = True


def commit() -> None:
    if not db.session.registry.has():
        return  # the request never opened a session: nothing to commit, nothing pending
    session = db.session()
    if session.in_transaction():
        db.session.commit()  # through the scoped session, the one place a request commits
    _write_pending_views(session)
    _run_after_commit(session)


def rollback() -> None:
    if not db.session.registry.has():
        return
    session = db.session()
    if session.in_transaction():
        db.session.rollback()
    session.info.pop("uow_after_commit", None)
    _write_pending_views(session)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """The CLI's and background jobs' transaction: commit at the end, or roll back on error."""
    try:
        yield db.session
    except BaseException:
        rollback()
        raise
    commit()


def _write_pending_views(session) -> None:
    rows = audit.take_pending_views(session)
    if rows:
        # one multi-row INSERT: an export records a look at each of thousands of people
        session.execute(sa.insert(audit.AuditLog), rows)
        db.session.commit()


def after_commit(fn: Callable[[], None]) -> None:
    db.session().info.setdefault("uow_after_commit", []).append(fn)


def _run_after_commit(session) -> None:
    for fn in session.info.pop("uow_after_commit", []):
        try:
            fn()
        except Exception:  # noqa: BLE001 - the data is committed; a failed hook is logged, not undone
            log.exception("after-commit hook %r failed", fn)


# ---------------------------------------------------------------- answers

def wants_json() -> bool:
    return request.path.startswith("/api/") or request.is_json


def domain_error_response(err: DomainError):
    """A service's refusal that no form caught, in the shape the client reads."""
    if wants_json():
        resp = jsonify(error=err.code, message=err.message,
                       **({"fields": [{"field": err.field, "message": err.message}]} if err.field else {}))
        resp.status_code = STATUS_BY_CODE.get(err.code, 422)
        return resp
    if err.code == "not_found":
        return render_template("errors/error.html", code=404, message=err.message), 404
    if err.code == "forbidden":
        return render_template("errors/error.html", code=403,
                               message=_("You do not have permission to see this page.")), 403
    if request.method not in READ_METHODS:
        flash(err.message, "error")
        return redirect(safe_local_path(request.referrer and _path_of(request.referrer), request.path))
    return render_template("errors/error.html", code=422, message=err.message), 422


def conflict_response():
    msg = _("Someone else changed this at the same moment, so nothing was saved. Please reload the page "
            "and try again.")
    if wants_json():
        return jsonify(error="conflict", message=msg), 409
    return render_template("errors/error.html", code=409, message=msg), 409


def _path_of(url: str) -> str:
    """The path and query of a same-site referrer (anything else is ignored)."""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


# ---------------------------------------------------------------- reads cannot write

def _check_statement(statement: str) -> None:
    if not has_request_context() or request.method not in READ_METHODS:
        return
    m = _DML.match(statement)
    if m and m.group(1).lower() not in READ_SAFE_TABLES:
        raise ReadOnlyRequest(f"{request.method} {request.path} tried to write to {m.group(1)}: "
                              "reads cannot write (use a POST form)")


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if not sa.event.contains(engine, "before_cursor_execute", _before_cursor_execute):
        sa.event.listen(engine, "before_cursor_execute", _before_cursor_execute)


def _before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
    _check_statement(statement)


__all__ = ["UnitOfWorkFlask", "ReadOnlyRequest", "keep_writes", "commit", "rollback", "unit_of_work",
           "after_commit", "domain_error_response", "conflict_response"]
