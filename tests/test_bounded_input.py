"""Every integer a visitor can send is bounded before it reaches the database (#15.2).

A 21-digit number in ``/courses?base=`` was a 500 (SQLite: "Python int too large to
convert to SQLite INTEGER"). The routes come from ``app.url_map``, the query parameters
and form fields from the code and the form classes, so a route, parameter or field added
later is walked too:

- every ``<int:…>`` slot of every route, with an oversized id: 404 (the converter);
- every GET page, for a learner and an admin, with each query parameter its view reads
  set to a huge number: never a server error;
- every POST route, as the demo's admin and a base's staff, with every known form field
  set to a huge number: never a server error;
- every WTForms ``IntegerField`` has a ``NumberRange`` with both ends;
- every integer of the API's request parameters and bodies has a documented maximum.
"""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from wtforms import Form, IntegerField
from wtforms.fields.core import UnboundField
from wtforms.validators import NumberRange

from ntbase.kernel.bounds import (
    MAX_ID,
    MAX_INT,
    BoundedIntConverter,
    bounded_int,
    page_arg,
    parse_id,
)
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from tests.conftest import load_demo_data
from tests.test_pages_policy import _values

HUGE = "9" * 21
OVERSIZED = [HUGE, str(2**31), str(2**63)]
SENTINEL = 1357913  # an id no demo row has, replaced in the URL by an oversized one
SRC = Path(__file__).resolve().parent.parent / "ntbase"
# request.args.get("x") / request.values.get("x") / query_int("x") anywhere in the code
_QUERY_NAME = re.compile(r"""(?:request\.(?:args|values)\.get(?:list)?\(|query_int\()\s*["']([a-z_]+)["']""")


def _int_rules(app):
    return [r for r in app.url_map.iter_rules()
            if any(isinstance(c, BoundedIntConverter) for c in r._converters.values())]


def test_the_int_converter_is_bounded_on_every_route(app_ctx):
    rules = _int_rules(app_ctx)
    assert len(rules) > 60
    plain = [r.rule for r in app_ctx.url_map.iter_rules()
             if any(type(c).__name__ == "IntegerConverter" for c in r._converters.values())]
    assert not plain, f"routes with werkzeug's unbounded int converter: {plain}"


@pytest.mark.parametrize("role", ["anonymous", "admin@demo.ntbase"])
def test_an_oversized_id_in_any_route_is_a_404(app_ctx, client, login, role):
    from flask import url_for

    from ntbase.accounts.models import User

    load_demo_data()
    user = None if role == "anonymous" else db.session.scalar(sa.select(User).where(User.email == role))
    if user is not None:
        login(user)
    walked = 0
    for rule in _int_rules(app_ctx):
        with app_ctx.test_request_context():
            values = _values(user) if user is not None else {}
            args = {a: values.get(a) or (1 if isinstance(rule._converters.get(a), BoundedIntConverter) else "x")
                    for a in rule.arguments}
            if "fmt" in args:
                args["fmt"] = "csv"
            if "kind" in args:
                args["kind"] = "teacher"
            for name, conv in rule._converters.items():
                if not isinstance(conv, BoundedIntConverter):
                    continue
                for big in OVERSIZED:
                    url = url_for(rule.endpoint, **dict(args, **{name: SENTINEL})).replace(str(SENTINEL), big)
                    for method in sorted(rule.methods & {"GET", "POST"}):
                        resp = client.open(url, method=method)
                        walked += 1
                        assert resp.status_code == 404, (method, url, resp.status_code)
    assert walked > 300


def _view_query_names(app) -> dict[str, set[str]]:
    """endpoint -> the query parameters its view reads (by name, from its source)."""
    out = {}
    for endpoint, view in app.view_functions.items():
        fn = inspect.unwrap(view)
        try:
            src = inspect.getsource(fn)
        except (OSError, TypeError):
            continue
        names = set(_QUERY_NAME.findall(src))
        for helper_name, helper in fn.__globals__.items():  # helpers of its module it calls (_year_arg())
            if inspect.isfunction(helper) and helper.__module__ == fn.__module__ and f"{helper_name}(" in src:
                names |= set(_QUERY_NAME.findall(inspect.getsource(helper)))
        if "page_arg(" in src or "paginate(" in src:
            names.add("page")
        for form_name in re.findall(r"(\w+Form)\(request\.args\)", src):
            form_cls = fn.__globals__.get(form_name)
            if form_cls is not None:
                names |= {n for n in dir(form_cls) if isinstance(getattr(form_cls, n, None), UnboundField)}
        if names:
            out[endpoint] = names
    return out


