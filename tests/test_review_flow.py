"""The bureau's side as an approval flow (issue 20): explicit buttons confirmed on a page that
restates their consequence, an opinion to return or refuse, per-section comments beside the
sections, the city review's recorded steps, the public notice with objections resolved by a
recorded outcome, recognition with certificate, bureau and term (and its PDF), the cycle
(renewal, revocation with grounds, lapse, re-review reminders), the applicant's confirmation
before submitting, the draft and version PDFs' marks, the diff between versions, the API of
sections and decisions, and concurrent decisions moving an application once.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa

from saas.auth.models import User
from saas.extensions import db
from saas.jobs import JobRecord
from saas.tenancy import Tenant, tenant_scope
from tenants.applications import flow, services
from tenants.applications.models import Application, ApplicationEvent, Objection

from .test_applications import TEXTS, application, fill, members, move, pdf_pages, put_application, reading, \
    review_steps_done, run_worker, said, start, submit, text, url, world  # noqa: F401


def medium(day: date) -> str:
    """A date as the English pages write it."""
    from babel.dates import format_date

    return format_date(day, "medium", locale="en")


def visible(response) -> str:
    """The words a person reads: tags, attributes and scripts removed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", text(response), flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def told(client, response) -> str:
    """What the user was told (tests.test_applications.said), as text."""
    return unescape(said(client, response))


def press(client, application_id, action, **form):
    """Press a button without confirming: the confirmation page."""
    return client.post(url("park", application_id, "/decide"), data={"action": action, **form})


def submitted(world, **changes) -> int:
    members(world, demo=5, plain=1)
    application_id = start(world.admin)
    fill(world.admin, application_id, **changes)
    assert submit(world.admin, application_id).status_code == 302
    return application_id


def at_city_review(world, **changes) -> int:
    application_id = submitted(world, **changes)
    move(world.dist, application_id, "district_review")
    move(world.dist, application_id, "recommended", comment="同意推荐")
    move(world.cityrev, application_id, "city_review")
    assert application(world.tid, application_id).status == "city_review"
    return application_id


def events_of(tenant_id, application_id) -> list[ApplicationEvent]:
    with reading(tenant_id) as s:
        rows = s.scalars(sa.select(ApplicationEvent).where(ApplicationEvent.application_id == application_id)
                         .order_by(ApplicationEvent.id)).all()
        return [(e.from_status, e.to_status, e.step, e.user_id, e.comment) for e in rows]


def row(tenant_id, application_id) -> Application:
    with reading(tenant_id) as s:
        found = s.get(Application, application_id)
        s.expunge(found)
        return found


# --- buttons, confirmation, opinions -------------------------------------------------------------

def test_buttons_replace_the_dropdown_and_each_is_confirmed_with_its_consequence(world):
    application_id = submitted(world)
    page = text(world.dist.get(url("park", application_id)))
    assert 'name="to"' not in page and "<select" not in page.split('id="decision"')[1].split("</form>")[0]
    assert re.findall(r'name="action" value="(\w+)"', page) == ["accept", "return"]
    assert "Start the preliminary review" in page and "Return for revision" in page

    # Pressed: a page that says what it does; nothing has moved yet.
    confirm = press(world.dist, application_id, "accept")
    assert confirm.status_code == 200
    words = visible(confirm)
    assert "The district's preliminary review begins." in words and "Confirm: Start the preliminary review" in words
    assert application(world.tid, application_id).status == "submitted"
    # Confirmed: moved, with the opinion on the timeline.
    move(world.dist, application_id, "district_review", comment="材料齐全，受理。")
    assert application(world.tid, application_id).status == "district_review"
    timeline = visible(world.admin.get(url("park", application_id)))
    assert "Start the preliminary review · 甲区审核员（测试甲区市场监督管理局）" in timeline
    assert "材料齐全，受理。" in timeline


