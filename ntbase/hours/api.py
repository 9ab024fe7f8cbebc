"""POST /api/v1/hours/assess and /assess-period: the engine over JSON, public, no account.

Reasons come in the request's language: ``?lang=en|zh_CN`` first, then Accept-Language,
Chinese by default. Policies are the stored rows (each year judged by its own).
"""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel

from ntbase.hours import engine
from ntbase.hours.policy import load_rules
from ntbase.hours.schemas import (
    AssessmentOut,
    AssessPeriodRequest,
    AssessRequest,
    PeriodAssessmentOut,
    to_activity,
    to_exemption,
)
from ntbase.kernel import api
from ntbase.kernel.api import bp, document


def reply_language() -> str:
    lang = (request.args.get("lang") or "").lower()
    if lang:
        return "en" if lang.startswith("en") else "zh"
    best = request.accept_languages.best_match(["zh", "zh-CN", "zh_CN", "en", "en-US", "en-GB"])
    return "en" if best and best.lower().startswith("en") else "zh"


YEAR_FIELDS = ("year", "start_year", "end_year")
YEAR_RANGE = _l("Enter a year from 2011 to 2100.")


def error_message(err: dict) -> str:
    loc = err.get("loc") or ()
    if loc and loc[-1] in YEAR_FIELDS and err["type"] in ("greater_than_equal", "less_than_equal"):
        return str(YEAR_RANGE)
    return api.error_message(err)


def parse(model: type[BaseModel]):
    """ntbase.kernel.api.parse_body, with field messages in the reply's language."""
    with force_locale("en" if reply_language() == "en" else "zh_CN"):
        return api.parse_body(model, error_message)


def assess_request(req: AssessRequest) -> engine.Assessment:
    """The engine's answer to an AssessRequest (also used by the calculator page)."""
    rules, rounds = load_rules()
    period = req.appointment_period
    return engine.assess_year(
        req.year, [to_activity(a) for a in req.activities], [to_exemption(e) for e in req.exemptions],
        engine.select_policy(rules, req.year), round_years=rounds,
        appointment_period=engine.Period(period.start_year, period.end_year) if period else None)


@bp.post("/hours/assess")
@document("Assess one year of continuing education (90/24 rule, Art. 17 rates, exemptions)",
          path="/hours/assess", method="post", body=AssessRequest, response=AssessmentOut,
          tags=["hours"], errors={400: "Body is not JSON", 422: "Invalid input (field and message)"})
def hours_assess():
    req, error = parse(AssessRequest)
    if error is not None:
        return error
    return jsonify(assess_request(req).as_contract(reply_language()))


@bp.post("/hours/assess-period")
@document("Assess an appointment period: Art. 27(2) yearly average and Art. 27(3) public subjects",
          path="/hours/assess-period", method="post", body=AssessPeriodRequest, response=PeriodAssessmentOut,
          tags=["hours"], errors={400: "Body is not JSON", 422: "Invalid input (field and message)"})
def hours_assess_period():
    req, error = parse(AssessPeriodRequest)
    if error is not None:
        return error
    rules, rounds = load_rules()
    years = {int(k): ([to_activity(a) for a in v.activities], [to_exemption(e) for e in v.exemptions])
             for k, v in req.years.items()}
    result = engine.assess_period(req.start_year, req.end_year, years, rules, round_years=rounds)
    return jsonify(result.as_contract(reply_language()))
