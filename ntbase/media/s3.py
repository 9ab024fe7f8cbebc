"""Media in S3-compatible object storage, for several app servers (boto3).

Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``
in the environment, a profile, an instance role); the bucket and endpoint from config.
Streams up to one part are sent with a single PUT; larger ones as a multipart upload,
one part in memory at a time, aborted (so nothing remains, not even orphan parts) when
the stream passes the size limit or fails. Browsers fetch objects through presigned GET
URLs, so S3 itself answers their Range requests.
"""
from __future__ import annotations

import io
from typing import BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from ntbase.media.storage import (
    Disposition,
    Hasher,
    ObjectNotFound,
    StoredObject,
    check_key,
    check_range,
    content_disposition,
    iter_limited,
    new_key,
)

MIN_PART_BYTES = 5 * 1024 * 1024  # S3's minimum for every part but the last
DEFAULT_PART_BYTES = 8 * 1024 * 1024
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4's ceiling


def _missing(exc: ClientError) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


def make_client(*, endpoint_url: str | None = None, region: str | None = None,
                addressing_style: str | None = None):
    """A thread-safe boto3 client; path-style addressing for a custom endpoint (MinIO,
    Ceph, a test server on 127.0.0.1) unless told otherwise."""
    style = addressing_style or ("path" if endpoint_url else "auto")
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url or None, region_name=region or "us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": style},
                      retries={"max_attempts": 3, "mode": "standard"}),
    )


class S3Storage:
    def __init__(self, bucket: str, *, client=None, endpoint_url: str | None = None,
                 region: str | None = None, prefix: str = "", part_size: int = DEFAULT_PART_BYTES,
                 default_max_bytes: int | None = None):
        if not bucket:
            raise ValueError("S3Storage needs a bucket (MEDIA_S3_BUCKET)")
        if part_size < MIN_PART_BYTES:
            raise ValueError(f"part_size must be at least {MIN_PART_BYTES} bytes (S3 minimum)")
        self.bucket = bucket
        self.client = client or make_client(endpoint_url=endpoint_url, region=region)
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.part_size = part_size
        self.default_max_bytes = default_max_bytes

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    # -- the Storage interface -------------------------------------------------------------
    def put(self, stream: BinaryIO, *, content_type: str, max_bytes: int | None = None) -> StoredObject:
        limit = max_bytes if max_bytes is not None else self.default_max_bytes
        key = new_key()
        name = self._name(key)
        hasher = Hasher()
        chunks = iter_limited(stream, limit)
        buf = bytearray()
        upload_id: str | None = None
        parts: list[dict] = []
        try:
            for block in chunks:
                buf += hasher.update(block)
                if len(buf) >= self.part_size:
                    if upload_id is None:
                        upload_id = self.client.create_multipart_upload(
                            Bucket=self.bucket, Key=name, ContentType=content_type)["UploadId"]
                    # send whole parts; keep the remainder for the next one
                    while len(buf) >= self.part_size:
                        body, buf = bytes(buf[: self.part_size]), buf[self.part_size:]
                        n = len(parts) + 1
                        etag = self.client.upload_part(Bucket=self.bucket, Key=name, UploadId=upload_id,
                                                       PartNumber=n, Body=body)["ETag"]
                        parts.append({"PartNumber": n, "ETag": etag})
            if upload_id is None:
                self.client.put_object(Bucket=self.bucket, Key=name, Body=bytes(buf),
                                       ContentType=content_type)
            else:
                if buf or not parts:
                    n = len(parts) + 1
                    etag = self.client.upload_part(Bucket=self.bucket, Key=name, UploadId=upload_id,
                                                   PartNumber=n, Body=bytes(buf))["ETag"]
                    parts.append({"PartNumber": n, "ETag": etag})
                self.client.complete_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id,
                                                      MultipartUpload={"Parts": parts})
        except BaseException:
            if upload_id is not None:
                try:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
                except ClientError:
                    pass  # the bucket's lifecycle rule for incomplete uploads is the backstop
            raise
        return StoredObject(key=key, size=hasher.size, content_type=content_type, sha256=hasher.hexdigest)

    def open_range(self, key: str, start: int = 0, end: int | None = None) -> BinaryIO:
        check_range(start, end)
        kwargs = {}
        if start or end is not None:
            kwargs["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._name(key), **kwargs)["Body"]
        except ClientError as exc:
            if _missing(exc):
                raise ObjectNotFound(key) from None
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                self.size(key)  # still ObjectNotFound for a missing key
                return io.BytesIO(b"")  # starts past the end: nothing, as a local file reads
            raise

    def size(self, key: str) -> int:
        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=self._name(key))["ContentLength"])
        except ClientError as exc:
            if _missing(exc):
                raise ObjectNotFound(key) from None
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def url(self, key: str, *, expires_in: int, filename: str | None = None,
            disposition: Disposition = "inline", content_type: str | None = None,
            user_id: int | None = None) -> str:
        # user_id cannot be bound into a presigned URL: whoever holds it may fetch until
        # it expires, which is why callers keep expires_in short.
        if not 0 < expires_in <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires_in must be between 1 and {MAX_PRESIGN_SECONDS} seconds")
        params = {"Bucket": self.bucket, "Key": self._name(key),
                  "ResponseContentDisposition": content_disposition(disposition, filename),
                  "ResponseCacheControl": "private"}
        if content_type:
            params["ResponseContentType"] = content_type
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=int(expires_in))
