"""The OpenAPI 3.1 document of API v1 (`/api/v1/openapi.json`). The tests validate it and check
real responses against its schemas, so it cannot drift from the code unnoticed."""

from __future__ import annotations

S = {"type": "string"}
I = {"type": "integer"}
N = {"type": "number"}
B = {"type": "boolean"}
DATE = {"type": ["string", "null"], "format": "date"}
DATETIME = {"type": ["string", "null"], "format": "date-time"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required=(), extra=False) -> dict:
    out = {"type": "object", "properties": properties, "additionalProperties": extra}
    if required:
        out["required"] = list(required)
    return out


def page(item: str) -> dict:
    return obj({"items": {"type": "array", "items": ref(item)}, "page": I, "per_page": I, "total": I},
               ["items", "page", "per_page", "total"])


# mobile: a mainland mobile number, answered as its 11 digits; landline: a fixed line as written.
LIAISON = obj({"name": S, "position": S, "mobile": S, "landline": S, "email": S}, ["name"])
RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
SCHEMAS = {
    "Error": obj({"error": obj({"code": S, "message": S, "fields": {"type": "object"},
                                "rows": {"type": "array", "items": obj({"row": I, "column": S, "message": S})}},
                               ["code", "message", "fields"])}, ["error"]),
    "Tenant": obj({"slug": S, "name": S, "kind": {"enum": ["park", "association"]}, "region": S,
                   "default_locale": S, "bureau": {"type": ["string", "null"]}, "role": S}),
    "Liaison": LIAISON,
    "Enterprise": obj({"id": I, "name": S, "credit_code": S, "industry": S, "employees": I,
                       "status": {"enum": ["liaison", "cultivating", "withdrawn"]},
                       "joined_on": DATE, "flags": {"type": "array", "items": S}, "adopted_standard": B,
                       "liaison": nullable(LIAISON)},
                      ["id", "name", "credit_code", "status"]),
    "EnterpriseInput": obj({"name": S, "credit_code": S, "industry": S, "employees": {"type": "integer", "minimum": 0},
                            "status": {"enum": ["liaison", "cultivating", "withdrawn"]},
                            "joined_on": DATE, "liaison": nullable(LIAISON), "flags": {"type": "array", "items": S},
                            "adopted_standard": B}),
    "EnterpriseCreate": {**obj({"name": S, "credit_code": S, "industry": S,
                                "employees": {"type": "integer", "minimum": 0, "maximum": 10000000},
                                "status": {"enum": ["liaison", "cultivating", "withdrawn"]},
                                "joined_on": DATE, "liaison": nullable(LIAISON), "flags": {"type": "array", "items": S},
                                "adopted_standard": B}, ["name", "credit_code"])},
    "SurveyInput": obj({k: {"type": "integer", "minimum": 0, "maximum": 10000000} for k in (
        "employees", "secrets_identified", "patents", "confidentiality_signed", "noncompete_signed", "key_posts_tiered",
        "incidents_suffered", "incidents_caused")}),
    "StationInput": obj({"name": S, "address": S, "opened_on": DATE, "office": {"enum": ["independent", "shared"]},
                         "opening_hours": S, "services": S}, ["name"]),
    "ServiceLogInput": obj({"served_on": {"type": "string", "format": "date"}, "station_id": I,
                            "category": {"enum": ["consultation", "complaint", "publicity", "risk_monitoring", "guidance",
                                                  "rights_assistance", "mediation", "other"]},
                            "enterprise_id": {"type": ["integer", "null"]}, "non_member": S, "handled_by": S,
                            "summary": {"type": "string", "maxLength": 500}, "outcome": {"type": "string", "maxLength": 500},
                            "follow_up_due": DATE, "follow_up": {"enum": ["open", "done"]},
                            "case_status": {"enum": ["received", "referred", "mediated", "closed"]}},
                           ["served_on", "station_id", "category"]),
    "VisitInput": obj({"enterprise_id": I, "visited_on": {"type": "string", "format": "date"},
                       "mode": {"enum": ["on_site", "remote"]},
                       "topics": {"type": "array", "items": {"enum": ["organisation", "rules", "measures", "training",
                                                                      "risk_assessment", "rights_protection", "other"]}},
                       "instructor_ids": {"type": "array", "items": I}, "findings": S, "recommendations": S,
                       "follow_up_due": DATE, "status": {"enum": ["open", "rectified", "closed"]}}),
    "TrainingInput": obj({"title": S, "kind": {"enum": ["training", "briefing", "publicity", "seminar", "study_visit"]},
                          "organiser": {"enum": ["base", "station", "bureau", "third_party", "enterprise"]},
                          "organiser_enterprise_id": {"type": ["integer", "null"]}, "organiser_name": S,
                          "held_on": {"type": "string", "format": "date"}, "hours": {"type": "number", "minimum": 0, "maximum": 1000},
                          "venue": S, "online": B, "trainer": S, "topics": S,
                          "attendance": {"type": "array", "items": obj({"enterprise_id": I,
                                                                        "headcount": {"type": "integer", "minimum": 0}},
                                                                       ["enterprise_id", "headcount"])}},
                         ["title", "held_on"]),
    "PlanInput": obj({"training_ratio_target": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
                      "publicity_events_target": {"type": ["integer", "null"], "minimum": 0, "maximum": 10000},
                      "demonstration_target": {"type": ["integer", "null"], "minimum": 0, "maximum": 10000},
                      "rules_ratio_target": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
                      "key_tasks": S, "budget": S, "schedule": S,
                      "targets": {"type": "array", "items": obj({"name": S, "unit": S,
                                                                 "target": {"type": "number", "minimum": 0,
                                                                            "maximum": 1_000_000_000},
                                                                 "metric": {"type": ["string", "null"]}}, ["name", "target"])}}),
    "ApplicationInput": obj({"scheme": S, "year": {"type": "integer", "minimum": 2000, "maximum": 2100}}, ["scheme"]),
    "Checklist": obj({"items": {"type": "array", "items": obj({"code": S, "state": {
        "enum": ["not_started", "in_progress", "in_place"]}, "note": S}, ["code", "state"])}}, ["items"]),
    "Survey": obj({"year": I, "employees": I, "secrets_identified": I, "patents": I, "confidentiality_signed": I,
                   "noncompete_signed": I, "key_posts_tiered": I, "incidents_suffered": I, "incidents_caused": I,
                   "headcount": I, "confidentiality_rate": RATE, "noncompete_rate": RATE}),
    "Station": obj({"id": I, "name": S, "address": S, "opened_on": DATE, "office": {"enum": ["independent", "shared"]},
                    "opening_hours": S, "services": S, "active": B}, ["id", "name"]),
    "ServiceLog": obj({"id": I, "served_on": DATE, "station_id": I,
                       "category": {"enum": ["consultation", "complaint", "publicity", "risk_monitoring", "guidance",
                                             "rights_assistance", "mediation", "other"]},
                       "enterprise_id": {"type": ["integer", "null"]}, "non_member": S, "handled_by": S, "summary": S,
                       "outcome": S, "follow_up_due": DATE, "follow_up": {"enum": ["open", "done"]},
                       "case_status": {"type": ["string", "null"]}}, ["id", "served_on", "category"]),
    "Visit": obj({"id": I, "enterprise_id": I, "visited_on": DATE, "mode": {"enum": ["on_site", "remote"]},
                  "topics": {"type": "array", "items": S}, "instructor_ids": {"type": "array", "items": I},
                  "findings": S, "recommendations": S, "follow_up_due": DATE,
                  "status": {"enum": ["open", "rectified", "closed"]}, "acknowledged_at": DATETIME, "rectification": S},
                 ["id", "enterprise_id", "visited_on", "status"]),
    "Training": obj({"id": I, "title": S, "kind": S, "organiser": S, "organiser_enterprise_id": {"type": ["integer", "null"]},
                     "held_on": DATE, "hours": N, "venue": S, "online": B, "trainer": S,
                     "attendance": {"type": "array", "items": obj({"enterprise_id": I, "headcount": I})}},
                    ["id", "title", "held_on", "attendance"]),
    "Plan": obj({"year": I, "training_ratio_target": {"type": ["number", "null"]},
                 "publicity_events_target": {"type": ["number", "null"]}, "demonstration_target": {"type": ["number", "null"]},
                 "rules_ratio_target": {"type": ["number", "null"]}, "key_tasks": S, "budget": S, "schedule": S,
                 "targets": {"type": "array", "items": obj({"name": S, "unit": S, "target": N,
                                                            "metric": {"type": ["string", "null"]}})},
                 "progress": {"type": "array", "items": obj({"name": S, "unit": S, "target": N,
                                                             "actual": {"type": ["number", "null"]}, "reached": B})}},
                ["year"]),
    "Metrics": obj({"from": S, "to": S, "metrics": {"type": "object"}}, ["from", "to", "metrics"]),
    "Readiness": obj({"scheme": S, "year": I, "score": N, "max": {"type": ["number", "null"]},
                      "pass_mark": {"type": ["number", "null"]}, "passed": {"type": ["boolean", "null"]},
                      "groups": {"type": "array", "items": obj({"code": S, "cap": {"type": ["number", "null"]}, "raw": N,
                                                                "awarded": N})},
                      "items": {"type": "array", "items": obj({
                          "code": S, "title": S, "points": N, "awarded": N, "kind": {"enum": ["automatic", "manual"]},
                          "status": S, "value": {"type": ["object", "null"]}, "missing": {"type": "array"}})}},
                     ["scheme", "year", "score", "groups", "items"]),
    "Application": obj({"id": I, "scheme": S, "year": I, "status": S, "version": I, "sections": {"type": "object"},
                        "submitted_at": DATETIME, "pdf_sha256": {"type": ["string", "null"]}, "notice_start": DATE,
                        "notice_end": DATE, "recognised_on": DATE, "certificate_no": {"type": ["string", "null"]},
                        "rereview_due": DATE, "final_score": {"type": ["number", "null"]}, "status_label": S,
                        "issued_by": {"type": ["string", "null"]}, "valid_until": DATE},
                       ["id", "scheme", "year", "status", "version"]),
    # The application's sections; `comment`: the reviewers' comment on it from the last return.
    "Sections": obj({"application_id": I, "status": S, "version": I, "editable": B,
                     "sections": {"type": "array", "items": obj({"code": S, "title": S, "text": S,
                                                                 "comment": {"type": ["string", "null"]}},
                                                                ["code", "title", "text"])}},
                    ["application_id", "status", "version", "editable", "sections"]),
    # Sections not sent keep their text; `version`: the number of submissions the writer saw.
    "SectionsInput": obj({"sections": obj({c: {"type": "string", "maxLength": 20000} for c in (
        "basic", "needs", "work_done", "cases", "next_steps")}),
                          "version": {"type": "integer", "minimum": 0, "maximum": 1000000}}, ["sections"]),
    # A reviewer's decision: accept (into review), approve (recommend / to public notice / recognise),
    # return, refuse, revoke (with grounds), renew (re-review passed), a city review step
    # (materials, data_check, on_site), object (record an objection), resolve (an objection).
    "DecisionInput": obj({"action": {"enum": ["accept", "approve", "return", "refuse", "revoke", "materials",
                                              "data_check", "on_site", "object", "resolve", "renew"]},
                          "opinion": {"type": "string", "maxLength": 5000},
                          "section_comments": {"type": "object", "additionalProperties": {"type": "string"}},
                          "notice_start": DATE, "certificate_no": {"type": "string", "maxLength": 64},
                          "recognised_on": DATE, "issued_by": {"type": "string", "maxLength": 200},
                          "grounds": {"enum": ["false_material", "major_violation", "protection_gaps",
                                               "no_longer_meets"]},
                          "objection_id": {"type": "integer", "minimum": 1}, "received_on": DATE, "renewed_on": DATE},
                         ["action"]),
    # With preview=true: also what each enterprise would change (old → new), nothing written.
    "ImportResult": obj({"created": I, "updated": I, "unchanged": I,
                         "changes": {"type": "array", "items": ref("ImportChange")},
                         "new": {"type": "array", "items": ref("ImportChange")}}, ["created", "updated"]),
    "Job": obj({"id": I, "status": {"enum": ["queued", "running", "done", "failed"]}, "progress": I, "message": S,
                "has_file": B, "url": S, "result": {"type": "object"}},
               ["id", "status", "progress", "url"]),
    "ImportChange": obj({"row": I, "name": S, "credit_code": S, "fields": {"type": "array", "items": obj(
        {"field": S, "column": S, "old": {}, "new": {}}, ["field", "column", "old", "new"])}},
        ["row", "name", "credit_code", "fields"]),
    "BureauOverview": obj({"bureau": {"type": "object"}, "year": I, "totals": {"type": "object"},
                           "tenants": {"type": "array", "items": {"type": "object"}}}, ["bureau", "year", "totals", "tenants"]),
    # The bureau roll-up (tenants/bureau/api.py): one line per bureau or base, depth first.
    "RollupLine": obj({"level": {"enum": ["province", "city", "district", "base"]}, "name": S,
                       "parent": {"type": ["string", "null"]}, "depth": I,
                       "figures": {"type": "object", "additionalProperties": {"type": "integer"}},
                       "bureau_id": I, "targets": {"type": "object"}, "cq4": {"type": "object"},
                       "tenant": obj({"slug": S, "name": S}, ["slug", "name"])},
                      ["level", "name", "parent", "depth", "figures"]),
    "Rollup": obj({"bureau": obj({"id": I, "name": S, "level": S}), "year": I,
                   "lines": {"type": "array", "items": ref("RollupLine")}}, ["bureau", "year", "lines"]),
    # The reviewer's workbench (tenants/workbench): stage, kind and scheme also in words.
    "WorkbenchItem": obj({"kind": {"enum": ["application", "objection", "rereview", "unit", "unit_rereview",
                                            "recognition", "referral", "report"]},
                          "id": I, "tenant": obj({"slug": S, "name": S}, ["slug", "name"]),
                          "unit": {"type": ["string", "null"]}, "scheme": S, "scheme_title": S,
                          "year": {"type": ["integer", "null"]}, "status": S, "stage": S, "kind_label": S,
                          "since": DATE, "days": {"type": ["integer", "null"]}, "deadline": DATE, "url": S},
                         ["kind", "id", "tenant", "scheme_title", "stage", "url"]),
    "Workbench": obj({"bureau": obj({"id": I, "name": S, "level": S}), "tab": {"enum": ["todo", "done", "all"]},
                      "counts": obj({"todo": I, "done": I, "all": I}, ["todo", "done", "all"]),
                      "items": {"type": "array", "items": ref("WorkbenchItem")}, "page": I, "per_page": I, "total": I},
                     ["bureau", "tab", "counts", "items", "page", "per_page", "total"]),
}
ERRORS = {str(code): {"description": text, "content": {"application/json": {"schema": ref("Error")}}}
          for code, text in ((400, "bad request"), (401, "no or invalid token"), (403, "role may not"),
                             (404, "not found or another tenant's"), (409, "conflict"), (422, "validation failed"),
                             (429, "throttled"), (503, "background work unavailable, try again"))}
