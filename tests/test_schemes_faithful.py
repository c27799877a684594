"""The schemes read side by side with their sources (issue 19, "make the schemes faithful to the
seeds"): for each item that was not, the data a sentence of the source describes is built on
the real stack (database, metrics service, pages) and the item's status and points are checked.
The sentence is quoted above each test. Scheme data in general is in test_schemes.py, the
readiness pages in test_readiness.py.
"""

from __future__ import annotations

import html
import io
import re
import textwrap
from contextlib import contextmanager
from datetime import date
from types import SimpleNamespace

import pytest

from saas.auth.services import grant
from saas.extensions import db
from saas.tenancy import tenant_scope
from tenants.members.checklists import CORE_ITEMS
from tenants.members.models import ChecklistItem, Enterprise, SurveyYear
from tenants.metrics.service import enterprise_metrics, station_metrics, tenant_metrics
from tenants.recognition import services as units
from tenants.recognition.models import UnitApplication
from tenants.schemes.loader import SchemeError, load_all
from tenants.schemes.scoring import MET, NEEDS_EVIDENCE, NOT_MET, OVERRIDDEN, UNDECLARED, evaluate
from tenants.stations.models import ServiceLog, Station
from tenants.training.coverage import Period
from tenants.training.models import Attendance, TrainingEvent
from tenants.visits.models import GuidanceVisit, InstructorEnterprise, VisitInstructor

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
Y = date.today().year


@pytest.fixture
def base(make, login_as):
    """A park (English pages) under a district bureau that names no region (every scheme is
    offered), its admin, a reviewer of the bureau, and a member with its own enterprise user."""
    district = make.bureau("测试区市场监督管理局", level="district")
    tenant = make.tenant(slug="park", name="示范园区", default_locale="en", bureau=district)
    make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    make.user("reviewer@example.com", name="审核员", bureau=district, bureau_role="reviewer")
    eid = make.enterprise(tenant, name="光谷精密制造有限公司", employees=120, joined_on=date(Y - 3, 1, 1))
    grant(make.user("ent@example.com", name="企业用户"), tenant, "enterprise", eid)
    db.session.commit()
    return SimpleNamespace(tenant=tenant, id=tenant.id, eid=eid, admin=login_as("admin@example.com"),
                           reviewer=login_as("reviewer@example.com"), enterprise=login_as("ent@example.com"))


@contextmanager
def scope(tenant_id):
    db.session.rollback()
    with tenant_scope(tenant_id):
        yield db.session


def in_place(tenant_id, enterprise_id, *codes):
    with scope(tenant_id) as s:
        s.add_all([ChecklistItem(enterprise_id=enterprise_id, code=c, state="in_place") for c in codes])
        s.commit()


def scheme(app, code):
    return app.extensions["schemes"][code]


def item(result, code):
    return next(r for g in result.groups for r in g.items if r.item.code == code)


def of(result, code) -> tuple[str, float]:
    r = item(result, code)
    return r.status, r.points


def for_enterprise(app, tenant_id, code, enterprise_id, declarations=None, evidence=None, year=Y):
    """An enterprise scheme evaluated on the enterprise's records (the metrics service)."""
    with scope(tenant_id):
        metrics = enterprise_metrics(year)[enterprise_id]
    return evaluate(scheme(app, code), metrics, declarations, evidence)


def for_tenant(app, tenant_id, code, declarations=None, evidence=None, year=Y):
    with scope(tenant_id):
        metrics = tenant_metrics(Period.year(year))
    return evaluate(scheme(app, code), metrics, declarations, evidence)


def declared(met=True, override=None):
    return SimpleNamespace(met=met, override_points=override, note="", override_note="")


EVIDENCE = [SimpleNamespace(id=1, filename="证明.pdf")]


