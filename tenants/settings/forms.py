from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from saas.auth.forms import strip
from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

ROLE_CHOICES = [("admin", _l("Administrator")), ("staff", _l("Staff")),
                ("enterprise", _l("Enterprise user")), ("instructor", _l("Instructor"))]


ORGANISATION = ("leading_group", "office_address", "staff", "budget")


class TenantProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=120)])
    default_locale = SelectField(_l("Default language"), choices=[("zh_CN", "中文"), ("en", "English")])
    leading_group = TextAreaField(_l("Leading group (members and roles)"), filters=[strip], validators=[Optional(), Length(max=4000)])
    office_address = StringField(_l("Office address"), filters=[strip], validators=[Optional(), Length(max=300)])
    staff = TextAreaField(_l("Office staff"), filters=[strip], validators=[Optional(), Length(max=4000)])
    budget = TextAreaField(_l("Budget"), filters=[strip], validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save"))


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[strip], validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="staff")
    enterprise_id = SelectField(_l("Member enterprise (for enterprise users)"), coerce=int, default=0)
    submit = SubmitField(_l("Send invitation"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    submit = SubmitField(_l("Change role"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))
