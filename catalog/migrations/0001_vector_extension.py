from __future__ import annotations

from django.db import migrations
from pgvector.django import VectorExtension


class Migration(migrations.Migration):
    """pgvector must exist before any vector column; created here so a fresh database needs no manual step."""

    dependencies = []
    operations = [VectorExtension()]
