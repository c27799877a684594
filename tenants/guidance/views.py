"""Guidance: the list, publishing, one publication (read receipts), withdrawing, the readers."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas import files
from saas.auth.permissions import can, permission_required
from saas.extensions import db
from saas.pagination import paginate
from saas.tenancy import tenant_blueprint

from . import services
from .forms import KIND_LABELS, ConfirmForm, PublicationForm
from .models import KINDS

bp = tenant_blueprint("guidance", __name__, "/guidance")


@bp.context_processor
def _labels():
    return {"kind_labels": KIND_LABELS}


def _members_view() -> bool:
    """Who cannot publish sees only what is out now (not what was withdrawn)."""
    return not can("guidance.publish")


@bp.route("/")
@permission_required("guidance.view")
def index():
    kind = request.args.get("kind", "")
    kind = kind if kind in KINDS else ""
    q = request.args.get("q", "").strip()[:100]
    page = paginate(services.listing(kind, q, _members_view()))
    return render_template("guidance/index.html", page=page, kind=kind, q=q,
                           args={k: v for k, v in (("kind", kind), ("q", q)) if v})


@bp.route("/new", methods=["GET", "POST"])
@permission_required("guidance.publish")
def new():
    form = PublicationForm()
    if form.validate_on_submit():
        uploads = [s for s in request.files.getlist("files") if s and s.filename]
        try:
            publication = services.publish(form.data, uploads, current_user.id)
        except files.UploadError as exc:
            db.session.rollback()
            form.files.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("%(title)s published.", title=publication.title), "success")
            return redirect(url_for("guidance.show", publication_id=publication.id))
    return render_template("_form_page.html", form=form, title=_("Publish guidance"), multipart=True,
                           intro=_("Every member enterprise sees it on its home page."),
                           back=url_for("guidance.index"))


@bp.route("/<int:publication_id>")
@permission_required("guidance.view")
def show(publication_id):
    publication = services.publication_or_404(publication_id, _members_view())
    if g.access.role == "enterprise" and g.access.enterprise_id:
        services.mark_read(publication.id, g.access.enterprise_id, current_user.id)
        db.session.commit()
    return render_template("guidance/show.html", publication=publication,
                           attachments=files.attachments_of(services.OWNER, publication.id))


@bp.route("/<int:publication_id>/files/<int:attachment_id>")
@permission_required("guidance.view")
def attachment(publication_id, attachment_id):
    publication = services.publication_or_404(publication_id, _members_view())
    return files.send(files.get_for_owner(attachment_id, services.OWNER, publication.id))


@bp.route("/<int:publication_id>/withdraw", methods=["GET", "POST"])
@permission_required("guidance.publish")
def withdraw(publication_id):
    publication = services.publication_or_404(publication_id, False)
    back = url_for("guidance.show", publication_id=publication.id)
    form = ConfirmForm()
    if publication.bureau_publication_id is not None:  # the bureau's: withdrawn by the bureau, everywhere
        return render_template("_confirm_page.html", form=form, back=back, action=None,
                               question=_("%(title)s was published by the bureau to every base; only the bureau "
                                          "can withdraw it.", title=publication.title))
    if publication.withdrawn_at is None and form.validate_on_submit():
        services.withdraw(publication)
        db.session.commit()
        flash(_("%(title)s withdrawn: members no longer see it.", title=publication.title), "success")
        return redirect(back)
    if publication.withdrawn_at is not None:  # nothing left to confirm: the page says so
        return render_template("_confirm_page.html", form=form, back=back, action=None,
                               question=_("%(title)s is already withdrawn.", title=publication.title))
    return render_template("_confirm_page.html", form=form, back=back,
                           question=_("Withdraw %(title)s? Member enterprises will no longer see it.",
                                      title=publication.title))


@bp.route("/<int:publication_id>/readers")
@permission_required("guidance.publish")
def readers(publication_id):
    publication = services.publication_or_404(publication_id, False)
    rows = services.readers(publication.id)
    read = [r for r in rows if r.readers]
    unread = [r for r in rows if not r.readers]
    return render_template("guidance/readers.html", publication=publication, read=read, unread=unread)
