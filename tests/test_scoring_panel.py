"""The city review's expert panel (issue 20): items in the scheme's order with their titles and
points, the park's self-assessment and the figures from the records (linked to their rows) beside
each expert's input; each expert scores under their own account and sees the others only after
saving; totals under the group caps, the average and the spread; the panel's verdict with its
reason; bounds named field by field; constant SQL; another tenant's application answers 404.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from saas.extensions import db
from saas.files import Attachment
from saas.tenancy import tenant_scope
from tenants.applications.models import Application, ApplicationEvent, ReviewScore
from tenants.schemes.models import Declaration

from .sql import statements
from .test_applications import TEXTS, Y, reading, text, url

CODES = [str(n) for n in range(1, 18)]
# cq-park: the platform group (1-4) adds up to 40 and is worth 25; the whole is worth 100.
FULL = {"1": 10, "2": 10, "3": 10, "4": 10, "5": 5, "6": 5, "7": 5, "8": 5, "9": 5, "10": 5, "11": 5, "12": 5,
        "13": 5, "14": 5, "15": 10, "16": 10, "17": 5}
RAW_CODES = ("cq-park", "service_logs", "city_review", "public_notice", "not_met", "needs_evidence", "undeclared",
             "recommended", "cases:", "None")


def sheet(points: dict, **extra) -> dict:
    return {**{f"points-{c}": str(v) for c, v in points.items()}, **extra}


def panel(response) -> str:
    assert response.status_code == 200, response.status_code
    html = text(response)
    found = re.search(r'id="scoring-panel">(.*?)<!-- /scoring-panel -->', html, re.S)
    assert found, "no scoring panel on the page"
    return found.group(1)


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="score-item-[^"]+" data-item="([^"]+)">', html)


def row(html: str, code: str) -> str:
    return re.search(rf'<tr id="score-item-{code}" data-item="{code}">(.*?)</tr>', html, re.S).group(1)


def typed(html: str) -> dict[str, str]:
    """The own sheet's inputs (form="scoring-own"): field code → value shown."""
    return dict(re.findall(r'form="scoring-own" name="points-(\w+)" value="([^"]*)"', html))


def columns(html: str) -> list[str]:
    """The other experts' column headers, in order."""
    return [visible(h).strip() for h in re.findall(r'<th scope="col" data-sheet="\d+">(.*?)</th>', html, re.S)]


def column(html: str, code: str, index: int) -> str:
    """The points of the other expert `index` (1-based) for an item."""
    cells = re.findall(r'<td class="text-end">([^<]*)</td>', row(html, code))
    return cells[index - 1]


def flashes(client, response) -> str:
    return text(client.get(response.headers["Location"]))


@pytest.fixture
def panel_world(make, login_as):
    """A city bureau over a district; the tenant "park" (English pages) in the district, "other" in
    another district. Two city experts with the same display name (their sheets must still be
    their own), a third, the district reviewer, the park's admin, the other district's reviewer."""
    city = make.bureau("测试市市场监督管理局", level="city")
    district = make.bureau("测试甲区市场监督管理局", level="district", parent=city)
    elsewhere = make.bureau("测试乙区市场监督管理局", level="district", parent=city)
    tenant = make.tenant(slug="park", name="两江商业秘密保护示范园区", bureau=district, default_locale="en")
    other = make.tenant(slug="other", name="乙区产业园", bureau=elsewhere, default_locale="en")
    make.user("admin@example.com", name="园区管理员", tenant=tenant, role="admin")
    make.user("oadmin@example.com", name="乙区园区管理员", tenant=other, role="admin")
    e1 = make.user("e1@example.com", name="王专家", bureau=city, bureau_role="reviewer")
    e2 = make.user("e2@example.com", name="王专家", bureau=city, bureau_role="reviewer")
    e3 = make.user("e3@example.com", name="李专家", bureau=city, bureau_role="reviewer")
    make.user("district@example.com", name="甲区审核员", bureau=district, bureau_role="reviewer")
    make.user("elsewhere@example.com", name="乙区审核员", bureau=elsewhere, bureau_role="reviewer")
    zh = make.user("zh@example.com", name="中文专家", bureau=city, bureau_role="reviewer")
    zh.locale = "zh_CN"
    db.session.commit()
    return SimpleNamespace(
        make=make, tenant=tenant, tid=tenant.id, other=other, e1_id=e1.id, e2_id=e2.id,
        e1=login_as("e1@example.com"), e2=login_as("e2@example.com"), e3=login_as("e3@example.com"),
        zh=login_as("zh@example.com"), admin=login_as("admin@example.com"), oadmin=login_as("oadmin@example.com"),
        dist=login_as("district@example.com"), elsewhere=login_as("elsewhere@example.com"))


