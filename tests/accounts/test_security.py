import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ntbase.kernel.security import (
    IdNumberError,
    decrypt_pii,
    encrypt_pii,
    id_hash,
    mask_id_number,
    validate_id_number,
    validate_mobile,
)
from tests.factories import valid_id_number


def test_valid_id_accepted_and_normalised():
    n = valid_id_number(7)
    assert validate_id_number(n.lower() if n.endswith("X") else n) == n


@pytest.mark.parametrize("value,reason", [
    ("3206021990", "length"),
    ("32060219900101123A", "format"),
])
def test_id_shape_errors(value, reason):
    with pytest.raises(IdNumberError) as exc:
        validate_id_number(value)
    assert exc.value.reason == reason


def test_wrong_check_digit_rejected():
    n = valid_id_number(3)
    wrong = n[:17] + ("0" if n[17] != "0" else "1")
    with pytest.raises(IdNumberError) as exc:
        validate_id_number(wrong)
    assert exc.value.reason == "checksum"


def test_mask():
    assert mask_id_number("32060219900101123X") == "320602********123X"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(st.text(min_size=1, max_size=40))
def test_encrypt_roundtrip(app_ctx, value):
    token = encrypt_pii(value)
    assert token != value and len(token) > len(value)
    assert decrypt_pii(token) == value


def test_keyed_hash_is_stable_and_keyed(app_ctx):
    n = valid_id_number(11)
    assert id_hash(n) == id_hash(n.lower())
    app_ctx.config["NTBASE_PII_KEY"] = "another-key"
    try:
        other = id_hash(n)
    finally:
        app_ctx.config["NTBASE_PII_KEY"] = "test-pii-key"
    assert other != id_hash(n)


@pytest.mark.parametrize("raw,ok", [("13812345678", True), ("+86 138-1234-5678", True),
                                    ("12812345678", False), ("1381234567", False), ("abc", False)])
def test_mobile(raw, ok):
    if ok:
        assert validate_mobile(raw) == "13812345678"
    else:
        with pytest.raises(ValueError):
            validate_mobile(raw)
