from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.kernel.db import TimestampMixin, db, enum_column, now
from ntbase.kernel.enums import Role, TitleLevel
from ntbase.kernel.security import decrypt_pii


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (
        # Staff are bound to exactly one base; other roles to none.
        sa.CheckConstraint(
            "(role = 'base_staff' AND base_id IS NOT NULL) OR "
            "(role <> 'base_staff' AND base_id IS NULL)",
            name="staff_has_base",
        ),
        # Employer administrators (单位管理员) are bound to exactly one employer; others to none.
        sa.CheckConstraint(
            "(role = 'employer_admin' AND employer_id IS NOT NULL) OR "
            "(role <> 'employer_admin' AND employer_id IS NULL)",
            name="employer_admin_has_employer",
        ),
    )

    # not a column: the unread notices counted when the request loaded this user
    # (accounts.login.load_session_user), for the account menu's badge
    unread_at_load = None

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.LEARNER, index=True)
    base_id: Mapped[int | None] = mapped_column(sa.ForeignKey("base.id"), index=True)
    # the employer (ntbase.employers) an employer administrator acts for; named by id only,
    # so accounts never imports the domain above it
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employer.id"), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(100), default="")
    is_active_flag: Mapped[bool] = mapped_column("is_active", default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime] = mapped_column(default=now)

    base = relationship("TrainingBase", foreign_keys=[base_id])
    profile: Mapped[LearnerProfile | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_flag

    @property
    def is_learner(self) -> bool:
        return self.role == Role.LEARNER

    @property
    def is_staff(self) -> bool:
        return self.role == Role.BASE_STAFF

    @property
    def is_office(self) -> bool:
        return self.role in (Role.OFFICE, Role.ADMIN)

    @property
    def is_employer_admin(self) -> bool:
        return self.role == Role.EMPLOYER_ADMIN

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def can_manage_base(self, base_id: int) -> bool:
        return self.role == Role.ADMIN or (self.role == Role.BASE_STAFF and self.base_id == base_id)

    @property
    def name(self) -> str:
        if self.profile is not None:
            return self.profile.real_name
        return self.display_name or self.email


class LearnerProfile(TimestampMixin, db.Model):
    """A learner's identity. The ID number is stored encrypted + keyed hash + mask."""

    __tablename__ = "learner_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    real_name: Mapped[str] = mapped_column(sa.String(50))
    id_number_enc: Mapped[str] = mapped_column(sa.String(255))
    id_number_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(sa.String(18))
    mobile: Mapped[str] = mapped_column(sa.String(11), index=True)
    employer: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    profession_series: Mapped[str] = mapped_column(sa.String(32), default="other", index=True)
    title_level: Mapped[TitleLevel] = mapped_column(enum_column(TitleLevel), default=TitleLevel.JUNIOR)

    user: Mapped[User] = relationship(back_populates="profile")

    @property
    def id_number(self) -> str:
        """Decrypted ID: only for its owner's own page and exports that need it."""
        return decrypt_pii(self.id_number_enc)


class AppointmentPeriod(TimestampMixin, db.Model):
    """聘期: Art. 17(4) exemptions and Art. 27(2) averages are per period."""

    __tablename__ = "appointment_period"
    __table_args__ = (
        sa.CheckConstraint("end_year >= start_year", name="ordered"),
        sa.UniqueConstraint("learner_id", "start_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    start_year: Mapped[int]
    end_year: Mapped[int]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class Notice(db.Model):
    """In-app notice to one user (course changes, waitlist offers, refunds…)."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)
    read_at: Mapped[datetime | None]
