"""Input limits every request passes before a view sees it.

One place for what no field of any form may hold, so a new form cannot forget it:

* **control characters** (NUL and the other C0 controls except tab and line breaks, DEL) and the
  replacement character that invalid UTF-8 decodes to are removed from every form value and query
  argument, and the page says so. PostgreSQL refuses NUL in text, and an XLSX cell turns controls into
  ``_x0001_``; nobody types them on purpose.
* **length**: a value longer than ``MAX_FIELD_CHARS`` is refused with a 400 that says so (each form
  also has its own, smaller ``Length`` limits, and text answers ``MAX_TEXT_ANSWER``).
* **numbers in the URL**: an id or page number beyond the database's integer range is "not found" (404),
  not an overflow in the database driver.
"""

from __future__ import annotations

from flask import Flask, current_app, flash, request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import NotFound

from diagnostics.text import strip_controls
from survey_app.access import MAX_ID
from survey_app.errors import BadInput

MAX_PAGE = 1_000_000  # no list here has a millionth page


def _cleaned(data: MultiDict[str, str], limit: int) -> tuple[ImmutableMultiDict[str, str] | None, bool]:
    """The cleaned copy (None when nothing changed) and whether anything was removed; 400 when too long."""
    changed = False
    items: list[tuple[str, str]] = []
    for key, value in data.items(multi=True):
        if len(value) > limit or len(key) > 200:
            raise BadInput(_("An entry is too long (at most %(n)d characters). Shorten it and try again.", n=limit))
        clean = strip_controls(value)
        changed = changed or clean != value
        items.append((strip_controls(key), clean))
    return (ImmutableMultiDict(items) if changed else None), changed


def check_request() -> None:
    """Before every view: bound the URL's numbers, clean and bound the form and the query."""
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not 0 <= value <= MAX_ID:
            raise_not_found()
    page = request.args.get("page")
    if page is not None and page.strip().isdigit() and int(page) > MAX_PAGE:
        raise_not_found()
    limit = int(current_app.config["MAX_FIELD_CHARS"])
    removed = False
    args, changed = _cleaned(request.args, limit)
    if args is not None:
        request.__dict__["args"] = args
        removed = removed or changed
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        form, changed = _cleaned(request.form, limit)
        if form is not None:
            request.__dict__["form"] = form
            request.__dict__.pop("values", None)
            removed = removed or changed
    if removed:
        flash(_("Invisible control characters were removed from what you entered."), "info")


def raise_not_found() -> None:
    raise NotFound()


def init_app(app: Flask) -> None:
    app.config.setdefault("MAX_FIELD_CHARS", 100_000)
    app.before_request(check_request)
