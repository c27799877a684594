"""Applications: start, write, check what is missing, submit (freeze), and the review chain.

Who may move an application where is one table (TRANSITIONS); every move records who, when and
why, and tells the tenant's administrators (in-app and by e-mail).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _

from saas.auth.models import Membership, User
from saas.extensions import db
from saas.links import public_url
from saas.notifications import notify
from saas.templating import locale_code
from saas.tenancy import Tenant, utcnow
from tenants.plans.services import YEARS
from tenants.schemes.service import base_schemes, schemes
from tenants.recognition.models import REVOCATION_GROUNDS
from tenants.schemes.standards import of_scheme, units_required

from . import dossier
from .models import EDITABLE, NOTICE_DAYS, SECTIONS, Application, ApplicationEvent, ApplicationVersion, Objection

# (from, to) → who moves it: "tenant" (its admins), "district" (the tenant's own bureau),
# "city" (a city or province bureau of the jurisdiction).
TRANSITIONS = {
    ("draft", "submitted"): "tenant",
    ("returned", "submitted"): "tenant",
    ("submitted", "district_review"): "district",
    ("submitted", "returned"): "district",
    ("district_review", "recommended"): "district",
    ("district_review", "returned"): "district",
    ("recommended", "city_review"): "city",
    ("city_review", "returned"): "city",
    ("city_review", "public_notice"): "city",
    ("city_review", "rejected"): "city",
    ("public_notice", "recognised"): "city",
    ("public_notice", "rejected"): "city",
    ("recognised", "revoked"): "city",
}

def status_labels() -> dict:
    return {"draft": _("Draft"), "submitted": _("Submitted"), "district_review": _("District review"),
            "returned": _("Returned for revision"), "recommended": _("Recommended"), "city_review": _("City review"),
            "public_notice": _("Public notice"), "recognised": _("Recognised"), "rejected": _("Not recognised"),
            "revoked": _("Revoked"), "lapsed": _("Lapsed (re-review not passed in time)")}


class ApplicationError(ValueError):
    """The message is for the user; `conflict` marks a double submission or a stale move."""

    def __init__(self, message: str, conflict: bool = False):
        super().__init__(message)
        self.conflict = conflict


def start(tenant: Tenant, scheme_code: str, year: int) -> Application:
    """A new draft against one of the base schemes of the tenant's set of standards."""
    if scheme_code not in {s.code for s in base_schemes(tenant)}:
        raise ApplicationError(_("Choose a scheme for the base."))
    if year not in YEARS:  # the years a plan may have: the dossier reads that year's figures and plan
        raise ApplicationError(_("Year: choose a year from %(first)d to %(last)d.", first=YEARS[0], last=YEARS[-1]))
    existing = db.session.scalar(sa.select(Application).where(Application.scheme == scheme_code,
                                                              Application.year == year))
    if existing is not None:
        return existing
    application = Application(scheme=scheme_code, year=year, sections={c: "" for c in SECTIONS})
    db.session.add(application)
    db.session.flush()
    return application


def save_sections(application: Application, texts: dict, version: int | None = None) -> None:
    """Compare-and-set, like submitting: the texts are written only if the row is still editable
    and still at `version` (the submissions the writer saw, from the form; else the loaded one).
    An edit that loses the race with a submission changes nothing, so the frozen snapshot and the
    live sections never differ."""
    if not application.editable:
        raise ApplicationError(_("A submitted application cannot be edited."), conflict=True)
    if not _claim(application, application.version if version is None else version):
        raise ApplicationError(_("This application was submitted after you opened it: your changes were not saved."),
                               conflict=True)
    db.session.refresh(application)  # the old texts as they are now, for the audit log
    application.sections = {c: (texts.get(c) or "").strip()[:20000] for c in SECTIONS}


def checklist(application: Application, data: dict) -> list[tuple[str, str]]:
    """(level, message): "blocker" prevents submission, "warning" is shown clearly."""
    out = []
    for section in data["sections"]:
        if not section["text"]:
            out.append(("blocker", _("The section “%(title)s” is empty.", title=section["title"])))
    for entry in data.get("organisation", []):  # printed as "—" in the dossier: said, not silent
        if not (entry.get("text") or "").strip():
            out.append(("warning", _("“%(title)s” of the base's organisation is empty: the dossier prints “—”. "
                                     "Fill it in under Settings.", title=entry["title"])))
    for code in data["readiness"]["needs_evidence"]:
        out.append(("blocker", _("Item %(code)s is declared met but has no supporting evidence.", code=code)))
    # As many demonstration units as the scheme's own rules ask for (cq-park 5, wh-station 2);
    # no warning where it asks for none (tj-base, xc-zone).
    demo, needed = data["raw"]["demonstration_units"], units_required(schemes().get(application.scheme))
    if needed is not None and demo < needed:
        out.append(("warning", _("Only %(n)d demonstration units: the standard asks for at least %(needed)d.",
                                 n=demo, needed=needed)))
    if data["readiness"]["passed"] is False:
        out.append(("warning", _("The readiness score does not reach the pass mark yet.")))
    for group in data["readiness"]["groups"]:
        for item in group["items"]:
            if not item["met"] and item["status"] != "needs_evidence":
                out.append(("warning", _("Item %(code)s is not met: %(title)s", code=item["code"], title=item["title"])))
    return out


