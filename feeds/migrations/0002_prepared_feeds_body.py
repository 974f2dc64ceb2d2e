"""PreparedFeeds.body: the /feeds response as ready-to-send bytes, back-filled from ``feeds``."""

from __future__ import annotations

from django.db import migrations, models


def bodies_fill(apps, schema_editor):
    from feeds.documents import document_body

    prepared = apps.get_model("feeds", "PreparedFeeds")
    batch = []
    for row in prepared.objects.only("user_id", "feeds").iterator(chunk_size=500):
        row.body = document_body(row.feeds)
        batch.append(row)
        if len(batch) >= 500:
            prepared.objects.bulk_update(batch, ["body"])
            batch = []
    if batch:
        prepared.objects.bulk_update(batch, ["body"])


class Migration(migrations.Migration):
    dependencies = [("feeds", "0001_prepared_feeds")]

    operations = [
        migrations.AddField(
            model_name="preparedfeeds",
            name="body",
            field=models.BinaryField(blank=True, default=b"", editable=False),
        ),
        migrations.RunPython(bodies_fill, migrations.RunPython.noop, elidable=True),
    ]
