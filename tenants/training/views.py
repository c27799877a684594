"""Training pages: events (list, record with the attendance grid, sign-in import, files),
coverage figures with the rows behind each, the training ledger export."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from saas import files, xlsx
from saas.auth.permissions import permission_required
from saas.charts import line, stacked_bars
from saas.confirm import TypedConfirmForm
from saas.extensions import db
from saas.numbers import db_id
from saas.pagination import page_number, paginate, paginate_rows
from saas.tenant_cache import fragment
from saas.templating import whole_page
from tenants.members.models import Enterprise

from . import names as trainee_names
from .blueprint import bp
from .coverage import (FILTERS, WH2_RATIO, Period, by_kind_of, by_month, figures, listed, listed_rows, member_rows,
                       monthly, page_of_rows, year_counts, year_groups, year_of)
from tenants.members.privacy import contacts_key, may_see_any_contacts, record_export, shown
from .forms import KIND_LABELS, ORGANISER_LABELS, EventForm, NamesForm, SignInForm, UploadForm
from .models import KINDS, ORGANISERS, Attendance, TrainingEvent
from .services import GRID_MAX, PASTE_LINES, Members, PastedResult, TrainingError, apply_event, event_or_404, headcount_problems, may_edit, \
    may_read_file, read_entries, read_sign_in, set_attendance, set_own_names, split_pasted
from tenants.members.search import picker_attrs


def _period() -> Period:
    """?from=&to= (any range), else ?year=, else this calendar year."""
    try:
        start, end = date.fromisoformat(request.args["from"]), date.fromisoformat(request.args["to"])
        if start <= end:
            return Period(start, end)
    except (KeyError, ValueError):
        pass
    year = request.args.get("year", date.today().year, type=int)
    return Period.year(year if 2000 <= year <= 2100 else date.today().year)


def _own_events(select):
    """Enterprise users see their internal training and the events they attended."""
    if g.access.role != "enterprise":
        return select
    mine = g.access.enterprise_id
    return select.where(sa.or_(TrainingEvent.organiser_enterprise_id == mine, TrainingEvent.id.in_(
        sa.select(Attendance.event_id).where(Attendance.enterprise_id == mine))))


@bp.route("/")
@permission_required("training.events")
def index():
    period = _period()
    select = (sa.select(TrainingEvent).options(selectinload(TrainingEvent.attendance))
              .where(TrainingEvent.held_on >= period.start, TrainingEvent.held_on <= period.end)
              .order_by(TrainingEvent.held_on.desc(), TrainingEvent.id.desc()))
    kind, organiser = request.args.get("kind", ""), request.args.get("organiser", "")
    if kind in KINDS:
        select = select.where(TrainingEvent.kind == kind)
    if organiser in ORGANISERS:
        select = select.where(TrainingEvent.organiser == organiser)
    enterprise_id = request.args.get("enterprise", type=db_id)
    if enterprise_id:
        select = select.where(TrainingEvent.id.in_(sa.select(Attendance.event_id)
                                                   .where(Attendance.enterprise_id == enterprise_id)))
    args = {**period.args(), **{k: v for k, v in {"kind": kind, "organiser": organiser,
                                                  "enterprise": enterprise_id}.items() if v}}
    # Enterprise users count their own attendance only, not the other members' on the same event.
    own = g.access.enterprise_id if g.access.role == "enterprise" else None
    return render_template("training/index.html", page=paginate(_own_events(select)), period=period, args=args,
                           kind=kind, organiser=organiser, own=own)


def _members(event: TrainingEvent | None = None):
    """The grid's rows: today's members and, on an existing event, the enterprises on its
    attendance or organising it that have withdrawn since. Their rows stay in the grid, so
    saving the event keeps them (set_attendance touches only the rows of the grid)."""
    shown = Enterprise.status != "withdrawn"
    if event is not None:
        shown = sa.or_(shown, Enterprise.id == event.organiser_enterprise_id, Enterprise.id.in_(
            sa.select(Attendance.enterprise_id).where(Attendance.event_id == event.id)))
    return db.session.execute(sa.select(Enterprise.id, Enterprise.name, Enterprise.employees, Enterprise.status)
                              .where(shown).order_by(Enterprise.name)).all()


def _grid_counts(member_ids) -> dict[int, tuple[int, str]]:
    counts, bad = {}, {}
    for enterprise_id in member_ids:
        if f"hc-{enterprise_id}" not in request.form:
            continue  # not on the page that was sent (rendered before the member joined): unchanged
        raw = request.form[f"hc-{enterprise_id}"].strip()
        names = request.form.get(f"names-{enterprise_id}", "").strip()
        if raw:
            try:
                counts[enterprise_id] = (int(raw), names)
            except ValueError:
                bad[enterprise_id] = _("Headcounts are whole numbers.")
        else:  # no number: as many as the names (none without names, which removes the row)
            counts[enterprise_id] = (len(trainee_names.split(names)), names)
    if bad:
        raise TrainingError(_("Headcounts are whole numbers."), "attendance", bad)
    return counts


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@permission_required("training.record")
def edit(event_id=None):
    event = event_or_404(event_id) if event_id else None
    if event is not None and not may_edit(event):
        abort(403)
    own = g.access.role == "enterprise"
    form = EventForm(obj=event)
    members = [m for m in _members(event) if not own or m.id == g.access.enterprise_id]
    form.organiser_enterprise_id.choices = [(0, "—")] + [(m.id, m.name) for m in members]
    if own:  # an enterprise logs its own internal training, with its own headcount
        form.organiser.choices = [("enterprise", ORGANISER_LABELS["enterprise"])]
        form.organiser.data, form.organiser_enterprise_id.data = "enterprise", g.access.enterprise_id
    if request.method == "GET" and event is None:
        form.held_on.data = date.today()
    current = {a.enterprise_id: a for a in event.attendance} if event else {}
    # A big tenant's grid is the attendance recorded; members are added by the picker or a pasted
    # list (one row per member was 16,000 px at 400 members).
    big = not own and len(members) > GRID_MAX
    grid = [m for m in members if m.id in current] if big else members
    if not own:
        form.organiser_enterprise_id.render_kw = picker_attrs()
    bad, bad_field, paste_errors = {}, "attendance", []
    if form.validate_on_submit():
        data = {f.name: f.data for f in form}
        added = _added({eid: a.headcount for eid, a in current.items()}) if big else None
        try:
            if added is not None and added.errors:
                raise TrainingError("", "added")
            # The rows of the grid only (an enterprise user's grid is its own row): the rest of
            # the event's attendance stays as it is.
            counts = _grid_counts([m.id for m in grid])
            if added is not None:
                counts.update(added.counts)  # a member both in the grid and added: as added
            saved = apply_event(event or TrainingEvent(created_by_id=current_user.id), data)
            set_attendance(saved, counts)
            db.session.commit()
            flash(_("Training event saved."), "success")
            return redirect(url_for("training.show", event_id=saved.id))
        except TrainingError as exc:
            db.session.rollback()
            on_added = {eid: m for eid, m in exc.rows.items() if added is not None and eid in added.rows}
            if exc.field == "added" or on_added:  # a line of the add area: said next to its line
                flash(_("Nothing was saved: correct the lines below."), "danger")
                paste_errors = added.errors + [{"row": added.rows[eid], "column": "", "message": m}
                                               for eid, m in on_added.items()]
            elif exc.field in ("attendance", "names"):  # a row of the grid: its headcount or its names
                flash(str(exc), "danger")
                bad, bad_field = exc.rows, exc.field
            else:
                getattr(form, exc.field or "title").errors.append(str(exc))
    return render_template("training/edit.html", form=form, event=event, members=grid, current=current, own=own,
                           bad=bad, bad_field=bad_field, big=big, paste_errors=paste_errors,
                           picker=picker_attrs(), member_count=len(members))


def _added(current: dict[int, int]):
    """The add area of a big tenant's form: one enterprise picked (its name or credit code,
    headcount, names) and a pasted list, checked together (a member twice is an error)."""
    entries = split_pasted(request.form.get("bulk", ""))
    if entries is None:
        return PastedResult(errors=[{"row": "", "column": "", "message": _("At most %(n)d lines at a time.",
                                                                           n=PASTE_LINES)}])
    who = request.form.get("add-who", "").strip()
    if who:
        entries.insert(0, (_("Added enterprise"), who, request.form.get("add-headcount", "").strip(),
                           request.form.get("add-names", "").strip()))
    return read_entries(entries, Members(), current)


def _show(event: TrainingEvent, names: NamesForm | None = None, status: int = 200):
    attendance = db.session.scalars(sa.select(Attendance).options(joinedload(Attendance.enterprise))
                                    .where(Attendance.event_id == event.id)).all()
    own = None
    if g.access.role == "enterprise":
        attendance = [a for a in attendance if a.enterprise_id == g.access.enterprise_id]
        own = attendance[0] if attendance else None
    editable = may_edit(event)
    if names is None and own is not None and not editable:
        names = NamesForm(names=own.key_staff)
    return render_template("training/show.html", event=event, attendance=attendance, editable=editable,
                           attachments=[a for a in files.attachments_of("training", event.id) if may_read_file(a)],
                           upload=UploadForm(), sign_in=SignInForm(), names=names), status


@bp.route("/<int:event_id>")
@permission_required("training.events")
def show(event_id):
    return _show(event_or_404(event_id))


@bp.route("/<int:event_id>/names", methods=["POST"])
@permission_required("training.record")
def own_names(event_id):
    """An enterprise user names its people at an event the base (or another organiser)
    recorded — its own internal training it edits whole, in the event form. A user of no
    enterprise has no row of its own here (404): the base names people in the event's grid."""
    event = event_or_404(event_id)
    form = NamesForm()
    if form.validate_on_submit():
        try:
            set_own_names(event, g.access.enterprise_id, form.names.data)
            db.session.commit()
            flash(_("Names of those trained saved."), "success")
            return redirect(url_for("training.show", event_id=event.id))
        except TrainingError as exc:
            db.session.rollback()
            form.names.errors.append(str(exc))
    return _show(event, form, 422)


