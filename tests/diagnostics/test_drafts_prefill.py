"""A re-assessment starts from the last answers; links given at registration are not asked twice."""

from __future__ import annotations

from diagnostics import drafts
from diagnostics.questionnaire_loader import resolve
from diagnostics.taxonomy import load_taxonomy


def test_registration_links_tick_the_modules_links_question() -> None:
    q = resolve("ceramics-module").definition
    links = {c.code for c in load_taxonomy("ceramics").chain_links}
    profile = drafts.profile_answers(q, ["firing", "forming", "not_a_link"], links)
    assert profile == {"links_operated": ["forming", "firing"]}  # in the question's option order
    answers, carried = drafts.prefill(q, None, profile)
    assert answers["links_operated"] == ["forming", "firing"] and carried == ["links_operated"]


def test_no_links_at_registration_prefills_nothing() -> None:
    q = resolve("ceramics-module").definition
    links = {c.code for c in load_taxonomy("ceramics").chain_links}
    assert drafts.profile_answers(q, [], links) == {}


def test_previous_answers_carry_over_and_are_listed_to_confirm() -> None:
    q = resolve("ceramics-module").definition
    previous = {"product_category": "art", "links_operated": ["firing"], "gone_question": "x"}
    answers, carried = drafts.prefill(q, previous, {"links_operated": ["forming"]})
    assert answers == {"product_category": "art", "links_operated": ["firing"]}  # last answer wins the profile
    assert carried == ["product_category", "links_operated"]
    assert drafts.confirm_page(q, carried, 0) == []  # both are on page 1: saving it confirms them