def in_city_review(world, tenant_id=None, scheme="cq-park", **fields) -> int:
    with tenant_scope(tenant_id or world.tid):
        row = Application(scheme=scheme, year=Y, status="city_review", sections=dict(TEXTS), **fields)
        db.session.add(row)
        db.session.commit()
        return row.id


def saved(tenant_id, application_id) -> list[tuple[str, str, float]]:
    with reading(tenant_id) as s:
        return sorted(s.execute(sa.select(ReviewScore.scorer, ReviewScore.item, ReviewScore.points)
                                .where(ReviewScore.application_id == application_id)).all())


# --- 1. the items: order, titles, points, self-assessment, figures --------------------------------

def test_items_in_the_schemes_order_with_titles_points_and_words_not_codes(panel_world):
    world = panel_world
    application_id = in_city_review(world)
    html = panel(world.e1.get(url("park", application_id)))
    assert rows(html) == CODES, "1, 2, … 10, not 1, 10, 11 … 2"
    assert "A leading group of park leaders, departments, key enterprises and related units" in row(html, "1")
    assert "Regular legal and professional training of instructors" in row(html, "11")
    assert re.search(r'data-max>10<', row(html, "1")) and re.search(r'data-max>5<', row(html, "17"))
    assert "A trade secret protection platform" in html and "the group is worth at most 25 points" in html
    assert "The standard sets no pass mark" in html
    words = visible(html)
    for code in RAW_CODES:
        assert code not in words, code
    # Fields are named by what they are, not labelled "1" … "17" with "/ 10".
    assert not re.search(r'aria-label="\d+"|placeholder="/', html)
    assert 'aria-label="Your points for item 3 (0 to 10)"' in html

    # In Chinese for a reviewer who reads Chinese.
    html = panel(world.zh.get(url("park", application_id)))
    assert rows(html) == CODES
    assert "建立由园区负责人、相关部门负责人、辖区重点企业和相关单位负责人组成的商业秘密保护工作领导小组或类似机构" in row(html, "1")
    for code in RAW_CODES:
        assert code not in visible(html), code


def test_self_assessment_and_figures_from_the_records_beside_each_item(panel_world, app):
    """The park declares item 1 met with a note and a file; its readiness at submission is frozen
    in the snapshot; item 5's figure (guidance stations) links to the rows behind it, for the
    application's year."""
    world = panel_world
    for i in range(5):
        world.make.enterprise(world.tenant, name=f"示范企业{i + 1}", status="demonstration")
    with tenant_scope(world.tid):
        declaration = Declaration(scheme="cq-park", year=Y, item="1", met=True, note="领导小组已于三月成立")
        db.session.add(declaration)
        db.session.flush()
        db.session.add(Attachment(owner_type="declaration", owner_id=declaration.id, filename="领导小组文件.pdf",
                                  stored_name=f"{world.tid}/files/x.pdf", content_type="application/pdf", size=1,
                                  sha256="0"))
        db.session.commit()
        attachment_id = db.session.scalar(sa.select(Attachment.id))
    # Submitted and taken into the city review: the dossier frozen as submission freezes it.
    from tenants.applications import dossier

    with app.test_request_context(), tenant_scope(world.tid):
        application = Application(scheme="cq-park", year=Y, status="city_review", sections=dict(TEXTS), version=1)
        db.session.add(application)
        db.session.flush()
        application.snapshot = dossier.build(application, db.session.merge(world.tenant))
        db.session.commit()
        application_id = application.id

    html = panel(world.e1.get(url("park", application_id)))
    one = visible(row(html, "1"))
    assert "At submission: 10 of 10" in one and "Declared, with evidence" in one and "领导小组已于三月成立" in one
    assert f'/t/park/readiness/cq-park/{Y}/items/1/files/{attachment_id}' in row(html, "1")
    assert "领导小组文件.pdf" in one
    two = visible(row(html, "2"))
    assert "At submission: 0 of 10" in two and "Not declared" in two
    five = row(html, "5")
    link = re.search(r'<a href="([^"]+)" data-figure="stations">0</a>', five)
    assert link and link.group(1).startswith("/t/park/stations"), five
    assert "Guidance stations" in visible(five) and "Not met" in visible(five)
    fifteen = row(html, "15")
    assert re.search(rf'<a href="[^"]*year={Y}[^"]*" data-figure="demonstration_units">5</a>', fifteen), fifteen
    assert "Met" in visible(fifteen) and "At submission: 10 of 10" in visible(fifteen)
    assert "No figure: judged from the evidence" in visible(row(html, "2"))
    # A figure of one category of the service ledger reads as words and opens that category.
    seven = row(html, "7")
    assert "Services logged (Consultation): 0" in visible(seven) and "service_logs" not in visible(seven)
    assert re.search(r'<a href="/t/park/stations/log/\?[^"]*category=consultation[^"]*" '
                     r'data-figure="service_logs.consultation">0</a>', seven), seven


