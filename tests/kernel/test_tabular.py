"""ntbase.kernel.tabular on its own: every CSV/XLSX case the importer, the bulk checks and
the exports rely on (encodings, line endings, limits, zip bombs, formulas, escaping)."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook

from ntbase.kernel import tabular
from ntbase.kernel.errors import DomainError
from ntbase.kernel.tabular import TableError, escape_cell, read_table, xml_safe

LIMITS = {"max_bytes": 1024 * 1024, "max_rows": 100, "max_unpacked": 5 * 1024 * 1024}
ROWS = [["课程名称", "名额"], ["安全生产培训", "40"], ["职业道德", "30"]]


@pytest.fixture(autouse=True)
def _ctx(app):
    """Messages are translated (the default locale is zh_CN)."""
    with app.test_request_context("/"):
        yield


def _csv(rows, encoding="utf-8", lineterminator="\r\n") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=lineterminator).writerows(rows)
    return buf.getvalue().encode(encoding)


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cells(table) -> list[list[str]]:
    return [cells for _n, cells in table.rows]


def _refused(filename, data, **kw) -> TableError:
    with pytest.raises(TableError) as exc:
        read_table(filename, data, **{**LIMITS, **kw})
    assert isinstance(exc.value, DomainError) and exc.value.field == "file"
    return exc.value


# ---------------------------------------------------------------- CSV
@pytest.mark.parametrize("data", [
    _csv(ROWS),
    b"\xef\xbb\xbf" + _csv(ROWS),                      # the BOM Excel writes
    _csv(ROWS, encoding="gbk"),                        # Excel on Chinese Windows: "CSV (comma delimited)"
    _csv(ROWS, encoding="gb18030"),
    _csv(ROWS, lineterminator="\r"),                   # old Mac line endings
    _csv(ROWS, lineterminator="\n"),
], ids=["utf8", "bom", "gbk", "gb18030", "mac", "unix"])
def test_csv_encodings_and_line_endings_read_the_same(data):
    table = read_table("courses.csv", data, **LIMITS)
    assert table.file_format == "csv"
    assert _cells(table) == ROWS
    assert [n for n, _c in table.rows] == [1, 2, 3]


def test_csv_quoted_line_breaks_blank_rows_and_spaces():
    data = 'a,b\r\n"第一行\n第二行", x \r\n,,\r\n\r\nc,,\r\n'.encode()
    table = read_table("a.csv", data, **LIMITS)
    # blank rows are left out but rows keep their number; cells stripped, trailing empties dropped
    assert table.rows == [(1, ["a", "b"]), (2, ["第一行\n第二行", "x"]), (5, ["c"])]


def test_only_the_delimiters_asked_for_are_guessed():
    data = "证书编号;姓名\r\nX;张三\r\n".encode()
    assert _cells(read_table("a.csv", data, **LIMITS, delimiters=",;\t")) == [["证书编号", "姓名"], ["X", "张三"]]
    # the course template's cells hold semicolons: a comma file is never re-guessed
    assert _cells(read_table("a.csv", data, **LIMITS)) == [["证书编号;姓名"], ["X;张三"]]
    tabbed = b"code\tname\r\nX\tY\r\n"
    assert _cells(read_table("a.csv", tabbed, **LIMITS, delimiters=",;\t")) == [["code", "name"], ["X", "Y"]]


def test_columns_beyond_the_limit_are_dropped():
    assert _cells(read_table("a.csv", _csv([list("abcdef")]), **LIMITS, max_columns=3)) == [["a", "b", "c"]]


def test_a_huge_cell_gets_a_message():
    err = _refused("a.csv", _csv([["描述"], ["安" * 200_000]]), max_bytes=2 * 1024 * 1024)
    assert err.problem == "cell_too_long" and "过长" in err.message


def test_binary_data_named_csv_is_not_text():
    assert _refused("a.csv", b"\x00\x01\x02 binary").problem == "not_csv"


# ---------------------------------------------------------------- limits and names
def test_size_limit():
    err = _refused("a.csv", b"x" * (2 * 1024 * 1024 + 1), max_bytes=2 * 1024 * 1024)
    assert err.problem == "too_large" and "2 MB" in err.message


def test_empty_file():
    assert _refused("a.csv", b"").problem == "empty"


def test_rows_limit_counts_a_header_and_max_rows_rows():
    exactly = _csv([["h"]] + [[str(i)] for i in range(1000)])
    assert len(read_table("a.csv", exactly, **{**LIMITS, "max_rows": 1000}).rows) == 1001
    over = _csv([["h"]] + [[str(i)] for i in range(1001)])
    err = _refused("a.csv", over, max_rows=1000)
    assert err.problem == "too_many_rows" and "1,000" in err.message
    err = _refused("a.xlsx", _xlsx([["h"]] + [[i] for i in range(1001)]), max_rows=1000)
    assert err.problem == "too_many_rows"


def test_a_million_rows_are_refused_at_the_first_row_over(monkeypatch):
    seen = []
    real_reader = csv.reader

    def counting_reader(*args, **kwargs):
        for row in real_reader(*args, **kwargs):
            seen.append(1)
            yield row

    monkeypatch.setattr(tabular.csv, "reader", counting_reader)
    data = ("code\n" + "ABCDEFGHJKMNPQR\n" * 1_000_000).encode()
    assert _refused("big.csv", data, max_bytes=20 * 1024 * 1024, max_rows=100).problem == "too_many_rows"
    assert len(seen) == 102


def test_callers_word_refusals_their_own_way():
    err = _refused("a.csv", _csv([["h"]] + [["x"]] * 4), max_rows=3,
                   messages={"too_many_rows": _l("At most %(n)s courses per file: split the file.")})
    assert err.message == "每个文件最多 3 门课程，请拆分文件。"


@pytest.mark.parametrize("name, problem", [("old.xls", "xls"), ("codes.pdf", "file_type"), ("codes", "file_type")])
def test_names_that_are_not_read(name, problem):
    assert _refused(name, _csv(ROWS)).problem == problem


def test_any_name_may_be_read_as_csv_and_a_zip_is_a_workbook_whatever_its_name():
    assert _cells(read_table("codes.txt", _csv(ROWS), **LIMITS, any_name_is_csv=True)) == ROWS
    table = read_table("saved-as.csv", _xlsx(ROWS), **LIMITS)
    assert table.file_format == "xlsx" and _cells(table) == ROWS


# ---------------------------------------------------------------- XLSX
def test_xlsx_cells_read_as_typed():
    data = _xlsx([["名额", "日期", "开始", "是否", "价格", None],
                  [40, datetime(2026, 9, 12), datetime(2026, 9, 12, 9, 30), True, 12.5, None],
                  [None, None, None, None, None, None],
                  ["  带空格  ", "", None, False, 3.0, None]])
    table = read_table("a.xlsx", data, **LIMITS)
    assert table.file_format == "xlsx"
    assert table.rows == [(1, ["名额", "日期", "开始", "是否", "价格"]),
                          (2, ["40", "2026-09-12", "2026-09-12 09:30", "TRUE", "12.5"]),
                          (4, ["带空格", "", "", "FALSE", "3"])]


@pytest.mark.parametrize("data", [b"%PDF-1.4 not a workbook", b"PK\x03\x04 broken zip", b"<html>x</html>"])
def test_not_a_workbook(data):
    err = _refused("a.xlsx", data)
    assert err.problem == "not_xlsx" and "不是 Excel 工作簿" in err.message


def test_zip_bomb_refused_before_openpyxl_opens_it(monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/sharedStrings.xml", b"<sst>" + b"A" * (6 * 1024 * 1024) + b"</sst>")
    assert len(buf.getvalue()) < 100_000

    def never(*_a, **_k):  # pragma: no cover - the point is that it is not reached
        raise AssertionError("openpyxl must not open a bomb")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    err = _refused("bomb.xlsx", buf.getvalue())
    assert err.problem == "unpacked_too_large" and "过大" in err.message


def _with_cached_result(data: bytes, cell: str, value: str) -> bytes:
    """``data`` with the result of ``cell``'s formula saved, as Excel and WPS save it."""
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                start = text.index(f'<c r="{cell}"')
                end = text.index("</c>", start)
                body = (text[:start] + text[start:end].replace("<v></v>", "").replace("<v />", "")
                        + f"<v>{value}</v>" + text[end:]).encode()
            dst.writestr(info, body)
    return out.getvalue()


