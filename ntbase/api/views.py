"""Assembles the API blueprint from every domain's api module, plus the OpenAPI document."""
from __future__ import annotations

from flask import jsonify

from ntbase import registry
from ntbase.kernel.api import OPERATIONS, SCHEMAS, bp
from ntbase.kernel.extensions import csrf

registry.load(registry.APIS)

# JSON endpoints authenticate by session or bearer token, never by form: no CSRF tokens.
csrf.exempt(bp)

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "fields": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


def openapi_document() -> dict:
    """The OpenAPI 3.1 document of every operation recorded by ``document`` (no request needed)."""
    components = {name: model.model_json_schema(ref_template="#/components/schemas/{model}")
                  for name, model in SCHEMAS.items()}
    # pydantic puts nested models under $defs; lift them into components
    for schema in list(components.values()):
        for name, sub in schema.pop("$defs", {}).items():
            components.setdefault(name, sub)
    components["Error"] = ERROR_SCHEMA
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "NTBase API", "version": "1.0.0",
                 "description": "Nantong continuing-education training bases. Errors are JSON with a message."},
        "servers": [{"url": "/"}],
        "paths": OPERATIONS,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer"}},
        },
    }
    return doc


blueprints = [bp]