def test_a_criteria_scheme_is_judged_met_or_not_item_by_item(panel_world):
    """xc-zone has criteria, not points: an expert gives each 0 (not met) or 1 (met), and no
    "0 / 0" is shown for what the records give."""
    world = panel_world
    application_id = in_city_review(world, scheme="xc-zone")
    html = panel(world.e1.get(url("park", application_id)))
    assert rows(html) == ["1", "2", "3", "4", "5"]
    assert re.search(r"data-max>1<", row(html, "4")) and "0 / 0" not in visible(html)
    assert "Not met" in visible(row(html, "4"))
    refused = world.e1.post(url("park", application_id, "/scores"),
                            data=sheet({"1": 1, "2": 1, "3": 2, "4": 0, "5": 1}))
    assert "Item 3 “Management rules; members guided to rules and leak emergency procedures”: the points must " \
        "be between 0 and 1." in flashes(world.e1, refused)
    world.e1.post(url("park", application_id, "/scores"), data=sheet({"1": 1, "2": 1, "3": 1, "4": 0, "5": 1}))
    assert re.search(r'data-total="mine">4<', panel(world.e1.get(url("park", application_id))))


# --- 2. an expert's own sheet, pre-filled; independence -------------------------------------------

def test_own_sheet_is_kept_and_shown_again_after_saving(panel_world):
    world = panel_world
    application_id = in_city_review(world)
    assert typed(panel(world.e1.get(url("park", application_id)))) == {c: "" for c in CODES}
    mine = {**FULL, "3": 7.5, "10": 3}
    response = world.e1.post(url("park", application_id, "/scores"), data=sheet(mine))
    assert response.status_code == 302 and response.headers["Location"].endswith("#scoring")
    assert "Scores saved." in flashes(world.e1, response)
    html = panel(world.e1.get(url("park", application_id)))
    assert typed(html) == {c: f"{v:g}" for c, v in mine.items()}, "the form shows what was saved"
    # 25 (platform: 10 + 10 + 7.5 + 10, capped) + 25 (station) + 18 (instructors) + 15 + 15
    assert re.search(r'data-total="mine">98<', html), html
    assert saved(world.tid, application_id) == sorted(("e1@example.com", c, float(v)) for c, v in mine.items())
    # Saved again with changes: the same rows, changed.
    world.e1.post(url("park", application_id, "/scores"), data=sheet({**mine, "10": 5}))
    assert len(saved(world.tid, application_id)) == 17
    assert typed(panel(world.e1.get(url("park", application_id))))["10"] == "5"


