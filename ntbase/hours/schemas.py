"""Pydantic models of the hours API (the JSON contract of issue #6; keep it stable).

Activities and exemptions are discriminated unions on ``kind``: an unknown kind, negative
or more than 366 days, or a year before 2011 is refused with the field that is wrong.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ntbase.hours import engine

Year = Annotated[int, Field(ge=2011, le=2100, description="A calendar year, 2011 or later.")]
Days = Annotated[Decimal, Field(gt=0, le=366, multiple_of=Decimal("0.5"),
                                description="Days of attendance; half days count half.")]
Hours = Annotated[Decimal, Field(ge=0, le=9999, decimal_places=1,
                                 description="Hours, at most one decimal place.")]
CategoryName = Literal["public", "specialized", "elective"]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ConferenceIn(_In):
    kind: Literal["conference"]
    level: Literal["international", "national", "regional", "local"]
    days: Days
    category: CategoryName = "specialized"


class TalentBaseTrainingIn(_In):
    kind: Literal["talent_base_training"]
    days: Days
    category: CategoryName = "specialized"


class TrainingClassIn(_In):
    kind: Literal["training_class"]
    days: Days
    category: CategoryName = "specialized"


class CourseIn(_In):
    kind: Literal["course"]
    hours: Hours
    category: CategoryName = "specialized"


class SelfStudyIn(_In):
    kind: Literal["self_study"]
    hours: Hours


class TransferIn(_In):
    kind: Literal["transfer"]
    region: Literal["shanghai", "jiangsu", "zhejiang", "anhui", "other"]
    hours: Hours
    category: CategoryName = "specialized"


ActivityIn = Annotated[ConferenceIn | TalentBaseTrainingIn | TrainingClassIn | CourseIn | SelfStudyIn
                       | TransferIn, Field(discriminator="kind")]


class AwardIn(_In):
    kind: Literal["award"]
    level: Literal["national", "provincial", "city", "county"]
    grade: int = Field(ge=1, le=4, description="3 = 三等奖 (3rd class).")
    year: Year | None = None


class BookIn(_In):
    kind: Literal["book"]
    characters: int | None = Field(None, ge=1, le=100_000_000, description="Omit for a sole-authored book.")
    year: Year | None = None


class DegreeIn(_In):
    kind: Literal["degree"]
    year: Year | None = None


class PapersIn(_In):
    kind: Literal["papers"]
    year: Year | None = None
    provincial: int = Field(0, ge=0, le=100)
    city: int = Field(0, ge=0, le=100)
    county: int = Field(0, ge=0, le=100)


class ExamPassedIn(_In):
    kind: Literal["exam_passed"]
    year: Year | None = None


class PublicRoundCertificateIn(_In):
    kind: Literal["public_round_certificate"]
    round: int = Field(ge=1, le=100)


ExemptionIn = Annotated[AwardIn | BookIn | DegreeIn | PapersIn | ExamPassedIn | PublicRoundCertificateIn,
                        Field(discriminator="kind")]


class AppointmentPeriodIn(_In):
    start_year: Year
    end_year: Year

    @model_validator(mode="after")
    def _ordered(self):
        _check_period(self.start_year, self.end_year)
        return self


def _check_period(start_year: int, end_year: int) -> None:
    # messages are translated: validation runs in the reply's language (api.parse)
    if end_year < start_year:
        raise ValueError(_("The last year must not be before the first year."))
    if end_year - start_year >= 10:
        raise ValueError(_("An appointment period lasts at most 10 years."))


class AssessRequest(_In):
    """One year's activities and exemptions."""

    year: Year
    activities: list[ActivityIn] = Field(default_factory=list, max_length=500)
    exemptions: list[ExemptionIn] = Field(default_factory=list, max_length=50)
    appointment_period: AppointmentPeriodIn | None = None


class YearIn(_In):
    activities: list[ActivityIn] = Field(default_factory=list, max_length=500)
    exemptions: list[ExemptionIn] = Field(default_factory=list, max_length=50)


class AssessPeriodRequest(_In):
    start_year: Year
    end_year: Year
    years: dict[str, YearIn] = Field(default_factory=dict, json_schema_extra={
        "propertyNames": {"pattern": "^(20(1[1-9]|[2-9][0-9])|2100)$"}, "maxProperties": 10})

    @field_validator("years")
    @classmethod
    def _year_keys(cls, value: dict[str, YearIn]):
        for key in value:
            # canonical ASCII digits only: "02021" or "２０２１" would silently merge with "2021"
            if not (key.isascii() and key.isdigit() and key == str(int(key))):
                raise ValueError(_("“%(key)s” is not a year: write it like 2021.", key=key))
        return value

    @model_validator(mode="after")
    def _in_period(self):
        _check_period(self.start_year, self.end_year)
        for key in self.years:
            if not self.start_year <= int(key) <= self.end_year:
                raise ValueError(_("The year %(key)s lies outside %(a)s–%(b)s.", key=key, a=self.start_year,
                                   b=self.end_year))
        return self


class Shortfall(BaseModel):
    total: float
    public: float


class ReasonOut(BaseModel):
    rule: str = Field(description="The rule applied, e.g. 'Art. 17(1)' or 'notice §4'.")
    message: str = Field(description="In the request's language (Accept-Language or ?lang; default Chinese).")


class AssessmentOut(BaseModel):
    year: int
    required_total: int | float
    required_public: int | float
    public_hours: float
    public_counted: float
    self_study_hours: float
    self_study_counted: float
    counted_total: float
    total_met: bool
    public_met: bool
    complies: bool
    shortfall: Shortfall
    exemptions_applied: list[str]
    reasons: list[ReasonOut]


class PeriodAssessmentOut(BaseModel):
    years: list[AssessmentOut]
    average_counted_total: float
    average_required_total: float
    average_met: bool
    public_met_every_year: bool


# -------------------------------------------------------------- to the engine

def to_activity(a) -> engine.Activity:
    return engine.Activity(kind=a.kind, days=getattr(a, "days", None), hours=getattr(a, "hours", None),
                           category=getattr(a, "category", "specialized"), level=getattr(a, "level", None),
                           region=getattr(a, "region", None))


def to_exemption(e) -> engine.Exemption:
    return engine.Exemption(kind=e.kind, year=getattr(e, "year", None), level=getattr(e, "level", None),
                            grade=getattr(e, "grade", None), characters=getattr(e, "characters", None),
                            provincial=getattr(e, "provincial", 0), city=getattr(e, "city", 0),
                            county=getattr(e, "county", 0), round=getattr(e, "round", None))
