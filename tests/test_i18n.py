import pytest

from ntbase.i18n_check import conflicts, extracted_msgids, missing, unfinished


def test_every_msgid_has_a_chinese_translation():
    gaps = missing("zh_CN")
    assert not gaps, "untranslated (run python -m ntbase.i18n_check):\n" + "\n".join(
        f"{where}: {ctx + ' | ' if ctx else ''}{mid}" for (ctx, mid), where in sorted(gaps.items(), key=lambda kv: kv[1]))


def test_no_translation_is_empty_or_fuzzy():
    problems = unfinished("zh_CN")
    assert not problems, "finish these .po entries:\n" + "\n".join(problems)


def test_no_msgid_is_translated_differently_in_two_parts():
    """Two senses of one English word need a context (pgettext), not two .po entries."""
    found = conflicts("zh_CN")
    assert not found, "give each sense a context (pgettext):\n" + "\n".join(found)


def test_the_check_sees_empty_and_fuzzy_entries(tmp_path, monkeypatch):
    """A part with an empty and a fuzzy entry is reported, and neither reaches the catalogue."""
    from ntbase.kernel import i18n

    parts = tmp_path / "zh_CN" / "parts"
    parts.mkdir(parents=True)
    (parts / "x.po").write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                                'msgid "Empty one"\nmsgstr ""\n\n'
                                '#, fuzzy\nmsgid "Fuzzy one"\nmsgstr "模糊"\n\n'
                                'msgctxt "action"\nmsgid "Complete"\nmsgstr "确认结业"\n', encoding="utf-8")
    import ntbase.i18n_check as check

    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    monkeypatch.setattr(check, "TRANSLATIONS", tmp_path)
    problems = check.unfinished("zh_CN")
    assert problems == ["x.po: 'Empty one' is empty", "x.po: 'Fuzzy one' is fuzzy"]
    merged = i18n.merged_catalog("zh_CN")
    assert merged.get("Fuzzy one") is None and merged.get("Empty one") is None
    assert merged.get("Complete", context="action").string == "确认结业"


def test_contexts_are_extracted_from_code_and_templates():
    keys = extracted_msgids()
    assert ("action", "Complete") in keys and ("disclosure part", "Complete") in keys
    assert (None, "Complete") not in keys  # the bare word is ambiguous: it always carries a context


@pytest.mark.parametrize("ctx,msgid,zh", [
    ("action", "Complete", "确认结业"), ("disclosure part", "Complete", "已完整"),
    ("base assessment", "Period", "评估期"), (None, "Period", "聘期"),
    ("hours entry", "Withdraw", "撤回"), (None, "Withdraw", "撤下"),
    ("course places", "Seats", "名额"), (None, "Seats", "座位数"),
    ("exemption", "Description", "名称或说明"), (None, "Description", "课程介绍"),
])
def test_each_sense_has_its_own_translation(app_ctx, ctx, msgid, zh):
    from flask_babel import force_locale, gettext, pgettext

    with app_ctx.test_request_context("/"), force_locale("zh_CN"):
        assert (pgettext(ctx, msgid) if ctx else gettext(msgid)) == zh
