from __future__ import annotations

import uuid

import pytest

from recsys.services import engine_train, item_similar
from tests.catalog.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


def test_item_similar_returns_co_watched_titles_of_the_requested_type(fake_users):
    # given: A and B are always watched together, C with D
    a, b, c, d = (ContentItemFactory.create(title=t) for t in "ABCD")
    show = ContentItemFactory.create(media_type="tv", title="S")
    for _ in range(4):
        user = str(uuid.uuid4())
        for item in (a, b, show):
            fake_users.add(user, item.item_id)
        other = str(uuid.uuid4())
        for item in (c, d):
            fake_users.add(other, item.item_id)
    engine_train()
    # when
    similar = item_similar(item_id=a.item_id, count=3, media_type="movie")
    # then
    assert similar[0].item_id == b.item_id
    assert similar[0].source == "cf"
    assert similar[0].reason == "watched together with A"
    assert show.item_id not in {s.item_id for s in similar}


def test_item_similar_falls_back_to_content_for_titles_without_co_watches(fake_users):
    a = ContentItemFactory.create(title="A", embedding=[1, 0])
    near = ContentItemFactory.create(title="Near", embedding=[0.9, 0.1])
    ContentItemFactory.create(title="Far", embedding=[0, 1])
    fake_users.add(str(uuid.uuid4()), near.item_id)
    engine_train()
    similar = item_similar(item_id=a.item_id, count=1)
    assert [(s.item_id, s.source, s.reason) for s in similar] == [(near.item_id, "content", "similar to A")]


def test_item_similar_is_empty_when_the_backend_is_unavailable():
    assert item_similar(item_id="movie_1", count=5) == []
