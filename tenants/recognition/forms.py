from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from saas.auth.forms import strip


class StartForm(FlaskForm):
    unit = SelectField(_l("Enterprise or station"), validators=[DataRequired()])
    scheme = SelectField(_l("Standard"), validators=[DataRequired()])
    year = SelectField(_l("Year"), coerce=int)
    submit = SubmitField(_l("Start an application"))


class RecordForm(FlaskForm):
    """A recognition the bureau made before the base used the platform, from its certificate."""

    unit = SelectField(_l("Enterprise or station"), validators=[DataRequired()])
    scheme = SelectField(_l("Standard"), validators=[Optional()])
    certificate_no = StringField(_l("Certificate number"), filters=[strip], validators=[DataRequired(), Length(max=64)])
    issued_by = StringField(_l("Issuing body"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    recognised_on = DateField(_l("Recognised on"), validators=[DataRequired()])
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Record the recognition"))


class DecisionForm(FlaskForm):
    certificate_no = StringField(_l("Certificate number"), filters=[strip], validators=[Optional(), Length(max=64)])
    issued_by = StringField(_l("Issuing body"), filters=[strip], validators=[Optional(), Length(max=200)])
    recognised_on = DateField(_l("Recognised on"), validators=[Optional()])
    note = TextAreaField(_l("Opinion"), filters=[strip], validators=[Optional(), Length(max=2000)])


class RevokeForm(FlaskForm):
    on = DateField(_l("Revoked from"), validators=[DataRequired()])
    grounds = SelectField(_l("Grounds"), validators=[DataRequired()])
    note = TextAreaField(_l("Facts"), filters=[strip], validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Revoke the recognition"))


class RenewForm(FlaskForm):
    on = DateField(_l("Re-review passed on"), validators=[DataRequired()])
    certificate_no = StringField(_l("New certificate number (if any)"), filters=[strip],
                                 validators=[Optional(), Length(max=64)])
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Renew"))
