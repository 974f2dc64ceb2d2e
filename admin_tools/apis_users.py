"""Operator endpoints for viewers (X-Admin-Token): status, sync now, rewrite lists now.

| method | path                                   | what                                          |
|--------|----------------------------------------|-----------------------------------------------|
| GET    | /admin/users/<uuid>                    | connection, sync cadence, counts, list states |
| POST   | /admin/users/<uuid>/sync               | queue a Trakt sync (``{"full": true}`` to reconcile) |
| POST   | /admin/users/<uuid>/lists/rewrite      | ask feeds to rebuild rows and rewrite lists   |
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from admin_tools.apis import AdminApiView
from reclio.exceptions import NotFoundError
from users import selectors, services


def _user_or_404(user_id: str):  # type: ignore[no-untyped-def]
    user = selectors.user_get(user_id=user_id)
    if user is None:
        raise NotFoundError(f"no user {user_id}")
    return user


class AdminUserStatusApi(AdminApiView):
    @extend_schema_serializer(component_name="AdminUserManagedList")
    class ListSerializer(serializers.Serializer):
        key = serializers.CharField()
        name = serializers.CharField()
        trakt_list_id = serializers.IntegerField(allow_null=True)
        item_count = serializers.IntegerField()
        last_written_at = serializers.DateTimeField(allow_null=True)
        state = serializers.CharField()
        detail = serializers.CharField()

    @extend_schema_serializer(component_name="AdminUserStatus")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        trakt_username = serializers.CharField()
        connection_state = serializers.CharField()
        connection_detail = serializers.CharField()
        token_expires_at = serializers.DateTimeField(allow_null=True)
        last_history_sync = serializers.DateTimeField(allow_null=True)
        last_full_sync = serializers.DateTimeField(allow_null=True)
        next_sync_at = serializers.DateTimeField(allow_null=True)
        sync_bucket = serializers.CharField()
        last_sync_error = serializers.CharField()
        feed_hits_per_day = serializers.FloatField()
        list_limit = serializers.IntegerField(allow_null=True)
        list_item_limit = serializers.IntegerField(allow_null=True)
        interactions = serializers.DictField(child=serializers.IntegerField())
        lists = serializers.ListField(child=serializers.DictField())  # AdminUserManagedList objects

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, user_id: str) -> Response:
        user = _user_or_404(user_id)
        lists = [self.ListSerializer(state).data for state in selectors.user_managed_lists(user_id=user.pk).values()]
        payload = {
            **{name: getattr(user, name) for name in self.OutputSerializer().fields.keys() if hasattr(user, name)},
            "interactions": selectors.user_interaction_counts(user_id=user.pk),
            "lists": lists,
        }
        return Response(self.OutputSerializer(payload).data)


class AdminUserSyncApi(AdminApiView):
    @extend_schema_serializer(component_name="AdminUserSyncRequest")
    class InputSerializer(serializers.Serializer):
        full = serializers.BooleanField(default=False)

    @extend_schema(request=InputSerializer, responses={202: None})
    def post(self, request: Request, user_id: str) -> Response:
        user = _user_or_404(user_id)
        data = self.input_validated(self.InputSerializer, request.data)
        services.users_sync_enqueue(user_ids=[str(user.pk)], full=data["full"])
        return Response({"queued": "sync", "user_id": str(user.pk)}, status=status.HTTP_202_ACCEPTED)


class AdminUserListsRewriteApi(AdminApiView):
    @extend_schema(request=None, responses={202: None})
    def post(self, request: Request, user_id: str) -> Response:
        user = _user_or_404(user_id)
        services.user_lists_rewrite_request(user_ids=[str(user.pk)])
        return Response({"queued": "lists_rewrite", "user_id": str(user.pk)}, status=status.HTTP_202_ACCEPTED)
