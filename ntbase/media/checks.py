"""What an uploaded lesson file really is, judged by its content, never by its name.

``sniff`` reads the first bytes: MP4 (an ISO BMFF ``ftyp`` box with a known brand), WebM
(an EBML header whose DocType is ``webm``), PDF (``%PDF-x.y``). Programs (ELF, PE,
Mach-O, ``#!`` scripts) are named as such so the refusal can say so. ``inspect_file``
then confirms a video with ffprobe (Debian's ffmpeg) — it must parse, hold a real video
stream in a codec browsers play, and have a length, which becomes the lesson's duration —
and a PDF by its trailer.

ffprobe reads untrusted files, so it is run with the demuxer forced to the sniffed format
(no playlist or concat demuxer can be smuggled in), only the ``file`` protocol allowed
(no reference can make it open a URL or another protocol), and a time limit.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _

from ntbase.kernel.errors import DomainError

HEAD_BYTES = 64 * 1024
PROBE_TIMEOUT_SECONDS = 60

VIDEO_KINDS = frozenset({"mp4", "webm"})
DOCUMENT_KINDS = frozenset({"pdf"})
ALL_KINDS = VIDEO_KINDS | DOCUMENT_KINDS

CONTENT_TYPES = {"mp4": "video/mp4", "webm": "video/webm", "pdf": "application/pdf"}
EXTENSIONS = {"mp4": ".mp4", "webm": ".webm", "pdf": ".pdf"}

# ISO/IEC 14496-12 and -14 brands of files browsers play as video/mp4. QuickTime ('qt  '),
# audio-only (M4A) and 3GPP brands are left out on purpose.
MP4_BRANDS = frozenset({
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9",
    b"mp41", b"mp42", b"avc1", b"hvc1", b"hev1", b"av01", b"M4V ", b"M4VH", b"M4VP",
    b"dash", b"MSNV", b"NDAS", b"mmp4", b"f4v ", b"cmfc",
})
# Codecs a current browser plays inside each container. MPEG-4 part 2 is the fallback of
# ntbase.media.samples where an ffmpeg lacks libx264.
PLAYABLE_CODECS = {
    "mp4": frozenset({"h264", "hevc", "av1", "vp9", "mpeg4"}),
    "webm": frozenset({"vp8", "vp9", "av1"}),
}
FFPROBE_DEMUXER = {"mp4": "mov", "webm": "matroska"}

EXECUTABLE_MAGIC = (
    b"\x7fELF",                 # Linux/Unix programs and libraries
    b"MZ",                      # Windows .exe/.dll (PE)
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",        # Mach-O universal binary / Java class
    b"#!",                      # shell, Python… scripts
)


class MediaRejected(DomainError):
    """An upload refused for what it contains; ``message`` is translated, ``code`` is stable."""


class MediaToolMissing(RuntimeError):
    """ffprobe is not installed: a server problem, not the uploader's."""


@dataclass(frozen=True)
class MediaInfo:
    kind: str                       # mp4 | webm | pdf
    content_type: str
    extension: str
    size: int
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    video_codec: str | None = None


