from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from saas.auth.forms import strip
from tenants.members.forms import SurveyForm
from tenants.members.records_views import FIRST_SURVEY_YEAR

from .models import NOTE_MAX, TITLE_MAX


class RoundForm(FlaskForm):
    year = IntegerField(_l("Survey year"), validators=[DataRequired(), NumberRange(min=FIRST_SURVEY_YEAR, max=2100)],
                        description=_l("The answers become the member enterprises' survey figures for this year."))
    title = StringField(_l("Title"), filters=[strip], validators=[DataRequired(), Length(max=TITLE_MAX)])
    open_until = DateField(_l("Open until"), validators=[DataRequired()],
                           description=_l("Answers are taken up to and including this day."))
    note = TextAreaField(_l("Note to the enterprises (optional)"), filters=[strip],
                         validators=[Optional(), Length(max=NOTE_MAX)], render_kw={"rows": 4})
    submit = SubmitField(_l("Send the questionnaire"))

    def validate_year(self, field):
        # The years the members' survey page takes: an answer must land on a year it shows.
        if not FIRST_SURVEY_YEAR <= field.data <= date.today().year + 1:
            raise ValidationError(_l("A year from %(first)d to %(last)d.", first=FIRST_SURVEY_YEAR,
                                     last=date.today().year + 1))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_submitted() and self.year.data is None:
            self.year.data = date.today().year - 1 if date.today().month <= 6 else date.today().year


class AnswerForm(SurveyForm):
    """The members' survey form itself (its fields, labels and bounds), with two buttons."""

    submit = SubmitField(_l("Save draft"))
    final = SubmitField(_l("Submit (final)"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))
