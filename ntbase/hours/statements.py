"""学时证明: a learner's yearly statement — the year's counted entries and the verdict, with
its own code and an Ed25519 signature over a canonical payload (same scheme as the
certificates, so /verify can check it: code → Statement row → signing.verify)."""
from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from ntbase.accounts.models import User
from ntbase.bases.seal import draw_on_pdf
from ntbase.certificates import codes, signing
from ntbase.certificates.models import Certificate
from ntbase.hours import engine
from ntbase.hours.models import EntryState, LedgerEntry, Statement
from ntbase.hours.policy import FIRST_YEAR
from ntbase.hours.services import assess_learner_year, entry_activity
from ntbase.kernel import fonts
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.kernel.security import mask_name  # the platform's one masking: 张晓明 → 张**

KIND_ZH = {"course": "NTBase 课程", "conference": "学术会议", "training_class": "培训班、进修班、学术讲座",
           "talent_base_training": "市高层次人才培训基地培训", "online_course": "网络课程",
           "self_study": "自学", "transfer": "长三角地区学时", "adjustment": "特殊情况认定"}
KIND_EN = {"course": "NTBase course", "conference": "Academic conference",
           "training_class": "Training class / lecture", "talent_base_training": "High-level-talent training",
           "online_course": "Online course", "self_study": "Self-study", "transfer": "Yangtze River Delta hours",
           "adjustment": "Special case (Art. 17(7))"}
EXEMPTION_ZH = {"award": "科技进步奖", "book": "专著、译著", "degree": "学历、学位", "papers": "发表论文",
                "exam_passed": "资格考试合格", "public_round_certificate": "公需课合格证明"}
EXEMPTION_EN = {"award": "S&T progress award", "book": "Book", "degree": "Degree", "papers": "Papers",
                "exam_passed": "Exam passed", "public_round_certificate": "Public-course certificate"}



def _new_unique_code() -> str:
    while True:
        code = codes.new_code()
        taken = db.session.scalar(sa.select(Statement.id).where(Statement.code == code)) or \
            db.session.scalar(sa.select(Certificate.id).where(Certificate.code == code))
        if not taken:
            return code


def issue_statement(learner_id: int, year: int, *, at: datetime | None = None) -> Statement:
    """Sign the year as it stands now (accepted entries only). Each call is a new statement
    with its own code; earlier ones stay valid as records of their day."""
    at = (at or now()).replace(microsecond=0)
    learner = db.session.get(User, learner_id)
    if learner is None or learner.profile is None:
        raise DomainError(_("Only learners can have an hours statement."))
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise DomainError(_("Choose a year."), field="year") from None
    if not FIRST_YEAR <= year <= at.year:
        raise DomainError(_("Choose a year between 2011 and this year."), field="year")
    assessment = assess_learner_year(learner_id, year)
    entries = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.learner_id == learner_id, LedgerEntry.year == year,
        LedgerEntry.state == EntryState.ACCEPTED).order_by(LedgerEntry.end_date, LedgerEntry.id)).all()
    summary = []
    for e in entries:
        line = engine.describe_activity(entry_activity(e))
        summary.append({
            "title": e.title, "kind": e.kind, "category": e.category, "hours": str(engine.round1(line.hours)),
            "counted": line.counted, "end_date": e.end_date.isoformat() if e.end_date else None,
            "organizer": e.organizer,
        })
    code = _new_unique_code()
    profile = learner.profile
    payload = {
        "type": "hours_statement", "code": code, "holder": mask_name(profile.real_name),
        "holder_id": profile.id_number_masked, "year": year,
        "required_total": str(engine.round1(assessment.required_total)),
        "required_public": str(engine.round1(assessment.required_public)),
        "entries": summary, "exemptions": list(assessment.exemptions_applied),
        "counted_total": str(engine.round1(assessment.counted_total)),
        "public_hours": str(engine.round1(assessment.public_hours)),
        "total_met": assessment.total_met, "public_met": assessment.public_met,
        "complies": assessment.complies, "issued_at": at.isoformat(),
    }
    text, signature, kid = signing.sign(payload)
    st = Statement(code=code, learner_id=learner_id, year=year, holder_name_masked=payload["holder"],
                   holder_id_masked=profile.id_number_masked, holder_id_hash=profile.id_number_hash,
                   counted_total=engine.round1(assessment.counted_total),
                   public_hours=engine.round1(assessment.public_hours), complies=assessment.complies,
                   issued_at=at, key_id=kid, payload=text, signature=signature)
    db.session.add(st)
    db.session.flush()
    return st


def statement_data(st: Statement) -> dict:
    return json.loads(st.payload)


def is_authentic(st: Statement) -> bool:
    """The signature holds and the row says what the signed payload says."""
    if not signing.verify(st.payload, st.signature, st.key_id):
        return False
    data = statement_data(st)
    return (data.get("code") == st.code and data.get("year") == st.year
            and data.get("counted_total") == str(st.counted_total)
            and data.get("public_hours") == str(st.public_hours) and data.get("complies") == st.complies)


