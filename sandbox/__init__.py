"""Local stand-ins for TMDB and Trakt: real HTTP servers on 127.0.0.1 for the keyless demo, the
end-to-end test and the drills. No Reclio app imports this package; the real clients reach it only
through their base-URL settings (``TMDB_API_URL``, ``TRAKT_API_URL``, ...)."""
