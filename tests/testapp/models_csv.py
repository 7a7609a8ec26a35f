"""Models for the CSV tests."""

from django.db import models

__all__ = ["CsvAuthor", "CsvBook", "CsvZoo", "ShoutField"]


class CsvAuthor(models.Model):
    name = models.CharField("author name", max_length=100)


class CsvBook(models.Model):
    title = models.CharField("book title", max_length=200)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    published = models.DateField(null=True)
    stamp = models.DateTimeField(null=True)
    in_print = models.BooleanField(default=True)
    author = models.ForeignKey(CsvAuthor, on_delete=models.CASCADE, verbose_name="written by")


class ShoutField(models.CharField):
    """A custom field with from_db_value: the native path must run it per value."""

    def from_db_value(self, value, expression, connection):
        if value == "boom":
            raise ValueError("boom: a converter failed")
        return None if value is None else f"<{value.upper()}>"


class CsvZoo(models.Model):
    """Every concrete Django field type the native read path must write as the ORM path does."""

    key = models.IntegerField(unique=True)
    small = models.SmallIntegerField(null=True)
    big = models.BigIntegerField(null=True)
    pos = models.PositiveIntegerField(null=True)
    posbig = models.PositiveBigIntegerField(null=True)
    possmall = models.PositiveSmallIntegerField(null=True)
    ratio = models.FloatField(null=True)
    price = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    flag = models.BooleanField(null=True)
    title = models.CharField(max_length=200, null=True)
    body = models.TextField(null=True)
    email = models.EmailField(null=True)
    slug = models.SlugField(null=True)
    url = models.URLField(null=True)
    path = models.FilePathField(null=True)
    upload = models.FileField(null=True)
    day = models.DateField(null=True)
    stamp = models.DateTimeField(null=True)
    clock = models.TimeField(null=True)
    uid = models.UUIDField(null=True)
    blob = models.BinaryField(null=True)
    data = models.JSONField(null=True)
    ip = models.GenericIPAddressField(null=True)
    span = models.DurationField(null=True)
    shout = ShoutField(max_length=50, null=True)
    author = models.ForeignKey(CsvAuthor, null=True, on_delete=models.CASCADE)
