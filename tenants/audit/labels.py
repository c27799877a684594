"""How an audit event reads to a person: object kinds, fields and values in the user's language.

saas.audit stores what changed in the code's own terms (class names, column names, stored
values), which stay true whatever the language. Here they become the words the user knows from
the forms: a field is labelled as the form that edits it labels it, and a value chosen from a
list reads as that list's label. Bookkeeping columns (who and when, storage details) are not
shown: the event itself says who and when.
"""

from __future__ import annotations

from functools import cache

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

from tenants.members.checklists import ITEM_TITLES, STATE_LABELS

OBJECTS = {
    "Enterprise": _l("Member enterprise"), "LiaisonPerson": _l("Liaison person"), "Roster": _l("Roster"),
    "ChecklistItem": _l("Checklist item"), "SurveyYear": _l("Survey figures"), "Vulnerability": _l("Vulnerability"),
    "Station": _l("Guidance station"), "StationStaff": _l("Station staff"), "ServiceLog": _l("Service log entry"),
    "GuidanceVisit": _l("Guidance visit"), "InstructorEnterprise": _l("Instructor assignment"),
    "ProtectionStaff": _l("Protection staff"), "TeamActivity": _l("Team activity"),
    "TrainingEvent": _l("Training event"), "Attendance": _l("Attendance"),
    "SchemeChoice": _l("Scheme"), "Declaration": _l("Readiness declaration"),
    "AnnualPlan": _l("Annual work plan"), "PlanTarget": _l("Plan target"),
    "Application": _l("Application"), "ReviewScore": _l("Review score"), "Objection": _l("Objection"),
    "Membership": _l("Member of the workspace"), "Attachment": _l("File"),
    "TenantInvitation": _l("Invitation"), "UnitApplication": _l("Application of a demonstration unit"),
    "Recognition": _l("Recognition of a demonstration unit"),
    "Publication": _l("Published guidance"),
    "SurveyRound": _l("Questionnaire"), "SurveyAnswer": _l("Questionnaire answer"),
    "Referral": _l("Referred complaint"), "PeriodicReport": _l("Periodic report"),
}
# Columns no form edits, in the words of the pages that show them.
FIELDS = {
    "name": _l("Name"), "status": _l("Status"), "mode": _l("Mode"), "hours": _l("Hours"),
    "active": _l("Active"), "label": _l("Label"), "enterprise_id": _l("Member enterprise"),
    "received_on": _l("Received on"), "text": _l("Text"), "acknowledged_at": _l("Acknowledged at"),
    "points": _l("Points"), "scorer": _l("Scorer"), "scheme": _l("Scheme"), "year": _l("Year"), "met": _l("Met"),
    "note": _l("Note"), "override_points": _l("Reviewer's points"), "override_note": _l("Reviewer's note"),
    "unit": _l("Unit"), "target": _l("Target value"), "metric": _l("Follows the figure"),
    "filename": _l("File name"), "size": _l("Size (bytes)"), "code": _l("Item"), "state": _l("State"),
    "ended_on": _l("Ended on"), "version": _l("Version"), "sections": _l("Application text"),
    "submitted_at": _l("Submitted at"), "notice_start": _l("Public notice from"),
    "notice_end": _l("Public notice until"), "rereview_due": _l("Re-review due"), "final_score": _l("Final score"),
    "headcount": _l("People trained"), "key_staff": _l("Names of those trained"),
    "core_done": _l("Core items in place"), "withdrawn_on": _l("Withdrawn on"),
    "withdrawal_reason": _l("Reason for withdrawal"),
    "station_id": _l("Guidance station"), "source": _l("Source"),
    "valid_until": _l("Valid until"), "self_assessment": _l("Self-assessment"), "park_comments": _l("Park's comments"),
    "decision_note": _l("Opinion"), "recommended_at": _l("Recommended at"), "decided_at": _l("Decided at"),
    "end_grounds": _l("Grounds"), "end_note": _l("Facts"), "user_id": _l("Account"),
    "panel_passed": _l("Passed by the expert panel"), "panel_reason": _l("The panel's reason"),
    "outcome": _l("Outcome"), "resolved_on": _l("Resolved on"), "withdrawn_at": _l("Withdrawn at"),
    "contacts": _l("With liaison contacts"), "rows": _l("Rows"), "personal_data": _l("Personal data"),
    "erased": _l("Erased"), "erased_at": _l("Erased at"),
    "closed_at": _l("Closed at"), "reminded_on": _l("Last reminder"),
    "survey_round_id": _l("Filled from a questionnaire"),
    "period_start": _l("Period from"), "period_end": _l("Period until"), "due_on": _l("Due on"),
    "first_submitted_at": _l("First submitted at"), "bureau_comment": _l("The bureau's comments"),
    "station_name": _l("Guidance station"), "referred_at": _l("Referred at"),
}
HIDDEN = {"erased_by_id", "created_at", "updated_at", "created_by_id", "entered_by_id", "overridden_by_id", "uploaded_by_id",
          "submitted_by_id", "acknowledged_by_id", "stored_name", "sha256", "pdf_sha256", "pdf_path", "snapshot",
          "content_type", "owner_type", "owner_id", "plan_id", "application_id", "event_id", "invited_by_id",
          "recorded_by_id", "decided_by_id", "resolved_by_id", "published_by_id",
          "published_at", "round_id", "bureau_round_id", "bureau_publication_id",
          "overdue_notified_at", "service_log_id", "referred_by_id", "changed_at"}
VALUES = {"state": STATE_LABELS}

@cache
def _forms() -> tuple[dict, dict]:
    """(field name → label, field name → {value → label}) from every form's declared fields;
    read once, on first use, when every feature's forms are imported. Choices given as a
    function or set per request are not known here; their values show as stored."""
    labels, choices, pending = {}, {}, list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        for name, field in vars(form).items():
            if not isinstance(field, UnboundField):
                continue
            label = field.kwargs.get("label", field.args[0] if field.args else None)
            if label is not None:
                labels.setdefault(name, label)
            listed = field.kwargs.get("choices")
            for choice in listed if isinstance(listed, (list, tuple)) else ():
                if isinstance(choice, (list, tuple)) and len(choice) == 2:  # not bare values
                    choices.setdefault(name, {}).setdefault(*choice)
    return labels, choices


def object_name(object_type: str) -> str:
    return str(OBJECTS.get(object_type, object_type))


def field_name(field: str) -> str:
    return str(FIELDS.get(field) or _forms()[0].get(field) or field)


def shown(changes: dict) -> list[tuple[str, object, object]]:
    """The changes a person reads: (field, old, new) without the bookkeeping columns."""
    return [(field, old, new) for field, (old, new) in changes.items() if field not in HIDDEN]


def value_text(field: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return "、".join(value_text(field, v) for v in value)
    if isinstance(value, dict):
        return "…"
    if field == "code" and value in ITEM_TITLES:
        return str(ITEM_TITLES[value])
    labels = VALUES.get(field) or _forms()[1].get(field) or {}
    return str(labels.get(value, value))


def event_label(object_type: str, label: str) -> str:
    """The stored label, with a checklist item's code or a service's category in words."""
    if object_type == "ChecklistItem" and label in ITEM_TITLES:
        return str(ITEM_TITLES[label])
    if object_type == "ServiceLog" and " " in label:
        day, category = label.rsplit(" ", 1)
        return f"{day} {value_text('category', category)}"
    return label


def init_app(app):
    app.jinja_env.globals.update(audit_object=object_name, audit_field=field_name, audit_value=value_text,
                                 audit_changes=shown, audit_label=event_label)
