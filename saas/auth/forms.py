from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

MIN_PASSWORD = 10


def strip(value):
    """Form filter: people paste addresses with spaces around them."""
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[strip], validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    submit = SubmitField(_l("Sign in"))


class RequestResetForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[strip], validators=[DataRequired(), Email()])
    submit = SubmitField(_l("Send reset link"))


def _new_password():
    return PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=128,
                    message=_l("Use %(min)d to %(max)d characters.", min=MIN_PASSWORD, max=128))],
    )


def _repeat():
    return PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class SetPasswordForm(FlaskForm):
    password = _new_password()
    confirm = _repeat()
    submit = SubmitField(_l("Save password"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = _new_password()
    confirm = _repeat()
    submit = SubmitField(_l("Save password"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    locale = SelectField(_l("Language"), choices=[("", _l("Automatic")), ("zh_CN", "中文"), ("en", "English")])
    submit = SubmitField(_l("Save"))


class AnswerInvitationForm(FlaskForm):
    """Accept or decline an invitation: the answer is in the URL, the form carries the CSRF token."""
