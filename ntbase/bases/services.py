"""Bases: certification, and the Art. 22 disclosure (scope & times, fees, people, places).

Every save of the disclosure writes a new immutable ``DisclosureVersion`` (a JSON snapshot
of all four parts, its time and author): learners may have enrolled under older terms, and
a published course keeps pointing to the version in force when it was published.
Services flush only; the request commits.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, defer, selectinload

from ntbase.bases.events import TeacherRenamed
from ntbase.bases.models import (
    BaseStatusEvent,
    DisclosureVersion,
    FeeItem,
    Location,
    Manager,
    Room,
    Teacher,
    TrainingBase,
)
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Category, CertificationStatus, TitleLevel
from ntbase.kernel.errors import DomainError
from ntbase.kernel.events import publish

# The four parts of an Art. 22 disclosure, in the order the law lists them.
DISCLOSURE_PARTS = {
    "scope": _l("Scope and times of training"),
    "fees": _l("Fee items and standards"),
    "people": _l("Teachers and managers"),
    "locations": _l("Teaching locations and facilities"),
}


def list_public_bases() -> list[TrainingBase]:
    """Certified bases, for learners (suspended/revoked ones are not listed)."""
    return db.session.scalars(
        sa.select(TrainingBase).where(TrainingBase.status == CertificationStatus.CERTIFIED)
        .order_by(TrainingBase.id)
    ).all()


def list_all_bases() -> list[TrainingBase]:
    return db.session.scalars(sa.select(TrainingBase).order_by(TrainingBase.id)).all()


def get_base_or_404(base_id: int) -> TrainingBase:
    base = db.session.get(TrainingBase, base_id)
    if base is None:
        abort(404)
    return base


def change_base_status(base: TrainingBase, status: CertificationStatus, reason: str,
                       actor_id: int | None) -> BaseStatusEvent:
    """Certify / suspend / revoke (Art. 24/26). A reason is required except to certify."""
    reason = (reason or "").strip()
    if status != CertificationStatus.CERTIFIED and not reason:
        raise DomainError(_("Give a reason for suspending or revoking a base."), field="reason")
    event = BaseStatusEvent(base_id=base.id, from_state=base.status.value, to_state=status.value,
                            reason=reason, actor_id=actor_id)
    base.status = status
    base.status_reason = reason
    base.status_changed_at = now()
    db.session.add(event)
    db.session.flush()
    return event


# ---------------------------------------------------------------- money
def parse_yuan(raw, field: str = "amount") -> int:
    """'200', '¥1,200.50' -> fen (int). Negative amounts and fractions of a fen are refused."""
    text = str(raw if raw is not None else "").strip().replace("¥", "").replace("￥", "").replace(",", "")
    text = text.replace("元", "").strip()
    if not text:
        raise DomainError(_("Enter an amount in yuan, e.g. 200 or 200.50."), field=field)
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise DomainError(_("Enter an amount in yuan, e.g. 200 or 200.50."), field=field) from exc
    if not value.is_finite():
        raise DomainError(_("Enter an amount in yuan, e.g. 200 or 200.50."), field=field)
    if value < 0:
        raise DomainError(_("An amount cannot be negative."), field=field)
    fen = value * 100
    if fen != fen.to_integral_value():
        raise DomainError(_("Amounts have at most two decimal places (fen)."), field=field)
    if fen > 100_000_000:  # ¥1,000,000: no training fee is anywhere near
        raise DomainError(_("This amount is too large."), field=field)
    return int(fen)


def fen_to_yuan_text(fen: int) -> str:
    """Plain '200.00' (for form fields and files, no currency sign)."""
    return f"{fen // 100}.{fen % 100:02d}"


# ---------------------------------------------------------------- disclosure: reading
def active_fee_items(base_id: int) -> list[FeeItem]:
    return db.session.scalars(sa.select(FeeItem).where(FeeItem.base_id == base_id, FeeItem.active)
                              .order_by(FeeItem.id)).all()


def active_teachers(base_id: int) -> list[Teacher]:
    return db.session.scalars(sa.select(Teacher).where(Teacher.base_id == base_id, Teacher.active)
                              .order_by(Teacher.id)).all()


def active_rooms(base_id: int) -> list[Room]:
    """Rooms of active locations, with their location loaded (one statement)."""
    return db.session.scalars(
        sa.select(Room).join(Location).where(Location.base_id == base_id, Location.active, Room.active)
        .options(contains_eager(Room.location)).order_by(Location.id, Room.id)
    ).all()


def load_disclosure(base_id: int) -> TrainingBase:
    """The base with every disclosure collection loaded in a fixed number of statements."""
    base = db.session.scalar(
        sa.select(TrainingBase).where(TrainingBase.id == base_id).options(
            selectinload(TrainingBase.fee_items), selectinload(TrainingBase.teachers),
            selectinload(TrainingBase.managers),
            selectinload(TrainingBase.locations).selectinload(Location.rooms))
        .execution_options(populate_existing=True)
    )
    if base is None:
        abort(404)
    return base


def disclosure_missing_keys(base: TrainingBase) -> list[str]:
    """Keys of the Art. 22 parts that are not filled in yet (empty list = complete)."""
    missing = []
    if not base.scope_subjects or not base.staff_levels or not (base.scope_text or "").strip() \
            or not (base.terms_text or "").strip():
        missing.append("scope")
    if not any(f.active for f in base.fee_items) or not (base.refund_policy or "").strip():
        missing.append("fees")
    if not any(t.active for t in base.teachers) or not any(m.active for m in base.managers):
        missing.append("people")
    locations = [loc for loc in base.locations if loc.active]
    if not any(any(r.active for r in loc.rooms) for loc in locations) \
            or not any((loc.facilities or "").strip() for loc in locations):
        missing.append("locations")
    return missing


def disclosure_missing_parts(base: TrainingBase) -> list[str]:
    """Translated names of the Art. 22 parts still missing (empty list = complete)."""
    return [str(DISCLOSURE_PARTS[k]) for k in disclosure_missing_keys(base)]


def join_list(items) -> str:
    """'a, b, c' in English, 'a、b、c' in Chinese."""
    return _(", ").join(str(i) for i in items)


def disclosure_incomplete_message(base: TrainingBase) -> str | None:
    parts = disclosure_missing_parts(base)
    if not parts:
        return None
    return _("The Art. 22 disclosure is incomplete. Missing: %(parts)s.", parts=join_list(parts))


def current_disclosure(base_id: int) -> DisclosureVersion | None:
    return db.session.scalar(sa.select(DisclosureVersion).where(DisclosureVersion.base_id == base_id)
                             .order_by(DisclosureVersion.version.desc()).limit(1))


def disclosure_history(base_id: int) -> list[DisclosureVersion]:
    """Versions newest first, without their (large) snapshots."""
    return db.session.scalars(
        sa.select(DisclosureVersion).where(DisclosureVersion.base_id == base_id)
        .options(defer(DisclosureVersion.snapshot))
        .order_by(DisclosureVersion.version.desc())
    ).all()


def get_disclosure_version(base_id: int, version: int) -> DisclosureVersion:
    dv = db.session.scalar(sa.select(DisclosureVersion).where(
        DisclosureVersion.base_id == base_id, DisclosureVersion.version == version))
    if dv is None:
        abort(404)
    return dv


def snapshot_of(base: TrainingBase) -> dict:
    """The four parts as plain JSON (active rows only): what a learner saw at the time."""
    return {
        "scope": {
            "subjects": list(base.scope_subjects or []),
            "staff_levels": list(base.staff_levels or []),
            "scope_text": base.scope_text or "",
            "terms_text": base.terms_text or "",
        },
        "fees": {
            "items": [{"id": f.id, "name": f.name, "amount_fen": f.amount_fen, "unit": f.unit,
                       "covers": f.covers} for f in base.fee_items if f.active],
            "refund_policy": base.refund_policy or "",
        },
        "people": {
            "teachers": [{"id": t.id, "name": t.name, "title": t.title, "organisation": t.organisation,
                          "subjects": t.subjects, "bio": t.bio} for t in base.teachers if t.active],
            "managers": [{"id": m.id, "name": m.name, "duty": m.duty, "contact": m.contact}
                         for m in base.managers if m.active],
        },
        "locations": [
            {"id": loc.id, "name": loc.name, "address": loc.address, "facilities": loc.facilities,
             "rooms": [{"id": r.id, "name": r.name, "seats": r.seats} for r in loc.rooms if r.active]}
            for loc in base.locations if loc.active
        ],
    }


# ---------------------------------------------------------------- disclosure: writing
def record_disclosure_version(base: TrainingBase, actor_id: int | None, note: str = "") -> DisclosureVersion:
    """Append a new immutable snapshot of the whole disclosure."""
    db.session.flush()
    base = load_disclosure(base.id)
    last = db.session.scalar(sa.select(sa.func.max(DisclosureVersion.version))
                             .where(DisclosureVersion.base_id == base.id)) or 0
    dv = DisclosureVersion(base_id=base.id, version=last + 1, snapshot=snapshot_of(base),
                           created_at=now(), created_by_id=actor_id, note=(note or "")[:300])
    db.session.add(dv)
    db.session.flush()
    return dv


_KIND_OF = {FeeItem: "fee_item", Teacher: "teacher", Manager: "manager", Location: "location", Room: "room"}


def _note(kind: str, obj, created: bool | None) -> str:
    """What a version changed, as ``kind:action:name`` (shown translated by ``version_note_text``)."""
    action = "withdraw" if created is None else ("add" if created else "edit")
    return f"{kind}:{action}:{obj.name}"[:300]


def version_note_text(note: str | None) -> str:
    """A version's note in the reader's language: 'Added a teacher: 王建国'."""
    kind, _sep, rest = (note or "").partition(":")
    action, _sep, name = rest.partition(":")
    whats = {"fee_item": _("fee item"), "teacher": _("teacher"), "manager": _("manager"),
             "location": _("teaching location"), "room": _("room")}
    fixed = {"scope": _("Scope and times of training changed"), "refund_policy": _("Refund policy changed"),
             "publish": _("Recorded when a course was published")}
    if kind in fixed:
        return fixed[kind]
    if kind not in whats:
        return ""
    what = whats[kind]
    if action == "add":
        return _("Added %(what)s “%(name)s”", what=what, name=name)
    if action == "withdraw":
        return _("Withdrew %(what)s “%(name)s”", what=what, name=name)
    if action == "edit":
        return _("Changed %(what)s “%(name)s”", what=what, name=name)
    return what  # notes written before actions were recorded


def _text(value, field: str, max_len: int, required: bool = False, label=None) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("This field is required."), field=field)
    if len(value) > max_len:
        raise DomainError(_("At most %(n)s characters.", n=max_len), field=field)
    return value


def update_scope(base: TrainingBase, *, subjects: list[str], staff_levels: list[str], scope_text: str,
                 terms_text: str, actor_id: int | None) -> DisclosureVersion:
    """Part 1: which subjects, for which staff levels, and when (terms / periods)."""
    valid_subjects = {c.value for c in Category}
    valid_levels = {t.value for t in TitleLevel}
    subjects = [s for s in (subjects or []) if s]
    staff_levels = [s for s in (staff_levels or []) if s]
    if not subjects or not set(subjects) <= valid_subjects:
        raise DomainError(_("Choose at least one kind of subject."), field="subjects")
    if not staff_levels or not set(staff_levels) <= valid_levels:
        raise DomainError(_("Choose at least one staff level."), field="staff_levels")
    base.scope_subjects = [c.value for c in Category if c.value in subjects]
    base.staff_levels = [t.value for t in TitleLevel if t.value in staff_levels]
    base.scope_text = _text(scope_text, "scope_text", 5000, required=True)
    base.terms_text = _text(terms_text, "terms_text", 5000, required=True)
    return record_disclosure_version(base, actor_id, "scope")


def update_refund_policy(base: TrainingBase, *, refund_policy: str, actor_id: int | None) -> DisclosureVersion:
    base.refund_policy = _text(refund_policy, "refund_policy", 5000, required=True)
    return record_disclosure_version(base, actor_id, "refund_policy")


def _owned(obj, base: TrainingBase):
    """An item must belong to ``base``; anything else is a 404 (no cross-base edits)."""
    owner = obj.location.base_id if isinstance(obj, Room) else obj.base_id
    if owner != base.id:
        abort(404)
    return obj


def save_fee_item(base: TrainingBase, item: FeeItem | None, *, name: str, amount_yuan, unit: str,
                  covers: str, actor_id: int | None) -> FeeItem:
    """Create or change a fee item. Courses keep the amount they were priced with."""
    created = item is None
    if item is None:
        item = FeeItem(base_id=base.id)
        db.session.add(item)
    else:
        _owned(item, base)
    item.name = _text(name, "name", 100, required=True)
    item.amount_fen = parse_yuan(amount_yuan, field="amount_yuan")
    item.unit = _text(unit, "unit", 50, required=True)
    item.covers = _text(covers, "covers", 300, required=True)
    item.active = True
    record_disclosure_version(base, actor_id, _note("fee_item", item, created))
    return item


def save_teacher(base: TrainingBase, teacher: Teacher | None, *, name: str, title: str, organisation: str,
                 subjects: str, bio: str, actor_id: int | None) -> Teacher:
    created = teacher is None
    if teacher is None:
        teacher = Teacher(base_id=base.id)
        db.session.add(teacher)
    else:
        _owned(teacher, base)
    old_name = teacher.name
    teacher.name = _text(name, "name", 50, required=True)
    teacher.title = _text(title, "title", 100, required=True)
    teacher.organisation = _text(organisation, "organisation", 200, required=True)
    teacher.subjects = _text(subjects, "subjects", 300, required=True)
    teacher.bio = _text(bio, "bio", 2000)
    teacher.active = True
    record_disclosure_version(base, actor_id, _note("teacher", teacher, created))
    if old_name is not None and old_name != teacher.name:
        publish(TeacherRenamed(teacher.id))  # the catalog's keyword search knows teachers by name
    return teacher


def save_manager(base: TrainingBase, manager: Manager | None, *, name: str, duty: str, contact: str,
                 actor_id: int | None) -> Manager:
    created = manager is None
    if manager is None:
        manager = Manager(base_id=base.id)
        db.session.add(manager)
    else:
        _owned(manager, base)
    manager.name = _text(name, "name", 50, required=True)
    manager.duty = _text(duty, "duty", 100, required=True)
    manager.contact = _text(contact, "contact", 100, required=True)
    manager.active = True
    record_disclosure_version(base, actor_id, _note("manager", manager, created))
    return manager


def save_location(base: TrainingBase, location: Location | None, *, name: str, address: str,
                  facilities: str, actor_id: int | None) -> Location:
    created = location is None
    if location is None:
        location = Location(base_id=base.id)
        db.session.add(location)
    else:
        _owned(location, base)
    location.name = _text(name, "name", 100, required=True)
    location.address = _text(address, "address", 300, required=True)
    location.facilities = _text(facilities, "facilities", 3000, required=True)
    location.active = True
    record_disclosure_version(base, actor_id, _note("location", location, created))
    return location


def save_room(base: TrainingBase, location: Location, room: Room | None, *, name: str, seats,
              actor_id: int | None) -> Room:
    _owned(location, base)
    created = room is None
    if room is None:
        room = Room(location_id=location.id)
        db.session.add(room)
    elif room.location_id != location.id:
        abort(404)
    room.name = _text(name, "name", 100, required=True)
    try:
        seats = int(seats)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("Enter a whole number of at least 1."), field="seats") from exc
    if seats < 1 or seats > 10000:
        raise DomainError(_("Enter a whole number of at least 1."), field="seats")
    room.seats = seats
    room.active = True
    record_disclosure_version(base, actor_id, _note("room", room, created))
    return room


def retire_item(base: TrainingBase, obj, actor_id: int | None) -> DisclosureVersion:
    """Withdraw a fee item, teacher, manager, location or room from the disclosure.

    Rows are kept (published courses and old versions refer to them), only marked inactive.
    """
    _owned(obj, base)
    obj.active = False
    return record_disclosure_version(base, actor_id, _note(_KIND_OF[type(obj)], obj, None))


