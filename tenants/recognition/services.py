"""Unit applications and recognitions: start, self-assess, submit, pre-review, decide; record a
recognition made before the platform; revoke and renew. Every move is compare-and-set on the
status, so two reviewers pressing the same button move an application once.

Figures read from here are dated: `valid_on(day)` is the one definition of "a demonstration
unit on that day", used by the metrics service, the roster and the unit pages alike.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from flask_babel import gettext as _, lazy_gettext as _l

from saas import files
from saas.extensions import db
from saas.tenancy import utcnow
from tenants.members.models import Enterprise
from tenants.schemes.scoring import Result, evaluate
from tenants.schemes.service import schemes
from tenants.schemes.standards import current_standard, of_scheme
from tenants.stations.models import Station

from .models import REVOCATION_GROUNDS, UNIT_EDITABLE, Recognition, RecognitionEvent, UnitApplication
from .queries import valid_on

EVIDENCE_OWNER = "unit_application"
SOON = timedelta(days=90)  # re-reviews due within this many days are shown as due
MAX_NOTE = 2000


class UnitError(ValueError):
    """A request the service refuses; the message is for the user."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def status_labels() -> dict:
    return {"draft": _("Draft"), "submitted": _("Waiting for the park's pre-review"),
            "returned": _("Returned for revision"), "recommended": _("Recommended, waiting for the bureau"),
            "recognised": _("Recognised"), "refused": _("Not recognised")}


def grounds_labels() -> dict:
    return {"false_material": _l("False material"), "major_violation": _l("Major violation or dishonesty"),
            "protection_gaps": _l("Obvious protection gaps"), "no_longer_meets": _l("No longer meets the standard")}


def event_labels() -> dict:
    return {"recognised": _("Recognised"), "recorded": _("Recorded (recognised before the platform)"),
            "evaluated": _("Evaluated"), "renewed": _("Renewed after re-review"), "revoked": _("Revoked")}


def validity(scheme_code: str, recognised_on: date) -> date | None:
    """The last valid day of a recognition: the re-review term of the scheme's set of standards,
    the same term as a base's (None: no term)."""
    return of_scheme(scheme_code).term(recognised_on)[0]


def unit_schemes(kind: str) -> list:
    """The schemes a unit of this kind applies against, of the tenant's set of standards
    (enterprise: cq-enterprise, wh-enterprise, xc-point; station: wh-station)."""
    return current_standard().unit_schemes(kind)


# --- applications ---------------------------------------------------------------------------------

def start(kind: str, unit_id: int, scheme_code: str, year: int, user_id: int | None) -> UnitApplication:
    """A new draft, or the unit's open application for the same scheme and year (a double
    click, or a second tab, does not make two)."""
    if kind not in ("enterprise", "station"):
        raise UnitError(_("Unknown kind of unit."), "kind")
    if scheme_code not in {s.code for s in unit_schemes(kind)}:
        raise UnitError(_("Choose a standard for this kind of unit."), "scheme")
    if not 2000 <= year <= date.today().year + 1:
        raise UnitError(_("Choose a year between %(first)d and %(last)d.", first=2000, last=date.today().year + 1),
                        "year")
    model = Enterprise if kind == "enterprise" else Station
    unit = db.session.get(model, unit_id)
    if unit is None or (kind == "enterprise" and unit.status == "withdrawn") or \
            (kind == "station" and not unit.active):
        raise UnitError(_("Choose a current member enterprise or station."), "unit")
    # Take the unit's row before looking: an UPDATE that changes nothing holds it (PostgreSQL) or
    # the database (SQLite) until the commit, so of simultaneous starts the first creates the
    # draft and the others find it, never a second one.
    db.session.execute(sa.update(model).where(model.id == unit_id).values(name=model.name)
                       .execution_options(synchronize_session=False))
    column = UnitApplication.enterprise_id if kind == "enterprise" else UnitApplication.station_id
    existing = db.session.scalar(sa.select(UnitApplication).where(
        column == unit_id, UnitApplication.scheme == scheme_code, UnitApplication.year == year,
        UnitApplication.status.in_(("draft", "submitted", "returned", "recommended"))))
    if existing is not None:
        return existing
    application = UnitApplication(kind=kind, scheme=scheme_code, year=year, created_by_id=user_id,
                                  **{"enterprise_id" if kind == "enterprise" else "station_id": unit_id})
    db.session.add(application)
    db.session.flush()
    return application


def evidence(application: UnitApplication) -> dict[str, list]:
    out: dict[str, list] = {}
    for attachment in files.attachments_of(EVIDENCE_OWNER, application.id):
        out.setdefault(attachment.label, []).append(attachment)
    return out


def assess(application: UnitApplication) -> Result:
    """The scheme evaluated for this unit: computed items from its records, claimed items from
    its self-assessment (counted only with evidence, as everywhere)."""
    scheme = schemes()[application.scheme]
    metrics = unit_metrics(application)
    claims = {code: SimpleNamespace(met=bool(c.get("claimed")), override_points=None, note=c.get("note", ""))
              for code, c in (application.self_assessment or {}).items()}
    return evaluate(scheme, metrics, claims, evidence(application))


