"""Bulk verification: reading CSV/XLSX, one query per 1,000 codes, results per row,
malformed rows with their row number, escaping, limits."""
import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from ntbase.certificates import codes
from ntbase.certificates.models import CertificateState
from ntbase.kernel.audit import AuditLog
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.kernel.security import mask_id_number
from ntbase.kernel.tabular import escape_cell
from ntbase.office import bulk
from ntbase.office.bulk import services as bulk_services
from ntbase.office.bulk.models import BulkChunk, BulkJob
from tests.factories import make_learner
from tests.office.helpers import make_certificate, make_statement


@pytest.fixture()
def certs(app_ctx, learner, base_a):
    valid = make_certificate(learner, base_a)
    revoked = make_certificate(learner, base_a, state=CertificateState.REVOKED)
    statement = make_statement(learner)
    db.session.commit()
    return {"valid": valid, "revoked": revoked, "statement": statement}


def _csv(rows) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8")


def _unknown() -> str:
    return codes.new_code()


def test_escape_cell():
    for bad in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"):
        assert escape_cell(bad) == "'" + bad
    assert escape_cell("7KQ2M-XH4PA") == "7KQ2M-XH4PA"
    assert escape_cell(None) == ""


def test_check_items_results(certs, learner):
    v, r, s = certs["valid"], certs["revoked"], certs["statement"]
    items = [bulk.Item(codes.display(v.code)), bulk.Item(r.code.lower()), bulk.Item(s.code),
             bulk.Item(_unknown()), bulk.Item("NOT-A-CODE"), bulk.Item(""),
             bulk.Item(v.code, name="李四"), bulk.Item(v.code, name=learner.profile.real_name),
             bulk.Item(v.code, id_number="110101199003074514"),
             bulk.Item(v.code, id_number=learner.profile.id_number)]
    res = [x["result"] for x in bulk.check_items(items)]
    assert res == ["valid", "revoked", "valid", "unknown", "malformed", "malformed", "name_mismatch",
                   "valid", "id_mismatch", "valid"]
    out = bulk.check_items([bulk.Item(v.code)])[0]
    assert out["holder"] == f"{v.holder_name_masked} {v.holder_id_masked}"
    assert learner.profile.real_name not in out["holder"]
    assert out["kind"] == "certificate" and out["hours"] == "12" and out["year"] == "2021"
    assert bulk.check_items([bulk.Item(s.code)])[0]["kind"] == "statement"


