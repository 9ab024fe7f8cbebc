"""Integers from outside are bounded before they reach the database (#15.2).

SQLite stores 64-bit integers and raises ``OverflowError`` on a larger Python int;
PostgreSQL's ``integer`` columns (every id here) hold 32 bits. So every integer a visitor
can type is checked where it comes in:

- route variables: ``<int:…>`` is ``BoundedIntConverter`` (installed by ``create_app``),
  so ``/courses/999999999999999999999`` does not match the route: a 404;
- query strings: ``query_int(name, …)`` (a refusal is a ``DomainError`` on that field: a 422
  page, or JSON 422 under /api);
- hand-parsed form values: ``parse_id`` / ``parse_ids``;
- WTForms ``IntegerField``: a ``NumberRange`` with both ends (tests/test_bounded_input.py
  checks every form);
- JSON: the pydantic types ``Id``, ``Count`` (ntbase.kernel.api) and a ``le=`` on every
  integer field of a request model (the same test walks the OpenAPI document).
"""
from __future__ import annotations

import builtins
import re
from typing import Annotated

from flask import request
from flask_babel import gettext as _
from pydantic import Field
from werkzeug.routing import IntegerConverter

from ntbase.kernel.errors import DomainError

MAX_ID = 2**31 - 1  # PostgreSQL ``integer``: the primary and foreign keys
MAX_INT = 2**31 - 1  # any other integer column (counts, amounts in fen, hours, years)
MAX_PAGE = 10_000
# pydantic types for ids and counts in request models (JSON bodies, query strings, form data)
Id = Annotated[int, Field(ge=1, le=MAX_ID, description="A record number.")]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]
_DIGITS = re.compile(r"[0-9]{1,10}")  # ASCII only: "²".isdigit() is True, int("²") fails


class BoundedIntConverter(IntegerConverter):
    """``<int:x>`` that matches 0 … 2**31-1 only: a larger id is a 404, never a crash."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002 - werkzeug's names
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        bound = MAX_ID if max is None else builtins.min(max, MAX_ID)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)


def parse_id(raw, *, maximum: int = MAX_ID) -> int | None:
    """'42' -> 42; anything that is not 1 … ``maximum`` in ASCII digits -> None."""
    text = str(raw if raw is not None else "").strip()
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= maximum else None


def parse_ids(values) -> set[int]:
    """The valid ids among form values (ticked checkboxes); the rest are ignored."""
    return {v for v in (parse_id(raw) for raw in values) if v is not None}


def bounded_int(raw, field: str, *, minimum: int = 0, maximum: int = MAX_INT) -> int:
    """A whole number from ``minimum`` to ``maximum`` typed by a person, or a DomainError on ``field``."""
    text = str(raw if raw is not None else "").strip()
    if text.startswith(("-", "+")) and _DIGITS.fullmatch(text[1:]):
        value = int(text)
    elif _DIGITS.fullmatch(text):
        value = int(text)
    else:
        raise DomainError(_("Enter a whole number from %(a)s to %(b)s.", a=minimum, b=maximum), field=field)
    if not minimum <= value <= maximum:
        raise DomainError(_("Enter a whole number from %(a)s to %(b)s.", a=minimum, b=maximum), field=field)
    return value


def query_int(name: str, default: int | None = None, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """``request.args[name]`` as a bounded int; absent or empty -> ``default``; anything else
    out of range is refused (a 422 with the message, in the user's language)."""
    raw = request.args.get(name, "")
    if raw.strip() == "":
        return default
    return bounded_int(raw, name, minimum=minimum, maximum=maximum)


def page_arg(name: str = "page") -> int:
    """The page of a list, clamped to 1 … MAX_PAGE: a page past the end is simply empty,
    and a page that is not a number is the first."""
    raw = request.args.get(name, "").strip()
    if not raw.isascii() or not raw.isdigit():
        return 1
    return builtins.max(1, builtins.min(int(raw), MAX_PAGE)) if len(raw) <= 6 else MAX_PAGE


def install(app) -> None:
    """Replace werkzeug's unbounded ``int`` converter; call before any route is added."""
    app.url_map.converters["int"] = BoundedIntConverter


__all__ = ["MAX_ID", "MAX_INT", "MAX_PAGE", "Id", "Count", "BoundedIntConverter", "parse_id", "parse_ids", "bounded_int",
           "query_int", "page_arg", "install"]