def test_formulas_are_never_evaluated_only_saved_results_read():
    data = _with_cached_result(_xlsx([["名额"], ["=20*2"]]), "A2", "40")
    assert _cells(read_table("a.xlsx", data, **LIMITS)) == [["名额"], ["40"]]


def test_formulas_without_saved_results_are_named():
    data = _xlsx([["课程名称", "名额", "价格"], ["培训", "=20*2", 100], ["培训二", 30, "=A1"]])
    err = _refused("formulas.xlsx", data)
    assert err.problem == "formulas_without_results"
    assert "B2" in err.message and "C3" in err.message and "公式" in err.message
    # a caller whose files are too large to read twice: the cells read as empty
    table = read_table("formulas.xlsx", data, **LIMITS, formulas_need_results=False)
    assert _cells(table) == [["课程名称", "名额", "价格"], ["培训", "", "100"], ["培训二", "30"]]


# ---------------------------------------------------------------- files made from a template
TEMPLATE = [("title", "课程名称", True), ("capacity", "名额", True), ("room", "教室", False)]


def _template_key(text: str) -> str | None:
    return next((key for key, title, _req in TEMPLATE if text == title), None)


def _template_rows(rows, **kw):
    return tabular.read_template("a.csv", _csv(rows), columns=TEMPLATE, header_key=_template_key,
                                 **{**LIMITS, **kw})


