from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from saas.auth.forms import strip

from .models import CONTACT_MAX, NAME_MAX, TEXT_MAX


class ReferralForm(FlaskForm):
    """What leaves the tenant: each optional fact is sent only when its box is ticked."""

    summary = TextAreaField(_l("Summary of the facts"), filters=[strip],
                            validators=[DataRequired(), Length(max=TEXT_MAX)], render_kw={"rows": 5},
                            description=_l("What happened, as the bureau needs it. Never the secret itself."))
    send_enterprise = BooleanField(_l("Send the name of the enterprise concerned"), default=True)
    enterprise_name = StringField(_l("Enterprise concerned"), filters=[strip],
                                  validators=[Optional(), Length(max=NAME_MAX)])
    send_received_on = BooleanField(_l("Send the date the complaint was received"), default=True)
    received_on = DateField(_l("Date received"), validators=[Optional()])
    request = TextAreaField(_l("What is asked of the bureau"), filters=[strip],
                            validators=[DataRequired(), Length(max=TEXT_MAX)], render_kw={"rows": 3},
                            description=_l("For example: investigate the suspected infringement, mediate, advise."))
    send_contact = BooleanField(_l("Send the complainant's contact (only with their consent)"), default=False)
    contact = StringField(_l("Complainant's contact"), filters=[strip],
                          validators=[Optional(), Length(max=CONTACT_MAX)])
    submit = SubmitField(_l("Check what will be sent"))


class MoveForm(FlaskForm):
    """A move of the referral, from the status the user saw (compare-and-set)."""

    expected = HiddenField()
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Optional(), Length(max=TEXT_MAX)],
                         render_kw={"rows": 4})
    submit = SubmitField(_l("Confirm"))
