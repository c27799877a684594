"""The member figures of a tenant's calendar year and its members' groups, kept (member_figures.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from saas.tenancy import TenantScoped

# The figures of the tenant metrics' member pass (service.py _member_pass), in its column order.
FIGURES = ("active", "with_liaison", "demonstration", "adopted", "rules", "work", "leak", "five_three", "by_others",
           "trained", "everyone", "visits", "lowest", "below")


class MemberFigures(TenantScoped, db.Model):
    """One tenant's member figures for one calendar year: the member pass of the tenant metrics
    over that year, kept in the same transaction as the rows it reads (member_figures.py). Never
    typed, never audited (the rows it counts are)."""

    __tablename__ = "member_figures"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    active: Mapped[int]
    with_liaison: Mapped[int]
    demonstration: Mapped[int]
    adopted: Mapped[int]
    rules: Mapped[int]
    work: Mapped[int]
    leak: Mapped[int]
    five_three: Mapped[int]
    by_others: Mapped[int]
    trained: Mapped[int]
    everyone: Mapped[int]
    visits: Mapped[int]
    lowest: Mapped[int | None]  # the fewest visits of an active member; none without members
    below: Mapped[int]
    # The year's members counted by month joined, withdrawn, first trained and all staff trained
    # (tenants/training/coverage.py year_groups): [[joined, withdrawn, trained, all staff, n], …].
    groups: Mapped[list] = mapped_column(sa.JSON)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "year"),)
