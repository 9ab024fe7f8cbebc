"""An upload from start to stored object: size limit, content check, then storage.

The stream is spooled to a temporary file with the limit enforced while copying (ffprobe
needs the whole file: an MP4's index may sit at its end), checked, and only then put in
storage under a key the server chooses. A refused file is never stored.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from ntbase.media.checks import ALL_KINDS, MediaInfo, empty_file, inspect_file, too_large
from ntbase.media.storage import ObjectTooLarge, Storage, StoredObject, iter_limited


@dataclass(frozen=True)
class CheckedUpload:
    stored: StoredObject
    info: MediaInfo


def store_upload(stream: BinaryIO, storage: Storage, *, max_bytes: int,
                 allowed: Iterable[str] = ALL_KINDS, field: str = "file",
                 spool_dir: str | None = None) -> CheckedUpload:
    """Check and store one upload; raises MediaRejected (a DomainError) with the reason."""
    fd, spool = tempfile.mkstemp(prefix="ntbase-upload-", dir=spool_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                for block in iter_limited(stream, max_bytes):
                    out.write(block)
            except ObjectTooLarge:
                raise too_large(max_bytes, field) from None
        if os.path.getsize(spool) == 0:
            raise empty_file(field)
        info = inspect_file(spool, allowed, field)
        with open(spool, "rb") as fh:
            try:
                stored = storage.put(fh, content_type=info.content_type, max_bytes=max_bytes)
            except ObjectTooLarge:
                raise too_large(max_bytes, field) from None
        return CheckedUpload(stored=stored, info=info)
    finally:
        os.unlink(spool)
