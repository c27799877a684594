"""The service ledger (服务台账): list with filters, quick entry (phone), edit, chart, export."""

from __future__ import annotations

import calendar
from datetime import date, datetime

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas import files, xlsx
from saas.auth.permissions import can, permission_required
from saas.charts import stacked_bars
from saas.extensions import db
from saas.numbers import db_id
from saas.pagination import paginate
from tenants.members.models import Enterprise
from tenants.members.search import picker_attrs

from .blueprint import bp
from .forms import CASE_LABELS, CATEGORY_LABELS, FOLLOW_UP_LABELS, ServiceLogForm
from .models import CATEGORIES, ServiceLog
from .services import LogFilter, StationError, apply_entry, log_or_404, log_select, monthly_counts, overdue_count, \
    stations


def _enterprise_choices(keep: int | None = None):
    """Active members, plus the one an existing entry names even if it has since withdrawn."""
    rows = db.session.execute(sa.select(Enterprise.id, Enterprise.name)
                              .where(sa.or_(Enterprise.status != "withdrawn", Enterprise.id == keep))
                              .order_by(Enterprise.name))
    return [(0, _("(not a member)"))] + [(r.id, r.name) for r in rows]


def _form(entry: ServiceLog | None):
    form = ServiceLogForm(obj=entry)
    form.station_id.choices = [(s.id, s.name) for s in stations(active_only=entry is None)]
    form.enterprise_id.choices = _enterprise_choices(entry.enterprise_id if entry else None)
    form.enterprise_id.render_kw = picker_attrs()  # a type-ahead over hundreds of members
    if request.method == "GET":
        if entry is None:
            form.served_on.data = date.today()
            form.handled_by.data = current_user.name
            form.enterprise_id.data = request.args.get("enterprise", 0, type=db_id)
        else:
            form.enterprise_id.data = entry.enterprise_id or 0
            form.case_status.data = entry.case_status or "received"
    return form


@bp.route("/log/")
@permission_required("log.view")
def log():
    f = LogFilter.from_args(request.args)
    return render_template("stations/log.html", page=paginate(log_select(f)), f=f, stations=stations(),
                           enterprises=_enterprise_choices()[1:], overdue=overdue_count(date.today()),
                           picker=picker_attrs())


@bp.route("/follow-ups")
@permission_required("log.view")
def follow_ups():
    """Every overdue follow-up, ledger entries and guidance visits: the rows behind the dashboard's
    figure (tenants/stations/followups.py), whatever year they were made in."""
    from .followups import overdue_rows

    logs, visits = overdue_rows(date.today())
    return render_template("stations/follow_ups.html", logs=logs, visits=visits)


@bp.route("/log/new", methods=["GET", "POST"])
@bp.route("/log/<int:log_id>", methods=["GET", "POST"])
@permission_required("log.write")
def edit_log(log_id=None):
    entry = log_or_404(log_id) if log_id else None
    form = _form(entry)
    if not form.station_id.choices:
        flash(_("Set up a guidance station first."), "warning")
        return redirect(url_for("stations.edit"))
    if form.validate_on_submit():
        try:
            saved = apply_entry(entry or ServiceLog(created_by_id=current_user.id),
                                {f.name: f.data for f in form if f.name not in ("csrf_token", "submit", "file")})
            db.session.flush()
            upload = request.files.get("file")
            if upload is not None and upload.filename:
                files.store(upload, "service_log", saved.id, user_id=current_user.id)
            db.session.commit()
            flash(_("Ledger entry saved."), "success")
            if request.form.get("again"):
                return redirect(url_for("stations.edit_log"))
            return redirect(url_for("stations.log"))
        except StationError as exc:
            db.session.rollback()
            getattr(form, exc.field or "category").errors.append(str(exc))
        except files.UploadError as exc:
            db.session.rollback()
            form.file.errors.append(str(exc))
    attachments = files.attachments_of("service_log", entry.id) if entry else []
    return render_template("stations/log_entry.html", form=form, entry=entry, attachments=attachments,
                           **_referral(entry))


def _referral(entry: ServiceLog | None) -> dict:
    """The entry's referral to the bureau (LC-3), shown with its status, history and outcome."""
    if entry is None or not can("referrals.view"):
        return {"referral": None}
    from tenants.referrals.services import of_entry, status_labels

    return {"referral": of_entry(entry.id), "referral_status_labels": status_labels()}


@bp.route("/log/<int:log_id>/files/<int:attachment_id>")
@permission_required("log.view")
def log_file(log_id, attachment_id):
    entry = log_or_404(log_id)
    return files.send(files.get_for_owner(attachment_id, "service_log", entry.id))


@bp.route("/log/chart")
@permission_required("log.view")
def chart():
    year = request.args.get("year", date.today().year, type=int)
    if not 2000 <= year <= 2100:
        abort(404)
    counts = monthly_counts(year)
    series = [(str(CATEGORY_LABELS[c]), [counts[m][c] for m in range(1, 13)]) for c in CATEGORIES]
    totals = {c: sum(counts[m][c] for m in range(1, 13)) for c in CATEGORIES}
    # Each figure links to the entries that make it up.
    months = {m: {"from": date(year, m, 1).isoformat(),
                  "to": date(year, m, calendar.monthrange(year, m)[1]).isoformat()} for m in range(1, 13)}
    return render_template("stations/chart.html", year=year, counts=counts, totals=totals, months=months,
                           chart=stacked_bars([str(m) for m in range(1, 13)], series,
                                              _("Services per month, %(year)d", year=year)))


@bp.route("/log/export.xlsx")
@permission_required("log.view")
def export_log():
    f = LogFilter.from_args(request.args)
    book = xlsx.Book()
    ws = book.sheet(_("Service ledger"))
    xlsx.append(ws, [_("%(tenant)s — service ledger", tenant=g.tenant.name),
               _("Exported %(time)s", time=f"{datetime.now():%Y-%m-%d %H:%M}")])
    xlsx.append(ws, [_("Date"), _("Station"), _("Category"), _("Enterprise served"), _("Handled by"), _("Short summary"),
               _("Outcome"), _("Case status (complaints)"), _("Follow-up due"), _("Follow-up")])
    for e in db.session.scalars(log_select(f)):
        xlsx.append(ws, [e.served_on, e.station.name, str(CATEGORY_LABELS[e.category]),
                   e.enterprise.name if e.enterprise else e.non_member, e.handled_by, e.summary, e.outcome,
                   str(CASE_LABELS[e.case_status]) if e.case_status else "", e.follow_up_due,
                   str(FOLLOW_UP_LABELS[e.follow_up])])
    return files.download(book.to_bytes(), _("service-ledger") + f"-{date.today():%Y%m%d}.xlsx")
