"""gunicorn settings for the web app: ``gunicorn -c gunicorn.conf.py`` (the app is ``survey_app:create_app()``).

Every value comes from ``diagnostics.settings`` (the environment): ``SHUZHEN_WEB_BIND``,
``SHUZHEN_WEB_WORKERS``, ``SHUZHEN_WEB_THREADS``. Threaded workers (``gthread``): a request spends much
of its time waiting on the database, and one process per core with a few threads each keeps the cores
busy without a process per connection (measured in BENCHMARKS.md, "Web under load").
"""

from diagnostics.settings import settings

wsgi_app = "survey_app:create_app()"
bind = settings.web_bind
workers = settings.web_workers
threads = settings.web_threads
worker_class = "gthread"
timeout = 60
graceful_timeout = 10
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = "warning"
