"""Import from CSV/XLSX: preview with row/column errors, all rows or none, bad files refused."""
import csv
import io
import re

import pytest
import sqlalchemy as sa

from ntbase.catalog import importer
from ntbase.catalog.models import Course, CourseStatus
from ntbase.kernel.db import db
from tests.catalog.helpers import as_user, day, disclose

HEADER = [zh for _k, zh, _r in importer.COLUMNS]


def row(**over):
    start = day(30)
    values = {
        "title": "专业技术人员安全生产知识培训", "category": "公需", "mode": "面授",
        "sessions": f"{start:%Y-%m-%d} 09:00-17:00; {day(31):%Y-%m-%d} 09:00-17:00", "room": "主校区/A101",
        "fee_items": "公需科目培训费", "price_yuan": "200", "hours": "", "talent_training": "否",
        "teachers": "王建国; 李敏", "capacity": "40", "enroll_opens": "", "enroll_closes": "",
        "profession_series": "工程", "staff_levels": "初级; 中级", "refund_policy": "",
        "description": "法规与**案例**",
    }
    values.update(over)
    return [values[k] for k, _zh, _r in importer.COLUMNS]


def csv_bytes(*rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode("utf-8")


def xlsx_bytes(*rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture()
def staff(client, login, staff_a, base_a):
    disclose(base_a)
    db.session.commit()
    as_user(login, staff_a)
    return base_a


def upload(client, base, data: bytes, name="courses.csv"):
    return client.post(f"/manage/bases/{base.id}/courses/import",
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def course_count():
    return db.session.scalar(sa.select(sa.func.count(Course.id)))


def payload_of(html: str) -> str:
    return re.search(r'name="payload" type="hidden" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_preview_then_confirm_writes_all_rows(client, staff, fmt):
    rows = [row(), row(title="人工智能与数字经济", category="专业", mode="线上", room="", hours="12",
                       sessions=f"{day(40):%Y-%m-%d} 19:00-21:00", fee_items="", price_yuan="50")]
    data = csv_bytes(*rows) if fmt == "csv" else xlsx_bytes(*rows)
    r = upload(client, staff, data, f"courses.{fmt}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html
    assert "全部 2 行均有效" in html
    assert course_count() == 0  # the preview writes nothing
    r = client.post(f"/manage/bases/{staff.id}/courses/import/confirm", data={"payload": payload_of(html)})
    assert r.status_code == 302
    courses = db.session.scalars(sa.select(Course).order_by(Course.id)).all()
    assert [c.title for c in courses] == ["专业技术人员安全生产知识培训", "人工智能与数字经济"]
    assert all(c.status == CourseStatus.DRAFT for c in courses)
    assert courses[0].price_fen == 20000 and str(courses[0].hours) == "12.0"
    assert courses[0].profession_series == ["engineering"] and courses[0].staff_levels == ["junior", "intermediate"]
    assert courses[1].price_fen == 5000 and courses[1].fee_lines[0].fee_item.name == "资料费"


def test_bad_rows_show_row_and_column_and_write_nothing(client, staff):
    rows = [row(), row(title="第二行", capacity="abc", teachers="无名氏"),
            row(title="第三行", sessions=f"{day(30):%Y-%m-%d} 10:00-12:00"),  # same room as row 2 → overlap
            row(title="第四行", price_yuan="-5", fee_items="")]
    r = upload(client, staff, csv_bytes(*rows))
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "第 3 行，“名额”列" in html and "第 3 行，“教师”列" in html and "无名氏" in html
    assert "第 4 行，“日程”列" in html and "A101" in html
    assert "第 5 行，“价格（元）”列" in html and "不能为负数" in html
    assert 'name="payload"' not in html
    assert course_count() == 0


def test_confirm_is_all_or_nothing(client, staff, base_a):
    from ntbase.catalog import services as cs
    from tests.catalog.helpers import course_input  # noqa: F401

    r = upload(client, staff, csv_bytes(row(), row(title="第二门", sessions=f"{day(50):%Y-%m-%d} 09:00-17:00")))
    payload = payload_of(r.get_data(as_text=True))
    # meanwhile someone books the room for the second row's day
    from ntbase.bases.services import load_disclosure

    base = load_disclosure(base_a.id)
    room = base.locations[0].rooms[0]
    teacher = base.teachers[0]
    cs.create_course(base, cs.CourseInput(title="抢先", category="public", teacher_ids=[teacher.id],
                                          room_id=room.id, capacity=10,
                                          sessions=[cs.SessionInput(day(50, 9), day(50, 12))]))
    db.session.commit()
    r = client.post(f"/manage/bases/{staff.id}/courses/import/confirm", data={"payload": payload})
    assert r.status_code == 422 and "第 3 行" in r.get_data(as_text=True)
    assert [c.title for c in db.session.scalars(sa.select(Course))] == ["抢先"]


def test_tampered_or_foreign_payload_refused(client, staff, base_b):
    r = upload(client, staff, csv_bytes(row()))
    payload = payload_of(r.get_data(as_text=True))
    r = client.post(f"/manage/bases/{staff.id}/courses/import/confirm", data={"payload": payload[:-3] + "abc"})
    assert r.status_code == 302 and course_count() == 0
    # a base A preview replayed at base B (admin can reach both) is refused
    rows = importer.unsign_rows(payload, staff.id)
    assert rows[0][0] == 2
    with pytest.raises(importer.ImportFileError):
        importer.unsign_rows(payload, base_b.id)


def test_upload_over_5_mb_refused(client, staff):
    big = csv_bytes(row()) + b"#" * (6 * 1024 * 1024)
    r = upload(client, staff, big)
    assert r.status_code == 413 and "超过 5 MB" in r.get_data(as_text=True)
    assert course_count() == 0


def test_50_mb_upload_refused_with_a_clear_message(client, staff):
    r = upload(client, staff, b"0" * (50 * 1024 * 1024), "huge.xlsx")
    assert r.status_code == 413 and "超过 5 MB" in r.get_data(as_text=True)
    assert course_count() == 0


def test_50_mb_upload_refused_with_csrf_on(make_app, staff_a, base_a):
    """With CSRF on, the form is parsed before the view: MAX_CONTENT_LENGTH answers 413."""
    app = make_app(WTF_CSRF_ENABLED=True)
    c = app.test_client()
    with c.session_transaction() as s:
        s["_user_id"] = str(staff_a.id)
    r = c.post(f"/manage/bases/{base_a.id}/courses/import", data={"file": (io.BytesIO(b"0" * (50 * 1024 * 1024)),
                                                                          "huge.xlsx")})
    assert r.status_code == 413
    # the import page again, saying what to do (not a bare error page)
    html = r.get_data(as_text=True)
    assert "超过 5 MB" in html and "下载 Excel 模板" in html


@pytest.mark.parametrize("content", [b"%PDF-1.4 not a workbook", b"PK\x03\x04 broken zip", b"<html>x</html>"])
def test_non_spreadsheet_renamed_xlsx_refused(client, staff, content):
    r = upload(client, staff, content, "courses.xlsx")
    assert r.status_code == 422 and "不是 Excel 工作簿" in r.get_data(as_text=True)


def test_other_extensions_and_empty_files_refused(client, staff):
    assert "请上传 .csv 或 .xlsx 文件" in upload(client, staff, b"x", "a.pdf").get_data(as_text=True)
    assert "第一行须为模板的列标题" in upload(client, staff, b"a,b\n1,2\n").get_data(as_text=True)
    assert "没有课程数据" in upload(client, staff, csv_bytes()).get_data(as_text=True)


def test_html_in_fields_is_escaped_and_sanitised(client, staff):
    title = '<script>alert(1)</script>安全培训'
    r = upload(client, staff, csv_bytes(row(title=title, description='<img src=x onerror=alert(1)>正文')))
    html = r.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    client.post(f"/manage/bases/{staff.id}/courses/import/confirm", data={"payload": payload_of(html)})
    c = db.session.scalar(sa.select(Course))
    assert "onerror" not in c.description_html and "正文" in c.description_html
    page = client.get(f"/manage/courses/{c.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page


def test_gbk_csv_from_excel_is_read(client, staff):
    data = csv_bytes(row()).decode("utf-8").encode("gb18030")
    assert "全部 1 行均有效" in upload(client, staff, data).get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_templates_download_and_read_back(client, staff, fmt):
    r = client.get(f"/manage/bases/{staff.id}/courses/import/template.{fmt}")
    assert r.status_code == 200
    rows = importer.read_rows(f"t.{fmt}", r.data)
    assert rows[0][0] == 2 and rows[0][1]["title"] == "专业技术人员安全生产知识培训"


# ---- review fixes: hostile and unusual files
def test_csv_with_bom_is_read(client, staff):
    data = "\ufeff".encode() + csv_bytes(row())
    assert "全部 1 行均有效" in upload(client, staff, data).get_data(as_text=True)


def test_gbk_csv_saved_by_excel_is_read(client, staff):
    data = csv_bytes(row(title="安全生产培训（GBK）")).decode("utf-8").encode("gbk")
    html = upload(client, staff, data).get_data(as_text=True)
    assert "全部 1 行均有效" in html and "安全生产培训（GBK）" in html


def test_csv_with_old_mac_line_endings_is_read(client, staff):
    data = csv_bytes(row()).replace(b"\r\n", b"\r")
    assert "全部 1 行均有效" in upload(client, staff, data).get_data(as_text=True)


def test_csv_with_a_huge_cell_gets_a_message(client, staff):
    data = csv_bytes(row(description="安" * 200_000))
    r = upload(client, staff, data)
    assert r.status_code == 422
    assert "过长" in r.get_data(as_text=True)
    assert course_count() == 0


def test_ten_thousand_rows_refused_with_a_message(client, staff):
    r = upload(client, staff, csv_bytes(*[row(title=f"课程{i}") for i in range(10_000)]))
    assert r.status_code == 422 and "每个文件最多 300 门课程" in r.get_data(as_text=True)
    assert course_count() == 0


def test_ten_thousand_rows_xlsx_refused_with_a_message(client, staff):
    r = upload(client, staff, xlsx_bytes(*[row(title=f"课程{i}") for i in range(10_000)]), "big.xlsx")
    assert r.status_code == 422 and "每个文件最多 300 门课程" in r.get_data(as_text=True)
    assert course_count() == 0


def test_xlsx_formulas_without_saved_results_are_named(client, staff):
    """openpyxl/scripts write formulas without a cached result: say which cells, and what to do."""
    r_ = row()
    r_[importer.COLUMNS.index(next(c for c in importer.COLUMNS if c[0] == "capacity"))] = "=20*2"
    r = upload(client, staff, xlsx_bytes(r_), "formulas.xlsx")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "公式" in html and "K2" in html
    assert course_count() == 0


def test_xlsx_zip_bomb_refused(client, staff):
    """A small .xlsx that would expand to hundreds of megabytes is refused before it is parsed."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/sharedStrings.xml", b"<sst>" + b"A" * (60 * 1024 * 1024) + b"</sst>")
    assert len(buf.getvalue()) < importer.MAX_UPLOAD_BYTES
    r = upload(client, staff, buf.getvalue(), "bomb.xlsx")
    assert r.status_code == 422 and "不是 Excel 工作簿" not in r.get_data(as_text=True)
    assert "过大" in r.get_data(as_text=True) or "超过" in r.get_data(as_text=True)


def test_a_large_valid_file_can_be_confirmed(client, staff):
    """The preview travels signed in the page: 300 rows with long descriptions still confirm."""
    import random

    rnd = random.Random(3)
    chars = "安全生产法律法规风险辨识应急处置人工智能数字经济质量管理工程建设职业道德心理健康知识产权科研"
    rows = []
    for i in range(300):
        desc = "".join(rnd.choice(chars) for _ in range(2000))
        rows.append(row(title=f"课程{i:03d}", sessions=f"{day(30 + i):%Y-%m-%d} 09:00-17:00", description=desc))
    r = upload(client, staff, csv_bytes(*rows))
    html = r.get_data(as_text=True)
    assert r.status_code == 200, re.findall(r'class="error">([^<]+)', html)[:3]
    r = client.post(f"/manage/bases/{staff.id}/courses/import/confirm", data={"payload": payload_of(html)})
    assert r.status_code == 302
    assert course_count() == 300
