"""Accounts: registration, passwords, reset tokens, in-app notices. Services flush only."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ntbase.accounts.events import PasswordResetRequested
from ntbase.accounts.models import LearnerProfile, Notice, User
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import PROFESSION_CODES, Role, TitleLevel
from ntbase.kernel.errors import DomainError
from ntbase.kernel.events import publish
from ntbase.kernel.security import (
    IdNumberError,
    check_password,
    encrypt_pii,
    hash_password,
    id_hash,
    mask_id_number,
    normalize_id_number,
    password_problem,
    validate_id_number,
    validate_mobile,
)

log = logging.getLogger(__name__)
ID_NUMBER_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def id_number_message(reason: str) -> str:
    return {
        "length": _("An ID number has 18 characters."),
        "format": _("An ID number is 17 digits followed by a digit or X."),
        "checksum": _("The last character (check digit) does not match: please check the ID number."),
        "date": _("The ID number contains an invalid birth date or region code."),
    }.get(reason, _("Invalid ID number."))


def password_message(reason: str) -> str:
    return {
        "short": _("Use at least 10 characters."),
        "simple": _("Mix at least two of: lower case, upper case, digits, symbols."),
        "common": _("This password is too common."),
    }[reason]


def check_new_password(password: str, field: str = "password") -> None:
    problem = password_problem(password or "")
    if problem:
        raise DomainError(password_message(problem), field=field)


def parse_id_number(raw: str, field: str = "id_number") -> str:
    try:
        return validate_id_number(raw)
    except IdNumberError as exc:
        raise DomainError(id_number_message(exc.reason), field=field) from exc


def parse_mobile(raw: str, field: str = "mobile") -> str:
    try:
        return validate_mobile(raw)
    except ValueError as exc:
        raise DomainError(_("Enter an 11-digit mainland mobile number, e.g. 13812345678."), field=field) from exc


def find_learner_by_id_number(id_number: str) -> User | None:
    """Exact look-up by keyed hash; never a partial search."""
    return db.session.scalar(
        sa.select(User).join(LearnerProfile).where(LearnerProfile.id_number_hash == id_hash(id_number))
    )


@dataclass
class Registration:
    email: str
    password: str
    real_name: str
    id_number: str
    mobile: str
    employer: str = ""
    profession_series: str = "other"
    title_level: str = TitleLevel.JUNIOR.value


def register_learner(reg: Registration) -> User:
    """Validate everything first, then create; a DomainError leaves nothing behind."""
    email = (reg.email or "").strip().lower()
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise DomainError(_("This e-mail address is already registered. Log in or reset your password."), field="email")
    id_number = parse_id_number(reg.id_number)
    mobile = parse_mobile(reg.mobile)
    check_new_password(reg.password)
    if not (reg.real_name or "").strip():
        raise DomainError(_("Please enter your real name as on your ID card."), field="real_name")
    if reg.profession_series not in PROFESSION_CODES:
        raise DomainError(_("Choose a profession series."), field="profession_series")
    if reg.title_level not in {t.value for t in TitleLevel}:
        raise DomainError(_("Choose a title level."), field="title_level")
    if find_learner_by_id_number(id_number) is not None:
        raise DomainError(
            _("An account with this ID number already exists. Log in, or reset your password."),
            field="id_number",
        )
    user = User(email=email, password_hash=hash_password(reg.password), role=Role.LEARNER,
                display_name=reg.real_name.strip())
    user.profile = LearnerProfile(
        real_name=reg.real_name.strip(),
        id_number_enc=encrypt_pii(id_number),
        id_number_hash=id_hash(id_number),
        id_number_masked=mask_id_number(id_number),
        mobile=mobile,
        employer=(reg.employer or "").strip(),
        profession_series=reg.profession_series,
        title_level=TitleLevel(reg.title_level),
    )
    db.session.add(user)
    db.session.flush()
    log.info("registered learner user_id=%s", user.id)
    return user


def create_user(email: str, password: str, role: Role, base_id: int | None = None,
                display_name: str = "", check_strength: bool = True,
                employer_id: int | None = None) -> User:
    """A staff, office, admin or employer-admin account. ``base_id`` binds base staff to
    their base and ``employer_id`` an employer administrator to its employer (the database
    checks both)."""
    email = email.strip().lower()
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise DomainError(_("This e-mail address is already registered. Log in or reset your password."), field="email")
    if check_strength:
        check_new_password(password)
    if role == Role.BASE_STAFF and base_id is None:
        raise DomainError(_("Base staff must belong to a base."), field="base_id")
    if role == Role.EMPLOYER_ADMIN and employer_id is None:
        raise DomainError(_("An employer administrator must belong to an employer."), field="employer_id")
    user = User(email=email, password_hash=hash_password(password), role=role,
                base_id=base_id if role == Role.BASE_STAFF else None,
                employer_id=employer_id if role == Role.EMPLOYER_ADMIN else None, display_name=display_name)
    db.session.add(user)
    db.session.flush()
    return user


def looks_like_id_number(text: str) -> bool:
    """18 characters, 17 digits and a digit or X: what a resident ID number looks like."""
    return bool(ID_NUMBER_SHAPE.fullmatch(normalize_id_number(text)))


def authenticate(login: str, password: str) -> User | None:
    """The user whose e-mail, mobile number or resident ID number (a learner's, looked up by
    its keyed hash: the number itself is never stored, logged or shown) is ``login``."""
    raw = (login or "").strip()
    login = raw.lower()
    stmt = sa.select(User).where(User.email == login)
    user = db.session.scalar(stmt)
    if user is None and looks_like_id_number(raw):
        try:
            user = find_learner_by_id_number(validate_id_number(raw))
        except IdNumberError:
            user = None  # a mistyped number is a failed log-in like any other
    elif user is None and login.isascii() and login.isdigit():
        user = db.session.scalar(sa.select(User).join(LearnerProfile).where(LearnerProfile.mobile == login))
    if user is None:
        # spend the same time as a real check so timing does not reveal accounts
        check_password(_dummy_hash(), password or "")
        return None
    if not user.is_active or not check_password(user.password_hash, password or ""):
        return None
    user.last_login_at = now()
    return user


def _dummy_hash() -> str:
    cache = current_app.extensions.setdefault("ntbase_dummy_hash", {})
    if "h" not in cache:
        cache["h"] = hash_password("not-a-real-password-0")
    return cache["h"]


def change_password(user: User, current: str, new: str) -> None:
    if not check_password(user.password_hash, current or ""):
        raise DomainError(_("The current password is not correct."), field="current_password")
    check_new_password(new, field="new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = now()


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user: User) -> str:
    # binding to the current hash makes a token single-use: it dies once the password changes
    return _reset_serializer().dumps({"u": user.id, "h": user.password_hash[-16:]})


def request_password_reset(email: str, reset_url_for) -> None:
    """Queue a reset mail if the address exists; say nothing either way."""
    user = db.session.scalar(sa.select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        return
    publish(PasswordResetRequested(user.id, reset_url_for(make_reset_token(user))))


def reset_password(token: str, new: str) -> User:
    try:
        data = _reset_serializer().loads(token, max_age=3600)
    except SignatureExpired as exc:
        raise DomainError(_("This reset link has expired. Please ask for a new one.")) from exc
    except BadSignature as exc:
        raise DomainError(_("This reset link is not valid. Please ask for a new one.")) from exc
    user = db.session.get(User, data.get("u"))
    if user is None or user.password_hash[-16:] != data.get("h"):
        raise DomainError(_("This reset link has already been used. Please ask for a new one."))
    check_new_password(new, field="new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = now()
    return user


def notify(user_id: int, title: str, body: str = "", link: str | None = None) -> Notice:
    """The in-app notice only: domains tell users through ``ntbase.notifications.services.notify``
    (the message in the user's language, and the e-mail or SMS they chose)."""
    notice = Notice(user_id=user_id, title=title, body=body, link=link)
    db.session.add(notice)
    return notice


def notify_many(user_ids, title: str, body: str = "", link: str | None = None) -> int:
    rows = [{"user_id": uid, "title": title, "body": body, "link": link, "created_at": now()}
            for uid in set(user_ids)]
    if rows:
        db.session.execute(sa.insert(Notice), rows)
    return len(rows)


def notices_of(user_id: int, limit: int = 200) -> list[Notice]:
    return db.session.scalars(
        sa.select(Notice).where(Notice.user_id == user_id).order_by(Notice.id.desc()).limit(limit)).all()


def mark_notices_read(user_id: int) -> int:
    return db.session.execute(sa.update(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None))
                              .values(read_at=now())).rowcount


def unread_notice_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notice.id)).where(Notice.user_id == user_id, Notice.read_at.is_(None))
    ) or 0


def update_profile(user: User, *, mobile: str, employer: str, profession_series: str,
                   title_level: str, locale: str | None = None) -> None:
    profile = user.profile
    if profile is not None:
        profile.mobile = parse_mobile(mobile)
        profile.employer = (employer or "").strip()
        if profession_series not in PROFESSION_CODES:
            raise DomainError(_("Choose a profession series."), field="profession_series")
        profile.profession_series = profession_series
        profile.title_level = TitleLevel(title_level)
    if locale:
        user.locale = locale