def readiness_page(client, code, year=Y):
    response = client.get("/t/park/readiness/", query_string={"scheme": code, "year": year})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def visible(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def block(page: str, code: str) -> str:
    """The HTML of one item on the readiness page."""
    return page.split(f'id="item-{code}"', 1)[1].split('id="item-', 1)[0]


def status_on(page: str, code: str) -> str:
    return re.search(r'data-status="(\w+)"', block(page, code)).group(1)


# --- CQ-1 (重庆, enterprise standard) ------------------------------------------------------------

def test_cq_enterprise_4_needs_the_enterprises_own_annual_plan(app, base):
    # CQ-1 item 4 (制度建设完备, 25): "创建单位应制定和实施年度有关商业秘密保护工作的培训宣传、
    # 研讨交流、考察学习等工作计划，建立泄密应急处置和奖惩等管理制度。"
    in_place(base.id, base.eid, "five.rules", "ruleset.leak_emergency_plan", "ruleset.rewards_penalties")
    assert of(for_enterprise(app, base.id, "cq-enterprise", base.eid), "4") == (NOT_MET, 0)
    missing = item(for_enterprise(app, base.id, "cq-enterprise", base.eid), "4").shortfalls
    assert [s.metric for s in missing] == ["ruleset.annual_plan"]
    in_place(base.id, base.eid, "ruleset.annual_plan")
    assert of(for_enterprise(app, base.id, "cq-enterprise", base.eid), "4") == (MET, 25)


def test_cq_enterprise_5_counts_only_the_fixed_instructors_visits(app, base, make):
    # CQ-1 item 5 (活动开展有效, 20): "市场监管部门为企业配备固定的商业秘密指导员，开展商业秘密
    # 保护业务指导每年不少于2次；开展商业秘密保护培训教育、调查研究、政策法规宣传等活动每年不少于
    # 1次并有台账记录。"
    fixed = make.user("fixed@example.com", name="固定指导员", tenant=base.tenant, role="instructor").id
    other = make.user("other@example.com", name="其他指导员", tenant=base.tenant, role="instructor").id
    other_member = make.enterprise(base.tenant, name="另一家企业")
    with scope(base.id) as s:
        s.add(InstructorEnterprise(user_id=fixed, enterprise_id=base.eid))
        s.add(InstructorEnterprise(user_id=other, enterprise_id=other_member))
        s.add(TrainingEvent(title="保密培训", held_on=date(Y, 3, 1), hours=2, organiser="base",
                            attendance=[Attendance(enterprise_id=base.eid, headcount=10)]))
        # Two visits, both by an instructor who is not this enterprise's fixed instructor.
        for day in (date(Y, 4, 1), date(Y, 9, 1)):
            visit = GuidanceVisit(enterprise_id=base.eid, visited_on=day, created_by_id=other)
            s.add(visit)
            s.flush()
            s.add(VisitInstructor(visit_id=visit.id, user_id=other))
        s.commit()
    result = for_enterprise(app, base.id, "cq-enterprise", base.eid)
    assert of(result, "5") == (NOT_MET, 0)
    assert item(result, "5").values == {"fixed_instructor_visits": 0, "trainings_in_year": 1,
                                        "has_fixed_instructor": True, "visits_in_year": 2}
    # The fixed instructor joins the second visit and makes a third: two of theirs.
    with scope(base.id) as s:
        second = s.query(GuidanceVisit).filter_by(visited_on=date(Y, 9, 1)).one()
        s.add(VisitInstructor(visit_id=second.id, user_id=fixed))
        third = GuidanceVisit(enterprise_id=base.eid, visited_on=date(Y, 11, 1), created_by_id=fixed)
        s.add(third)
        s.flush()
        s.add(VisitInstructor(visit_id=third.id, user_id=fixed))
        s.commit()
    assert of(for_enterprise(app, base.id, "cq-enterprise", base.eid), "5") == (MET, 20)
    # Last year's visits are last year's.
    assert of(for_enterprise(app, base.id, "cq-enterprise", base.eid, year=Y - 1), "5") == (NOT_MET, 0)


def test_cq_enterprise_6_infringements_suffered_and_defended(app, base):
    # CQ-1 item 6 (示范作用突出, 20): "近两年内商业秘密未受侵犯或成功维权，近两年以来没有侵犯他人
    # 商业秘密。" — not infringed OR successfully defended, AND did not infringe others.
    in_place(base.id, base.eid, "five.measures")
    with scope(base.id) as s:
        s.add(SurveyYear(enterprise_id=base.eid, year=Y, incidents_suffered=0, incidents_caused=0))
        s.commit()
    assert of(for_enterprise(app, base.id, "cq-enterprise", base.eid), "6") == (MET, 20)

    # Infringed once: no record says it was defended, so it is declared with evidence.
    with scope(base.id) as s:
        s.query(SurveyYear).one().incidents_suffered = 1
        s.commit()
    assert of(for_enterprise(app, base.id, "cq-enterprise", base.eid), "6") == (UNDECLARED, 0)
    claim = {"6": declared()}
    assert of(for_enterprise(app, base.id, "cq-enterprise", base.eid, claim), "6") == (NEEDS_EVIDENCE, 0)
    assert of(for_enterprise(app, base.id, "cq-enterprise", base.eid, claim, {"6": EVIDENCE}), "6") == (MET, 20)

    # It infringed another's secret: not met, whatever it declares.
    with scope(base.id) as s:
        s.query(SurveyYear).one().incidents_caused = 1
        s.commit()
    result = for_enterprise(app, base.id, "cq-enterprise", base.eid, claim, {"6": EVIDENCE})
    assert of(result, "6") == (NOT_MET, 0)
    assert [s.metric for s in item(result, "6").shortfalls] == ["incidents_caused"]


def test_cq_enterprise_6_successful_defence_claimed_in_a_unit_application(base):
    """The same item through the enterprise's own application: it claims the successful defence,
    attaches the judgment, and the item scores."""
    in_place(base.id, base.eid, "five.measures")
    with scope(base.id) as s:
        s.add(SurveyYear(enterprise_id=base.eid, year=Y, incidents_suffered=2, incidents_caused=0))
        s.commit()
    response = base.enterprise.post("/t/park/units/apply",
                                    data={"unit": f"enterprise:{base.eid}", "scheme": "cq-enterprise", "year": Y})
    app_id = int(re.search(r"/units/applications/(\d+)", response.headers["Location"]).group(1))
    page = base.enterprise.get(f"/t/park/units/applications/{app_id}").get_data(as_text=True)
    assert 'name="claim-6"' in page and '<option value="6">' in page  # claimable, evidence can be attached
    assert "successful defence with evidence" in page  # the item's note says how
    base.enterprise.post(f"/t/park/units/applications/{app_id}", data={"claim-6": "y", "note-6": "（2025）渝01民初1号胜诉"})
    base.enterprise.post(f"/t/park/units/applications/{app_id}/evidence",
                         data={"item": "6", "file": (io.BytesIO(PDF), "判决书.pdf")})
    with scope(base.id) as s:
        result = units.assess(s.get(UnitApplication, app_id))
    assert of(result, "6") == (MET, 20)
    assert item(result, "6").values["incidents_suffered"] == 2


# --- WH-1 (武汉, demonstration enterprise) and XC-3 (西城, demonstration point) -------------------

def test_wh_enterprise_3_needs_internal_rules_and_its_own_annual_plan(app, base):
    # WH-1 item 3 (制度建设完善): "完善内部管理制度；制定实施商业秘密保护学习宣传、教育培训、研讨
    # 交流等年度工作方案；建立泄密应急处置和奖惩等管理制度；每年组织全员商业秘密保护轮训不少于1次。"
    in_place(base.id, base.eid, "ruleset.leak_emergency_plan", "ruleset.rewards_penalties")
    with scope(base.id) as s:
        s.add(TrainingEvent(title="全员轮训", held_on=date(Y, 5, 1), hours=2, organiser="enterprise",
                            organiser_enterprise_id=base.eid,
                            attendance=[Attendance(enterprise_id=base.eid, headcount=120)]))
        s.commit()
    result = for_enterprise(app, base.id, "wh-enterprise", base.eid)
    assert item(result, "3").status == NOT_MET
    assert {s.metric for s in item(result, "3").shortfalls} == {"five.rules", "ruleset.annual_plan"}
    in_place(base.id, base.eid, "five.rules", "ruleset.annual_plan")
    assert item(for_enterprise(app, base.id, "wh-enterprise", base.eid), "3").status == MET


def test_xc_point_4_needs_its_own_annual_plan(app, base):
    # XC-3 (四)编制年度计划: "研究制定示范点、示范区年度工作计划，明确开展商业秘密保护相关培训、宣传工作。"
    with scope(base.id) as s:
        s.add(TrainingEvent(title="宣传活动", kind="publicity", held_on=date(Y, 6, 1), hours=1, organiser="base",
                            attendance=[Attendance(enterprise_id=base.eid, headcount=30)]))
        s.commit()
    result = for_enterprise(app, base.id, "xc-point", base.eid)
    assert item(result, "4").status == NOT_MET
    assert [s.metric for s in item(result, "4").shortfalls] == ["ruleset.annual_plan"]
    in_place(base.id, base.eid, "ruleset.annual_plan")
    assert item(for_enterprise(app, base.id, "xc-point", base.eid), "4").status == MET


# --- TJ (天津红桥, base requirements) --------------------------------------------------------------

def test_tj_base_4_the_local_standard_adopted_by_the_periods_end(app, base, make):
    # TJ 建设要求 4 (落实地方标准): "商业秘密保护企业和基地指导基地内企业，按照天津市地方标准
    # 《企业商业秘密保护管理与服务规范》，进行落实，实现对商业秘密的标准保护。"
    assert item(for_tenant(app, base.id, "tj-base"), "4").status == NOT_MET
    with scope(base.id) as s:
        member = s.get(Enterprise, base.eid)
        member.adopted_standard, member.adopted_on = True, date(Y, 3, 1)
        s.commit()
    assert item(for_tenant(app, base.id, "tj-base"), "4").status == MET
    # Adopted this year: last year it had not.
    assert item(for_tenant(app, base.id, "tj-base", year=Y - 1), "4").status == NOT_MET


def test_tj_base_3_protective_measures_are_judged_with_the_figures(app, base):
    # TJ 建设要求 3 (采取保密措施): "指导基地内企业，视不同情况采取行政保护、民事保护、仲裁保护、
    # 刑事保护等不同维权措施，实现对商业秘密的系统保护。" — no number: declared, reviewers judge.
    with scope(base.id) as s:
        station = Station(name="一号站")
        s.add(station)
        s.flush()
        s.add(ServiceLog(served_on=date(Y, 2, 1), station_id=station.id, category="rights_assistance",
                         enterprise_id=base.eid, summary="协助维权"))
        s.commit()
    result = for_tenant(app, base.id, "tj-base")
    assert item(result, "3").status == UNDECLARED
    assert item(result, "3").values == {"rights_services": 1, "complaints": 0}
    assert item(for_tenant(app, base.id, "tj-base", {"3": declared()}, {"3": EVIDENCE}), "3").status == MET


def test_tj_base_7_five_implementations_and_three_defences(app, base, make):
    # TJ 建设要求 7 (打造基地内示范企业): "指导企业在商业秘密保护工作方面做到机构、人员、场所、
    # 制度和保护措施“五落实”，人防、技防、物防“三到位”……商业秘密保护基地应有5个以上商业秘密
    # 保护联系企业，企业应指定专人担任联络员。"
    others = [make.enterprise(base.tenant, name=f"联系企业{n}") for n in range(4)]
    in_place(base.id, base.eid, *CORE_ITEMS[:-1])  # all but one of the eight
    result = for_tenant(app, base.id, "tj-base")
    assert item(result, "7").status == NOT_MET
    assert [s.metric for s in item(result, "7").shortfalls] == ["five_three_members"]
    in_place(base.id, base.eid, CORE_ITEMS[-1])
    result = for_tenant(app, base.id, "tj-base")
    assert item(result, "7").status == MET
    assert item(result, "7").values["five_three_ratio"] == pytest.approx(1 / 5)
    # Four liaison enterprises are not "5个以上".
    with scope(base.id):
        from tenants.members.services import change_status

        change_status(db.session.get(Enterprise, others[0]), "withdrawn", on=date(Y, 1, 2), reason="迁出")
        db.session.commit()
    assert item(for_tenant(app, base.id, "tj-base"), "7").status == NOT_MET


def test_tj_base_passes_without_the_optional_expert_team(app, base, make):
    # TJ 建设要求 6: "商业秘密保护企业和基地可从市场监管部门建立的商业秘密保护专家库选择相关专家，
    # 或自行……组建商业秘密保护专家团队" — a base *may* form one; it is not required.
    make.user("instr@example.com", name="行政指导员", tenant=base.tenant, role="instructor")
    for n in range(4):
        make.enterprise(base.tenant, name=f"联系企业{n}")
    in_place(base.id, base.eid, *CORE_ITEMS)
    with scope(base.id) as s:
        member = s.get(Enterprise, base.eid)
        member.adopted_standard = True
        s.commit()
    manual = {"1": declared(), "3": declared()}
    result = for_tenant(app, base.id, "tj-base", manual, {c: EVIDENCE for c in manual})
    assert item(result, "6").status == UNDECLARED and item(result, "6").item.optional
    assert (result.met, result.count, result.passed) == (6, 6, True)
    page = readiness_page(base.admin, "tj-base")
    assert "data-optional" in block(page, "6") and "data-optional" not in block(page, "1")


# --- WH-2 (武汉, government service demonstration station) ----------------------------------------

def test_wh_station_7_internal_training_is_not_the_units_training(app, base, make):
    # WH-2 item 6 (服务成效突出; the scheme's item 7): "每年培训企业数超所服务企业总数的50%或30家以上"
    # — the enterprises *it* trains; an enterprise's own internal training is its own.
    trained, internal = make.enterprise(base.tenant, name="基地培训企业"), make.enterprise(base.tenant, name="内训企业")
    with scope(base.id) as s:
        s.add(TrainingEvent(title="基地培训", held_on=date(Y, 3, 1), hours=2, organiser="base",
                            attendance=[Attendance(enterprise_id=trained, headcount=3)]))
        s.add(TrainingEvent(title="内训", held_on=date(Y, 3, 2), hours=1, organiser="enterprise",
                            organiser_enterprise_id=internal,
                            attendance=[Attendance(enterprise_id=internal, headcount=9)]))
        s.commit()
        metrics = tenant_metrics(Period.year(Y))
    # Of the base's three members, two attended a training (67 %), but it trained one (33 %).
    assert (metrics["trained_enterprises"], metrics["served_enterprises"], metrics["served_trained_enterprises"]) == \
        (2, 3, 1)
    assert item(for_tenant(app, base.id, "wh-station"), "7").status == NOT_MET
    # The base trains a second member: 2 of 3 is more than 50 %.
    with scope(base.id) as s:
        s.add(TrainingEvent(title="第二期", held_on=date(Y, 4, 1), hours=2, organiser="station",
                            attendance=[Attendance(enterprise_id=internal, headcount=2)]))
        s.commit()
    assert item(for_tenant(app, base.id, "wh-station"), "7").status == MET


def test_wh_station_7_a_station_over_the_enterprises_it_serves(app, base, make):
    # The same sentence for one station: "所服务企业总数" is its own ledger's enterprises.
    served = [make.enterprise(base.tenant, name=f"服务企业{i}") for i in range(3)]
    with scope(base.id) as s:
        station = Station(name="一号站")
        s.add(station)
        s.flush()
        s.add_all(ServiceLog(served_on=date(Y, 2, 1), station_id=station.id, category="consultation",
                             enterprise_id=e, summary="咨询") for e in served)
        s.add(TrainingEvent(title="站点培训", held_on=date(Y, 3, 1), hours=2, organiser="station",
                            attendance=[Attendance(enterprise_id=e, headcount=2) for e in served[:2]]))
        s.commit()
        metrics = station_metrics(station.id, Y)
    assert (metrics["served_enterprises"], metrics["served_trained_enterprises"]) == (3, 2)
    assert item(evaluate(scheme(app, "wh-station"), metrics), "7").status == MET


# --- XC-3 (西城, demonstration zone) --------------------------------------------------------------

def test_xc_zone_3_checks_the_members_leak_emergency_procedures(app, base):
    # XC-3 (三)制定管理制度: "研究制定示范点、示范区内部管理制度。示范区应指导所属企业或成员单位
    # 建立商业秘密保护管理制度、商业秘密泄露事件应急处置等工作制度。"
    in_place(base.id, base.eid, "five.rules")
    own_rules = ({"3": declared()}, {"3": EVIDENCE})
    result = for_tenant(app, base.id, "xc-zone", *own_rules)
    assert item(result, "3").status == NOT_MET  # no member has a leak emergency procedure
    assert [s.metric for s in item(result, "3").shortfalls] == ["members_with_leak_plan"]
    in_place(base.id, base.eid, "ruleset.leak_emergency_plan")
    assert item(for_tenant(app, base.id, "xc-zone"), "3").status == UNDECLARED  # the zone's own rules
    assert item(for_tenant(app, base.id, "xc-zone", *own_rules), "3").status == MET
    # On the page: declared by the base, with the members' figures beside it.
    page = readiness_page(base.admin, "xc-zone")
    assert status_on(page, "3") == UNDECLARED and 'name="met"' in block(page, "3")
    assert "Members with a leak emergency plan: 1" in visible(block(page, "3"))


# --- CQ-2 (重庆, park standard) -------------------------------------------------------------------

def test_cq_park_17_no_threshold_the_reviewers_judge(app, base, make):
    # CQ-2 item 17 (5): "辖区重点企业建立有行之有效的商业秘密保护体系。" — no share is given
    # (the scheme used to invent "more than 50 %").
    in_place(base.id, base.eid, *CORE_ITEMS)
    make.enterprise(base.tenant, name="第二家企业")
    result = for_tenant(app, base.id, "cq-park")
    assert of(result, "17") == (UNDECLARED, 0)  # 1 of 2 members with rules: neither met nor refused by a rule
    assert item(result, "17").values["members_with_rules_ratio"] == 0.5
    page = readiness_page(base.admin, "cq-park")
    shown = visible(block(page, "17"))
    assert "The standard sets no share or number: the reviewers judge from the figures shown" in shown
    assert "Ratio of members with protection rules: 50.0%" in shown
    # The reviewer judges: full points.
    response = base.reviewer.post(f"/t/park/readiness/cq-park/{Y}/items/17/override",
                                  data={"points": "5", "note": "抽查有效"})
    assert response.status_code == 302
    page = readiness_page(base.admin, "cq-park")
    assert status_on(page, "17") == OVERRIDDEN and "5 / 5" in block(page, "17")


def test_cq_park_7_the_three_services_the_standard_names(app, base):
    # CQ-2 item 7 (5): "提供商业秘密保护宣传、咨询、风险监测等服务" — not any three kinds of service.
    with scope(base.id) as s:
        station = Station(name="一号站")
        s.add(station)
        s.flush()
        for category in ("complaint", "mediation", "other"):
            s.add(ServiceLog(served_on=date(Y, 2, 1), station_id=station.id, category=category,
                             enterprise_id=base.eid, summary="服务", **({"case_status": "received"}
                                                                       if category == "complaint" else {})))
        s.commit()
    assert of(for_tenant(app, base.id, "cq-park"), "7") == (NOT_MET, 0)
    with scope(base.id) as s:
        station_id = s.query(Station).one().id
        for category in ("publicity", "consultation", "risk_monitoring"):
            s.add(ServiceLog(served_on=date(Y, 3, 1), station_id=station_id, category=category,
                             enterprise_id=base.eid, summary="服务"))
        s.commit()
    assert of(for_tenant(app, base.id, "cq-park"), "7") == (MET, 5)


def test_cq_park_has_no_pass_mark_the_reviewers_decide(app, base):
    # CQ-2 gives points and no pass mark ("对照创建标准进行打分，得出评审分值"); only the enterprise
    # standard says "总分80分以上为创建成功".
    s = scheme(app, "cq-park")
    assert s.pass_mark is None
    everything = {code: declared() for code, i in s.items.items() if i.manual}
    result = evaluate(s, {}, everything, {c: EVIDENCE for c in everything})
    assert result.total > 0 and result.passed is None
    page = readiness_page(base.admin, "cq-park")
    assert 'id="verdict"' not in page and "no pass mark: the reviewers decide" in page


# --- the scheme files' new keys are validated like the rest ---------------------------------------

ONE_ITEM = """\
code = "test"
title_zh = "测试标准"
title_en = "Test standard"
applies_to = ["park"]
mode = "{mode}"
{maximum}

[[groups]]
code = "one"
title_zh = "第一组"
title_en = "Group one"
items = [
  {{ code = "1", points = 10, rule = "stations >= 1", title_zh = "指导站", title_en = "Station" }},
  {{ code = "2", points = 10, {extra}, title_zh = "其他", title_en = "Other" }},
]
"""


@pytest.mark.parametrize("mode, extra, message", [
    ("points", "manual = true, optional = true", "only a criteria scheme has optional items"),
    ("criteria", 'manual = true, facts = ["stationz"]', "unknown metric stationz in facts"),
    ("criteria", 'manual = true, facts = "stations"', "facts must be a list"),
    ("criteria", 'manual = true, note_zh = "原文未规定"', "give both note_zh and note_en"),
])
def test_new_item_keys_are_checked(tmp_path, mode, extra, message):
    text = ONE_ITEM.format(mode=mode, maximum="max = 20" if mode == "points" else "", extra=extra)
    (tmp_path / "test.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(SchemeError, match=message) as info:
        load_all(tmp_path)
    assert "test.toml" in str(info.value) and "item 2" in str(info.value)


def test_a_rule_naming_declared_is_a_judged_item(tmp_path):
    text = ONE_ITEM.format(mode="criteria", maximum="", extra='rule = "stations >= 1 and declared"')
    (tmp_path / "test.toml").write_text(text, encoding="utf-8")
    judged = load_all(tmp_path)["test"].item("2")
    assert judged.manual and judged.judged
    assert evaluate(load_all(tmp_path)["test"], {"stations": 0}).groups[0].items[1].status == NOT_MET
    assert evaluate(load_all(tmp_path)["test"], {"stations": 1}).groups[0].items[1].status == UNDECLARED
