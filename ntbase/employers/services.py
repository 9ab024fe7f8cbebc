"""Employers: accounts confirmed by the office, administrators, staff memberships, the staff
list with this year's verdicts, a person's yearly view, self-study (Art. 17(6)), and the
figures the office reads (Art. 28). Services flush, never commit; broken rules raise
``DomainError`` with the form field.

Group enrollment, long-training consent and fee recovery are in ``employers.groups``;
yearly plans and reports in ``employers.plans``.

Access: every function that takes an ``employer`` acts for that employer only; the views
find the employer from the logged-in administrator (``employer_of``) and objects by id
within it (``membership_of``…), so another employer's ids are simply not found.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ntbase.accounts import services as accounts
from ntbase.accounts.models import LearnerProfile, User
from ntbase.employers.models import (
    DISTRICT_CODES,
    Employer,
    EmployerEvent,
    EmployerKind,
    EmployerState,
    Membership,
    MembershipEvent,
    MembershipState,
    SelfStudyRecord,
)
from ntbase.employers.rules import (
    UsccError,
    new_join_code,
    normalize_join_code,
    validate_uscc,
)
from ntbase.hours import bulk
from ntbase.hours import services as hours
from ntbase.hours.evidence import store_evidence
from ntbase.hours.models import LedgerEntry
from ntbase.kernel import audit, cache
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Role, profession_title
from ntbase.kernel.errors import DomainError
from ntbase.kernel.history import StateMachine

log = logging.getLogger(__name__)

audit.register_actions({
    "employer.view_person": _l("Your employer looked at your yearly hours"),
    "employer.export_staff": _l("Your employer exported its staff list with your hours"),
    "employer.invite": _l("An employer invited you to link your record to it"),
    "employer.add_admin": _l("An employer added an administrator"),
    "employer.end_membership": _l("Your employer ended your membership"),
    "employer.group_enroll": _l("Your employer enrolled you in a course it pays for"),
    "employer.group_cancel": _l("Your employer cancelled your enrollment"),
    "employer.self_study": _l("Your employer recorded self-study hours for you"),
    "employer.consent": _l("Your employer recorded your consent and service contract for long training"),
    "employer.fee_recovery": _l("Your employer asked you to repay training fees"),
    "office.employer_state": _l("The office confirmed, suspended or reinstated an employer"),
    "office.employer_plan": _l("The office reviewed an employer's plan or report"),
})

ES, MS = EmployerState, MembershipState


# ---------------------------------------------------------------- state machines

class IllegalEmployerChange(DomainError):
    def __init__(self, frm, to):
        super().__init__(_("This employer cannot go from “%(frm)s” to “%(to)s”.",
                           frm=frm.title if frm else "—", to=to.title), code="illegal_transition")


class IllegalMembershipChange(DomainError):
    def __init__(self, frm, to):
        super().__init__(_("This membership cannot go from “%(frm)s” to “%(to)s”.",
                           frm=frm.title if frm else "—", to=to.title), code="illegal_transition")


def _concurrent() -> DomainError:
    return DomainError(_("Someone else changed this at the same moment. Please reload the page."), code="conflict")


EMPLOYER_MACHINE = StateMachine(
    history=EmployerEvent, owner_key="employer_id",
    allowed={None: frozenset({ES.PENDING}), ES.PENDING: frozenset({ES.ACTIVE, ES.SUSPENDED}),
             ES.ACTIVE: frozenset({ES.SUSPENDED}), ES.SUSPENDED: frozenset({ES.ACTIVE})},
    illegal=IllegalEmployerChange, concurrent=_concurrent)

MEMBERSHIP_MACHINE = StateMachine(
    history=MembershipEvent, owner_key="membership_id",
    allowed={None: frozenset({MS.INVITED}),
             MS.INVITED: frozenset({MS.ACTIVE, MS.DECLINED, MS.WITHDRAWN}),
             MS.ACTIVE: frozenset({MS.ENDED}), MS.DECLINED: frozenset(), MS.WITHDRAWN: frozenset(),
             MS.ENDED: frozenset()},
    illegal=IllegalMembershipChange, concurrent=_concurrent)


# ---------------------------------------------------------------- helpers

def tell(user: User, title_fn: Callable[[], str], body_fn: Callable[[], str] = lambda: "",
         link: str | None = None) -> None:
    """A notice in the user's own language (their chosen locale, else the platform's)."""
    locale = user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")
    with force_locale(locale):
        accounts.notify(user.id, str(title_fn()), str(body_fn()), link)


def admins_of(employer_id: int) -> list[User]:
    return db.session.scalars(sa.select(User).where(User.employer_id == employer_id, User.role == Role.EMPLOYER_ADMIN)
                              .order_by(User.id)).all()


def tell_admins(employer_id: int, title_fn, body_fn=lambda: "", link: str | None = None) -> None:
    for admin in admins_of(employer_id):
        tell(admin, title_fn, body_fn, link)


def actor_label(actor: User, employer: Employer) -> str:
    """How the employer's administrator appears in the person's audit page: who and for whom."""
    return f"{audit.actor_label(actor)} · {employer.name}"[:120]


def record_for_person(action: str, actor: User, employer: Employer, learner_id: int, detail: str = "") -> None:
    """An action on a person's data, in the action's transaction; the person sees it."""
    audit.record(action, actor, subject_user_id=learner_id, object_type="employer", object_id=employer.id,
                 detail=detail, label=actor_label(actor, employer))


def uscc_message(reason: str) -> str:
    return {
        "length": _("A unified social credit code has 18 characters."),
        "format": _("A unified social credit code has 18 digits or capital letters (not I, O, Z, S or V), "
                    "the first eight of them digits."),
        "checksum": _("The last character (check character) of this unified social credit code does not match: "
                      "please check the code on the business licence."),
    }.get(reason, _("Invalid unified social credit code."))


def parse_uscc(raw: str, field_name: str = "uscc") -> str:
    try:
        return validate_uscc(raw)
    except UsccError as exc:
        raise DomainError(uscc_message(exc.reason), field=field_name) from exc


def require_active(employer: Employer) -> None:
    if employer.state != ES.ACTIVE:
        raise DomainError(inactive_message(employer), code="employer_inactive")


def inactive_message(employer: Employer) -> str:
    if employer.state == ES.PENDING:
        return _("The title office has not confirmed this employer yet. You can act once it has.")
    return _("This employer is suspended by the title office: %(reason)s", reason=employer.state_reason or "—")


# ---------------------------------------------------------------- registration and admins

@dataclass
class EmployerRegistration:
    name: str
    uscc: str
    kind: str
    district: str
    contact_name: str
    contact_phone: str
    admin_email: str
    admin_name: str
    password: str
    address: str = ""


def _clean(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


def _check_details(name: str, kind: str, district: str, contact_name: str, contact_phone: str) -> None:
    if not name:
        raise DomainError(_("Enter the employer's full registered name."), field="name")
    if kind not in {k.value for k in EmployerKind}:
        raise DomainError(_("Choose the type of employer."), field="kind")
    if district not in DISTRICT_CODES:
        raise DomainError(_("Choose the district where the employer is registered."), field="district")
    if not contact_name:
        raise DomainError(_("Enter the name of the HR contact."), field="contact_name")
    if not (7 <= len(contact_phone) <= 20) or not all(c in "0123456789-+ " for c in contact_phone):
        raise DomainError(_("Enter a telephone number, for example 0513-85012345 or 13812345678."),
                          field="contact_phone")


def register_employer(reg: EmployerRegistration, *, at: datetime | None = None) -> tuple[Employer, User]:
    """An employer and its first administrator, waiting for the office's confirmation.
    Everything is checked before anything is written."""
    at = at or now()
    name = _clean(reg.name, 200)
    uscc = parse_uscc(reg.uscc)
    contact_phone = _clean(reg.contact_phone, 20)
    _check_details(name, reg.kind, reg.district, _clean(reg.contact_name, 50), contact_phone)
    if db.session.scalar(sa.select(Employer.id).where(Employer.uscc == uscc)):
        raise DomainError(_("This unified social credit code is already registered. Ask that employer's "
                            "administrator to add you as an administrator."), field="uscc", code="duplicate")
    if db.session.scalar(sa.select(Employer.id).where(Employer.name == name)):
        raise DomainError(_("An employer with this name is already registered."), field="name", code="duplicate")
    accounts.check_new_password(reg.password)
    email = (reg.admin_email or "").strip().lower()
    if not email or "@" not in email:
        raise DomainError(_("Enter an e-mail address."), field="admin_email")
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise DomainError(_("This e-mail address is already registered. Log in or reset your password."),
                          field="admin_email")
    if not _clean(reg.admin_name, 100):
        raise DomainError(_("Enter your name."), field="admin_name")
    employer = Employer(name=name, uscc=uscc, kind=EmployerKind(reg.kind), district=reg.district,
                        address=_clean(reg.address, 200), contact_name=_clean(reg.contact_name, 50),
                        contact_phone=contact_phone, state=ES.PENDING, join_code=_unused_join_code(),
                        created_at=at, updated_at=at)
    db.session.add(employer)
    db.session.flush()
    admin = accounts.create_user(email, reg.password, Role.EMPLOYER_ADMIN, employer_id=employer.id,
                                 display_name=_clean(reg.admin_name, 100))
    EMPLOYER_MACHINE.record(employer, None, ES.PENDING, admin.id, "registered by its administrator", at)
    office_ids = db.session.scalars(sa.select(User.id).where(User.role.in_((Role.OFFICE, Role.ADMIN)))).all()
    for officer in db.session.scalars(sa.select(User).where(User.id.in_(office_ids))).all():
        tell(officer, lambda: _("An employer registered: %(name)s", name=name),
             lambda: _("Check its unified social credit code and confirm it."), "/office/employers")
    return employer, admin


def _unused_join_code() -> str:
    for _attempt in range(20):
        code = new_join_code()
        if not db.session.scalar(sa.select(Employer.id).where(Employer.join_code == code)):
            return code
    raise DomainError(_("Please try again."))  # pragma: no cover - 26^8 codes


def update_contact(employer: Employer, *, contact_name: str, contact_phone: str, address: str, district: str) -> None:
    contact_phone = _clean(contact_phone, 20)
    _check_details(employer.name, employer.kind.value, district, _clean(contact_name, 50), contact_phone)
    employer.contact_name, employer.contact_phone = _clean(contact_name, 50), contact_phone
    employer.address, employer.district = _clean(address, 200), district
    db.session.flush()


def add_admin(employer: Employer, actor: User, *, email: str, display_name: str, reset_url_for) -> User:
    """Another administrator of the same employer; they choose their password from a mail."""
    require_active(employer)
    email = (email or "").strip().lower()
    if not email or "@" not in email:
        raise DomainError(_("Enter an e-mail address."), field="email")
    if not _clean(display_name, 100):
        raise DomainError(_("Enter the administrator's name."), field="display_name")
    # a throwaway password nobody learns: the new administrator sets theirs from the mail
    user = accounts.create_user(email, secrets.token_urlsafe(24) + "aA1!", Role.EMPLOYER_ADMIN,
                                employer_id=employer.id, display_name=_clean(display_name, 100))
    accounts.request_password_reset(email, reset_url_for)
    audit.record("employer.add_admin", actor, object_type="employer", object_id=employer.id, detail=email,
                 label=actor_label(actor, employer))
    return user


def employer_of(user) -> Employer | None:
    """The employer an administrator acts for (None for anyone else)."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.EMPLOYER_ADMIN or user.employer_id is None:
        return None
    return db.session.get(Employer, user.employer_id)


