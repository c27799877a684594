"""Member liaison enterprises: roster, liaison persons, checklists, survey figures, vulnerability
list, evidence, Excel import/export (TJ-1…TJ-4, WH-1, XC-3, LC-2)."""

from . import checklist_summary, io_views, privacy_views, records_views, search, views  # noqa: F401  (routes register on the blueprint; the summary's listeners)
from .blueprint import bp  # noqa: F401


def init_app(app):
    from .privacy import can_see_contacts, contacts, shown

    # Liaison contact details as the current user may see them, on every page that shows them.
    app.jinja_env.globals.update(liaison_contact=shown, liaison_contacts=contacts, can_see_contacts=can_see_contacts)
