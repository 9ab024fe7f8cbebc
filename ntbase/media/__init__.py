"""Lesson media: storage behind one interface (a local folder or S3), content checks,
signed URLs with Range support, and generated sample files. See docs/online-learning.md."""
from __future__ import annotations

from ntbase.media.factory import get_storage, media_settings
from ntbase.media.storage import (
    InvalidKey,
    ObjectNotFound,
    ObjectTooLarge,
    Storage,
    StorageError,
    StoredObject,
)

__all__ = ["InvalidKey", "ObjectNotFound", "ObjectTooLarge", "Storage", "StorageError", "StoredObject",
           "get_storage", "media_settings"]
