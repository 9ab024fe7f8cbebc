"""Fixtures for the media tests: generated sample files, an S3-compatible server started by
the tests themselves (moto, in its own process, over HTTP), and one ``backend`` fixture
parametrised over both backends so the same contract runs against each.

With ``CI=true`` an S3 server that does not start fails the run instead of skipping.
"""
from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from ntbase.media.samples import make_samples

CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def samples(tmp_path_factory) -> dict[str, Path]:
    try:
        return make_samples(tmp_path_factory.mktemp("samples"))
    except Exception as exc:  # noqa: BLE001 - ffmpeg missing or broken
        if CI:
            pytest.fail(f"cannot make sample media with ffmpeg: {exc}")
        pytest.skip(f"cannot make sample media with ffmpeg: {exc}")


def _start_s3_server() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.media.s3_server"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT_SECONDS)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("PORT "):
        proc.kill()
        err = proc.stderr.read() if proc.poll() is not None else "no answer"
        raise RuntimeError(f"moto S3 server did not start: {line!r} {err[-2000:]}")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


@pytest.fixture(scope="session")
def s3_endpoint():
    saved = {k: os.environ.get(k) for k in AWS_ENV}
    os.environ.update(AWS_ENV)
    try:
        proc, url = _start_s3_server()
    except Exception as exc:  # noqa: BLE001
        if CI:
            pytest.fail(f"the S3 tests must run in CI: {exc}")
        pytest.skip(str(exc))
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture()
def s3_bucket(s3_endpoint):
    """A fresh bucket per test, so one test's objects never satisfy another's assertion."""
    from ntbase.media.s3 import make_client

    client = make_client(endpoint_url=s3_endpoint)
    name = f"ntbase-test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return client, name


@pytest.fixture()
def media_app(make_app, tmp_path):
    """The real app (its registry registers the media blueprint) with its local storage in a
    fresh folder."""
    app = make_app(MEDIA_ROOT=str(tmp_path / "media"), MEDIA_STORAGE="local")
    assert "media.serve" in app.view_functions
    return app


@dataclass
class Backend:
    kind: str
    storage: object
    listing: Callable[[], list[str]]
    fetch: Callable[..., tuple[int, dict, bytes]]
    issue_in_past: Callable[[int], contextlib.AbstractContextManager]


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path, monkeypatch) -> Backend:
    """Each backend with the same handles: ``listing()`` shows every stored byte (temp files
    and unfinished multipart uploads included); ``fetch(url, headers)`` is what a browser
    would get; ``issue_in_past(seconds)`` makes URLs as if issued that long ago."""
    if request.param == "local":
        from ntbase.media import tokens
        from ntbase.media.factory import get_storage

        app = request.getfixturevalue("media_app")
        root = Path(app.config["MEDIA_ROOT"])
        client = app.test_client()

        def listing():
            return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []

        def fetch(url, headers=None, method="GET"):
            resp = client.open(url, method=method, headers=headers or {})
            return resp.status_code, dict(resp.headers), resp.get_data()

        @contextlib.contextmanager
        def issue_in_past(seconds):
            real = time.time
            with monkeypatch.context() as m:
                m.setattr(tokens.time, "time", lambda: real() - seconds)
                yield

        # url() builds /media/<token> with url_for, as it does inside a request
        ctx = app.test_request_context()
        ctx.push()
        request.addfinalizer(ctx.pop)
        return Backend("local", get_storage(app), listing, fetch, issue_in_past)

    import botocore.auth
    import requests

    from ntbase.media.s3 import S3Storage

    client, bucket = request.getfixturevalue("s3_bucket")
    store = S3Storage(bucket, client=client, part_size=5 * 1024 * 1024)

    def listing():
        objects = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
        uploads = [u["Key"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
        return sorted(objects + [f"(upload) {k}" for k in uploads])

    def fetch(url, headers=None, method="GET"):
        resp = requests.request(method, url, headers=headers or {}, timeout=30)
        return resp.status_code, dict(resp.headers), resp.content

    @contextlib.contextmanager
    def issue_in_past(seconds):
        real = botocore.auth.get_current_datetime
        with monkeypatch.context() as m:
            m.setattr(botocore.auth, "get_current_datetime",
                      lambda *a, **kw: real(*a, **kw) - timedelta(seconds=seconds))
            yield

    return Backend("s3", store, listing, fetch, issue_in_past)
