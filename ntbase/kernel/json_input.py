"""JSON bodies are bounded before they are parsed (#15.3).

A body nested a few thousand levels deep made Python's JSON parser raise ``RecursionError``
(a 500), and nothing but the 20 MB upload limit bounded a JSON body's size. Here, for
every JSON request (``Content-Type: application/json``), every request to /api/ and the
payment webhooks:

- the body may hold at most ``JSON_MAX_BYTES`` (default 1 MiB): more is a 413, checked from
  Content-Length before anything is read, and while reading a chunked body;
- ``app.json.loads`` (what ``request.get_json()`` uses) refuses more than
  ``JSON_MAX_DEPTH`` (default 32) levels of arrays and objects: a 400 with a JSON message.

``loads_bounded`` is the same parser for code that reads raw bytes (the payment webhook).
"""
from __future__ import annotations

import json
from typing import Any

from flask import Flask, Request, current_app, has_app_context, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_DEPTH = 32
JSON_PATHS = ("/api/", "/payments/webhook/")


class JSONTooDeep(ValueError):
    """Too many nested arrays or objects: werkzeug answers a ValueError from the parser with 400."""


class JSONBodyRefused(BadRequest):
    """A 400 whose message says what was wrong with the body (``ntbase.errors`` shows it)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.ntbase_message = message


def _limit(name: str, default: int) -> int:
    return int(current_app.config.get(name, default)) if has_app_context() else default


def _too_deep(value: Any, limit: int) -> bool:
    """Depth of nested lists/dicts, walked without recursion."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads_bounded(data: str | bytes, max_depth: int | None = None, **kwargs) -> Any:
    """``json.loads`` that raises ``JSONTooDeep`` (a ValueError) instead of recursing without end."""
    limit = max_depth if max_depth is not None else _limit("JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)
    if len(data) > _limit("JSON_MAX_BYTES", DEFAULT_MAX_BYTES):
        raise RequestEntityTooLarge()  # a body without Content-Length, cut off one byte past the limit
    try:
        value = json.loads(data, **kwargs)
    except RecursionError as exc:  # deeper than the interpreter's stack: far past any limit
        raise JSONTooDeep(f"JSON nested deeper than {limit} levels") from exc
    if _too_deep(value, limit):
        raise JSONTooDeep(f"JSON nested deeper than {limit} levels")
    return value


class JSONRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # not a JSON content type: werkzeug's 415
            return super().on_json_loading_failed(e)
        raise json_refusal(e) from e


class BoundedJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_bounded(s, **kwargs)


def _is_json_request() -> bool:
    return request.is_json or request.path.startswith(JSON_PATHS)


def _bound_json_body():
    if request.method in ("GET", "HEAD", "OPTIONS") or not _is_json_request():
        return None
    limit = _limit("JSON_MAX_BYTES", DEFAULT_MAX_BYTES)
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    # a body without Content-Length (chunked) is read one byte past the limit at most:
    # werkzeug stops there without an error, and the parser refuses what is longer (413)
    request.max_content_length = limit + 1
    return None


def json_refusal(exc: ValueError) -> JSONBodyRefused:
    if isinstance(exc, JSONTooDeep):
        return JSONBodyRefused(_("The JSON body is nested too deeply (at most %(n)s levels).",
                                 n=_limit("JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)))
    return JSONBodyRefused(_("The request body is not valid JSON."))


def too_large_message() -> str:
    return _("The request body is too large (at most %(n)s KB).", n=_limit("JSON_MAX_BYTES", DEFAULT_MAX_BYTES) // 1024)


def init_app(app: Flask) -> None:
    app.request_class = JSONRequest
    app.json = BoundedJSONProvider(app)
    app.json.ensure_ascii = False
    app.before_request(_bound_json_body)


__all__ = ["BoundedJSONProvider", "JSONTooDeep", "JSONBodyRefused", "loads_bounded", "json_refusal",
           "too_large_message", "init_app", "JSON_PATHS"]
