"""Enums shared across domains, each with a translated title for display."""
from __future__ import annotations

import enum

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

# (enum class, locale) -> {value: translated title}; titles are fixed per locale, and
# building lazy strings per call showed up in list pages' profiles
_TITLE_CACHE: dict[tuple[type, str], dict[str, str]] = {}


class LabeledEnum(str, enum.Enum):
    """A string enum whose members carry a lazily translated title."""

    @property
    def title(self) -> str:
        key = (type(self), str(get_locale()) if has_request_context() else "")
        titles = _TITLE_CACHE.get(key)
        if titles is None:
            titles = {k: str(v) for k, v in self._titles().items()}
            if has_request_context():
                _TITLE_CACHE[key] = titles
        return titles.get(self.value, self.value)

    @classmethod
    def _titles(cls) -> dict:
        return {}

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.title) for m in cls]

    def __str__(self) -> str:
        return self.value


class Role(LabeledEnum):
    LEARNER = "learner"
    BASE_STAFF = "base_staff"
    OFFICE = "office"
    ADMIN = "admin"
    # 单位管理员: the HR staff of one employer (ntbase.employers), bound to exactly one
    EMPLOYER_ADMIN = "employer_admin"

    @classmethod
    def _titles(cls):
        return {"learner": _l("Learner"), "base_staff": _l("Base staff"),
                "office": _l("Title office / HR bureau"), "admin": _l("Administrator"),
                "employer_admin": _l("Employer administrator")}


class TitleLevel(LabeledEnum):
    """Staff levels (职称级别); also the levels a base serves (Art. 24)."""
    JUNIOR = "junior"
    INTERMEDIATE = "intermediate"
    SUB_SENIOR = "sub_senior"
    SENIOR = "senior"

    @classmethod
    def _titles(cls):
        return {"junior": _l("Junior (初级)"), "intermediate": _l("Intermediate (中级)"),
                "sub_senior": _l("Deputy senior (副高级)"), "senior": _l("Senior (正高级)")}


class Category(LabeledEnum):
    """Art. 14: the three kinds of content."""
    PUBLIC = "public"
    SPECIALIZED = "specialized"
    ELECTIVE = "elective"

    @classmethod
    def _titles(cls):
        return {"public": _l("Public subject"), "specialized": _l("Specialized subject"),
                "elective": _l("Personal elective")}


class BaseLevel(LabeledEnum):
    CITY = "city"
    COUNTY = "county"

    @classmethod
    def _titles(cls):
        return {"city": _l("City level"), "county": _l("County level")}


class CertificationStatus(LabeledEnum):
    CERTIFIED = "certified"
    SUSPENDED = "suspended"
    REVOKED = "revoked"

    @classmethod
    def _titles(cls):
        return {"certified": _l("Certified"), "suspended": _l("Suspended"),
                "revoked": _l("Revoked")}


PROFESSION_SERIES = [
    # 职称系列 commonly used in Jiangsu; stored as codes, shown translated.
    ("engineering", _l("Engineering (工程)")),
    ("education", _l("Education (教育)")),
    ("health", _l("Health (卫生)")),
    ("economics", _l("Economics (经济)")),
    ("accounting", _l("Accounting (会计)")),
    ("agriculture", _l("Agriculture (农业)")),
    ("law", _l("Law (法律)")),
    ("journalism", _l("Journalism and publishing (新闻出版)")),
    ("arts", _l("Arts (艺术)")),
    ("research", _l("Natural science research (自然科学研究)")),
    ("other", _l("Other (其他)")),
]
PROFESSION_CODES = [c for c, _ in PROFESSION_SERIES]


def profession_title(code: str) -> str:
    return str(dict(PROFESSION_SERIES).get(code, code))
