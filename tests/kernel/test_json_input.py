"""Too deep or too large JSON bodies are refused with 400/413 and a JSON message (#15.3).

``POST /api/v1/hours/assess`` with a few thousand nested arrays was a 500 (RecursionError in
the parser). Every JSON operation of the OpenAPI document is tried (an operation added later
is too), and the payment webhook.
"""
from __future__ import annotations

import pytest

from ntbase.kernel.json_input import JSONTooDeep, loads_bounded

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 40 + "1" + "}" * 40


def _json_operations(client) -> list[str]:
    doc = client.get("/api/v1/openapi.json").json
    urls = []
    for path, ops in doc["paths"].items():
        for method in ops:
            if method == "post":
                urls.append(path.replace("{course_id}", "1"))
    return urls


def test_every_json_operation_is_tried(client):
    urls = _json_operations(client)
    assert {"/api/v1/hours/assess", "/api/v1/hours/assess-period", "/api/v1/office/verify-bulk",
            "/api/v1/certificates/verify-signature", "/api/v1/courses/1/enrollments"} <= set(urls)


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["100000-arrays", "40-objects"])
def test_a_deeply_nested_body_is_a_400_with_a_json_message(client, body):
    for url in _json_operations(client) + ["/payments/webhook/sandbox"]:
        resp = client.post(url, data=body, content_type="application/json", headers={"Accept-Language": "zh-CN"})
        assert resp.status_code in (400, 401, 403), (url, resp.status_code)  # auth may come first
        assert resp.is_json and resp.json["message"], url
    resp = client.post("/api/v1/hours/assess", data=body, content_type="application/json")
    assert resp.status_code == 400
    assert resp.json["message"] == "JSON 数据嵌套层数过多（最多 32 层）。"


def test_the_message_follows_the_language(client):
    resp = client.post("/api/v1/hours/assess?lang=en", data=DEEP, content_type="application/json")
    assert resp.status_code == 400
    assert resp.json == {"error": "bad_request", "message": "The JSON body is nested too deeply (at most 32 levels)."}


def test_a_body_within_the_depth_is_read(client):
    body = '{"year": 2021, "activities": [{"kind": "course", "hours": "90", "category": "specialized"}]}'
    resp = client.post("/api/v1/hours/assess", data=body, content_type="application/json")
    assert resp.status_code == 200, resp.json


def test_a_too_large_body_is_a_413_before_it_is_read(make_app, app_ctx):
    app = make_app(JSON_MAX_BYTES=2048)
    client = app.test_client()
    big = '{"year": 2021, "activities": [' + ",".join(['{"kind":"course","hours":"1"}'] * 200) + "]}"
    assert len(big) > 2048
    for url in ("/api/v1/hours/assess", "/api/v1/office/verify-bulk", "/payments/webhook/sandbox"):
        resp = client.post(url, data=big, content_type="application/json")
        assert resp.status_code == 413, url
        assert resp.is_json and "2 KB" in resp.json["message"], url
    # the same size sent as another content type to the API is bounded too
    resp = client.post("/api/v1/hours/assess", data=big, content_type="text/plain")
    assert resp.status_code == 413


def test_a_body_without_a_length_is_cut_off_at_the_limit(make_app, app_ctx):
    """Chunked: no Content-Length to check first, the read itself stops at the limit."""
    import io

    app = make_app(JSON_MAX_BYTES=2048)
    client = app.test_client()
    body = b'{"year": 2021, "a": "' + b"x" * 5000 + b'"}'
    resp = client.post("/api/v1/hours/assess", input_stream=io.BytesIO(body), content_type="application/json",
                       environ_overrides={"wsgi.input_terminated": True},
                       headers={"Transfer-Encoding": "chunked"})
    assert resp.status_code == 413
    assert resp.is_json


def test_loads_bounded():
    assert loads_bounded("[[1]]", max_depth=2) == [[1]]
    with pytest.raises(JSONTooDeep):
        loads_bounded("[[[1]]]", max_depth=2)
    with pytest.raises(JSONTooDeep):
        loads_bounded(DEEP)
    with pytest.raises(ValueError):
        loads_bounded("{")


def test_a_signed_but_deeply_nested_webhook_is_refused_and_nothing_recorded(client):
    """Even with a genuine signature (the provider's own bug), a deep body is a 400, not a 500."""
    import sqlalchemy as sa
    from flask import current_app

    from ntbase.kernel.db import db
    from ntbase.payments.models import WebhookEvent
    from ntbase.payments.provider import SIGNATURE_HEADER, signature_header

    body = ('{"event_id":"evt_deep_123","type":"payment.succeeded","intent_ref":"x","amount_fen":1,'
            '"timestamp":1,"reason":' + "[" * 5000 + "]" * 5000 + "}").encode()
    headers = {SIGNATURE_HEADER: signature_header(current_app.config["PAYMENT_WEBHOOK_SECRET"], body)}
    resp = client.post("/payments/webhook/sandbox", data=body, headers=headers, content_type="application/json")
    assert resp.status_code == 400
    assert resp.is_json and resp.json["message"]
    assert db.session.scalar(sa.select(sa.func.count(WebhookEvent.id))) == 0