SLUG = {"name": "tenant_slug", "in": "path", "required": True, "schema": S}


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": I}


def _query(name: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema}


PAGING = [_query("page", {"type": "integer", "minimum": 1}), _query("per_page", {"type": "integer", "minimum": 1, "maximum": 200})]


def op(summary: str, response: dict | None, status: str = "200", body: str | None = None, params=(),
       codes=(401, 403, 404), content: str = "application/json") -> dict:
    out = {"summary": summary, "parameters": [SLUG, *params], "responses": {}}
    out["responses"][status] = {"description": "ok", "content": {content: {"schema": response or {}}}}
    for code in codes:
        out["responses"][str(code)] = ERRORS[str(code)]
    if body:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
    return out


T = "/api/v1/tenants/{tenant_slug}"
PATHS = {
    f"{T}/": {"get": op("Tenant profile", ref("Tenant"))},
    f"{T}/enterprises": {
        # contacts=include: the liaison's contacts in full where the role may see them (recorded in
        # the audit log; 403 for a role that may see none); otherwise masked (personal data).
        "get": op("Member enterprises", page("Enterprise"),
                  params=[*PAGING, _query("status", S), _query("contacts", {"enum": ["include", "mask"]})],
                  codes=(400, 401, 403, 404, 422)),
        "post": op("Add an enterprise", ref("Enterprise"), "201", "EnterpriseCreate", codes=(400, 401, 403, 404, 409, 422))},
    f"{T}/enterprises/{{enterprise_id}}": {
        "get": op("One enterprise", ref("Enterprise"), params=[_id("enterprise_id")]),
        "patch": op("Change an enterprise", ref("Enterprise"), body="EnterpriseInput", params=[_id("enterprise_id")],
                    codes=(400, 401, 403, 404, 409, 422))},
    f"{T}/enterprises/{{enterprise_id}}/withdraw": {
        "post": {**op("Withdraw (with a reason)", ref("Enterprise"), params=[_id("enterprise_id")],
                      codes=(400, 401, 403, 404, 409, 422)),
                 "requestBody": {"required": True, "content": {"application/json": {"schema": obj(
                     {"reason": S, "on": DATE}, ["reason"])}}}}},
    f"{T}/enterprises/import": {
        "post": {**op("Import an .xlsx roster (all rows or nothing); a large file is imported by the worker: "
                      "202 with the job to poll", ref("ImportResult"), codes=(400, 401, 403, 404, 422, 503)),
                 "responses": {**op("", ref("ImportResult"), codes=(400, 401, 403, 404, 422, 503))["responses"],
                               "202": {"description": "accepted: imported by the worker", "content": {
                                   "application/json": {"schema": obj({"job": ref("Job")}, ["job"])}}}},
                 "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": obj(
                     {"file": {"type": "string", "contentMediaType": "application/octet-stream"},
                      "mode": {"enum": ["create", "update"]}, "preview": {"enum": ["true", "false"]}},
                     ["file"])}}}}},
    f"{T}/jobs/{{job_id}}": {"get": op("A background job: queued, running, done or failed, with its result",
                                       ref("Job"), params=[_id("job_id")])},
    f"{T}/enterprises/{{enterprise_id}}/checklist": {
        "get": op("Checklist", ref("Checklist"), params=[_id("enterprise_id")]),
        "put": op("Replace checklist states", ref("Checklist"), body="Checklist", params=[_id("enterprise_id")],
                  codes=(400, 401, 403, 404, 422))},
    f"{T}/enterprises/{{enterprise_id}}/survey/{{year}}": {
        "get": op("Survey figures of a year", ref("Survey"), params=[_id("enterprise_id"), _id("year")]),
        "put": op("Set survey figures", ref("Survey"), body="SurveyInput", params=[_id("enterprise_id"), _id("year")],
                  codes=(400, 401, 403, 404, 422))},
    f"{T}/stations": {"get": op("Stations", page("Station"), params=PAGING, codes=(400, 401, 403, 404)),
                      "post": op("Add a station", ref("Station"), "201", "StationInput", codes=(400, 401, 403, 404, 422))},
    f"{T}/service-logs": {
        "get": op("Service ledger", page("ServiceLog"), params=[*PAGING, _query("from", {"type": "string", "format": "date"}),
                                                                _query("to", {"type": "string", "format": "date"}),
                                                                _query("category", S), _query("enterprise_id", I)],
                  codes=(400, 401, 403, 404)),
        "post": op("Add a ledger entry", ref("ServiceLog"), "201", "ServiceLogInput", codes=(400, 401, 403, 404, 422))},
    f"{T}/visits": {"get": op("Guidance visits", page("Visit"), params=PAGING, codes=(400, 401, 403, 404)),
                    "post": op("Record a visit (instructors)", ref("Visit"), "201", "VisitInput", codes=(400, 401, 403, 404, 422))},
    f"{T}/visits/{{visit_id}}": {"patch": op("Change own visit", ref("Visit"), body="VisitInput", params=[_id("visit_id")],
                                             codes=(400, 401, 403, 404, 422))},
    f"{T}/visits/{{visit_id}}/acknowledge": {"post": op("Acknowledge (the visited enterprise)", ref("Visit"),
                                                        params=[_id("visit_id")])},
    f"{T}/trainings": {"get": op("Training events", page("Training"), params=PAGING, codes=(400, 401, 403, 404)),
                       "post": op("Record an event with attendance", ref("Training"), "201", "TrainingInput",
                                  codes=(400, 401, 403, 404, 422))},
    f"{T}/plans/{{year}}": {"get": op("Annual work plan", ref("Plan"), params=[_id("year")]),
                            "put": {**op("Write the plan", ref("Plan"), body="PlanInput", params=[_id("year")],
                                         codes=(400, 401, 403, 404, 422)),
                                    "responses": {**op("", ref("Plan"), params=[_id("year")],
                                                       codes=(400, 401, 403, 404, 422))["responses"],
                                                  "201": {"description": "created",
                                                          "content": {"application/json": {"schema": ref("Plan")}}}}}},
    f"{T}/metrics": {"get": op("Every metric of a period", ref("Metrics"),
                               params=[_query("from", {"type": "string", "format": "date"}),
                                       _query("to", {"type": "string", "format": "date"})], codes=(400, 401, 403, 404))},
    f"{T}/readiness": {"get": op("Readiness against a scheme", ref("Readiness"),
                                 params=[_query("scheme", S), _query("year", I)], codes=(400, 401, 403, 404))},
    f"{T}/applications": {"get": op("Applications", page("Application"), params=PAGING, codes=(400, 401, 403, 404)),
                          "post": op("Start an application", ref("Application"), "201", "ApplicationInput",
                                     codes=(400, 401, 403, 404, 422))},
    f"{T}/applications/{{application_id}}": {"get": op("One application", ref("Application"), params=[_id("application_id")])},
    f"{T}/applications/{{application_id}}/submit": {
        "post": op("Submit (freezes the dossier)", ref("Application"), params=[_id("application_id")],
                   codes=(401, 403, 404, 409, 422))},
    f"{T}/applications/{{application_id}}/sections": {
        "get": op("The application's sections, with the reviewers' comments", ref("Sections"),
                  params=[_id("application_id")]),
        "put": op("Edit the sections (409 once submitted meanwhile)", ref("Sections"), body="SectionsInput",
                  params=[_id("application_id")], codes=(400, 401, 403, 404, 409, 422))},
    f"{T}/applications/{{application_id}}/decisions": {
        "post": op("A reviewer's decision (409 when not open now or taken meanwhile)", ref("Application"),
                   body="DecisionInput", params=[_id("application_id")], codes=(400, 401, 403, 404, 409, 422))},
    f"{T}/applications/{{application_id}}/dossier.pdf": {
        "get": op("The submitted dossier", {"type": "string"}, params=[_id("application_id")], content="application/pdf")},
    "/api/v1/bureaus/{bureau_id}/overview": {"get": {
        "summary": "A bureau's jurisdiction (its reviewers only)",
        "parameters": [_id("bureau_id"), _query("year", I)],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": ref("BureauOverview")}}},
                      **{str(c): ERRORS[str(c)] for c in (400, 401, 404)}}}},
    "/api/v1/bureaus/{bureau_id}/rollup": {"get": {
        "summary": "A bureau's roll-up: its jurisdiction as a tree with the year's totals and targets at each level "
                   "(its reviewers only; node: a bureau of the jurisdiction)",
        "parameters": [_id("bureau_id"), _query("year", {"type": "integer", "minimum": 2000, "maximum": 2100}),
                       _query("node", {"type": "integer", "minimum": 1, "maximum": 2147483647})],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": ref("Rollup")}}},
                      **{str(c): ERRORS[str(c)] for c in (400, 401, 404)}}}},
    "/api/v1/bureaus/{bureau_id}/workbench": {"get": {
        "summary": "A reviewer's workbench: what waits for them (todo), what they acted on (done), all the work of "
                   "the jurisdiction (all); with filters (its reviewers only)",
        "parameters": [_id("bureau_id"), _query("tab", {"enum": ["todo", "done", "all"]}), _query("scheme", S),
                       _query("year", {"type": "integer", "minimum": 2000, "maximum": 2100}), _query("district", I),
                       _query("stage", {"enum": ["district_review", "city_review", "public_notice", "returned",
                                                 "unit_decision", "rereview", "decided"]}), *PAGING],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": ref("Workbench")}}},
                      **{str(c): ERRORS[str(c)] for c in (400, 401, 404)}}}},
}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Trade secret protection demonstration bases API", "version": "1.0.0",
                 "description": "Bearer tokens tied to a user and a tenant; JSON errors "
                                "{\"error\": {\"code\", \"message\", \"fields\"}}; lists are paged."},
        "servers": [{"url": "/"}],
        "components": {"schemas": SCHEMAS, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": PATHS,
    }
