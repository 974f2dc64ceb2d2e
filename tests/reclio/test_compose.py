"""docker-compose.yml cannot run here (no Docker engine); check its structure instead."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import yaml

from reclio.queues import ALL_QUEUES
from reclio.services import web_server_argv

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _worker_queues(services: dict) -> dict[str, list[str]]:
    queues = {}
    for name, service in services.items():
        command = service.get("command") or []
        if command[:4] == ["celery", "-A", "reclio", "worker"]:
            queues[name] = command[command.index("-Q") + 1].split(",")
    return queues


def test_every_queue_has_its_own_worker_service():
    workers = _worker_queues(_compose()["services"])
    consumed = [queue for queues in workers.values() for queue in queues]
    assert sorted(consumed) == sorted(ALL_QUEUES)
    assert all(len(queues) == 1 for queues in workers.values())


def test_images_and_health_checks():
    services = _compose()["services"]
    assert services["db"]["image"] == "pgvector/pgvector:pg16"
    assert services["redis"]["image"].startswith("redis:7")
    assert "ollama" in services["ollama"]["profiles"]
    for name in ("db", "redis", "web"):
        assert "healthcheck" in services[name]


def test_database_has_room_for_parallel_hnsw_builds():
    # catalog 0006 builds with 512 MB of maintenance_work_mem in /dev/shm; Docker's default is 64 MB
    size = str(_compose()["services"]["db"]["shm_size"]).lower()
    assert size.endswith("g") and int(size[:-1]) >= 1


def test_commands_refer_to_things_that_exist():
    services = _compose()["services"]
    for name, service in services.items():
        command = service.get("command") or []
        if not command:
            continue
        joined = " ".join(command)
        if command[0] == "celery":
            assert command[1:3] == ["-A", "reclio"]
            assert command[3] in ("worker", "beat")
            assert importlib.import_module("reclio.celery").app.main == "reclio"
        elif command[0] == "granian":
            module, attribute = command[-1].split(":")
            assert hasattr(importlib.import_module(module), attribute), name
        elif "manage.py" in joined:
            from django.core.management import get_commands

            for fragment in joined.split("&&"):
                words = fragment.split()
                if "manage.py" in words:
                    assert words[words.index("manage.py") + 1] in get_commands(), fragment
    assert (ROOT / services["web"]["build"] if "build" in services["web"] else ROOT / "Dockerfile").exists()


def test_app_services_get_database_and_redis_urls():
    services = _compose()["services"]
    for name in ("web", "beat", "migrate", *(_worker_queues(services))):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")


def test_app_services_share_one_data_volume():
    # The recsys worker writes the trained model; the other app services read it.
    services = _compose()["services"]
    for name in ("web", "beat", *(_worker_queues(services))):
        assert "appdata:/app/var" in services[name]["volumes"], name
    assert "appdata" in _compose()["volumes"]


def _published(service: dict) -> list[str]:
    return [str(port) for port in service.get("ports", [])]


def test_only_the_tls_proxy_is_published_to_the_network():
    # The admin session, the X-Admin-Token and the viewers' addon URLs must never travel in clear.
    services = _compose()["services"]
    for name, service in services.items():
        if name == "caddy":
            continue
        for port in _published(service):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond the loopback"
    assert services["caddy"]["profiles"] == ["tls"]
    assert sorted(_published(services["caddy"])) == ["443:443", "443:443/udp", "80:80"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile


def test_ollama_is_internal_and_the_app_points_at_it():
    services = _compose()["services"]
    assert not services["ollama"].get("ports"), "Ollama has no authentication: it must not be published"
    for name in ("web", "worker-embeddings"):
        assert services[name]["environment"]["OLLAMA_HOST"] == "${OLLAMA_HOST:-http://ollama:11434}"


def _seconds(duration: str) -> float:
    units = {"s": 1, "m": 60}
    return float(duration[:-1]) * units[duration[-1]]


def test_workers_shut_down_softly_within_their_grace_period():
    # A deploy's SIGTERM must start Celery's soft shutdown (REMAP_SIGTERM=SIGQUIT) and Docker must wait
    # for it (stop_grace_period > soft timeout + time to cancel and requeue), or long tasks are SIGKILLed
    # after 10 s and wait out the visibility timeout (tests/reclio/test_worker_drills.py runs the drill).
    services = _compose()["services"]
    for name in _worker_queues(services):
        service = services[name]
        env = service["environment"]
        assert env["REMAP_SIGTERM"] == "SIGQUIT", name
        assert env["DATABASE_URL"].startswith("postgres://"), name
        soft = float(env["CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT"])
        assert 0 < soft and _seconds(service["stop_grace_period"]) >= soft + 20, name


def test_the_image_and_compose_run_the_web_server_as_serve_does():
    # given: the one spelling (manage.py serve, the demo, bench), bound where the containers listen
    expected = ["granian", *web_server_argv(host="0.0.0.0", port=8000)[3:]]  # noqa: S104 - the container's port

    # then
    assert _compose()["services"]["web"]["command"] == expected
    dockerfile_cmd = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert dockerfile_cmd is not None
    assert json.loads(dockerfile_cmd.group(1)) == expected


def _database_connections(command: list[str]) -> int:
    """Connections a service may hold at once: one per web request thread, one per worker thread/process."""
    if command[:1] == ["granian"]:
        return int(command[command.index("--workers") + 1]) * int(command[command.index("--blocking-threads") + 1])
    if command[:4] == ["celery", "-A", "reclio", "worker"]:
        return int(command[command.index("--concurrency") + 1])
    return 1 if command[:4] == ["celery", "-A", "reclio", "beat"] else 0


def test_the_nightly_list_writers_fit_postgresql_connections_with_room_to_spare():
    # The nightly fan-out is Trakt-paced: 10,000 viewers x ~11 writes/s need >= ~40 accounts written at
    # once to finish within the hour (docs/scaling.md, bench/nightly.py); every thread holds a connection.
    services = _compose()["services"]
    postgres_command = services["db"].get("command") or []
    assert not any("max_connections" in part for part in postgres_command)  # PostgreSQL's default: 100
    bulk = services["worker-trakt-lists-bulk"]["command"]
    assert int(bulk[bulk.index("--concurrency") + 1]) >= 40
    held = sum(_database_connections(service.get("command") or []) for service in services.values())
    assert held <= 85, f"{held} connections leave too little of 100 for migrations, admin and psql"
