"""Demonstration units (/t/<slug>/units): the units recognised on a day, applications in
progress, re-reviews due; one application's self-assessment, pre-review and decision; one
recognition with its certificate and history."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas import files
from saas.auth.permissions import can, permission_required
from saas.extensions import db
from saas.templating import locale_code
from saas.tenancy import tenant_blueprint
from tenants.members.models import Enterprise
from tenants.schemes.service import schemes
from tenants.stations.models import Station

from . import services
from .forms import DecisionForm, RecordForm, RenewForm, RevokeForm, StartForm
from .models import Recognition, RecognitionEvent, UnitApplication

bp = tenant_blueprint("recognition", __name__, "/units")
OPEN = ("draft", "submitted", "returned", "recommended")


@bp.context_processor
def _labels():
    return {"unit_status": services.status_labels(), "grounds_labels": services.grounds_labels(),
            "event_labels": services.event_labels(), "scheme_title": _scheme_title}


def _scheme_title(code: str) -> str:
    scheme = schemes().get(code)
    return scheme.title(locale_code()) if scheme else (code or _("Not stated"))


def _own(select, model):
    """Enterprise users see their own enterprise's units and applications, nothing else."""
    if g.access.role == "enterprise":
        return select.where(model.kind == "enterprise", model.enterprise_id == g.access.enterprise_id)
    return select


def _units(kind_filter: bool = True) -> list[tuple[str, str]]:
    """Choices "enterprise:<id>" / "station:<id>" for the unit pickers."""
    if g.access.role == "enterprise":
        name = db.session.scalar(sa.select(Enterprise.name).where(Enterprise.id == g.access.enterprise_id))
        return [(f"enterprise:{g.access.enterprise_id}", name or "")]
    out = [(f"enterprise:{i}", n) for i, n in db.session.execute(
        sa.select(Enterprise.id, Enterprise.name).where(Enterprise.status != "withdrawn").order_by(Enterprise.name))]
    out += [(f"station:{i}", _("Station: %(name)s", name=n)) for i, n in db.session.execute(
        sa.select(Station.id, Station.name).where(Station.active.is_(True)).order_by(Station.name))]
    return out


def _parse_unit(value: str) -> tuple[str, int]:
    kind, _sep, raw = (value or "").partition(":")
    if kind not in ("enterprise", "station") or not raw.isdigit() or len(raw) > 10:
        return "", 0
    return kind, int(raw)


def _scheme_choices(kinds=("enterprise", "station")) -> list[tuple[str, str]]:
    seen, out = set(), []
    for kind in kinds:
        for scheme in services.unit_schemes(kind):
            if scheme.code not in seen:
                seen.add(scheme.code)
                out.append((scheme.code, scheme.title(locale_code())))
    return out


def _valid(form) -> bool:
    """Validate a decision form; when it fails, say which fields and why (the page redirects)."""
    if form.validate():
        return True
    flash(_("Check the fields: %(errors)s", errors="; ".join(e for errs in form.errors.values() for e in errs)),
          "danger")
    return False


@contextmanager
def _transaction(success: str):
    try:
        yield
        db.session.commit()
        flash(success, "success")
    except services.UnitError as exc:
        db.session.rollback()
        flash(str(exc), "danger")


@bp.route("/")
@permission_required("units.view")
def index():
    today = date.today()
    try:
        year = int(request.args.get("year", today.year))
    except ValueError:
        year = today.year
    year = min(max(year, 2000), today.year)
    day = today if year == today.year else date(year, 12, 31)
    recognitions = db.session.scalars(_own(services.current(day), Recognition)).all()
    applications = db.session.scalars(_own(sa.select(UnitApplication), UnitApplication)
                                      .order_by(UnitApplication.status.in_(OPEN).desc(),
                                                UnitApplication.created_at.desc()).limit(200)).all()
    due = db.session.scalars(_own(services.due(today), Recognition)).all()
    start = StartForm()
    start.unit.choices = _units()
    start.scheme.choices = _scheme_choices(("enterprise",) if g.access.role == "enterprise" else
                                           ("enterprise", "station"))
    start.year.choices = [(y, str(y)) for y in (today.year, today.year - 1)]
    return render_template("recognition/index.html", recognitions=recognitions, applications=applications,
                           due=due, day=day, year=year, years=range(today.year, today.year - 6, -1), start=start,
                           today=today)


