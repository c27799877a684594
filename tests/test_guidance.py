"""Published guidance (LC-4): a base publishes notices, sector guidelines and typical cases to its
member enterprises; they see them on their home page; the base sees who has read them."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from saas.auth.services import grant
from saas.extensions import db
from saas.files import Attachment
from tenants.guidance.models import Publication, PublicationRead

from .sql import statements
from .test_members import EXE, PDF, count, reading, text


@pytest.fixture
def base(make, login_as):
    tenant = make.tenant(slug="guide-park")
    make.user("admin@example.com", tenant=tenant, role="admin")
    make.user("staff@example.com", tenant=tenant, role="staff")
    first = make.enterprise(tenant, name="甲企业")
    second = make.enterprise(tenant, name="乙企业")
    grant(make.user("ent@example.com"), tenant, "enterprise", first)
    db.session.commit()
    return SimpleNamespace(tenant=tenant, url=f"/t/{tenant.slug}/guidance", first=first, second=second,
                           admin=login_as("admin@example.com"), staff=login_as("staff@example.com"),
                           ent=login_as("ent@example.com"))


def publish(client, url, title="关于加强商业秘密保护的通知", files=(), **extra):
    data = {"title": title, "kind": "notice", "sector": "", "body": "第一行\n<b>第二行</b>", **extra}
    if files:
        data["files"] = list(files)
    response = client.post(f"{url}/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, text(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_publish_with_an_attachment_and_members_see_it_on_their_home_page(base):
    pid = publish(base.staff, base.url, files=[(io.BytesIO(PDF), "保护指引.pdf")])
    page = text(base.admin.get(f"{base.url}/{pid}"))
    # Plain text: escaped, its line breaks kept.
    assert "第一行<br>&lt;b&gt;第二行&lt;/b&gt;" in page and "<b>第二行" not in page
    assert "保护指引.pdf" in page
    assert count(base.tenant.id, Attachment, Attachment.owner_type == "publication", Attachment.owner_id == pid) == 1
    with reading(base.tenant.id) as s:
        attachment_id = s.scalar(sa.select(Attachment.id).where(Attachment.owner_id == pid,
                                                                Attachment.owner_type == "publication"))
    download = base.ent.get(f"{base.url}/{pid}/files/{attachment_id}")
    assert download.status_code == 200 and download.data == PDF
    # Another owner's number under this publication is not its file.
    assert base.ent.get(f"{base.url}/{pid + 1}/files/{attachment_id}").status_code == 404

    home = text(base.ent.get(f"/t/{base.tenant.slug}/"))
    assert "关于加强商业秘密保护的通知" in home and "guidance-latest" in home
    assert home.count("text-bg-primary") == 1  # marked unread
    # Opening it marks it read, once: two requests, one row.
    assert base.ent.get(f"{base.url}/{pid}").status_code == 200
    assert base.ent.get(f"{base.url}/{pid}").status_code == 200
    assert count(base.tenant.id, PublicationRead, PublicationRead.publication_id == pid) == 1
    assert "text-bg-primary" not in text(base.ent.get(f"/t/{base.tenant.slug}/"))
    # Staff opening it is not a member's reading.
    base.staff.get(f"{base.url}/{pid}")
    assert count(base.tenant.id, PublicationRead, PublicationRead.publication_id == pid) == 1


def test_a_refused_file_publishes_nothing(base):
    response = base.admin.post(f"{base.url}/new", content_type="multipart/form-data",
                               data={"title": "通知", "kind": "notice", "body": "正文",
                                     "files": [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(EXE), "b.exe")]})
    assert response.status_code == 200 and "不支持此类型的文件。" in text(response)  # said at the field
    assert count(base.tenant.id, Publication) == 0 and count(base.tenant.id, Attachment) == 0


def test_the_publisher_sees_who_has_read_it(base):
    pid = publish(base.admin, base.url)
    base.ent.get(f"{base.url}/{pid}")
    page = text(base.admin.get(f"{base.url}/{pid}/readers"))
    assert "1 家联系企业已阅读，1 家未阅读" in page or "1 member enterprises have read it, 1 have not" in page
    read, unread = page.split("readers-read", 1)[1].split("readers-unread", 1)
    assert "甲企业" in read and "乙企业" not in read and "乙企业" in unread
    assert base.ent.get(f"{base.url}/{pid}/readers").status_code == 403


def test_an_enterprise_user_cannot_publish_or_withdraw(base):
    assert base.ent.get(f"{base.url}/new").status_code == 403
    assert base.ent.post(f"{base.url}/new", data={"title": "x", "kind": "notice", "body": "x"}).status_code == 403
    pid = publish(base.admin, base.url)
    assert base.ent.post(f"{base.url}/{pid}/withdraw").status_code == 403
    assert count(base.tenant.id, Publication, Publication.withdrawn_at.is_(None)) == 1


def test_staff_of_another_tenant_gets_404(base, make, login_as):
    pid = publish(base.admin, base.url)
    other = make.tenant(slug="other-park")
    make.user("other@example.com", tenant=other, role="staff")
    client = login_as("other@example.com")
    for path in (f"{pid}", f"{pid}/readers", f"{pid}/withdraw"):
        assert client.get(f"/t/{other.slug}/guidance/{path}").status_code == 404
        assert client.get(f"{base.url}/{path}").status_code == 404
    assert client.post(f"/t/{other.slug}/guidance/{pid}/withdraw").status_code == 404
    assert "关于加强" not in text(client.get(f"/t/{other.slug}/guidance/"))


def test_withdrawing_hides_it_from_members(base):
    pid = publish(base.admin, base.url)
    assert "Withdraw" in text(base.admin.get(f"{base.url}/{pid}/withdraw")) or \
        "撤回" in text(base.admin.get(f"{base.url}/{pid}/withdraw"))
    assert count(base.tenant.id, Publication, Publication.withdrawn_at.is_(None)) == 1  # GET asks only
    assert base.admin.post(f"{base.url}/{pid}/withdraw").status_code == 302
    assert base.ent.get(f"{base.url}/{pid}").status_code == 404
    assert "关于加强" not in text(base.ent.get(f"{base.url}/"))
    assert "关于加强" not in text(base.ent.get(f"/t/{base.tenant.slug}/"))
    # The publisher keeps it, marked, and its readers.
    assert "关于加强" in text(base.admin.get(f"{base.url}/"))
    assert base.admin.get(f"{base.url}/{pid}/readers").status_code == 200


def test_list_filters_searches_and_pages(base):
    assert "empty-state" in text(base.ent.get(f"{base.url}/"))
    publish(base.admin, base.url, title="通知一")
    publish(base.admin, base.url, title="典型案例一", kind="case")
    publish(base.admin, base.url, title="电子行业指引", kind="guideline", sector="电子信息")
    page = text(base.ent.get(f"{base.url}/"))
    assert page.index("电子行业指引") < page.index("典型案例一") < page.index("通知一")  # newest first
    cases = text(base.ent.get(f"{base.url}/", query_string={"kind": "case"}))
    assert "典型案例一" in cases and "通知一" not in cases
    found = text(base.ent.get(f"{base.url}/", query_string={"q": "电子信息"}))
    assert "电子行业指引" in found and "通知一" not in found
    assert "empty-state" in text(base.ent.get(f"{base.url}/", query_string={"q": "100%_"}))
    assert base.ent.get(f"{base.url}/", query_string={"kind": "x", "page": "zz"}).status_code == 200


def test_readers_page_sql_is_constant(base, make):
    pid = publish(base.admin, base.url)
    base.ent.get(f"{base.url}/{pid}")
    url = f"{base.url}/{pid}/readers"
    base.admin.get(url)  # warm-up
    with statements() as small:
        assert base.admin.get(url).status_code == 200
    for n in range(18):
        make.enterprise(base.tenant, name=f"成员{n}")
    with statements() as large:
        response = base.admin.get(url)
    assert text(response).count("<li>") >= 20
    assert len(large) == len(small), large