def test_an_opinion_is_required_to_return_or_refuse(world):
    application_id = submitted(world)
    refused = move(world.dist, application_id, "returned", comment="  ")
    assert refused.status_code == 422
    assert "Give the reasons." in told(world.dist, refused) and 'id="confirm-decision"' in text(refused)
    assert application(world.tid, application_id).status == "submitted"
    move(world.dist, application_id, "district_review")
    move(world.dist, application_id, "recommended")
    move(world.cityrev, application_id, "city_review")
    refused = move(world.cityrev, application_id, "rejected")
    assert "Give the reasons." in told(world.cityrev, refused)
    assert application(world.tid, application_id).status == "city_review"
    move(world.cityrev, application_id, "rejected", comment="示范单位不足且数据不实")
    a = application(world.tid, application_id)
    assert a.status == "rejected" and a.events[-1].comment == "示范单位不足且数据不实"
    page = visible(world.admin.get(url("park", application_id)))
    assert "Refuse recognition · 市审核员" in page and "Not recognised" in page


def test_section_comments_appear_beside_the_sections_the_applicant_edits(world):
    application_id = submitted(world)
    move(world.dist, application_id, "district_review")
    reviewer_page = text(world.dist.get(url("park", application_id)))
    assert re.search(r'<textarea[^>]*form="decision"[^>]*name="comment-cases"', reviewer_page), \
        "the reviewer comments beside the section, sent with the return"
    move(world.dist, application_id, "returned", comment="请补充案例结果", **{"comment-cases": "案例缺少处理结果"})
    page = text(world.admin.get(url("park", application_id)))
    block = re.search(r'<div class="row g-2 mb-3" data-section="cases">(.*?)</textarea>\s*</div>(.*?)</div>\s*</div>',
                      page, re.S)
    assert block and 'id="sec-cases"' in block.group(1) and "案例缺少处理结果" in block.group(2)
    assert 'data-section="basic">' in page and page.count('class="alert alert-warning small mb-0 section-comment"') == 1


# --- the city review's steps -----------------------------------------------------------------------

def test_the_city_review_records_its_steps_before_the_public_notice(world):
    application_id = at_city_review(world)
    page = text(world.cityrev.get(url("park", application_id)))
    assert set(re.findall(r'form="decision" name="action" value="(\w+)"', page)) == {"materials", "data_check", "on_site"}
    refused = move(world.cityrev, application_id, "public_notice")
    assert "Record the city review's steps first: Materials review、Data comparison、On-site check、Expert " \
           "assessment." in told(world.cityrev, refused)
    # A step needs the opinion (what was found).
    refused = move(world.cityrev, application_id, "materials")
    assert refused.status_code == 422 and "Opinion: write what was found." in text(refused)
    for step, found in (("materials", "申报材料齐全"), ("data_check", "数据与台账一致"), ("on_site", "现场核查属实")):
        assert move(world.cityrev, application_id, step, comment=found).status_code == 302
    # The district reviewer records none of them.
    assert "This step is not open to you now." in told(world.dist, move(world.dist, application_id, "on_site",
                                                                        comment="区里代记"))
    refused = move(world.cityrev, application_id, "public_notice")
    assert "Record the city review's steps first: Expert assessment." in told(world.cityrev, refused)
    # The expert assessment is the panel's verdict (scoring): a failed panel blocks the notice.
    with tenant_scope(world.tid):
        db.session.add(ApplicationEvent(application_id=application_id, from_status="city_review",
                                        to_status="city_review", user_id=world.city_reviewer_id,
                                        comment="专家组评议未通过", step="expert"))
        db.session.get(Application, application_id).panel_passed = False
        db.session.commit()
    assert "The expert panel did not pass" in told(world.cityrev, move(world.cityrev, application_id, "public_notice"))
    with tenant_scope(world.tid):
        db.session.get(Application, application_id).panel_passed = True
        db.session.commit()
    move(world.cityrev, application_id, "public_notice")
    assert application(world.tid, application_id).status == "public_notice"
    page = visible(world.admin.get(url("park", application_id)))
    for words in ("Materials review · 市审核员", "申报材料齐全", "Data comparison", "数据与台账一致", "On-site check",
                  "现场核查属实", "Approve for public notice"):
        assert words in page, words


