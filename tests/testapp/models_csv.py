"""Models for the CSV tests."""

from django.db import models

__all__ = ["CsvAuthor", "CsvBook"]


class CsvAuthor(models.Model):
    name = models.CharField("author name", max_length=100)


class CsvBook(models.Model):
    title = models.CharField("book title", max_length=200)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    published = models.DateField(null=True)
    stamp = models.DateTimeField(null=True)
    in_print = models.BooleanField(default=True)
    author = models.ForeignKey(CsvAuthor, on_delete=models.CASCADE, verbose_name="written by")
