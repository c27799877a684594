"""A bureau reviewer's questionnaire rounds across the bases of its jurisdiction (/bureau/surveys):
one round sent to every active base at once, its response rate per base and in total."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas.extensions import db
from saas.pagination import paginate
from saas.tenancy import Bureau
from tenants.members.services import SURVEY_FIELDS, SURVEY_LABELS

from . import services
from .forms import RoundForm
from .services import SurveyError

home_bp = Blueprint("bureau_surveys", __name__, url_prefix="/bureau/surveys")


def _bureau() -> Bureau:
    if not current_user.is_reviewer:
        abort(403)
    return db.session.get(Bureau, current_user.bureau_id)


@home_bp.route("/")
@login_required
def index():
    bureau = _bureau()
    page = paginate(services.bureau_rounds(bureau))
    return render_template("surveys/bureau_index.html", bureau=bureau, page=page)


@home_bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    bureau = _bureau()
    form = RoundForm()
    if form.validate_on_submit():
        try:
            parent = services.send_across(bureau, form.data, current_user.id)
        except SurveyError as exc:
            db.session.rollback()
            getattr(form, exc.field or "title").errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("%(title)s sent to the member enterprises of every base in the jurisdiction.",
                    title=parent.title), "success")
            return redirect(url_for("bureau_surveys.show", bureau_round_id=parent.id))
    return render_template("_form_page.html", form=form, title=_("Send a questionnaire to every base"),
                           intro=_("Each active base of %(bureau)s gets this round for its active member "
                                   "enterprises; you see the response rate of each base and in total.",
                                   bureau=bureau.name),
                           back=url_for("bureau_surveys.index"))


@home_bp.route("/<int:bureau_round_id>")
@login_required
def show(bureau_round_id):
    bureau = _bureau()
    parent = services.bureau_round_or_404(bureau, bureau_round_id)
    rows = services.per_base(parent)
    sent, answered = sum(r.sent for r in rows), sum(r.answered for r in rows)
    return render_template("surveys/bureau_show.html", bureau=bureau, round=parent, rows=rows, sent=sent,
                           answered=answered, totals=services.bureau_totals(parent),
                           survey_fields=SURVEY_FIELDS, survey_labels=SURVEY_LABELS)