def _admins() -> list[User]:
    return list(db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id)
                                   .where(Membership.role == "admin", User.active.is_(True))))


def event(application: Application, old: str, new: str, user_id: int | None, comment: str = "", step: str = "",
          section_comments: dict | None = None) -> ApplicationEvent:
    """One line of the timeline: a move (step empty) or a step inside a stage (old == new)."""
    row = ApplicationEvent(application_id=application.id, from_status=old, to_status=new, user_id=user_id,
                           comment=comment, step=step, section_comments=section_comments or {})
    db.session.add(row)
    return row


def _record(application: Application, old: str, new: str, user_id: int | None, comment: str = "",
            section_comments: dict | None = None, step: str = "") -> None:
    event(application, old, new, user_id, comment, step, section_comments)
    link = public_url("applications.show", tenant_slug=g.tenant.slug, application_id=application.id) \
        if g.get("tenant") is not None else ""
    scheme = schemes().get(application.scheme)  # in words: the notification is read, not parsed
    notify(_admins(), _("Application %(scheme)s %(year)d: %(status)s",
                        scheme=scheme.title(locale_code()) if scheme else application.scheme,
                        year=application.year, status=status_labels()[new]), link, kind="review")


def _claim(application: Application, version: int) -> bool:
    """The compare-and-set of an edit: an UPDATE that changes nothing, matching only while the
    application is editable at `version`. It holds the row (PostgreSQL) or the database (SQLite)
    until the commit, so no submission can come between this check and the edit's own write."""
    result = db.session.execute(sa.update(Application).where(
        Application.id == application.id, Application.status.in_(EDITABLE), Application.version == version)
        .values(status=Application.status).execution_options(synchronize_session=False))
    return result.rowcount == 1


