from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from saas.auth.forms import strip

from .models import SUMMARY_MAX

OFFICE_LABELS = {"independent": _l("Independent office"), "shared": _l("Shared with the park or association")}
EMPLOYMENT_LABELS = {"full_time": _l("Full-time"), "part_time": _l("Part-time")}
CATEGORY_LABELS = {"consultation": _l("Consultation"), "complaint": _l("Infringement complaint received"),
                   "publicity": _l("Publicity / briefing"), "risk_monitoring": _l("Risk monitoring"),
                   "guidance": _l("Guidance to an enterprise"), "rights_assistance": _l("Rights-protection assistance"),
                   "mediation": _l("Mediation"), "other": _l("Other")}
CASE_LABELS = {"received": _l("Received"), "referred": _l("Referred to the bureau"), "mediated": _l("Mediated"),
               "closed": _l("Closed")}
FOLLOW_UP_LABELS = {"open": _l("Open"), "done": _l("Done")}


class StationForm(FlaskForm):
    name = StringField(_l("Station name"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    address = StringField(_l("Address"), filters=[strip], validators=[Optional(), Length(max=300)])
    opened_on = DateField(_l("Opened on"), validators=[Optional()])
    office = SelectField(_l("Office"), choices=list(OFFICE_LABELS.items()))
    opening_hours = StringField(_l("Opening hours"), filters=[strip], validators=[Optional(), Length(max=200)])
    services = TextAreaField(_l("Services offered"), filters=[strip], validators=[Optional(), Length(max=4000)])
    active = BooleanField(_l("In operation"), default=True)
    submit = SubmitField(_l("Save"))


class StaffForm(FlaskForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    position = StringField(_l("Position"), filters=[strip], validators=[Optional(), Length(max=120)])
    employment = SelectField(_l("Employment"), choices=list(EMPLOYMENT_LABELS.items()))
    experienced = BooleanField(_l("Has trade secret protection experience"))
    training = TextAreaField(_l("Training received"), filters=[strip], validators=[Optional(), Length(max=2000)])
    active = BooleanField(_l("Currently on the staff"), default=True)
    submit = SubmitField(_l("Save"))


class ServiceLogForm(FlaskForm):
    served_on = DateField(_l("Date"), validators=[DataRequired()])
    station_id = SelectField(_l("Station"), coerce=int)
    category = SelectField(_l("Category"), choices=list(CATEGORY_LABELS.items()))
    enterprise_id = SelectField(_l("Member enterprise"), coerce=int, default=0)
    non_member = StringField(_l("Or: name of a non-member served"), filters=[strip],
                             validators=[Optional(), Length(max=200)])
    handled_by = StringField(_l("Handled by"), filters=[strip], validators=[Optional(), Length(max=120)])
    summary = TextAreaField(_l("Short summary"), filters=[strip], validators=[Optional(), Length(max=SUMMARY_MAX)],
                            description=_l("Record that the service took place; never write down the secret itself."))
    outcome = TextAreaField(_l("Outcome"), filters=[strip], validators=[Optional(), Length(max=SUMMARY_MAX)])
    case_status = SelectField(_l("Case status (complaints)"), choices=list(CASE_LABELS.items()), default="received")
    follow_up_due = DateField(_l("Follow-up due"), validators=[Optional()])
    follow_up = SelectField(_l("Follow-up"), choices=list(FOLLOW_UP_LABELS.items()), default="done")
    file = FileField(_l("Attachment (optional)"))
    submit = SubmitField(_l("Save entry"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))
