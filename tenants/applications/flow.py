"""The review flow as decisions: explicit action words (accept, approve, return, refuse …)
instead of target statuses, what each one does in words (the confirmation restates it), the city
review's recorded steps, objections resolved with an outcome, and the cycle after recognition:
renewal after a re-review, revocation with grounds, lapse when the term passes unrenewed.

The moves themselves stay in services.move (one compare-and-set per move, so two reviewers
pressing 同意 at once move the application once); this module names them and adds the steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _, lazy_gettext as _l

from saas.auth.models import User
from saas.extensions import db
from saas.tenancy import Tenant, cross_tenant_reads, tenant_scope
from tenants.recognition.services import grounds_labels
from tenants.schemes.standards import of_scheme

from .models import NOTICE_DAYS, SECTIONS, Application, Objection
from .services import ApplicationError, _record, allowed_moves, event, hold, level_of, move

# (status, action) → the status it moves to. Who may take it is services.TRANSITIONS.
MOVES = {
    ("submitted", "accept"): "district_review",
    ("submitted", "return"): "returned",
    ("district_review", "approve"): "recommended",
    ("district_review", "return"): "returned",
    ("recommended", "accept"): "city_review",
    ("city_review", "approve"): "public_notice",
    ("city_review", "return"): "returned",
    ("city_review", "refuse"): "rejected",
    ("public_notice", "approve"): "recognised",
    ("public_notice", "refuse"): "rejected",
    ("recognised", "revoke"): "revoked",
}
STEPS = ("materials", "data_check", "on_site", "expert")  # = standards.REVIEW_STEPS, their order
# The expert assessment is recorded with the expert panel's verdict (scoring.py), not by a button.
RECORDED_HERE = ("materials", "data_check", "on_site")
OTHER = ("object", "resolve", "renew")
ACTIONS = ("accept", "approve", "return", "refuse", "revoke", *RECORDED_HERE, *OTHER)
NEEDS_OPINION = ("return", "refuse", "revoke", "object", "resolve", *RECORDED_HERE)


def step_labels() -> dict:
    return {"materials": _l("Materials review"), "data_check": _l("Data comparison"),
            "on_site": _l("On-site check"), "expert": _l("Expert assessment")}


def action_label(status: str, action: str) -> str:
    """The button's words, which depend on where the application stands."""
    if action in STEPS:
        return str(step_labels()[action])
    return {("submitted", "accept"): _("Start the preliminary review"),
            ("recommended", "accept"): _("Start the city review"),
            ("district_review", "approve"): _("Approve and recommend"),
            ("city_review", "approve"): _("Approve for public notice"),
            ("public_notice", "approve"): _("Recognise"),
            }.get((status, action)) or {
        "return": _("Return for revision"), "refuse": _("Refuse recognition"), "revoke": _("Revoke the recognition"),
        "renew": _("Re-review passed: renew"), "object": _("Record an objection"), "resolve": _("Resolve the objection"),
    }.get(action, action)


@dataclass
class Decision:
    """What a reviewer sends with a button (form or API): the action word, the opinion, and the
    fields some actions need."""

    action: str
    opinion: str = ""
    section_comments: dict = field(default_factory=dict)
    notice_start: date | None = None
    certificate_no: str = ""
    recognised_on: date | None = None
    issued_by: str = ""
    grounds: str = ""
    objection_id: int | None = None
    received_on: date | None = None
    renewed_on: date | None = None

    def clean_comments(self) -> dict:
        return {c: str(t).strip()[:2000] for c, t in (self.section_comments or {}).items()
                if c in SECTIONS and isinstance(t, str) and t.strip()}


def available(application: Application, user: User, tenant: Tenant) -> list[str]:
    """The action words open to this reviewer now, in the order the buttons show them."""
    moves = set(allowed_moves(application, user, tenant))
    out = [a for a in ("accept", "approve", "return", "refuse", "revoke")
           if MOVES.get((application.status, a)) in moves]
    city = level_of(user, tenant) == "city"
    if city and application.status == "city_review":
        out = [s for s in of_scheme(application.scheme).review_steps if s in RECORDED_HERE] + out
    if city and application.status == "public_notice":
        out.append("object")
        if db.session.scalar(sa.select(sa.func.count(Objection.id)).where(
                Objection.application_id == application.id, Objection.resolved_on.is_(None))):
            out.append("resolve")
    if city and application.status in ("recognised", "lapsed"):
        out.insert(0, "renew")
    return out


