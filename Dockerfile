# Production image for web, workers and beat (docker-compose.yml). CPU-only PyTorch.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
WORKDIR /app
COPY requirements.txt requirements-torch.txt ./
# torch alone from the PyTorch CPU index (no --extra-index-url: nothing else may come from there),
# then every other package from PyPI, each checked against the hashes in the lock.
RUN pip install --no-cache-dir --no-deps --index-url https://download.pytorch.org/whl/cpu -r requirements-torch.txt \
 && pip install --no-cache-dir --require-hashes -r requirements.txt
COPY . .
# var/ is the shared data volume (docker-compose.yml): create it owned by the app user.
RUN useradd --create-home reclio && mkdir -p /app/var && chown -R reclio /app
USER reclio
EXPOSE 8000
# The options of reclio.services.web_server_argv (tests/reclio/test_compose.py checks they match).
CMD ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--blocking-threads", "4", "--runtime-threads", "1", "--http", "1", "--workers-kill-timeout", "10", "--respawn-failed-workers", "reclio.wsgi:served"]
