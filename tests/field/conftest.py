"""The web app's fixtures (app, people, browsers) for the field tests."""

from tests.survey_app.conftest import app, other_web, people, questionnaire_dir, web  # noqa: F401
