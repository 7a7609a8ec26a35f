"""The site's tables: orders (the CSV export reads 100k of them) and the bulk POST target."""

from __future__ import annotations

from django.db import models


class Order(models.Model):
    """Nine mixed fields, as a shop's order table or a report has them."""

    number = models.IntegerField()
    customer = models.CharField(max_length=100)
    email = models.CharField(max_length=100)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    ratio = models.FloatField()
    placed = models.DateTimeField()
    day = models.DateField()
    note = models.CharField(max_length=200, null=True)
    status = models.CharField(max_length=20)
    active = models.BooleanField()

    class Meta:
        app_label = "e2esite"


class Upload(models.Model):
    """Rows written by the bulk POST endpoint (same columns as Order)."""

    number = models.IntegerField()
    customer = models.CharField(max_length=100)
    email = models.CharField(max_length=100)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    ratio = models.FloatField()
    placed = models.DateTimeField()
    day = models.DateField()
    note = models.CharField(max_length=200, null=True)
    status = models.CharField(max_length=20)
    active = models.BooleanField()

    class Meta:
        app_label = "e2esite"


FIELDS = [
    "number",
    "customer",
    "email",
    "total",
    "ratio",
    "placed",
    "day",
    "note",
    "status",
    "active",
]
