"""A bureau reviewer's guidance to the members of every base in the jurisdiction
(/bureau/guidance): publish, who has read it per base, withdraw everywhere."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas import files
from saas.extensions import db
from saas.pagination import paginate
from saas.tenancy import Bureau

from . import bureau as services
from .forms import KIND_LABELS, ConfirmForm, PublicationForm

home_bp = Blueprint("bureau_guidance", __name__, url_prefix="/bureau/guidance")


def _bureau() -> Bureau:
    if not current_user.is_reviewer:
        abort(403)
    return db.session.get(Bureau, current_user.bureau_id)


@home_bp.context_processor
def _labels():
    return {"kind_labels": KIND_LABELS}


@home_bp.route("/")
@login_required
def index():
    bureau = _bureau()
    return render_template("guidance/bureau_index.html", bureau=bureau, page=paginate(services.listing(bureau)))


@home_bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    bureau = _bureau()
    form = PublicationForm()
    if form.validate_on_submit():
        uploads = [s for s in request.files.getlist("files") if s and s.filename]
        try:
            parent = services.publish_across(bureau, form.data, uploads, current_user.id)
        except files.UploadError as exc:
            db.session.rollback()
            form.files.errors = [str(exc)]
        except services.NoBaseError as exc:
            db.session.rollback()
            form.title.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("%(title)s published to the members of every base in the jurisdiction.", title=parent.title),
                  "success")
            return redirect(url_for("bureau_guidance.show", bureau_publication_id=parent.id))
    return render_template("_form_page.html", form=form, title=_("Publish guidance to every base"), multipart=True,
                           intro=_("The member enterprises of every active base of %(bureau)s see it on their home "
                                   "page.", bureau=bureau.name),
                           back=url_for("bureau_guidance.index"))


@home_bp.route("/<int:bureau_publication_id>")
@login_required
def show(bureau_publication_id):
    bureau = _bureau()
    parent = services.publication_or_404(bureau, bureau_publication_id)
    rows = services.readers_per_base(parent)
    return render_template("guidance/bureau_show.html", bureau=bureau, publication=parent, rows=rows,
                           read=sum(r["read"] for r in rows), members=sum(r["members"] for r in rows),
                           attachments=services.attachments(parent))


@home_bp.route("/<int:bureau_publication_id>/files/<int:attachment_id>")
@login_required
def attachment(bureau_publication_id, attachment_id):
    parent = services.publication_or_404(_bureau(), bureau_publication_id)
    return files.send(services.attachment_or_404(parent, attachment_id))


@home_bp.route("/<int:bureau_publication_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(bureau_publication_id):
    parent = services.publication_or_404(_bureau(), bureau_publication_id)
    back = url_for("bureau_guidance.show", bureau_publication_id=parent.id)
    form = ConfirmForm()
    if parent.withdrawn_at is not None:
        return render_template("_confirm_page.html", form=form, back=back, action=None,
                               question=_("%(title)s is already withdrawn.", title=parent.title))
    if form.validate_on_submit():
        if services.withdraw_everywhere(parent):
            flash(_("%(title)s withdrawn from every base: members no longer see it.", title=parent.title), "success")
        db.session.commit()
        return redirect(back)
    return render_template("_confirm_page.html", form=form, back=back, question=_(
        "Withdraw %(title)s from every base? Their member enterprises will no longer see it.", title=parent.title))
