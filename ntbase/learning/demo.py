"""Demo online learning: one online public course at each of the three bases, with short
real lessons (a few seconds of video made by ffmpeg, a small PDF), a question bank and an
exam, so the whole online journey works as soon as ``make run`` has finished:

enroll (and pay in the sandbox) → watch the video → read the document for its minutes →
take the exam → certificate and hours on the dashboard, with no staff click.

The lessons are short so that a newcomer can finish in a few minutes: the course declares
0.1 hour (4.5 minutes at 45 minutes per hour), carried by a 10-second video and a 5-minute
document. Skipped with a message when ffmpeg is not installed. Idempotent.
"""
from __future__ import annotations

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ntbase.bases import services as bs
from ntbase.bases.models import TrainingBase
from ntbase.catalog import services as cs
from ntbase.catalog.models import Course
from ntbase.kernel.db import db, now
from ntbase.learning import staff
from ntbase.learning.models import Exam, LessonKind, Question, QuestionKind
from ntbase.media import get_storage
from ntbase.media.checks import ALL_KINDS
from ntbase.media.ingest import store_upload
from ntbase.media.samples import SampleToolMissing, make_mp4, make_pdf

log = logging.getLogger(__name__)

TITLE = "公需科目：数字经济与创新发展（线上）"
COURSES = {"ntvu": "南通职业大学", "ntgm": "南通技师学院", "ntjsjg": "南通建设"}
QUESTIONS = [
    (QuestionKind.SINGLE, "专业技术人员每年参加继续教育的时间累计不少于多少学时？", ["72", "90", "24", "120"], [1]),
    (QuestionKind.SINGLE, "其中公需科目不少于多少学时？", ["12", "24", "30", "45"], [1]),
    (QuestionKind.MULTIPLE, "继续教育可以采取哪些方式？", ["培训班", "研修班", "远程教育", "无需学习"], [0, 1, 2]),
    (QuestionKind.TRUE_FALSE, "远程教育（线上学习）是继续教育的方式之一。", ["正确", "错误"], [0]),
    (QuestionKind.TRUE_FALSE, "继续教育学时可以跨年度结转。", ["正确", "错误"], [1]),
    (QuestionKind.SINGLE, "数字经济的关键生产要素是？", ["土地", "数据", "劳动力", "资本"], [1]),
]


def load() -> None:
    bases = {b.slug: b for b in db.session.scalars(sa.select(TrainingBase).where(
        TrainingBase.slug.in_(list(COURSES))))}
    todo = [b for slug, b in sorted(bases.items()) if not db.session.scalar(
        sa.select(sa.exists().where(Course.base_id == b.id, Course.title == TITLE)))]
    if not todo:
        return
    folder = Path(tempfile.mkdtemp(prefix="ntbase-demo-media-"))
    try:
        video = make_mp4(folder / "intro.mp4", seconds=10)
    except SampleToolMissing as exc:
        log.warning("demo online courses skipped: %s", exc)
        return
    document = make_pdf(folder / "notes.pdf", title="数字经济与创新发展 学习资料",
                        lines=("一、数字经济的内涵与特征", "二、数据要素与数字化转型", "三、南通数字经济发展实践"))
    for base in todo:
        _course(base, video, document)
    db.session.flush()


def _store(path: Path):
    with open(path, "rb") as fh:
        up = store_upload(fh, get_storage(current_app), max_bytes=50 * 1024 * 1024, allowed=ALL_KINDS)
    return up.stored, up.info


def _course(base: TrainingBase, video: Path, document: Path) -> None:
    base = bs.load_disclosure(base.id)
    fees = [f for f in base.fee_items if f.active and f.name == "线上课程学习费"]
    teachers = [t for t in base.teachers if t.active]
    today = now().replace(microsecond=0)
    start = (today + timedelta(days=14)).replace(hour=19, minute=0, second=0)
    data = cs.CourseInput(
        title=TITLE, category="public", mode="online",
        sessions=[cs.SessionInput(start, start.replace(hour=21), None)],
        fee_lines=[cs.FeeLineInput(fees[0].id, 1)] if fees else [], is_talent_training=False, hours="0.1",
        teacher_ids=[teachers[0].id] if teachers else [], room_id=None, capacity=500,
        staff_levels=[], profession_series=[], enroll_opens_at=today - timedelta(days=7),
        enroll_closes_at=start - timedelta(days=1), refund_cutoff_hours=24,
        description_md=("线上课程（演示）：在 NTBase 上观看视频、阅读资料并通过在线考试，"
                        "系统自动认定完成并颁发培训合格证明，学时计入年度继续教育学时。"),
    )
    course = cs.create_course(base, data)
    first = staff.add_chapter(course, "第一章 数字经济概述")
    staff.add_lesson(course, first, title="导学：课程介绍", kind=LessonKind.VIDEO, upload=_store(video))
    second = staff.add_chapter(course, "第二章 学习资料")
    staff.add_lesson(course, second, title="数字经济与创新发展 学习资料", kind=LessonKind.DOCUMENT, minutes=5,
                     upload=_store(document))
    for number, (kind, text, choices, answer) in enumerate(QUESTIONS, start=1):
        db.session.add(Question(course_id=course.id, number=number, kind=kind, text=text, choices=choices,
                                answer=answer, explanation=""))
    db.session.add(Exam(course_id=course.id, question_count=5, time_limit_minutes=10, pass_mark=60))
    db.session.flush()
    cs.publish_course(course, now=today)
