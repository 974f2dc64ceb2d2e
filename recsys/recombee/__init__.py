"""Recombee integration: client (``client``/``sdk``), schema, pushes with cursors, diagnosis.

The backend class that answers the ``RecommenderBackend`` contract is ``recsys.backends.recombee``.
Nothing here imports the SDK at import time: ``sdk`` is imported lazily so a missing package
becomes the ``sdk_missing`` verdict instead of an import crash.
"""

from __future__ import annotations
