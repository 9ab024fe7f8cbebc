"""Signed addresses of a person's record.

A record's address carries a signed reference, not the user number: the office reaches a
record by the full ID number (or from a list it legitimately holds, like its applicants),
never by counting through /office/person/1, 2, 3… The reference is bound to the officer
and lasts a working day.
"""
from __future__ import annotations

from flask import abort, current_app, url_for
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ntbase.accounts.models import User
from ntbase.office.person.services import get_learner

PERSON_REF_MAX_AGE = 12 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="office.person-ref")


def person_url(user_id: int, endpoint: str = "office.person_view", **values) -> str:
    """The address of a learner's record for the current officer (``office_person_url`` in templates)."""
    ref = _serializer().dumps([int(user_id), int(current_user.id)])
    return url_for(endpoint, ref=ref, **values)


def learner_from_ref(ref: str) -> User | None:
    """The learner a reference names, or None when it has expired; 404 when it is forged,
    another officer's, or names no learner."""
    try:
        user_id, officer_id = _serializer().loads(ref, max_age=PERSON_REF_MAX_AGE)
    except SignatureExpired:
        return None
    except (BadSignature, ValueError, TypeError):
        abort(404)
    if officer_id != current_user.id:
        abort(404)
    learner = get_learner(user_id)
    if learner is None:
        abort(404)
    return learner
