"""Type-to-confirm (issue 22): before an action that cannot be undone, the user types the name of
what goes (an event's title, a file's name). Checked on the server, so a stray click, a replayed
form or a page without JavaScript cannot skip it; templates/_confirm_page.html shows the field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TypedConfirmation:
    """Mixed into a form (before FlaskForm or a form of its own): it validates only when `typed`
    equals `confirm_text` (surrounding spaces aside). Construct it with the text first."""

    typed = StringField(_l("Type the name to confirm"), filters=[_strip])

    def __init__(self, confirm_text: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.confirm_text = (confirm_text or "").strip()

    def validate_typed(self, field):
        if field.data != self.confirm_text:
            raise ValidationError(_l("Type the name exactly as shown to confirm."))


class TypedConfirmForm(TypedConfirmation, FlaskForm):
    """A confirmation page's form for an irreversible action (templates/_confirm_page.html)."""
