from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from saas.auth.forms import strip
from saas.numbers import finite

KIND_LABELS = {"training": _l("Training"), "briefing": _l("Briefing"), "publicity": _l("Legal publicity"),
               "seminar": _l("Seminar"), "study_visit": _l("Study visit")}
ORGANISER_LABELS = {"base": _l("The base"), "station": _l("The guidance station"), "bureau": _l("The bureau"),
                    "third_party": _l("A third party"), "enterprise": _l("A member enterprise (internal training)")}


class EventForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()))
    organiser = SelectField(_l("Organiser"), choices=list(ORGANISER_LABELS.items()))
    organiser_enterprise_id = SelectField(_l("Organising member enterprise"), coerce=int, default=0)
    organiser_name = StringField(_l("Organiser's name (bureau or third party)"), filters=[strip],
                                 validators=[Optional(), Length(max=200)])
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    hours = DecimalField(_l("Duration (hours)"), places=1, default=2, validators=[Optional(), finite, NumberRange(min=0, max=1000)])
    venue = StringField(_l("Venue"), filters=[strip], validators=[Optional(), Length(max=200)])
    online = BooleanField(_l("Online"))
    trainer = StringField(_l("Trainer"), filters=[strip], validators=[Optional(), Length(max=200)])
    topics = TextAreaField(_l("Topics"), filters=[strip], validators=[Optional(), Length(max=4000)])
    submit = SubmitField(_l("Save"))


class UploadForm(FlaskForm):
    file = FileField(_l("File"))
    label = SelectField(_l("What it is"), choices=[("materials", _l("Materials")), ("signin", _l("Sign-in sheet"))])
    submit = SubmitField(_l("Upload"))


class SignInForm(FlaskForm):
    file = FileField(_l("Sign-in sheet (.xlsx): enterprise name or credit code, headcount, names"))
    submit = SubmitField(_l("Import attendance"))


class NamesForm(FlaskForm):
    """An enterprise user's names of its own people at an event (services.set_own_names checks them)."""
    names = TextAreaField(_l("Names of those trained"), filters=[strip], render_kw={"rows": 4},
                          description=_l("Separate the names with commas, 、 or new lines. People named at "
                                         "several events count once towards all-staff training."))
    submit = SubmitField(_l("Save the names"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))
