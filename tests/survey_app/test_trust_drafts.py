"""One draft per enterprise and questionnaire, held by the database: quick clicks land on one draft."""

from __future__ import annotations

import re
import threading

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diagnostics.store.models import Submission
from tests.survey_app.survey_helpers import People, Web, fill_all, start_survey, submit


def test_five_simultaneous_starts_make_one_draft(app: Flask, people: People, session: Session) -> None:
    enterprise = people.enterprise()
    people.user("owner", enterprise=enterprise)
    browsers = [Web(app.test_client()) for _ in range(5)]
    for browser in browsers:
        browser.login("owner")
        browser.get(f"/enterprises/{enterprise.id}")
    barrier = threading.Barrier(len(browsers))
    landed: list[str] = []

    def click(browser: Web) -> None:
        barrier.wait()
        response = browser.client.post(f"/enterprises/{enterprise.id}/questionnaires/mini-survey/start",
                                       data={"csrf_token": browser.token})
        landed.append(f"{response.status_code} {response.headers.get('Location', '')}")

    threads = [threading.Thread(target=click, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ids = {m.group(1) for found in landed if (m := re.search(r"/submissions/(\d+)/", found))}
    assert len(landed) == 5 and all(found.startswith("302") for found in landed), landed
    assert len(ids) == 1  # every click lands on the same (the winner's) draft
    assert session.scalar(select(func.count()).select_from(Submission)) == 1


def test_the_database_refuses_a_second_draft_but_not_a_new_one_after_submitting(
        app: Flask, web: Web, people: People, session: Session) -> None:
    enterprise = people.enterprise()
    people.user("owner", enterprise=enterprise)
    web.login("owner")
    first = start_survey(web, enterprise.id)
    row = session.get(Submission, first)
    assert row is not None and row.questionnaire_code == "mini-survey"
    session.add(Submission(enterprise_id=enterprise.id, questionnaire_version_id=row.questionnaire_version_id,
                           status="draft", answers={}))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    fill_all(web, first)
    submit(web, first)
    second = start_survey(web, enterprise.id)  # a re-assessment after submitting is a new draft
    assert second != first
