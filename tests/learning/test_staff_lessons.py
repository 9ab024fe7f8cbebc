"""The base staff's lessons editor: chapters and lessons added, renamed, moved, removed;
files uploaded (plain form and the script's XHR), checked by content, limited in size,
replaced, previewed; other bases and forged forms refused; nothing half-done."""
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from ntbase.enrollment import services as enrollments
from ntbase.kernel.db import db, now
from ntbase.learning import staff
from ntbase.learning.models import Chapter, Lesson, LessonKind
from ntbase.media import get_storage
from tests.factories import make_course
from tests.learning.helpers import online_course, sample, upload, watch_video

XHR = {"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"}


def _media_files(app) -> set[str]:
    """The keys of the stored objects (not the uploads being copied)."""
    root = get_storage(app).root
    if not root.exists():
        return set()
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".tmp" not in p.parts}


def _lessons(course_id) -> list[Lesson]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Lesson).where(Lesson.course_id == course_id)
                                   .order_by(Lesson.chapter_id, Lesson.position)))


@pytest.fixture()
def draft(app_ctx, base_a):
    course = make_course(base_a, title="在线课程：人工智能", mode="online", hours="0.1", sessions=1, status="draft")
    chapter = staff.add_chapter(course, "第一章 概论")
    db.session.commit()
    return course, chapter


def _file(path: Path, name: str | None = None):
    return (io.BytesIO(path.read_bytes()), name or path.name)


