"""The yearly statement (学时证明) as an Open Badges 3.0 credential, signed like a certificate's
(``ntbase.certificates.openbadges``)."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from ntbase.certificates import codes, openbadges
from ntbase.certificates.did_web import site_did
from ntbase.hours.statements import statement_data


def statement_credential(st) -> dict:
    """The yearly statement (学时证明) as an OpenBadgeCredential: the year's counted hours,
    public-subject hours and verdict as results. Statements cannot be withdrawn — each one
    records the year as it stood on its day — so it carries no credentialStatus."""
    data = statement_data(st)
    base_url = openbadges.site_base_url()
    achievement_id = f"{base_url}/hours/requirement/{st.year}"
    with force_locale("zh_CN"):
        platform = _("Nantong continuing-education platform (NTBase)")
        name = _("Continuing-education hours statement %(year)s", year=st.year)
        criteria = _("In %(year)s, at least %(total)s hours count toward the yearly requirement, of which at "
                     "least %(public)s are public-subject hours (2011 measures Art. 14, 16 and 17; 2021 notice).",
                     year=st.year, total=data["required_total"], public=data["required_public"])
        verdict = _("Complies") if data["complies"] else _("Does not comply")
        description = _("Hours statement %(code)s for %(year)s: %(total)s hours counted, %(public)s public-subject "
                        "hours; %(verdict)s.", code=codes.display(st.code), year=st.year,
                        total=data["counted_total"], public=data["public_hours"], verdict=verdict)
        names = {"counted": _("Counted total hours"), "public": _("Public-subject hours"),
                 "verdict": _("Yearly requirement")}
    rd = {k: f"{achievement_id}#{k}" for k in names}
    subject = {
        "type": ["AchievementSubject"],
        "identifier": openbadges.holder_identifiers(st.learner, st.holder_name_masked, st.code),
        "term": str(st.year),
        "achievement": {
            "id": achievement_id,
            "type": ["Achievement"],
            "achievementType": "ext:YearlyHoursStatement",
            "name": name,
            "description": criteria,
            "criteria": {"narrative": criteria},
            "inLanguage": "zh-CN",
            "resultDescription": [
                {"id": rd["counted"], "type": ["ResultDescription"], "name": names["counted"],
                 "resultType": "ext:CountedHours", "requiredValue": data["required_total"], "valueMin": "0"},
                {"id": rd["public"], "type": ["ResultDescription"], "name": names["public"],
                 "resultType": "ext:PublicSubjectHours", "requiredValue": data["required_public"],
                 "valueMin": "0"},
                {"id": rd["verdict"], "type": ["ResultDescription"], "name": names["verdict"],
                 "resultType": "ext:Verdict", "allowedValue": ["complies", "does_not_comply"],
                 "requiredValue": "complies"},
            ],
        },
        "result": [
            {"type": ["Result"], "resultDescription": rd["counted"], "value": data["counted_total"]},
            {"type": ["Result"], "resultDescription": rd["public"], "value": data["public_hours"]},
            {"type": ["Result"], "resultDescription": rd["verdict"],
             "value": "complies" if data["complies"] else "does_not_comply"},
        ],
    }
    issuer = {"id": site_did(), "type": ["Profile"], "name": platform, "url": base_url + "/"}
    return openbadges.envelope("statement", st.code, issuer, st.issued_at, name, description, subject)


def statement_jwt(st) -> str:
    return openbadges.encode_jwt(statement_credential(st))
