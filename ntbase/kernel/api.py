"""The versioned JSON API (/api/v1). Domains add routes in ``ntbase/<domain>/api.py``:

    from ntbase.kernel.api import bp, document, json_error, parse_body

    @bp.get("/courses/<int:course_id>")
    @document(summary="One course", response=CourseOut, tags=["catalog"])
    def course(course_id): ...

``document`` records the operation for /api/v1/openapi.json (pydantic v2 models give
the JSON Schemas). Errors are JSON: {"error": code, "message": text, "fields": [...]}.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, BaseModel, BeforeValidator, ValidationError
from werkzeug.exceptions import BadRequest

from ntbase.kernel.bounds import MAX_ID, Count, Id  # noqa: F401 - Id, Count: for the domains' schemas
from ntbase.kernel.db import CST

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# path template (OpenAPI style) -> method -> operation dict
OPERATIONS: dict[str, dict[str, dict]] = {}
SCHEMAS: dict[str, type[BaseModel]] = {}


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def document(summary: str, *, path: str, method: str = "get", response: type[BaseModel] | None = None,
             body: type[BaseModel] | None = None, query: dict[str, dict] | None = None,
             tags: list[str] | None = None, security: list[str] | None = None,
             errors: dict[int, str | tuple[str, type[BaseModel]]] | None = None, status: int = 200,
             path_params: dict[str, dict] | None = None) -> Callable:
    """Record one operation of the OpenAPI document. ``path`` is the Flask rule under /api/v1.

    ``errors`` maps a status to its description (the body is an ``Error``), or to
    ``(description, Model)`` when that answer has another shape. ``status`` is the success
    code (201 for a creation). An operation with a body also answers 400 (not JSON, nested
    too deeply) and 413 (too large): ``ntbase.kernel.json_input``. ``path_params`` overrides
    the schema of a path variable (a pattern for a string)."""

    def decorator(view):
        op: dict[str, Any] = {"summary": summary, "tags": tags or [], "responses": {}}
        params = []
        for converter, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", path):
            schema = ({"type": "integer", "minimum": 0, "maximum": MAX_ID} if converter == "int"
                      else {"type": "string"})
            schema = (path_params or {}).get(name, schema)
            params.append({"name": name, "in": "path", "required": True, "schema": schema})
        for name, schema in (query or {}).items():
            params.append({"name": name, "in": "query", "required": False, "schema": schema})
        if params:
            op["parameters"] = params
        answers = dict(errors or {})
        if body is not None:
            SCHEMAS[body.__name__] = body
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{body.__name__}"}}}}
            answers.setdefault(400, "The body is not JSON, or is nested too deeply")
            answers.setdefault(413, "The body is too large")
        if response is not None:
            SCHEMAS[response.__name__] = response
            op["responses"][str(status)] = {"description": "OK", "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{response.__name__}"}}}}
        else:
            op["responses"][str(status)] = {"description": "OK"}
        for code, answer in sorted(answers.items()):
            text, model = answer if isinstance(answer, tuple) else (answer, None)
            if model is not None:
                SCHEMAS[model.__name__] = model
            ref = f"#/components/schemas/{model.__name__ if model is not None else 'Error'}"
            op["responses"][str(code)] = {"description": text, "content": {"application/json": {
                "schema": {"$ref": ref}}}}
        if security:
            op["security"] = [{s: []} for s in security]
        OPERATIONS.setdefault("/api/v1" + _openapi_path(path), {})[method.lower()] = op
        return view

    return decorator


def json_error(status: int, message: str, error: str = "invalid", fields: list | None = None):
    payload: dict[str, Any] = {"error": error, "message": message}
    if fields:
        payload["fields"] = fields
    resp = jsonify(payload)
    resp.status_code = status
    return resp


# ---------------------------------------------------------------- types of the schemas
def _with_offset(value: datetime) -> datetime:
    return value.replace(tzinfo=CST) if value.tzinfo is None else value


# Stored datetimes are naive China Standard Time; the API says so (RFC 3339 needs an offset):
# "2026-03-01T09:00:00+08:00"
LocalDateTime = Annotated[datetime, AfterValidator(_with_offset)]


def _iso_date_text(value):
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError(_("Enter a date as YYYY-MM-DD."))  # pydantic would read "0" as 1970-01-01
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]

# pydantic error type -> a message the person understands, in their language
ERROR_MESSAGES = {
    "missing": _l("This field is required."),
    "greater_than": _l("Enter a number greater than 0."),
    "greater_than_equal": _l("The number is too small."),
    "less_than_equal": _l("The number is too large."),
    "multiple_of": _l("Days are counted in halves: enter e.g. 1, 1.5 or 2."),
    "decimal_max_places": _l("Enter at most one decimal place."),
    "decimal_parsing": _l("Enter a number."),
    "decimal_type": _l("Enter a number."),
    "int_parsing": _l("Enter a whole number."),
    "int_parsing_size": _l("The number is too large."),
    "int_type": _l("Enter a whole number."),
    "literal_error": _l("Choose one of the options."),
    "enum": _l("Choose one of the options."),
    "union_tag_invalid": _l("Unknown kind."),
    "union_tag_not_found": _l("Say which kind it is."),
    "finite_number": _l("Enter a finite number."),
    "int_from_float": _l("Enter a whole number."),
    "decimal_max_digits": _l("The number is too large."),
    "decimal_whole_digits": _l("The number is too large."),
    "list_type": _l("Give a list."),
    "dict_type": _l("Give an object (JSON {…})."),
    "model_type": _l("Give an object (JSON {…})."),
    "model_attributes_type": _l("Give an object (JSON {…})."),
    "too_long": _l("Too many items."),
    "too_short": _l("Too few items."),
    "string_type": _l("Give a text value."),
    "string_too_long": _l("The text is too long."),
    "string_too_short": _l("This field is required."),
    "string_pattern_mismatch": _l("This value has the wrong format."),
    "bool_type": _l("Give true or false."),
    "bool_parsing": _l("Give true or false."),
    "date_parsing": _l("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": _l("Enter a date as YYYY-MM-DD."),
    "date_type": _l("Enter a date as YYYY-MM-DD."),
    "extra_forbidden": _l("This field is not expected."),
    "recursion_loop": _l("The data is nested too deeply."),
}


def error_message(err: dict) -> str:
    """One pydantic error in the user's language (our own validators' messages are already translated)."""
    text = ERROR_MESSAGES.get(err["type"])
    if text is not None:
        return str(text)
    return err["msg"].removeprefix("Value error, ")


def validation_fields(exc: ValidationError, message: Callable[[dict], str] = error_message) -> list[dict]:
    return [{"field": ".".join(str(p) for p in e["loc"]), "message": message(e)} for e in exc.errors()]


def validation_error(exc: ValidationError, message: Callable[[dict], str] = error_message):
    return json_error(422, _("Some of the data is not valid."), "validation_error", validation_fields(exc, message))


# ---------------------------------------------------------------- bodies and queries
def read_json():
    """The request's JSON body: ``(data, None)``, or ``(None, a 400 response)`` when it is not
    JSON or is nested too deeply. Too large a body is a 413 before it is read
    (``ntbase.kernel.json_input``)."""
    if not request.is_json:
        return None, json_error(400, _("The request body must be JSON."), "bad_request")
    try:
        return request.get_json(), None
    except BadRequest as exc:
        return None, json_error(400, getattr(exc, "ntbase_message", None) or _("The request body must be JSON."),
                                "bad_request")


def parse_body(model: type[BaseModel], message: Callable[[dict], str] = error_message):
    """Validate the JSON body; on failure return (None, 400/422 response) with field messages."""
    data, error = read_json()
    if error is not None:
        return None, error
    try:
        # strict JSON: an integer field takes 3, not 3.0, "3" or false (what the document says)
        return model.model_validate_json(json.dumps(data), strict=True), None
    except ValidationError as exc:
        return None, validation_error(exc, message)


def parse_query(model: type[BaseModel], message: Callable[[dict], str] = error_message):
    try:
        return model.model_validate(request.args.to_dict()), None
    except ValidationError as exc:
        return None, validation_error(exc, message)