def unit_metrics(application: UnitApplication) -> dict:
    from tenants.metrics.service import enterprise_metrics, station_metrics

    if application.kind == "enterprise":
        return enterprise_metrics(application.year).get(application.enterprise_id, {})
    return station_metrics(application.station_id, application.year)


def save_self_assessment(application: UnitApplication, claims: dict[str, tuple[bool, str]]) -> None:
    """Claims for the scheme's manual items (bonus items included), compare-and-set: an edit
    that loses the race against a submission changes nothing."""
    scheme = schemes()[application.scheme]
    manual = {i.code for g in scheme.groups for i in g.items if i.manual}
    value = {code: {"claimed": bool(claimed), "note": (note or "")[:MAX_NOTE]}
             for code, (claimed, note) in claims.items() if code in manual}
    _cas(application, UNIT_EDITABLE, self_assessment=value)
    application.self_assessment = value


def submit(application: UnitApplication) -> Result:
    result = assess(application)
    _cas(application, UNIT_EDITABLE, status="submitted", submitted_at=utcnow(), snapshot=frozen(result))
    return result


def frozen(result: Result) -> dict:
    """What the reviewers decide on, as figures that no later record changes."""
    return {"scheme": result.scheme.code, "total": result.total, "maximum": result.maximum, "passed": result.passed,
            "met": result.met, "count": result.count, "frozen_on": date.today().isoformat(),
            "items": [{"code": r.item.code, "status": r.status, "points": r.points,
                       "values": {k: v for k, v in r.values.items() if isinstance(v, (int, float, bool, type(None)))}}
                      for g in result.groups for r in g.items]}


def pre_review(application: UnitApplication, recommend: bool, comments: dict[str, str], note: str) -> None:
    """The park's pre-review: comments per item, then recommend it to the bureau or return it."""
    note = (note or "").strip()[:MAX_NOTE]
    if not recommend and not note:
        raise UnitError(_("Say what must be revised."), "note")
    scheme = schemes()[application.scheme]
    codes = set(scheme.items)
    kept = {code: text.strip()[:MAX_NOTE] for code, text in comments.items() if code in codes and text.strip()}
    if recommend:
        _cas(application, ("submitted",), status="recommended", recommended_at=utcnow(), park_comments=kept,
             decision_note=note)
    else:
        _cas(application, ("submitted",), status="returned", park_comments=kept, decision_note=note)


def decide(application: UnitApplication, recognise: bool, user_id: int, *, certificate_no: str = "",
           recognised_on: date | None = None, issued_by: str = "", note: str = "") -> Recognition | None:
    """The bureau recognises (with certificate number, date and issuing body) or refuses (with
    its reason)."""
    note = (note or "").strip()[:MAX_NOTE]
    if recognise:
        certificate_no, issued_by = certificate_no.strip(), issued_by.strip()
        if not certificate_no:
            raise UnitError(_("Enter the certificate number."), "certificate_no")
        if not issued_by:
            raise UnitError(_("Enter the issuing body."), "issued_by")
        if recognised_on is None or recognised_on > date.today():
            raise UnitError(_("Enter the date of recognition (not in the future)."), "recognised_on")
        _cas(application, ("recommended",), status="recognised", decided_at=utcnow(), decided_by_id=user_id,
             decision_note=note)
        return _recognition(application.kind, application.enterprise_id or application.station_id,
                            application.scheme, "platform", certificate_no, recognised_on, issued_by, user_id,
                            application_id=application.id, note=note)
    if not note:
        raise UnitError(_("Give the reason for not recognising it."), "note")
    _cas(application, ("recommended",), status="refused", decided_at=utcnow(), decided_by_id=user_id,
         decision_note=note)
    return None


