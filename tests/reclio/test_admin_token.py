from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_admin_api_disabled_without_token(api_client, settings):
    settings.ADMIN_TOKEN = None
    response = api_client.get("/admin/status", HTTP_X_ADMIN_TOKEN="anything")
    assert response.status_code == 503
    assert "admin endpoints disabled" in response.json()["detail"]


@pytest.mark.parametrize("header", [None, "", "wrong", "test-admin-token-but-longer"])
def test_admin_api_rejects_missing_or_wrong_token(api_client, header):
    extra = {} if header is None else {"HTTP_X_ADMIN_TOKEN": header}
    response = api_client.get("/admin/status", **extra)
    assert response.status_code == 401


def test_admin_api_accepts_right_token(admin_api_client):
    response = admin_api_client.get("/admin/status")
    assert response.status_code == 200
    body = response.json()
    assert body["providers"]["recommender"] == "local"
    assert body["health"]["checks"]["database"]["ok"] is True


def test_bare_admin_path_leads_browsers_to_the_django_admin(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url == "/staff/"
    assert client.get("/staff/login/").status_code == 200


def test_django_admin_index_loads_for_staff(admin_client):
    assert admin_client.get("/staff/").status_code == 200


def test_operator_api_and_django_admin_live_apart():
    from django.contrib import admin
    from django.urls import get_resolver

    resolver = get_resolver()
    assert resolver.resolve("/admin/status").namespace == "admin_api"
    for model in admin.site._registry:
        match = resolver.resolve(f"/staff/{model._meta.app_label}/{model._meta.model_name}/")
        assert match.namespace == "admin"


def test_api_docs_and_schema_load(client):
    assert client.get("/api/docs/").status_code == 200
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/health" in schema.content