def test_a_resubmitted_version_is_reviewed_again_step_by_step(world):
    application_id = at_city_review(world)
    review_steps_done(world.tid, application_id, world.city_reviewer_id)
    move(world.cityrev, application_id, "returned", comment="实地核查发现问题")
    fill(world.admin, application_id, cases="整改后的案例。")
    submit(world.admin, application_id)
    move(world.dist, application_id, "district_review")
    move(world.dist, application_id, "recommended")
    move(world.cityrev, application_id, "city_review")
    with reading(world.tid) as s:
        assert services.missing_steps(s.get(Application, application_id)) == ["materials", "data_check", "on_site",
                                                                               "expert"]
    refused = move(world.cityrev, application_id, "public_notice")
    assert "Record the city review's steps first" in told(world.cityrev, refused)


# --- public notice and objections -----------------------------------------------------------------

def test_an_objection_received_during_the_notice_blocks_recognition_until_resolved(world):
    application_id = at_city_review(world)
    review_steps_done(world.tid, application_id, world.city_reviewer_id)
    start_day = date.today() - timedelta(days=20)
    move(world.cityrev, application_id, "public_notice", notice_start=start_day.isoformat())
    end_day = start_day + timedelta(days=14)
    page = visible(world.admin.get(url("park", application_id)))
    assert f"15 days: {medium(start_day)} – {medium(end_day)}" in page

    # Only an objection received during the notice, and with its text.
    refused = move(world.cityrev, application_id, "object", comment="公示前收到的异议",
                   received_on=(start_day - timedelta(days=1)).isoformat())
    assert "Received on: a day of the public notice" in told(world.cityrev, refused)
    assert "Write the objection." in told(world.cityrev, move(world.cityrev, application_id, "object"))
    move(world.cityrev, application_id, "object", comment="示范单位数量不实", received_on=(start_day + timedelta(days=2)).isoformat())
    with reading(world.tid) as s:
        objection = s.scalar(sa.select(Objection))
        objection_id = objection.id
        assert (objection.received_on, objection.resolved_on, objection.outcome) == (start_day + timedelta(days=2), None, "")

    # Blocked until its outcome is recorded.
    refused = move(world.cityrev, application_id, "recognised", certificate_no="渝-7")
    assert f"The objection received on {(start_day + timedelta(days=2)).isoformat()} is not resolved" in \
        told(world.cityrev, refused)
    assert application(world.tid, application_id).status == "public_notice"
    refused = move(world.cityrev, application_id, "resolve", objection_id=str(objection_id))
    assert refused.status_code == 422
    move(world.cityrev, application_id, "resolve", comment="经核查，数量属实，异议不成立", objection_id=str(objection_id))
    with reading(world.tid) as s:
        objection = s.get(Objection, objection_id)
        assert (objection.outcome, objection.resolved_on, objection.resolved_by_id) == \
            ("经核查，数量属实，异议不成立", date.today(), world.city_reviewer_id)
    # Resolving it twice: the second is told it was resolved meanwhile.
    again = move(world.cityrev, application_id, "resolve", comment="再次处理", objection_id=str(objection_id))
    assert "not open to you now" in told(world.cityrev, again)
    move(world.cityrev, application_id, "recognised", certificate_no="渝-7")
    assert application(world.tid, application_id).status == "recognised"
    steps = [e[2] for e in events_of(world.tid, application_id)]
    assert steps.count("objection") == 1 and steps.count("objection_resolved") == 1
    page = visible(world.admin.get(url("park", application_id)))
    assert "Objection received · 市审核员" in page and "Objection resolved · 市审核员" in page
    assert "示范单位数量不实" in page and "经核查，数量属实，异议不成立" in page


# --- recognition and its certificate ---------------------------------------------------------------

