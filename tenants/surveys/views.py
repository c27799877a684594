"""Questionnaire rounds: the base's list, sending, one round's results (rate, totals, who has
not answered, reminder, closing); an enterprise's answer in its own workspace."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.auth.permissions import can, permission_required
from saas.extensions import db
from saas.pagination import paginate_rows
from saas.tenancy import tenant_blueprint
from tenants.members.models import Enterprise
from tenants.members.services import SURVEY_FIELDS, SURVEY_LABELS, MemberError

from . import services
from .forms import AnswerForm, ConfirmForm, RoundForm
from .services import SurveyError

bp = tenant_blueprint("surveys", __name__, "/surveys")


@bp.context_processor
def _labels():
    return {"survey_fields": SURVEY_FIELDS, "survey_labels": SURVEY_LABELS}


@bp.route("/")
@permission_required("surveys.view")
def index():
    if not can("surveys.results"):  # an enterprise user: the rounds sent to its enterprise
        page = paginate_rows(services.answers_of(g.access.enterprise_id))
        return render_template("surveys/mine.html", page=page)
    page = paginate_rows(services.rounds())
    return render_template("surveys/index.html", page=page)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("surveys.manage")
def new():
    form = RoundForm()
    if form.validate_on_submit():
        try:
            row = services.send(form.data, current_user.id)
        except SurveyError as exc:
            db.session.rollback()
            getattr(form, exc.field or "title").errors.append(str(exc))
        else:
            db.session.commit()
            sent, _answered = services.progress(row.id)
            flash(_("%(title)s sent to %(n)d member enterprises.", title=row.title, n=sent), "success")
            return redirect(url_for("surveys.show", survey_round_id=row.id))
    return render_template("_form_page.html", form=form, title=_("Send a questionnaire"),
                           intro=_("Every active member enterprise is asked for its survey figures of the year "
                                   "(the same figures as on its page); a submitted answer becomes those figures."),
                           back=url_for("surveys.index"))


@bp.route("/<int:survey_round_id>")
@permission_required("surveys.results")
def show(survey_round_id):
    row = services.round_or_404(survey_round_id)
    q = request.args.get("q", "").strip()[:100]
    sent, answered = services.progress(row.id)
    waiting = paginate_rows(services.non_responders(row.id, q))
    return render_template("surveys/show.html", round=row, sent=sent, answered=answered,
                           totals=services.totals(row.id), waiting=waiting, q=q, args={"q": q} if q else {},
                           form=ConfirmForm())


@bp.route("/<int:survey_round_id>/remind", methods=["POST"])
@permission_required("surveys.manage")
def remind(survey_round_id):
    row = services.round_or_404(survey_round_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if not row.is_open():
        flash(_("The questionnaire is closed: there is nobody left to remind."), "warning")
    else:
        told = services.remind(row)
        db.session.commit()
        if told is None:
            flash(_("A reminder already went out today; the next one can be sent tomorrow."), "warning")
        else:
            flash(_("Reminder sent to %(n)d users of the enterprises that have not answered.", n=told), "success")
    return redirect(url_for("surveys.show", survey_round_id=row.id))


@bp.route("/<int:survey_round_id>/close", methods=["GET", "POST"])
@permission_required("surveys.manage")
def close(survey_round_id):
    row = services.round_or_404(survey_round_id)
    back = url_for("surveys.show", survey_round_id=row.id)
    form = ConfirmForm()
    if row.closed_at is not None:
        return render_template("_confirm_page.html", form=form, back=back, action=None,
                               question=_("%(title)s is already closed.", title=row.title))
    if form.validate_on_submit():
        if services.close(row):
            flash(_("%(title)s closed: no more answers are taken.", title=row.title), "success")
        db.session.commit()
        return redirect(back)
    sent, answered = services.progress(row.id)
    return render_template("_confirm_page.html", form=form, back=back, question=_(
        "Close %(title)s now? %(waiting)d of %(sent)d member enterprises have not submitted; they will no "
        "longer be able to answer.", title=row.title, waiting=sent - answered, sent=sent))


@bp.route("/answers/<int:survey_answer_id>", methods=["GET", "POST"])
@permission_required("surveys.answer")
def answer(survey_answer_id):
    answer = services.answer_or_404(survey_answer_id, g.access.enterprise_id)
    enterprise = db.session.get(Enterprise, answer.enterprise_id)
    row = answer.round
    editable = answer.status != "submitted" and row.is_open()
    form = AnswerForm(data=None if request.method == "POST" else services.initial(answer, enterprise))
    if request.method == "POST" and not editable:
        # Said plainly, nothing changed: a closed round or a submitted answer takes no more.
        flash(_("This questionnaire has already been submitted; it can no longer be changed.")
              if answer.status == "submitted" else
              _("This questionnaire closed on %(date)s: answers are no longer taken.",
                date=(row.closed_at.date() if row.closed_at else row.open_until).isoformat()), "danger")
        return redirect(url_for("surveys.answer", survey_answer_id=answer.id))
    if editable and form.validate_on_submit():
        counts = {f: form[f].data or 0 for f in SURVEY_FIELDS}
        try:
            if form.final.data:
                services.submit(answer, enterprise, counts, current_user.id)
            else:
                services.save_draft(answer, enterprise, counts)
        except MemberError as exc:
            db.session.rollback()
            form[exc.field or "employees"].errors.append(str(exc))
        except SurveyError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("surveys.answer", survey_answer_id=answer.id))
        else:
            db.session.commit()
            if form.final.data:
                flash(_("Submitted: thank you. Your answers are now your enterprise's survey figures for %(year)d.",
                        year=row.year), "success")
            else:
                flash(_("Draft saved. You can change it until you submit or the questionnaire closes."), "success")
            return redirect(url_for("surveys.answer", survey_answer_id=answer.id))
    return render_template("surveys/answer.html", answer=answer, round=row, enterprise=enterprise, form=form,
                           editable=editable)
