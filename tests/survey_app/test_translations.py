"""The Chinese catalogue covers every string of the app, and the compiled file is the current one.

Chinese is the default language, so an untranslated string shows English to a factory manager; and the
app reads the compiled ``.mo``, so a ``.po`` edited without ``pybabel compile`` changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
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


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_compiled_catalogue_is_the_current_one(lang: str) -> None:
    """``make`` compiles the ``.po`` (the ``.mo`` is not tracked); a stale ``.mo`` would show old text."""
    folder = CATALOGUES / lang / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as source:
        catalogue = read_po(source)
    compiled = Translations.load(str(CATALOGUES), [lang])
    assert isinstance(compiled, Translations), "not compiled: run `make translations`"
    stale = [m.id for m in catalogue if m.id and m.string and not m.fuzzy and isinstance(m.id, str)
             and compiled.gettext(m.id) != m.string]
    assert stale == []