def hold(application: Application, states) -> bool:
    """Compare-and-set for a step inside a stage: an UPDATE that changes nothing, matching only
    while the application is in one of `states`; it holds the row until the commit, so no move
    comes between this check and the step's own writes."""
    result = db.session.execute(sa.update(Application).where(
        Application.id == application.id, Application.status.in_(states))
        .values(status=Application.status).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _move(application: Application, old_states, new: str) -> bool:
    """Compare-and-set: only one of two concurrent requests moves the application."""
    result = db.session.execute(sa.update(Application).where(
        Application.id == application.id, Application.status.in_(old_states)).values(status=new)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def submit(application: Application, user: User, tenant: Tenant) -> ApplicationVersion:
    """Freeze every figure and list, record who and when; a second submit is refused.

    The move comes first and the freezing after it, from the row as the move found it: an edit
    committed just before is in the snapshot, one coming after finds the application submitted
    (save_sections). Refused for a blocker, the caller's rollback undoes the move. The snapshot
    records the language it is written in, the language of its PDF (tasks.version_pdf)."""
    if application.status not in EDITABLE:
        raise ApplicationError(_("This application is already submitted."), conflict=True)
    old = application.status
    if not _move(application, EDITABLE, "submitted"):
        raise ApplicationError(_("This application is already submitted."), conflict=True)
    db.session.refresh(application)
    data = {**dossier.build(application, tenant), "locale": locale_code()}
    blockers = [m for level, m in checklist(application, data) if level == "blocker"]
    if blockers:
        raise ApplicationError(blockers[0])
    application.version += 1
    application.snapshot = data
    application.submitted_by_id, application.submitted_at = user.id, utcnow()
    application.pdf_path, application.pdf_sha256 = "", ""
    version = ApplicationVersion(application_id=application.id, version=application.version, snapshot=data)
    db.session.add(version)
    _record(application, old, "submitted", user.id)
    return version


def level_of(user: User, tenant: Tenant) -> str | None:
    """Which review steps a reviewer may take for this tenant."""
    if not user.is_reviewer:
        return None
    if user.bureau_id == tenant.bureau_id:
        return "city" if user.bureau.level in ("city", "province") else "district"
    return "city" if user.bureau.level in ("city", "province") else None


def allowed_moves(application: Application, user: User, tenant: Tenant) -> list[str]:
    level = level_of(user, tenant)
    out = []
    for (old, new), who in TRANSITIONS.items():
        if old != application.status or who == "tenant":
            continue
        # The tenant's own bureau may also take the district steps when it is a city bureau.
        if who == level or (who == "district" and level == "city" and user.bureau_id == tenant.bureau_id):
            out.append(new)
    return out


def missing_steps(application: Application) -> list[str]:
    """The city review's steps of the application's standard not recorded since the city took
    the current version into review (a resubmitted version is reviewed again)."""
    events = db.session.execute(sa.select(ApplicationEvent.id, ApplicationEvent.from_status, ApplicationEvent.to_status,
                                          ApplicationEvent.step)
                                .where(ApplicationEvent.application_id == application.id)).all()
    since = max((e.id for e in events if e.to_status == "city_review" and e.from_status != "city_review"), default=0)
    done = {e.step for e in events if e.id > since and e.from_status == e.to_status == "city_review"}
    return [s for s in of_scheme(application.scheme).review_steps if s not in done]


def open_objections(application: Application) -> list[Objection]:
    return list(db.session.scalars(sa.select(Objection).where(Objection.application_id == application.id,
                                                              Objection.resolved_on.is_(None))
                                   .order_by(Objection.received_on, Objection.id)))


def _check(application: Application, new: str, comment: str, recognised_on: date, certificate_no: str,
           grounds: str) -> None:
    """The rules of each move, before anything is written; each message names what to fix."""
    from .flow import step_labels

    if new in ("returned", "rejected", "revoked") and not comment.strip():
        raise ApplicationError(_("Give the reasons."))
    if new == "public_notice":
        missing = missing_steps(application)
        if missing:
            raise ApplicationError(_("Record the city review's steps first: %(steps)s.",
                                     steps="、".join(str(step_labels()[s]) for s in missing)))
        if application.panel_passed is False:
            raise ApplicationError(_("The expert panel did not pass this application: return it or refuse "
                                     "recognition."))
    if new == "recognised":
        if application.notice_end and recognised_on <= application.notice_end:
            raise ApplicationError(_("The public notice runs until %(date)s.", date=application.notice_end.isoformat()))
        if recognised_on > date.today():
            raise ApplicationError(_("Date of recognition: not in the future."))
        pending = open_objections(application)
        if pending:
            raise ApplicationError(_("The objection received on %(date)s is not resolved: record its outcome first.",
                                     date=pending[0].received_on.isoformat()))
        if not certificate_no.strip():
            raise ApplicationError(_("Enter the certificate number."))
    if new == "revoked" and grounds not in REVOCATION_GROUNDS:
        raise ApplicationError(_("Choose the grounds for revocation."))


def move(application: Application, new: str, user: User, tenant: Tenant, comment: str = "",
         section_comments: dict | None = None, notice_start: date | None = None,
         certificate_no: str = "", recognised_on: date | None = None, issued_by: str = "",
         grounds: str = "") -> None:
    old = application.status
    if new not in allowed_moves(application, user, tenant):
        raise ApplicationError(_("This step is not open to you now."), conflict=True)
    recognised_on = recognised_on or date.today()
    _check(application, new, comment, recognised_on, certificate_no, grounds)
    if not _move(application, [old], new):
        raise ApplicationError(_("Someone else moved this application first."), conflict=True)
    db.session.refresh(application)
    if new == "public_notice":
        application.notice_start = notice_start or date.today()
        application.notice_end = application.notice_start + timedelta(days=NOTICE_DAYS - 1)
    elif new == "recognised":
        application.recognised_on = recognised_on
        application.certificate_no = certificate_no.strip()[:64]
        # The recognising bureau, as the certificate names it: the reviewer's own, unless typed.
        application.issued_by = (issued_by.strip() or (user.bureau.name if user.bureau else ""))[:200]
        # The term: two years in Chongqing (CQ-3), a year in Xicheng (XC-2), the next acceptance
        # in Tianjin (TJ-6); the re-review is due by the last valid day.
        application.valid_until, application.rereview_due = of_scheme(application.scheme).term(recognised_on)
        application.final_score = final_score(application)
    _record(application, old, new, user.id, comment.strip(), section_comments,
            step=grounds if new == "revoked" else "")


def final_score(application: Application) -> float | None:
    """The expert panel's average: tenants/applications/scoring.py keeps the panel."""
    from .scoring import final_score as average  # scoring builds on this module

    return average(application)


def add_objection(application: Application, text: str, received_on: date | None, user: User,
                  tenant: Tenant) -> Objection:
    """An objection received during the public notice; it blocks recognition until resolved."""
    if level_of(user, tenant) != "city":
        raise ApplicationError(_("This step is not open to you now."), conflict=True)
    if application.status != "public_notice":
        raise ApplicationError(_("Objections are recorded during the public notice."), conflict=True)
    if not (text or "").strip():
        raise ApplicationError(_("Write the objection."))
    received_on = received_on or date.today()
    if application.notice_start and not application.notice_start <= received_on <= min(application.notice_end,
                                                                                        date.today()):
        raise ApplicationError(_("Received on: a day of the public notice (%(start)s – %(end)s), not in the future.",
                                 start=application.notice_start.isoformat(), end=application.notice_end.isoformat()))
    if not hold(application, ["public_notice"]):
        raise ApplicationError(_("Objections are recorded during the public notice."), conflict=True)
    row = Objection(application_id=application.id, text=text.strip()[:5000], received_on=received_on)
    db.session.add(row)
    event(application, "public_notice", "public_notice", user.id, row.text, "objection")
    return row
