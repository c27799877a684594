"""The bench's data generators (tests/perf/generate.py, tests/perf/province.py): valid, unique
credit codes for any tenant number, and a province whose reviewers see what the bench measures."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from stdnum.cn import uscc

from saas.extensions import db
from saas.tenancy import Bureau, Tenant, cross_tenant_reads
from tests.perf import generate, province

from .conftest import login


def test_credit_codes_are_valid_and_unique_for_any_tenant_number():
    tenants = (1, 2, 99, 100, 101, 400, 12_345, 999_999)
    members = (0, 1, 299, 2_000, 999_999_999)
    codes = [generate.code(n, t) for t in tenants for n in members]
    assert all(len(c) == 18 and uscc.is_valid(c) for c in codes)
    assert len(set(codes)) == len(codes)
    # Tenant 100 once spilled a digit into the organisation part: 10 with member 0n… == 1 with 00n….
    assert generate.code(5, 100) != generate.code(5, 10) and len(generate.code(5, 100)) == 18
    with pytest.raises(ValueError):
        generate.code(1, 1_000_000)


def test_province_generator(app, client, ctx):
    info = province.build_province(11, members=lambda i: 4 + i % 3)
    levels = dict(db.session.execute(sa.select(Bureau.level, sa.func.count()).group_by(Bureau.level)).all())
    assert levels == {"province": 1, "city": province.CITIES, "district": province.CITIES * province.DISTRICTS_PER_CITY}
    with cross_tenant_reads("test: the generated bases"):
        tenants = db.session.scalars(sa.select(Tenant).order_by(Tenant.slug)).all()
        from tenants.applications.models import Application
        from tenants.members.models import Enterprise

        enterprises = db.session.scalar(sa.select(sa.func.count(Enterprise.id)))
        recognised = db.session.scalars(sa.select(Application.tenant_id).where(Application.status == "recognised")).all()
    assert [t.slug for t in tenants] == [f"prov-{i:04d}" for i in range(11)]
    assert info["enterprises"] == enterprises == sum(4 + i % 3 for i in range(11))
    # Ten bases fill the first district, the eleventh opens the next one of the same city.
    district = db.session.get(Bureau, info["reviewers"]["district"]["bureau_id"])
    assert {t.bureau_id for t in tenants[:10]} == {district.id} and tenants[10].bureau_id != district.id
    assert db.session.get(Bureau, tenants[10].bureau_id).parent_id == district.parent_id
    assert recognised == [tenants[0].id, tenants[5].id, tenants[10].id]
    assert info["base"]["slug"] == "prov-0000" and info["rows"] > 11 * 40
    # The reviewers are real users of their bureaus: each sees its own jurisdiction's bases.
    for who, seen in (("province", 11), ("city", 11), ("district", 10)):
        r = info["reviewers"][who]
        response = client.get(f"/api/v1/bureaus/{r['bureau_id']}/rollup",
                              headers={"Authorization": "Bearer " + r["token"]})
        assert response.status_code == 200, who
        assert sum(1 for line in response.get_json()["lines"] if "tenant" in line) == seen, who
    login(client, info["reviewers"]["district"]["email"], province.PASSWORD)
    page = client.get("/bureau/").get_data(as_text=True)
    assert tenants[9].name in page and tenants[10].name not in page
