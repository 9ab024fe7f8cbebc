"""Checking codes in bulk: one result per item, ``ceil(codes / lookup.CHUNK)`` statements.

The look-up is ``ntbase.verification.lookup``'s (one ``UNION ALL`` over certificates and
statements per chunk). Optional holder name / ID number are cross-checked (the ID by its
keyed hash, never stored in clear); what was typed is echoed only with ID numbers masked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ntbase.certificates import codes
from ntbase.kernel.enums import Category, LabeledEnum
from ntbase.kernel.formatting import format_hours
from ntbase.kernel.security import id_hash, mask_id_number, redact_ids
from ntbase.verification import lookup


class Result(LabeledEnum):
    VALID = "valid"
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    NAME_MISMATCH = "name_mismatch"
    ID_MISMATCH = "id_mismatch"
    MALFORMED = "malformed"

    @classmethod
    def _titles(cls):
        return {"valid": _l("Valid"), "revoked": _l("Revoked"), "unknown": _l("Unknown code"),
                "name_mismatch": _l("Name does not match"), "id_mismatch": _l("ID number does not match"),
                "malformed": _l("Malformed code")}


@dataclass
class Item:
    code: str
    name: str = ""
    id_number: str = ""


def category_title(value: str) -> str:
    """A subject category's title; "statement" for a yearly hours statement."""
    if value == "statement":
        return _("Yearly hours statement")
    try:
        return Category(value).title
    except ValueError:
        return value or ""


def _norm_name(name: str) -> str:
    return re.sub(r"\s+", "", name or "").casefold()


def check_items(items: list[Item]) -> list[dict]:
    """One result dict per item, in order: ``ceil(codes / lookup.CHUNK)`` SQL statements."""
    canon = [codes.parse(it.code) for it in items]
    found = lookup.lookup_codes([c for c in canon if c])
    return [_judge(item, code, found) for item, code in zip(items, canon, strict=True)]


def _judge(item: Item, code: str | None, found: dict[str, lookup.CodeRecord]) -> dict:
    out = {"result": "", "kind": "", "code": item.code, "holder": "", "course": "", "base": "",
           "category": "", "hours": "", "year": "", "note": ""}
    if not (item.code or "").strip():
        out.update(result=Result.MALFORMED.value, note=_("No code in this row."))
        return out
    if code is None:
        # what was typed is echoed (page, stored results): never a full ID number in clear
        out.update(code=redact_ids(item.code), result=Result.MALFORMED.value,
                   note=lookup.malformed_message(item.code))
        return out
    out["code"] = codes.display(code)
    record = found.get(code)
    if record is None:
        out.update(result=Result.UNKNOWN.value, note=_("No certificate or statement has this code."))
        return out
    r = record.result
    is_statement = r.kind == "statement"
    out.update(kind=r.kind, holder=f"{r.holder_name_masked} {record.holder_id_masked}".strip(),
               course=r.course_title or "", base=r.base_name or "",
               category="statement" if is_statement else (r.category or ""),
               hours=format_hours(r.counted_total if is_statement else r.hours), year=str(r.year or ""))
    notes = []
    result = Result.VALID
    if (item.id_number or "").strip() and id_hash(item.id_number) != record.holder_id_hash:
        result = Result.ID_MISMATCH
        notes.append(_("The ID number given (%(masked)s) is not the holder's.",
                       masked=mask_id_number(item.id_number)))
    if (item.name or "").strip() and _norm_name(item.name) != _norm_name(record.holder_name):
        if result == Result.VALID:
            result = Result.NAME_MISMATCH
        notes.append(_("The name given is not the holder's."))
    if r.state == "revoked":
        result = Result.REVOKED
        notes.insert(0, _("This certificate has been revoked."))
    out["result"] = result.value
    out["note"] = " ".join(notes)
    return out