@bp.route("/<int:event_id>/files", methods=["POST"])
@permission_required("training.record")
def upload(event_id):
    event = event_or_404(event_id)
    if not may_edit(event):
        abort(403)
    form = UploadForm()
    if form.validate_on_submit():
        try:
            files.store(request.files.get("file"), "training", event.id, form.label.data, user_id=current_user.id)
            db.session.commit()
            flash(_("File uploaded."), "success")
        except files.UploadError as exc:
            flash(str(exc), "danger")
    return redirect(url_for("training.show", event_id=event.id))


@bp.route("/<int:event_id>/files/<int:attachment_id>")
@permission_required("training.events")
def file(event_id, attachment_id):
    event = event_or_404(event_id)
    attachment = files.get_for_owner(attachment_id, "training", event.id)
    if not may_read_file(attachment):
        abort(403)
    return files.send(attachment)


@bp.route("/<int:event_id>/sign-in", methods=["POST"])
@permission_required("training.manage")
def import_sign_in(event_id):
    event = event_or_404(event_id)
    form = SignInForm()
    if not form.validate_on_submit():
        return redirect(url_for("training.show", event_id=event.id))
    try:
        data, _kind = files.read_upload(request.files.get("file"), kinds={"xlsx"})
        result = read_sign_in(data)
    except files.UploadError as exc:  # not a workbook, too big, a DOCTYPE…: said next to the file field
        form.file.errors.append(str(exc))
        return render_template("training/show.html", event=event, attendance=event.attendance, editable=True,
                               attachments=files.attachments_of("training", event.id), upload=UploadForm(),
                               sign_in=form), 400
    # A headcount above the enterprise's employees is a bad row too (column B, the headcount).
    over = headcount_problems(event, {eid: n for eid, (n, _k) in result.counts.items()})
    errors = sorted(result.errors + [{"row": result.rows.get(eid, ""), "column": "B", "message": message}
                                     for eid, message in over.items()],
                    key=lambda e: e["row"] if isinstance(e["row"], int) else 0)
    if errors:
        return render_template("training/show.html", event=event, attendance=event.attendance, editable=True,
                               attachments=files.attachments_of("training", event.id), upload=UploadForm(),
                               sign_in=form, errors=errors), 422
    # The enterprises on the sheet; the others on the event keep their attendance.
    set_attendance(event, result.counts)
    db.session.commit()
    flash(_("Attendance of %(n)d enterprises imported.", n=len(result.counts)), "success")
    return redirect(url_for("training.show", event_id=event.id))


