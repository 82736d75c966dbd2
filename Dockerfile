# One image for the web app, the flows and the CLI (editable install: questionnaires/ and migrations/
# are read from /app). Build: docker build -t shuzhen .
# Web:   docker run -p 5000:5000 -e DATABASE_URL=postgresql+psycopg://... shuzhen
# Flows: docker run -e PREFECT_API_URL=http://prefect:4200/api -e DATABASE_URL=... shuzhen python -m flows.serve
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=90 \
    DO_NOT_TRACK=1

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY diagnostics ./diagnostics
COPY survey_app ./survey_app
COPY flows ./flows
COPY questionnaires ./questionnaires
COPY migrations ./migrations
RUN pip install --no-cache-dir -e . gunicorn \
    && useradd --create-home shuzhen && mkdir -p /app/instance && chown shuzhen /app/instance
USER shuzhen
EXPOSE 5000
CMD ["sh", "-c", "shuzhen db upgrade && gunicorn --workers 2 --bind 0.0.0.0:5000 'survey_app:create_app()'"]