def test_ten_thousand_rows_one_statement_per_thousand(certs, count_queries):
    v = certs["valid"].code
    items = [bulk.Item(v if i % 3 == 0 else _unknown()) for i in range(10_000)]
    with count_queries() as q:
        results = bulk.check_items(items)
    assert len(results) == 10_000
    # one look-up per thousand distinct codes (repeated codes are looked up once)
    assert q.count == -(-len({it.code for it in items}) // 1000) == 7
    assert sum(r["result"] == "valid" for r in results) == 3334


def test_read_table_finds_columns():
    data = _csv([["序号", "姓名", "身份证号", "证书编号"], ["1", "张三", "320602199001011234", "AAAAA"]])
    t = bulk.read_table("a.csv", data)
    assert (t.code_col, t.name_col, t.id_col) == (3, 1, 2)
    assert t.header[3] == "证书编号" and t.rows[0][0] == 2


def test_read_table_without_header(certs):
    data = _csv([[certs["valid"].code], [certs["revoked"].code]])
    t = bulk.read_table("codes.csv", data)
    assert t.header is None and t.code_col == 0 and len(t.rows) == 2


def test_read_gb18030_csv():
    data = "证书编号,姓名\r\nX,张三\r\n".encode("gb18030")
    t = bulk.read_table("a.csv", data)
    assert t.header == ["证书编号", "姓名"] and t.name_col == 1


def test_no_code_column_is_refused():
    with pytest.raises(DomainError) as exc:
        bulk.read_table("a.csv", _csv([["a", "b"], ["1", "2"]]))
    assert exc.value.field == "file"


def test_million_rows_refused_without_reading_them_all(app_ctx):
    data = ("证书编号\n" + "ABCDEFGHJKMNPQR\n" * 1_000_000).encode()
    assert len(data) < bulk_services.MAX_BYTES
    with pytest.raises(DomainError) as exc:
        bulk.read_table("big.csv", data)
    assert "100,000" in exc.value.message


def test_exactly_the_limit_is_accepted(app_ctx, monkeypatch):
    monkeypatch.setattr(bulk_services, "MAX_ROWS", 5)
    assert len(bulk.read_table("a.csv", _csv([["code"]] + [["X"]] * 5)).rows) == 5
    with pytest.raises(DomainError):
        bulk.read_table("a.csv", _csv([["code"]] + [["X"]] * 6))
    with pytest.raises(DomainError):
        bulk.read_table("a.csv", _csv([[codes.new_code()] for _ in range(6)]))


def _upload(client, data: bytes, name: str, **headers):
    return client.post("/office/verify", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers=headers)


def test_upload_csv_and_download_results(client, login, office, certs, learner):
    login(office)
    v, r = certs["valid"], certs["revoked"]
    unknown = _unknown()
    data = _csv([["证书编号", "姓名", "备注"],
                 [codes.display(v.code), learner.profile.real_name, "=HYPERLINK(\"http://evil\")"],
                 [r.code, "", "+1"], [unknown, "", "@SUM(1)"], ["12345", "", "-1"], ["", "王五", ""]])
    resp = _upload(client, data, "核验.csv")
    assert resp.status_code == 302
    job_url = resp.headers["Location"]
    html = client.get(job_url).get_data(as_text=True)
    assert "12345" in html  # the malformed rows are listed with their row number
    job = db.session.scalar(sa.select(BulkJob))
    assert job.done and job.row_count == 5
    assert "张晓明" not in job.rows_enc  # rows are stored encrypted
    out = client.get(job_url + "/download")
    assert out.status_code == 200 and out.mimetype == "text/csv"
    assert "attachment" in out.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(out.get_data().decode("utf-8-sig"))))
    assert len(rows) == 6
    assert rows[0][:3] == ["证书编号", "姓名", "备注"] and "结果" in rows[0]
    result_col = rows[0].index("结果")
    assert [row[result_col] for row in rows[1:]] == ["有效", "已撤销", "编号不存在", "编号格式错误", "编号格式错误"]
    # formula cells come back escaped, whatever their column
    assert rows[1][2] == "'=HYPERLINK(\"http://evil\")"
    assert rows[2][2] == "'+1" and rows[3][2] == "'@SUM(1)" and rows[4][2] == "'-1"
    assert all(not c.startswith(("=", "+", "-", "@")) for row in rows for c in row)
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"bulk.upload", "bulk.download"} <= actions


def test_upload_xlsx_formula_never_evaluated_and_escaped(client, login, office, certs):
    login(office)
    wb = Workbook()
    ws = wb.active
    ws.append(["code", "name"])
    ws.append([certs["valid"].code, "=1+1"])
    ws.append(["=CONCAT(\"A\",\"B\")", "x"])
    buf = io.BytesIO()
    wb.save(buf)
    resp = _upload(client, buf.getvalue(), "codes.xlsx")
    assert resp.status_code == 302
    out = client.get(resp.headers["Location"] + "/download")
    assert out.mimetype == bulk_mimetype()
    book = load_workbook(io.BytesIO(out.get_data()))
    sheet = book.worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    # openpyxl wrote no formula (never evaluated: the file had no cached value, so the cell is empty)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert values[1][2] == "有效"
    assert values[2][2] == "编号格式错误"
    csv_out = client.get(resp.headers["Location"] + "/download?format=csv").get_data().decode("utf-8-sig")
    assert "=1+1" not in csv_out.replace("'=1+1", "")


def bulk_mimetype():
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_chunked_steps_over_json(client, login, office, certs, monkeypatch):
    monkeypatch.setattr(bulk_services, "STEP_ROWS", 2)
    login(office)
    data = _csv([["code"]] + [[certs["valid"].code]] * 5)
    resp = _upload(client, data, "a.csv", Accept="application/json", **{"X-Requested-With": "fetch"})
    assert resp.status_code == 200
    info = resp.get_json()
    assert info["rows"] == 5 and info["processed"] == 0
    seen = []
    while True:
        step = client.post(info["step_url"], headers={"Accept": "application/json"}).get_json()
        seen.append(step["processed"])
        if step["done"]:
            break
    assert seen == [2, 4, 5]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BulkChunk)) == 3
    # a repeated step after the end changes nothing
    assert client.post(info["step_url"]).get_json()["processed"] == 5
    html = client.get(info["result_url"]).get_data(as_text=True)
    assert 'data-result="valid">5<' in html


