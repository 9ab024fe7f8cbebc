"""Media settings and ``get_storage(app)``: the one place that picks the backend.

Settings are read from ``app.config`` first, then from the environment variable of the
same name, then the default below, so they work before ntbase/config.py lists them.

| key | default | meaning |
| --- | --- | --- |
| MEDIA_STORAGE | ``s3`` if MEDIA_S3_BUCKET is set, else ``local`` | backend |
| MEDIA_ROOT | ``<instance>/media`` | folder of the local backend |
| MEDIA_MAX_BYTES | 2 GiB | largest upload |
| MEDIA_URL_EXPIRES | 900 | default lifetime of a media URL, seconds |
| MEDIA_S3_BUCKET | — | bucket of the S3 backend |
| MEDIA_S3_ENDPOINT_URL | — (AWS) | endpoint of an S3-compatible service |
| MEDIA_S3_REGION | ``AWS_DEFAULT_REGION`` or us-east-1 | region to sign for |
| MEDIA_S3_PREFIX | — | key prefix inside the bucket |
| MEDIA_S3_PART_BYTES | 8 MiB | multipart part size (≥ 5 MiB) |
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from flask import Flask, url_for

from ntbase.media.local import LocalStorage
from ntbase.media.s3 import S3Storage
from ntbase.media.storage import Storage
from ntbase.media.tokens import UrlSigner

GIB = 1024 ** 3
MIB = 1024 ** 2
_EXT_KEY = "ntbase.media"


def _setting(app: Flask, name: str, default=None):
    if name in app.config and app.config[name] not in (None, ""):
        return app.config[name]
    env = os.environ.get(name)
    return env if env not in (None, "") else default


@dataclass(frozen=True)
class MediaSettings:
    backend: str
    root: str
    max_bytes: int
    url_expires: int
    s3_bucket: str | None
    s3_endpoint_url: str | None
    s3_region: str | None
    s3_prefix: str
    s3_part_bytes: int


def media_settings(app: Flask) -> MediaSettings:
    bucket = _setting(app, "MEDIA_S3_BUCKET")
    backend = str(_setting(app, "MEDIA_STORAGE", "s3" if bucket else "local")).lower()
    if backend not in {"local", "s3"}:
        raise ValueError(f"MEDIA_STORAGE must be 'local' or 's3', not {backend!r}")
    if backend == "s3" and not bucket:
        raise ValueError("MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET")
    return MediaSettings(
        backend=backend,
        root=str(_setting(app, "MEDIA_ROOT", os.path.join(app.instance_path, "media"))),
        max_bytes=int(_setting(app, "MEDIA_MAX_BYTES", 2 * GIB)),
        url_expires=int(_setting(app, "MEDIA_URL_EXPIRES", 900)),
        s3_bucket=bucket,
        s3_endpoint_url=_setting(app, "MEDIA_S3_ENDPOINT_URL"),
        s3_region=_setting(app, "MEDIA_S3_REGION", os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"),
        s3_prefix=str(_setting(app, "MEDIA_S3_PREFIX", "")),
        s3_part_bytes=int(_setting(app, "MEDIA_S3_PART_BYTES", 8 * MIB)),
    )


def _local_url(token: str) -> str:
    return url_for("media.serve", token=token)


def build_storage(app: Flask) -> Storage:
    s = media_settings(app)
    if s.backend == "s3":
        return S3Storage(s.s3_bucket or "", endpoint_url=s.s3_endpoint_url, region=s.s3_region,
                         prefix=s.s3_prefix, part_size=s.s3_part_bytes, default_max_bytes=s.max_bytes)

    return LocalStorage(s.root, signer=UrlSigner(app.config["SECRET_KEY"]), url_for_token=_local_url,
                        default_max_bytes=s.max_bytes)


def get_storage(app: Flask) -> Storage:
    """The app's storage, built once per app (boto3 clients are thread-safe and costly)."""
    store = app.extensions.get(_EXT_KEY)
    if store is None:
        store = app.extensions[_EXT_KEY] = build_storage(app)
    return store
