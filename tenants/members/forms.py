from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, EmailField, IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from saas.auth.forms import strip

STATUS_LABELS = {"liaison": _l("Liaison enterprise"), "cultivating": _l("Cultivation target"),
                 "demonstration": _l("Demonstration unit"), "withdrawn": _l("Withdrawn")}
FLAG_LABELS = {"high_tech": _l("High-tech enterprise"), "specialised": _l("Specialised and innovative (专精特新)"),
               "gazelle": _l("Gazelle enterprise (瞪羚)"), "champion": _l("Manufacturing single champion"),
               "time_honoured": _l("Time-honoured brand (老字号)")}
SEVERITY_LABELS = {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High")}
VULNERABILITY_STATUS_LABELS = {"open": _l("Open"), "mitigating": _l("Being addressed"), "closed": _l("Closed")}


class EnterpriseForm(FlaskForm):
    name = StringField(_l("Enterprise name"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    credit_code = StringField(_l("Unified social credit code"), filters=[strip], validators=[DataRequired(), Length(max=40)])
    industry = StringField(_l("Industry"), filters=[strip], validators=[Optional(), Length(max=120)])
    employees = IntegerField(_l("Employees"), default=0, validators=[Optional(), NumberRange(min=0, max=10_000_000)])
    joined_on = DateField(_l("Joined on"), validators=[Optional()])
    high_tech = BooleanField(FLAG_LABELS["high_tech"])
    specialised = BooleanField(FLAG_LABELS["specialised"])
    gazelle = BooleanField(FLAG_LABELS["gazelle"])
    champion = BooleanField(FLAG_LABELS["champion"])
    time_honoured = BooleanField(FLAG_LABELS["time_honoured"])
    adopted_standard = BooleanField(_l("Adopted the local standard (贯标)"))
    adopted_on = DateField(_l("Adopted on"), validators=[Optional()])
    recognised_on = DateField(_l("Recognised as demonstration unit on"), validators=[Optional()])
    recognised_by = StringField(_l("Recognising authority"), filters=[strip], validators=[Optional(), Length(max=200)])
    certificate_no = StringField(_l("Certificate number"), filters=[strip], validators=[Optional(), Length(max=64)])
    submit = SubmitField(_l("Save"))


class LiaisonForm(FlaskForm):
    name = StringField(_l("Liaison person"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    position = StringField(_l("Position"), filters=[strip], validators=[Optional(), Length(max=120)])
    mobile = StringField(_l("Mobile"), filters=[strip], validators=[Optional(), Length(max=32)])
    email = EmailField(_l("Email"), filters=[strip], validators=[Optional(), Email(), Length(max=254)])
    started_on = DateField(_l("In office from"), validators=[Optional()])
    submit = SubmitField(_l("Save liaison person"))


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=list(STATUS_LABELS.items()))
    on = DateField(_l("Effective date"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), filters=[strip], validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Change status"))


class SurveyForm(FlaskForm):
    employees = IntegerField(_l("Employees"), default=0, validators=[Optional(), NumberRange(min=0)])
    secrets_identified = IntegerField(_l("Trade secrets identified"), default=0, validators=[Optional(), NumberRange(min=0)])
    patents = IntegerField(_l("Patents"), default=0, validators=[Optional(), NumberRange(min=0)])
    confidentiality_signed = IntegerField(_l("Employees with a confidentiality agreement"), default=0, validators=[Optional(), NumberRange(min=0)])
    noncompete_signed = IntegerField(_l("Employees with a non-compete agreement"), default=0, validators=[Optional(), NumberRange(min=0)])
    key_posts_tiered = IntegerField(_l("Key posts under tiered management"), default=0, validators=[Optional(), NumberRange(min=0)])
    incidents_suffered = IntegerField(_l("Infringements suffered (last 2 years)"), default=0, validators=[Optional(), NumberRange(min=0)])
    incidents_caused = IntegerField(_l("Infringements caused (last 2 years)"), default=0, validators=[Optional(), NumberRange(min=0)])
    submit = SubmitField(_l("Save survey"))


class VulnerabilityForm(FlaskForm):
    item = StringField(_l("Item"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    area = StringField(_l("Area"), filters=[strip], validators=[Optional(), Length(max=120)])
    severity = SelectField(_l("Severity"), choices=list(SEVERITY_LABELS.items()), default="medium")
    measure = TextAreaField(_l("Measure"), filters=[strip], validators=[Optional(), Length(max=2000)])
    status = SelectField(_l("Status"), choices=list(VULNERABILITY_STATUS_LABELS.items()), default="open")
    submit = SubmitField(_l("Save"))


class EvidenceForm(FlaskForm):
    file = FileField(_l("File (PDF, image, Word, Excel)"))
    label = SelectField(_l("Evidence for"), choices=[])
    submit = SubmitField(_l("Upload"))


class ImportForm(FlaskForm):
    file = FileField(_l("Excel file (.xlsx)"))
    mode = RadioField(_l("Mode"), choices=[("create", _l("Add new enterprises only")),
                                           ("update", _l("Add new and update existing (matched by credit code)"))],
                      default="create")
    submit = SubmitField(_l("Check and import"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))