# -- sniffing ------------------------------------------------------------------------------
def _mp4(head: bytes) -> bool:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    size = struct.unpack(">I", head[:4])[0]
    if size < 16 or size > 4096 or size % 4:
        return False
    brands = [head[8:12]] + [head[i:i + 4] for i in range(16, min(size, len(head)) - 3, 4)]
    return any(b in MP4_BRANDS for b in brands)


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``pos``: (value, next position)."""
    if pos >= len(data):
        raise ValueError("truncated")
    first = data[pos]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8 or pos + length > len(data):
        raise ValueError("bad vint")
    value = first if keep_marker else first & (mask - 1)
    for b in data[pos + 1: pos + length]:
        value = (value << 8) | b
    return value, pos + length


def _webm_doctype(head: bytes) -> bytes | None:
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    try:
        size, pos = _vint(head, 4, keep_marker=False)
        end = min(len(head), pos + size)
        while pos < end:
            el_id, pos = _vint(head, pos, keep_marker=True)
            el_size, pos = _vint(head, pos, keep_marker=False)
            if el_id == 0x4282:  # DocType
                return head[pos: pos + el_size]
            pos += el_size
    except ValueError:
        return None
    return None


def sniff(head: bytes) -> str | None:
    """``mp4``, ``webm``, ``pdf``, ``executable`` or None, from the first bytes."""
    if _mp4(head):
        return "mp4"
    if _webm_doctype(head) == b"webm":
        return "webm"
    if re.match(rb"%PDF-[12]\.\d", head):
        return "pdf"
    if head.startswith(EXECUTABLE_MAGIC):
        return "executable"
    return None


# -- refusals ------------------------------------------------------------------------------
def _refuse(code: str, message: str, field: str) -> MediaRejected:
    return MediaRejected(message, field=field, code=code)


def format_limit(max_bytes: int) -> str:
    for unit, size in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if max_bytes >= size:
            value = max_bytes / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{max_bytes} B"


def too_large(max_bytes: int, field: str = "file") -> MediaRejected:
    return _refuse("too_large", _("The file is larger than %(limit)s. Export it at a lower resolution "
                                  "or bitrate and upload it again.", limit=format_limit(max_bytes)), field)


def empty_file(field: str = "file") -> MediaRejected:
    return _refuse("empty", _("The file is empty. Choose the file again."), field)


def _wrong_kind(kind: str, allowed: frozenset[str], field: str) -> MediaRejected:
    if kind in DOCUMENT_KINDS and not allowed & DOCUMENT_KINDS:
        return _refuse("wrong_kind", _("This file is a PDF document, but this lesson needs a video "
                                       "(MP4 or WebM)."), field)
    return _refuse("wrong_kind", _("This file is a video, but this lesson needs a PDF document."), field)


# -- checks --------------------------------------------------------------------------------
def check_head(head: bytes, allowed: Iterable[str] = ALL_KINDS, field: str = "file") -> str:
    """The kind of file these first bytes start, or MediaRejected."""
    allowed = frozenset(allowed)
    if not head:
        raise empty_file(field)
    kind = sniff(head)
    if kind == "executable":
        raise _refuse("executable", _("This file is a program, not a video or a PDF (its content is "
                                      "checked, not its name), so it cannot be uploaded."), field)
    if kind is None:
        raise _refuse("unknown_type", _("This file is not an MP4 or WebM video or a PDF document (its "
                                        "content is checked, not its name). Export it in one of these "
                                        "formats and upload it again."), field)
    if kind not in allowed:
        raise _wrong_kind(kind, allowed, field)
    return kind


def ffprobe_path() -> str:
    path = shutil.which("ffprobe")
    if path is None:
        raise MediaToolMissing("ffprobe not found: install Debian's ffmpeg (scripts/system-deps.sh)")
    return path


def probe_video(path: str | os.PathLike, kind: str, field: str = "file") -> dict:
    """ffprobe's JSON for a file already sniffed as ``kind``; MediaRejected if it cannot parse."""
    unreadable = _refuse("unreadable", _("This video could not be read: the file is damaged or is not "
                                         "really a video. Export it again as MP4 (H.264) and upload it."),
                         field)
    cmd = [ffprobe_path(), "-v", "error", "-hide_banner", "-protocol_whitelist", "file",
           "-f", FFPROBE_DEMUXER[kind], "-print_format", "json", "-show_format", "-show_streams",
           f"file:{os.fspath(path)}"]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=PROBE_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise unreadable from None
    if done.returncode != 0:
        raise unreadable
    try:
        return json.loads(done.stdout or b"{}")
    except ValueError:
        raise unreadable from None


def _video_info(path: str | os.PathLike, kind: str, size: int, field: str) -> MediaInfo:
    data = probe_video(path, kind, field)
    streams = [s for s in data.get("streams", []) if s.get("codec_type") == "video"
               and not (s.get("disposition") or {}).get("attached_pic")]  # cover art is no video
    if not streams:
        raise _refuse("no_video", _("This file has no moving picture (it may be sound only). Upload a "
                                    "video with a picture."), field)
    video = streams[0]
    codec = str(video.get("codec_name") or "")
    if codec not in PLAYABLE_CODECS[kind]:
        raise _refuse("codec", _("This video is encoded as %(codec)s, which web browsers cannot play. "
                                 "Export it as MP4 (H.264) or WebM (VP9) and upload it again.",
                                 codec=codec or "?"), field)
    duration = None
    for source in (data.get("format") or {}, video):
        try:
            duration = float(source.get("duration"))
            break
        except (TypeError, ValueError):
            continue
    if duration is None or not duration > 0:
        raise _refuse("no_duration", _("This video has no length that can be read. Export it again and "
                                       "upload it."), field)
    return MediaInfo(kind=kind, content_type=CONTENT_TYPES[kind], extension=EXTENSIONS[kind], size=size,
                     duration_seconds=duration, width=video.get("width"), height=video.get("height"),
                     video_codec=codec)


def _pdf_info(path: str | os.PathLike, size: int, field: str) -> MediaInfo:
    # a complete PDF ends with "startxref <offset> %%EOF" within its last kilobytes
    with open(path, "rb") as fh:
        fh.seek(max(0, size - 4096))
        tail = fh.read()
    if b"%%EOF" not in tail or b"startxref" not in tail:
        raise _refuse("damaged_pdf", _("This PDF is incomplete or damaged. Save it again as PDF and "
                                       "upload it."), field)
    return MediaInfo(kind="pdf", content_type=CONTENT_TYPES["pdf"], extension=".pdf", size=size)


def inspect_file(path: str | os.PathLike, allowed: Iterable[str] = ALL_KINDS, field: str = "file") -> MediaInfo:
    """Check a complete file on disk; MediaInfo, or MediaRejected with a translated reason."""
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    kind = check_head(head, allowed, field)
    if kind in VIDEO_KINDS:
        return _video_info(path, kind, size, field)
    return _pdf_info(path, size, field)
