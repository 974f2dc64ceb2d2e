from __future__ import annotations

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reclio.settings.base")
# Before settings are read: web processes get the short database timeouts (settings/base.py).
os.environ.setdefault("RECLIO_PROCESS_ROLE", "web")

_django = get_wsgi_application()  # sets Django up: the feeds app can be imported from here on

from feeds.wsgi import FeedsFirst  # noqa: E402 - needs the apps loaded
from reclio.access_log import AccessLog  # noqa: E402

# /feeds, most of the traffic, is answered in front of Django's handler (feeds/wsgi.py).
application = FeedsFirst(_django)

# What the production web server runs (reclio.services.web_server_argv): the access log is the
# application's, redacted (granian's own would write viewer ids).
served = AccessLog(application) if settings.ACCESS_LOG else application
