"""The hours engine: one year's activities and exemptions + the policy → the assessment.

Pure: no database, no Flask, no I/O — so the API, the pages, the CLI, the statements and
the property tests all call the very same function. Every rule applied leaves a reason
(rule citation + message in Chinese and English).

Arithmetic is exact: hours are ``Fraction`` inside (a cap of 1/3 of 80 h stays 80/3),
rounded to one decimal place only for display; comparisons use the unrounded values
(RULES §3). Paper weights are fractions (½, ⅓, ¼).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

# Art. 17(1)-(3): hours per day of attendance
CONFERENCE_RATES = {"international": 10, "national": 10, "regional": 10, "local": 6}
DAY_RATES = {"talent_base_training": 8, "training_class": 6}
# notice §3: hours earned in the Yangtze River Delta are recognised
DELTA_REGIONS = ("shanghai", "jiangsu", "zhejiang", "anhui")
REGIONS = DELTA_REGIONS + ("other",)
CATEGORIES = ("public", "specialized", "elective")
CONFERENCE_LEVELS = tuple(CONFERENCE_RATES)
AWARD_LEVELS = ("national", "provincial", "city", "county")
# Art. 17(5)2: NTBase's reading — each paper weighs ½ / ⅓ / ¼, a sum ≥ 1 qualifies
PAPER_WEIGHTS = {"provincial": Fraction(1, 2), "city": Fraction(1, 3), "county": Fraction(1, 4)}
BOOK_MIN_CHARACTERS = 30000

DAY_KINDS = ("conference", "talent_base_training", "training_class")
HOUR_KINDS = ("course", "online_course", "self_study", "transfer", "adjustment")
ACTIVITY_KINDS = DAY_KINDS + HOUR_KINDS
EXEMPTION_KINDS = ("award", "book", "degree", "papers", "exam_passed", "public_round_certificate")

ZH_CATEGORY = {"public": "公需科目", "specialized": "专业科目", "elective": "个人选修科目"}
EN_CATEGORY = {"public": "public subject", "specialized": "specialized subject",
               "elective": "personal elective"}
ZH_LEVEL = {"international": "国际学术会议", "national": "国家级学术会议",
            "regional": "地区级学术会议", "local": "地区以下级别学术会议"}
EN_LEVEL = {"international": "international conference", "national": "national conference",
            "regional": "regional conference", "local": "conference below regional level"}
ZH_REGION = {"shanghai": "上海", "jiangsu": "江苏", "zhejiang": "浙江", "anhui": "安徽",
             "other": "长三角以外地区"}
EN_REGION = {"shanghai": "Shanghai", "jiangsu": "Jiangsu", "zhejiang": "Zhejiang",
             "anhui": "Anhui", "other": "a region outside the Yangtze River Delta"}
ZH_AWARD_LEVEL = {"national": "国家级", "provincial": "省（部）级", "city": "市（厅）级",
                  "county": "县级"}
EN_AWARD_LEVEL = {"national": "national", "provincial": "provincial", "city": "city (bureau)",
                  "county": "county"}
ZH_GRADE = {1: "一等奖", 2: "二等奖", 3: "三等奖", 4: "四等奖"}
EN_GRADE = {1: "1st class", 2: "2nd class", 3: "3rd class", 4: "4th class"}


# How a rule code reads on a Chinese page (the API keeps the stable codes). "实施办法": the
# 2011 measures (通政办发〔2011〕84号); "通知": the 2021 notice (通职称办〔2021〕24号).
RULE_LABELS_ZH = {
    "Art. 14": "实施办法第十四条", "Art. 15": "实施办法第十五条", "Art. 16": "实施办法第十六条",
    "Art. 17(1)": "实施办法第十七条（一）", "Art. 17(2)": "实施办法第十七条（二）",
    "Art. 17(3)": "实施办法第十七条（三）", "Art. 17(4)1": "实施办法第十七条（四）1",
    "Art. 17(4)2": "实施办法第十七条（四）2", "Art. 17(4)3": "实施办法第十七条（四）3",
    "Art. 17(5)1": "实施办法第十七条（五）1", "Art. 17(5)2": "实施办法第十七条（五）2",
    "Art. 17(5)3": "实施办法第十七条（五）3", "Art. 17(6)": "实施办法第十七条（六）",
    "Art. 17(7)": "实施办法第十七条（七）", "Art. 27(2)": "实施办法第二十七条（二）",
    "Art. 27(3)": "实施办法第二十七条（三）", "notice §1": "通知第一条", "notice §3": "通知第三条",
    "notice §4": "通知第四条",
}


def rule_label(rule: str, lang: str = "zh") -> str:
    return rule if lang.startswith("en") else RULE_LABELS_ZH.get(rule, rule)


class EngineInputError(ValueError):
    """An activity or exemption the engine cannot read (the API validates before)."""


# --------------------------------------------------------------------------- inputs

@dataclass(frozen=True)
class PolicyRule:
    """One row of the policy table (see ntbase.hours.policy)."""

    effective_year: int
    required_total: Decimal
    required_public: Decimal
    public_cap_share: Fraction = Fraction(1, 3)
    self_study_cap_share: Fraction = Fraction(1, 3)
    exemptions_cover_public: bool = False
    source: str = ""

    @property
    def public_cap(self) -> Fraction:
        # Art. 14: public subjects generally not more than 1/3 of the required total
        return _frac(self.required_total) * self.public_cap_share

    @property
    def self_study_cap(self) -> Fraction:
        # Art. 17(6): self-study not more than 1/3 of the year's required total
        return _frac(self.required_total) * self.self_study_cap_share


@dataclass(frozen=True)
class Activity:
    kind: str
    days: Decimal | None = None
    hours: Decimal | None = None
    category: str = "specialized"
    level: str | None = None  # conference
    region: str | None = None  # transfer
    title: str = ""


@dataclass(frozen=True)
class Exemption:
    kind: str
    year: int | None = None  # None: the assessed year
    level: str | None = None  # award
    grade: int | None = None  # award
    characters: int | None = None  # book: None = sole-authored
    provincial: int = 0
    city: int = 0
    county: int = 0
    round: int | None = None  # public_round_certificate


@dataclass(frozen=True)
class Period:
    """An appointment period (聘期), years inclusive."""

    start_year: int
    end_year: int

    def __contains__(self, year: object) -> bool:
        return isinstance(year, int) and self.start_year <= year <= self.end_year


# -------------------------------------------------------------------------- outputs

@dataclass(frozen=True)
class Reason:
    rule: str
    message_zh: str
    message_en: str

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang.startswith("en") else self.message_zh

    def as_dict(self, lang: str = "zh") -> dict:
        return {"rule": self.rule, "message": self.message(lang)}

    def rule_label(self, lang: str = "zh") -> str:
        return rule_label(self.rule, lang)


@dataclass(frozen=True)
class ActivityLine:
    """How one activity was counted."""

    activity: Activity
    hours: Fraction  # hours it is worth (before caps)
    counted: bool  # False: not recognised (e.g. a transfer from outside the Delta)
    rate: int | None  # hours per day, for day-based activities
    reason: Reason


@dataclass
class Assessment:
    year: int
    policy: PolicyRule
    required_total: Fraction
    required_public: Fraction
    public_hours: Fraction
    public_cap: Fraction
    public_counted: Fraction
    self_study_hours: Fraction
    self_study_cap: Fraction
    self_study_counted: Fraction
    other_counted: Fraction  # specialized + elective (+ adjustments), uncapped
    counted_total: Fraction
    total_exempt: bool
    public_waived: bool
    total_met: bool
    public_met: bool
    complies: bool
    shortfall_total: Fraction
    shortfall_public: Fraction
    # of the total shortfall, how much public hours cannot fill (the public cap is reached)
    shortfall_non_public: Fraction
    exemptions_applied: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    lines: list[ActivityLine] = field(default_factory=list)

    @property
    def period_value(self) -> Fraction:
        """The year's hours for the Art. 27(2) average: an exempt year counts as at
        least its requirement."""
        if self.total_exempt:
            return max(self.counted_total, self.required_total)
        return self.counted_total

    def as_contract(self, lang: str = "zh") -> dict:
        """The JSON contract of POST /api/v1/hours/assess."""
        return {
            "year": self.year,
            "required_total": number(self.required_total),
            "required_public": number(self.required_public),
            "public_hours": float(round1(self.public_hours)),
            "public_counted": float(round1(self.public_counted)),
            "self_study_hours": float(round1(self.self_study_hours)),
            "self_study_counted": float(round1(self.self_study_counted)),
            "counted_total": float(round1(self.counted_total)),
            "total_met": self.total_met,
            "public_met": self.public_met,
            "complies": self.complies,
            "shortfall": {"total": float(round1_up(self.shortfall_total)),
                          "public": float(round1_up(self.shortfall_public))},
            "exemptions_applied": list(self.exemptions_applied),
            "reasons": [r.as_dict(lang) for r in self.reasons],
        }


@dataclass
class PeriodAssessment:
    start_year: int
    end_year: int
    years: list[Assessment]
    average_counted_total: Fraction
    average_required_total: Fraction
    average_met: bool
    public_met_every_year: bool
    reasons: list[Reason] = field(default_factory=list)

    def as_contract(self, lang: str = "zh") -> dict:
        return {
            "years": [a.as_contract(lang) for a in self.years],
            "average_counted_total": float(round1(self.average_counted_total)),
            "average_required_total": float(round1(self.average_required_total)),
            "average_met": self.average_met,
            "public_met_every_year": self.public_met_every_year,
        }


# -------------------------------------------------------------------------- helpers

def _frac(value) -> Fraction:
    if value is None:
        return Fraction(0)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        raise EngineInputError("floats are not accepted; use Decimal")
    return Fraction(str(value)) if isinstance(value, Decimal) else Fraction(value)


def round1(value: Fraction | Decimal | int) -> Decimal:
    """One decimal place, half up (display only; compare unrounded)."""
    f = _frac(value)
    return (Decimal(f.numerator) / Decimal(f.denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def round1_up(value: Fraction | Decimal | int) -> Decimal:
    """One decimal place, rounded up: for what is still missing, so that a year that is not
    met never shows "0 hours short" (79.97 of 80 is 0.1 short, not 0.0)."""
    f = _frac(value)
    return Decimal(math.ceil(f * 10)) / 10


def fmt_up(value: Fraction | Decimal | int) -> str:
    """Like ``fmt``, rounded up (shortfalls)."""
    d = round1_up(value)
    return f"{int(d)}" if d == d.to_integral_value() else f"{d:f}"


def number(value: Fraction | Decimal | int) -> int | float:
    """90 for a whole number, 90.5 otherwise (the contract shows required hours as 90)."""
    d = round1(value)
    return int(d) if d == d.to_integral_value() else float(d)


def fmt(value: Fraction | Decimal | int) -> str:
    """Hours for messages: "30", "5.5"."""
    d = round1(value)
    return f"{int(d)}" if d == d.to_integral_value() else f"{d:f}"


def _share(f: Fraction) -> str:
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def select_policy(policies: Iterable[PolicyRule], year: int) -> PolicyRule:
    """The row with the greatest effective_year ≤ ``year`` (past years keep their rules)."""
    best = None
    for p in policies:
        if p.effective_year <= year and (best is None or p.effective_year > best.effective_year):
            best = p
    if best is None:
        raise EngineInputError(f"no policy in force for {year}")
    return best


def activity_hours(a: Activity) -> tuple[Fraction, int | None]:
    """The hours an activity is worth under Art. 17 and the per-day rate used (if any)."""
    if a.kind not in ACTIVITY_KINDS:
        raise EngineInputError(f"unknown activity kind {a.kind!r}")
    if a.category not in CATEGORIES:
        raise EngineInputError(f"unknown category {a.category!r}")
    if a.kind in DAY_KINDS:
        days = _frac(a.days)
        if days < 0 or days > 366 or (days * 2).denominator != 1:
            raise EngineInputError("days must be a multiple of 0.5 between 0 and 366")
        if a.kind == "conference":
            if a.level not in CONFERENCE_RATES:
                raise EngineInputError(f"unknown conference level {a.level!r}")
            rate = CONFERENCE_RATES[a.level]
        else:
            rate = DAY_RATES[a.kind]
        return days * rate, rate
    hours = _frac(a.hours)
    if hours < 0:
        raise EngineInputError("hours must not be negative")
    if a.kind == "transfer" and a.region not in REGIONS:
        raise EngineInputError(f"unknown region {a.region!r}")
    return hours, None


def describe_activity(a: Activity) -> ActivityLine:
    """What one activity is worth and why (before the yearly caps)."""
    hours, rate = activity_hours(a)
    cz, ce = ZH_CATEGORY[a.category], EN_CATEGORY[a.category]
    h = fmt(hours)
    if a.kind == "conference":
        d = fmt(_frac(a.days))
        rule = "Art. 17(1)"
        zh = f"{ZH_LEVEL[a.level]} {d} 天 × {rate} 学时/天 = {h} 学时（{cz}）。"
        en = f"{EN_LEVEL[a.level].capitalize()}: {d} days × {rate} h/day = {h} h ({ce})."
    elif a.kind == "talent_base_training":
        d = fmt(_frac(a.days))
        rule = "Art. 17(2)"
        zh = f"市高层次人才培训基地培训 {d} 天 × 8 学时/天 = {h} 学时（{cz}）。"
        en = f"Training at a city high-level-talent training base: {d} days × 8 h/day = {h} h ({ce})."
    elif a.kind == "training_class":
        d = fmt(_frac(a.days))
        rule = "Art. 17(3)"
        zh = f"培训班、进修班、学术讲座 {d} 天 × 6 学时/天 = {h} 学时（{cz}）。"
        en = f"Training class, refresher class or lecture: {d} days × 6 h/day = {h} h ({ce})."
    elif a.kind in ("course", "online_course"):
        rule = "Art. 15"
        zh = f"课程 {h} 学时（{cz}，按课程公布的学时）。"
        en = f"Course: {h} h ({ce}, as the course declares)."
    elif a.kind == "self_study":
        rule = "Art. 17(6)"
        zh = f"有计划、有组织、有考核的自学，由用人单位折算 {h} 学时。"
        en = f"Planned, organised and examined self-study, converted by the employer: {h} h."
    elif a.kind == "adjustment":
        rule = "Art. 17(7)"
        zh = f"人社部门按特殊情况认定 {h} 学时（{cz}）。"
        en = f"Special case decided by the HR bureau: {h} h ({ce})."
    else:  # transfer
        rule = "notice §3"
        if a.region in DELTA_REGIONS:
            zh = f"在长三角地区（{ZH_REGION[a.region]}）取得的 {h} 学时予以认可（{cz}）。"
            en = f"{h} h earned in the Yangtze River Delta ({EN_REGION[a.region]}) are recognised ({ce})."
        else:
            zh = (f"在{ZH_REGION['other']}取得的 {h} 学时不予计入（通知第三条只认可长三角地区学时；"
                  "特殊情况可由人社部门认定）。")
            en = (f"{h} h earned in {EN_REGION['other']} are not counted (notice §3 recognises only "
                  "the Yangtze River Delta; the HR bureau may decide a special case).")
            return ActivityLine(a, hours, False, None, Reason(rule, zh, en))
    return ActivityLine(a, hours, True, rate, Reason(rule, zh, en))


# ----------------------------------------------------------------------- exemptions

def _award_scope(e: Exemption) -> str | None:
    """'period' (Art. 17(4)1), 'year' (Art. 17(5)1) or None."""
    if e.level not in AWARD_LEVELS or e.grade is None or not 1 <= e.grade <= 4:
        raise EngineInputError("award needs a level and a grade 1-4")
    if e.level in ("national", "provincial", "city") and e.grade <= 3:
        return "period"
    # city 4th class, county 3rd/4th class (NTBase reads county 1st/2nd and provincial or
    # national 4th class as at least as good: a year)
    return "year"


def _exemption_effect(e: Exemption, year: int, period: Period | None,
                      round_years: Mapping[int, int]) -> tuple[str | None, Reason]:
    """What one exemption does for ``year``: 'total' (covers the total), 'public' (waives
    the public minimum) or None, with the reason either way."""
    ey = e.year if e.year is not None else year
    if e.kind == "public_round_certificate":
        if e.round is None:
            raise EngineInputError("public_round_certificate needs a round")
        waived_year = round_years.get(e.round)
        if waived_year is None:
            return None, Reason("notice §4", f"第{e.round}轮公需课合格证明：未登记其免修年度，不予免修。",
                                f"Public-course round {e.round} certificate: no year is recorded for "
                                "this round, so nothing is waived.")
        if waived_year != year:
            return None, Reason("notice §4", f"第{e.round}轮公需课合格证明只免修 {waived_year} 年度的公需科目。",
                                f"The round {e.round} public-course certificate waives public subjects "
                                f"in {waived_year} only.")
        return "public", Reason("notice §4", f"持第{e.round}轮公需课合格证明，{year} 年度不需再学习公需科目。",
                                f"Holder of the round {e.round} public-course certificate: no public "
                                f"subjects are required in {year}.")

    if e.kind == "award":
        scope = _award_scope(e)
        zh_what = f"{ZH_AWARD_LEVEL[e.level]}科技进步{ZH_GRADE[e.grade]}（{ey} 年）"
        en_what = f"{EN_AWARD_LEVEL[e.level]}-level S&T progress award, {EN_GRADE[e.grade]} ({ey})"
        rule = "Art. 17(4)1" if scope == "period" else "Art. 17(5)1"
    elif e.kind == "book":
        if e.characters is not None and e.characters < BOOK_MIN_CHARACTERS:
            return None, Reason("Art. 17(4)2", f"合著撰稿 {e.characters} 字，不足 3 万字，不能视为完成聘期学时。",
                                f"Co-wrote {e.characters} characters, fewer than 30,000: the "
                                "appointment period is not counted as done.")
        scope, rule = "period", "Art. 17(4)2"
        zh_what = f"出版专著、译著（{ey} 年）" if e.characters is None else f"合著撰稿 {e.characters} 字（{ey} 年）"
        en_what = (f"a monograph or translation published ({ey})" if e.characters is None
                   else f"co-wrote {e.characters} characters of a book ({ey})")
    elif e.kind == "degree":
        scope, rule = "period", "Art. 17(4)3"
        zh_what, en_what = f"取得国民教育系列学历或学位（{ey} 年）", f"a degree in the national education series ({ey})"
    elif e.kind == "papers":
        weight = (e.provincial * PAPER_WEIGHTS["provincial"] + e.city * PAPER_WEIGHTS["city"]
                  + e.county * PAPER_WEIGHTS["county"])
        if min(e.provincial, e.city, e.county) < 0:
            raise EngineInputError("paper counts must not be negative")
        zh_count = f"省级以上 {e.provincial} 篇、市级 {e.city} 篇、县级 {e.county} 篇"
        en_count = f"{e.provincial} provincial-or-above, {e.city} city and {e.county} county papers"
        if weight < 1:
            return None, Reason("Art. 17(5)2", f"{ey} 年发表论文{zh_count}，折合 {_share(weight)}，不足 1，不能免当年学时。",
                                f"Papers in {ey}: {en_count}, weighing {_share(weight)} (< 1): "
                                "the year is not counted as done.")
        scope, rule = "year", "Art. 17(5)2"
        zh_what = f"{ey} 年发表论文{zh_count}（折合 {_share(weight)} ≥ 1）"
        en_what = f"papers in {ey}: {en_count} (weighing {_share(weight)} ≥ 1)"
    elif e.kind == "exam_passed":
        scope, rule = "year", "Art. 17(5)3"
        zh_what, en_what = f"参加职称（职业）资格考试合格（{ey} 年）", f"passed a title or qualification exam ({ey})"
    else:
        raise EngineInputError(f"unknown exemption kind {e.kind!r}")

    if scope == "year":
        if ey != year:
            return None, Reason(rule, f"{zh_what}：只视为完成 {ey} 年度学时。",
                                f"{en_what.capitalize()}: counts as done for {ey} only.")
        return "total", Reason(rule, f"{zh_what}：视为完成 {year} 年度继续教育学时。",
                               f"{en_what.capitalize()}: {year} counts as done.")
    # period exemption: needs a recorded appointment period holding both years
    if period is None:
        return None, Reason(rule, f"{zh_what}：未登记聘期，聘期免修不适用。",
                            f"{en_what.capitalize()}: no appointment period is recorded, so the "
                            "period exemption does not apply.")
    if ey not in period or year not in period:
        return None, Reason(rule, f"{zh_what}：不在 {period.start_year}–{period.end_year} 聘期内，不适用于 {year} 年。",
                            f"{en_what.capitalize()}: outside the appointment period "
                            f"{period.start_year}–{period.end_year}, does not apply to {year}.")
    return "total", Reason(rule, f"{zh_what}：视为完成 {period.start_year}–{period.end_year} 聘期内的继续教育学时。",
                           f"{en_what.capitalize()}: the appointment period "
                           f"{period.start_year}–{period.end_year} counts as done.")


# --------------------------------------------------------------------------- engine

def assess_year(year: int, activities: Sequence[Activity], exemptions: Sequence[Exemption],
                policy: PolicyRule, *, round_years: Mapping[int, int] | None = None,
                appointment_period: Period | None = None) -> Assessment:
    """Judge one year by ``policy`` (the row in force that year)."""
    if policy.effective_year > year:
        raise EngineInputError("the policy is not in force for this year")
    round_years = round_years or {}
    req_total, req_public = _frac(policy.required_total), _frac(policy.required_public)
    reasons: list[Reason] = []
    if req_public > 0:
        reasons.append(Reason(policy.source or "notice §1",
                              f"{year} 年度要求：每年不少于 {fmt(req_total)} 学时，其中公需科目不少于 {fmt(req_public)} 学时。",
                              f"Requirement for {year}: at least {fmt(req_total)} hours, of which at "
                              f"least {fmt(req_public)} public-subject hours."))
    else:
        reasons.append(Reason(policy.source or "Art. 16",
                              f"{year} 年度要求：每年不少于 {fmt(req_total)} 学时，无公需科目最低学时要求。",
                              f"Requirement for {year}: at least {fmt(req_total)} hours; no minimum "
                              "of public-subject hours."))

    lines = [describe_activity(a) for a in activities]
    reasons.extend(line.reason for line in lines)
    public = sum((ln.hours for ln in lines if ln.counted and ln.activity.kind != "self_study"
                  and ln.activity.category == "public"), Fraction(0))
    self_study = sum((ln.hours for ln in lines if ln.counted and ln.activity.kind == "self_study"),
                     Fraction(0))
    other = sum((ln.hours for ln in lines if ln.counted and ln.activity.kind != "self_study"
                 and ln.activity.category != "public"), Fraction(0))

    public_cap, self_cap = policy.public_cap, policy.self_study_cap
    public_counted = min(public, public_cap)
    if public > public_cap:
        reasons.append(Reason("Art. 14",
                              f"公需科目 {fmt(public)} 学时，计入总学时的上限为 {fmt(public_cap)} 学时"
                              f"（应修总学时的 {_share(policy.public_cap_share)}），超出的 {fmt(public - public_cap)} 学时不计入总学时。",
                              f"Public subjects: {fmt(public)} h, of which at most {fmt(public_cap)} h "
                              f"({_share(policy.public_cap_share)} of the required total) count toward the "
                              f"total; the other {fmt(public - public_cap)} h do not."))
    self_counted = min(self_study, self_cap)
    if self_study > self_cap:
        reasons.append(Reason("Art. 17(6)",
                              f"自学 {fmt(self_study)} 学时，最多计入 {fmt(self_cap)} 学时"
                              f"（本年度规定学时的 {_share(policy.self_study_cap_share)}）。",
                              f"Self-study: {fmt(self_study)} h, of which at most {fmt(self_cap)} h "
                              f"({_share(policy.self_study_cap_share)} of the year's requirement) count."))
    counted = public_counted + other + self_counted

    total_exempt = public_waived = False
    applied: list[str] = []
    for e in exemptions:
        effect, reason = _exemption_effect(e, year, appointment_period, round_years)
        reasons.append(reason)
        if effect == "total":
            total_exempt = True
        elif effect == "public":
            public_waived = True
        if effect is not None and e.kind not in applied:
            applied.append(e.kind)
    if total_exempt:
        if policy.exemptions_cover_public:
            public_waived = True
        elif req_public > 0:
            reasons.append(Reason("notice §4",
                                  f"免修只视为完成总学时，公需科目仍须不少于 {fmt(req_public)} 学时。",
                                  f"An exemption completes the total only: at least {fmt(req_public)} "
                                  "public-subject hours are still required."))

    total_met = counted >= req_total or total_exempt
    public_met = public >= req_public or public_waived
    shortfall_total = Fraction(0) if total_met else req_total - counted
    shortfall_public = Fraction(0) if public_met else req_public - public
    shortfall_non_public = max(Fraction(0), shortfall_total - (public_cap - public_counted))

    if counted >= req_total:
        reasons.append(Reason("total", f"计入总学时 {fmt(counted)} 学时，达到要求。",
                              f"Counted total: {fmt(counted)} h, the requirement is met."))
    elif total_exempt:
        reasons.append(Reason("total", f"计入总学时 {fmt(counted)} 学时；总学时已由免修视为完成。",
                              f"Counted total: {fmt(counted)} h; the total counts as done by exemption."))
    else:
        zh = f"计入总学时 {fmt(counted)} 学时，还差 {fmt_up(shortfall_total)} 学时"
        en = f"Counted total: {fmt(counted)} h, {fmt_up(shortfall_total)} h short"
        if shortfall_non_public == shortfall_total:
            zh += "，须为非公需学时（公需学时已达计入上限）。"
            en += "; they must be non-public hours (public hours are at their cap)."
        elif shortfall_non_public > 0:
            zh += f"，其中至少 {fmt_up(shortfall_non_public)} 学时须为非公需学时。"
            en += f", of which at least {fmt_up(shortfall_non_public)} h must be non-public."
        else:
            zh += "。"
            en += "."
        reasons.append(Reason("total", zh, en))
    if req_public > 0 or public_waived:
        if public_waived:
            reasons.append(Reason("public", "本年度公需科目要求已免除。",
                                  "The public-subject requirement is waived this year."))
        elif public_met:
            reasons.append(Reason("public", f"公需科目 {fmt(public)} 学时，达到 {fmt(req_public)} 学时的要求。",
                                  f"Public subjects: {fmt(public)} h, meeting the {fmt(req_public)} h requirement."))
        else:
            reasons.append(Reason("public", f"公需科目 {fmt(public)} 学时，还差 {fmt_up(shortfall_public)} 学时。",
                                  f"Public subjects: {fmt(public)} h, {fmt_up(shortfall_public)} h short."))
    complies = total_met and public_met
    reasons.append(Reason("verdict", f"{year} 年度继续教育学时" + ("达标。" if complies else "未达标。"),
                          f"{year}: " + ("complies." if complies else "does not comply.")))

    return Assessment(
        year=year, policy=policy, required_total=req_total, required_public=req_public,
        public_hours=public, public_cap=public_cap, public_counted=public_counted,
        self_study_hours=self_study, self_study_cap=self_cap, self_study_counted=self_counted,
        other_counted=other, counted_total=counted, total_exempt=total_exempt,
        public_waived=public_waived, total_met=total_met, public_met=public_met, complies=complies,
        shortfall_total=shortfall_total, shortfall_public=shortfall_public,
        shortfall_non_public=shortfall_non_public, exemptions_applied=applied, reasons=reasons,
        lines=lines,
    )


def assess_period(start_year: int, end_year: int,
                  years: Mapping[int, tuple[Sequence[Activity], Sequence[Exemption]]],
                  policies: Iterable[PolicyRule], *,
                  round_years: Mapping[int, int] | None = None) -> PeriodAssessment:
    """Art. 27(2)-(3) over an appointment period: each year judged by its own policy, with
    every exemption of the period in view (a degree of 2022 covers 2021–2023)."""
    if end_year < start_year:
        raise EngineInputError("the period ends before it starts")
    policies = list(policies)
    period = Period(start_year, end_year)
    all_exemptions: list[Exemption] = []
    for y in range(start_year, end_year + 1):
        for e in years.get(y, ((), ()))[1]:
            # an exemption listed under a year without its own year belongs to that year
            all_exemptions.append(e if e.year is not None or e.kind == "public_round_certificate"
                                  else replace(e, year=y))
    results = [assess_year(y, years.get(y, ((), ()))[0], all_exemptions, select_policy(policies, y),
                           round_years=round_years, appointment_period=period)
               for y in range(start_year, end_year + 1)]
    n = len(results)
    avg_counted = sum((a.period_value for a in results), Fraction(0)) / n
    avg_required = sum((a.required_total for a in results), Fraction(0)) / n
    average_met = avg_counted >= avg_required
    public_every_year = all(a.public_met for a in results)
    reasons = [
        Reason("Art. 27(2)",
               f"{start_year}–{end_year} 聘期年均计入 {fmt(avg_counted)} 学时，年均要求 {fmt(avg_required)} 学时："
               + ("达到。" if average_met else "未达到。"),
               f"{start_year}–{end_year}: {fmt(avg_counted)} h counted per year on average against "
               f"{fmt(avg_required)} h required: " + ("met." if average_met else "not met.")),
        Reason("Art. 27(3)",
               "聘期内每年公需科目均达到要求。" if public_every_year else "聘期内有年度公需科目未达到要求。",
               "Public subjects were met every year of the period." if public_every_year
               else "Public subjects were not met in every year of the period."),
    ]
    return PeriodAssessment(start_year, end_year, results, avg_counted, avg_required, average_met,
                            public_every_year, reasons)