def get_employer(employer_id: int) -> Employer | None:
    return db.session.get(Employer, employer_id)


def regenerate_join_code(employer: Employer) -> str:
    require_active(employer)
    employer.join_code = _unused_join_code()
    db.session.flush()
    return employer.join_code


# ---------------------------------------------------------------- the office's decisions

def _office_change(employer: Employer, to: EmployerState, officer: User, reason: str, at: datetime | None):
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason; the employer's administrators will read it."), field="reason")
    at = at or now()
    extra = {"confirmed_at": at} if to == ES.ACTIVE and employer.confirmed_at is None else {}
    EMPLOYER_MACHINE.transition(employer, to, officer.id, reason, at, state_reason=reason[:2000], **extra)
    audit.record("office.employer_state", officer, object_type="employer", object_id=employer.id,
                 detail=f"{to.value}: {reason}"[:2000])
    return at


def confirm_employer(employer: Employer, officer: User, reason: str, at: datetime | None = None) -> int:
    """The office checked the employer: it may act. Learners whose profile names it exactly
    are invited (they accept or decline). Returns how many were invited."""
    at = _office_change(employer, ES.ACTIVE, officer, reason, at)
    tell_admins(employer.id, lambda: _("%(name)s is confirmed on NTBase", name=employer.name),
                lambda: _("You can now invite your staff, enroll them and submit plans and reports."), "/employer")
    return invite_matching_profiles(employer, officer, at)


