"""Media in a folder on the app server's disk: the embedded default (``MEDIA_ROOT``).

Writes go to a temporary file inside the same folder and are renamed into place once
complete, so a reader never sees half a file and a failed or refused upload leaves
nothing behind under a key. Local URLs are ``/media/<signed token>``, served by
ntbase.media.serving with Range support.
"""
from __future__ import annotations

import io
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ntbase.media.storage import (
    Disposition,
    Hasher,
    ObjectNotFound,
    StoredObject,
    check_key,
    check_range,
    iter_limited,
    new_key,
)
from ntbase.media.tokens import UrlSigner

TMP_DIR = ".tmp"


class _RangeReader(io.RawIOBase):
    """At most ``length`` bytes of an open file from its current offset."""

    def __init__(self, fh: BinaryIO, length: int | None):
        self._fh = fh
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        want = len(buf) if self._left is None else min(len(buf), self._left)
        if want <= 0:
            return 0
        n = self._fh.readinto(memoryview(buf)[:want])
        if self._left is not None:
            self._left -= n
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


class LocalStorage:
    def __init__(self, root: str | os.PathLike, *, signer: UrlSigner | None = None,
                 url_for_token: Callable[[str], str] | None = None, default_max_bytes: int | None = None):
        self.root = Path(root)
        self._signer = signer
        self._url_for_token = url_for_token
        self.default_max_bytes = default_max_bytes

    # -- paths -------------------------------------------------------------------------
    def path(self, key: str) -> Path:
        """Where ``key`` lives on disk (for send_file and ffprobe); the key is validated,
        so no token or database value can point outside MEDIA_ROOT."""
        return self.root / check_key(key)

    # -- the Storage interface -------------------------------------------------------------
    def put(self, stream: BinaryIO, *, content_type: str, max_bytes: int | None = None) -> StoredObject:
        limit = max_bytes if max_bytes is not None else self.default_max_bytes
        tmp_dir = self.root / TMP_DIR
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="up-")
        hasher = Hasher()
        try:
            with os.fdopen(fd, "wb") as out:
                for block in iter_limited(stream, limit):
                    out.write(hasher.update(block))
                out.flush()
                os.fsync(out.fileno())
            key = new_key()
            final = self.path(key)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return StoredObject(key=key, size=hasher.size, content_type=content_type, sha256=hasher.hexdigest)

    def open_range(self, key: str, start: int = 0, end: int | None = None) -> BinaryIO:
        check_range(start, end)
        try:
            fh = open(self.path(key), "rb")  # noqa: SIM115 - returned to the caller, who closes it
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        fh.seek(start)
        reader = _RangeReader(fh, None if end is None else end - start + 1)
        return io.BufferedReader(reader)  # type: ignore[return-value]

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def url(self, key: str, *, expires_in: int, filename: str | None = None,
            disposition: Disposition = "inline", content_type: str | None = None,
            user_id: int | None = None) -> str:
        if self._signer is None or self._url_for_token is None:
            raise RuntimeError("LocalStorage was built without a URL signer (use get_storage(app))")
        token = self._signer.sign(check_key(key), expires_in=expires_in, user_id=user_id,
                                  content_type=content_type or "application/octet-stream",
                                  disposition=disposition, filename=filename)
        return self._url_for_token(token)

    # -- housekeeping ----------------------------------------------------------------------
    def purge_temp(self, older_than_seconds: int = 24 * 3600, now: float | None = None) -> int:
        """Remove upload temp files a crashed worker left behind; returns how many."""
        tmp_dir = self.root / TMP_DIR
        if not tmp_dir.is_dir():
            return 0
        cutoff = (now if now is not None else time.time()) - older_than_seconds
        removed = 0
        for p in tmp_dir.iterdir():
            if p.is_file() and p.stat().st_mtime < cutoff:
                p.unlink(missing_ok=True)
                removed += 1
        return removed
