"""The versioned JSON API (/api/v1). Domains add routes in ``ntbase/<domain>/api.py``:

    from ntbase.kernel.api import bp, document, json_error, parse_body

    @bp.get("/courses/<int:course_id>")
    @document(summary="One course", response=CourseOut, tags=["catalog"])
    def course(course_id): ...

``document`` records the operation for /api/v1/openapi.json (pydantic v2 models give
the JSON Schemas). Errors are JSON: {"error": code, "message": text, "fields": [...]}.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# path template (OpenAPI style) -> method -> operation dict
OPERATIONS: dict[str, dict[str, dict]] = {}
SCHEMAS: dict[str, type[BaseModel]] = {}


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def document(summary: str, *, path: str, method: str = "get", response: type[BaseModel] | None = None,
             body: type[BaseModel] | None = None, query: dict[str, dict] | None = None,
             tags: list[str] | None = None, security: list[str] | None = None,
             errors: dict[int, str] | None = None) -> Callable:
    """Record one operation of the OpenAPI document. ``path`` is the Flask rule under /api/v1."""

    def decorator(view):
        op: dict[str, Any] = {"summary": summary, "tags": tags or [], "responses": {}}
        params = []

        for name in re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", path):
            params.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
        for name, schema in (query or {}).items():
            params.append({"name": name, "in": "query", "required": False, "schema": schema})
        if params:
            op["parameters"] = params
        if body is not None:
            SCHEMAS[body.__name__] = body
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{body.__name__}"}}}}
        if response is not None:
            SCHEMAS[response.__name__] = response
            op["responses"]["200"] = {"description": "OK", "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{response.__name__}"}}}}
        else:
            op["responses"]["200"] = {"description": "OK"}
        for code, text in (errors or {}).items():
            op["responses"][str(code)] = {"description": text, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}
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


def parse_body(model: type[BaseModel]):
    """Validate the JSON body; on failure return (None, 422 response) with field messages."""
    data = request.get_json(silent=True)
    if data is None:
        return None, json_error(400, _("The request body must be JSON."), "bad_request")
    try:
        return model.model_validate(data), None
    except ValidationError as exc:
        fields = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return None, json_error(422, _("Some of the data is not valid."), "validation_error", fields)


def parse_query(model: type[BaseModel]):
    try:
        return model.model_validate(request.args.to_dict()), None
    except ValidationError as exc:
        fields = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return None, json_error(422, _("Some of the data is not valid."), "validation_error", fields)