def suspend_employer(employer: Employer, officer: User, reason: str, at: datetime | None = None) -> None:
    _office_change(employer, ES.SUSPENDED, officer, reason, at)
    tell_admins(employer.id, lambda: _("%(name)s is suspended on NTBase", name=employer.name),
                lambda: _("Reason: %(reason)s", reason=reason), "/employer")


def reinstate_employer(employer: Employer, officer: User, reason: str, at: datetime | None = None) -> None:
    if employer.state != ES.SUSPENDED:
        raise DomainError(_("Only a suspended employer can be reinstated."), field="reason")
    _office_change(employer, ES.ACTIVE, officer, reason, at)
    tell_admins(employer.id, lambda: _("%(name)s is reinstated on NTBase", name=employer.name),
                lambda: _("Reason: %(reason)s", reason=reason), "/employer")


def invite_matching_profiles(employer: Employer, actor: User | None, at: datetime | None = None) -> int:
    """Learners whose free-text employer is exactly this employer's name, with no pending
    or current membership here, get an invitation (source ``profile``): their own words
    say they work here, but their record is seen only once they accept."""
    at = at or now()
    candidates = db.session.scalars(
        sa.select(User).join(LearnerProfile, LearnerProfile.user_id == User.id)
        .where(sa.func.trim(LearnerProfile.employer) == employer.name, User.role == Role.LEARNER,
               ~sa.exists().where(Membership.learner_id == User.id, Membership.employer_id == employer.id,
                                  Membership.state.in_((MS.INVITED, MS.ACTIVE))))
        .order_by(User.id)).all()
    for learner in candidates:
        _new_invitation(employer, learner, actor, department="", source="profile", at=at)
    return len(candidates)