def test_the_code_reads_integers_from_query_strings_only_through_the_bounded_helpers():
    """``request.args.get("page", type=int)`` or ``int(request.args…)`` let any size through."""
    offenders = []
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"request\.\w+\.get\([^)]*type=int", r"int\(request\.", r"\.isdigit\(\)"):
            for m in re.finditer(pattern, text):
                line = text[text.rfind("\n", 0, m.start()) + 1:text.find("\n", m.end())]
                if "isascii()" in line or "#" in line[:line.find(m.group(0))]:
                    continue  # ASCII digits only, or a comment
                offenders.append(f"{path.relative_to(SRC)}: {m.group(0)}")
    assert not offenders, "use ntbase.kernel.bounds (query_int, page_arg, parse_id):\n" + "\n".join(offenders)


@pytest.mark.parametrize("role", ["learner@demo.ntbase", "admin@demo.ntbase", "staff.ntvu@demo.ntbase"])
def test_a_huge_number_in_any_query_parameter_is_never_a_server_error(app_ctx, client, login, role):
    from flask import url_for

    from ntbase.accounts.models import User

    load_demo_data()
    user = db.session.scalar(sa.select(User).where(User.email == role))
    login(user)
    names = _view_query_names(app_ctx)
    assert {"page", "base", "year", "s", "start_year", "subject"} <= set().union(*names.values())
    walked = 0
    for rule in app_ctx.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint not in names:
            continue
        with app_ctx.test_request_context():
            values = _values(user)
            args = {a: values.get(a) for a in rule.arguments}
            if any(v is None for v in args.values()):
                continue
            url = url_for(rule.endpoint, **args)
        for name in sorted(names[rule.endpoint]):
            for big in (HUGE, "-" + HUGE, "²"):
                resp = client.get(f"{url}{'&' if '?' in url else '?'}{name}={big}")
                walked += 1
                assert resp.status_code < 500, (url, name, big)
    assert walked > 20


def _form_field_names(app) -> set[str]:
    names = set()
    for cls in _all_form_classes():
        names |= {n for n in dir(cls) if isinstance(getattr(cls, n, None), UnboundField)}
    for path in SRC.rglob("*.py"):
        names |= set(re.findall(r"""request\.form\.get(?:list)?\(\s*["']([a-z_]+)["']""",
                                path.read_text(encoding="utf-8")))
    return names


def _all_form_classes() -> list[type]:
    seen, todo = [], list(Form.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in seen if c.__module__.startswith("ntbase.")]


