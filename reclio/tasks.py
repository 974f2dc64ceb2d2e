from __future__ import annotations

import socket

from celery import shared_task

from reclio.queues import Queue


@shared_task(name="reclio.echo", queue=Queue.DEFAULT.value, acks_late=False)
def echo_task(payload: str) -> dict[str, str]:
    """Answer with the payload and who ran it: proves that a queue has a live consumer.

    Send it with ``apply_async(queue=...)`` to any queue; used by diagnostics and the worker test.
    """
    return {
        "payload": payload,
        "hostname": socket.gethostname(),
        "queue": (echo_task.request.delivery_info or {}).get("routing_key") or "",
    }