# ---------------------------------------------------------------- memberships

def _new_invitation(employer: Employer, learner: User, actor: User | None, *, department: str, source: str,
                    at: datetime, started_on: date | None = None) -> Membership:
    membership = Membership(employer_id=employer.id, learner_id=learner.id, state=MS.INVITED,
                            department=_clean(department, 100), source=source, started_on=started_on,
                            invited_by_id=actor.id if actor is not None else None, created_at=at, updated_at=at)
    db.session.add(membership)
    db.session.flush()  # the partial unique index refuses a second pending or current membership
    MEMBERSHIP_MACHINE.record(membership, None, MS.INVITED, actor.id if actor else None, f"invited ({source})", at)
    tell(learner, lambda: _("%(name)s invites you to link your record", name=employer.name),
         lambda: _("If you accept, %(name)s sees your continuing-education hours while you work there. "
                   "Accept or decline in “My employer”.", name=employer.name), "/me/employers")
    return membership


def invite_by_id_number(employer: Employer, actor: User, id_number: str, department: str = "",
                        started_on: date | None = None, *, at: datetime | None = None) -> Membership:
    """Invite the learner with this full ID number (from a POST body; matched by keyed hash,
    never searched partially, never logged). The learner accepts or declines."""
    require_active(employer)
    at = at or now()
    number = accounts.parse_id_number(id_number, field="id_number")
    learner = accounts.find_learner_by_id_number(number)
    if learner is None or learner.role != Role.LEARNER:
        raise DomainError(_("No learner on NTBase has this ID number. Ask the person to register first, "
                            "or share your join code with them."), field="id_number", code="unknown_learner")
    if started_on is not None and started_on > at.date():
        raise DomainError(_("The start date cannot be in the future."), field="started_on")
    existing = db.session.scalar(sa.select(Membership).where(
        Membership.employer_id == employer.id, Membership.learner_id == learner.id,
        Membership.state.in_((MS.INVITED, MS.ACTIVE))))
    if existing is not None:
        raise DomainError(_("%(name)s (%(id)s) is already on your staff list or invited.",
                            name=learner.name, id=learner.profile.id_number_masked), field="id_number",
                          code="duplicate")
    membership = _new_invitation(employer, learner, actor, department=department, source="invitation", at=at,
                                 started_on=started_on)
    record_for_person("employer.invite", actor, employer, learner.id)
    return membership


def join_by_code(learner: User, code: str, *, at: datetime | None = None) -> Membership:
    """The learner typed the employer's join code: a pending membership they then accept
    (or decline) like an invitation."""
    at = at or now()
    value = normalize_join_code(code)
    employer = db.session.scalar(sa.select(Employer).where(Employer.join_code == value)) if value else None
    if employer is None or employer.state != ES.ACTIVE:
        raise DomainError(_("No confirmed employer has this join code. Check it with your HR office."), field="code")
    if db.session.scalar(sa.select(Membership.id).where(
            Membership.employer_id == employer.id, Membership.learner_id == learner.id,
            Membership.state.in_((MS.INVITED, MS.ACTIVE)))):
        raise DomainError(_("You are already linked to %(name)s, or invited by it: see below.", name=employer.name),
                          field="code", code="duplicate")
    return _new_invitation(employer, learner, None, department="", source="join_code", at=at)


