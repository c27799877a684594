from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, EmailField, IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from saas.auth.forms import strip

from .services import SURVEY_LABELS, MemberError, normalise_landline, normalise_mobile

STATUS_LABELS = {"liaison": _l("Liaison enterprise"), "cultivating": _l("Cultivation target"),
                 "withdrawn": _l("Withdrawn")}
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
    submit = SubmitField(_l("Save"))


class LiaisonForm(FlaskForm):
    name = StringField(_l("Liaison person"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    position = StringField(_l("Position"), filters=[strip], validators=[Optional(), Length(max=120)])
    mobile = StringField(_l("Mobile"), filters=[strip], validators=[Optional(), Length(max=32)],
                         description=_l("A mainland mobile number, 11 digits."))
    landline = StringField(_l("Landline"), filters=[strip], validators=[Optional(), Length(max=32)],
                           description=_l("Area code and number, with an extension if any."))
    email = EmailField(_l("Email"), filters=[strip], validators=[Optional(), Email(), Length(max=254)])
    started_on = DateField(_l("In office from"), validators=[Optional()])
    submit = SubmitField(_l("Save liaison person"))

    # The same checks as the API's: the number is stored as normalise_* returns it.
    def validate_mobile(self, field):
        try:
            field.data = normalise_mobile(field.data)
        except MemberError as exc:
            raise ValidationError(str(exc)) from exc

    def validate_landline(self, field):
        try:
            field.data = normalise_landline(field.data)
        except MemberError as exc:
            raise ValidationError(str(exc)) from exc


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=list(STATUS_LABELS.items()))
    on = DateField(_l("Effective date"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), filters=[strip], validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Change status"))


def _count(field: str) -> IntegerField:
    # The API's bound as well: a count the database column cannot hold is a field error.
    return IntegerField(SURVEY_LABELS[field], default=0, validators=[Optional(), NumberRange(min=0, max=10_000_000)])


class SurveyForm(FlaskForm):
    employees = _count("employees")
    secrets_identified = _count("secrets_identified")
    patents = _count("patents")
    confidentiality_signed = _count("confidentiality_signed")
    noncompete_signed = _count("noncompete_signed")
    key_posts_tiered = _count("key_posts_tiered")
    incidents_suffered = _count("incidents_suffered")
    incidents_caused = _count("incidents_caused")
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


class RosterExportForm(FlaskForm):
    """The roster export with a choice: liaison contacts are left out unless asked for (and
    an export with them is recorded in the audit log)."""

    format = RadioField(_l("Format"), choices=[("xlsx", _l("Excel (.xlsx)")), ("csv", _l("CSV (.csv)"))],
                        default="xlsx", validators=[DataRequired()])
    contacts = BooleanField(_l("Include the liaison persons' mobiles, landlines and e-mail addresses"),
                            description=_l("Personal data: only for contacting them. The export is recorded in the "
                                           "audit log."))
    submit = SubmitField(_l("Export"))


class ErasureForm(FlaskForm):
    name = StringField(_l("Type the person's name to confirm"), filters=[strip],
                       validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Erase for good"))
