"""The audit log reads in words: every audited kind of object and every column it shows has a
label in both languages, so a new model or column cannot appear as a code name."""

from __future__ import annotations

import re

from flask_babel import force_locale

from saas.extensions import db
from saas.tenancy import TenantScoped
from tenants.audit.labels import HIDDEN, OBJECTS, event_label, field_name, object_name, value_text

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def audited():
    return [m for m in db.Model.registry.mappers
            if issubclass(m.class_, TenantScoped) and getattr(m.class_, "__audited__", True)]


def test_every_audited_object_and_column_has_a_label_in_both_languages(app):
    with app.test_request_context():
        for mapper in audited():
            kind = mapper.class_.__name__
            assert kind in OBJECTS, kind
            fields = [a.key for a in mapper.column_attrs if a.key not in HIDDEN | {"id", "tenant_id"}]
            with force_locale("zh_CN"):
                assert CHINESE.search(object_name(kind)), kind
                for field in fields:
                    assert CHINESE.search(field_name(field)), (kind, field)
            with force_locale("en"):
                for field in fields:  # a label, not the column's name
                    assert field_name(field) != field, (kind, field)


def test_values_read_as_the_forms_word_them(app):
    with app.test_request_context(), force_locale("zh_CN"):
        assert object_name("Enterprise") == "联系企业" and field_name("credit_code") == "统一社会信用代码"
        assert value_text("status", "withdrawn") == "已退出" and value_text("mode", "on_site") == "现场"
        assert value_text("employment", "part_time") == "兼职" and value_text("state", "in_progress") == "推进中"
        assert value_text("topics", ["organisation", "rules"]) == "组织机构、制度建设"
        assert value_text("high_tech", True) == "是" and value_text("note", None) == "—"
        assert value_text("code", "five.rules") == "制度落实"
        assert event_label("ServiceLog", "2026-10-17 risk_monitoring") == "2026-10-17 风险监测"
        assert event_label("Enterprise", "光谷企业") == "光谷企业"