def test_recognition_records_certificate_date_bureau_and_validity(world):
    application_id = put_application(world.tid, "public_notice", notice_start=date.today() - timedelta(days=30),
                                     notice_end=date.today() - timedelta(days=16))
    confirm = press(world.cityrev, application_id, "approve", certificate_no="渝商秘示范〔2026〕第3号")
    words = visible(confirm)
    term_end = services.of_scheme("cq-park").term(date.today())[0]
    assert f"valid until {term_end.isoformat()}" in words and "测试市市场监督管理局" in words
    refused = move(world.cityrev, application_id, "recognised", certificate_no="  ")
    assert "Enter the certificate number." in told(world.cityrev, refused)
    refused = move(world.cityrev, application_id, "recognised", certificate_no="X",
                   recognised_on=(date.today() + timedelta(days=3)).isoformat())
    assert "not in the future" in told(world.cityrev, refused)
    move(world.cityrev, application_id, "recognised", certificate_no="渝商秘示范〔2026〕第3号",
         issued_by="重庆市市场监督管理局")
    a = row(world.tid, application_id)
    assert (a.status, a.certificate_no, a.recognised_on, a.issued_by, a.valid_until, a.rereview_due) == (
        "recognised", "渝商秘示范〔2026〕第3号", date.today(), "重庆市市场监督管理局", term_end, term_end)
    page = visible(world.admin.get(url("park", application_id)))
    assert "渝商秘示范〔2026〕第3号" in page and f"Valid until {medium(term_end)}" in page
    # The base's page line: no public page exists, so its dashboard says it.
    dashboard = visible(world.admin.get("/t/park/"))
    assert "Recognised demonstration base Certificate 渝商秘示范〔2026〕第3号, issued by 重庆市市场监督管理局" in dashboard


@pytest.mark.parametrize("scheme, years, acceptance", [("cq-park", 2, False), ("xc-zone", 1, False),
                                                        ("tj-base", None, True), ("wh-station", None, False)])
def test_the_term_comes_from_the_standard(scheme, years, acceptance):
    from tenants.schemes.standards import of_scheme

    on = date(2025, 7, 1)
    until, due = of_scheme(scheme).term(on)
    if years:
        assert until == due == date(2025 + years, 6, 30)
    elif acceptance:  # TJ-6: accepted again January–April of the next year, with a work report
        assert (until, due) == (None, date(2026, 4, 30))
    else:
        assert (until, due) == (None, None)