def consequence(application: Application, d: Decision, user: User) -> str:
    """What pressing the button does, in words, with the dates it will record."""
    status, action = application.status, d.action
    if action in STEPS:
        return _("The %(step)s of the city review is recorded with your opinion, on today's date.",
                 step=step_labels()[action])
    if action == "accept" and status == "submitted":
        return _("The district's preliminary review begins. The base can change the application again only if "
                 "it is returned.")
    if action == "accept":
        steps = "、".join(str(step_labels()[s]) for s in of_scheme(application.scheme).review_steps)
        return _("The city review begins: %(steps)s are recorded, then the application goes to public notice, "
                 "is returned or is refused.", steps=steps)
    if action == "approve" and status == "district_review":
        return _("The district recommends the application to the city bureau, which reviews it next.")
    if action == "approve" and status == "city_review":
        start = d.notice_start or date.today()
        return _("The application goes to public notice for %(days)d days, from %(start)s to %(end)s. An objection "
                 "received in that time blocks recognition until its outcome is recorded.", days=NOTICE_DAYS,
                 start=start.isoformat(), end=(start + timedelta(days=NOTICE_DAYS - 1)).isoformat())
    if action == "approve":
        on = d.recognised_on or date.today()
        until, due = of_scheme(application.scheme).term(on)
        bureau = d.issued_by.strip() or (user.bureau.name if user.bureau else "")
        return _("The base is recognised on %(date)s with certificate %(no)s issued by %(bureau)s, valid until "
                 "%(until)s (next review due %(due)s). The certificate document is generated.",
                 date=on.isoformat(), no=d.certificate_no.strip() or "—", bureau=bureau or "—",
                 until=until.isoformat() if until else _("no fixed term"), due=due.isoformat() if due else "—")
    if action == "return":
        return _("The application goes back to the base with your opinion and comments. The base revises it and "
                 "submits a new version, which is reviewed again from the district's preliminary review.")
    if action == "refuse":
        return _("The base is not recognised. This ends the application; the base may apply again in a later year.")
    if action == "revoke":
        return _("The recognition is revoked on the grounds “%(grounds)s”: the base loses the title from today.",
                 grounds=grounds_labels().get(d.grounds, "—"))
    if action == "renew":
        until, due = of_scheme(application.scheme).term(d.renewed_on or date.today())
        return _("The re-review is passed: the recognition is valid until %(until)s, the next review due %(due)s.",
                 until=until.isoformat() if until else _("no fixed term"), due=due.isoformat() if due else "—")
    if action == "object":
        return _("The objection is recorded; recognition waits until its outcome is recorded.")
    if action == "resolve":
        return _("The objection is closed with this outcome and no longer blocks recognition.")
    return ""


def decide(application: Application, d: Decision, user: User, tenant: Tenant) -> str:
    """Carry out one decision; returns the words to confirm it with. ApplicationError for the
    user (conflict=True when the application moved meanwhile or the action is not theirs)."""
    if d.action not in ACTIONS:
        raise ApplicationError(_("Action: choose one of the buttons."))
    label = action_label(application.status, d.action)  # the button's words, before it moves
    opinion = (d.opinion or "").strip()[:5000]
    if d.action in NEEDS_OPINION and not opinion:
        raise ApplicationError({"object": _("Write the objection."),
                                "resolve": _("Outcome: write how the objection was resolved.")}.get(d.action) or
                               (_("Give the reasons.") if d.action in ("return", "refuse", "revoke") else
                                _("Opinion: write what was found.")))
    if d.action in RECORDED_HERE:
        record_step(application, d.action, user, tenant, opinion)
    elif d.action == "object":
        from .services import add_objection

        add_objection(application, opinion, d.received_on, user, tenant)
    elif d.action == "resolve":
        resolve_objection(application, d.objection_id, opinion, user, tenant)
    elif d.action == "renew":
        renew(application, user, tenant, opinion, d.renewed_on, d.certificate_no)
    else:
        target = MOVES.get((application.status, d.action))
        if target is None:
            raise ApplicationError(_("This step is not open to you now."), conflict=True)
        move(application, target, user, tenant, opinion, d.clean_comments() if target == "returned" else None,
             notice_start=d.notice_start, certificate_no=d.certificate_no, recognised_on=d.recognised_on,
             issued_by=d.issued_by, grounds=d.grounds)
    return label


