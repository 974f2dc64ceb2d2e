"""GET /admin/similar/<item_id>: a title and its embedding neighbours (catalog sanity check).

``<item_id>`` is ours (``movie_603``) or a bare TMDB id with ``?media_type=movie|tv``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from admin_tools.apis import AdminApiView
from catalog.contracts import MediaType, item_id_make
from catalog.selectors import item_neighbours, items_by_ids, similarity_dimension
from reclio.exceptions import NotFoundError


class SimilarTitleSerializer(serializers.Serializer):
    item_id = serializers.CharField()
    title = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    media_type = serializers.CharField()


class SimilarNeighbourSerializer(SimilarTitleSerializer):
    score = serializers.FloatField(help_text="cosine similarity to the seed")


class AdminSimilarItemsApi(AdminApiView):
    """The seed title and its nearest titles by embedding, with cosine scores."""

    class InputSerializer(serializers.Serializer):
        k = serializers.IntegerField(min_value=1, max_value=100, default=12)
        media_type = serializers.ChoiceField(choices=MediaType.values, required=False)

    @extend_schema_serializer(component_name="AdminSimilarItems")
    class OutputSerializer(serializers.Serializer):
        seed = SimilarTitleSerializer()
        embedding_model = serializers.CharField(allow_blank=True)
        dimension = serializers.IntegerField(allow_null=True, help_text="vector size similarity uses now")
        neighbours = SimilarNeighbourSerializer(many=True)

    @extend_schema(
        parameters=[InputSerializer, OpenApiParameter("item_id", str, OpenApiParameter.PATH)],
        responses={200: OutputSerializer},
    )
    def get(self, request: Request, item_id: str) -> Response:
        params = self.input_validated(self.InputSerializer, request.query_params)
        if item_id.isdigit():
            # A bare TMDB id (/admin/similar/603?media_type=movie): TMDB numbers movies and shows apart.
            if "media_type" not in params:
                raise ValidationError({"media_type": ["required with a bare TMDB id: movie or tv"]})
            item_id = item_id_make(media_type=params["media_type"], tmdb_id=int(item_id))
        seed = items_by_ids(item_ids=[item_id]).get(item_id)
        if seed is None:
            raise NotFoundError(f"no catalog item {item_id!r}")
        neighbours = item_neighbours(item_id=item_id, k=params["k"], media_type=params.get("media_type"))
        titles = items_by_ids(item_ids=[n.item_id for n in neighbours])
        payload = {
            "seed": seed,
            "embedding_model": seed.embedding_model,
            "dimension": similarity_dimension(),
            "neighbours": [
                {
                    "item_id": n.item_id,
                    "title": titles[n.item_id].title,
                    "year": titles[n.item_id].year,
                    "media_type": titles[n.item_id].media_type,
                    "score": round(n.score, 4),
                }
                for n in neighbours
                if n.item_id in titles
            ],
        }
        return Response(self.OutputSerializer(payload).data)
