"""Personal data of liaison persons: the roster export with contacts (chosen, recorded), one
person's data exported, and erasure on request (tenants/members/privacy.py)."""

from __future__ import annotations

import json
from datetime import datetime

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from saas import files
from saas.auth.permissions import permission_required
from saas.extensions import db
from saas.templating import locale_code

from .blueprint import bp
from .forms import ErasureForm, RosterExportForm
from .io_views import XLSX, _everyone
from .privacy import PrivacyError, erase, may_see_any_contacts, person_export, person_or_404, person_rows, \
    record_export
from .services import enterprise_or_404
from .spreadsheet import roster_csv, roster_xlsx


@bp.route("/export", methods=["GET", "POST"])
@permission_required("members.manage")
def export_choice():
    """The roster export with the choice of the liaison contacts; offered only to those who may
    see them, and an export with them is recorded in the audit log."""
    if not may_see_any_contacts():
        abort(403)
    form = RosterExportForm()
    if form.validate_on_submit():
        enterprises = _everyone()
        contacts = bool(form.contacts.data)
        now = datetime.now()
        record_export(_("Roster export (.%(format)s) with liaison contacts", format=form.format.data), contacts,
                      len(enterprises))
        db.session.commit()
        if form.format.data == "csv":
            return files.download(roster_csv(enterprises, contacts=contacts), _("members") + f"-{now:%Y%m%d}.csv",
                                  "text/csv; charset=utf-8")
        book = roster_xlsx(g.tenant.name, enterprises, now, contacts=contacts, english=locale_code() == "en")
        return files.download(book,
                              _("members") + f"-{now:%Y%m%d}.xlsx", XLSX)
    return render_template("_form_page.html", form=form, title=_("Export the roster"),
                           intro=_("Liaison persons' contact details are personal data: include them only when the "
                                   "export is for contacting them."),
                           back=url_for("members.index"))


@bp.route("/<int:enterprise_id>/liaisons/<int:person_id>/data.json")
@permission_required("members.erase")
def person_data(enterprise_id, person_id):
    """Everything stored about one liaison person, for their request (recorded)."""
    enterprise_or_404(enterprise_id)
    person = person_or_404(enterprise_id, person_id)
    data = person_export(person)
    db.session.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    return files.download(body, _("liaison-person") + f"-{person.id}.json", "application/json")


@bp.route("/<int:enterprise_id>/liaisons/<int:person_id>/erase", methods=["GET", "POST"])
@permission_required("members.erase")
def erase_person(enterprise_id, person_id):
    """Erase a liaison person on request, after typing their name: who goes, the liaison's
    existence and dates stay."""
    enterprise = enterprise_or_404(enterprise_id)
    person = person_or_404(enterprise_id, person_id)
    back = url_for("members.show", enterprise_id=enterprise.id)
    if person.erased_at is not None:
        flash(_("This liaison person has already been erased."), "info")
        return redirect(back)
    rows = person_rows(person)
    form = ErasureForm()
    if form.validate_on_submit():
        if form.name.data != person.name:
            form.name.errors.append(_("Type the name exactly as recorded: %(name)s", name=person.name))
        else:
            try:
                erase(person)
                db.session.commit()
                flash(_("The liaison person's data has been erased."), "success")
            except PrivacyError as exc:
                db.session.rollback()
                flash(str(exc), "info")
            return redirect(back)
    return render_template("members/erase.html", form=form, enterprise=enterprise, person=person, rows=rows), \
        (422 if form.errors else 200)
