from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.kernel.db import TimestampMixin, db, enum_column, now
from ntbase.kernel.enums import BaseLevel, CertificationStatus
from ntbase.kernel.history import StateHistoryMixin


class TrainingBase(TimestampMixin, db.Model):
    """继续教育基地. Certified, assessed and suspended by the HR bureau (Art. 24/26)."""

    __tablename__ = "base"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(150), default="")
    level: Mapped[BaseLevel] = mapped_column(enum_column(BaseLevel), default=BaseLevel.CITY)
    # Art. 24: which staff levels it mainly trains (TitleLevel values)
    staff_levels: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[CertificationStatus] = mapped_column(
        enum_column(CertificationStatus, name="certification_status"),
        default=CertificationStatus.CERTIFIED,
        index=True,
    )
    status_changed_at: Mapped[datetime] = mapped_column(default=now)
    status_reason: Mapped[str] = mapped_column(sa.Text, default="")
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(50), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    intro: Mapped[str] = mapped_column(sa.Text, default="")
    # 市高层次人才培训基地: its courses run as such count 8 h/day (Art. 17(2))
    is_talent_base: Mapped[bool] = mapped_column(default=False)

    # Art. 22 disclosure, working copy (published snapshots are DisclosureVersion rows)
    scope_subjects: Mapped[list] = mapped_column(sa.JSON, default=list)  # Category values
    scope_text: Mapped[str] = mapped_column(sa.Text, default="")
    terms_text: Mapped[str] = mapped_column(sa.Text, default="")
    refund_policy: Mapped[str] = mapped_column(sa.Text, default="")
    facilities_text: Mapped[str] = mapped_column(sa.Text, default="")

    teachers: Mapped[list[Teacher]] = relationship(back_populates="base", order_by="Teacher.id")
    managers: Mapped[list[Manager]] = relationship(back_populates="base", order_by="Manager.id")
    locations: Mapped[list[Location]] = relationship(back_populates="base", order_by="Location.id")
    fee_items: Mapped[list[FeeItem]] = relationship(back_populates="base", order_by="FeeItem.id")

    @property
    def is_open(self) -> bool:
        """Listed in the catalog and taking enrollments."""
        return self.status == CertificationStatus.CERTIFIED


class BaseStatusEvent(StateHistoryMixin, db.Model):
    """History of certification changes (certify / suspend / revoke / reinstate)."""

    __tablename__ = "base_status_event"

    base_id: Mapped[int] = mapped_column(sa.ForeignKey("base.id"), index=True)


class Teacher(TimestampMixin, db.Model):
    __tablename__ = "teacher"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(sa.ForeignKey("base.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    title: Mapped[str] = mapped_column(sa.String(100), default="")  # 职称, e.g. 教授
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    subjects: Mapped[str] = mapped_column(sa.String(300), default="")
    bio: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    base: Mapped[TrainingBase] = relationship(back_populates="teachers")


class Manager(TimestampMixin, db.Model):
    __tablename__ = "manager"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(sa.ForeignKey("base.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    duty: Mapped[str] = mapped_column(sa.String(100), default="")
    contact: Mapped[str] = mapped_column(sa.String(100), default="")
    active: Mapped[bool] = mapped_column(default=True)

    base: Mapped[TrainingBase] = relationship(back_populates="managers")


class Location(TimestampMixin, db.Model):
    __tablename__ = "location"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(sa.ForeignKey("base.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    address: Mapped[str] = mapped_column(sa.String(300))
    facilities: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    base: Mapped[TrainingBase] = relationship(back_populates="locations")
    rooms: Mapped[list[Room]] = relationship(back_populates="location", order_by="Room.id")


class Room(TimestampMixin, db.Model):
    __tablename__ = "room"
    __table_args__ = (sa.CheckConstraint("seats >= 1", name="seats_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("location.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    seats: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)

    location: Mapped[Location] = relationship(back_populates="rooms")


class FeeItem(TimestampMixin, db.Model):
    """Art. 22 fee items and standards; course prices are made of these."""

    __tablename__ = "fee_item"
    __table_args__ = (sa.CheckConstraint("amount_fen >= 0", name="amount_nonneg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(sa.ForeignKey("base.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    amount_fen: Mapped[int]
    unit: Mapped[str] = mapped_column(sa.String(50), default="")  # 每人 / 每学时 / 每期
    covers: Mapped[str] = mapped_column(sa.String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)

    base: Mapped[TrainingBase] = relationship(back_populates="fee_items")


class DisclosureVersion(db.Model):
    """Immutable snapshot of the four Art. 22 parts; never edited once written."""

    __tablename__ = "disclosure_version"
    __table_args__ = (sa.UniqueConstraint("base_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(sa.ForeignKey("base.id"), index=True)
    version: Mapped[int]
    snapshot: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
