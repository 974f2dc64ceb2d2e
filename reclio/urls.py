"""URL root.

| path                | what                                                            |
|---------------------|-----------------------------------------------------------------|
| /manifest, /feeds   | ChillLink endpoints called by Chillio (feeds app)                |
| /connect/trakt      | connect a viewer's Trakt account (OAuth redirect flow; users app) |
| /health             | liveness JSON, cheap and cached (deep checks: /admin/health)     |
| /admin/<operation>  | operator API, X-Admin-Token header (admin_tools app)             |
| /admin/             | redirects browsers to the Django admin site                      |
| /staff/             | the Django admin site (catalog rows, users, beat schedules…)      |
| /staff/operations/  | the Operations page: health, queues, syncs, engine, hit rate     |
| /api/schema/, /api/docs/ | OpenAPI schema and Swagger UI (drf-spectacular)              |

The Django admin is mounted at /staff/ rather than /admin/ because its URLs are
/admin/<app_label>/… and our operator paths (e.g. /admin/users/<id>/sync on the roadmap) would
collide with app labels such as `users`.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

# JSON outside the Django admin: API clients never get an HTML error page.
handler404 = "reclio.exceptions.page_not_found"

admin.site.site_header = "Reclio administration"
admin.site.site_title = "Reclio admin"
# The admin index links the Operations page (admin_tools/templates/admin/reclio_index.html).
admin.site.index_template = "admin/reclio_index.html"

urlpatterns = [
    path("", include("admin_tools.health_urls")),
    path("connect/", include("users.urls")),
    # ChillLink: /, /manifest and /feeds (the addon URL is {BASE_URL}/?user_id=<uuid>).
    path("", include("feeds.urls")),
    path("admin/", RedirectView.as_view(url="/staff/", permanent=False), name="admin-redirect"),
    path("admin/", include("admin_tools.urls")),
    # Before the admin site's own catch-all; admin_view makes it staff-only like every admin page.
    path("staff/operations/", include("admin_tools.operations_urls")),
    path("staff/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
