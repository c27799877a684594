from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from saas.auth.forms import strip

from .models import BODY_MAX, TITLE_MAX

KIND_LABELS = {"notice": _l("Notice"), "guideline": _l("Sector guideline"), "case": _l("Typical case")}


class PublicationForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip], validators=[DataRequired(), Length(max=TITLE_MAX)])
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()))
    sector = StringField(_l("Industry"), filters=[strip], validators=[Optional(), Length(max=120)],
                         description=_l("Leave empty when it concerns every member."))
    body = TextAreaField(_l("Text"), filters=[strip], validators=[DataRequired(), Length(max=BODY_MAX)],
                         render_kw={"rows": 12})
    files = FileField(_l("Attachments (optional)"), render_kw={"multiple": True})
    submit = SubmitField(_l("Publish"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))
