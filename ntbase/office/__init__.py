"""The title office and HR bureau console, in rooms: one subpackage per job.

console (the /office home), bulk (verification files), person (a record by ID number),
applicants (notice §4), bases (certification, Art. 28 assessments), complaints (Art. 29),
ratings, tokens (API tokens), stats, auditlog. Every room's views add routes to the one
``office`` blueprint (``ntbase.office.blueprint``); ``ntbase.office.api`` holds the office
systems' JSON API.
"""