def test_experts_score_independently_and_see_the_others_after_saving_their_own(panel_world):
    """Two experts even share a display name: each keeps their own sheet. Before saving, an
    expert sees neither the other's points nor the average."""
    world = panel_world
    application_id = in_city_review(world)
    first = {**FULL, "2": 7, "10": 3}
    world.e1.post(url("park", application_id, "/scores"), data=sheet(first))

    before = panel(world.e2.get(url("park", application_id)))
    assert typed(before) == {c: "" for c in CODES}, "the other expert's points are not pre-filled"
    assert columns(before) == [] and "data-average" not in before and 'data-hidden="1"' in before
    assert "appear once you have saved yours" in before
    # Nor does the district reviewer (no sheet of their own to save) see them during the review.
    district = panel(world.dist.get(url("park", application_id)))
    assert columns(district) == [] and "data-average" not in district and 'name="points-1"' not in district
    # The park sees no expert's points.
    assert 'id="scoring-panel"' not in text(world.admin.get(url("park", application_id)))

    second = {**FULL, "1": 0, "2": 0, "3": 0, "4": 0}
    world.e2.post(url("park", application_id, "/scores"), data=sheet(second))
    after = panel(world.e2.get(url("park", application_id)))
    assert typed(after) == {c: f"{v:g}" for c, v in second.items()}
    assert columns(after) == ["王专家"]
    assert column(after, "2", 1) == "7" and column(after, "10", 1) == "3" and column(after, "1", 1) == "10"
    assert re.search(r'data-total="mine">75<', after) and re.search(r'data-total="1">98<', after)
    # And the first expert now sees the second's.
    seen = panel(world.e1.get(url("park", application_id)))
    assert columns(seen) == ["王专家"] and column(seen, "1", 1) == "0"
    assert typed(seen)["2"] == "7", "still the first expert's own sheet in the form"
    assert saved(world.tid, application_id) == sorted(
        [("e1@example.com", c, float(v)) for c, v in first.items()] +
        [("e2@example.com", c, float(v)) for c, v in second.items()])


# --- 3. totals, average, spread -------------------------------------------------------------------

def test_totals_with_group_caps_average_and_spread_of_two_experts(panel_world):
    world = panel_world
    application_id = in_city_review(world)
    world.e1.post(url("park", application_id, "/scores"), data=sheet(FULL))  # 115 by items, 100 with caps
    low = {**{c: 0 for c in CODES}, "1": 10, "2": 10, "3": 10, "5": 5, "15": 10}  # 30 → 25, + 5 + 10 = 40
    world.e3.post(url("park", application_id, "/scores"), data=sheet(low))
    html = panel(world.e1.get(url("park", application_id)))
    assert re.search(r'data-total="mine">100<', html) and re.search(r'data-total="1">40<', html)
    assert re.search(r"data-average>70<", html) and re.search(r"data-spread>60<", html)
    assert "Experts: 2" in visible(html)
    # The final score is the average, as before (services.final_score keeps working).
    from tenants.applications import scoring, services

    with reading(world.tid) as s:
        application = s.get(Application, application_id)
        assert services.final_score(application) == scoring.final_score(application) == 70


# --- 4. the verdict -------------------------------------------------------------------------------

def test_the_panel_verdict_needs_a_reason_and_shows_who_and_when(panel_world):
    world = panel_world
    application_id = in_city_review(world)
    # No sheet yet: nothing to decide on.
    refused = world.e1.post(url("park", application_id, "/panel-verdict"), data={"passed": "pass", "reason": "好"})
    assert "no expert has saved scores yet" in flashes(world.e1, refused)
    world.e1.post(url("park", application_id, "/scores"), data=sheet(FULL))
    # Another expert who has not saved their own sheet cannot decide on scores they cannot see.
    refused = world.e3.post(url("park", application_id, "/panel-verdict"), data={"passed": "pass", "reason": "好"})
    assert "save your own scores first" in flashes(world.e3, refused)
    # No reason: refused, the field named, the choice kept in the form.
    refused = world.e1.post(url("park", application_id, "/panel-verdict"), data={"passed": "fail", "reason": "  "})
    assert refused.headers["Location"].endswith("#panel-verdict")
    page = flashes(world.e1, refused)
    assert "Reason: say why the panel decided so." in page
    assert re.search(r'value="fail" id="verdict-fail" checked', page)
    refused = world.e1.post(url("park", application_id, "/panel-verdict"), data={"passed": "maybe", "reason": "x"})
    assert "Panel verdict: choose passed or not passed." in flashes(world.e1, refused)
    # The district reviewer does not decide the city's panel.
    world.dist.post(url("park", application_id, "/panel-verdict"), data={"passed": "pass", "reason": "区里代定"})
    with reading(world.tid) as s:
        a = s.get(Application, application_id)
        assert (a.panel_passed, a.panel_reason) == (None, "")
        assert s.scalar(sa.select(sa.func.count(ApplicationEvent.id))) == 0

    ok = world.e1.post(url("park", application_id, "/panel-verdict"),
                       data={"passed": "pass", "reason": "平台与指导站建设扎实，专家一致认可"})
    assert "The panel&#39;s verdict is recorded." in flashes(world.e1, ok)
    with reading(world.tid) as s:
        a = s.get(Application, application_id)
        assert (a.panel_passed, a.panel_reason) == (True, "平台与指导站建设扎实，专家一致认可")
        events = s.execute(sa.select(ApplicationEvent.from_status, ApplicationEvent.to_status,
                                     ApplicationEvent.step, ApplicationEvent.user_id, ApplicationEvent.comment)).all()
        assert events == [("city_review", "city_review", "expert", world.e1_id, "平台与指导站建设扎实，专家一致认可")]
    html = panel(world.e1.get(url("park", application_id)))
    assert 'data-verdict="pass">Passed<' in html and "平台与指导站建设扎实，专家一致认可" in html
    assert re.search(r"data-decided>Recorded by 王专家, ", html)
    # The park reads the verdict (the timeline shows it too), not the experts' points.
    park = panel(world.admin.get(url("park", application_id)))
    assert "Passed" in park and 'name="points-1"' not in park and "data-total" not in park


