"""On the real TMDB catalog, the local model's neighbours of well-known films are sensible.

The pairs were checked by hand on the 3,000 most popular movies of tmdb-movies.csv (rank of each in
the other's list with all-MiniLM-L6-v2; on the 2,000 the test loads, ranks can only be better):
Toy Story/Toy Story 2 1/1, The Dark Knight/Batman Begins 2/2, Alien/Aliens 4/2, The Godfather/Part II 2/2,
Shrek/Shrek 2 1/2, Iron Man/Iron Man 2 1/1, Harry Potter 1/2 2/5, The Fellowship of the Ring/The Two Towers 3/2,
Star Wars/The Empire Strikes Back 1/3, Before Sunrise/Before Sunset 1/1,
The Matrix/Reloaded 2/2, Ice Age/The Meltdown 1/1.
Not every "vibe" pair works with this small model: Memento/Mulholland Drive rank in the hundreds
(see docs/design/embeddings.md).
"""

from __future__ import annotations

import pytest

from catalog.embedding import registry
from catalog.embedding.selectors import item_neighbours, similarity_dimension_forget
from catalog.embedding.services import catalog_embeddings_refresh
from catalog.models import ContentItem
from reclio.settings.providers import EmbeddingProviderName
from tests.catalog.embedding.tmdb_data import tmdb_movie_rows

pytestmark = [pytest.mark.django_db, pytest.mark.dataset, pytest.mark.slow]

CATALOG_SIZE = 2000
PAIRS = [
    ("Toy Story", "Toy Story 2"),
    ("The Dark Knight", "Batman Begins"),
    ("Alien", "Aliens"),
    ("The Godfather", "The Godfather: Part II"),
    ("Shrek", "Shrek 2"),
    ("Iron Man", "Iron Man 2"),
    ("Harry Potter and the Philosopher's Stone", "Harry Potter and the Chamber of Secrets"),
    ("The Lord of the Rings: The Fellowship of the Ring", "The Lord of the Rings: The Two Towers"),
    ("Star Wars", "The Empire Strikes Back"),
    ("Before Sunrise", "Before Sunset"),
    ("The Matrix", "The Matrix Reloaded"),
    ("Ice Age", "Ice Age: The Meltdown"),
]
UNRELATED = [("Toy Story", "The Godfather"), ("Saw", "Finding Nemo")]


def test_well_known_pairs_rank_in_each_others_top_20(shared_data_dir, settings):
    # given a few thousand real movies, embedded by the local model through the service
    settings.EMBEDDING_PROVIDER_RESOLVED = EmbeddingProviderName.LOCAL
    registry.get_embedding_provider_forget()
    ContentItem.objects.bulk_create(ContentItem(**row) for row in tmdb_movie_rows(shared_data_dir, limit=CATALOG_SIZE))
    report = catalog_embeddings_refresh(batch_size=256)
    similarity_dimension_forget()
    ids = dict(ContentItem.objects.values_list("title", "item_id"))

    def top20(title: str) -> list[str]:
        return [n.item_id for n in item_neighbours(item_id=ids[title], k=20)]

    # then
    assert report.embedded == CATALOG_SIZE
    for a, b in PAIRS:
        assert ids[b] in top20(a), f"{b} not in the top 20 of {a}"
        assert ids[a] in top20(b), f"{a} not in the top 20 of {b}"
    for a, b in UNRELATED:
        assert ids[b] not in top20(a)