def own_membership(learner_id: int, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.learner_id != learner_id:
        raise DomainError(_("This membership does not exist."), code="not_found")
    return membership


def accept_membership(membership: Membership, learner: User, *, at: datetime | None = None) -> Membership:
    """The learner agrees that this employer sees their record from now on. A learner has
    one current employer: a current membership elsewhere ends today (people change jobs;
    their hours stay theirs)."""
    at = at or now()
    if membership.learner_id != learner.id:
        raise DomainError(_("This membership does not exist."), code="not_found")
    employer = membership.employer
    if membership.state == MS.ACTIVE:
        return membership  # a second click
    if membership.state != MS.INVITED:
        raise DomainError(_("This invitation is no longer open."), code="closed")
    if employer.state != ES.ACTIVE:
        raise DomainError(inactive_message(employer), code="employer_inactive")
    for other in db.session.scalars(sa.select(Membership).where(
            Membership.learner_id == learner.id, Membership.state == MS.ACTIVE)).all():
        _end(other, learner.id, at, f"joined {employer.name}")
    start = membership.started_on or at.date()
    MEMBERSHIP_MACHINE.transition(membership, MS.ACTIVE, learner.id, "accepted by the learner", at,
                                  started_on=start, responded_at=at)
    tell_admins(employer.id, lambda: _("%(name)s accepted your invitation", name=learner.name), lambda: "",
                "/employer/staff")
    return membership


def decline_membership(membership: Membership, learner: User, *, at: datetime | None = None) -> Membership:
    at = at or now()
    if membership.learner_id != learner.id:
        raise DomainError(_("This membership does not exist."), code="not_found")
    if membership.state == MS.DECLINED:
        return membership
    if membership.state != MS.INVITED:
        raise DomainError(_("This invitation is no longer open."), code="closed")
    MEMBERSHIP_MACHINE.transition(membership, MS.DECLINED, learner.id, "declined by the learner", at, responded_at=at)
    tell_admins(membership.employer_id, lambda: _("%(name)s declined your invitation", name=learner.name))
    return membership


def withdraw_invitation(employer: Employer, membership: Membership, actor: User, *,
                        at: datetime | None = None) -> Membership:
    require_active(employer)
    if membership.employer_id != employer.id:
        raise DomainError(_("This membership does not exist."), code="not_found")
    if membership.state != MS.INVITED:
        raise DomainError(_("Only an open invitation can be withdrawn."))
    MEMBERSHIP_MACHINE.transition(membership, MS.WITHDRAWN, actor.id, "withdrawn by the employer", at or now())
    return membership


def _end(membership: Membership, actor_id: int, at: datetime, reason: str, ended_on: date | None = None) -> None:
    ended_on = ended_on or at.date()
    if membership.started_on and ended_on < membership.started_on:
        raise DomainError(_("The membership cannot end before it started (%(when)s).",
                            when=membership.started_on.isoformat()), field="ended_on")
    MEMBERSHIP_MACHINE.transition(membership, MS.ENDED, actor_id, reason, at, ended_on=ended_on)


def end_membership(membership: Membership, actor: User, *, employer: Employer | None = None,
                   ended_on: date | None = None, reason: str = "", at: datetime | None = None) -> Membership:
    """The person left (ended by the learner, or by an administrator of the employer): from
    then on the employer no longer sees the record. The hours stay the learner's."""
    at = at or now()
    if employer is not None:
        if membership.employer_id != employer.id:
            raise DomainError(_("This membership does not exist."), code="not_found")
        require_active(employer)
    elif membership.learner_id != actor.id:
        raise DomainError(_("This membership does not exist."), code="not_found")
    if membership.state != MS.ACTIVE:
        raise DomainError(_("Only a current membership can end."))
    if ended_on is not None and ended_on > at.date():
        raise DomainError(_("The end date cannot be in the future."), field="ended_on")
    who = "the employer" if employer is not None else "the learner"
    _end(membership, actor.id, at, (reason or "").strip()[:300] or f"ended by {who}", ended_on)
    if employer is not None:
        record_for_person("employer.end_membership", actor, employer, membership.learner_id)
        tell(membership.learner, lambda: _("%(name)s ended your membership", name=employer.name),
             lambda: _("It no longer sees your record. Your hours stay yours."), "/me/employers")
    else:
        tell_admins(membership.employer_id, lambda: _("%(name)s ended their membership", name=actor.name))
    return membership


def set_department(employer: Employer, membership: Membership, department: str) -> None:
    require_active(employer)
    if membership.employer_id != employer.id or membership.state not in (MS.INVITED, MS.ACTIVE):
        raise DomainError(_("This membership does not exist."), code="not_found")
    membership.department = _clean(department, 100)
    db.session.flush()


def membership_of(employer: Employer, membership_id: int, *, current: bool = True) -> Membership:
    """A membership of this employer (current only, by default); anything else is not found."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.employer_id != employer.id or (current and membership.state != MS.ACTIVE):
        raise DomainError(_("This person is not on your current staff list."), code="not_found")
    return membership


def learner_memberships(learner_id: int) -> list[Membership]:
    """Everything the learner sees on “My employer”, newest first, with the employers."""
    return db.session.scalars(sa.select(Membership).where(Membership.learner_id == learner_id)
                              .options(joinedload(Membership.employer))
                              .order_by(Membership.id.desc())).all()


def invitations_of(employer_id: int) -> list[Membership]:
    return db.session.scalars(sa.select(Membership).where(
        Membership.employer_id == employer_id, Membership.state == MS.INVITED)
        .options(joinedload(Membership.learner).joinedload(User.profile)).order_by(Membership.id.desc())).unique().all()


def current_staff_ids(employer_id: int) -> sa.Select:
    return sa.select(Membership.learner_id).where(Membership.employer_id == employer_id,
                                                  Membership.state == MS.ACTIVE)


def is_current_staff(employer_id: int, learner_id: int) -> bool:
    return bool(db.session.scalar(sa.select(Membership.id).where(
        Membership.employer_id == employer_id, Membership.learner_id == learner_id, Membership.state == MS.ACTIVE)))


# ---------------------------------------------------------------- the staff list

@dataclass(frozen=True)
class StaffRow:
    """One current member as the staff list shows it (plain values, not ORM objects: the
    list of 5,000 is read as columns)."""

    membership_id: int
    learner_id: int
    department: str
    real_name: str
    id_number_masked: str
    profession_series: str
    verdict: bulk.Verdict


@dataclass
class StaffList:
    year: int
    rows: list[StaffRow]  # after the filters: the page asked for, or all of them
    total: int  # every current member
    not_met: int  # of every current member
    departments: list[str] = field(default_factory=list)
    series: list[str] = field(default_factory=list)
    matching: int = 0  # members the filters keep (every page)
    page: int = 1  # the page the rows are (a page past the last is the last)
    pages: int = 1


@dataclass(frozen=True)
class _MemberProfile:
    real_name: object
    id_number_masked: object
    profession_series: object
    join_args: tuple


def _profile_of_member() -> _MemberProfile:
    """The member's profile columns, joined one index probe per membership on PostgreSQL (a
    LATERAL join): for an employer's few thousand staff the planner would otherwise scan every
    profile of the city, a cost that grows with the city, not with the staff."""
    if db.session.get_bind().dialect.name == "postgresql":
        lat = (sa.select(LearnerProfile.real_name, LearnerProfile.id_number_masked, LearnerProfile.profession_series)
               .where(LearnerProfile.user_id == Membership.learner_id)
               .limit(1).lateral("member_profile"))  # LIMIT: not flattened into a join
        return _MemberProfile(lat.c.real_name, lat.c.id_number_masked, lat.c.profession_series, (lat, sa.true()))
    return _MemberProfile(LearnerProfile.real_name, LearnerProfile.id_number_masked, LearnerProfile.profession_series,
                          (LearnerProfile, LearnerProfile.user_id == Membership.learner_id))


# The staff lists' counts and order are kept in the page cache until what they read changes:
# a membership or a profile (any employer's: rare writes), the yearly policies, or the kept
# yearly status of one of the employer's current staff (``staff_status_changed``).
STAFF_NS = "staff"
cache.watch(STAFF_NS, "employer_membership", "learner_profile")
CITY_WIDE = 500  # a status change of more learners than this (a rebuild) changes every list


def staff_ns(employer_id: int) -> str:
    return f"staff:{employer_id}"


def staff_status_changed(learner_ids: tuple[int, ...]) -> None:
    """The kept yearly status of these learners changed: their current employers' staff
    lists change when this transaction commits."""
    if len(learner_ids) > CITY_WIDE:
        cache.touch(STAFF_NS)
        return
    for employer_id in db.session.scalars(sa.select(Membership.employer_id).distinct().where(
            Membership.learner_id.in_(learner_ids), Membership.state == MS.ACTIVE)):
        cache.touch(staff_ns(employer_id))


@dataclass(frozen=True)
class _StaffIndex:
    groups: list[tuple[str, str, int, int]]  # (department, series, members, failing) of every member
    ids: list[int]  # the membership ids the filters keep, in the list's order


def _current_members(employer_id: int, profile: _MemberProfile) -> sa.Select:
    return (sa.select(Membership.id).select_from(Membership)
            .where(Membership.employer_id == employer_id, Membership.state == MS.ACTIVE)
            .join(*profile.join_args))


def _staff_index(employer_id: int, year: int, not_met: bool, department: str, series: str) -> _StaffIndex:
    """Two statements whatever the staff count: the counts by department and profession
    series, then the matching members' ids in order (department, name, id)."""
    profile = _profile_of_member()
    members, kept = bulk.with_kept_year(_current_members(employer_id, profile), Membership.learner_id, year,
                                        per_row=True)
    failing = sa.case((kept["complies"].is_(False), 1), else_=0)
    dept = sa.func.coalesce(Membership.department, "")
    groups = [(d, sc, int(n), int(f or 0)) for d, sc, n, f in db.session.execute(
        members.with_only_columns(dept, profile.profession_series, sa.func.count(), sa.func.sum(failing))
        .group_by(dept, profile.profession_series))]
    if not_met:
        members = members.where(kept["complies"].is_(False))
    else:  # the kept year is not needed to choose the members
        members = _current_members(employer_id, profile)
    if department:
        members = members.where(dept == department)
    if series:
        members = members.where(profile.profession_series == series)
    ids = list(db.session.scalars(members.order_by(Membership.department, profile.real_name, Membership.id)))
    return _StaffIndex(groups, ids)


