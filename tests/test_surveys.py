"""Questionnaire rounds (LC-2): a base sends the yearly survey to its active member enterprises,
each answers in its own workspace, the base sees the response rate, the totals and who has not
answered; a submitted answer becomes the enterprise's survey figures (SurveyYear) for the year.
A bureau sends one round to every base of its jurisdiction and sees the rate per base."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from saas.auth.services import grant
from saas.extensions import db
from saas.notifications import Notification
from saas.tenancy import tenant_scope
from tenants.members.models import SurveyYear
from tenants.metrics.service import enterprise_metrics
from tenants.surveys.models import BureauSurveyRound, SurveyAnswer, SurveyRound

from .sql import statements
from .test_members import count, reading, text

Y = date.today().year
OPEN_UNTIL = (date.today() + timedelta(days=14)).isoformat()
ANSWER = {"employees": "120", "secrets_identified": "8", "patents": "5", "confidentiality_signed": "100",
          "noncompete_signed": "20", "key_posts_tiered": "12", "incidents_suffered": "1", "incidents_caused": "0"}


def english(user):
    user.locale = "en"
    db.session.commit()
    return user


@pytest.fixture
def base(make, login_as):
    tenant = make.tenant(slug="survey-park", default_locale="en")
    english(make.user("admin@example.com", tenant=tenant, role="admin"))
    english(make.user("staff@example.com", tenant=tenant, role="staff"))
    first = make.enterprise(tenant, name="甲企业", employees=150)
    second = make.enterprise(tenant, name="乙企业")
    gone = make.enterprise(tenant, name="丙企业", status="withdrawn", withdrawal_reason="迁出")
    grant(english(make.user("ent-a@example.com")), tenant, "enterprise", first)
    grant(english(make.user("ent-b@example.com")), tenant, "enterprise", second)
    db.session.commit()
    return SimpleNamespace(tenant=tenant, url=f"/t/{tenant.slug}/surveys", first=first, second=second, gone=gone,
                           admin=login_as("admin@example.com"), staff=login_as("staff@example.com"),
                           ent_a=login_as("ent-a@example.com"), ent_b=login_as("ent-b@example.com"))


def send(client, url, title="2026年度商业秘密保护基线调查", year=Y, open_until=OPEN_UNTIL):
    response = client.post(f"{url}/new", data={"year": str(year), "title": title, "open_until": open_until,
                                               "note": "请于截止日前填报。"})
    assert response.status_code == 302, text(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def answer_id(tenant_id, round_id, enterprise_id) -> int:
    with reading(tenant_id) as s:
        return s.scalar(sa.select(SurveyAnswer.id).where(SurveyAnswer.round_id == round_id,
                                                         SurveyAnswer.enterprise_id == enterprise_id))


def survey_year(tenant_id, enterprise_id, year=Y):
    with reading(tenant_id) as s:
        return s.scalar(sa.select(SurveyYear).where(SurveyYear.enterprise_id == enterprise_id, SurveyYear.year == year))


def test_send_answer_and_the_base_sees_rate_totals_and_the_survey_figures(base):
    rid = send(base.staff, base.url)
    # Sent to the active members only.
    assert count(base.tenant.id, SurveyAnswer, SurveyAnswer.round_id == rid) == 2
    assert answer_id(base.tenant.id, rid, base.gone) is None
    aid = answer_id(base.tenant.id, rid, base.first)

    # The enterprise sees it on its home page and in its list; the form starts from its headcount.
    home = text(base.ent_a.get(f"/t/{base.tenant.slug}/"))
    assert "survey-open" in home and "2026年度商业秘密保护基线调查" in home
    assert f"/surveys/answers/{aid}" in text(base.ent_a.get(f"{base.url}/"))
    form = text(base.ent_a.get(f"{base.url}/answers/{aid}"))
    assert 'name="employees"' in form and 'value="150"' in form and 'name="final"' in form

    with tenant_scope(base.tenant.id):
        before = enterprise_metrics(Y)[base.first]
    assert before["incidents_suffered"] is None

    # A draft first (nothing written to the figures yet), then the final submission.
    assert base.ent_a.post(f"{base.url}/answers/{aid}", data={**ANSWER, "patents": "2"}).status_code == 302
    assert survey_year(base.tenant.id, base.first) is None
    assert "Draft saved" in text(base.staff.get(f"{base.url}/{rid}"))
    response = base.ent_a.post(f"{base.url}/answers/{aid}", data={**ANSWER, "final": "1"}, follow_redirects=True)
    assert "Submitted" in text(response) and "survey-locked" in text(response)

    row = survey_year(base.tenant.id, base.first)
    assert (row.employees, row.patents, row.confidentiality_signed, row.incidents_suffered) == (120, 5, 100, 1)
    assert row.survey_round_id == rid  # it came from the round
    figures = text(base.admin.get(f"/t/{base.tenant.slug}/members/{base.first}/survey/{Y}"))
    assert "survey-from-round" in figures and 'value="120"' in figures
    with tenant_scope(base.tenant.id):
        after = enterprise_metrics(Y)[base.first]
    assert after["incidents_suffered"] == 1 and after["incidents_caused"] == 0

    page = text(base.staff.get(f"{base.url}/{rid}"))
    assert "1 of 2 answered" in page and "50.0%" in page
    assert 'data-total="patents">5<' in page and 'data-total="employees">120<' in page
    waiting = page.split("survey-waiting", 1)[1]
    assert "乙企业" in waiting and "甲企业" not in waiting
    assert "1 of 2 answered" in text(base.staff.get(f"{base.url}/"))
    # The enterprise's home no longer asks.
    assert "survey-open" not in text(base.ent_a.get(f"/t/{base.tenant.slug}/"))


def test_an_enterprise_cannot_answer_for_another(base):
    rid = send(base.admin, base.url)
    theirs = answer_id(base.tenant.id, rid, base.second)
    assert base.ent_a.get(f"{base.url}/answers/{theirs}").status_code == 404
    assert base.ent_a.post(f"{base.url}/answers/{theirs}", data={**ANSWER, "final": "1"}).status_code == 404
    with reading(base.tenant.id) as s:
        assert s.get(SurveyAnswer, theirs).status == "pending"
    # Nor send, see the results or close.
    assert base.ent_a.get(f"{base.url}/new").status_code == 403
    assert base.ent_a.get(f"{base.url}/{rid}").status_code == 403
    assert base.ent_a.post(f"{base.url}/{rid}/close").status_code == 403
    # And the base's staff does not answer in an enterprise's name.
    assert base.staff.get(f"{base.url}/answers/{theirs}").status_code == 403


def test_another_tenants_round_is_404(base, make, login_as):
    rid = send(base.admin, base.url)
    aid = answer_id(base.tenant.id, rid, base.first)
    other = make.tenant(slug="other-survey-park")
    make.user("other@example.com", tenant=other, role="admin")
    grant(make.user("other-ent@example.com"), other, "enterprise", make.enterprise(other))
    db.session.commit()
    staff, ent = login_as("other@example.com"), login_as("other-ent@example.com")
    for path in (f"{rid}", f"{rid}/close"):
        assert staff.get(f"/t/{other.slug}/surveys/{path}").status_code == 404
    assert staff.post(f"/t/{other.slug}/surveys/{rid}/remind").status_code == 404
    assert staff.post(f"/t/{other.slug}/surveys/{rid}/close").status_code == 404
    assert ent.get(f"/t/{other.slug}/surveys/answers/{aid}").status_code == 404
    assert ent.post(f"/t/{other.slug}/surveys/answers/{aid}", data={**ANSWER, "final": "1"}).status_code == 404
    assert "2026年度" not in text(staff.get(f"/t/{other.slug}/surveys/"))
    assert staff.get(f"{base.url}/{rid}").status_code == 404  # nobody of the other tenant has a role here


def test_a_double_submit_does_nothing_twice(base):
    rid = send(base.admin, base.url)
    aid = answer_id(base.tenant.id, rid, base.first)
    assert base.ent_a.post(f"{base.url}/answers/{aid}", data={**ANSWER, "final": "1"}).status_code == 302
    with reading(base.tenant.id) as s:
        first_at = s.get(SurveyAnswer, aid).submitted_at
    again = base.ent_a.post(f"{base.url}/answers/{aid}", data={**ANSWER, "patents": "99", "final": "1"},
                            follow_redirects=True)
    assert "already been submitted" in text(again)
    with reading(base.tenant.id) as s:
        row = s.get(SurveyAnswer, aid)
        assert (row.patents, row.submitted_at) == (5, first_at)
    assert survey_year(base.tenant.id, base.first).patents == 5
    assert "1 of 2 answered" in text(base.admin.get(f"{base.url}/{rid}"))


def test_a_closed_round_refuses_answers_with_a_clear_message(base):
    rid = send(base.admin, base.url)
    aid = answer_id(base.tenant.id, rid, base.first)
    ask = text(base.admin.get(f"{base.url}/{rid}/close"))
    assert "Close 2026年度" in ask and "2 of 2 member enterprises have not submitted" in ask
    assert count(base.tenant.id, SurveyRound, SurveyRound.closed_at.is_(None)) == 1  # GET asks only
    assert base.admin.post(f"{base.url}/{rid}/close").status_code == 302
    assert "already closed" in text(base.admin.get(f"{base.url}/{rid}/close"))
    response = base.ent_a.post(f"{base.url}/answers/{aid}", data={**ANSWER, "final": "1"}, follow_redirects=True)
    assert "closed on" in text(response) and "answers are no longer taken" in text(response)
    assert 'name="patents"' not in text(response)  # no form left to fill
    with reading(base.tenant.id) as s:
        assert s.get(SurveyAnswer, aid).status == "pending"
    assert survey_year(base.tenant.id, base.first) is None
    assert "survey-open" not in text(base.ent_a.get(f"/t/{base.tenant.slug}/"))


def test_past_its_closing_date_a_round_takes_no_answer(base):
    rid = send(base.admin, base.url)
    aid = answer_id(base.tenant.id, rid, base.first)
    with tenant_scope(base.tenant.id):
        db.session.get(SurveyRound, rid).open_until = date.today() - timedelta(days=1)
        db.session.commit()
    response = base.ent_a.post(f"{base.url}/answers/{aid}", data={**ANSWER, "final": "1"}, follow_redirects=True)
    assert "answers are no longer taken" in text(response)
    assert survey_year(base.tenant.id, base.first) is None


@pytest.mark.parametrize("field, value, message", [
    ("confidentiality_signed", "500", "500 is more than the 120 employees"),
    ("patents", "-1", "Number must be"),
    ("patents", "abc", "Not a valid integer"),
    ("patents", "99999999999", "Number must be"),
])
def test_bad_numbers_are_field_errors(base, field, value, message):
    rid = send(base.admin, base.url)
    aid = answer_id(base.tenant.id, rid, base.first)
    response = base.ent_a.post(f"{base.url}/answers/{aid}", data={**ANSWER, field: value, "final": "1"})
    assert response.status_code == 200 and message in text(response)
    assert "invalid-feedback" in text(response)  # shown at the field
    with reading(base.tenant.id) as s:
        assert s.get(SurveyAnswer, aid).status == "pending"
    assert survey_year(base.tenant.id, base.first) is None


def test_sending_refuses_a_past_closing_date(base):
    response = base.admin.post(f"{base.url}/new", data={"year": str(Y), "title": "问卷",
                                                        "open_until": "2020-01-01"})
    assert response.status_code == 200 and "cannot be in the past" in text(response)
    assert count(base.tenant.id, SurveyRound) == 0


def test_reminder_goes_to_non_responders_once_a_day(base):
    rid = send(base.admin, base.url)
    aid = answer_id(base.tenant.id, rid, base.first)
    base.ent_a.post(f"{base.url}/answers/{aid}", data={**ANSWER, "final": "1"})
    response = base.admin.post(f"{base.url}/{rid}/remind", follow_redirects=True)
    assert "Reminder sent to 1 users" in text(response)
    db.session.rollback()
    told = db.session.scalars(sa.select(Notification.user_id)).all()
    from saas.auth.models import User

    assert told == [User.by_email("ent-b@example.com").id]
    again = base.admin.post(f"{base.url}/{rid}/remind", follow_redirects=True)
    assert "already went out today" in text(again)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1


def test_non_responders_are_searchable_and_paged(base, make):
    for n in range(55):
        make.enterprise(base.tenant, name=f"成员{n:02d}")
    rid = send(base.admin, base.url)
    page = text(base.admin.get(f"{base.url}/{rid}"))
    assert page.split("survey-waiting", 1)[1].count("<li>") == 50 and "57 in all" in page
    found = text(base.admin.get(f"{base.url}/{rid}", query_string={"q": "乙企"}))
    assert "乙企业" in found and "成员01" not in found
    assert "empty-state" in text(base.admin.get(f"{base.url}/{rid}", query_string={"q": "100%_"}))


def test_round_page_and_list_sql_is_constant(base, make):
    rid = send(base.admin, base.url)
    base.ent_a.post(f"{base.url}/answers/{answer_id(base.tenant.id, rid, base.first)}", data={**ANSWER, "final": "1"})
    for url in (f"{base.url}/{rid}", f"{base.url}/"):
        base.admin.get(url)  # warm-up
    with statements() as small_page:
        assert base.admin.get(f"{base.url}/{rid}").status_code == 200
    with statements() as small_list:
        assert base.admin.get(f"{base.url}/").status_code == 200
    for n in range(20):
        make.enterprise(base.tenant, name=f"成员{n}")
    big = send(base.admin, base.url, title="第二轮")
    for n in range(3):
        send(base.admin, base.url, title=f"第{n + 3}轮")
    for n in range(3):
        eid = make.enterprise(base.tenant, name=f"新成员{n}")
        grant(english(make.user(f"e{n}@example.com")), base.tenant, "enterprise", eid)
        db.session.commit()
    base.admin.get(f"{base.url}/{big}")
    base.admin.get(f"{base.url}/")
    with statements() as large_page:
        response = base.admin.get(f"{base.url}/{big}")
    assert text(response).split("survey-waiting", 1)[1].count("<li>") >= 20
    with statements() as large_list:
        response = base.admin.get(f"{base.url}/")
    assert text(response).count("list-group-item-action") == 5
    assert len(large_page) == len(small_page), large_page
    assert len(large_list) == len(small_list), large_list


# ------------------------------------------------------------------ a bureau across its bases

@pytest.fixture
def jurisdiction(make, login_as):
    city = make.bureau("聊城市市场监督管理局", level="city")
    east, west = (make.bureau(f"聊城{n}区市场监督管理局", level="district", parent=city) for n in ("东", "西"))
    elsewhere = make.bureau("其他市市场监督管理局", level="city")
    t1 = make.tenant(slug="lc-east", name="东昌府阿胶产业园", bureau=east, default_locale="en")
    t2 = make.tenant(slug="lc-west", name="高新区化工园", bureau=west, default_locale="en")
    t3 = make.tenant(slug="far", name="外市园区", bureau=elsewhere)
    ents = {t.slug: [make.enterprise(t, name=f"{t.name}企业{i}") for i in range(n)]
            for t, n in ((t1, 3), (t2, 2), (t3, 1))}
    english(make.user("city-rev@example.com", bureau=city, bureau_role="reviewer"))
    make.user("far-rev@example.com", bureau=elsewhere, bureau_role="reviewer")
    grant(english(make.user("ent-east@example.com")), t1, "enterprise", ents["lc-east"][0])
    make.user("staff-east@example.com", tenant=t1, role="staff")
    make.user("staff-west@example.com", tenant=t2, role="staff")
    db.session.commit()
    return SimpleNamespace(city=city, t1=t1, t2=t2, t3=t3, ents=ents, rev=login_as("city-rev@example.com"),
                           far=login_as("far-rev@example.com"), ent=login_as("ent-east@example.com"),
                           staff1=login_as("staff-east@example.com"), staff2=login_as("staff-west@example.com"))


def rounds_of(tenant_id):
    with reading(tenant_id) as s:
        return s.scalars(sa.select(SurveyRound)).all()


def test_a_bureau_round_goes_to_every_base_and_shows_the_rate_per_base(jurisdiction):
    j = jurisdiction
    response = j.rev.post("/bureau/surveys/new", data={"year": str(Y), "title": "聊城市商业秘密保护问卷调查",
                                                       "open_until": OPEN_UNTIL})
    assert response.status_code == 302, text(response)
    bid = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    (r1,), (r2,) = rounds_of(j.t1.id), rounds_of(j.t2.id)
    assert rounds_of(j.t3.id) == []  # another city's base
    assert r1.bureau_round_id == r2.bureau_round_id == bid
    assert count(j.t1.id, SurveyAnswer) == 3 and count(j.t2.id, SurveyAnswer) == 2
    db.session.rollback()
    assert db.session.get(BureauSurveyRound, bid).bureau_id == j.city.id

    # An enterprise of the first base answers in its own workspace.
    aid = answer_id(j.t1.id, r1.id, j.ents["lc-east"][0])
    assert j.ent.post(f"/t/lc-east/surveys/answers/{aid}", data={**ANSWER, "employees": "50",
                                                                  "confidentiality_signed": "40", "final": "1"}
                      ).status_code == 302
    page = text(j.rev.get(f"/bureau/surveys/{bid}"))
    east = page.split('data-base="lc-east"', 1)[1].split("</tr>", 1)[0]
    west = page.split('data-base="lc-west"', 1)[1].split("</tr>", 1)[0]
    assert ">3<" in east and ">1<" in east and "33.3%" in east
    assert ">2<" in west and ">0<" in west and "0.0%" in west
    assert "1 of 5 answered" in page.split('id="bureau-total"', 1)[1]
    assert 'data-total="confidentiality_signed">40<' in page
    assert "聊城市商业秘密保护问卷调查" in text(j.rev.get("/bureau/surveys/"))

    # Each base sees its own copy only.
    assert j.staff1.get(f"/t/lc-east/surveys/{r2.id}").status_code == 404
    assert "1 of 3 answered" in text(j.staff1.get(f"/t/lc-east/surveys/{r1.id}"))
    assert j.staff2.get(f"/t/lc-west/surveys/{r1.id}").status_code == 404
    # Another bureau's reviewer, a base's staff: not theirs.
    assert j.far.get(f"/bureau/surveys/{bid}").status_code == 404
    assert j.staff1.get("/bureau/surveys/").status_code == 403
    assert j.staff1.post("/bureau/surveys/new", data={"year": str(Y), "title": "x",
                                                      "open_until": OPEN_UNTIL}).status_code == 403


def test_bureau_round_page_sql_is_constant(jurisdiction, make):
    j = jurisdiction
    response = j.rev.post("/bureau/surveys/new", data={"year": str(Y), "title": "问卷", "open_until": OPEN_UNTIL})
    bid = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    j.rev.get(f"/bureau/surveys/{bid}")
    with statements() as small:
        assert j.rev.get(f"/bureau/surveys/{bid}").status_code == 200
    district = make.bureau("聊城南区市场监督管理局", level="district", parent=j.city)
    for n in range(4):
        t = make.tenant(slug=f"lc-more-{n}", bureau=district)
        make.enterprise(t)
    response = j.rev.post("/bureau/surveys/new", data={"year": str(Y), "title": "问卷二", "open_until": OPEN_UNTIL})
    bid = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    j.rev.get(f"/bureau/surveys/{bid}")
    with statements() as large:
        response = j.rev.get(f"/bureau/surveys/{bid}")
    assert text(response).count("data-base=") == 6
    assert len(large) == len(small), large
