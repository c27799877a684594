"""Training and publicity events and who attended (WH-1, WH-2, CQ-1, XC-3, TJ-4)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from saas.extensions import db
from saas.tenancy import TenantScoped, utcnow

from . import names as trainee_names

KINDS = ("training", "briefing", "publicity", "seminar", "study_visit")
ORGANISERS = ("base", "station", "bureau", "third_party", "enterprise")


class TrainingEvent(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16), default="training")
    organiser: Mapped[str] = mapped_column(sa.String(16), default="base")
    # Internal training of a member: the organiser is that enterprise (enterprise users log these).
    organiser_enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    organiser_name: Mapped[str] = mapped_column(sa.String(200), default="")  # bureau / third party
    held_on: Mapped[date]
    hours: Mapped[float] = mapped_column(default=0)
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    online: Mapped[bool] = mapped_column(default=False)
    trainer: Mapped[str] = mapped_column(sa.String(200), default="")
    topics: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    attendance: Mapped[list[Attendance]] = relationship(back_populates="event", cascade="all, delete-orphan")
    organiser_enterprise = relationship("Enterprise")

    __table_args__ = (
        sa.Index("ix_training_event_tenant_held", "tenant_id", "held_on"),
        sa.CheckConstraint("kind IN ('training', 'briefing', 'publicity', 'seminar', 'study_visit')", name="kind"),
        sa.CheckConstraint("organiser IN ('base', 'station', 'bureau', 'third_party', 'enterprise')", name="organiser"),
        sa.CheckConstraint("hours >= 0", name="hours"),
        sa.CheckConstraint("(organiser = 'enterprise') = (organiser_enterprise_id IS NOT NULL)",
                           name="organiser_enterprise"),
    )

    @property
    def audit_label(self) -> str:
        return self.title


class Attendance(TenantScoped, db.Model):
    """How many employees of one member attended one event and, as far as recorded, who: the
    names as typed (`key_staff`, all or some of those who came); their folded keys are the
    `trainees` rows, kept in step by the validator below whichever way the names are set."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("training_event.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    headcount: Mapped[int]
    key_staff: Mapped[str] = mapped_column(sa.Text, default="")

    event: Mapped[TrainingEvent] = relationship(back_populates="attendance")
    enterprise = relationship("Enterprise")
    trainees: Mapped[list[Trainee]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "event_id", "enterprise_id"),
        # Covering: a period's attendance per member (coverage figures) is read from the index alone.
        sa.Index("ix_attendance_tenant_enterprise", "tenant_id", "enterprise_id", "event_id", "headcount"),
        sa.Index("ix_attendance_event", "event_id"),  # a year's events → their attendance (bureau views)
        sa.CheckConstraint("headcount > 0", name="headcount"),
    )

    @validates("key_staff")
    def _names_to_trainees(self, _key, text):
        keys = [k[:trainee_names.NAME_MAX] for k in trainee_names.split(text)]  # the services refuse longer
        kept = {t.name: t for t in self.trainees}
        self.trainees = [kept.get(k) or Trainee(name=k) for k in dict.fromkeys(keys)]
        return text

    @property
    def audit_label(self) -> str:
        return f"{self.event_id}/{self.enterprise_id}"


class Trainee(TenantScoped, db.Model):
    """One named person at one attendance, by the folded key of the name (names.py): distinct
    trained staff of a member are counted over these in SQL. Derived from the attendance's names,
    which the audit log records; not audited again."""

    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    attendance_id: Mapped[int] = mapped_column(sa.ForeignKey("attendance.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(trainee_names.NAME_MAX))

    __table_args__ = (sa.UniqueConstraint("tenant_id", "attendance_id", "name"),)


class MemberTrainingYear(TenantScoped, db.Model):
    """One member's training of one calendar year — events attended, the largest session's
    headcount, distinct names, whether one was given by others, the first day trained — derived
    from the rows above and kept in the same transaction as them (summary.py). Never typed, never
    audited (the attendance it sums is)."""

    __tablename__ = "member_training_year"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"))
    year: Mapped[int]
    events: Mapped[int]
    largest: Mapped[int]
    named: Mapped[int]
    by_others: Mapped[int]  # 1: at least one of the events was given by the base, a station, the bureau or a third party
    first_on: Mapped[date]

    __table_args__ = (sa.UniqueConstraint("tenant_id", "year", "enterprise_id"),)
