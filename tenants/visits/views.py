"""Guidance visits: list, coverage, record (instructors), acknowledge and answer (enterprises)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from saas import files, xlsx
from saas.auth.models import User
from saas.auth.permissions import permission_required
from saas.extensions import db
from saas.numbers import db_id
from saas.pagination import paginate
from tenants.members.models import Enterprise
from tenants.members.search import picker_attrs

from .blueprint import bp
from .forms import MODE_LABELS, STATUS_LABELS, TOPIC_LABELS, AnswerForm, ConfirmForm, VisitForm
from .models import VISITS_PER_YEAR, GuidanceVisit, VisitInstructor
from .services import VisitError, acknowledge, answer, coverage, may_edit, save_visit, tenant_instructors, \
    visit_or_404, year_bounds

PHOTO_KINDS = {"jpeg", "png", "webp", "pdf"}


def _year() -> int:
    year = request.args.get("year", date.today().year, type=int)
    return year if 2000 <= year <= 2100 else date.today().year


@bp.route("/")
@permission_required("visits.view")
def index():
    year = _year()
    start, end = year_bounds(year)
    select = (sa.select(GuidanceVisit).options(joinedload(GuidanceVisit.enterprise), selectinload(GuidanceVisit.instructors))
              .where(GuidanceVisit.visited_on >= start, GuidanceVisit.visited_on < end)
              .order_by(GuidanceVisit.visited_on.desc(), GuidanceVisit.id.desc()))
    if g.access.role == "enterprise":
        select = select.where(GuidanceVisit.enterprise_id == g.access.enterprise_id)
    status = request.args.get("status", "")
    if status in STATUS_LABELS:
        select = select.where(GuidanceVisit.status == status)
    enterprise_id = request.args.get("enterprise", type=db_id)
    if enterprise_id:
        select = select.where(GuidanceVisit.enterprise_id == enterprise_id)
    if request.args.get("mine") == "1":
        select = select.where(GuidanceVisit.id.in_(
            sa.select(VisitInstructor.visit_id).where(VisitInstructor.user_id == current_user.id)))
    args = {k: v for k, v in {"year": year, "status": status, "enterprise": enterprise_id,
                              "mine": request.args.get("mine")}.items() if v}
    return render_template("visits/index.html", page=paginate(select), year=year, status=status, args=args)


@bp.route("/coverage")
@permission_required("members.list")
def coverage_page():
    return render_template("visits/coverage.html", cov=coverage(_year()), needed=VISITS_PER_YEAR)


@bp.route("/export.xlsx")
@permission_required("members.list")
def export():
    year = _year()
    start, end = year_bounds(year)
    cov = coverage(year)
    book = xlsx.Book()
    ws = book.sheet(_("Visits per enterprise"))
    xlsx.append(ws, [_("%(tenant)s — guidance visits %(year)d", tenant=g.tenant.name, year=year),
               _("Exported %(time)s", time=f"{datetime.now():%Y-%m-%d %H:%M}")])
    xlsx.append(ws, [_("Enterprise"), _("Visits"), _("At least %(n)d", n=VISITS_PER_YEAR)])
    for _id, name, n in cov.rows:
        xlsx.append(ws, [name, n, _("yes") if n >= VISITS_PER_YEAR else _("no")])
    ws = book.sheet(_("Visits"))
    xlsx.append(ws, [_("Date"), _("Enterprise"), _("Instructors"), _("Visit mode"), _("Topics"), _("Findings"),
               _("Recommendations"), _("Follow-up due"), _("Status"), _("Acknowledged")])
    for v in db.session.scalars(sa.select(GuidanceVisit).options(joinedload(GuidanceVisit.enterprise),
                                                                 selectinload(GuidanceVisit.instructors))
                                .where(GuidanceVisit.visited_on >= start, GuidanceVisit.visited_on < end)
                                .order_by(GuidanceVisit.visited_on)):
        xlsx.append(ws, [v.visited_on, v.enterprise.name, "、".join(u.name for u in v.instructors), str(MODE_LABELS[v.mode]),
                   "、".join(str(TOPIC_LABELS[t]) for t in v.topics), v.findings, v.recommendations, v.follow_up_due,
                   str(STATUS_LABELS[v.status]), v.acknowledged_at])
    return files.download(book.to_bytes(), _("guidance-visits") + f"-{year}.xlsx")


def _form(visit: GuidanceVisit | None) -> VisitForm:
    form = VisitForm(obj=visit)
    keep = visit.enterprise_id if visit else None  # a member that withdrew since stays valid on its visits
    form.enterprise_id.choices = [(e.id, e.name) for e in db.session.execute(
        sa.select(Enterprise.id, Enterprise.name).where(sa.or_(Enterprise.status != "withdrawn", Enterprise.id == keep))
        .order_by(Enterprise.name))]
    form.enterprise_id.render_kw = picker_attrs()  # a type-ahead over hundreds of members
    form.instructor_ids.choices = [(u.id, u.name) for u in tenant_instructors() if u.id != current_user.id]
    if request.method == "GET":
        if visit is None:
            form.visited_on.data = date.today()
            form.enterprise_id.data = request.args.get("enterprise", type=db_id)
        else:
            form.instructor_ids.data = [u.id for u in visit.instructors if u.id != current_user.id]
    return form


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:visit_id>/edit", methods=["GET", "POST"])
@permission_required("visits.record")
def edit(visit_id=None):
    visit = visit_or_404(visit_id) if visit_id else None
    if visit is not None and not may_edit(visit, current_user.id):
        abort(403)
    form = _form(visit)
    if form.validate_on_submit():
        try:
            saved = save_visit(visit or GuidanceVisit(), {f.name: f.data for f in form}, current_user.id)
            db.session.flush()
            photo = request.files.get("photo")
            if photo is not None and photo.filename:
                files.store(photo, "visit", saved.id, kinds=PHOTO_KINDS, user_id=current_user.id)
            db.session.commit()
            flash(_("Visit saved."), "success")
            return redirect(url_for("visits.show", visit_id=saved.id))
        except VisitError as exc:
            db.session.rollback()
            getattr(form, exc.field or "enterprise_id").errors.append(str(exc))
        except files.UploadError as exc:
            db.session.rollback()
            form.photo.errors.append(str(exc))
    return render_template("visits/edit.html", form=form, visit=visit)


@bp.route("/<int:visit_id>")
@permission_required("visits.view")
def show(visit_id):
    visit = visit_or_404(visit_id)
    acknowledged_by = db.session.get(User, visit.acknowledged_by_id) if visit.acknowledged_by_id else None
    return render_template("visits/show.html", visit=visit, photos=files.attachments_of("visit", visit.id),
                           acknowledged_by=acknowledged_by,
                           editable=may_edit(visit, current_user.id), confirm=ConfirmForm(),
                           answer_form=AnswerForm(obj=visit))


@bp.route("/<int:visit_id>/photos/<int:attachment_id>")
@permission_required("visits.view")
def photo(visit_id, attachment_id):
    visit = visit_or_404(visit_id)
    return files.send(files.get_for_owner(attachment_id, "visit", visit.id))


@bp.route("/<int:visit_id>/acknowledge", methods=["POST"])
@permission_required("visits.acknowledge")
def acknowledge_visit(visit_id):
    visit = visit_or_404(visit_id)
    if ConfirmForm().validate_on_submit():
        acknowledge(visit, current_user.id)
        db.session.commit()
        flash(_("Visit acknowledged."), "success")
    return redirect(url_for("visits.show", visit_id=visit.id))


@bp.route("/<int:visit_id>/answer", methods=["POST"])
@permission_required("visits.acknowledge")
def answer_visit(visit_id):
    visit = visit_or_404(visit_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            answer(visit, form.rectification.data, current_user.id)
            db.session.commit()
            flash(_("Your answer is recorded."), "success")
        except VisitError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
    else:
        flash(_("Describe the rectification."), "danger")
    return redirect(url_for("visits.show", visit_id=visit.id))