def can_view(st: Statement, user) -> bool:
    return bool(user.is_authenticated and (st.learner_id == user.id or user.is_office))


def _font(pdf) -> str:
    found = fonts.first_installed()
    if found is None:
        raise RuntimeError("no CJK font installed (fonts-noto-cjk or fonts-wqy-microhei)")
    path, index = found
    pdf.add_font("cjk", "", path, **({"collection_font_number": index} if path.endswith(".ttc") else {}))
    return "cjk"


def render_pdf(st: Statement, verify_url: str) -> bytes:
    """The statement as a PDF. Its labels are bilingual and fixed (an official document reads
    the same whatever the interface language); the data is the signed payload itself."""
    data = statement_data(st)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    font = _font(pdf)
    pdf.set_title(f"学时证明 {codes.display(st.code)}")
    pdf.set_font(font, size=18)
    pdf.cell(0, 11, "南通市专业技术人员继续教育学时证明", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=10)
    pdf.cell(0, 6, "Continuing-education hours statement, Nantong", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(font, size=11)
    verdict = "达标 complies" if data["complies"] else "未达标 does not comply"
    facts = [
        ("证明编号 Code", codes.display(st.code)),
        ("姓名 Name", data["holder"]),
        ("身份证号 ID number", data["holder_id"]),
        ("年度 Year", str(data["year"])),
        ("年度要求 Requirement", f"{data['required_total']} 学时 h，公需 public ≥ {data['required_public']}"),
        ("计入总学时 Counted total", f"{data['counted_total']} 学时 h"),
        ("公需科目学时 Public hours", f"{data['public_hours']} 学时 h"),
        ("结论 Verdict", verdict),
        ("出具时间 Issued", data["issued_at"].replace("T", " ")),
    ]
    for label, value in facts:
        pdf.set_font(font, size=10)
        pdf.cell(62, 7, label)
        pdf.set_font(font, size=11)
        pdf.cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    if data.get("exemptions"):
        pdf.cell(62, 7, "免修 Exemptions")
        pdf.cell(0, 7, "、".join(f"{EXEMPTION_ZH.get(k, k)} {EXEMPTION_EN.get(k, k)}" for k in data["exemptions"]),
                 new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(3)
    pdf.set_font(font, size=12)
    pdf.cell(0, 8, "计入的学习活动 Counted entries", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=9)
    with pdf.table(col_widths=(58, 40, 26, 22, 24), text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "LEFT"),
                   first_row_as_headings=True,
                   headings_style=FontFace(emphasis="", fill_color=(235, 238, 242))) as table:
        head = table.row()
        for h in ("名称 Title", "类型 Kind", "科目 Subject", "学时 Hours", "结束 End"):
            head.cell(h)
        for e in data["entries"]:
            row = table.row()
            row.cell(e["title"] + (f"（{e['organizer']}）" if e.get("organizer") else ""))
            row.cell(KIND_ZH.get(e["kind"], e["kind"]))
            row.cell(engine.ZH_CATEGORY.get(e["category"], e["category"]))
            row.cell(e["hours"] + ("" if e["counted"] else " 不计入"))
            row.cell(e["end_date"] or "")
        if not data["entries"]:
            table.row().cell("（无 none）")
    pdf.ln(5)
    pdf.set_font(font, size=9)
    pdf.multi_cell(0, 5, "公需科目计入总学时不超过应修总学时的 1/3，自学不超过 1/3（实施办法第十四条、第十七条）。"
                         "Public hours count toward the total up to 1/3 of the requirement, self-study up to 1/3.",
                   new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(2)
    pdf.multi_cell(0, 5, f"核验 Verify: {verify_url}  编号 code {codes.display(st.code)}",
                   new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.multi_cell(0, 5, f"签名 Ed25519 signature (key {st.key_id}): {st.signature}",
                   new_x="LMARGIN", new_y="NEXT", align="L")
    _issuer_with_seal(pdf, font, data["issued_at"][:10])
    return bytes(pdf.output())


ISSUER = "南通市专业技术人员继续教育平台 NTBase"


def _issuer_with_seal(pdf, font: str, date: str) -> None:
    """The issuer line, right-aligned, with the platform's seal over it (ntbase/bases/seal.py):
    a statement sums the year across every base, so it carries the platform's seal."""
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.ln(8)
    top = pdf.get_y()
    pdf.set_font(font, size=10)
    pdf.cell(0, 6, "出具单位 Issued by", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=13)
    pdf.cell(0, 8, ISSUER, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=10)
    pdf.cell(0, 6, date, align="R", new_x="LMARGIN", new_y="NEXT")
    draw_on_pdf(pdf, None, center_x=pdf.w - pdf.r_margin - 22, center_y=top + 11)