@bp.route("/apply", methods=["POST"])
@permission_required("units.apply")
def apply():
    form = StartForm()
    kind, unit_id = _parse_unit(form.unit.data)
    if g.access.role == "enterprise" and (kind, unit_id) != ("enterprise", g.access.enterprise_id):
        abort(404)
    try:
        year = int(request.form.get("year", ""))
    except ValueError:
        year = 0
    try:
        application = services.start(kind, unit_id, request.form.get("scheme", ""), year, current_user.id)
        db.session.commit()
    except services.UnitError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("recognition.index"))
    return redirect(url_for("recognition.application", unit_application_id=application.id))


def _application(unit_application_id: int) -> UnitApplication:
    application = db.get_or_404(UnitApplication, unit_application_id)
    if g.access.role == "enterprise" and (application.kind != "enterprise" or
                                          application.enterprise_id != g.access.enterprise_id):
        abort(404)
    return application


def _may_edit(application: UnitApplication) -> bool:
    return application.editable and can("units.apply")


@bp.route("/applications/<int:unit_application_id>", methods=["GET", "POST"])
@permission_required("units.view")
def application(unit_application_id):
    application = _application(unit_application_id)
    if request.method == "POST":
        if not _may_edit(application):
            abort(403)
        scheme = schemes()[application.scheme]
        claims = {i.code: (request.form.get(f"claim-{i.code}") == "y", request.form.get(f"note-{i.code}", ""))
                  for g_ in scheme.groups for i in g_.items if i.manual}
        with _transaction(_("Saved.")):
            services.save_self_assessment(application, claims)
        return redirect(url_for("recognition.application", unit_application_id=application.id))
    result = services.assess(application)
    recognition = db.session.scalar(sa.select(Recognition).where(Recognition.application_id == application.id))
    return render_template("recognition/application.html", a=application, result=result, locale=locale_code(),
                           may_edit=_may_edit(application), evidence=services.evidence(application),
                           decision=DecisionForm(), recognition=recognition, today=date.today())


@bp.route("/applications/<int:unit_application_id>/submit", methods=["POST"])
@permission_required("units.apply")
def submit(unit_application_id):
    application = _application(unit_application_id)
    with _transaction(_("Submitted to the park for pre-review.")):
        services.submit(application)
    return redirect(url_for("recognition.application", unit_application_id=application.id))


@bp.route("/applications/<int:unit_application_id>/evidence", methods=["POST"])
@permission_required("units.apply")
def upload(unit_application_id):
    application = _application(unit_application_id)
    item = request.form.get("item", "")
    if not _may_edit(application) or item not in schemes()[application.scheme].items:
        abort(400)
    try:
        files.store(request.files.get("file"), services.EVIDENCE_OWNER, application.id, label=item,
                    user_id=current_user.id)
        db.session.commit()
        flash(_("File uploaded."), "success")
    except files.UploadError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return redirect(url_for("recognition.application", unit_application_id=application.id) + f"#item-{item}")


@bp.route("/applications/<int:unit_application_id>/evidence/<int:attachment_id>")
@permission_required("units.view")
def evidence_file(unit_application_id, attachment_id):
    application = _application(unit_application_id)
    return files.send(files.get_for_owner(attachment_id, services.EVIDENCE_OWNER, application.id))


@bp.route("/applications/<int:unit_application_id>/prereview", methods=["POST"])
@permission_required("units.prereview")
def prereview(unit_application_id):
    application = _application(unit_application_id)
    recommend = request.form.get("action") == "recommend"
    comments = {k[len("comment-"):]: v for k, v in request.form.items() if k.startswith("comment-")}
    with _transaction(_("Recommended to the bureau.") if recommend else _("Returned for revision.")):
        services.pre_review(application, recommend, comments, request.form.get("note", ""))
    return redirect(url_for("recognition.application", unit_application_id=application.id))