# --- 5. bounds, all or nothing, only in the city review ---------------------------------------------

@pytest.mark.parametrize("value, message", [
    ("-1", "the points must be between 0 and 10"),
    ("10.5", "the points must be between 0 and 10"),
    ("1" + "0" * 30, "the points must be between 0 and 10"),
    ("1e30", "the points are a number from 0 to 10"),
    ("nan", "the points are a number from 0 to 10"),
    ("inf", "the points are a number from 0 to 10"),
    ("四", "the points are a number from 0 to 10"),
    ("", "give the points, from 0 to 10"),
])
def test_points_out_of_bounds_are_refused_naming_the_item(panel_world, value, message):
    world = panel_world
    application_id = in_city_review(world)
    response = world.e1.post(url("park", application_id, "/scores"), data=sheet({**FULL, "3": value}))
    assert response.status_code == 302
    page = world.e1.get(response.headers["Location"])
    assert f"Item 3 “Duties of the office defined and rules made”: {message}." in text(page)
    assert saved(world.tid, application_id) == [], "nothing of the sheet is kept"
    # What was typed is shown again (once), the wrong field marked.
    html = panel(page)
    assert typed(html)["1"] == "10" and typed(html)["3"] == value
    assert re.search(r'is-invalid" form="scoring-own" name="points-3"', html)
    assert typed(panel(world.e1.get(url("park", application_id))))["1"] == ""


def test_a_sheet_wrong_everywhere_is_marked_item_by_item_and_the_session_cookie_stays_small(panel_world):
    """Seventeen long Chinese titles in seventeen messages would not fit a session cookie (4 KB):
    the page names the items once at the top and marks each field with its message."""
    world = panel_world
    application_id = in_city_review(world)
    response = world.zh.post(url("park", application_id, "/scores"), data=sheet({c: "很多" for c in CODES}))
    assert response.status_code == 302
    assert all(len(c) < 4000 for c in response.headers.getlist("Set-Cookie"))
    page = world.zh.get(response.headers["Location"])
    assert "需更正分数的事项：1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17" in text(page)
    html = panel(page)
    assert html.count('class="invalid-feedback"') == 17
    assert "第 1 项“建立由园区负责人" in html and "分数须为 0 至 10 之间的数字" in html
    assert typed(html) == {c: "很多" for c in CODES}


def test_full_width_digits_and_half_points_are_numbers(panel_world):
    world = panel_world
    application_id = in_city_review(world)
    world.e1.post(url("park", application_id, "/scores"), data=sheet({**FULL, "3": "７.５", "4": " .5 "}))
    assert ("e1@example.com", "3", 7.5) in saved(world.tid, application_id)
    assert ("e1@example.com", "4", 0.5) in saved(world.tid, application_id)


def test_scores_only_during_the_city_review(panel_world):
    world = panel_world
    application_id = in_city_review(world)
    with tenant_scope(world.tid):
        db.session.get(Application, application_id).status = "public_notice"
        db.session.commit()
    refused = world.e1.post(url("park", application_id, "/scores"), data=sheet(FULL))
    assert "Scores are entered during the city review." in flashes(world.e1, refused)
    refused = world.e1.post(url("park", application_id, "/panel-verdict"), data={"passed": "pass", "reason": "x"})
    assert "recorded during the city review" in flashes(world.e1, refused)
    assert saved(world.tid, application_id) == []
    assert 'name="points-1"' not in text(world.e1.get(url("park", application_id)))
    # The district reviewer's sheet is refused during the city review too.
    with tenant_scope(world.tid):
        db.session.get(Application, application_id).status = "city_review"
        db.session.commit()
    world.dist.post(url("park", application_id, "/scores"), data=sheet(FULL))
    assert saved(world.tid, application_id) == []


