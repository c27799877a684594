"""The flow as a timeline: 提交 → 区局初审 → 市局评审 (its recorded steps) → 公示 → 认定 / 不予认定
→ the recognition's cycle, each node with who acted, when and their opinion. Built from the
events for the page; every status, step and action reads as words."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from saas.extensions import db
from tenants.recognition.services import grounds_labels
from tenants.schemes.standards import of_scheme

from .flow import MOVES, STEPS, action_label, step_labels
from .models import NOTICE_DAYS, Application, ApplicationEvent, Objection
from .services import status_labels

NODES = ("submit", "district", "city", "notice", "decision", "cycle")
# The node each status waits in (draft and returned: the base writes; recognised: its cycle runs).
AT = {"draft": 0, "returned": 0, "submitted": 1, "district_review": 1, "recommended": 2, "city_review": 2,
      "public_notice": 3, "rejected": 4, "recognised": 5, "revoked": 5, "lapsed": 5}


def node_titles() -> dict:
    return {"submit": _("Submission"), "district": _("District preliminary review"), "city": _("City review"),
            "notice": _("Public notice"), "decision": _("Recognised / not recognised"),
            "cycle": _("Validity and re-review")}


def waiting_words() -> dict:
    return {0: _("The base is writing or revising the application."),
            1: _("Waiting for the district bureau."), 2: _("Waiting for the city bureau."),
            3: _("Public notice running; then the city bureau decides."), 5: ""}


def node_of(e: ApplicationEvent) -> str:
    if e.step in STEPS:
        return "city"
    if e.step in ("objection", "objection_resolved"):
        return "notice"
    if e.step in ("renewed", "lapsed", "certificate") or e.from_status in ("recognised", "lapsed"):
        return "cycle"
    if e.to_status == "submitted":
        return "submit"
    if e.to_status in ("recognised", "rejected"):
        return "decision"
    if e.from_status in ("submitted", "district_review"):
        return "district"
    return "city"


def words_of(e: ApplicationEvent, version: int | None = None) -> str:
    """What the event did, in words."""
    if e.step in STEPS:
        return str(step_labels()[e.step])
    steps = {"objection": _("Objection received"), "objection_resolved": _("Objection resolved"),
             "renewed": _("Re-review passed: renewed"), "lapsed": _("The term passed without a re-review: lapsed"),
             "certificate": _("Certificate document generated")}
    if e.step in steps:
        return steps[e.step]
    if e.to_status == "revoked":
        return _("Revoked: %(grounds)s", grounds=grounds_labels().get(e.step, "—"))
    if e.to_status == "submitted":
        return _("Submitted, version %(v)d", v=version) if version else _("Submitted")
    for (status, action), target in MOVES.items():
        if status == e.from_status and target == e.to_status:
            return action_label(status, action)
    return status_labels().get(e.to_status, "—")


def build(application: Application) -> list[dict]:
    """The nodes, in order: code, title, state (done / current / waiting / skipped), entries
    (who, when, words, opinion, per-section comments) and what the node shows besides."""
    events = db.session.scalars(sa.select(ApplicationEvent).where(ApplicationEvent.application_id == application.id)
                                .order_by(ApplicationEvent.id)).all()
    objections = db.session.scalars(sa.select(Objection).where(Objection.application_id == application.id)
                                    .order_by(Objection.received_on, Objection.id)).all()
    at = AT.get(application.status, 0)
    titles, entries = node_titles(), {code: [] for code in NODES}
    version = 0
    for e in events:
        if e.to_status == "submitted" and not e.step:
            version += 1
        who = e.user
        entries[node_of(e)].append({
            "when": e.created_at, "who": who.name if who else _("The platform (by date)"),
            "bureau": who.bureau.name if who is not None and who.bureau is not None else "",
            "words": words_of(e, version if e.to_status == "submitted" else None), "opinion": e.comment,
            "step": e.step, "status": e.to_status, "section_comments": dict(e.section_comments or {})})
    nodes = []
    for index, code in enumerate(NODES):
        if application.status == "rejected":
            state = "skipped" if code == "cycle" else "done"
        elif index < at:
            state = "done"
        elif index == at:
            state = "done" if code == "cycle" and application.status != "recognised" else "current"
        else:
            state = "waiting"
        nodes.append({"code": code, "title": titles[code], "state": state, "entries": entries[code],
                      "waiting": waiting_words().get(index, "") if state == "current" else ""})
    standard = of_scheme(application.scheme)
    nodes[2]["steps"] = [{"code": s, "title": step_labels()[s],
                          "done": any(x["step"] == s for x in entries["city"])} for s in standard.review_steps]
    nodes[3]["notice"] = {"days": NOTICE_DAYS, "start": application.notice_start, "end": application.notice_end,
                          "objections": objections,
                          "ended": application.notice_end is not None and application.notice_end < date.today()}
    nodes[5]["cycle"] = {"valid_until": application.valid_until, "rereview_due": application.rereview_due,
                         "term_years": standard.rereview_years, "acceptance": standard.acceptance,
                         "dates": standard.dates, "overdue": application.status == "recognised"
                         and application.valid_until is not None and application.valid_until < date.today()}
    return nodes


def latest_section_comments(application: Application) -> dict:
    """The reviewers' comments per section from the last return, shown beside the sections."""
    row = db.session.scalar(sa.select(ApplicationEvent).where(
        ApplicationEvent.application_id == application.id, ApplicationEvent.to_status == "returned")
        .order_by(ApplicationEvent.id.desc()).limit(1))
    if row is None:
        return {}
    who = row.user.name if row.user else ""
    return {code: {"text": text, "who": who, "when": row.created_at} for code, text in (row.section_comments or {}).items()}