@bp.route("/applications/<int:unit_application_id>/decide", methods=["POST"])
@permission_required("units.decide")
def decide(unit_application_id):
    application = _application(unit_application_id)
    form = DecisionForm()
    recognise = request.form.get("action") == "recognise"
    if not _valid(form):
        return redirect(url_for("recognition.application", unit_application_id=application.id))
    with _transaction(_("Recognised: the unit now counts as a demonstration unit.") if recognise
                      else _("Not recognised; the reason is recorded.")):
        services.decide(application, recognise, current_user.id, certificate_no=form.certificate_no.data or "",
                        recognised_on=form.recognised_on.data, issued_by=form.issued_by.data or "",
                        note=form.note.data or "")
    return redirect(url_for("recognition.application", unit_application_id=application.id))


@bp.route("/record", methods=["GET", "POST"])
@permission_required("units.record")
def record():
    form = RecordForm()
    form.unit.choices = _units()
    form.scheme.choices = [("", _("Not stated"))] + _scheme_choices()
    if form.validate_on_submit():
        kind, unit_id = _parse_unit(form.unit.data)
        try:
            recognition = services.record_existing(kind, unit_id, form.scheme.data or "", form.certificate_no.data,
                                                   form.recognised_on.data, form.issued_by.data, current_user.id,
                                                   form.note.data or "")
            db.session.commit()
            flash(_("Recorded. Reviewers see it marked as recognised before the platform."), "success")
            return redirect(url_for("recognition.show", recognition_id=recognition.id))
        except services.UnitError as exc:
            db.session.rollback()
            getattr(form, exc.field, form.unit).errors.append(str(exc))
    return render_template("_form_page.html", form=form, title=_("Record a recognition made before the platform"),
                           intro=_("From the certificate the bureau issued: it is marked as recorded, not decided "
                                   "on the platform, wherever reviewers see it."),
                           back=url_for("recognition.index"))


def _recognition(recognition_id: int) -> Recognition:
    recognition = db.get_or_404(Recognition, recognition_id)
    if g.access.role == "enterprise" and (recognition.kind != "enterprise" or
                                          recognition.enterprise_id != g.access.enterprise_id):
        abort(404)
    return recognition


@bp.route("/recognitions/<int:recognition_id>")
@permission_required("units.view")
def show(recognition_id):
    recognition = _recognition(recognition_id)
    events = db.session.scalars(sa.select(RecognitionEvent).where(RecognitionEvent.recognition_id == recognition.id)
                                .order_by(RecognitionEvent.happened_on, RecognitionEvent.id)).all()
    revoke_form, renew_form = RevokeForm(), RenewForm()
    revoke_form.grounds.choices = list(services.grounds_labels().items())
    return render_template("recognition/show.html", r=recognition, events=events, revoke=revoke_form,
                           renew=renew_form, today=date.today())


@bp.route("/recognitions/<int:recognition_id>/revoke", methods=["POST"])
@permission_required("units.decide")
def revoke(recognition_id):
    recognition = _recognition(recognition_id)
    form = RevokeForm()
    form.grounds.choices = list(services.grounds_labels().items())
    if _valid(form):
        with _transaction(_("Revoked.")):
            services.revoke(recognition, form.on.data, form.grounds.data, form.note.data, current_user.id)
    return redirect(url_for("recognition.show", recognition_id=recognition.id))


@bp.route("/recognitions/<int:recognition_id>/renew", methods=["POST"])
@permission_required("units.decide")
def renew(recognition_id):
    recognition = _recognition(recognition_id)
    form = RenewForm()
    if not _valid(form):
        return redirect(url_for("recognition.show", recognition_id=recognition.id))
    try:
        renewed = services.renew(recognition, form.on.data, form.certificate_no.data or "", form.note.data or "",
                                 current_user.id)
        db.session.commit()
        flash(_("Renewed: a new period of validity is recorded."), "success")
        return redirect(url_for("recognition.show", recognition_id=renewed.id))
    except services.UnitError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("recognition.show", recognition_id=recognition.id))