def _staff_rows(employer_id: int, year: int, ids: list[int] | None) -> list[StaffRow]:
    """One statement: the rows of memberships ``ids``, in that order (one index probe each),
    or, for ``None``, of every current member in the list's order."""
    profile = _profile_of_member()
    members = (sa.select(Membership.id, Membership.learner_id, Membership.department, profile.real_name,
                         profile.id_number_masked, profile.profession_series)
               .select_from(Membership).join(*profile.join_args))
    if ids is None:
        members = members.where(Membership.employer_id == employer_id, Membership.state == MS.ACTIVE).order_by(
            Membership.department, profile.real_name, Membership.id)
    elif not ids:
        return []
    else:
        members = members.where(Membership.id.in_(ids))
    members, kept = bulk.with_kept_year(members, Membership.learner_id, year, per_row=True)
    rows = [StaffRow(mid, uid, dept_ or "", name, masked, series_code, bulk.kept_verdict(uid, year, *values))
            for mid, uid, dept_, name, masked, series_code, *values
            in db.session.execute(members.add_columns(*(kept[k] for k in bulk.KEPT_FIELDS)))]
    if ids is None:
        return rows
    by_id = {r.membership_id: r for r in rows}
    return [by_id[mid] for mid in ids if mid in by_id]


def staff_list(employer: Employer, year: int, *, not_met: bool = False, department: str = "",
               series: str = "", page: int | None = None, per_page: int = 50) -> StaffList:
    """The employer's current staff with their ``year`` verdicts (the kept yearly status),
    filtered, counted and paged in the database. The counts and the order (``_staff_index``,
    two statements whatever the staff count) are kept in the page cache until a membership,
    a profile, the policies or one of these members' kept status changes; then the rows of
    ``page`` are read in one statement, fresh (all rows when ``page`` is None: the export, a
    group enrollment)."""
    filters = hashlib.blake2b(repr((year, not_met, department, series)).encode(), digest_size=8).hexdigest()
    index = cache.tagged(f"staff-index:{employer.id}:{filters}",
                         ("policy", STAFF_NS, staff_ns(employer.id)),
                         lambda: _staff_index(employer.id, year, not_met, department, series))
    wanted = [(d, sc, n, f) for d, sc, n, f in index.groups
              if (not department or d == department) and (not series or sc == series)]
    matching = sum(f if not_met else n for _d, _sc, n, f in wanted)
    pages = max(1, -(-matching // per_page))
    if page is None:  # everyone the filters keep, in one statement
        keep = set(index.ids)
        rows = [r for r in _staff_rows(employer.id, year, None) if r.membership_id in keep]
    else:
        page = min(max(page, 1), pages)
        rows = _staff_rows(employer.id, year, index.ids[(page - 1) * per_page:page * per_page])
    groups = index.groups
    return StaffList(year, rows, sum(n for *_x, n, _f in groups), sum(f for *_x, f in groups),
                     sorted({d for d, *_r in groups if d}), sorted({sc for _d, sc, *_r in groups}), matching,
                     page or 1, pages)


def staff_table(staff: StaffList) -> tuple[list[str], list[list]]:
    """The staff list as export rows (ID numbers masked; the caller escapes cells)."""
    header = [_("Name"), _("ID number (masked)"), _("Department"), _("Profession series"), _("Year"),
              _("Counted total (h)"), _("Public-subject hours (h)"), _("Verdict"), _("Hours short"),
              _("Public hours short")]
    table = []
    for r in staff.rows:
        v = r.verdict
        table.append([r.real_name, r.id_number_masked, r.department, profession_title(r.profession_series), staff.year, v.counted_total, v.counted_public,
                      _("Complies") if v.complies else _("Does not comply"), v.shortfall_total, v.shortfall_public])
    return header, table


def record_export(employer: Employer, actor: User, staff: StaffList, file_format: str) -> None:
    """Each exported person sees that their hours left NTBase in the employer's file."""
    for r in staff.rows:
        audit.record_view("employer.export_staff", actor, subject_user_id=r.learner_id, object_type="employer",
                          object_id=employer.id, detail=f"{staff.year} {file_format}",
                          label=actor_label(actor, employer))


@dataclass
class PersonYear:
    membership: Membership
    year: int
    assessment: object  # engine.Assessment
    entries: list[LedgerEntry]


def person_year(employer: Employer, membership: Membership, year: int, actor: User) -> PersonYear:
    """One current staff member's year with every reason, as the engine gives it; the look
    is recorded for the person (``/me/audit``)."""
    if membership.employer_id != employer.id or membership.state != MS.ACTIVE:
        raise DomainError(_("This person is not on your current staff list."), code="not_found")
    assessment = hours.assess_learner_year(membership.learner_id, year)
    entries = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.learner_id == membership.learner_id, LedgerEntry.year == year)
        .order_by(LedgerEntry.end_date, LedgerEntry.id)).all()
    audit.record_view("employer.view_person", actor, subject_user_id=membership.learner_id, object_type="employer",
                      object_id=employer.id, detail=str(year), label=actor_label(actor, employer))
    return PersonYear(membership, year, assessment, list(entries))


