"""schemathesis against /api/v1/openapi.json, inside the suite (#15.4).

Every operation of the OpenAPI document, with positive (fits the schema) and negative
(breaks it) cases, called in-process over WSGI on the demo data: no response may be a
server error, and every response must conform to what the document says (status codes,
content types, JSON schemas). Learner routes run with the demo learner's session, office
routes with an office API token, so the fuzzing reaches past the 401.

The number of examples is bounded (``API_FUZZ_EXAMPLES`` per operation and mode, default
25) so the run fits the CI budget on two cores; ``API_FUZZ_EXAMPLES=500`` digs deeper.
Hypothesis is derandomised: CI sees the same cases every run.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ntbase.kernel.db import db
from tests.conftest import _clean_tables

# Operations with rules JSON Schema cannot state, so that a schema-valid request may still be
# refused (422, with a message): a code's check character (mod 37); an appointment period of
# at most 10 years; the years of a period lying inside it; a QR payload that must decode.
RULES_BEYOND_SCHEMA = {"GET /api/v1/certificates/{code}", "POST /api/v1/hours/assess",
                       "POST /api/v1/hours/assess-period", "POST /api/v1/certificates/verify-signature"}
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", 25))
COUNTED: dict[str, int] = {}


@pytest.fixture(scope="module")
def api_world(app):
    """The demo, an office token and the demo learner's session, for the whole module."""
    from ntbase.accounts.models import User
    from ntbase.demo import load_demo
    from ntbase.office.tokens import services as office

    with app.app_context():
        _clean_tables()
        load_demo()
        learner_id = db.session.scalar(sa.select(User.id).where(User.email == "learner@demo.ntbase"))
        officer = db.session.scalar(sa.select(User).where(User.email == "office@demo.ntbase"))
        _token, secret = office.create_token(officer, "fuzz", list(office.SCOPES), 30)
        db.session.commit()
        # no transaction may stay open while the module runs: PostgreSQL's TRUNCATE at the
        # end would wait for it for ever
        db.session.remove()
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = str(learner_id)
            sess["_fresh"] = True
        cookie = client.get_cookie("session").value
    yield {"bearer": f"Bearer {secret}", "cookie": f"session={cookie}"}
    with app.app_context():
        db.session.remove()
        _clean_tables()


def _schema():
    from ntbase.api.views import openapi_document

    loaded = schemathesis.openapi.from_dict(openapi_document())
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                    max_examples=EXAMPLES)
    # a body over the size limit is refused before it is read: 413 is a rejection too
    rejection = loaded.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    return loaded


# the document the app serves (test_the_fuzzed_document_is_the_served_one); pytest 9 and
# schemathesis' from_fixture do not mix (no Function._nodeid), so it is built at import
schema = _schema()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, app, api_world):
    headers = {"Authorization": api_world["bearer"]} if case.path.startswith("/api/v1/office/") \
        else {"Cookie": api_world["cookie"]}
    if case.headers and "Authorization" in case.headers:
        headers.pop("Authorization", None)  # a generated (negative) Authorization header is tried as it is
    excluded = [positive_data_acceptance] if case.operation.label in RULES_BEYOND_SCHEMA else []
    with app.app_context():
        response = case.call_and_validate(app=app, headers=headers, excluded_checks=excluded)
        db.session.remove()
    if excluded:  # the status is documented (checked above); a refusal is a 422 with a message
        assert response.status_code < 500
        if response.status_code == 422:
            assert response.json()["message"]
    COUNTED[case.operation.label] = COUNTED.get(case.operation.label, 0) + 1


def test_every_operation_was_fuzzed(app, api_world):
    """Every served operation is one the parametrized test fuzzes (one test item each; under
    xdist they spread over the workers, so the cases are counted where they ran)."""
    with app.app_context():
        doc = app.test_client().get("/api/v1/openapi.json").json
        db.session.remove()
    labels = {f"{m.upper()} {p}" for p, ops in doc["paths"].items() for m in ops}
    fuzzed = {op.ok().label for op in schema.get_all_operations()}
    assert labels == fuzzed, sorted(labels ^ fuzzed)
    assert all(COUNTED.get(label, 0) >= 5 for label in COUNTED), COUNTED


def test_the_fuzzed_document_is_the_served_one(app, api_world):
    from ntbase.api.views import openapi_document

    with app.app_context():
        assert app.test_client().get("/api/v1/openapi.json").json == openapi_document()
        db.session.remove()