def test_concurrent_step_cannot_process_rows_twice(app_ctx, office, certs):
    job = bulk.create_job(office, "a.csv", _csv([["code"], [certs["valid"].code]]))
    db.session.commit()
    stale_start = job.processed
    bulk.run_step(job)
    db.session.commit()
    # a second server still thinking processed == 0 is refused by the conditional UPDATE
    claimed = db.session.execute(sa.update(BulkJob).where(BulkJob.id == job.id, BulkJob.processed == stale_start)
                                 .values(processed=1)).rowcount
    assert claimed == 0
    assert len(bulk.job_results(job)) == 1


def test_job_of_another_officer_is_404(client, login, office, certs):
    from ntbase.kernel.enums import Role
    from tests.factories import make_user

    other = make_user(Role.OFFICE)
    job = bulk.create_job(other, "a.csv", _csv([["code"], [certs["valid"].code]]))
    db.session.commit()
    login(office)
    assert client.get(f"/office/verify/{job.id}").status_code == 404
    assert client.get(f"/office/verify/{job.id}/download").status_code == 404
    assert client.post(f"/office/verify/{job.id}/step").status_code == 404


def test_hundred_megabytes_refused_with_413(client, login, office):
    login(office)
    big = b"0" * (100 * 1024 * 1024)
    resp = _upload(client, big, "huge.csv")
    assert resp.status_code == 413
    assert "过大" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BulkJob)) == 0


def test_million_row_upload_refused_clearly(client, login, office):
    login(office)
    data = ("证书编号\n" + "ABCDEFGHJKMNPQR\n" * 1_000_000).encode()
    resp = _upload(client, data, "million.csv")
    assert resp.status_code == 422
    assert "100,000" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BulkJob)) == 0


def test_not_a_spreadsheet_refused(client, login, office):
    login(office)
    resp = _upload(client, b"PK\x03\x04garbage", "x.xlsx")
    assert resp.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BulkJob)) == 0


def test_purge_removes_old_jobs(app_ctx, office, certs):
    from datetime import timedelta

    from ntbase.kernel.db import now

    fresh = bulk.create_job(office, "b.csv", _csv([["code"], [certs["valid"].code]]), at=now() - timedelta(hours=23))
    job = bulk.create_job(office, "a.csv", _csv([["code"], [certs["valid"].code]]), at=now() - timedelta(days=2))
    bulk.run_all(job)
    db.session.commit()
    assert bulk.purge_jobs() == 1
    db.session.commit()
    assert db.session.get(BulkJob, fresh.id) is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BulkChunk)) == 0


def test_cross_check_by_id_number_column(client, login, office, certs, learner):
    other = make_learner(real_name="李四")
    db.session.commit()
    login(office)
    data = _csv([["证书编号", "身份证号"], [certs["valid"].code, learner.profile.id_number],
                 [certs["valid"].code, other.profile.id_number]])
    resp = _upload(client, data, "a.csv")
    job = db.session.get(BulkJob, int(resp.headers["Location"].rsplit("/", 1)[1]))
    assert [r["result"] for r in bulk.job_results(job)] == ["valid", "id_mismatch"]


def test_ten_thousand_row_file_end_to_end(client, login, office, certs, count_queries):
    """Upload, check and download a 10,000-row file: one result per row, and the number of
    SQL statements grows with the chunks (10 look-ups), never with the rows."""
    login(office)
    v, r = certs["valid"].code, certs["revoked"].code
    rows = [["证书编号"]] + [[v if i % 2 else r] for i in range(9_990)] + [["bad-code"]] * 10
    data = _csv(rows)
    with count_queries() as q:
        resp = _upload(client, data, "big.csv")
        out = client.get(resp.headers["Location"] + "/download")
    assert resp.status_code == 302 and out.status_code == 200
    lookups = [s for s in q.statements if "UNION ALL" in s]
    # one look-up per step of 5,000 rows: each step holds two distinct codes
    assert len(lookups) == 2
    assert q.count < 40
    results = list(csv.reader(io.StringIO(out.get_data().decode("utf-8-sig"))))
    assert len(results) == 10_001
    col = results[0].index("结果")
    assert sum(row[col] == "有效" for row in results[1:]) == 4_995
    assert sum(row[col] == "已撤销" for row in results[1:]) == 4_995
    assert sum(row[col] == "编号格式错误" for row in results[1:]) == 10


