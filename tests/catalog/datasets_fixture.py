"""Tiny hand-written copies of the shared datasets' formats (CRLF, quoted commas, JSON columns)."""

from __future__ import annotations

import json
from pathlib import Path

MOVIES = (
    "movieId,title,genres\r\n"
    "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\r\n"
    '2,"American President, The (1995)",Comedy|Drama|Romance\r\n'
    "3,Obscure Film (1931),Film-Noir|Mystery\r\n"
    "4,No Link (2001),Drama\r\n"
    "5,Toy Story again (1995),Animation\r\n"
)
LINKS = "movieId,imdbId,tmdbId\r\n1,0114709,862\r\n2,0112346,9087\r\n3,0000001,77777\r\n4,0000002,\r\n5,0114709,862\r\n"
TMDB_MOVIES_HEADER = (
    "id,imdb_id,popularity,budget,revenue,original_title,cast,homepage,director,tagline,keywords,overview,runtime,"
    "genres,production_companies,release_date,vote_count,vote_average,release_year,budget_adj,revenue_adj\r\n"
)
TMDB_MOVIES = TMDB_MOVIES_HEADER + (
    "862,tt0114709,2.5,0,0,Toy Story,Tom Hanks|Tim Allen|Don Rickles|Jim Varney|Wallace Shawn|John Ratzenberger,,"
    'John Lasseter,,toy|friendship,"Led by Woody, Andy\'s toys live happily.",81,Animation|Comedy|Family,Pixar,'
    "10/30/95,3000,7.7,1995,0,0\r\n"
    "9087,tt0112346,0.8,0,0,The American President,Michael Douglas|Annette Bening,,Rob Reiner,Why can't the most "
    "powerful man in the world have the one thing he wants most?,president|widower,A widowed president falls in "
    "love.,106,Comedy|Drama|Romance,Castle Rock,11/17/95,120,6.5,1995,0,0\r\n"
)
TMDB5000_HEADER = (
    "budget,genres,homepage,id,keywords,original_language,original_title,overview,popularity,production_companies,"
    "production_countries,release_date,revenue,runtime,spoken_languages,status,tagline,title,vote_average,vote_count\r\n"
)


def _csv_json(value: object) -> str:
    return '"' + json.dumps(value).replace('"', '""') + '"'


TMDB5000 = TMDB5000_HEADER + (
    "30000000,"
    + _csv_json([{"id": 16, "name": "Animation"}, {"id": 35, "name": "Comedy"}, {"id": 10751, "name": "Family"}])
    + ",,862,"
    + _csv_json([{"id": 931, "name": "jealousy"}, {"id": 4290, "name": "toy"}, {"id": 5202, "name": "boy"}])
    + ',en,Toy Story,"Led by Woody, Andy\'s toys live happily in his room.",21.9,[],[],1995-10-30,0,81,[],Released,,'
    "Toy Story,7.7,5415\r\n"
)
NETFLIX = (
    "show_id,type,title,director,cast,country,date_added,release_year,rating,duration,listed_in,description\r\n"
    's1,Movie,Dick Johnson Is Dead,Kirsten Johnson,,United States,"September 25, 2021",2020,PG-13,90 min,'
    "Documentaries,A daughter stages her father's death.\r\n"
    's2,TV Show,Blood & Water,,"Ama Qamata, Khosi Ngema",South Africa,"September 24, 2021",2021,TV-MA,2 Seasons,'
    '"International TV Shows, TV Dramas, TV Mysteries","A Cape Town teen looks for her sister."\r\n'
)


def write_datasets(root: Path) -> Path:
    (root / "movielens-small").mkdir(parents=True)
    (root / "tmdb").mkdir()
    (root / "netflix-titles").mkdir()
    (root / "movielens-small" / "movies.csv").write_bytes(MOVIES.encode())
    (root / "movielens-small" / "links.csv").write_bytes(LINKS.encode())
    (root / "tmdb" / "tmdb-movies.csv").write_bytes(TMDB_MOVIES.encode())
    (root / "tmdb" / "tmdb_5000_movies.csv").write_bytes(TMDB5000.encode())
    (root / "netflix-titles" / "netflix_titles.csv").write_bytes(NETFLIX.encode())
    return root