@pytest.mark.parametrize("role", ["admin@demo.ntbase", "staff.ntvu@demo.ntbase", "learner@demo.ntbase"])
def test_a_huge_number_in_any_form_field_is_never_a_server_error(app_ctx, client, login, role):
    from flask import url_for

    from ntbase.accounts.models import User

    load_demo_data()
    user = db.session.scalar(sa.select(User).where(User.email == role))
    fields = _form_field_names(app_ctx)
    assert {"capacity", "score", "seats", "year", "days", "room_id", "present"} <= fields
    form = {name: HUGE for name in fields}
    form.update({"sessions-0-day": "2031-01-05", "sessions-0-start": "09:00", "sessions-0-end": "17:00",
                 "sessions-0-room_id": HUGE, "teacher_ids": HUGE, "present": [HUGE, "1"], "all": ""})
    posted = 0
    for rule in sorted(app_ctx.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" not in rule.methods or rule.endpoint in ("accounts.logout", "payments.webhook"):
            continue
        login(user)
        with app_ctx.test_request_context():
            values = _values(user)
            args = {a: values.get(a) for a in rule.arguments}
            if any(v is None for v in args.values()):
                continue
            url = url_for(rule.endpoint, **args)
        resp = client.post(url, data=form)
        posted += 1
        assert resp.status_code < 500, (url, resp.status_code)
    assert posted > 30


def test_every_integer_form_field_has_both_bounds(app_ctx):
    from ntbase.catalog.forms import course_form_class

    class Item:
        id, name = 1, "资料费"

    classes = _all_form_classes() + [course_form_class([Item()])]
    checked = []
    for cls in classes:
        for name in dir(cls):
            unbound = getattr(cls, name, None)
            if not isinstance(unbound, UnboundField) or not issubclass(unbound.field_class, IntegerField):
                continue
            ranges = [v for v in unbound.kwargs.get("validators", []) if isinstance(v, NumberRange)]
            assert ranges and ranges[0].min is not None and ranges[0].max is not None \
                and ranges[0].max <= MAX_INT, f"{cls.__module__}.{cls.__name__}.{name} needs NumberRange(min, max)"
            checked.append(name)
    assert {"capacity", "score", "seats", "year", "days", "subject", "fee_1"} <= set(checked)


def _integer_nodes(schema, components, path="", seen=None):
    seen = seen if seen is not None else set()
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                yield from _integer_nodes(components[name], components, f"{path}->{name}", seen)
            return
        if schema.get("type") == "integer":
            yield path, schema
        for key, sub in schema.items():
            if isinstance(sub, dict | list):
                yield from _integer_nodes(sub, components, f"{path}.{key}", seen)
    elif isinstance(schema, list):
        for i, sub in enumerate(schema):
            yield from _integer_nodes(sub, components, f"{path}[{i}]", seen)


def test_every_integer_the_api_accepts_has_a_documented_maximum(client):
    doc = client.get("/api/v1/openapi.json").json
    components = doc["components"]["schemas"]
    found = []
    for route, ops in doc["paths"].items():
        for method, op in ops.items():
            for param in op.get("parameters", []):
                for where, node in _integer_nodes(param["schema"], components, f"{method} {route} {param['name']}"):
                    found.append(where)
                    assert node.get("maximum", MAX_INT + 1) <= MAX_INT, where
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            for where, node in _integer_nodes(body or {}, components, f"{method} {route} body"):
                found.append(where)
                assert node.get("maximum", MAX_INT + 1) <= MAX_INT, where
    assert any("base" in w for w in found) and any("course_id" in w for w in found)
    assert any("grade" in w for w in found) and any("characters" in w for w in found)


def test_the_course_input_model_bounds_its_ids(app_ctx):
    from ntbase.catalog.inputs import CourseFields

    schema = CourseFields.model_json_schema()
    nodes = list(_integer_nodes(schema, schema.get("$defs", {})))
    assert nodes
    unbounded = [w for w, n in nodes if n.get("maximum") is None and "capacity" not in w and "quantity" not in w]
    assert not unbounded, unbounded


@pytest.mark.parametrize("raw,expected", [("42", 42), (" 7 ", 7), ("0", None), ("-1", None), (HUGE, None),
                                          ("²", None), ("١٢", None), ("", None), (None, None), ("1e3", None),
                                          (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None)])
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


def test_bounded_int_refuses_with_a_message_naming_its_field(app_ctx):
    with app_ctx.test_request_context("/?lang=en"):
        assert bounded_int("12", "year", minimum=1, maximum=20) == 12
        with pytest.raises(DomainError) as err:
            bounded_int(HUGE, "year", minimum=1, maximum=20)
        assert err.value.field == "year" and "1" in err.value.message and "20" in err.value.message


@pytest.mark.parametrize("raw,expected", [("3", 3), ("", 1), ("-3", 1), ("abc", 1), (HUGE, 10_000), ("²", 1)])
def test_page_arg_clamps(app_ctx, raw, expected):
    with app_ctx.test_request_context(f"/?page={raw}"):
        assert page_arg() == expected


@pytest.mark.parametrize("url", [f"/courses?base={HUGE}", f"/api/v1/courses?base={HUGE}",
                                 f"/courses/{HUGE}", f"/api/v1/courses/{HUGE}", f"/api/v1/bases/{HUGE}"])
def test_the_reported_urls(client, url):
    resp = client.get(url)
    assert resp.status_code in (404, 422)
    if url.startswith("/api/"):
        assert resp.json["message"]
    if "base=" in url:
        assert resp.status_code == 422
        text = resp.get_data(as_text=True)
        assert ("数值太大" in text) if url.startswith("/api/") else ("请从列表中选择基地" in text)