@bp.route("/<int:event_id>/delete", methods=["GET", "POST"])
@permission_required("training.manage")
def delete(event_id):
    event = event_or_404(event_id)
    form = TypedConfirmForm(event.title)  # the attendance goes with it, for good
    if form.validate_on_submit():
        for attachment in files.attachments_of("training", event.id):
            files.delete(attachment)
        db.session.delete(event)
        db.session.commit()
        flash(_("Deleted."), "success")
        return redirect(url_for("training.index"))
    return render_template("_confirm_page.html", form=form, back=url_for("training.show", event_id=event.id),
                           question=_("Delete the event “%(title)s” and its attendance?", title=event.title)), \
        (422 if form.errors else 200)


@bp.route("/coverage")
@permission_required("training.view")
def coverage():
    """Figures, chart and one page of the rows behind them: computed once per tenant data version,
    period, filter, page and contact rights (the liaison mobiles shown or masked), then served
    whole from the tenant cache (saas/tenant_cache.py, saas/templating.py whole_page)."""
    period = _period()
    show = request.args.get("show", "")
    show = show if show in FILTERS else ""
    key = (period.start, period.end, show, page_number(), contacts_key())

    def content():
        months = monthly(period.start.year)
        # A calendar year's figures are read off what its charts draw: the member counts off the
        # groups of its by-month chart, the events by kind off its events per month.
        year = year_of(period)
        if year is not None:
            groups = year_groups(year)
            fig = figures(period, year_counts(groups), by_kind_of(months))
        else:
            groups, fig = None, figures(period)
        # The rows listed are those a figure counts: the figure is their number (no COUNT).
        rows = paginate_rows(listed_rows(period, show), total=listed(fig, show), paged=page_of_rows(period, show))
        counts = {(mth, kind): n for mth, kind, n, _hours in months}
        series = [(str(KIND_LABELS[k]), [counts.get((m, k), 0) for m in range(1, 13)]) for k in KINDS]
        return render_template("training/_coverage.html", period=period, fig=fig, show=show, rows=rows,
                               chart=stacked_bars([str(m) for m in range(1, 13)], series,
                                                  _("Events per month, %(year)d", year=period.start.year)),
                               **_coverage_by_month(period, groups))

    return whole_page("training-coverage", key, lambda: render_template(
        "training/coverage.html", body=fragment("training-coverage", key, content)))


