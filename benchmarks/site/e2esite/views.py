"""The endpoints. Each view serves both configurations; ``settings.E2E_CONFIG`` picks the stock
Django way ("django") or djfast's ("djfast") where they differ (CSV export, bulk POST). Response
compression is the middleware's job (settings.MIDDLEWARE), so the page and JSON views are shared.
"""

from __future__ import annotations

import csv
import datetime
import functools
import itertools
import json
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import cache_page
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from e2esite import data
from e2esite.models import FIELDS, Order, Upload

EXPORT_ROWS = 100_000
UNIQUE_MARK = "request-id"  # the unique page differs from the cached one only in this meta tag
_counter = itertools.count()


def _page(request_id: str, visitor: str) -> str:
    orders = Order.objects.order_by("id")[: data.PAGE_ROWS]
    links = [{"url": f"/section/{i}/", "name": f"Section {i}"} for i in range(12)]
    context = {"title": "Orders", "orders": orders, "links": links}
    return render_to_string(
        "e2esite/orders.html", {**context, "request_id": request_id, "visitor": visitor}
    )


@cache_page(3600)
def cached_page(request: Any) -> HttpResponse:
    """The 112 KB page behind @cache_page: rendered once per process, served from the cache."""
    return HttpResponse(_page("cached", "guest"))


@functools.cache
def _page_parts() -> tuple[str, str]:
    # A personalised page whose fragments are cached: the rendering is done once, and every
    # response differs in its request id (what a CSRF token or a user name does to a page).
    marker = "\x00E2E-REQUEST-ID\x00"
    head, tail = _page(marker, "guest").split(marker)
    return head, tail


def unique_page(request: Any) -> HttpResponse:
    """The same page with a body no other response has."""
    head, tail = _page_parts()
    return HttpResponse(f"{head}{uuid.uuid4().hex}-{next(_counter)}{tail}")


def api_big(request: Any) -> JsonResponse:
    """A 1 MB JSON API response, serialised per request."""
    return JsonResponse(data.big_payload())


def api_small(request: Any) -> JsonResponse:
    """A 2 KB JSON API response, serialised per request."""
    return JsonResponse(data.small_payload())


class Echo:
    """An object that implements just the write method of the file-like interface."""

    def write(self, value: str) -> str:
        """Write the value by returning it, instead of storing in a buffer."""
        return value


def _export_queryset(request: Any) -> Any:
    try:
        limit = int(request.GET.get("rows", EXPORT_ROWS))
    except ValueError:
        limit = EXPORT_ROWS
    return Order.objects.order_by("id")[: max(0, min(limit, EXPORT_ROWS))]


def export_csv(request: Any) -> StreamingHttpResponse:
    """A streamed CSV export of (by default) 100k orders from the database."""
    queryset = _export_queryset(request)
    if settings.E2E_CONFIG == "djfast":
        from djfast.csv import StreamingCSV

        return StreamingCSV(queryset, fields=FIELDS, header=FIELDS, filename="orders.csv")
    # Django's docs recipe ("Streaming large CSV files"), over the same rows.
    writer = csv.writer(Echo())
    rows = itertools.chain([FIELDS], queryset.values_list(*FIELDS).iterator())
    return StreamingHttpResponse(
        (writer.writerow(row) for row in rows),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
    )


def _typed(row: list[Any]) -> tuple[Any, ...]:
    number, customer, email, total, ratio, placed, day, note, status, active = row
    return (
        int(number),
        customer,
        email,
        Decimal(total),
        float(ratio),
        datetime.datetime.fromisoformat(placed),
        datetime.date.fromisoformat(day),
        note,
        status,
        bool(active),
    )


@csrf_exempt
@require_POST
def bulk(request: Any) -> HttpResponse:
    """POST {"rows": [[...10 values in models.FIELDS order...], ...]}: insert them, say how many."""
    try:
        rows = [_typed(row) for row in json.loads(request.body)["rows"]]
    except (ValueError, KeyError, TypeError) as exc:
        return HttpResponseBadRequest(f"bad payload: {exc}")
    if settings.E2E_CONFIG == "djfast":
        from djfast.bulk import BulkInserter

        with BulkInserter(Upload, fields=FIELDS) as ins:
            ins.add_many(rows)
        count = ins.count
    else:
        count = len(Upload.objects.bulk_create([Upload(**dict(zip(FIELDS, r))) for r in rows]))
    return JsonResponse({"inserted": count})
