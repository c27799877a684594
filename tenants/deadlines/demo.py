"""Demo notices for `flask demo seed` (idempotent: matched by user and text): a few in-app
notifications of each kind for the demo base's admin, one already read, and a mail preference
(the staff member takes survey notices in the app only). Written as notification rows, not
through notify(): the demo sends no mail."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from saas.auth.models import User
from saas.extensions import db
from saas.notifications import Notification
from saas.tenancy import utcnow

NOTICES = (
    # email, kind, text, path, read
    ("admin@demo.example", "review", "申报 武汉市示范基地认定 2026：区局已受理，进入书面审查", "/t/optics-valley/applications/", True),
    ("admin@demo.example", "deadline", "截止 2026-12-15：光谷生物医药产业园：年度工作进展报告", "/deadlines", False),
    ("admin@demo.example", "guidance", "市局发布了《生物医药行业商业秘密保护工作指引（试行）》", "/t/optics-valley/", False),
    ("admin@demo.example", "referral", "移送的投诉（某生物科技公司员工带走菌种资料）已由区局受理", "/t/optics-valley/", False),
    ("admin@demo.example", "survey", "2026 年度会员企业商业秘密保护状况问卷已回收 12 份", "/t/optics-valley/", False),
    ("cq-admin@demo.example", "deadline", "截止 2026-12-15：两江新区数字经济产业园：年度工作进展报告", "/deadlines", False),
    ("cq-reviewer@demo.example", "review", "两江新区数字经济产业园的示范单位有效期即将届满，请安排复核", "/workbench/", False),
)
MUTED = (("staff@demo.example", "survey"),)


def seed(password: str) -> list[str]:
    from saas.notifications import set_mail_wanted

    users = {u.email: u for u in db.session.scalars(sa.select(User).where(
        User.email.in_({n[0] for n in NOTICES} | {m[0] for m in MUTED})))}
    have = set(db.session.execute(sa.select(Notification.user_id, Notification.text)).all())
    now = utcnow()
    for n, (email, kind, text, path, read) in enumerate(NOTICES):
        user = users.get(email)
        if user is None or (user.id, text) in have:
            continue
        db.session.add(Notification(user_id=user.id, kind=kind, text=text, url=path, read=read,
                                    created_at=now - timedelta(hours=len(NOTICES) - n)))
    for email, kind in MUTED:
        if email in users:
            set_mail_wanted(users[email].id, {kind: False})
    return []
