import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ntbase.certificates import codes, signing
from ntbase.kernel.db import db

code_st = st.builds(lambda _: codes.new_code(), st.integers())


def test_new_code_shape():
    c = codes.new_code()
    assert len(c) == 15 and codes.is_well_formed(c)
    assert codes.display(c).count("-") == 2


@settings(max_examples=200)
@given(code_st, st.integers(min_value=0, max_value=14), st.sampled_from(codes.ALPHABET))
def test_every_single_substitution_is_caught(code, pos, ch):
    if code[pos] == ch:
        return
    bad = code[:pos] + ch + code[pos + 1:]
    assert not codes.is_well_formed(bad)


@settings(max_examples=200)
@given(code_st, st.integers(min_value=0, max_value=13))
def test_every_adjacent_swap_is_caught(code, pos):
    if code[pos] == code[pos + 1]:
        return
    bad = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2:]
    assert not codes.is_well_formed(bad)


def test_exhaustive_on_one_code():
    c = codes.new_code()
    for pos in range(15):
        for ch in codes.ALPHABET:
            if ch != c[pos]:
                assert not codes.is_well_formed(c[:pos] + ch + c[pos + 1:])
    for pos in range(14):
        if c[pos] != c[pos + 1]:
            assert not codes.is_well_formed(c[:pos] + c[pos + 1] + c[pos] + c[pos + 2:])


def test_input_forgiveness():
    c = codes.new_code()
    typed = " " + codes.display(c).lower() + " "
    typed = typed.replace("0", "o").replace("1", "l")
    assert codes.parse(typed) == c
    assert codes.parse("hello") is None


def test_sign_verify_tamper_and_rotation(app_ctx):
    text, sig, kid = signing.sign({"code": "X", "hours": "24.0", "name": "张*"})
    db.session.commit()
    assert signing.verify(text, sig)
    tampered = text.replace("24.0", "42.0")
    assert not signing.verify(tampered, sig)
    assert not signing.verify(text, sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB"))
    assert json.loads(text)["kid"] == kid
    new = signing.rotate_key()
    db.session.commit()
    assert new.kid != kid
    # the old certificate still verifies with its key id; new ones use the new key
    assert signing.verify(text, sig)
    text2, sig2, kid2 = signing.sign({"code": "Y"})
    assert kid2 == new.kid and signing.verify(text2, sig2)
    doc = signing.public_keys_document()
    assert {k["kid"] for k in doc["keys"]} == {kid, new.kid}


def test_unknown_key_or_garbage_is_false(app_ctx):
    assert not signing.verify('{"kid":"nope"}', "abc")
    assert not signing.verify("not json", "abc")
