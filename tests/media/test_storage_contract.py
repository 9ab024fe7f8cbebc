"""One contract, both backends: the local folder and S3 (moto's server, over HTTP)."""
from __future__ import annotations

import hashlib
import io
import os
from urllib.parse import parse_qs, urlparse

import pytest

from ntbase.media.storage import (
    CHUNK_BYTES,
    KEY_RE,
    InvalidKey,
    ObjectNotFound,
    ObjectTooLarge,
    Storage,
)

MIB = 1024 * 1024


class CountingStream(io.RawIOBase):
    """An endless upload that counts how much of it was read."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buf):
        n = len(buf)
        buf[:n] = b"\0" * n
        self.read_bytes += n
        return n


def test_is_a_storage(backend):
    assert isinstance(backend.storage, Storage)


def test_put_returns_what_was_stored(backend):
    data = os.urandom(100_000)
    stream = io.BytesIO(data)
    stream.name = "../../evil name.mp4"  # what a browser said; never used
    obj = backend.storage.put(stream, content_type="video/mp4", max_bytes=MIB)
    assert KEY_RE.fullmatch(obj.key) and "evil" not in obj.key
    assert (obj.size, obj.content_type, obj.sha256) == (len(data), "video/mp4", hashlib.sha256(data).hexdigest())
    assert backend.storage.size(obj.key) == len(data)
    with backend.storage.open_range(obj.key) as fh:
        assert fh.read() == data


def test_keys_are_never_reused(backend):
    keys = {backend.storage.put(io.BytesIO(b"same bytes"), content_type="application/pdf").key for _ in range(3)}
    assert len(keys) == 3


@pytest.mark.parametrize(("start", "end"), [(0, 0), (10, 19), (99_990, None), (50_000, 99_999), (0, None)])
def test_open_range_reads_inclusive_ranges(backend, start, end):
    data = os.urandom(100_000)
    key = backend.storage.put(io.BytesIO(data), content_type="video/mp4").key
    with backend.storage.open_range(key, start, end) as fh:
        assert fh.read() == data[start: None if end is None else end + 1]


def test_a_range_past_the_end_reads_nothing(backend):
    key = backend.storage.put(io.BytesIO(b"0123456789"), content_type="video/mp4").key
    with backend.storage.open_range(key, 5, 100) as fh:
        assert fh.read() == b"56789"
    with backend.storage.open_range(key, 50) as fh:
        assert fh.read() == b""


def test_missing_and_deleted_objects(backend):
    key = backend.storage.put(io.BytesIO(b"x" * 10), content_type="video/mp4").key
    backend.storage.delete(key)
    with pytest.raises(ObjectNotFound):
        backend.storage.size(key)
    with pytest.raises(ObjectNotFound):
        backend.storage.open_range(key, 0, 5)
    backend.storage.delete(key)  # deleting twice is fine
    assert backend.listing() == []


@pytest.mark.parametrize("key", ["../../etc/passwd", "ab/cd/../../../x", "/etc/passwd", "AB/CD/" + "0" * 32, ""])
def test_keys_not_made_by_the_server_are_refused(backend, key):
    for call in (lambda: backend.storage.size(key), lambda: backend.storage.open_range(key),
                 lambda: backend.storage.delete(key),
                 lambda: backend.storage.url(key, expires_in=60, content_type="video/mp4")):
        with pytest.raises(InvalidKey):
            call()


def test_a_stream_at_the_limit_is_stored(backend):
    obj = backend.storage.put(io.BytesIO(b"a" * 4096), content_type="video/mp4", max_bytes=4096)
    assert obj.size == 4096


@pytest.mark.parametrize("size", [4097, 11 * MIB])
def test_a_stream_over_the_limit_is_refused_and_nothing_remains(backend, size):
    # 11 MiB against a 10.5 MiB limit: on S3 two 5 MiB parts are already uploaded when the
    # limit is hit, so the multipart upload must be aborted, not just left unfinished
    limit = 4096 if size == 4097 else int(10.5 * MIB)
    with pytest.raises(ObjectTooLarge):
        backend.storage.put(io.BytesIO(os.urandom(size)), content_type="video/mp4", max_bytes=limit)
    assert backend.listing() == []


def test_an_endless_stream_stops_being_read_at_the_limit(backend):
    stream = CountingStream()
    with pytest.raises(ObjectTooLarge):
        backend.storage.put(io.BufferedReader(stream, CHUNK_BYTES), content_type="video/mp4", max_bytes=3 * MIB)
    assert stream.read_bytes <= 3 * MIB + 2 * CHUNK_BYTES
    assert backend.listing() == []


def test_large_streams_round_trip(backend):
    # 12 MiB + a tail: three parts of 5, 5 and 2+ MiB on S3 (multipart), one temp file locally
    data = os.urandom(12 * MIB + 123)
    obj = backend.storage.put(io.BytesIO(data), content_type="video/webm", max_bytes=20 * MIB)
    assert obj.size == len(data) and obj.sha256 == hashlib.sha256(data).hexdigest()
    assert backend.storage.size(obj.key) == len(data)
    boundary = 5 * MIB
    with backend.storage.open_range(obj.key, boundary - 10, boundary + 9) as fh:
        assert fh.read() == data[boundary - 10: boundary + 10]
    assert backend.listing() == [obj.key]  # no temp file or part left beside it


def test_url_serves_the_bytes_and_ranges(backend):
    data = os.urandom(50_000)
    key = backend.storage.put(io.BytesIO(data), content_type="video/mp4").key
    url = backend.storage.url(key, expires_in=300, content_type="video/mp4", filename="第1课 安全生产.mp4")

    status, headers, body = backend.fetch(url)
    assert status == 200 and body == data
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower["accept-ranges"] == "bytes"
    assert lower["content-type"].startswith("video/mp4")
    disposition = lower["content-disposition"]
    assert disposition.startswith("inline") and "filename*=UTF-8''%E7%AC%AC1" in disposition

    status, headers, body = backend.fetch(url, {"Range": "bytes=1000-1999"})
    assert status == 206 and body == data[1000:2000]
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower["content-range"] == f"bytes 1000-1999/{len(data)}"
    assert lower["accept-ranges"] == "bytes"


def test_url_as_attachment(backend):
    key = backend.storage.put(io.BytesIO(b"%PDF-1.4 test"), content_type="application/pdf").key
    url = backend.storage.url(key, expires_in=300, content_type="application/pdf", filename="notes.pdf",
                              disposition="attachment")
    status, headers, body = backend.fetch(url)
    assert status == 200 and body == b"%PDF-1.4 test"
    assert {k.lower(): v for k, v in headers.items()}["content-disposition"] == "attachment; filename=notes.pdf"


def test_an_expired_url_is_refused(backend):
    key = backend.storage.put(io.BytesIO(b"secret lesson"), content_type="video/mp4").key
    with backend.issue_in_past(3600):
        expired = backend.storage.url(key, expires_in=60, content_type="video/mp4")
        still_valid = backend.storage.url(key, expires_in=7200, content_type="video/mp4")
    status, _, body = backend.fetch(expired)
    assert status == 403 and b"secret lesson" not in body
    status, _, body = backend.fetch(still_valid)
    assert status == 200 and body == b"secret lesson"


def test_s3_urls_are_presigned_for_the_requested_time(s3_bucket):
    from ntbase.media.s3 import S3Storage

    client, bucket = s3_bucket
    store = S3Storage(bucket, client=client)
    key = store.put(io.BytesIO(b"x"), content_type="video/mp4").key
    query = parse_qs(urlparse(store.url(key, expires_in=600, content_type="video/mp4")).query)
    assert query["X-Amz-Expires"] == ["600"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["response-cache-control"] == ["private"]
