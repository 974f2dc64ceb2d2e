"""Summarise a py-spy raw (collapsed-stack) profile of the /feeds benchmark as text.

    /work/main/.venv/bin/python bench/profile_summary.py /tmp/feeds-profile.txt [--top 25]

Counts only samples taken while a web worker handled a request (granian's WSGI ``_runner``, or
gunicorn's ``ThreadWorker.handle`` for a profile of the previous server), so
start-up imports and idle polling do not blur the picture, and prints: the share of request time by
area (access log, Django handler, each middleware, DRF, the view, psycopg, Redis, JSON), then the
functions with the most self time and the most inclusive time.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^:()]*):?(?P<line>\d*)\)$")

# (label, substring of "file:function") — the first frame of the stack matching decides inclusive time.
AREAS = [
    ("gunicorn access log", "glogging.py:Logger.access"),
    ("granian WSGI glue (environ, response)", "granian/wsgi.py"),
    ("reclio access log", "reclio/access_log.py"),
    ("gunicorn read/parse request", "gunicorn/http/"),
    ("DRF (request wrap, negotiation, render)", "rest_framework/"),
    ("psycopg / database", "psycopg/"),
    ("Django DB layer", "django/db/"),
    ("Redis (copy reads of viewers a process does not hold, hit counting)", "redis/"),
    ("json encode/decode", "json/"),
    ("logging", "logging/__init__.py"),
    ("URL resolving", "django/urls/"),
    ("Django sessions/csrf/auth/messages middleware", "django/contrib/"),
    ("Django security/common/clickjacking middleware", "django/middleware/"),
    ("whitenoise", "whitenoise/"),
    ("Django request/response objects", "django/http/"),
    ("Django signals (request_started/finished)", "django/dispatch/"),
    # Our own code last: its callees above are counted for themselves (a frame matches one area,
    # the innermost matching frame of a sample decides).
    ("the /feeds answer itself (feeds/)", "feeds/"),
]


def parse(path: str) -> list[tuple[list[str], int]]:
    stacks = []
    with open(path) as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line:
                continue
            frames_part, _, count = line.rpartition(" ")
            frames = []
            for raw in frames_part.split(";"):
                match = FRAME.match(raw)
                if match:
                    frames.append(f"{match['file']}:{match['func']}")
            stacks.append((frames, int(count)))
    return stacks


def _handling(frame: str) -> bool:
    return "ThreadWorker.handle" in frame or (frame.startswith("granian/wsgi.py:") and frame.endswith("._runner"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    stacks = [(frames, n) for frames, n in parse(args.profile) if any(_handling(f) for f in frames)]
    total = sum(n for _, n in stacks)
    everything = sum(n for _, n in parse(args.profile))
    print(f"samples: {everything} in all, {total} while handling a request ({100 * total / max(everything, 1):.0f}%)")
    print("\nshare of request time by area (a sample counts once, for its innermost matching area):")
    areas: Counter[str] = Counter()
    for frames, n in stacks:
        for frame in reversed(frames):
            label = next((label for label, key in AREAS if key in frame), None)
            if label:
                areas[label] += n
                break
        else:
            areas["other (server loop, our code, WSGI)"] += n
    for label, n in areas.most_common():
        print(f"  {100 * n / total:5.1f}%  {label}")
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, n in stacks:
        if frames:
            self_time[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    print(f"\ntop {args.top} by self time:")
    for frame, n in self_time.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {frame}")
    print(f"\ntop {args.top} by inclusive time (below the request handler):")
    shown = 0
    for frame, n in inclusive.most_common():
        if n >= total * 0.999:  # the frames every request goes through (the worker loop itself)
            continue
        print(f"  {100 * n / total:5.1f}%  {frame}")
        shown += 1
        if shown >= args.top:
            break


if __name__ == "__main__":
    main()
