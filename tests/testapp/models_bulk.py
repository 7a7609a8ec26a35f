"""Models for the bulk-insert tests: a zoo of every field type BulkInserter prepares in C,
plus fields that go through Django's own get_db_prep_save (JSON, IP address, duration)."""

from __future__ import annotations

import django
from django.db import models

__all__ = [
    "BulkAuthor",
    "BulkDbDefault",
    "BulkDoc",
    "BulkFast",
    "BulkPlain",
    "BulkPlainProxy",
    "BulkTag",
    "BulkUAuthor",
    "BulkZoo",
]

CALLS = {"label": 0}


def default_label() -> str:
    """A callable default: Django calls it once per row."""
    CALLS["label"] += 1
    return "from-callable"


class BulkAuthor(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        app_label = "testapp"


class BulkUAuthor(models.Model):
    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=100)

    class Meta:
        app_label = "testapp"


class BulkZoo(models.Model):
    key = models.IntegerField(unique=True)  # natural key for comparisons
    small = models.SmallIntegerField(null=True)
    big = models.BigIntegerField(null=True)
    pos = models.PositiveIntegerField(null=True)
    posbig = models.PositiveBigIntegerField(null=True)
    possmall = models.PositiveSmallIntegerField(null=True)
    ratio = models.FloatField(null=True)
    price = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    flag = models.BooleanField(null=True)
    title = models.CharField(max_length=200, default="untitled")
    body = models.TextField(blank=True)
    email = models.EmailField(null=True)
    slug = models.SlugField(null=True)
    url = models.URLField(null=True)
    day = models.DateField(null=True)
    stamp = models.DateTimeField(null=True)
    clock = models.TimeField(null=True)
    uid = models.UUIDField(null=True)
    blob = models.BinaryField(null=True)
    data = models.JSONField(null=True)
    ip = models.GenericIPAddressField(null=True)
    span = models.DurationField(null=True)
    author = models.ForeignKey(BulkAuthor, null=True, on_delete=models.CASCADE)
    uauthor = models.ForeignKey(BulkUAuthor, null=True, on_delete=models.CASCADE)
    label = models.CharField(max_length=40, default=default_label)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    born = models.DateField(auto_now_add=True)

    class Meta:
        app_label = "testapp"


class BulkFast(models.Model):
    """Only column types with an exact PostgreSQL binary COPY form (binary COPY is used)."""

    key = models.IntegerField(unique=True)
    small = models.SmallIntegerField(null=True)
    big = models.BigIntegerField(null=True)
    ratio = models.FloatField(null=True)
    price = models.DecimalField(max_digits=14, decimal_places=5, null=True)
    flag = models.BooleanField(null=True)
    title = models.CharField(max_length=200, default="untitled")
    body = models.TextField(blank=True)
    day = models.DateField(null=True)
    stamp = models.DateTimeField(null=True)
    clock = models.TimeField(null=True)
    uid = models.UUIDField(null=True)
    blob = models.BinaryField(null=True)
    author = models.ForeignKey(BulkAuthor, null=True, on_delete=models.CASCADE)
    uauthor = models.ForeignKey(BulkUAuthor, null=True, on_delete=models.CASCADE)
    label = models.CharField(max_length=40, default=default_label)

    class Meta:
        app_label = "testapp"


class BulkPlain(models.Model):
    """A small table for the error-contract tests."""

    code = models.CharField(max_length=20, unique=True)
    qty = models.IntegerField(default=0)

    class Meta:
        app_label = "testapp"


class BulkPlainProxy(BulkPlain):
    """A proxy: bulk_create accepts it (same concrete model), so does BulkInserter."""

    class Meta:
        app_label = "testapp"
        proxy = True


class UpperCharField(models.CharField):
    """A field with its own pre_save: rows must go through model instances."""

    def pre_save(self, model_instance, add):
        value = (getattr(model_instance, self.attname) or "").upper()
        setattr(model_instance, self.attname, value)
        return value


class BulkDoc(models.Model):
    code = models.CharField(max_length=20, unique=True)
    shout = UpperCharField(max_length=40, default="quiet")
    attachment = models.FileField(upload_to="bulk", blank=True)
    author = models.ForeignKey(BulkAuthor, null=True, on_delete=models.CASCADE)
    stamp = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "testapp"


class BulkTag(BulkPlain):
    """Multi-table inheritance: bulk_create refuses it, so does BulkInserter."""

    colour = models.CharField(max_length=10)

    class Meta:
        app_label = "testapp"


if django.VERSION >= (5, 0):

    class BulkDbDefault(models.Model):
        code = models.CharField(max_length=20, unique=True)
        score = models.IntegerField(db_default=42)
        note = models.CharField(max_length=20, db_default="db-note")

        class Meta:
            app_label = "testapp"

else:  # pragma: no cover - Django 4.2 has no db_default
    BulkDbDefault = None
