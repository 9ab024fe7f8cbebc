"""POST /api/v1/hours/assess and /assess-period: the engine over JSON, public, no account.

Reasons come in the request's language: ``?lang=en|zh_CN`` first, then Accept-Language,
Chinese by default. Policies are the stored rows (each year judged by its own).
"""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError

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
from ntbase.kernel.api import bp, document, json_error


def reply_language() -> str:
    lang = (request.args.get("lang") or "").lower()
    if lang:
        return "en" if lang.startswith("en") else "zh"
    best = request.accept_languages.best_match(["zh", "zh-CN", "zh_CN", "en", "en-US", "en-GB"])
    return "en" if best and best.lower().startswith("en") else "zh"


# pydantic error type → a message the learner understands, in their language
ERROR_MESSAGES = {
    "missing": _l("This field is required."),
    "greater_than": _l("Enter a number greater than 0."),
    "greater_than_equal": _l("The number is too small."),
    "less_than_equal": _l("The number is too large."),
    "multiple_of": _l("Days are counted in halves: enter e.g. 1, 1.5 or 2."),
    "decimal_max_places": _l("Enter at most one decimal place."),
    "decimal_parsing": _l("Enter a number."),
    "decimal_type": _l("Enter a number."),
    "int_parsing": _l("Enter a whole number."),
    "int_type": _l("Enter a whole number."),
    "literal_error": _l("Choose one of the options."),
    "union_tag_invalid": _l("Unknown kind."),
    "union_tag_not_found": _l("Say which kind it is."),
    "finite_number": _l("Enter a finite number."),
    "int_from_float": _l("Enter a whole number."),
    "decimal_max_digits": _l("The number is too large."),
    "decimal_whole_digits": _l("The number is too large."),
    "list_type": _l("Give a list."),
    "dict_type": _l("Give an object (JSON {…})."),
    "model_type": _l("Give an object (JSON {…})."),
    "model_attributes_type": _l("Give an object (JSON {…})."),
    "too_long": _l("Too many items."),
    "string_type": _l("Give a text value."),
    "bool_type": _l("Give true or false."),
    "bool_parsing": _l("Give true or false."),
}
YEAR_FIELDS = ("year", "start_year", "end_year")
YEAR_RANGE = _l("Enter a year from 2011 to 2100.")


def error_message(err: dict) -> str:
    loc = err.get("loc") or ()
    if loc and loc[-1] in YEAR_FIELDS and err["type"] in ("greater_than_equal", "less_than_equal"):
        return str(YEAR_RANGE)
    text = ERROR_MESSAGES.get(err["type"])
    if text is not None:
        return str(text)
    # our own validators raise messages that are already translated
    return err["msg"].removeprefix("Value error, ")


def validation_fields(exc: ValidationError) -> list[dict]:
    return [{"field": ".".join(str(p) for p in e["loc"]), "message": error_message(e)} for e in exc.errors()]


def parse(model: type[BaseModel]):
    """Like ntbase.api.parse_body, with field messages in the reply's language."""
    data = request.get_json(silent=True)
    with force_locale("en" if reply_language() == "en" else "zh_CN"):
        if data is None:
            return None, json_error(400, _("The request body must be JSON."), "bad_request")
        try:
            return model.model_validate(data), None
        except ValidationError as exc:
            return None, json_error(422, _("Some of the data is not valid."), "validation_error",
                                    validation_fields(exc))


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
