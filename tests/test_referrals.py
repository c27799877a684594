"""Complaint referral (LC-3, issue 21): a complaint of the station ledger is referred to the
base's bureau with the facts the station chooses, the bureau moves it received → accepted →
investigated → closed (or declines it) on its workbench, and the outcome flows back to the
ledger entry. Only the chosen facts leave; one referral per entry; moves in order, compare-and-set;
reviewers of another bureau and users of another tenant get 404."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from html import unescape
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from saas.auth.models import User
from saas.extensions import db
from saas.notifications import Notification
from saas.tenancy import tenant_scope
from tenants.referrals.models import Referral, ReferralEvent
from tenants.stations.models import ServiceLog, Station

from .sql import statements

TODAY = date.today()
ITEM = re.compile(r'href="/t/([\w-]+)/referrals/(\d+)"')


def text(response) -> str:
    return response.get_data(as_text=True)


def visible(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", text(response), flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


@contextmanager
def reading(tenant_id):
    db.session.rollback()
    with tenant_scope(tenant_id):
        yield db.session


def _entry(tenant_id, category="complaint", **fields) -> int:
    with tenant_scope(tenant_id):
        station = db.session.scalar(sa.select(Station))
        row = ServiceLog(served_on=fields.pop("served_on", TODAY - timedelta(days=3)), station_id=station.id,
                         category=category, case_status="received" if category == "complaint" else None,
                         handled_by=fields.pop("handled_by", "李晓梅"), **fields)
        db.session.add(row)
        db.session.commit()
        return row.id


@pytest.fixture
def world(make, login_as):
    """A city over two districts; the park under the first district with a station, a member
    enterprise (with its liaison) and a complaint in its ledger; a base of the other district;
    reviewers of the district, the city, the other district and another city."""
    city = make.bureau("转办测试市市场监督管理局", level="city")
    district = make.bureau("转办甲区市场监督管理局", level="district", parent=city)
    sibling = make.bureau("转办乙区市场监督管理局", level="district", parent=city)
    elsewhere = make.bureau("转办外市市场监督管理局", level="city")
    park = make.tenant(slug="park", name="甲区示范园区", bureau=district, default_locale="en")
    other = make.tenant(slug="other", name="乙区产业园", bureau=sibling, default_locale="en")
    make.user("admin@example.com", name="园区管理员", tenant=park, role="admin")
    make.user("staff@example.com", name="指导站工作人员", tenant=park, role="staff")
    make.user("ins@example.com", name="指导员", tenant=park, role="instructor")
    make.user("other-admin@example.com", name="乙区管理员", tenant=other, role="admin")
    for email, name, bureau in (("dist@example.com", "甲区审核员", district), ("city@example.com", "市审核员", city),
                                ("sib@example.com", "乙区审核员", sibling), ("far@example.com", "外市审核员", elsewhere)):
        make.user(email, name=name, bureau=bureau, bureau_role="reviewer").locale = "en"
    db.session.commit()
    enterprise_id = make.enterprise(park, name="光谷精密制造有限公司", liaison="周联络")
    with tenant_scope(park.id):
        db.session.add(Station(name="甲区商业秘密保护指导站"))
        db.session.commit()
    for tenant in (other,):
        with tenant_scope(tenant.id):
            db.session.add(Station(name="乙区指导站"))
            db.session.commit()
    complaint = _entry(park.id, enterprise_id=enterprise_id, summary="员工离职带走工艺图纸的投诉线索",
                       follow_up="open", follow_up_due=TODAY + timedelta(days=10))
    return SimpleNamespace(
        make=make, park=park, other=other, district=district, city=city, enterprise_id=enterprise_id,
        complaint=complaint, admin=login_as("admin@example.com"), staff=login_as("staff@example.com"),
        ins=login_as("ins@example.com"), other_admin=login_as("other-admin@example.com"),
        dist=login_as("dist@example.com"), cityrev=login_as("city@example.com"), sib=login_as("sib@example.com"),
        far=login_as("far@example.com"))


FORM = {"summary": "员工离职带走工艺图纸，涉嫌侵犯商业秘密", "send_enterprise": "y", "enterprise_name": "光谷精密制造有限公司",
        "send_received_on": "y", "received_on": (TODAY - timedelta(days=3)).isoformat(),
        "request": "请依法调查并告知处理结果", "contact": "周联络 13900001111"}


def refer(client, log_id, confirmed=True, **changes):
    data = {**FORM, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    if confirmed:
        data["confirmed"] = "1"
    return client.post(f"/t/park/referrals/refer/{log_id}", data=data)


def referral_id(response) -> int:
    assert response.status_code == 302, response.status_code
    found = re.search(r"/t/park/referrals/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def move(client, rid, to, expected, note=""):
    return client.post(f"/t/park/referrals/{rid}/move", query_string={"to": to},
                       data={"expected": expected, "note": note})


def status_of(tenant_id, rid) -> str:
    with reading(tenant_id):
        return db.session.get(Referral, rid).status


def notices(email) -> list[str]:
    db.session.rollback()
    user = User.by_email(email)
    return list(db.session.scalars(sa.select(Notification.text).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


# --- the journey of "Done means" ----------------------------------------------------------------

def test_a_complaint_referred_from_a_station_is_closed_by_the_bureau_and_the_station_sees_the_outcome(world):
    # The ledger entry offers to refer it; the form is filled from the entry.
    entry_page = text(world.admin.get(f"/t/park/stations/log/{world.complaint}"))
    assert f"/t/park/referrals/refer/{world.complaint}" in entry_page
    form = text(world.admin.get(f"/t/park/referrals/refer/{world.complaint}"))
    assert "员工离职带走工艺图纸的投诉线索" in form and "光谷精密制造有限公司" in form and "转办甲区市场监督管理局" in form
    # First what will be sent, then sent.
    check = refer(world.admin, world.complaint, confirmed=False)
    assert check.status_code == 200 and "Check what will be sent" in visible(check)
    assert "请依法调查并告知处理结果" in visible(check)
    with reading(world.park.id):
        assert db.session.scalar(sa.select(sa.func.count(Referral.id))) == 0  # nothing sent by looking
    rid = referral_id(refer(world.admin, world.complaint))
    with reading(world.park.id):
        assert db.session.get(ServiceLog, world.complaint).case_status == "referred"
    assert any("referred a complaint" in n for n in notices("dist@example.com"))

    # The district reviewer finds it on the workbench, to do.
    bench = text(world.dist.get("/workbench/"))
    assert ("park", str(rid)) in ITEM.findall(bench) and "Complaint referred by a station" in bench
    page = visible(world.dist.get(f"/t/park/referrals/{rid}"))
    assert "员工离职带走工艺图纸，涉嫌侵犯商业秘密" in page and "Received by the bureau" in page

    assert move(world.dist, rid, "accepted", "received", "已受理").status_code == 302
    assert move(world.dist, rid, "investigated", "accepted", "已现场核查").status_code == 302
    assert move(world.dist, rid, "closed", "investigated", "经调查属实，已责令停止侵权并处罚款。").status_code == 302
    assert status_of(world.park.id, rid) == "closed"

    # The station sees the outcome on its ledger entry, whose follow-up is closed with it.
    entry_page = visible(world.admin.get(f"/t/park/stations/log/{world.complaint}"))
    assert "经调查属实，已责令停止侵权并处罚款。" in entry_page and "Closed" in entry_page
    with reading(world.park.id):
        entry = db.session.get(ServiceLog, world.complaint)
        assert (entry.case_status, entry.follow_up) == ("closed", "done")
        assert entry.outcome == "经调查属实，已责令停止侵权并处罚款。"
        history = [(e.from_status, e.to_status) for e in db.session.scalars(
            sa.select(ReferralEvent).where(ReferralEvent.referral_id == rid).order_by(ReferralEvent.id))]
        assert history == [("", "received"), ("received", "accepted"), ("accepted", "investigated"),
                           ("investigated", "closed")]
        # The audit log has every status change of the referral too, by the reviewer.
        from saas.audit import AuditEvent

        audited = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.object_type == "Referral", AuditEvent.object_id == rid, AuditEvent.action == "status")
            .order_by(AuditEvent.id)).all()
        assert [e.changes["status"][1] for e in audited] == ["accepted", "investigated", "closed"]
        assert {e.user_id for e in audited} == {User.by_email("dist@example.com").id}
    # The station's admins and staff heard of every move; it is done for the reviewer.
    for email in ("admin@example.com", "staff@example.com"):
        assert len([n for n in notices(email) if "Complaint referred to the bureau" in n]) == 3
    assert ("park", str(rid)) not in ITEM.findall(text(world.dist.get("/workbench/")))
    assert ("park", str(rid)) in ITEM.findall(text(world.dist.get("/workbench/?tab=done")))
    listing = visible(world.staff.get("/t/park/referrals/"))
    assert "Closed" in listing and "甲区商业秘密保护指导站" in listing


# --- what leaves the tenant ---------------------------------------------------------------------

def test_only_the_chosen_facts_leave_and_the_copy_does_not_follow_later_edits(world):
    rid = referral_id(refer(world.admin, world.complaint, send_enterprise=None, send_received_on=None))
    page = visible(world.dist.get(f"/t/park/referrals/{rid}"))
    assert "员工离职带走工艺图纸，涉嫌侵犯商业秘密" in page and "请依法调查并告知处理结果" in page
    # Unticked, or never ticked: not sent, not shown — nor the rest of the ledger entry.
    for absent in ("光谷精密制造有限公司", "13900001111", "周联络", "员工离职带走工艺图纸的投诉线索", "李晓梅",
                   "Enterprise concerned", "Date received", "Complainant's contact"):
        assert absent not in page, absent
    with reading(world.park.id):
        referral = db.session.get(Referral, rid)
        assert (referral.enterprise_name, referral.received_on, referral.contact) == ("", None, "")
        # Editing the ledger entry afterwards does not change what the bureau received.
        db.session.get(ServiceLog, world.complaint).summary = "改写后的台账摘要"
        db.session.commit()
    page = visible(world.dist.get(f"/t/park/referrals/{rid}"))
    assert "员工离职带走工艺图纸，涉嫌侵犯商业秘密" in page and "改写后的台账摘要" not in page


def test_the_contact_leaves_only_when_ticked(world):
    second = _entry(world.park.id, enterprise_id=world.enterprise_id, summary="第二条投诉")
    rid = referral_id(refer(world.admin, second, send_contact="y"))
    page = visible(world.dist.get(f"/t/park/referrals/{rid}"))
    assert "周联络 13900001111" in page and "光谷精密制造有限公司" in page
    # A ticked box with nothing in it is an error, not an empty fact.
    third = _entry(world.park.id, enterprise_id=world.enterprise_id, summary="第三条投诉")
    response = refer(world.admin, third, send_contact="y", contact="")
    assert response.status_code == 200 and "Give the complainant&#39;s contact" in text(response)
    response = refer(world.admin, third, request="")
    assert response.status_code == 200
    with reading(world.park.id):
        assert db.session.scalar(sa.select(sa.func.count(Referral.id))) == 1


def test_only_complaints_can_be_referred(world):
    consultation = _entry(world.park.id, category="consultation", enterprise_id=world.enterprise_id, summary="咨询")
    assert f"/referrals/refer/{consultation}" not in text(world.admin.get(f"/t/park/stations/log/{consultation}"))
    for response in (world.admin.get(f"/t/park/referrals/refer/{consultation}"), refer(world.admin, consultation)):
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/stations/log/{consultation}")
    follow = world.admin.get(f"/t/park/stations/log/{consultation}")
    assert "Only an infringement complaint can be referred" in visible(follow)
    with reading(world.park.id):
        assert db.session.scalar(sa.select(sa.func.count(Referral.id))) == 0


def test_a_complaint_is_referred_once_even_by_thirty_simultaneous_posts(world):
    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda _i: refer(world.admin, world.complaint).status_code, range(30)))
    assert set(statuses) == {302}, statuses
    with reading(world.park.id):
        assert db.session.scalar(sa.select(sa.func.count(Referral.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(ReferralEvent.id))) == 1
    # A later attempt (a second tab) leads to the referral made, and says so.
    again = refer(world.staff, world.complaint, summary="再次提交")
    rid = referral_id(again)
    with reading(world.park.id):
        assert db.session.get(Referral, rid).summary == FORM["summary"]
    assert len([n for n in notices("dist@example.com") if "referred a complaint" in n]) == 1


# --- who sees it --------------------------------------------------------------------------------

def test_reviewers_of_the_bureau_and_above_see_it_others_get_404(world):
    rid = referral_id(refer(world.admin, world.complaint))
    assert world.dist.get(f"/t/park/referrals/{rid}").status_code == 200
    assert world.cityrev.get(f"/t/park/referrals/{rid}").status_code == 200  # a bureau above
    for client in (world.sib, world.far, world.other_admin):
        assert client.get(f"/t/park/referrals/{rid}").status_code == 404
        assert move(client, rid, "accepted", "received").status_code == 404
    # Another tenant's slug with this id: not theirs either.
    assert world.other_admin.get(f"/t/other/referrals/{rid}").status_code == 404
    withdrawal = world.other_admin.post(f"/t/other/referrals/{rid}/withdraw", data={"expected": "received"})
    assert withdrawal.status_code == 404
    assert world.other_admin.get(f"/t/other/referrals/refer/{world.complaint}").status_code == 404
    assert world.sib.get(f"/t/other/referrals/{rid}").status_code == 404
    assert status_of(world.park.id, rid) == "received"
    # The case is in the city's "all", the district's "to do", nobody else's list.
    assert ("park", str(rid)) in ITEM.findall(text(world.cityrev.get("/workbench/?tab=all")))
    assert ("park", str(rid)) not in ITEM.findall(text(world.cityrev.get("/workbench/")))
    for client in (world.sib, world.far):
        for tab in ("todo", "all"):
            assert ("park", str(rid)) not in ITEM.findall(text(client.get(f"/workbench/?tab={tab}")))


def test_roles_inside_the_tenant(world):
    rid = referral_id(refer(world.staff, world.complaint))
    assert world.ins.get(f"/t/park/referrals/{rid}").status_code == 403  # the instructor: not theirs to read
    assert world.ins.get(f"/t/park/referrals/refer/{world.complaint}").status_code == 403
    assert move(world.admin, rid, "accepted", "received").status_code == 403  # only the bureau moves it
    assert world.dist.post(f"/t/park/referrals/{rid}/withdraw", data={"expected": "received"}).status_code == 403
    assert world.dist.get(f"/t/park/referrals/refer/{world.complaint}").status_code == 403
    assert status_of(world.park.id, rid) == "received"


# --- moves in order, compare-and-set -------------------------------------------------------------

def test_status_moves_in_order_only_and_a_stale_page_changes_nothing(world):
    rid = referral_id(refer(world.admin, world.complaint))
    # Out of order: refused, nothing moves.
    for to in ("investigated", "closed", "withdrawn", "bogus"):
        move(world.dist, rid, to, "received", "x")
        assert status_of(world.park.id, rid) == "received", to
    assert move(world.dist, rid, "accepted", "received", "已受理").status_code == 302
    # A second reviewer's page still says "received": the same click changes nothing.
    stale = move(world.cityrev, rid, "accepted", "received", "重复受理")
    assert stale.status_code == 302
    assert "moved on meanwhile" in visible(world.cityrev.get(stale.headers["Location"]))
    # Nor can a stale page jump on from an earlier status.
    move(world.cityrev, rid, "declined", "received", "不予受理")
    assert status_of(world.park.id, rid) == "accepted"
    # Closing needs the outcome; it cannot skip the investigation.
    move(world.dist, rid, "closed", "accepted", "结果")
    assert status_of(world.park.id, rid) == "accepted"
    move(world.dist, rid, "investigated", "accepted")
    response = move(world.dist, rid, "closed", "investigated", "")
    assert response.status_code == 200 and "Record the outcome" in visible(response)
    assert status_of(world.park.id, rid) == "investigated"
    # Withdrawal is the station's, and only while received.
    assert world.admin.post(f"/t/park/referrals/{rid}/withdraw",
                            data={"expected": "investigated", "typed": "光谷精密制造有限公司"}).status_code == 302
    assert status_of(world.park.id, rid) == "investigated"
    with reading(world.park.id):
        assert db.session.scalar(sa.select(sa.func.count(ReferralEvent.id)).where(
            ReferralEvent.referral_id == rid)) == 3  # received, accepted, investigated


def test_decline_needs_a_reason_and_withdrawal_while_received(world):
    rid = referral_id(refer(world.admin, world.complaint))
    confirm = world.admin.get(f"/t/park/referrals/{rid}/withdraw")
    assert confirm.status_code == 200 and "Withdraw this referral?" in visible(confirm)
    # It cannot be undone: the enterprise's name is typed back, checked here on the server.
    assert 'name="typed"' in text(confirm) and "光谷精密制造有限公司" in visible(confirm)
    for typed in ({}, {"typed": "光谷精密"}):
        assert world.admin.post(f"/t/park/referrals/{rid}/withdraw",
                                data={"expected": "received", **typed}).status_code == 422
    assert status_of(world.park.id, rid) == "received"
    assert world.admin.post(f"/t/park/referrals/{rid}/withdraw",
                            data={"expected": "received", "typed": "光谷精密制造有限公司"}).status_code == 302
    assert status_of(world.park.id, rid) == "withdrawn"
    with reading(world.park.id):
        assert db.session.get(ServiceLog, world.complaint).case_status == "received"
    assert any("withdrew a referred complaint" in n for n in notices("dist@example.com"))
    # Withdrawn: out of the bureau's lists.
    assert ("park", str(rid)) not in ITEM.findall(text(world.dist.get("/workbench/?tab=all")))

    second = _entry(world.park.id, enterprise_id=world.enterprise_id, summary="另一条投诉")
    rid2 = referral_id(refer(world.admin, second))
    response = move(world.dist, rid2, "declined", "received", "")
    assert response.status_code == 200 and "Give the reason for declining" in visible(response)
    move(world.dist, rid2, "declined", "received", "不属于本局管辖，请向市局反映")
    assert status_of(world.park.id, rid2) == "declined"
    page = visible(world.admin.get(f"/t/park/stations/log/{second}"))
    assert "不属于本局管辖，请向市局反映" in page and "Reason for declining" in page
    # Once taken up, the station can no longer withdraw it.
    assert "can no longer be withdrawn" in visible(world.admin.get(f"/t/park/referrals/{rid2}/withdraw"))


# --- the workbench --------------------------------------------------------------------------------

def test_the_workbench_counts_and_filters_referrals(world):
    rid = referral_id(refer(world.admin, world.complaint))
    second = _entry(world.park.id, enterprise_id=world.enterprise_id, summary="另一条投诉")
    rid2 = referral_id(refer(world.admin, second))
    move(world.dist, rid2, "declined", "received", "不属于本局管辖")

    def counts(client, **query):
        page = text(client.get("/workbench/", query_string=query))
        return {tab: int(n) for tab, n in re.findall(r'data-count="(\w+)">(\d+)<', page)}

    assert counts(world.dist) == {"todo": 1, "done": 1, "all": 2}
    assert counts(world.cityrev) == {"todo": 0, "done": 0, "all": 2}
    # The stage filter: with the bureau (open) vs decided.
    assert set(ITEM.findall(text(world.dist.get("/workbench/?tab=all&stage=referral")))) == {("park", str(rid))}
    assert set(ITEM.findall(text(world.dist.get("/workbench/?tab=all&stage=decided")))) == {("park", str(rid2))}
    # A scheme filter leaves referrals out (they have none).
    assert not ITEM.findall(text(world.dist.get("/workbench/?tab=all&scheme=cq-park")))
    # The top bar's pending badge counts the referral waiting.
    from tenants.workbench.service import pending

    assert pending(User.by_email("dist@example.com")) == 1


def _referrals(make, district, n: int, reviewer_id: int) -> None:
    """n bases of the district, each with a complaint referred and one the reviewer accepted."""
    for k in range(n):
        tenant = make.tenant(slug=f"ref-{n}-{k}", bureau=district)
        with tenant_scope(tenant.id):
            station = Station(name=f"指导站{k}")
            db.session.add(station)
            db.session.flush()
            for status in ("received", "accepted"):
                entry = ServiceLog(served_on=TODAY, station_id=station.id, category="complaint",
                                   case_status="referred", non_member="某公司", summary="投诉")
                db.session.add(entry)
                db.session.flush()
                referral = Referral(service_log_id=entry.id, bureau_id=district.id, status=status,
                                    station_name=station.name, summary="投诉", request="调查")
                db.session.add(referral)
                db.session.flush()
                db.session.add(ReferralEvent(referral_id=referral.id, to_status="received"))
                if status == "accepted":
                    db.session.add(ReferralEvent(referral_id=referral.id, from_status="received",
                                                 to_status="accepted", user_id=reviewer_id))
            db.session.commit()


@pytest.mark.parametrize("tab", ["todo", "done", "all"])
def test_the_workbench_lists_referrals_with_a_constant_number_of_statements(make, login_as, uncached, tab):
    sizes = {}
    for n in (2, 12):
        district = make.bureau(f"转办常数区{n}", level="district")
        reviewer = make.user(f"ref{n}@example.com", bureau=district, bureau_role="reviewer")
        _referrals(make, district, n, reviewer.id)
        client = login_as(f"ref{n}@example.com")
        client.get("/workbench/", query_string={"tab": tab})  # warm-up
        with statements() as seen:
            response = client.get("/workbench/", query_string={"tab": tab})
        assert response.status_code == 200
        sizes[n] = len(seen)
        expected = {"todo": 2 * n, "done": n, "all": 2 * n}
        assert len(set(ITEM.findall(text(response)))) == expected[tab]
        assert {t: int(c) for t, c in re.findall(r'data-count="(\w+)">(\d+)<', text(response))} == expected
    assert sizes[2] == sizes[12], sizes


def test_the_workbench_api_lists_referrals_as_documented(world, client):
    import jsonschema

    from saas.api import tokens as api_tokens
    from saas.api.openapi import document

    rid = referral_id(refer(world.admin, world.complaint))
    _t, raw = api_tokens.issue(User.by_email("dist@example.com"), db.session.merge(world.park), "workbench")
    db.session.commit()
    body = client.get(f"/api/v1/bureaus/{world.district.id}/workbench", headers={"Authorization": f"Bearer {raw}"},
                      query_string={"stage": "referral"}).get_json()
    assert [(i["kind"], i["id"]) for i in body["items"]] == [("referral", rid)]
    item = body["items"][0]
    assert item["url"] == f"/t/park/referrals/{rid}" and item["unit"] == "甲区商业秘密保护指导站"
    assert item["status"] == "received" and item["stage"] and item["kind_label"]
    spec = document()
    schema = {**spec["components"]["schemas"]["WorkbenchItem"], "components": spec["components"]}
    jsonschema.validate(item, schema)


@pytest.mark.parametrize("value", ["", "\x0b", "a\x1fb", "9" * 5000, "2025-13-45", "<script>alert(1)</script>",
                                   "x" * 20000, "=HYPERLINK(\"http://x\",\"y\")"])
def test_absurd_values_are_refused_or_kept_inert_never_a_server_error(world, value):
    fields = ("summary", "enterprise_name", "received_on", "request", "contact", "send_contact")
    for name in fields:
        response = refer(world.admin, world.complaint, **{name: value})
        assert response.status_code in (200, 302), (name, response.status_code)
        assert "<script>alert(1)</script>" not in text(response)
    with reading(world.park.id):
        rid = db.session.scalar(sa.select(Referral.id))
    if rid is None:
        rid = referral_id(refer(world.admin, world.complaint))
    for data in ({"expected": value, "note": "x"}, {"expected": "received", "note": value}):
        for to in ("accepted", "declined", value):
            response = world.dist.post(f"/t/park/referrals/{rid}/move", query_string={"to": to}, data=data)
            assert response.status_code in (200, 302), (data, to, response.status_code)
    page = text(world.dist.get(f"/t/park/referrals/{rid}"))
    assert "<script>alert(1)</script>" not in page
