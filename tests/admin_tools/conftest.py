from __future__ import annotations

# The re-embedding views are tested with the catalog's fake embedding provider; importing the fixture
# here shares it with every admin_tools test module.
from tests.catalog.embedding.conftest import fake_provider, use_provider  # noqa: F401
