"""Certificate and statement codes: 70 random bits in Crockford base32 plus a check
character, shown as three groups of five (``7KQ2M-XH4PA-Z9R3D``: ``EXAMPLE_CODE``).

The check character makes the whole code, read as a base-32 number M, satisfy
M ≡ 0 (mod 37). Since 37 is prime and larger than any digit difference, every single
wrong character and every swap of two adjacent characters (the check included)
changes M mod 37 and is caught — before any database look-up. Codes whose check would
need one of the five extra mod-37 symbols are simply drawn again, so the check is always
an ordinary base-32 character (cost: 0.2 bits of the 70).
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
PAYLOAD_LEN = 14  # 14 × 5 = 70 random bits
CODE_LEN = PAYLOAD_LEN + 1
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _check_value(payload: str) -> int:
    n = 0
    for ch in payload:
        n = (n * 32 + VALUES[ch]) % 37
    return (-32 * n) % 37


def new_code() -> str:
    """A fresh canonical code (no separators)."""
    while True:
        payload = "".join(secrets.choice(ALPHABET) for _ in range(PAYLOAD_LEN))
        check = _check_value(payload)
        if check < 32:
            return payload + ALPHABET[check]


def with_check(payload: str) -> str | None:
    """``payload`` (14 characters) and its check character; None when the check would not
    be a base-32 character (``new_code`` draws again then)."""
    check = _check_value(payload)
    return payload + ALPHABET[check] if check < 32 else None


# The example shown next to code fields (/verify, /office/verify): a code that parses, so a
# visitor who types it sees "no certificate has this code", not "this is not a code".
EXAMPLE_CODE = with_check("7KQ2MXH4PAZ9R3")
assert EXAMPLE_CODE is not None


def normalize(raw: str) -> str:
    """Upper-case, drop spaces and dashes, read O as 0 and I/L as 1."""
    return re.sub(r"[\s\-_.]", "", raw or "").upper().translate(_CONFUSABLE)


def is_well_formed(code: str) -> bool:
    """True when ``code`` (already normalised) has the right length, alphabet and check."""
    if len(code) != CODE_LEN or any(ch not in VALUES for ch in code):
        return False
    n = 0
    for ch in code:
        n = (n * 32 + VALUES[ch]) % 37
    return n == 0


def problem(raw: str) -> str | None:
    """Why ``raw`` is not a code: "empty", "length", "characters" or "check" (a wrong check
    character: a typo, most likely); None when it is one."""
    code = normalize(raw)
    if not code:
        return "empty"
    if len(code) != CODE_LEN:
        return "length"
    if any(ch not in VALUES for ch in code):
        return "characters"
    return None if is_well_formed(code) else "check"


def parse(raw: str) -> str | None:
    """The canonical code, or None when it cannot be one (say "check the code")."""
    code = normalize(raw)
    return code if is_well_formed(code) else None


def display(code: str) -> str:
    return "-".join(code[i:i + 5] for i in range(0, len(code), 5))
