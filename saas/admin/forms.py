from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from ..auth.forms import strip
from wtforms import EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

KIND_CHOICES = [("park", _l("Industrial park")), ("association", _l("Industry association"))]
LEVEL_CHOICES = [("district", _l("District")), ("city", _l("City")), ("province", _l("Province"))]
LOCALE_CHOICES = [("zh_CN", "中文"), ("en", "English")]
STATUS_CHOICES = [("active", _l("Active")), ("suspended", _l("Suspended"))]


class TenantForm(FlaskForm):
    slug = StringField(_l("Short name (in addresses)"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    region = StringField(_l("Region"), validators=[Optional(), Length(max=120)])
    default_locale = SelectField(_l("Default language"), choices=LOCALE_CHOICES)
    bureau_id = SelectField(_l("Supervising bureau"), coerce=int)
    # Choices in the view: the sets of standards, after "" (the one of the bureau's region).
    standard = SelectField(_l("Standards"), default="",
                           description=_l("The rules the base follows: its readiness, application, plan, "
                                          "deadlines and warnings offer this set only."))
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)
    submit = SubmitField(_l("Save"))


class BureauForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    level = SelectField(_l("Level"), choices=LEVEL_CHOICES)
    parent_id = SelectField(_l("Parent bureau"), coerce=int)
    application_opens = StringField(_l("Application window opens (MM-DD)"), default="05-01",
                                    validators=[DataRequired(), Regexp(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")])
    application_closes = StringField(_l("Application window closes (MM-DD)"), default="06-15",
                                     validators=[DataRequired(), Regexp(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")])
    submit = SubmitField(_l("Save"))


class InviteAdminForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[strip], validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Send invitation"))


class ConfirmForm(FlaskForm):
    """A POST-only form carrying the CSRF token for confirmed actions."""

    submit = SubmitField(_l("Confirm"))


class PurgeForm(FlaskForm):
    """Purging cannot be undone: the admin types the tenant's short name to confirm."""

    slug = StringField(_l("Type the tenant's short name to confirm"), filters=[strip],
                       validators=[DataRequired(), Length(max=64)])
    submit = SubmitField(_l("Purge for good"))


class ImportArchiveForm(FlaskForm):
    archive = FileField(_l("Tenant archive (.zip)"), validators=[FileRequired()])
    slug = StringField(_l("Short name of the new tenant"), filters=[strip],
                       validators=[Optional(), Length(max=64)],
                       description=_l("Leave empty to keep the archive's own short name."))
    submit = SubmitField(_l("Import"))
