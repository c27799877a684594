"""The one table of who may do what inside a tenant, and the checks built on it.

Views use `@permission_required(action)`; the API and templates call `can(action)`. No other
module compares role names.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import abort, current_app, g

ROLES = ("admin", "staff", "enterprise", "instructor", "reviewer")

# members.list: the roster; members.view: one enterprise's page; members.manage: create, edit,
# status, liaison, import/export; members.records: checklists, survey, vulnerabilities, evidence.
# stations.*: guidance stations and staff; log.*: the service ledger; visits.view: guidance visits
# (enterprise users: their own); visits.record: instructors, their own visits only;
# visits.acknowledge: the visited enterprise; instructors.assign: who instructs this tenant;
# team.*: the instructor-team ledger (protection staff, team training, publicity materials).
# training.events: event list/page (enterprise users: theirs); training.view: coverage and
# ledger; training.record: create/edit events (enterprise users: their own internal training);
# training.manage: any event, its files, sign-in import, delete.
# readiness.*: scheme scores (declare: manual items and evidence; override: reviewers' points);
# plans.*: the annual work plan; applications.*: the base's application (write: its admins;
# review: bureau reviewers moving it along the chain). units.*: demonstration units — view the
# recognised units and applications (enterprise users: their own), apply (an enterprise for
# itself, the park on its behalf), prereview (the park), record (a recognition made before the
# platform, from its certificate), decide (a bureau reviewer: recognise, refuse, revoke, renew).
# guidance.*: notices, sector guidelines and typical cases for the members — view (enterprise
# users: only what is out now, and their opening it is recorded), publish (also withdraw and see
# who has read it).
# surveys.*: questionnaire rounds (LC-2) — view (the rounds; enterprise users: those sent to
# them), results (a round's response rate, totals, who has not answered), manage (send, remind,
# close), answer (an enterprise user, for its own enterprise only).
# referrals.*: complaints of the station ledger referred to the bureau (LC-3) — view (the
# referral as sent, its status and history; not instructors), send (refer a complaint, withdraw
# it while received), handle (a bureau reviewer: accept, investigated, close, decline).
# reports.*: the base's periodic reports to its bureau (CQ-4, TJ-6, XC-2) — view, edit (draft,
# write, submit: the base's admins and staff), decide (a bureau reviewer: accept or return).
# members.contacts: liaison persons' mobiles, landlines and e-mails in full, on every page, export
# and API answer (personal data, PIPL; everyone else sees them masked: tenants/members/privacy.py);
# members.contacts_assigned: the same, but only for the enterprises the instructor is assigned to;
# members.erase: export or erase everything stored about one liaison person, on their request.
# tenant.export: the whole tenant as one archive (saas/tenant_archive.py), for its admins.
READ_ALL = {"tenant.view", "members.list", "members.view", "stations.view", "log.view", "visits.view", "team.view",
            "training.events", "training.view", "readiness.view", "plans.view", "units.view",
            "guidance.view", "surveys.view", "surveys.results"}
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(READ_ALL | {
        "jobs.view", "settings.view", "settings.manage", "users.manage", "audit.view",
        "members.manage", "members.records", "members.invite", "stations.manage", "log.write",
        "instructors.assign", "team.manage", "training.record", "training.manage", "readiness.declare",
        "plans.manage", "applications.view", "applications.write", "units.apply", "units.prereview", "units.record",
        "guidance.publish", "surveys.manage",
        "referrals.view", "referrals.send", "reports.view", "reports.edit",
        "members.contacts", "members.erase", "tenant.export",
    }),
    "staff": frozenset(READ_ALL | {"jobs.view", "members.manage", "members.records", "stations.manage",
                                   "log.write", "team.manage", "training.record", "training.manage",
                                   "readiness.declare", "plans.manage", "applications.view", "units.apply",
                                   "units.prereview", "units.record", "guidance.publish",
                                   "surveys.manage", "referrals.view", "referrals.send",
                                   "reports.view", "reports.edit", "members.contacts"}),
    # Confined to its own enterprise: see Access.may_see_enterprise.
    "enterprise": frozenset({"tenant.view", "jobs.view", "members.view", "members.records", "visits.view",
                             "visits.acknowledge", "training.events", "training.record", "units.view",
                             "units.apply", "guidance.view", "surveys.view", "surveys.answer"}),
    "instructor": frozenset(READ_ALL | {"jobs.view", "visits.record", "members.contacts_assigned"}),
    # Bureau reviewers read the tenants of their jurisdiction and may assign instructors to them.
    "reviewer": frozenset(READ_ALL | {"instructors.assign", "readiness.override", "applications.view",
                                      "applications.review", "units.decide", "referrals.view", "referrals.handle",
                                      "reports.view", "reports.decide"}),
}

ACTIONS = frozenset().union(*PERMISSIONS.values())


@dataclass(frozen=True)
class Access:
    """What the current user is inside the current tenant."""

    role: str
    membership_id: int | None = None
    enterprise_id: int | None = None

    def can(self, action: str) -> bool:
        if action not in ACTIONS:
            raise KeyError(f"unknown action {action!r}: add it to PERMISSIONS")
        return action in PERMISSIONS[self.role]

    def may_see_enterprise(self, enterprise_id: int) -> bool:
        """Enterprise users see their own member enterprise and no other."""
        return self.role != "enterprise" or self.enterprise_id == enterprise_id


def can(action: str) -> bool:
    access = g.get("access")
    return access is not None and access.can(action)


def can_open(endpoint: str) -> bool:
    """Whether the current role may open a tenant view: what a link to it must check first."""
    action = getattr(current_app.view_functions[endpoint], "required_action", None)
    return action is None or can(action)


def permission_required(action: str):
    """Refuse (403) a tenant view unless the current role may do `action`."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}: add it to PERMISSIONS")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(action):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_action = action
        return wrapped

    return decorator