def _cas(application: UnitApplication, states, **values) -> None:
    """Compare-and-set on the status: of two concurrent requests only the first moves it."""
    moved = db.session.execute(sa.update(UnitApplication).where(
        UnitApplication.id == application.id, UnitApplication.status.in_(states)).values(**values)
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.expire(application)
        raise UnitError(_("This application has moved on meanwhile (now: %(status)s); nothing was changed.",
                          status=status_labels().get(application.status, application.status)), "status")
    for key, value in values.items():
        setattr(application, key, value)


# --- recognitions -------------------------------------------------------------------------------

def _recognition(kind: str, unit_id: int, scheme_code: str, source: str, certificate_no: str, recognised_on: date,
                 issued_by: str, user_id: int | None, application_id: int | None = None,
                 note: str = "") -> Recognition:
    recognition = Recognition(kind=kind, scheme=scheme_code, source=source, certificate_no=certificate_no[:64],
                              issued_by=issued_by[:200], recognised_on=recognised_on,
                              valid_until=validity(scheme_code, recognised_on), application_id=application_id,
                              recorded_by_id=user_id,
                              **{"enterprise_id" if kind == "enterprise" else "station_id": unit_id})
    db.session.add(recognition)
    db.session.flush()
    db.session.add(RecognitionEvent(recognition_id=recognition.id, happened_on=recognised_on, user_id=user_id,
                                    kind="recognised" if source == "platform" else "recorded", note=note))
    return recognition


def record_existing(kind: str, unit_id: int, scheme_code: str, certificate_no: str, recognised_on: date | None,
                    issued_by: str, user_id: int | None, note: str = "") -> Recognition:
    """A recognition a bureau made before the base used the platform, as staff enter it from
    the certificate: marked `recorded`, and shown as such to reviewers."""
    model = Enterprise if kind == "enterprise" else Station
    if db.session.get(model, unit_id) is None:
        raise UnitError(_("Choose a current member enterprise or station."), "unit")
    if scheme_code and scheme_code not in {s.code for s in unit_schemes(kind)}:
        raise UnitError(_("Choose a standard for this kind of unit."), "scheme")
    if not certificate_no.strip():
        raise UnitError(_("Enter the certificate number."), "certificate_no")
    if not issued_by.strip():
        raise UnitError(_("Enter the issuing body."), "issued_by")
    if recognised_on is None or recognised_on > date.today() or recognised_on.year < 2000:
        raise UnitError(_("Enter the date of recognition (not in the future)."), "recognised_on")
    return _recognition(kind, unit_id, scheme_code, "recorded", certificate_no.strip(), recognised_on,
                        issued_by.strip(), user_id, note=(note or "").strip()[:MAX_NOTE])


def revoke(recognition: Recognition, on: date | None, grounds: str, note: str, user_id: int) -> None:
    """Revoked from `on` (CQ-3 grounds). Earlier periods keep counting it."""
    note = (note or "").strip()[:MAX_NOTE]
    if grounds not in REVOCATION_GROUNDS:
        raise UnitError(_("Choose the grounds for revocation."), "grounds")
    if not note:
        raise UnitError(_("Describe the facts behind the revocation."), "note")
    if on is None or on < recognition.recognised_on or on > date.today():
        raise UnitError(_("Enter the date of revocation: not before the recognition, not in the future."), "on")
    moved = db.session.execute(sa.update(Recognition).where(Recognition.id == recognition.id,
                                                            Recognition.ended_on.is_(None))
                               .values(ended_on=on, end_grounds=grounds, end_note=note)
                               .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise UnitError(_("This recognition has already ended."), "status")
    recognition.ended_on, recognition.end_grounds, recognition.end_note = on, grounds, note
    db.session.add(RecognitionEvent(recognition_id=recognition.id, kind="revoked", happened_on=on,
                                    grounds=grounds, note=note, user_id=user_id))


def renew(recognition: Recognition, on: date | None, certificate_no: str, note: str, user_id: int) -> Recognition:
    """A passed re-review or evaluation: a new period of validity from `on`. The old one keeps
    its dates (a past period's count never moves)."""
    if recognition.ended_on is not None:
        raise UnitError(_("A revoked recognition cannot be renewed; the unit applies again."), "status")
    if on is None or on < recognition.recognised_on or on > date.today():
        raise UnitError(_("Enter the date of the re-review: not before the recognition, not in the future."), "on")
    if db.session.scalar(sa.select(sa.func.count(Recognition.id)).where(
            _same_unit(recognition), Recognition.recognised_on >= on, Recognition.id != recognition.id)):
        raise UnitError(_("This unit already has a recognition from that date on."), "on")
    db.session.add(RecognitionEvent(recognition_id=recognition.id, kind="renewed", happened_on=on,
                                    note=(note or "")[:MAX_NOTE], user_id=user_id))
    return _recognition(recognition.kind, recognition.enterprise_id or recognition.station_id, recognition.scheme,
                        "platform", (certificate_no or recognition.certificate_no).strip(), on,
                        recognition.issued_by, user_id, note=note)


def _same_unit(recognition: Recognition):
    if recognition.kind == "enterprise":
        return Recognition.enterprise_id == recognition.enterprise_id
    return Recognition.station_id == recognition.station_id


def current(day: date | None = None):
    """Recognitions valid on `day` (default today), newest first."""
    day = day or date.today()
    return (sa.select(Recognition).where(valid_on(day))
            .order_by(Recognition.recognised_on.desc(), Recognition.id.desc()))


def due(day: date | None = None):
    """Recognitions whose term ends within SOON (or has ended within SOON) and that no later
    recognition of the same unit follows: a re-review or an evaluation is due."""
    day = day or date.today()
    later = aliased(Recognition)
    followed = sa.exists().where(later.tenant_id == Recognition.tenant_id, later.kind == Recognition.kind,
                                 sa.or_(sa.and_(later.enterprise_id == Recognition.enterprise_id,
                                                later.enterprise_id.is_not(None)),
                                        sa.and_(later.station_id == Recognition.station_id,
                                                later.station_id.is_not(None))),
                                 later.recognised_on > Recognition.recognised_on)
    return (sa.select(Recognition).where(Recognition.valid_until.is_not(None), Recognition.ended_on.is_(None),
                                         Recognition.valid_until <= day + SOON, Recognition.valid_until >= day - SOON,
                                         ~followed)
            .order_by(Recognition.valid_until))
