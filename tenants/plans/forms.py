from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from saas.auth.forms import strip
from saas.numbers import finite


class PlanForm(FlaskForm):
    training_ratio_target = DecimalField(_l("Training ratio of member units (%)"), places=1,
                                         validators=[Optional(), finite, NumberRange(min=0, max=100)])
    publicity_events_target = IntegerField(_l("Legal publicity events"), validators=[Optional(), NumberRange(min=0, max=10000)])
    demonstration_target = IntegerField(_l("Demonstration enterprises to cultivate"),
                                        validators=[Optional(), NumberRange(min=0, max=10000)])
    rules_ratio_target = DecimalField(_l("Members with protection rules (%)"), places=1,
                                      validators=[Optional(), finite, NumberRange(min=0, max=100)])
    key_tasks = TextAreaField(_l("Key tasks"), filters=[strip], validators=[Optional(), Length(max=10000)])
    budget = TextAreaField(_l("Budget"), filters=[strip], validators=[Optional(), Length(max=5000)])
    schedule = TextAreaField(_l("Schedule"), filters=[strip], validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save plan"))