# ---------------------------------------------------------------- self-study (Art. 17(6))

@dataclass
class SelfStudyInput:
    title: str
    start_date: date | None
    end_date: date | None
    hours: str
    plan: str
    organisation: str
    examination: str


def record_self_study(employer: Employer, membership: Membership, actor: User, data: SelfStudyInput, *,
                      filename: str, content: bytes, today: date | None = None) -> SelfStudyRecord:
    """Art. 17(6): the employer converts planned, organised and examined self-study into
    hours. The entry goes to the person's ledger pending, for the office; at most 1/3 of
    the year's requirement counts (the engine's cap)."""
    require_active(employer)
    if membership.employer_id != employer.id or membership.state != MS.ACTIVE:
        raise DomainError(_("This person is not on your current staff list."), code="not_found")
    plan, organisation, examination = (_clean(t, 2000) for t in (data.plan, data.organisation, data.examination))
    for value, name, msg in ((plan, "plan", _("Say what the self-study plan was.")),
                             (organisation, "organisation", _("Say how the employer organised it.")),
                             (examination, "examination", _("Say how it was examined, and the result."))):
        if not value:
            raise DomainError(msg, field=name)
    evidence = store_evidence(membership.learner_id, filename, content) if content else None
    entry = hours.record_employer_self_study(
        membership.learner_id, title=data.title, organizer=employer.name, start_date=data.start_date,
        end_date=data.end_date, hours=data.hours, evidence=evidence, today=today)
    row = SelfStudyRecord(employer_id=employer.id, learner_id=membership.learner_id, ledger_entry_id=entry.id,
                          plan=plan, organisation=organisation, examination=examination, recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    record_for_person("employer.self_study", actor, employer, membership.learner_id,
                      detail=f"{entry.title} {entry.hours} h")
    tell(membership.learner, lambda: _("%(name)s recorded self-study hours for you", name=employer.name),
         lambda: _("“%(title)s”: %(hours)s h, pending review by the office.", title=entry.title,
                   hours=entry.hours), "/me/hours")
    return row


def self_study_of(employer_id: int) -> list[SelfStudyRecord]:
    return db.session.scalars(sa.select(SelfStudyRecord).where(SelfStudyRecord.employer_id == employer_id)
                              .options(joinedload(SelfStudyRecord.ledger_entry),
                                       joinedload(SelfStudyRecord.learner).joinedload(User.profile))
                              .order_by(SelfStudyRecord.id.desc())).unique().all()


# ---------------------------------------------------------------- figures for the office

@dataclass
class ComplianceRow:
    employer: Employer
    staff: int
    meeting: int

    @property
    def share(self) -> float:
        return round(self.meeting * 100 / self.staff, 1) if self.staff else 0.0


def compliance_by_employer(year: int) -> list[ComplianceRow]:
    """Statistics by the real employer: each confirmed or suspended employer's current staff
    and how many of them meet ``year``'s requirement, biggest first. A fixed number of
    statements (the employers, the memberships, ``hours.bulk``)."""
    employers = db.session.scalars(sa.select(Employer).where(Employer.state != ES.PENDING)
                                   .order_by(Employer.name)).all()
    pairs = db.session.execute(sa.select(Membership.employer_id, Membership.learner_id)
                               .where(Membership.state == MS.ACTIVE)).all()
    verdicts = bulk.yearly_verdicts(sa.select(Membership.learner_id).where(Membership.state == MS.ACTIVE), year)
    counts: dict[int, list[int]] = {e.id: [0, 0] for e in employers}
    for employer_id, learner_id in pairs:
        if employer_id in counts:
            counts[employer_id][0] += 1
            counts[employer_id][1] += int(verdicts[learner_id].complies) if learner_id in verdicts else 0
    rows = [ComplianceRow(e, *counts[e.id]) for e in employers]
    rows.sort(key=lambda r: (-r.staff, r.employer.name))
    return rows


def employers_for_office(state: str = "") -> list[Employer]:
    q = sa.select(Employer).order_by(
        sa.case((Employer.state == ES.PENDING, 0), (Employer.state == ES.SUSPENDED, 1), else_=2), Employer.name)
    if state in {s.value for s in EmployerState}:
        q = q.where(Employer.state == EmployerState(state))
    return db.session.scalars(q).all()


def staff_count(employer_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Membership.id)).where(
        Membership.employer_id == employer_id, Membership.state == MS.ACTIVE)) or 0