def _coverage_by_month(period: Period, groups: list | None) -> dict:
    """For a calendar year (its `groups`, coverage.year_groups): the trained share at each month's
    end (from 1 January) against the WH-2 line and the year's plan target, with the table behind
    the picture."""
    if groups is None:
        return {}
    from tenants.plans.services import plan_for

    year = period.start.year
    months = by_month(year, date.today(), groups)
    if not months:
        return {}
    plan = plan_for(year)
    target = plan.training_ratio_target if plan is not None else None
    shares = [round(100 * trained / active, 1) if active else None for _m, active, trained in months]
    labels = [str(m) for m, _a, _t in months] + [str(m) for m in range(len(months) + 1, 13)]
    series = [(_("Trained share (%)"), shares + [None] * (12 - len(months))),
              (_("WH-2: over 50%"), [WH2_RATIO * 100] * 12)]
    if target is not None:
        series.append((_("Plan target (%)"), [float(target)] * 12))
    return {"month_chart": line(labels, series, _("Trained share by month, %(year)d", year=year), (0, 100)),
            "month_rows": [(m, active, trained, share) for (m, active, trained), share in zip(months, shares)],
            "month_target": target}


@bp.route("/export.xlsx")
@permission_required("training.view")
def export():
    period = _period()
    fig = figures(period)
    book = xlsx.Book()
    title = [_("%(tenant)s — training ledger %(start)s – %(end)s", tenant=g.tenant.name, start=period.start.isoformat(),
               end=period.end.isoformat()), _("Exported %(time)s", time=f"{datetime.now():%Y-%m-%d %H:%M}")]
    ws = book.sheet(_("Events"))
    xlsx.append(ws, title)
    xlsx.append(ws, [_("Date"), _("Title"), _("Kind"), _("Organiser"), _("Duration (hours)"), _("Venue"), _("Trainer"),
               _("Enterprises"), _("Participants")])
    for e in db.session.scalars(sa.select(TrainingEvent).options(selectinload(TrainingEvent.attendance))
                                .where(TrainingEvent.held_on >= period.start, TrainingEvent.held_on <= period.end)
                                .order_by(TrainingEvent.held_on)):
        xlsx.append(ws, [e.held_on, e.title, str(KIND_LABELS[e.kind]), str(ORGANISER_LABELS[e.organiser]), e.hours,
                   _("online") if e.online else e.venue, e.trainer, len(e.attendance),
                   sum(a.headcount for a in e.attendance)])
    ws = book.sheet(_("Coverage"))
    xlsx.append(ws, title)
    xlsx.append(ws, [_("Active members"), fig.active])
    xlsx.append(ws, [_("Trained enterprises"), fig.trained])
    xlsx.append(ws, [_("Trained enterprise ratio"), round(fig.ratio, 4) if fig.ratio is not None else _("no members")])
    xlsx.append(ws, [_("All staff trained"), fig.all_staff])
    xlsx.append(ws, [_("Legal publicity events"), fig.publicity_events])
    xlsx.append(ws, [_("Training hours"), fig.hours])
    ws = book.sheet(_("By enterprise"))
    xlsx.append(ws, title)
    # Liaison mobiles are personal data: only when asked for by a role that may see them
    # (?contacts=include), recorded in the audit log (tenants/members/privacy.py).
    contacts = request.args.get("contacts") == "include" and may_see_any_contacts()
    xlsx.append(ws, [_("Enterprise"), _("Employees"), _("Employees trained"), _("Events attended"), _("All staff trained"),
               _("Liaison person"), *([_("Mobile")] if contacts else [])])
    count = 0
    for r in db.session.execute(member_rows(period)):
        count += 1
        xlsx.append(ws, [r.name, r.employees, r.trained_staff, r.events,
                   _("yes") if r.all_staff else _("no"), r.liaison or "",
                   *([shown(r.mobile, "mobile", r.id)] if contacts else [])])
    if contacts:
        record_export(_("Training ledger with liaison mobiles"), True, count)
        db.session.commit()
    return files.download(book.to_bytes(), _("training-ledger") + f"-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")


@bp.route("/mine")
@permission_required("training.events")
def mine():
    """An enterprise user's own figures: this year's training against its employee count."""
    if g.access.enterprise_id is None:
        return redirect(url_for("training.coverage"))
    period = _period()
    row = db.session.execute(member_rows(period, enterprise_id=g.access.enterprise_id)).first()
    enterprise = db.session.get(Enterprise, g.access.enterprise_id)
    return render_template("training/mine.html", period=period, row=row, enterprise=enterprise)