def test_staff_build_a_course_from_the_page(client, login, staff_a, draft, app):
    course, chapter = draft
    login(staff_a)
    files = _media_files(app)
    page = client.get(f"/manage/courses/{course.id}/lessons").get_data(as_text=True)
    assert "第一章 概论" in page and 'id="add-lesson"' in page and "js/upload.js" in page
    assert "data-max-bytes=" in page and "上传" in page
    r = client.post(f"/manage/courses/{course.id}/lessons/chapters", data={"title": "第二章 实践"})
    assert r.status_code == 302
    r = client.post(f"/manage/courses/{course.id}/lessons", content_type="multipart/form-data", data={
        "chapter_id": chapter.id, "kind": "video", "title": "开篇视频", "file": _file(sample("video", 4))})
    assert r.status_code == 302, r.get_data(as_text=True)
    r = client.post(f"/manage/courses/{course.id}/lessons", content_type="multipart/form-data", headers=XHR, data={
        "chapter_id": chapter.id, "kind": "document", "title": "讲义", "minutes": "3",
        "file": _file(sample("document"))})
    assert r.status_code == 200 and r.json["ok"] and r.json["redirect"].endswith("#add-lesson")
    starts = (now() + timedelta(days=3)).replace(second=0, microsecond=0)
    r = client.post(f"/manage/courses/{course.id}/lessons", data={
        "chapter_id": chapter.id, "kind": "live", "title": "直播答疑", "join_url": "https://meet.example.cn/j/9",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(minutes=50)).strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 302
    video, document, live = _lessons(course.id)
    assert (video.kind, video.duration_seconds, video.media_type) == (LessonKind.VIDEO, 4, "video/mp4")
    assert (document.duration_seconds, document.media_type) == (180, "application/pdf")
    assert (live.duration_seconds, live.join_url) == (3000, "https://meet.example.cn/j/9")
    assert _media_files(app) - files == {video.media_key, document.media_key}
    page = client.get(f"/manage/courses/{course.id}/lessons").get_data(as_text=True)
    assert page.index("开篇视频") < page.index("讲义") < page.index("直播答疑")
    assert "第二章 实践" in page and "53 分钟" in page  # 4 s + 3 min + 50 min, shown in whole minutes


def test_the_staff_course_page_links_to_lessons_bank_and_progress(client, login, staff_a, draft):
    course, _chapter = draft
    login(staff_a)
    page = client.get(f"/manage/courses/{course.id}").get_data(as_text=True)
    assert f'href="/manage/courses/{course.id}/lessons" id="manage-lessons"' in page
    assert f'href="/manage/courses/{course.id}/questions"' in page


def test_an_in_person_course_has_no_lessons_page(client, login, staff_a, base_a):
    course = make_course(base_a)
    db.session.commit()
    login(staff_a)
    assert client.get(f"/manage/courses/{course.id}/lessons").status_code == 404
    assert f"/manage/courses/{course.id}/lessons" not in client.get(f"/manage/courses/{course.id}").get_data(
        as_text=True)


@pytest.mark.parametrize("name, content, message", [
    ("lecture.mp4", b"MZ\x90\x00" + b"\x00" * 4000, "程序"),            # a renamed Windows program
    ("lecture.mp4", b"#!/bin/sh\nrm -rf /\n", "程序"),                   # a renamed script
    ("lecture.mp4", None, "PDF"),                                        # a PDF where a video belongs
    ("lecture.mp4", b"", "空"),                                          # an empty file
])
def test_a_file_is_judged_by_its_content_and_a_refused_one_changes_nothing(
        client, login, staff_a, draft, app, name, content, message):
    course, chapter = draft
    login(staff_a)
    files = _media_files(app)
    data = content if content is not None else sample("document").read_bytes()
    r = client.post(f"/manage/courses/{course.id}/lessons", content_type="multipart/form-data", data={
        "chapter_id": chapter.id, "kind": "video", "title": "开篇视频", "file": (io.BytesIO(data), name)})
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert 'field-error' in body and message in body
    assert 'value="开篇视频"' in body  # what was typed stays in the form
    assert _lessons(course.id) == [] and _media_files(app) == files


def test_the_script_gets_the_refusal_as_json_for_its_field(client, login, staff_a, draft, app):
    course, chapter = draft
    login(staff_a)
    files = _media_files(app)
    r = client.post(f"/manage/courses/{course.id}/lessons", content_type="multipart/form-data", headers=XHR, data={
        "chapter_id": chapter.id, "kind": "document", "title": "讲义", "minutes": "5",
        "file": _file(sample("video", 3), "讲义.pdf")})
    assert r.status_code == 422 and r.json["ok"] is False
    assert "PDF" in r.json["errors"]["file"][0]
    assert _lessons(course.id) == [] and _media_files(app) == files


def test_a_lesson_refused_after_its_file_was_stored_leaves_no_file(client, login, staff_a, draft, app):
    """The title is too long only once the service looks: the stored file is removed."""
    course, chapter = draft
    login(staff_a)
    files = _media_files(app)
    r = client.post(f"/manage/courses/{course.id}/lessons", content_type="multipart/form-data", data={
        "chapter_id": chapter.id, "kind": "video", "title": "   ", "file": _file(sample("video", 3))})
    assert r.status_code == 422
    assert _lessons(course.id) == [] and _media_files(app) == files


def test_an_upload_over_the_limit_is_refused_before_it_is_read(make_app, staff_a, draft):
    course, chapter = draft
    app = make_app(MEDIA_MAX_BYTES=64 * 1024)
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"], s["_fresh"] = str(staff_a.id), True
    files = _media_files(app)
    big = io.BytesIO(b"\x00" * (2 * 1024 * 1024))
    r = client.post(f"/manage/courses/{course.id}/lessons", content_type="multipart/form-data", data={
        "chapter_id": chapter.id, "kind": "video", "title": "大文件", "file": (big, "big.mp4")})
    assert r.status_code == 413
    assert "64 KB" in r.get_data(as_text=True) and 'id="add-lesson"' in r.get_data(as_text=True)
    big = io.BytesIO(b"\x00" * (2 * 1024 * 1024))
    r = client.post(f"/manage/courses/{course.id}/lessons", content_type="multipart/form-data", headers=XHR,
                    data={"chapter_id": chapter.id, "kind": "video", "title": "大文件", "file": (big, "big.mp4")})
    assert r.status_code == 413 and "64 KB" in r.json["errors"]["file"][0]
    # within the body's slack but over the file limit: refused by the copy, nothing stored
    r = client.post(f"/manage/courses/{course.id}/lessons", content_type="multipart/form-data", data={
        "chapter_id": chapter.id, "kind": "video", "title": "稍大", "file": (io.BytesIO(b"\x00" * 200_000), "a.mp4")})
    assert r.status_code == 422 and "64 KB" in r.get_data(as_text=True)
    with app.app_context():
        assert _lessons(course.id) == [] and _media_files(app) == files


def test_a_lesson_upload_takes_more_than_the_global_limit(make_app, staff_a, draft):
    """The global MAX_CONTENT_LENGTH (20 MB) does not apply to lesson files."""
    course, chapter = draft
    app = make_app(MAX_CONTENT_LENGTH=100 * 1024)
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"], s["_fresh"] = str(staff_a.id), True
    video = sample("video", 8)
    r = client.post(f"/manage/courses/{course.id}/lessons", content_type="multipart/form-data", data={
        "chapter_id": chapter.id, "kind": "video", "title": "开篇" + " " * 10, "pad": "x" * 150_000,
        "file": _file(video)})
    assert r.status_code == 302
    with app.app_context():
        assert [lesson.title for lesson in _lessons(course.id)] == ["开篇"]


def test_a_forged_upload_without_the_token_is_refused(make_app, staff_a, draft):
    course, chapter = draft
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"], s["_fresh"] = str(staff_a.id), True
    files = _media_files(app)
    for url, data in [
        (f"/manage/courses/{course.id}/lessons", {"chapter_id": chapter.id, "kind": "video", "title": "伪造",
                                                  "file": _file(sample("video", 3))}),
    ]:
        r = client.post(url, content_type="multipart/form-data", data=data)
        assert r.status_code == 400
    with app.app_context():
        assert _lessons(course.id) == [] and _media_files(app) == files


def test_another_bases_staff_and_learners_are_refused_everywhere(client, login, staff_b, learner, draft, app):
    course, chapter = draft
    lesson = staff.add_lesson(course, chapter, title="讲义", kind="document", minutes=3,
                              upload=upload(sample("document")))
    db.session.commit()
    files = _media_files(app)
    urls = [("get", f"/manage/courses/{course.id}/lessons"),
            ("post", f"/manage/courses/{course.id}/lessons/chapters"),
            ("post", f"/manage/courses/{course.id}/lessons/chapters/{chapter.id}"),
            ("post", f"/manage/courses/{course.id}/lessons/chapters/{chapter.id}/move"),
            ("post", f"/manage/courses/{course.id}/lessons/chapters/{chapter.id}/delete"),
            ("post", f"/manage/courses/{course.id}/lessons"),
            ("get", f"/manage/courses/{course.id}/lessons/{lesson.id}"),
            ("post", f"/manage/courses/{course.id}/lessons/{lesson.id}"),
            ("post", f"/manage/courses/{course.id}/lessons/{lesson.id}/file"),
            ("post", f"/manage/courses/{course.id}/lessons/{lesson.id}/move"),
            ("post", f"/manage/courses/{course.id}/lessons/{lesson.id}/delete"),
            ("get", f"/manage/courses/{course.id}/lessons/{lesson.id}/preview")]
    for user in (staff_b, learner):
        login(user)
        for method, url in urls:
            r = getattr(client, method)(url, data={"title": "改", "step": "1", "chapter_id": chapter.id,
                                                   "kind": "document", "minutes": "1"})
            assert r.status_code == 403, (user.role, method, url, r.status_code)
    client.post("/logout")
    with client.session_transaction() as s:
        s.clear()
    assert client.get(f"/manage/courses/{course.id}/lessons").status_code in (302, 401)
    assert [(x.title, x.duration_seconds) for x in _lessons(course.id)] == [("讲义", 180)]
    assert db.session.scalar(sa.select(Chapter.title).where(Chapter.id == chapter.id)) == "第一章 概论"
    assert _media_files(app) == files


def test_a_lesson_or_chapter_of_another_course_is_not_found(client, login, staff_a, base_a, draft):
    course, chapter = draft
    other, other_lessons = online_course(base_a, title="另一门在线课")
    db.session.commit()
    login(staff_a)
    other_lesson, other_chapter = other_lessons[0], other_lessons[0].chapter_id
    assert client.get(f"/manage/courses/{course.id}/lessons/{other_lesson.id}").status_code == 404
    assert client.post(f"/manage/courses/{course.id}/lessons/{other_lesson.id}/delete").status_code == 404
    assert client.post(f"/manage/courses/{course.id}/lessons/chapters/{other_chapter}/delete").status_code == 404
    r = client.post(f"/manage/courses/{course.id}/lessons", data={
        "chapter_id": other_chapter, "kind": "live", "title": "直播", "join_url": "https://a.cn/x",
        "starts_at": "2030-01-01T09:00", "ends_at": "2030-01-01T10:00"})
    assert r.status_code == 422  # not one of this course's chapters
    assert len(_lessons(other.id)) == len(other_lessons) and _lessons(course.id) == []


def test_moving_swaps_neighbours_and_stops_at_the_ends(client, login, staff_a, base_a):
    course, lessons = online_course(base_a, video_seconds=(3, 4), document_minutes=(1,))
    second = staff.add_chapter(course, "第二章")
    db.session.commit()
    login(staff_a)
    first_id = lessons[0].id
    assert client.post(f"/manage/courses/{course.id}/lessons/{first_id}/move", data={"step": "1"}).status_code == 302
    assert [x.title for x in _lessons(course.id)] == ["视频2", "视频1", "文档1"]
    client.post(f"/manage/courses/{course.id}/lessons/{lessons[2].id}/move", data={"step": "1"})  # already last
    assert [x.title for x in _lessons(course.id)] == ["视频2", "视频1", "文档1"]
    assert client.post(f"/manage/courses/{course.id}/lessons/{first_id}/move", data={"step": "5"}).status_code == 302
    assert [x.title for x in _lessons(course.id)] == ["视频2", "视频1", "文档1"]
    client.post(f"/manage/courses/{course.id}/lessons/chapters/{second.id}/move", data={"step": "-1"})
    db.session.expire_all()
    chapters = db.session.scalars(sa.select(Chapter.title).where(Chapter.course_id == course.id)
                                  .order_by(Chapter.position)).all()
    assert chapters == ["第二章", "第一章"]
    client.post(f"/manage/courses/{course.id}/lessons/chapters/{second.id}", data={"title": "  第二章：案例 "})
    assert db.session.scalar(sa.select(Chapter.title).where(Chapter.id == second.id)) == "第二章：案例"


def test_removing_a_lesson_deletes_its_file_once_committed(client, login, staff_a, base_a, app):
    course, lessons = online_course(base_a, video_seconds=(3,), document_minutes=(10,), hours="0.1")
    db.session.commit()
    login(staff_a)
    before = _media_files(app)
    page = client.get(f"/manage/courses/{course.id}/lessons").get_data(as_text=True)
    assert "data-confirm=" in page and "无法撤销" in page
    r = client.post(f"/manage/courses/{course.id}/lessons/{lessons[0].id}/delete")
    assert r.status_code == 302
    assert [x.title for x in _lessons(course.id)] == ["文档1"]
    assert before - _media_files(app) == {lessons[0].media_key}
    assert lessons[1].media_key in _media_files(app)


def test_a_lesson_learners_started_cannot_be_removed(client, login, staff_a, base_a, learner, app):
    course, lessons = online_course(base_a, video_seconds=(3,), document_minutes=(10,))
    enrollment = enrollments.enroll_learner(course, learner)
    watch_video(enrollment, lessons[0], now())
    db.session.commit()
    login(staff_a)
    files = _media_files(app)
    page = client.get(f"/manage/courses/{course.id}/lessons").get_data(as_text=True)
    assert f'id="lesson-{lessons[0].id}"' in page
    row = page[page.index(f'id="lesson-{lessons[0].id}"'):page.index(f'id="lesson-{lessons[1].id}"')]
    assert "1" in row and "lesson_delete" not in row and "/delete" not in row  # no remove button
    r = client.post(f"/manage/courses/{course.id}/lessons/{lessons[0].id}/delete", follow_redirects=True)
    assert "开始学习" in r.get_data(as_text=True)
    r = client.post(f"/manage/courses/{course.id}/lessons/chapters/{lessons[0].chapter_id}/delete",
                    follow_redirects=True)
    assert "开始学习" in r.get_data(as_text=True)
    r = client.post(f"/manage/courses/{course.id}/lessons/{lessons[0].id}/file", content_type="multipart/form-data",
                    data={"file": _file(sample("video", 9))})
    assert r.status_code == 422 and 'id="file-locked"' in r.get_data(as_text=True)
    assert len(_lessons(course.id)) == 2 and _media_files(app) == files
    assert _lessons(course.id)[0].duration_seconds == 3


def test_a_published_online_course_keeps_lessons_that_carry_its_hours(client, login, staff_a, base_a):
    # 0.1 h at 45 min/h needs 4.5 min: the 5-minute document carries it, the 3 s video does not
    course, lessons = online_course(base_a, video_seconds=(3,), document_minutes=(5,), hours="0.1")
    db.session.commit()
    login(staff_a)
    r = client.post(f"/manage/courses/{course.id}/lessons/{lessons[1].id}/delete", follow_redirects=True)
    assert "学时" in r.get_data(as_text=True)
    r = client.post(f"/manage/courses/{course.id}/lessons/{lessons[1].id}", data={"title": "文档1", "minutes": "2"})
    assert r.status_code == 422 and "学时" in r.get_data(as_text=True)
    assert [x.duration_seconds for x in _lessons(course.id)] == [3, 300]
    r = client.post(f"/manage/courses/{course.id}/lessons/{lessons[1].id}", data={"title": "新讲义", "minutes": "8"})
    assert r.status_code == 302
    assert [(x.title, x.duration_seconds) for x in _lessons(course.id)] == [("视频1", 3), ("新讲义", 480)]


def test_replacing_a_document_keeps_one_file_and_a_video_takes_the_new_length(client, login, staff_a, draft, app):
    course, chapter = draft
    login(staff_a)
    files = _media_files(app)
    for kind, title, extra, path in (("video", "视频", {}, sample("video", 3)),
                                     ("document", "讲义", {"minutes": "4"}, sample("document"))):
        client.post(f"/manage/courses/{course.id}/lessons", content_type="multipart/form-data",
                    data={"chapter_id": chapter.id, "kind": kind, "title": title, "file": _file(path), **extra})
    video, document = _lessons(course.id)
    old_keys = {video.media_key, document.media_key}
    r = client.post(f"/manage/courses/{course.id}/lessons/{video.id}/file", content_type="multipart/form-data",
                    headers=XHR, data={"file": _file(sample("video", 7))})
    assert r.status_code == 200 and r.json["ok"], r.get_data(as_text=True)
    r = client.post(f"/manage/courses/{course.id}/lessons/{document.id}/file", content_type="multipart/form-data",
                    data={"file": _file(sample("video", 3))})
    assert r.status_code == 422 and "PDF" in r.get_data(as_text=True)
    video, document = _lessons(course.id)
    assert video.duration_seconds == 7 and video.media_key not in old_keys
    assert document.media_key in old_keys
    assert _media_files(app) - files == {video.media_key, document.media_key}  # the old video's file is gone


def test_the_preview_is_a_short_lived_url_for_this_staff_member(client, login, staff_a, base_a):
    course, lessons = online_course(base_a, video_seconds=(3,), document_minutes=())
    db.session.commit()
    login(staff_a)
    r = client.get(f"/manage/courses/{course.id}/lessons/{lessons[0].id}/preview")
    assert r.status_code == 302 and r.headers["Cache-Control"] == "no-store"
    media = client.get(r.headers["Location"], headers={"Range": "bytes=0-99"})
    assert media.status_code == 206 and len(media.data) == 100


def test_bad_lesson_input_is_shown_where_it_was_typed(client, login, staff_a, draft):
    course, chapter = draft
    login(staff_a)
    cases = [
        ({"kind": "live", "title": "直播", "join_url": "javascript:alert(1)", "starts_at": "2030-01-01T09:00",
          "ends_at": "2030-01-01T10:00"}, "https://"),
        ({"kind": "live", "title": "直播", "join_url": "https://a.cn/x", "starts_at": "2030-01-01T09:00",
          "ends_at": "2030-01-01T08:00"}, "结束"),
        ({"kind": "document", "title": "讲义", "file": _file(sample("document"))}, "分钟"),
        ({"kind": "video", "title": "视频"}, "选择"),
        ({"kind": "video", "title": "x" * 201, "file": _file(sample("video", 3))}, "200"),
    ]
    for data, message in cases:
        r = client.post(f"/manage/courses/{course.id}/lessons", content_type="multipart/form-data",
                        data={"chapter_id": chapter.id, **data})
        body = r.get_data(as_text=True)
        assert r.status_code == 422 and message in body and "field-error" in body, (data, body[-2000:])
    assert _lessons(course.id) == []
    r = client.post(f"/manage/courses/{course.id}/lessons/chapters", data={"title": ""})
    assert r.status_code == 422 and "field-error" in r.get_data(as_text=True)
    assert json.dumps([c.title for c in db.session.scalars(sa.select(Chapter).where(
        Chapter.course_id == course.id))], ensure_ascii=False) == '["第一章 概论"]'


def test_removing_the_last_unstarted_lesson_completes_who_did_all_the_others(client, login, staff_a, base_a, learner):
    """No heartbeat of theirs would complete them later: the removal does."""
    course, lessons = online_course(base_a, video_seconds=(3,), document_minutes=(1,), hours="0")
    enrollment = enrollments.enroll_learner(course, learner)
    watch_video(enrollment, lessons[0], now())
    db.session.commit()
    db.session.refresh(enrollment)
    assert enrollment.state.value == "confirmed"
    login(staff_a)
    r = client.post(f"/manage/courses/{course.id}/lessons/{lessons[1].id}/delete")
    assert r.status_code == 302
    db.session.expire_all()
    db.session.refresh(enrollment)
    assert enrollment.state.value == "completed"
