# One image for the web app, the flows (Prefect worker, Dask workers) and the CLI (editable install:
# questionnaires/ and migrations/ are read from /app). Build: docker build -t shuzhen .
# Web:    docker run -p 5000:5000 -e SECRET_KEY=... -e DATABASE_URL=postgresql+psycopg://... shuzhen
# Flows:  docker run -e PREFECT_API_URL=http://prefect:4200/api -e DATABASE_URL=... shuzhen \
#           sh -c "python -m flows.deploy && prefect worker start --pool shuzhen --type process"
# All of it together: docker-compose.yml (README.md, "Running it past one machine").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=90 \
    DO_NOT_TRACK=1 \
    SHUZHEN_WEB_BIND=0.0.0.0:5000 \
    SHUZHEN_FLOW_SOURCE=/app

# CJK fonts: the research report's charts label in Chinese
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md alembic.ini gunicorn.conf.py ./
COPY diagnostics ./diagnostics
COPY cli ./cli
COPY survey_app ./survey_app
COPY flows ./flows
COPY questionnaires ./questionnaires
COPY migrations ./migrations
RUN pip install --no-cache-dir -e . \
    && useradd --create-home shuzhen && mkdir -p /app/instance /data/reports \
    && chown shuzhen /app/instance /data/reports
USER shuzhen
EXPOSE 5000
# gunicorn.conf.py: threaded workers, bind/workers/threads from SHUZHEN_WEB_* (diagnostics/settings.py)
CMD ["sh", "-c", "shuzhen db upgrade && gunicorn -c gunicorn.conf.py"]
