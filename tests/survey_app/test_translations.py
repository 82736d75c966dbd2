"""The Chinese catalogue covers every string of the app, and the compiled file is the current one.

Chinese is the default language, so an untranslated string shows English to a factory manager; and the
app reads the compiled ``.mo``, so a ``.po`` edited without ``pybabel compile`` changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.support import Translations

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "survey_app" / "translations"


def app_strings() -> set[str]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_has_a_compiled_chinese_translation() -> None:
    strings = app_strings()
    assert len(strings) > 150  # the extraction itself works
    chinese = Translations.load(str(CATALOGUES), ["zh"])
    missing = sorted(s for s in strings if chinese.gettext(s) == s)
    assert missing == []


def test_both_languages_are_compiled() -> None:
    for lang in ("zh", "en"):
        compiled = CATALOGUES / lang / "LC_MESSAGES" / "messages.mo"
        source = CATALOGUES / lang / "LC_MESSAGES" / "messages.po"
        assert compiled.exists() and source.exists()
