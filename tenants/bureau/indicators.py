"""CQ-4: the evaluation indicators of a Chongqing pilot district (重庆市商业秘密保护创新试点区（县）
评估指标, annex 4 of the Chongqing plan). Item 1 — at least 15 demonstration bases in the
district, 20 points — is counted from the recognitions, never typed; items 2–8 are the seven
qualitative items its reviewers judge and record per year (DistrictIndicator)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

RECOGNISED_BASES_INDICATOR = 15  # item 1: 辖区内商业秘密保护示范基地（单位）不少于15家（20分）
RECOGNISED_BASES_POINTS = 20

# code → (name, points, what the seed asks). The names are the headings of annex 3 (制度建设,
# 工作机制, 监管执法, 服务保障, 跨域保护, 氛围营造) and item 8's own words.
QUALITATIVE = {
    "cq4.2": (_l("Rules and systems"), 10,
              _l("Protection rules fitting the local economy; protection of knowledge-, technology-intensive, "
                 "innovative and time-honoured enterprises; enterprises' internal secrecy measures.")),
    "cq4.3": (_l("Working mechanisms"), 10,
              _l("Case transfer and joint enforcement with the judiciary; coordination with the sector authorities; "
                 "industry associations set sector norms and educate on trade secrets and business ethics.")),
    "cq4.4": (_l("Supervision and enforcement"), 15,
              _l("Investigating trade secret infringement, answering enterprises' requests, a rapid response "
                 "mechanism and a professional enforcement team.")),
    "cq4.5": (_l("Services"), 15,
              _l("A protection service network: consultation, case intake, training, individual guidance of key "
                 "enterprises; third-party appraisal and risk control; cooperation with research institutes and "
                 "universities.")),
    "cq4.6": (_l("Cross-border protection"), 10,
              _l("Tracking foreign law, risk warnings and rapid response for enterprises going abroad or bringing "
                 "in foreign investment; exchanges across regions.")),
    "cq4.7": (_l("Awareness"), 10,
              _l("Thematic training for enterprises, institutions and government departments; training of "
                 "professionals; new ways of publicity and explanation.")),
    "cq4.8": (_l("Innovation and resources"), 10,
              _l("Outstanding innovative measures, staff, funds and material support, mechanisms and work "
                 "planning.")),
}
CODES = tuple(QUALITATIVE)


def state_labels() -> dict:
    from flask_babel import gettext as _

    return {"met": _("Met"), "partly": _("Partly met"), "not_met": _("Not met")}
