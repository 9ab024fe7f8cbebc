"""Office-system API: bulk verification and a person's yearly assessment by ID number.

Bearer tokens only (created in the console, stored as SHA-256, with scopes and expiry).
A learner's or base's session gets 403, like any token whose owner is not office staff.
ID numbers travel in the JSON body, never in the URL; every person read is audited.
"""
from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, Field

from ntbase.hours import services as hours
from ntbase.kernel import audit
from ntbase.kernel.api import bp, document, json_error, parse_body
from ntbase.kernel.errors import DomainError
from ntbase.kernel.extensions import limiter
from ntbase.kernel.security import mask_name
from ntbase.office import bulk, person
from ntbase.office.tokens.auth import address_limit, ip_key, office_token_required, token_key

audit.register_actions({
    "api.person_assessment": _l("Read the yearly assessment through the API"),
    "api.verify_bulk": _l("Verified codes through the API"),
})

MAX_API_CODES = 10_000


class VerifyItem(BaseModel):
    code: str = Field(max_length=64)
    name: str = Field(default="", max_length=50)
    id_number: str = Field(default="", max_length=22, description="Cross-checked by keyed hash; never echoed.")


class VerifyBulkIn(BaseModel):
    codes: list[str] = Field(default_factory=list, max_length=MAX_API_CODES,
                             description="Codes, with or without dashes.")
    items: list[VerifyItem] = Field(default_factory=list, max_length=MAX_API_CODES,
                                    description="Codes with a holder name or ID number to cross-check.")


class VerifyResult(BaseModel):
    code: str
    result: str = Field(description="valid / revoked / unknown / name_mismatch / id_mismatch / malformed")
    kind: str = Field(description="certificate / statement / empty")
    holder: str = Field(description="Masked name and ID number")
    course: str
    base: str
    category: str
    hours: str
    year: str
    note: str


class VerifyBulkOut(BaseModel):
    count: int
    results: list[VerifyResult]


@bp.post("/office/verify-bulk")
@limiter.limit("120 per minute", key_func=token_key)
@limiter.limit(address_limit, key_func=ip_key)
@document("Verify certificate and statement codes in bulk", path="/office/verify-bulk", method="post",
          body=VerifyBulkIn, response=VerifyBulkOut, tags=["office"], security=["bearerToken"],
          errors={401: "No or invalid token", 403: "Token lacks verify:bulk or is not an office token",
                  422: "Invalid body", 429: "Rate limited"})
@office_token_required("verify:bulk")
def api_verify_bulk():
    body, err = parse_body(VerifyBulkIn)
    if err:
        return err
    items = [bulk.Item(code=c) for c in body.codes] + [
        bulk.Item(code=i.code, name=i.name, id_number=i.id_number) for i in body.items]
    if len(items) > MAX_API_CODES:
        return json_error(422, _("At most %(n)s codes per request.", n=MAX_API_CODES), "validation_error")
    results = bulk.check_items(items)
    token = g.api_token
    audit.record_view("api.verify_bulk", token.owner, object_type="api_token", object_id=token.id,
                      detail=f"{len(items)} codes", label=audit.api_label(token))
    return {"count": len(results), "results": [
        {k: r[k] for k in ("code", "result", "kind", "holder", "course", "base", "category", "hours", "year",
                           "note")} for r in results]}


class PersonAssessmentIn(BaseModel):
    id_number: str = Field(min_length=1, max_length=22, description="The full 18-character ID number.")
    year: int | None = Field(default=None, ge=2011, le=2100, description="One year; omit for every year.")


class ReasonOut(BaseModel):
    rule: str
    message: str


class YearOut(BaseModel):
    year: int
    required_total: float
    required_public: float
    public_hours: float
    counted_total: float
    total_met: bool
    public_met: bool
    complies: bool
    exemptions_applied: list[str]
    reasons: list[ReasonOut]


class PersonAssessmentOut(BaseModel):
    name_masked: str
    id_number_masked: str
    years: list[YearOut]


@bp.post("/office/person-assessment")
@limiter.limit("60 per minute", key_func=token_key)
@limiter.limit(address_limit, key_func=ip_key)
@document("A person's yearly assessment by full ID number (in the body, never the URL)",
          path="/office/person-assessment", method="post", body=PersonAssessmentIn,
          response=PersonAssessmentOut, tags=["office"], security=["bearerToken"],
          errors={401: "No or invalid token", 403: "Token lacks person:read or is not an office token",
                  404: "No learner with this ID number", 422: "Partial or invalid ID number",
                  429: "Rate limited"})
@office_token_required("person:read")
def api_person_assessment():
    body, err = parse_body(PersonAssessmentIn)
    if err:
        return err
    token = g.api_token
    label = audit.api_label(token)
    try:
        learner = person.lookup_person(body.id_number, token.owner, object_type="api_token", object_id=token.id,
                                       label=label)
    except DomainError as exc:
        return json_error(422, exc.message, "validation_error", [{"field": "id_number", "message": exc.message}])
    if learner is None:
        return json_error(404, _("No learner is registered with this ID number."), "not_found")
    lang = "en" if str(getattr(g, "locale", "zh")).startswith("en") else "zh"
    overview = hours.learner_overview(learner.id)
    years = [yv.assessment for yv in overview.years if body.year is None or yv.year == body.year]
    if body.year is not None and not years:
        years = [hours.assess_learner_year(learner.id, body.year)]
    audit.record_view("api.person_assessment", token.owner, subject_user_id=learner.id, object_type="api_token",
                      object_id=token.id, detail=f"user {learner.id}, year {body.year or 'all'}", label=label)
    out = []
    for a in years:
        c = a.as_contract(lang)
        out.append({k: c[k] for k in ("year", "required_total", "required_public", "public_hours",
                                      "counted_total", "total_met", "public_met", "complies",
                                      "exemptions_applied", "reasons")})
    return {"name_masked": mask_name(learner.profile.real_name),
            "id_number_masked": learner.profile.id_number_masked, "years": out}
