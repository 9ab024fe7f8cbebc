"""Online courses with real (generated) lesson files, for the learning tests."""
from __future__ import annotations

import functools
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from ntbase.catalog.models import Course
from ntbase.kernel.db import db
from ntbase.learning import services, staff
from ntbase.learning.models import Lesson, LessonKind
from ntbase.learning.tracking import Event, Heartbeat
from ntbase.media import get_storage
from ntbase.media.checks import ALL_KINDS
from ntbase.media.ingest import store_upload
from ntbase.media.samples import make_mp4, make_pdf
from tests.factories import make_course

_SAMPLES = Path(tempfile.mkdtemp(prefix="ntbase-test-media-"))


@functools.cache
def sample(kind: str, seconds: float = 3) -> Path:
    if kind == "video":
        return make_mp4(_SAMPLES / f"v{seconds}.mp4", seconds=seconds)
    return make_pdf(_SAMPLES / "d.pdf", title="课件")


def upload(path: Path):
    with open(path, "rb") as fh:
        up = store_upload(fh, get_storage(current_app), max_bytes=10 * 1024 * 1024, allowed=ALL_KINDS)
    return up.stored, up.info


def online_course(base, *, title="公需科目：数字经济", hours="0.1", video_seconds=(6,), document_minutes=(1,),
                  live=None, price_fen=0, mode="online", **kw) -> tuple[Course, list[Lesson]]:
    """A published online course with a chapter of videos and documents (files stored)."""
    course = make_course(base, title=title, mode=mode, hours=hours, price_fen=price_fen, sessions=1, **kw)
    chapter = staff.add_chapter(course, "第一章")
    lessons = []
    for i, s in enumerate(video_seconds):
        lessons.append(staff.add_lesson(course, chapter, title=f"视频{i + 1}", kind=LessonKind.VIDEO,
                                        upload=upload(sample("video", s))))
    for i, m in enumerate(document_minutes):
        lessons.append(staff.add_lesson(course, chapter, title=f"文档{i + 1}", kind=LessonKind.DOCUMENT,
                                        minutes=m, upload=upload(sample("document"))))
    if live:
        starts, ends = live
        lessons.append(staff.add_lesson(course, chapter, title="直播答疑", kind=LessonKind.LIVE,
                                        join_url="https://meeting.example.cn/j/123", starts_at=starts, ends_at=ends))
    db.session.flush()
    return course, lessons


def beat(event, session="tab-1", seq=0, position=0.0, epoch=None, playing=True, visible=True, check=None):
    return Heartbeat(event=Event(event), session_id=session, seq=seq, position_ms=int(position * 1000),
                     playing=playing, visible=visible, epoch=epoch, check_id=check)


def watch_video(enrollment, lesson, t0: datetime, *, session="tab-1", step=2.0):
    """Watch a whole video at real time from its start; returns the last outcome and time."""
    out = services.heartbeat(enrollment, lesson, beat("start", session, 0, 0), now=t0)
    epoch, pos, seq, t = out.epoch, 0.0, 0, t0
    duration = lesson.duration_seconds
    while pos < duration:
        pos = min(duration, pos + step)
        seq += 1
        t = t + timedelta(seconds=step)
        out = services.heartbeat(enrollment, lesson, beat("beat", session, seq, pos, epoch), now=t)
    return out, t


def read_document(enrollment, lesson, t0: datetime, *, session="tab-1", step=10.0):
    out = services.heartbeat(enrollment, lesson, beat("start", session, 0), now=t0)
    epoch, seq, t = out.epoch, 0, t0
    while not out.done:
        seq += 1
        t = t + timedelta(seconds=step)
        out = services.heartbeat(enrollment, lesson, beat("beat", session, seq, 0, epoch), now=t)
    return out, t
