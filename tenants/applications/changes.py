"""What changed between two submitted versions: the sections (character by character, as Chinese
has no spaces between words), the figures, the organisation and the member list — read from the
two frozen snapshots, the same for the base and for the reviewers."""

from __future__ import annotations

from difflib import SequenceMatcher

import sqlalchemy as sa
from flask_babel import gettext as _

from saas.extensions import db
from tenants.metrics.labels import label

from .dossier import section_title
from .models import Application, ApplicationVersion


def versions_of(application: Application) -> dict[int, dict]:
    return dict(db.session.execute(sa.select(ApplicationVersion.version, ApplicationVersion.snapshot).where(
        ApplicationVersion.application_id == application.id)).all())


def pieces(old: str, new: str) -> list[tuple[str, str]]:
    """(kind, text) with kind "same", "removed" or "added", in reading order."""
    out: list[tuple[str, str]] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("same", old[i1:i2]))
            continue
        if i2 > i1:
            out.append(("removed", old[i1:i2]))
        if j2 > j1:
            out.append(("added", new[j1:j2]))
    return out


def _figures(snapshot: dict) -> dict[str, tuple[str, str]]:
    out = {m["name"]: (label(m["name"]), str(m["value"])) for m in snapshot.get("metrics", [])}
    readiness = snapshot.get("readiness") or {}
    if readiness:
        out["readiness"] = (_("Readiness"), f"{readiness.get('total', 0):g} / {readiness.get('maximum', 0):g}")
    out["members"] = (_("Members in the dossier"), str(len(snapshot.get("members", []))))
    out["demonstration_units"] = out.get("demonstration_units") or (_("Demonstration units"),
                                                                    str(len(snapshot.get("demonstration_units", []))))
    return out


def compare(old: dict, new: dict) -> dict:
    old_texts = {s["code"]: s.get("text", "") for s in old.get("sections", [])}
    sections = []
    for s in new.get("sections", []):
        before, after = old_texts.get(s["code"], ""), s.get("text", "")
        # Titles in the reader's language (each snapshot carries those of its own).
        sections.append({"code": s["code"], "title": section_title(s["code"]), "changed": before != after,
                         "pieces": pieces(before, after) if before != after else []})
    old_figures, new_figures = _figures(old), _figures(new)
    figures = [{"name": name, "label": label, "old": old_figures.get(name, ("", "—"))[1], "new": value,
                "changed": old_figures.get(name, ("", "—"))[1] != value}
               for name, (label, value) in new_figures.items()]
    old_org = {o["title"]: o.get("text", "") for o in old.get("organisation", [])}
    organisation = [{"title": o["title"], "old": old_org.get(o["title"], ""), "new": o.get("text", "")}
                    for o in new.get("organisation", []) if old_org.get(o["title"], "") != o.get("text", "")]
    old_members = {m["name"] for m in old.get("members", [])}
    new_members = {m["name"] for m in new.get("members", [])}
    return {"sections": sections, "figures": figures, "organisation": organisation,
            "members_added": sorted(new_members - old_members), "members_removed": sorted(old_members - new_members),
            "changed": any(s["changed"] for s in sections) or any(f["changed"] for f in figures)
            or bool(organisation) or old_members != new_members}


def between(application: Application, old: int, new: int) -> dict | None:
    """The comparison of two submitted versions, or None when either does not exist."""
    snapshots = versions_of(application)
    if old not in snapshots or new not in snapshots:
        return None
    return {"old": old, "new": new, **compare(snapshots[old], snapshots[new])}