def test_a_named_experts_paper_sheet_is_labelled_and_kept_apart(panel_world):
    """An expert without an account: a reviewer enters the paper sheet, named; it is shown as
    such, with who entered it, and only they may correct it."""
    world = panel_world
    application_id = in_city_review(world)
    world.e1.post(url("park", application_id, "/scores"), data=sheet(FULL, scorer="张教授"))
    world.e1.post(url("park", application_id, "/scores"), data=sheet(FULL))
    html = panel(world.e1.get(url("park", application_id)))
    assert columns(html)[0].startswith("张教授 expert without an account, entered by 王专家")
    refused = world.e3.post(url("park", application_id, "/scores"), data=sheet({**FULL, "1": 0}, scorer="张教授"))
    assert "another reviewer entered the sheet of 张教授" in flashes(world.e3, refused)
    refused = world.e1.post(url("park", application_id, "/scores"), data=sheet(FULL, scorer="x@example.com"))
    assert "Expert name: the name of an expert without an account" in flashes(world.e1, refused)
    correct = panel(world.e1.get(url("park", application_id), query_string={"expert": "张教授"}))
    assert re.search(r'<details class="mb-3" id="scoring-named" open>', correct)
    assert 'name="scorer" maxlength="120" required value="张教授"' in correct
    assert {r[0] for r in saved(world.tid, application_id)} == {"张教授", "e1@example.com"}


# --- 6. constant SQL; another tenant --------------------------------------------------------------

def test_the_panel_costs_the_same_statements_whatever_the_experts_and_evidence(panel_world, uncached):
    world = panel_world
    application_id = in_city_review(world)

    def declare(item, files):
        with tenant_scope(world.tid):
            d = Declaration(scheme="cq-park", year=Y, item=item, met=True, note=f"说明{item}")
            db.session.add(d)
            db.session.flush()
            db.session.add_all([Attachment(owner_type="declaration", owner_id=d.id, filename=f"{item}-{n}.pdf",
                                           stored_name=f"{world.tid}/files/{item}-{n}.pdf",
                                           content_type="application/pdf", size=1, sha256="0") for n in range(files)])
            db.session.commit()

    declare("1", 1)
    world.e1.post(url("park", application_id, "/scores"), data=sheet(FULL))
    world.e1.get(url("park", application_id))
    with statements() as small:
        assert world.e1.get(url("park", application_id)).status_code == 200
    for item in ("2", "3", "4", "6", "16", "17"):
        declare(item, 3)
    world.e2.post(url("park", application_id, "/scores"), data=sheet(FULL))
    world.e3.post(url("park", application_id, "/scores"), data=sheet({**FULL, "5": 1}))
    world.e1.post(url("park", application_id, "/scores"), data=sheet(FULL, scorer="张教授"))
    with statements() as large:
        html = panel(world.e1.get(url("park", application_id)))
    assert len(columns(html)) == 3 and html.count("data-evidence") == 19
    assert len(large) == len(small), large


def test_another_tenants_application_answers_404(panel_world):
    world = panel_world
    application_id = in_city_review(world)
    for client in (world.elsewhere, world.oadmin):
        assert client.post(url("park", application_id, "/scores"), data=sheet(FULL)).status_code == 404
        assert client.post(url("park", application_id, "/panel-verdict"),
                           data={"passed": "pass", "reason": "x"}).status_code == 404
    # Under the other tenant's own address, the id of this one is not found either.
    assert world.elsewhere.post(url("other", application_id, "/scores"), data=sheet(FULL)).status_code == 404
    assert world.elsewhere.post(url("other", application_id, "/panel-verdict"),
                                data={"passed": "pass", "reason": "x"}).status_code == 404
    assert saved(world.tid, application_id) == []
    # The park's own admin may not score; its city reviewers reach both routes.
    assert world.admin.post(url("park", application_id, "/scores"), data=sheet(FULL)).status_code == 403
    assert world.e1.post(url("park", application_id, "/scores"), data=sheet(FULL)).status_code == 302
    assert world.e1.post(url("park", application_id, "/panel-verdict"),
                         data={"passed": "fail", "reason": "数据不实"}).status_code == 302
    with reading(world.tid) as s:
        assert s.get(Application, application_id).panel_passed is False
    assert len(saved(world.tid, application_id)) == 17
