"""Small factories for tests: bureaus, tenants, users with roles."""

from __future__ import annotations

import itertools

from saas.admin.services import save_bureau, save_tenant
from saas.auth.services import create_user, grant
from saas.extensions import db

_seq = itertools.count(1)


class Factory:
    PASSWORD = "correct-horse-battery"

    def bureau(self, name=None, level="district", parent=None):
        bureau = save_bureau(None, name or f"测试区市场监督管理局{next(_seq)}", level, parent)
        db.session.commit()
        return bureau

    def tenant(self, slug=None, name=None, kind="park", bureau=None, **kw):
        n = next(_seq)
        tenant = save_tenant(None, slug=slug or f"tenant-{n}", name=name or f"测试园区{n}", kind=kind,
                             bureau=bureau, **kw)
        db.session.commit()
        return tenant

    def user(self, email=None, name=None, tenant=None, role=None, password=PASSWORD, **kw):
        user = create_user(email or f"user{next(_seq)}@example.com", name or "测试用户", password, **kw)
        if tenant is not None:
            grant(user, tenant, role or "admin", kw.get("enterprise_id"))
        db.session.commit()
        return user