def _template_refused(rows, **kw) -> TableError:
    with pytest.raises(TableError) as exc:
        _template_rows(rows, **kw)
    return exc.value


def test_template_rows_by_column_key_blank_rows_and_unknown_columns_left_out():
    rows = [["名额", "备注", "课程名称"], ["40", "x", "安全生产培训"], ["", "only a note", ""], ["30", "", "职业道德"]]
    assert _template_rows(rows) == [(2, {"capacity": "40", "title": "安全生产培训"}),
                                    (4, {"capacity": "30", "title": "职业道德"})]
    # a short row: the missing cells read as blank
    assert _template_rows([["课程名称", "名额", "教室"], ["培训"]]) == [(2, {"title": "培训", "capacity": "",
                                                                         "room": ""})]


def test_template_refusals_and_the_callers_words():
    assert _template_refused([["", ""], [" "]]).problem == "empty"  # only blank cells: no rows at all
    err = _template_refused([["教室", "备注"], ["A101", "x"]])
    assert err.problem == "missing_columns" and "课程名称、名额" in err.message
    assert "课程名称 / 名额" in _template_refused([["教室"], ["A101"]], join=" / ".join).message
    err = _template_refused([["课程名称", "名额"], ["", ""]])
    assert err.problem == "no_rows" and err.message == "文件的标题行下没有数据。"
    mine = {"no_rows": _l("The file has no course rows under the column titles.")}
    assert _template_refused([["课程名称", "名额"]], messages=mine).message == "文件的标题行下没有课程数据。"
    # read_table's own refusals pass through, in the caller's words too
    mine = {"too_many_rows": _l("At most %(n)s courses per file: split the file.")}
    err = _template_refused([["课程名称", "名额"], ["a", "1"], ["b", "2"]], max_rows=1, messages=mine)
    assert err.problem == "too_many_rows" and "1" in err.message


# ---------------------------------------------------------------- writing
@pytest.mark.parametrize("bad", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "\n=1+1",
                                 "＝1+1", "＋1", "－1", "＠SUM(A1)"])
def test_formula_starts_are_escaped_including_full_width_signs(bad):
    assert escape_cell(bad) == "'" + bad
    assert escape_cell(escape_cell(bad)) == "'" + bad  # escaping twice changes nothing


def test_other_cells_stay_as_they_are():
    assert [escape_cell(v) for v in ("7KQ2M-XH4PA", "正常", "", None, 5, -5, Decimal("-1.50"))] == \
        ["7KQ2M-XH4PA", "正常", "", "", 5, -5, Decimal("-1.50")]
    assert xml_safe("a\x01b\x0bc\td\ne") == "abc\td\ne"


def test_csv_has_a_bom_and_escaped_cells():
    data = tabular.to_csv(["姓名", "=备注"], [["=HYPERLINK(\"http://x\")", Decimal("200.00")], ["张三", None]])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["姓名", "'=备注"], ["'=HYPERLINK(\"http://x\")", "200.00"], ["张三", ""]]


def test_xlsx_has_no_formula_and_survives_control_characters():
    data = tabular.to_xlsx(["姓名", "金额"], [["=1+1", Decimal("12.50")], ["a\x01b", 3], ["＠x", None]],
                           sheet="名单: 2026/[1]")
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws.title == "名单 20261" and ws.freeze_panes == "A2"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert [[c.value for c in row] for row in ws.iter_rows()] == \
        [["姓名", "金额"], ["'=1+1", 12.5], ["ab", 3], ["'＠x", None]]


def test_download_names_cannot_break_the_header():
    resp = tabular.download(["a"], [["1"]], "csv", 'a"; x=1\r\nX-Evil: 1 核验.csv')
    disposition = resp.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "X-Evil" not in resp.headers
    assert disposition.startswith('attachment; filename="') and disposition.count('"') == 2
    assert "filename*=UTF-8''" in disposition and resp.headers["Cache-Control"] == "no-store"
    assert resp.mimetype == "text/csv"
    xlsx = tabular.download(["a"], [["1"]], "xlsx", "名单.xlsx")
    assert xlsx.mimetype == tabular.XLSX_TYPE and 'filename="export.xlsx"' in xlsx.headers["Content-Disposition"]
