"""Local stand-ins for TMDB and Trakt: real HTTP servers on 127.0.0.1 for the keyless demo, the
end-to-end test and the drills. No Reclio app imports this package; the real clients reach it only
through their base-URL settings (``TMDB_BASE_URL``, ``TRAKT_API_URL``, ``TRAKT_AUTHORIZE_URL``).

Run both with ``python -m sandbox serve --world world.json`` and point Reclio at them with the
credentials below (the servers accept nothing else).
"""

from __future__ import annotations

# Fixed, public sandbox credentials: they open nothing but the local stand-ins.
SANDBOX_TMDB_API_KEY = "sandbox-tmdb-api-key"
SANDBOX_TRAKT_CLIENT_ID = "sandbox-trakt-client-id"
SANDBOX_TRAKT_CLIENT_SECRET = "sandbox-trakt-client-secret"  # noqa: S105 - a public sandbox constant