# ---------------------------------------------------------------- review fixes: privacy and escaping
def test_official_id_header_is_cross_checked_and_masked_in_the_result(client, login, office, certs, learner):
    """“公民身份号码” (the ID card's own wording) is the ID column: cross-checked, and the full
    numbers never come back in the downloaded file."""
    other = make_learner(real_name="李四")
    db.session.commit()
    login(office)
    mine, theirs = learner.profile.id_number, other.profile.id_number
    data = _csv([["公民身份号码", "证书编号"], [mine, certs["valid"].code], [theirs, certs["valid"].code]])
    resp = _upload(client, data, "a.csv")
    job = db.session.get(BulkJob, int(resp.headers["Location"].rsplit("/", 1)[1]))
    assert job.columns["id"] == 0
    assert [r["result"] for r in bulk.job_results(job)] == ["valid", "id_mismatch"]
    for fmt in ("csv", "xlsx"):
        out = client.get(resp.headers["Location"] + f"/download?format={fmt}").get_data()
        text = out.decode("utf-8-sig") if fmt == "csv" else " ".join(
            str(c.value) for row in load_workbook(io.BytesIO(out)).worksheets[0].iter_rows() for c in row)
        assert mine not in text and theirs not in text, fmt
        assert mask_id_number(mine) in text


def test_id_numbers_anywhere_in_the_file_never_come_back_in_clear(client, login, office, certs, learner):
    idn = learner.profile.id_number
    login(office)
    data = _csv([["证书编号", "备注"], [certs["valid"].code, f"本人 {idn}"], [idn, ""]])
    resp = _upload(client, data, f"{idn}.csv")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert idn not in page and mask_id_number(idn) in page  # the malformed "code" row
    job = db.session.scalar(sa.select(BulkJob))
    assert idn not in job.filename and idn not in str(bulk.job_results(job))  # stored results
    out = client.get(resp.headers["Location"] + "/download").get_data().decode("utf-8-sig")
    assert idn not in out
    assert idn not in " ".join(db.session.scalars(sa.select(AuditLog.detail)))


@pytest.mark.parametrize("bad", ["＝1+1", "＋1", "－1", "＠SUM(A1)", "\n=1+1"])
def test_full_width_and_newline_formula_starts_are_escaped(bad):
    assert escape_cell(bad) == "'" + bad


def test_xlsx_export_has_no_formula_and_survives_control_characters(client, login, office, certs):
    login(office)
    data = _csv([["证书编号", "备注", "其他"], [certs["valid"].code, "=1+1", "a\x01b"],
                 [certs["revoked"].code, "@x", "-2"]])
    resp = _upload(client, data, "a.csv")
    out = client.get(resp.headers["Location"] + "/download?format=xlsx")
    assert out.status_code == 200
    sheet = load_workbook(io.BytesIO(out.get_data())).worksheets[0]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][1] == "'=1+1" and values[1][2] == "ab" and values[2][1] == "'@x" and values[2][2] == "'-2"


def test_zip_bomb_workbook_is_refused_before_openpyxl_reads_it(app_ctx, monkeypatch):
    wb = Workbook()
    wb.active.append(["code"])
    for i in range(10):
        wb.active.append([str(i) * 30_000])  # 300 KB of shared strings compress to almost nothing
    buf = io.BytesIO()
    wb.save(buf)
    assert len(buf.getvalue()) < 50_000
    monkeypatch.setattr(bulk_services, "MAX_XLSX_UNPACKED", 200_000)

    def never(*_a, **_k):  # pragma: no cover - the point is that it is not reached
        raise AssertionError("openpyxl must not open a bomb")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    with pytest.raises(DomainError) as exc:
        bulk.read_table("bomb.xlsx", buf.getvalue())
    assert exc.value.field == "file" and "CSV" in exc.value.message


def test_a_new_upload_purges_expired_jobs(app_ctx, office, certs):
    from datetime import timedelta

    from ntbase.kernel.db import now

    old = bulk.create_job(office, "old.csv", _csv([["code"], [certs["valid"].code]]), at=now() - timedelta(days=2))
    bulk.run_all(old)
    db.session.commit()
    bulk.create_job(office, "new.csv", _csv([["code"], [certs["valid"].code]]))
    db.session.commit()
    assert db.session.scalars(sa.select(BulkJob.filename)).all() == ["new.csv"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BulkChunk)) == 0


def test_download_name_from_a_hostile_file_name_is_safe(client, login, office, certs):
    login(office)
    job = bulk.create_job(office, 'a"; x=1\r\nX-Evil: 1.csv', _csv([["code"], [certs["valid"].code]]))
    bulk.run_all(job)
    db.session.commit()
    out = client.get(f"/office/verify/{job.id}/download")
    assert out.status_code == 200
    disposition = out.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "X-Evil" not in out.headers
    assert disposition.startswith("attachment; filename=\"") and disposition.count('"') == 2