def record_step(application: Application, step: str, user: User, tenant: Tenant, opinion: str) -> None:
    """A city review step (CQ-3) with the reviewer's opinion: a line in the city review's node.
    Recorded again, the later one stands beside the earlier."""
    if level_of(user, tenant) != "city" or step not in of_scheme(application.scheme).review_steps \
            or step not in RECORDED_HERE:
        raise ApplicationError(_("This step is not open to you now."), conflict=True)
    if not opinion.strip():
        raise ApplicationError(_("Opinion: write what was found."))
    if not hold(application, ["city_review"]):
        raise ApplicationError(_("The city review's steps are recorded during the city review."), conflict=True)
    event(application, "city_review", "city_review", user.id, opinion.strip()[:5000], step)


def resolve_objection(application: Application, objection_id: int | None, outcome: str, user: User,
                      tenant: Tenant) -> Objection:
    """Closes an objection with its outcome, who and when; compare-and-set on its open state."""
    if level_of(user, tenant) != "city":
        raise ApplicationError(_("This step is not open to you now."), conflict=True)
    objection = db.session.get(Objection, objection_id) if isinstance(objection_id, int) else None
    if objection is None or objection.application_id != application.id:
        raise ApplicationError(_("Objection: choose one of this application's objections."))
    if not (outcome or "").strip():
        raise ApplicationError(_("Outcome: write how the objection was resolved."))
    if not hold(application, ["public_notice"]):
        raise ApplicationError(_("Objections are resolved during the public notice."), conflict=True)
    closed = db.session.execute(sa.update(Objection).where(Objection.id == objection.id,
                                                           Objection.resolved_on.is_(None))
                                .values(outcome=outcome.strip()[:5000], resolved_on=date.today(),
                                        resolved_by_id=user.id)
                                .execution_options(synchronize_session=False)).rowcount
    if closed != 1:
        raise ApplicationError(_("This objection was resolved meanwhile."), conflict=True)
    db.session.refresh(objection)
    event(application, "public_notice", "public_notice", user.id, objection.outcome, "objection_resolved")
    return objection


def renew(application: Application, user: User, tenant: Tenant, opinion: str, on: date | None,
          certificate_no: str = "") -> None:
    """A passed re-review (CQ-3) or annual evaluation (XC-2): a new term from `on`; a lapsed
    recognition renewed late is recognised again from that day."""
    if level_of(user, tenant) != "city" or application.status not in ("recognised", "lapsed"):
        raise ApplicationError(_("This step is not open to you now."), conflict=True)
    on = on or date.today()
    if on > date.today() or (application.recognised_on and on < application.recognised_on):
        raise ApplicationError(_("Date of the re-review: not before the recognition, not in the future."))
    old, before = application.status, application.valid_until
    until, due = of_scheme(application.scheme).term(on)
    number = (certificate_no or "").strip()[:64] or application.certificate_no
    same_term = Application.valid_until.is_(None) if before is None else Application.valid_until == before
    moved = db.session.execute(sa.update(Application).where(
        Application.id == application.id, Application.status == old, same_term)
        .values(status="recognised", valid_until=until, rereview_due=due, certificate_no=number)
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise ApplicationError(_("Someone else moved this application first."), conflict=True)
    db.session.refresh(application)
    _record(application, old, "recognised", user.id, opinion.strip()[:5000], step="renewed")


def lapse_overdue(today: date | None = None) -> int:
    """Every recognised base whose term passed without a renewal lapses (nightly): the timeline
    says so, and the base no longer counts as recognised. Returns how many lapsed."""
    today = today or date.today()
    with cross_tenant_reads("the nightly lapse of recognitions whose term has passed"):
        due = db.session.execute(sa.select(Application.tenant_id, Application.id).where(
            Application.status == "recognised", Application.valid_until.is_not(None),
            Application.valid_until < today)).all()
    lapsed = 0
    for tenant_id, application_id in due:
        with tenant_scope(tenant_id):
            application = db.session.get(Application, application_id)
            moved = db.session.execute(sa.update(Application).where(
                Application.id == application_id, Application.status == "recognised",
                Application.valid_until < today).values(status="lapsed")
                .execution_options(synchronize_session=False)).rowcount
            if moved == 1:
                _record(application, "recognised", "lapsed", None, step="lapsed")
                lapsed += 1
            db.session.commit()
    return lapsed

