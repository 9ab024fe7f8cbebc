"""The one code look-up: certificates (培训合格证明) and yearly statements (学时证明) by code.

Used by the /verify page, the API and the office's bulk verification. Every code costs
the same work whether it exists or not: a code whose check character is wrong is answered
without touching the database; any well-formed code (or a chunk of up to ``CHUNK`` codes)
is one indexed ``UNION ALL`` over both tables, so timing tells nothing about which codes
exist. The statement is built once per process and executed at the Core level (rows, not
ORM objects).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from ntbase.accounts.models import LearnerProfile
from ntbase.certificates import codes, signing
from ntbase.certificates.models import Certificate
from ntbase.hours.models import Statement
from ntbase.kernel.db import read_rows
from ntbase.kernel.enums import Category

CHUNK = 1000  # codes per statement in bulk checks
CERT, STATEMENT, PROFILE = Certificate.__table__, Statement.__table__, LearnerProfile.__table__


@dataclass
class VerifyResult:
    """One uniform answer for /verify, the API and bulk checks. Every key is always
    present (None when it does not apply), so an unknown code looks like any other."""

    code: str | None
    state: str  # valid | revoked | unknown | malformed
    kind: str | None = None  # certificate | statement
    display_code: str | None = None
    holder_name_masked: str | None = None
    course_title: str | None = None
    base_name: str | None = None
    category: str | None = None
    hours: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    issued_at: str | None = None
    revoked_at: str | None = None
    year: int | None = None
    counted_total: str | None = None
    public_hours: str | None = None
    complies: bool | None = None
    problem: str | None = None  # malformed only: empty | length | characters | check

    @property
    def found(self) -> bool:
        return self.state in ("valid", "revoked")

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def category_title(self) -> str:
        try:
            return Category(self.category).title if self.category else ""
        except ValueError:
            return self.category or ""


@dataclass(frozen=True)
class CodeRecord:
    """A found code with what a cross-check needs (holder's name and ID hash): for the
    office's bulk checks only; never shown as such."""

    result: VerifyResult
    holder_name: str
    holder_id_masked: str
    holder_id_hash: str


def _hours_text(value) -> str | None:
    return None if value is None else f"{Decimal(value).quantize(Decimal('0.1')):f}"


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    return value.isoformat()


def _union(cert_where, statement_where):
    """Certificates and statements in one UNION ALL, with the same columns: a Core statement
    over the tables (no ORM entities), compiled once per process."""
    c, st, lp = CERT, STATEMENT, PROFILE
    n = sa.null
    cert = sa.select(
        sa.literal("certificate", sa.String(12)).label("kind"), c.c.code,
        sa.cast(c.c.state, sa.String(20)).label("state"), c.c.holder_name_masked,
        c.c.course_title, c.c.base_name, c.c.category, c.c.hours,
        c.c.start_date, c.c.end_date, c.c.issued_at, c.c.revoked_at,
        c.c.year, sa.cast(n(), sa.Numeric(6, 1)).label("counted_total"),
        sa.cast(n(), sa.Numeric(6, 1)).label("public_hours"), sa.cast(n(), sa.Boolean).label("complies"),
        c.c.holder_name, c.c.holder_id_masked, c.c.holder_id_hash,
    ).where(cert_where(c))
    stmt = sa.select(
        sa.literal("statement", sa.String(12)), st.c.code, sa.literal("valid", sa.String(20)),
        st.c.holder_name_masked, sa.cast(n(), sa.String(200)), sa.cast(n(), sa.String(100)),
        sa.cast(n(), sa.String(20)), sa.cast(n(), sa.Numeric(6, 1)), sa.cast(n(), sa.Date),
        sa.cast(n(), sa.Date), st.c.issued_at, sa.cast(n(), sa.DateTime), st.c.year,
        st.c.counted_total, st.c.public_hours, st.c.complies,
        sa.func.coalesce(lp.c.real_name, ""), st.c.holder_id_masked, st.c.holder_id_hash,
    ).select_from(st.outerjoin(lp, lp.c.user_id == st.c.learner_id)).where(statement_where(st))
    return sa.union_all(cert, stmt)


_ONE = None
_MANY = None


def _one_code_statement():
    global _ONE
    if _ONE is None:
        _ONE = _union(lambda t: t.c.code == sa.bindparam("code"), lambda t: t.c.code == sa.bindparam("code"))
    return _ONE


def _many_codes_statement():
    global _MANY
    if _MANY is None:
        _MANY = _union(lambda t: t.c.code.in_(sa.bindparam("codes", expanding=True)),
                       lambda t: t.c.code.in_(sa.bindparam("codes", expanding=True)))
    return _MANY


def _result(row) -> VerifyResult:
    if row.kind == "certificate":
        state = str(row.state)
        return VerifyResult(
            code=row.code, display_code=codes.display(row.code), state=state, kind="certificate",
            holder_name_masked=row.holder_name_masked, course_title=row.course_title, base_name=row.base_name,
            category=row.category, hours=_hours_text(row.hours), start_date=_iso(row.start_date),
            end_date=_iso(row.end_date), issued_at=_iso(row.issued_at), year=row.year,
            revoked_at=_iso(row.revoked_at) if state == "revoked" else None)
    return VerifyResult(
        code=row.code, display_code=codes.display(row.code), state="valid", kind="statement",
        holder_name_masked=row.holder_name_masked, year=row.year, counted_total=_hours_text(row.counted_total),
        public_hours=_hours_text(row.public_hours), complies=bool(row.complies), issued_at=_iso(row.issued_at))


def _pick(rows):
    # certificates win over statements when (impossibly) both hold one code
    return sorted(rows, key=lambda r: r.kind != "certificate")


def unknown_result(code: str) -> VerifyResult:
    return VerifyResult(code=code, display_code=codes.display(code), state="unknown")


def malformed_result(raw: str = "") -> VerifyResult:
    return VerifyResult(code=None, state="malformed", problem=codes.problem(raw) or "empty")


def malformed_message(raw: str) -> str:
    """What is wrong with a code that is not one, told apart (#15.10): a full-length code
    with one character mistyped fails its check character, not its length."""
    problem = codes.problem(raw)
    typed = codes.normalize(raw)
    if problem == "length":
        return _("A code has %(n)s letters and digits; this one has %(m)s. Check that none is missing or extra.",
                 n=codes.CODE_LEN, m=len(typed))
    if problem == "characters":
        bad = next(ch for ch in typed if ch not in codes.VALUES)
        return _("“%(ch)s” cannot be part of a code: codes use digits and the letters A–Z except U.", ch=bad)
    if problem == "check":
        return _("The check character does not match: the code was probably mistyped. Compare it with the "
                 "certificate character by character.")
    return _("Enter the code printed on the certificate.")


def verify_code(raw: str) -> VerifyResult:
    """Look a typed or scanned code up (see the module docstring for the timing rule)."""
    code = codes.parse(raw)
    if code is None:
        return malformed_result(raw)
    # Core rows, not ORM objects; a look-up that has touched nothing else reads on an autocommit
    # connection (no BEGIN and COMMIT), inside a transaction on it (kernel.db.read_rows)
    rows = read_rows(_one_code_statement(), {"code": code})
    return _result(_pick(rows)[0]) if rows else unknown_result(code)


def lookup_codes(canonical: list[str]) -> dict[str, CodeRecord]:
    """Found records for already-parsed codes, one statement per ``CHUNK`` codes."""
    found: dict[str, CodeRecord] = {}
    wanted = sorted(set(canonical))
    for i in range(0, len(wanted), CHUNK):
        rows = read_rows(_many_codes_statement(), {"codes": wanted[i:i + CHUNK]})
        for row in reversed(_pick(rows)):
            found[row.code] = CodeRecord(_result(row), row.holder_name or "", row.holder_id_masked or "",
                                         row.holder_id_hash or "")
    return found


def verify_codes_bulk(raw_codes: list[str]) -> dict[str, VerifyResult]:
    """Many codes at once, keyed by the string as given; malformed codes cost nothing."""
    parsed = {raw: codes.parse(raw) for raw in raw_codes}
    found = lookup_codes([c for c in parsed.values() if c])
    return {raw: (found[code].result if code in found else unknown_result(code)) if code else malformed_result(raw)
            for raw, code in parsed.items()}


# ---------------------------------------------------------------- signed QR data

@dataclass
class SignatureCheck:
    """Result of checking a QR's payload and signature: genuine or forged; for a genuine
    one also the certificate's current state on this server (it may have been revoked)."""

    signature: str  # genuine | forged
    payload: dict | None
    status: VerifyResult | None

    def as_dict(self) -> dict:
        return {"signature": self.signature, "payload": self.payload,
                "status": self.status.as_dict() if self.status else None}


def decode_qr_payload(payload_b64: str) -> str | None:
    try:
        return signing.unb64u(payload_b64 or "").decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def check_signature(payload_text: str | None, signature: str | None) -> SignatureCheck:
    """Is ``payload_text`` exactly what NTBase signed? Anything else is "forged"."""
    if not payload_text or not signature or not signing.verify(payload_text, signature):
        return SignatureCheck("forged", None, None)
    payload = json.loads(payload_text)
    return SignatureCheck("genuine", payload, verify_code(str(payload.get("code", ""))))


__all__ = ["VerifyResult", "CodeRecord", "verify_code", "verify_codes_bulk", "lookup_codes", "malformed_result", "malformed_message",
           "unknown_result", "check_signature", "decode_qr_payload", "SignatureCheck"]
