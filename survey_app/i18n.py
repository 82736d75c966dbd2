"""Which language a page is in, and how bilingual domain text is shown in it.

Two kinds of text reach the screen: the app's own strings go through Flask-Babel's catalogues
(``survey_app/translations``, msgids in English, Chinese in ``zh_CN``); the domain's strings (questions,
options, USCC and answer messages, explanation rules) arrive already in both languages from
``diagnostics`` and are picked here. Chinese is the default; English is chosen explicitly and remembered
in the session and, for a logged-in user, on their account (``users.locale``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

from diagnostics.industry_codes import lookup
from diagnostics.numbers import format_number
from diagnostics.text import Text

LANG_SESSION_KEY = "lang"


def supported() -> list[str]:
    return list(current_app.config["BABEL_SUPPORTED_LOCALES"])


def select_locale() -> str:
    """Explicit choice in this session, then the account's saved choice, then Chinese."""
    chosen = session.get(LANG_SESSION_KEY)
    if chosen in supported():
        return chosen
    if request and getattr(current_user, "is_authenticated", False) and current_user.locale in supported():
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def lang() -> str:
    """"en" or "zh": the short code the domain's bilingual values are keyed by."""
    return "en" if str(get_locale() or "zh").startswith("en") else "zh"


def tx(value: Text | Mapping[str, Any] | str | None) -> str:
    """A questionnaire/taxonomy ``Text`` (or its JSON dump) in the page's language, Chinese fallback."""
    if value is None:
        return ""
    if isinstance(value, Text):
        return value.get(lang())
    if isinstance(value, Mapping):
        if lang() == "en" and value.get("en"):
            return str(value["en"])
        return str(value.get("zh") or "")
    return str(value)


def pick(zh: str | None, en: str | None) -> str:
    """One of a (Chinese, English) pair of messages, as ``diagnostics`` returns them."""
    return (en or zh or "") if lang() == "en" else (zh or en or "")


def pick_list(item: Mapping[str, Any], key: str) -> list[str]:
    """``reasons_zh``/``reasons_en`` style pairs of lists stored in explanation JSON."""
    return list(item.get(f"{key}_{lang()}") or item.get(f"{key}_zh") or [])


def number(value: float | None, digits: int = 1, grouped: bool = False) -> str:
    """A number for display (``12.5``, ``180``): the one formatting rule, ``diagnostics.numbers``."""
    return format_number(value, digits, grouped=grouped)


def industry_label(code: str | None) -> str:
    """``3074 日用陶瓷制品制造`` (or its English name) for a stored GB/T 4754 code."""
    if not code:
        return "–"
    entry = lookup(code)
    if entry is None:
        return code
    return f"{entry.code} {entry.name_en if lang() == 'en' else entry.name_zh}"


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(tx=tx, pick=pick, pick_list=pick_list, lang=lang, number=number,
                                 industry_label=industry_label)
