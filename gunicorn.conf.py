"""gunicorn settings shared by every web command (Dockerfile, docker-compose.yml, ``manage.py serve``,
bench/feeds_load.py): gunicorn reads ``./gunicorn.conf.py`` from its working directory, the repo root.
Command-line flags still override these."""

# The access-log line and its format live in reclio/accesslog.py (cheap; one place for redaction).
logger_class = "reclio.accesslog.AccessLogger"
