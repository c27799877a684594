"""Bureau-wide guidance (LC-4): a bureau reviewer publishes to the members of every base of its
jurisdiction (one copy per base, files copied under each tenant), sees per base how many member
enterprises have read it, and withdrawing withdraws every copy."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from saas.auth.services import grant
from saas.extensions import db
from saas.files import Attachment
from tenants.guidance.models import BureauPublication, Publication, PublicationRead

from .sql import statements
from .test_members import PDF, count, reading, text


@pytest.fixture
def jurisdiction(make, login_as):
    city = make.bureau("聊城市市场监督管理局", level="city")
    east, west = (make.bureau(f"聊城{n}区市场监督管理局", level="district", parent=city) for n in ("东", "西"))
    elsewhere = make.bureau("其他市市场监督管理局", level="city")
    t1 = make.tenant(slug="lc-east", name="东昌府阿胶产业园", bureau=east)
    t2 = make.tenant(slug="lc-west", name="高新区化工园", bureau=west)
    t3 = make.tenant(slug="far", name="外市园区", bureau=elsewhere)
    e1 = [make.enterprise(t1, name=f"阿胶企业{i}") for i in range(3)]
    e2 = [make.enterprise(t2, name=f"化工企业{i}") for i in range(2)]
    make.enterprise(t3)
    make.user("city-rev@example.com", bureau=city, bureau_role="reviewer")
    make.user("far-rev@example.com", bureau=elsewhere, bureau_role="reviewer")
    grant(make.user("ent-east@example.com"), t1, "enterprise", e1[0])
    grant(make.user("ent-east2@example.com"), t1, "enterprise", e1[1])
    grant(make.user("ent-west@example.com"), t2, "enterprise", e2[0])
    make.user("staff-east@example.com", tenant=t1, role="admin")
    make.user("staff-far@example.com", tenant=t3, role="admin")
    db.session.commit()
    return SimpleNamespace(t1=t1, t2=t2, t3=t3, rev=login_as("city-rev@example.com"), far=login_as("far-rev@example.com"),
                           ent1=login_as("ent-east@example.com"), ent1b=login_as("ent-east2@example.com"),
                           ent2=login_as("ent-west@example.com"), staff1=login_as("staff-east@example.com"),
                           staff3=login_as("staff-far@example.com"))


def publish(client, title="阿胶行业商业秘密保护指引", files=()):
    data = {"title": title, "kind": "guideline", "sector": "阿胶", "body": "一、适用范围\n二、保护措施"}
    if files:
        data["files"] = list(files)
    response = client.post("/bureau/guidance/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, text(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def copy_of(tenant_id, bid):
    with reading(tenant_id) as s:
        return s.scalar(sa.select(Publication).where(Publication.bureau_publication_id == bid))


def test_published_to_every_base_with_its_own_files_and_reads_counted_per_base(jurisdiction):
    j = jurisdiction
    bid = publish(j.rev, files=[(io.BytesIO(PDF), "指引.pdf")])
    c1, c2 = copy_of(j.t1.id, bid), copy_of(j.t2.id, bid)
    assert c1 is not None and c2 is not None and copy_of(j.t3.id, bid) is None
    assert (c1.title, c1.kind, c1.sector) == ("阿胶行业商业秘密保护指引", "guideline", "阿胶")
    # Each base holds its own copy of the file, stored under its own tenant.
    with reading(j.t1.id) as s:
        a1 = s.scalars(sa.select(Attachment).where(Attachment.owner_id == c1.id, Attachment.owner_type == "publication")).one()
    with reading(j.t2.id) as s:
        a2 = s.scalars(sa.select(Attachment).where(Attachment.owner_id == c2.id, Attachment.owner_type == "publication")).one()
    assert a1.stored_name.startswith(f"{j.t1.id}/") and a2.stored_name.startswith(f"{j.t2.id}/")
    assert a1.stored_name != a2.stored_name and a1.sha256 == a2.sha256
    # A member sees it on its home page and downloads the file from its own base.
    assert "阿胶行业商业秘密保护指引" in text(j.ent1.get("/t/lc-east/"))
    download = j.ent1.get(f"/t/lc-east/guidance/{c1.id}/files/{a1.id}")
    assert download.status_code == 200 and download.data == PDF
    # The other base's file is not reachable through this base.
    assert j.ent1.get(f"/t/lc-east/guidance/{c1.id}/files/{a2.id}").status_code == 404
    assert j.ent1.get(f"/t/lc-east/guidance/{c2.id}").status_code == 404

    # Two users of one enterprise and one of the other base read it.
    for client, url in ((j.ent1, f"/t/lc-east/guidance/{c1.id}"), (j.ent1b, f"/t/lc-east/guidance/{c1.id}"),
                        (j.ent2, f"/t/lc-west/guidance/{c2.id}")):
        assert client.get(url).status_code == 200
    assert count(j.t1.id, PublicationRead) == 2 and count(j.t2.id, PublicationRead) == 1
    page = text(j.rev.get(f"/bureau/guidance/{bid}"))
    east = page.split('data-base="lc-east"', 1)[1].split("</tr>", 1)[0]
    west = page.split('data-base="lc-west"', 1)[1].split("</tr>", 1)[0]
    assert 'data-read="2"' in east and ">3<" in east  # two of three members
    assert 'data-read="1"' in west and ">2<" in west
    assert "lc-far" not in page and "外市园区" not in page
    assert "指引.pdf" in page
    bureau_file = j.rev.get(f"/bureau/guidance/{bid}/files/{a1.id}")
    assert bureau_file.status_code == 200 and bureau_file.data == PDF
    assert "阿胶行业商业秘密保护指引" in text(j.rev.get("/bureau/guidance/"))
    # The base's own publisher sees who of its members read it, as for its own guidance.
    assert "阿胶企业0" in text(j.staff1.get(f"/t/lc-east/guidance/{c1.id}/readers")).split("readers-read", 1)[1]


def test_withdrawing_withdraws_everywhere_and_only_the_bureau_can(jurisdiction):
    j = jurisdiction
    bid = publish(j.rev)
    c1, c2 = copy_of(j.t1.id, bid), copy_of(j.t2.id, bid)
    # The base cannot withdraw the bureau's copy on its own.
    assert j.staff1.post(f"/t/lc-east/guidance/{c1.id}/withdraw").status_code == 200
    assert copy_of(j.t1.id, bid).withdrawn_at is None
    # The bureau asks first, then withdraws every copy.
    assert j.rev.get(f"/bureau/guidance/{bid}/withdraw").status_code == 200
    assert copy_of(j.t1.id, bid).withdrawn_at is None
    assert j.rev.post(f"/bureau/guidance/{bid}/withdraw").status_code == 302
    assert copy_of(j.t1.id, bid).withdrawn_at is not None and copy_of(j.t2.id, bid).withdrawn_at is not None
    db.session.rollback()
    assert db.session.get(BureauPublication, bid).withdrawn_at is not None
    assert j.ent1.get(f"/t/lc-east/guidance/{c1.id}").status_code == 404
    assert j.ent2.get(f"/t/lc-west/guidance/{c2.id}").status_code == 404
    assert "阿胶行业" not in text(j.ent1.get("/t/lc-east/"))
    # Again: nothing more to do.
    assert j.rev.post(f"/bureau/guidance/{bid}/withdraw").status_code == 200


def test_other_bureaus_and_base_users_have_no_reach(jurisdiction):
    j = jurisdiction
    bid = publish(j.rev)
    assert j.far.get(f"/bureau/guidance/{bid}").status_code == 404
    assert j.far.post(f"/bureau/guidance/{bid}/withdraw").status_code == 404
    assert j.staff1.get("/bureau/guidance/").status_code == 403
    assert j.staff1.post("/bureau/guidance/new", data={"title": "x", "kind": "notice", "body": "x"}).status_code == 403
    assert j.ent1.get(f"/bureau/guidance/{bid}").status_code == 403
    assert "阿胶行业" not in text(j.staff3.get("/t/far/guidance/"))
    assert count(j.t3.id, Publication) == 0


def test_bureau_page_sql_is_constant(jurisdiction, make):
    j = jurisdiction
    bid = publish(j.rev)
    j.rev.get(f"/bureau/guidance/{bid}")
    with statements() as small:
        assert j.rev.get(f"/bureau/guidance/{bid}").status_code == 200
    district = make.bureau("聊城南区市场监督管理局", level="district", parent=j.t1.bureau.parent)
    for n in range(4):
        make.enterprise(make.tenant(slug=f"lc-more-{n}", bureau=district))
    bid = publish(j.rev, title="第二份")
    j.rev.get(f"/bureau/guidance/{bid}")
    with statements() as large:
        response = j.rev.get(f"/bureau/guidance/{bid}")
    assert text(response).count("data-base=") == 6
    assert len(large) == len(small), large
