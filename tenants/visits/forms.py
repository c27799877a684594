from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, \
    SubmitField, TextAreaField
from wtforms.fields import DecimalField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from saas.auth.forms import strip
from saas.numbers import finite

MODE_LABELS = {"on_site": _l("On site"), "remote": _l("Remote")}
TOPIC_LABELS = {"organisation": _l("Organisation"), "rules": _l("Rules"), "measures": _l("Protective measures"),
                "training": _l("Training"), "risk_assessment": _l("Risk assessment"),
                "rights_protection": _l("Rights protection"), "other": _l("Other")}
STATUS_LABELS = {"open": _l("Open"), "rectified": _l("Rectified"), "closed": _l("Closed")}
EMPLOYMENT_LABELS = {"full_time": _l("Full-time"), "part_time": _l("Part-time")}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VisitForm(FlaskForm):
    enterprise_id = SelectField(_l("Member enterprise"), coerce=int)
    visited_on = DateField(_l("Date of the visit"), validators=[DataRequired()])
    mode = RadioField(_l("Visit mode"), choices=list(MODE_LABELS.items()), default="on_site")
    topics = MultiCheckboxField(_l("Topics"), choices=list(TOPIC_LABELS.items()))
    instructor_ids = MultiCheckboxField(_l("Instructors (you are included)"), coerce=int)
    findings = TextAreaField(_l("Findings"), filters=[strip], validators=[Optional(), Length(max=4000)])
    recommendations = TextAreaField(_l("Recommendations"), filters=[strip], validators=[Optional(), Length(max=4000)])
    follow_up_due = DateField(_l("Follow-up due"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=list(STATUS_LABELS.items()), default="open")
    photo = FileField(_l("Photo (optional)"))
    submit = SubmitField(_l("Save visit"))


class AnswerForm(FlaskForm):
    rectification = TextAreaField(_l("Rectification done"), filters=[strip], validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Send answer"))


class AssignForm(FlaskForm):
    user_id = SelectField(_l("Instructor"), coerce=int)
    submit = SubmitField(_l("Assign to this tenant"))


class StaffLedgerForm(FlaskForm):
    enterprise_id = SelectField(_l("Member enterprise"), coerce=int)
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    position = StringField(_l("Position"), filters=[strip], validators=[Optional(), Length(max=120)])
    employment = SelectField(_l("Employment"), choices=list(EMPLOYMENT_LABELS.items()), default="part_time")
    trained = BooleanField(_l("Has received protection training"))
    mobile = StringField(_l("Mobile"), filters=[strip], validators=[Optional(), Length(max=32)])
    submit = SubmitField(_l("Save"))


class ActivityForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[("training", _l("Instructor training session")),
                                            ("material", _l("Publicity material produced"))])
    title = StringField(_l("Title"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    hours = DecimalField(_l("Hours"), places=1, validators=[Optional(), finite, NumberRange(min=0, max=1000)])
    participants = IntegerField(_l("Participants"), validators=[Optional(), NumberRange(min=0, max=100000)])
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Optional(), Length(max=4000)])
    file = FileField(_l("File (optional)"))
    submit = SubmitField(_l("Save"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))