@pytest.mark.slow
def test_the_certificate_pdf_is_made_by_the_worker_searchable_and_downloadable(world, login_as, app):
    application_id = put_application(world.tid, "public_notice", notice_start=date.today() - timedelta(days=30),
                                     notice_end=date.today() - timedelta(days=16))
    move(world.cityrev, application_id, "recognised", certificate_no="渝商秘示范〔2026〕第008号")
    with reading(world.tid) as s:
        record = s.scalar(sa.select(JobRecord).where(JobRecord.task.like("%certificate_pdf")))
        assert record is not None and record.status == "queued"
    assert world.admin.get(url("park", application_id, "/certificate.pdf")).status_code == 404
    run_worker()
    pdf = world.admin.get(url("park", application_id, "/certificate.pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert world.cityrev.get(url("park", application_id, "/certificate.pdf")).data == pdf.data
    assert world.dist.get(url("park", application_id, "/certificate.pdf")).data == pdf.data
    assert world.nadmin.get(url("park", application_id, "/certificate.pdf")).status_code == 404
    words = "".join(pdf_pages(pdf.data)).replace("\n", "")
    for expected in ("两江商业秘密保护示范园区", "渝商秘示范〔2026〕第008号", "测试市市场监督管理局", date.today().isoformat()):
        assert expected.replace("〔", "").replace("〕", "") in words.replace("〔", "").replace("〕", ""), expected
    digest = hashlib.sha256(pdf.data).hexdigest()
    certificate = [e for e in events_of(world.tid, application_id) if e[2] == "certificate"]
    assert certificate == [("recognised", "recognised", "certificate", world.city_reviewer_id, digest)]
    page = visible(world.admin.get(url("park", application_id)))
    assert "Certificate document generated" in page and f"SHA-256 {digest[:16]}" in page
    # Asked again: the same file, no second event.
    world.admin.post(url("park", application_id, "/certificate"))
    assert len([e for e in events_of(world.tid, application_id) if e[2] == "certificate"]) == 1


# --- the cycle -------------------------------------------------------------------------------------

def recognised(world, on: date) -> int:
    application_id = put_application(world.tid, "public_notice", notice_start=on - timedelta(days=30),
                                     notice_end=on - timedelta(days=16))
    move(world.cityrev, application_id, "recognised", certificate_no="渝-9", recognised_on=on.isoformat())
    assert application(world.tid, application_id).status == "recognised"
    return application_id


def test_revocation_needs_grounds_and_reads_them_in_words(world):
    application_id = recognised(world, date.today() - timedelta(days=100))
    confirm = text(press(world.cityrev, application_id, "revoke"))
    for code in ("false_material", "major_violation", "protection_gaps", "no_longer_meets"):
        assert f'<option value="{code}">' in confirm
    refused = move(world.cityrev, application_id, "revoked", comment="提供虚假材料", grounds="whatever")
    assert "Choose the grounds for revocation." in told(world.cityrev, refused)
    move(world.cityrev, application_id, "revoked", comment="提供虚假材料", grounds="false_material")
    assert application(world.tid, application_id).status == "revoked"
    page = visible(world.admin.get(url("park", application_id)))
    assert "Revoked: False material · 市审核员" in page and "false_material" not in page


def test_renewal_extends_the_term_and_a_passed_term_lapses_nightly(world, app):
    on = date.today() - timedelta(days=800)
    application_id = recognised(world, on)
    first_end = row(world.tid, application_id).valid_until
    assert first_end < date.today()
    # The night after the last valid day: lapsed, on the timeline, no longer counted as recognised.
    with app.test_request_context():
        assert flow.lapse_overdue() == 1
        assert flow.lapse_overdue() == 0, "once"
    a = row(world.tid, application_id)
    assert a.status == "lapsed"
    assert events_of(world.tid, application_id)[-1][:4] == ("recognised", "lapsed", "lapsed", None)
    page = visible(world.admin.get(url("park", application_id)))
    assert "The term passed without a re-review: lapsed · The platform (by date)" in page
    assert "Recognition lapsed" in visible(world.admin.get("/t/park/"))
    # A re-review passed late: recognised again, a new term from that day.
    refused = move(world.cityrev, application_id, "renew", comment="复审通过",
                   renewed_on=(date.today() + timedelta(days=1)).isoformat())
    assert "not in the future" in told(world.cityrev, refused)
    move(world.cityrev, application_id, "renew", comment="复审通过，继续认定")
    a = row(world.tid, application_id)
    assert (a.status, a.valid_until) == ("recognised", services.of_scheme("cq-park").term(date.today())[0])
    assert events_of(world.tid, application_id)[-1][:3] == ("lapsed", "recognised", "renewed")
    assert "Re-review passed: renewed · 市审核员" in visible(world.admin.get(url("park", application_id)))


def test_rereview_dates_reach_both_sides_calendars_and_reminders(world, app):
    from tenants.deadlines.service import for_user
    from tenants.deadlines.tasks import send_reminders

    application_id = recognised(world, date.today() - timedelta(days=365 * 2 - 7))
    due = row(world.tid, application_id).rereview_due
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        city = db.session.get(User, world.city_reviewer_id)
        admin = db.session.get(User, world.admin_id)
        mine = [d for d in for_user(city, date.today(), date.today() + timedelta(days=30)) if "Re-review" in d.title]
        theirs = [d for d in for_user(admin, date.today(), date.today() + timedelta(days=30)) if "Re-review" in d.title]
        assert [(d.day, d.uid) for d in mine] == [(due, f"rereview-{application_id}-bureau")]
        assert [(d.day, d.uid) for d in theirs] == [(due, f"rereview-{application_id}")]
        assert "cq-park" not in mine[0].title and "两江商业秘密保护示范园区" in mine[0].title
        sent = send_reminders(due - timedelta(days=7))
    assert sent >= 2
    from saas.notifications import Notification

    db.session.rollback()
    texts = db.session.scalars(sa.select(Notification.text).where(Notification.user_id == world.city_reviewer_id)).all()
    # The reviewer reads in the default language (zh_CN): the base's name and no scheme code.
    assert any("两江商业秘密保护示范园区" in t and "cq-park" not in t for t in texts), texts


# --- the applicant's page --------------------------------------------------------------------------

def test_submit_asks_first_listing_what_is_empty_and_what_to_acknowledge(world):
    members(world, demo=2, plain=1)
    application_id = start(world.admin)
    fill(world.admin, application_id)
    confirm = world.admin.post(url("park", application_id, "/submit"))
    assert confirm.status_code == 200
    words = visible(confirm)
    for title in ("Leading group", "Office address", "Office staff", "Budget"):
        assert title in words.split("Still empty")[1].split("Not met")[0], title
    assert "Only 2 demonstration units: the standard asks for at least 5." in words
    assert "I know these items are not met" in words
    assert application(world.tid, application_id).status == "draft"
    # Confirmed without ticking: refused, still a draft.
    refused = world.admin.post(url("park", application_id, "/submit"), data={"confirmed": "yes"})
    assert refused.status_code == 422 and "Tick “I know these items are not met”" in visible(refused)
    assert application(world.tid, application_id).status == "draft"
    # The same warnings stand on the page itself.
    page = visible(world.admin.get(url("park", application_id)))
    assert "“Leading group” of the base's organisation is empty: the dossier prints “—”." in page
    assert submit(world.admin, application_id).status_code == 302
    assert application(world.tid, application_id).status == "submitted"


def test_a_filled_organisation_is_not_listed_as_empty(world):
    members(world, demo=5, plain=1)
    with tenant_scope(world.tid):
        db.session.get(Tenant, world.tid).organisation = {"leading_group": "主任：张三", "office_address": "园区路1号",
                                                          "staff": "李四", "budget": "每年20万元"}
        db.session.commit()
    application_id = start(world.admin)
    fill(world.admin, application_id)
    confirm = text(world.admin.post(url("park", application_id, "/submit")))
    assert 'id="confirm-submit"' in confirm and 'id="submit-empty"' not in confirm
    assert "of the base's organisation is empty" not in visible(world.admin.get(url("park", application_id)))


@pytest.mark.slow
def test_the_draft_pdf_says_draft_on_every_page_and_the_versions_are_numbered(world, app):
    members(world, demo=5, plain=60)
    application_id = start(world.admin)
    fill(world.admin, application_id)
    preview = world.admin.post(url("park", application_id, "/preview"))
    assert preview.status_code == 302
    assert submit(world.admin, application_id).status_code == 302
    run_worker()
    with reading(world.tid) as s:
        draft = s.scalar(sa.select(JobRecord).where(JobRecord.task.like("%preview_pdf")))
        assert draft.status == "done", draft.message
        draft_file = Path(app.config["UPLOAD_DIR"]) / draft.result["file"]
    pages = pdf_pages(draft_file.read_bytes())
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        assert f"Draft, not submitted · page {n} of {len(pages)}" in page, n
    version = application(world.tid, application_id).versions[0]
    made = (Path(app.config["UPLOAD_DIR"]) / version.pdf_path).read_bytes()
    assert hashlib.sha256(made).hexdigest() == version.pdf_sha256
    pages = pdf_pages(made)
    for n, page in enumerate(pages, start=1):
        assert f"Page {n} of {len(pages)}" in page and "Draft" not in page, n


def test_what_changed_between_versions_is_shown_to_both_sides(world, make):
    application_id = submitted(world)
    assert "What changed" not in visible(world.admin.get(url("park", application_id)))
    only_one = world.admin.get(url("park", application_id, "/changes"))
    assert only_one.status_code == 302
    move(world.dist, application_id, "district_review")
    move(world.dist, application_id, "returned", comment="补充案例")
    fill(world.admin, application_id, cases="指导某企业建立涉密岗位分级管理制度，追回全部图纸。")
    make.enterprise(world.tenant, name="新加入示范企业", status="demonstration")
    assert submit(world.admin, application_id).status_code == 302
    for client in (world.admin, world.dist):
        page = text(client.get(url("park", application_id)))
        box = page.split('id="last-changes"')[1].split('id="changes"')[1]
        assert "What changed in version 2 (from version 1)" in visible(client.get(url("park", application_id)))
        assert "追回全部" in "".join(re.findall(r"<ins[^>]*>([^<]*)</ins>", box))
        assert re.search(r'<tr data-figure="active_members"><td>[^<]+</td><td class="text-end">6</td>'
                         r'<td class="text-end">7</td></tr>', box)
        assert "新加入示范企业" in box
    full = world.dist.get(url("park", application_id, "/changes?from=1&to=2"))
    assert full.status_code == 200 and 'data-section="cases"' in text(full)
    assert world.dist.get(url("park", application_id, "/changes?from=1&to=9")).status_code == 404
    assert world.nadmin.get(url("park", application_id, "/changes")).status_code == 404


# --- concurrency -----------------------------------------------------------------------------------

def test_two_reviewers_pressing_approve_at_once_move_it_once(world, app, make):
    application_id = submitted(world)
    move(world.dist, application_id, "district_review")
    second = make.user("district2@example.com", name="甲区审核员二", bureau=world.district, bureau_role="reviewer")
    second_id = second.id
    from .conftest import login

    other = login(app.test_client(), "district2@example.com")
    # Both pages show 同意; both press it and see the confirmation.
    for client in (world.dist, other):
        assert 'value="approve"' in text(client.get(url("park", application_id)))
        assert press(client, application_id, "approve").status_code == 200
    # The second confirmation's request has read the application before the first commits.
    with app.test_request_context(), tenant_scope(world.tid):
        stale = db.session.get(Application, application_id)
        assert stale.status == "district_review"
        assert move(world.dist, application_id, "recommended", comment="同意推荐").status_code == 302
        user, tenant = db.session.get(User, second_id), db.session.get(Tenant, world.tid)
        with pytest.raises(services.ApplicationError) as lost:
            flow.decide(stale, flow.Decision("approve", "我也同意"), user, tenant)
        from flask_babel import gettext

        assert lost.value.conflict and str(lost.value) == gettext("Someone else moved this application first.")
        db.session.rollback()
    # Through the button, the second confirmation is told it is no longer open.
    late = move(other, application_id, "recommended", comment="同意")
    assert "This step is not open to you now." in told(other, late)
    moves = [e for e in events_of(world.tid, application_id) if e[1] == "recommended"]
    assert moves == [("district_review", "recommended", "", world.district_reviewer_id, "同意推荐")]


# --- the API ----------------------------------------------------------------------------------------

def test_api_edits_sections_compare_and_set_and_reviewers_decide(world, app):
    from saas.api import tokens as api_tokens

    members(world, demo=5, plain=1)
    application_id = start(world.admin)
    with app.app_context():
        admin_token = api_tokens.issue(db.session.get(User, world.admin_id), db.session.get(Tenant, world.tid), "t")[1]
        district_token = api_tokens.issue(db.session.get(User, world.district_reviewer_id),
                                          db.session.get(Tenant, world.tid), "d")[1]
        db.session.commit()
    client = app.test_client()
    base = f"/api/v1/tenants/park/applications/{application_id}"

    def call(token, method, path, **kw):
        return client.open(base + path, method=method, headers={"Authorization": f"Bearer {token}"}, **kw)

    assert call(admin_token, "PUT", "/sections", json={"sections": TEXTS, "version": 0}).status_code == 200
    assert call(district_token, "PUT", "/sections", json={"sections": TEXTS}).status_code == 403
    bad = call(admin_token, "PUT", "/sections", json={"sections": {"cases": 5}})
    assert bad.status_code == 422 and "sections.cases" in bad.get_json()["error"]["fields"]
    assert call(admin_token, "POST", "/submit").status_code == 200
    stale = call(admin_token, "PUT", "/sections", json={"sections": {"cases": "迟到的修改"}, "version": 0})
    assert stale.status_code == 409 and application(world.tid, application_id).sections["cases"] == TEXTS["cases"]
    got = call(admin_token, "GET", "/sections").get_json()
    assert (got["editable"], got["version"]) == (False, 1)

    assert call(admin_token, "POST", "/decisions", json={"action": "accept"}).status_code == 403
    refused = call(district_token, "POST", "/decisions", json={"action": "return", "opinion": " "})
    assert refused.status_code == 422
    moved = call(district_token, "POST", "/decisions", json={"action": "return", "opinion": "请补充案例",
                                                             "section_comments": {"cases": "缺少结果"}})
    assert moved.status_code == 200 and moved.get_json()["status"] == "returned"
    got = call(admin_token, "GET", "/sections").get_json()
    assert got["editable"] and {s["code"]: s["comment"] for s in got["sections"]}["cases"] == "缺少结果"
    assert call(district_token, "POST", "/decisions", json={"action": "return", "opinion": "再退"}).status_code == 409


# --- words -----------------------------------------------------------------------------------------

# Codes that are not also English words ("recognised", "returned" are, in the English labels).
RAW = ("district_review", "city_review", "public_notice", "data_check", "on_site", "objection_resolved",
       "false_material", "no_longer_meets", "cq-park", "work_done", "next_steps")


def test_every_status_step_and_action_reads_as_words(world):
    """The pages of the flow at every stage, for the base and for the reviewers: no code shows."""
    application_id = at_city_review(world)
    seen = []
    for client in (world.admin, world.cityrev, world.dist):
        seen.append(visible(client.get(url("park", application_id))))
    review_steps_done(world.tid, application_id, world.city_reviewer_id)
    move(world.cityrev, application_id, "public_notice", notice_start=(date.today() - timedelta(days=20)).isoformat())
    move(world.cityrev, application_id, "object", comment="异议", received_on=(date.today() - timedelta(days=18)).isoformat())
    for action in ("approve", "object", "refuse"):
        seen.append(visible(press(world.cityrev, application_id, action)))
    with reading(world.tid) as s:
        objection_id = s.scalar(sa.select(Objection.id))
    move(world.cityrev, application_id, "resolve", comment="不成立", objection_id=str(objection_id))
    move(world.cityrev, application_id, "recognised", certificate_no="渝-1")
    seen.append(visible(press(world.cityrev, application_id, "revoke")))
    move(world.cityrev, application_id, "revoked", comment="虚假材料", grounds="false_material")
    for client in (world.admin, world.cityrev):
        seen.append(visible(client.get(url("park", application_id))))
    seen.append(visible(world.admin.get("/t/park/applications/")))
    for page in seen:
        leaked = [code for code in RAW if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", page)]
        assert not leaked, (leaked, [page[max(0, m.start() - 150):m.end() + 50] for code in leaked
                                     for m in re.finditer(re.escape(code), page)][:3])
    labels = services.status_labels()
    assert set(labels) == set(__import__("tenants.applications.models", fromlist=["STATUSES"]).STATUSES)
    assert set(flow.step_labels()) == set(flow.STEPS)
    for (status, action), _target in flow.MOVES.items():
        assert flow.action_label(status, action) != action
