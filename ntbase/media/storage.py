"""The one interface every media backend offers, and what they share.

A backend stores bytes under a key the server chooses (never the uploaded file's name),
enforces a size limit while it streams (so a huge upload never sits in memory and never
fills the disk or the bucket beyond the limit), reads byte ranges back, and hands out
short-lived signed URLs that a browser can use directly (Range requests included).
"""
from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal, Protocol, runtime_checkable
from urllib.parse import quote

from werkzeug.http import dump_options_header

CHUNK_BYTES = 1024 * 1024
Disposition = Literal["inline", "attachment"]

# "ab/cd/<32 hex>": two levels of 256 directories keep any folder small on a local disk
# and spread keys over S3 prefixes; the name carries no user input.
KEY_RE = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}$")


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    content_type: str
    sha256: str


class StorageError(Exception):
    """Something about an object or a backend; no user-facing text (see ntbase.media.ingest)."""


class ObjectTooLarge(StorageError):
    def __init__(self, limit: int):
        super().__init__(f"stream exceeds the limit of {limit} bytes")
        self.limit = limit


class ObjectNotFound(StorageError):
    def __init__(self, key: str):
        super().__init__(f"no object {key!r}")
        self.key = key


class InvalidKey(StorageError):
    pass


class InvalidRange(StorageError):
    pass


@runtime_checkable
class Storage(Protocol):
    """What the rest of NTBase may use; nothing else about a backend."""

    def put(self, stream: BinaryIO, *, content_type: str, max_bytes: int | None = None) -> StoredObject:
        """Copy ``stream`` to a new object; refuse (and keep nothing) past ``max_bytes``."""

    def open_range(self, key: str, start: int = 0, end: int | None = None) -> BinaryIO:
        """A readable stream of bytes ``start``..``end`` inclusive (HTTP ``bytes=start-end``);
        ``end=None`` reads to the end. The caller closes it."""

    def size(self, key: str) -> int:
        """Bytes stored under ``key``; ObjectNotFound if there is none."""

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""

    def url(self, key: str, *, expires_in: int, filename: str | None = None,
            disposition: Disposition = "inline", content_type: str | None = None,
            user_id: int | None = None) -> str:
        """A URL valid for ``expires_in`` seconds that serves the object with Range support.
        ``user_id`` binds a local URL to that logged-in user (S3 presigned URLs cannot be
        bound: keep them short)."""


def new_key() -> str:
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token[2:4]}/{token}"


def check_key(key: str) -> str:
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        raise InvalidKey(f"not a media key: {key!r}")
    return key


def check_range(start: int, end: int | None) -> None:
    if start < 0 or (end is not None and end < start):
        raise InvalidRange(f"bad range {start}-{end}")


def iter_limited(stream: BinaryIO, max_bytes: int | None, chunk: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Yield the stream in chunks; raise ObjectTooLarge as soon as it passes ``max_bytes``
    (at most one chunk past the limit is ever read)."""
    total = 0
    while True:
        block = stream.read(chunk)
        if not block:
            return
        total += len(block)
        if max_bytes is not None and total > max_bytes:
            raise ObjectTooLarge(max_bytes)
        yield block


class Hasher:
    """Counts and hashes the bytes that pass through."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self.size = 0

    def update(self, block: bytes) -> bytes:
        self._h.update(block)
        self.size += len(block)
        return block

    @property
    def hexdigest(self) -> str:
        return self._h.hexdigest()


def content_disposition(disposition: Disposition, filename: str | None) -> str:
    """The header value Werkzeug's send_file writes: an ASCII ``filename`` and, for other
    names (Chinese titles), an RFC 5987 ``filename*``."""
    if disposition not in ("inline", "attachment"):
        raise ValueError(f"disposition must be inline or attachment, not {disposition!r}")
    if not filename:
        return disposition
    filename = filename.replace("\r", "").replace("\n", "").replace("/", "_").replace("\\", "_")
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
        quoted = quote(filename, safe="!#$&+-.^_`|~")
        return dump_options_header(disposition, {"filename": simple or "download",
                                                 "filename*": f"UTF-8''{quoted}"})
    return dump_options_header(disposition, {"filename": filename})
