"""Answer forms built at run time from a questionnaire: one form class per dimension (page).

The definition decides the fields; WTForms carries them (names, posted values, CSRF) and the templates
draw them, so a level rating can show its four descriptions side by side while a multiple choice shows
checkboxes. Field validation is *not* done by WTForms validators: the same ``diagnostics.answers``
parser that reads spreadsheets and field visits reads the form, so "１２" or "1,200" means the same
everywhere and the messages are the domain's own (Chinese and English).
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from diagnostics.drafts import page_questions
from diagnostics.questionnaire import Question, Questionnaire
from survey_app.forms import CheckboxesField
from survey_app.i18n import tx

YES, NO = "yes", "no"


class AnswerForm(FlaskForm):
    """Base of every page form: the revision the page was drawn from (optimistic locking)."""

    revision = HiddenField()


def _field(question: Question, lang: str) -> Field:
    label = question.text.get(lang)
    description = question.help.get(lang) if question.help else ""
    kwargs: dict[str, Any] = {"label": label, "description": description, "validators": [Optional()]}
    t = question.type
    if t in ("single", "level"):
        return RadioField(choices=[SelectChoice(o.code, o.label.get(lang)) for o in question.options],
                          validate_choice=False, **kwargs)
    if t == "multi":
        return CheckboxesField(choices=[SelectChoice(o.code, o.label.get(lang)) for o in question.options],
                               validate_choice=False, **kwargs)
    if t == "yesno":
        return RadioField(choices=[SelectChoice(YES, "是" if lang == "zh" else "Yes"),
                                   SelectChoice(NO, "否" if lang == "zh" else "No")],
                          validate_choice=False, **kwargs)
    if t == "number":
        mode = "numeric" if question.integer and (question.min or 0) >= 0 else "decimal"
        return StringField(render_kw={"inputmode": mode, "autocomplete": "off"}, **kwargs)
    if t == "text":
        return TextAreaField(render_kw={"rows": 3}, **kwargs)
    # evidence: the documents that can be shown on a site visit, one per line
    return TextAreaField(render_kw={"rows": 2}, **kwargs)


_CLASSES: dict[tuple[str, int, str], type[AnswerForm]] = {}


def _form_class(content_hash: str, definition: Questionnaire, page: int, lang: str) -> type[AnswerForm]:
    """One class per (definition content, page, language), built once: labels are per language."""
    key = (content_hash, page, lang)
    cls = _CLASSES.get(key)
    if cls is None:
        dimension = definition.dimensions[page]
        attrs = {q.id: _field(q, lang) for q in page_questions(dimension)}
        cls = _CLASSES[key] = type(f"Page_{dimension.code}", (AnswerForm,), attrs)
    return cls


def page_form(content_hash: str, definition: Questionnaire, page: int, lang: str, *,
              answers: dict[str, Any] | None = None, revision: int | None = None,
              formdata: Any = None) -> AnswerForm:
    """The form for page ``page`` (0-based), filled from stored answers or from posted data."""
    cls = _form_class(content_hash, definition, page, lang)
    if formdata is not None:
        return cls(formdata=formdata)
    data = {q.id: to_form_value(q, (answers or {}).get(q.id)) for q in page_questions(definition.dimensions[page])}
    return cls(formdata=None, data={**data, "revision": revision})


def to_form_value(question: Question, value: Any) -> Any:
    """A clean stored answer as the form field holds it."""
    if value is None:
        return None
    if question.type == "yesno":
        return YES if value else NO
    if question.type == "level":
        return str(int(value))
    if question.type == "number":
        number = float(value)
        return str(int(number)) if number.is_integer() else str(number)
    if question.type == "multi":
        return list(value)
    if question.type == "evidence":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return value


def raw_answers(form: AnswerForm, questions: list[Question]) -> dict[str, Any]:
    """What the respondent posted, per question id, for ``diagnostics.answers`` to parse."""
    return {question.id: _answer_of(question, form[question.id].data) for question in questions}


def posted_answers(formdata: MultiDict[str, str], questions: list[Question]) -> dict[str, Any]:
    """``raw_answers`` read straight from the posted fields, without building the page's form.

    The background autosave needs only the posted values, not a form to draw, and binding a page's
    fields was a fifth of its CPU. Each field's data is what its WTForms class makes of the posted list
    (choices: the first value as text, none when absent; multiple choice: every value, ``[]`` when
    absent; text and numbers: the first value, none when absent); ``tests/survey_app`` checks that both
    readings agree on the bad-input corpus.
    """
    out: dict[str, Any] = {}
    for question in questions:
        values = formdata.getlist(question.id)
        if question.type == "multi":
            data: Any = [str(v) for v in values]
        elif question.type in ("single", "level", "yesno"):
            data = str(values[0]) if values else None
        else:
            data = values[0] if values else None
        out[question.id] = _answer_of(question, data)
    return out


def posted_revision(formdata: MultiDict[str, str]) -> str | None:
    """The revision a page was drawn from, as ``AnswerForm.revision`` reads it."""
    values = formdata.getlist("revision")
    return values[0] if values else None


def _answer_of(question: Question, data: Any) -> Any:
    if question.type == "yesno":
        # an unknown value goes on as typed, so it is refused (and the stored answer kept) like an
        # unknown option of a single choice, instead of silently clearing the answer
        return {YES: True, NO: False}.get(data, data) if data else None
    if question.type == "evidence":
        return [line.strip() for line in (data or "").splitlines() if line.strip()] or None
    return data


def option_text(question: Question, code: Any) -> str:
    """An answer's label for review pages (``A`` → "有线网络")."""
    option = question.option(str(code))
    return tx(option.label) if option else str(code)
