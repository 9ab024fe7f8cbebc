from ntbase.i18n_check import missing


def test_every_msgid_has_a_chinese_translation():
    gaps = missing("zh_CN")
    assert not gaps, "untranslated (run python -m ntbase.i18n_check):\n" + "\n".join(
        f"{where}: {mid}" for mid, where in sorted(gaps.items(), key=lambda kv: kv[1]))
