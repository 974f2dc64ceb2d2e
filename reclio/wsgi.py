from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reclio.settings.base")
# Before settings are read: web processes get the short database timeouts (settings/base.py).
os.environ.setdefault("RECLIO_PROCESS_ROLE", "web")

application = get_wsgi_application()
