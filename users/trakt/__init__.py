"""The Trakt API v2 client (``client``), its parsed records (``types``) and write pacing."""
