"""Models used by the benchmarks (created with the schema editor, no migrations)."""

from __future__ import annotations

from django.db import connections, models


class BenchRow(models.Model):
    """Eight mixed fields, as in a typical report or import table."""

    number = models.IntegerField()
    title = models.CharField(max_length=200)
    ratio = models.FloatField()
    price = models.DecimalField(max_digits=12, decimal_places=2)
    day = models.DateField()
    stamp = models.DateTimeField()
    note = models.CharField(max_length=100, null=True)
    active = models.BooleanField()

    class Meta:
        app_label = "djfast_bench"


def recreate_table(model: type[models.Model], using: str = "default") -> None:
    """Drop and create ``model``'s table (an empty table for each timed repeat)."""
    connection = connections[using]
    with connection.schema_editor() as editor:
        if model._meta.db_table in connection.introspection.table_names():
            editor.delete_model(model)
        editor.create_model(model)


class BenchSync(models.Model):
    """BenchRow's fields with a natural key (``number`` unique): the table that the update and
    upsert benchmarks sync (its own table, so the insert benchmark's runs never clash)."""

    number = models.IntegerField(unique=True)
    title = models.CharField(max_length=200)
    ratio = models.FloatField()
    price = models.DecimalField(max_digits=12, decimal_places=2)
    day = models.DateField()
    stamp = models.DateTimeField()
    note = models.CharField(max_length=100, null=True)
    active = models.BooleanField()

    class Meta:
        app_label = "djfast_bench"


class CsvBenchRow(models.Model):
    """BenchRow's eight columns in a table of their own for the CSV export benchmarks, so a
    bulk benchmark recreating BenchRow's table at the same time cannot empty it."""

    number = models.IntegerField()
    title = models.CharField(max_length=200)
    ratio = models.FloatField()
    price = models.DecimalField(max_digits=12, decimal_places=2)
    day = models.DateField()
    stamp = models.DateTimeField()
    note = models.CharField(max_length=100, null=True)
    active = models.BooleanField()

    class Meta:
        app_label = "djfast_bench"
