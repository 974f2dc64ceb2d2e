"""``python -m sandbox serve --world world.json``: the TMDB and Trakt stand-ins until SIGTERM/SIGINT.

Prints one line per server, ``TMDB_BASE_URL=<url>`` and ``TRAKT_API_URL=<url>`` (the settings to
point Reclio at; the OAuth page is ``<TRAKT_API_URL>/oauth/authorize``), then serves. State lives in
memory only: nothing is written to any database or file.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from sandbox import SANDBOX_TMDB_API_KEY, SANDBOX_TRAKT_CLIENT_ID, SANDBOX_TRAKT_CLIENT_SECRET
from sandbox.tmdb import FakeTmdb, FakeTmdbServer
from sandbox.trakt import FakeTrakt
from sandbox.world import World, world_load


def servers_build(
    *, world: World, host: str = "127.0.0.1", tmdb_port: int = 0, trakt_port: int = 0, tmdb_rate_limit: float = 0.0
) -> tuple[FakeTmdbServer, FakeTrakt]:
    """Both stand-ins, loaded with ``world`` and accepting the sandbox credentials (not started)."""
    tmdb = FakeTmdb(api_key=SANDBOX_TMDB_API_KEY, bearer=SANDBOX_TMDB_API_KEY, requests_per_second=tmdb_rate_limit)
    tmdb.world_load(world)
    trakt = FakeTrakt(
        enforce_write_rate=True,
        read_limit=1000,
        client_id=SANDBOX_TRAKT_CLIENT_ID,
        client_secret=SANDBOX_TRAKT_CLIENT_SECRET,
        host=host,
        port=trakt_port,
    )
    trakt.verification_url = f"{trakt.url}/activate"
    trakt.fixed_user_code = None
    trakt.world_load(world)
    return FakeTmdbServer(tmdb, host=host, port=tmdb_port), trakt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the TMDB and Trakt stand-ins")
    serve.add_argument("--world", type=Path, required=True, help="a world JSON written by sandbox.world.world_dump")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--tmdb-port", type=int, default=0, help="0 = any free port")
    serve.add_argument("--trakt-port", type=int, default=0, help="0 = any free port")
    serve.add_argument(
        "--tmdb-rate-limit", type=float, default=40.0, help="TMDB requests per second before 429 (0 = none)"
    )
    args = parser.parse_args(argv)

    tmdb, trakt = servers_build(
        world=world_load(args.world),
        host=args.host,
        tmdb_port=args.tmdb_port,
        trakt_port=args.trakt_port,
        tmdb_rate_limit=args.tmdb_rate_limit,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with tmdb, trakt:
        print(f"TMDB_BASE_URL={tmdb.base_url}", flush=True)  # noqa: T201 - scripts read these lines
        print(f"TRAKT_API_URL={trakt.url}", flush=True)  # noqa: T201
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
