"""Deterministic data for the site: order rows, the 112 KB page's rows, the JSON API payloads.

Every process builds the same data from fixed seeds, so the stock Django and djfast
configurations serve byte-equal (decoded) bodies and the tests can compare them.
"""

from __future__ import annotations

import datetime
import functools
import json
import random
from decimal import Decimal
from typing import Any

FIRST = ["Ada", "Grace", "Linus", "Guido", "Barbara", "Ken", "Margaret", "Dennis", "Frances"]
LAST = ["Lovelace", "Hopper", "Torvalds", "van Rossum", "Liskov", "Thompson", "Hamilton", "Allen"]
STATUS = ["paid", "pending", "shipped", "refunded"]
WORDS = (  # noqa: SIM905 (prose, split once)
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud "
    "exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure in "
    "reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint "
    "occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est "
    'laborum café naïve, "quoted"'
).split()

PAGE_ROWS = 385  # orders on the HTML page: about 112 KB rendered
BIG_JSON_BYTES = 1_000_000
SMALL_JSON_ITEMS = 7  # about 2 KB


def make_rows(n: int, seed: int = 2026) -> list[tuple[Any, ...]]:
    """n order rows in models.FIELDS order (aware UTC datetimes), the same on every call."""
    rnd = random.Random(seed)
    base = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    rows = []
    for i in range(n):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        note = " ".join(rnd.sample(WORDS, rnd.randrange(2, 7))).capitalize() + "."
        if i % 17 == 0:
            note += "\nsecond line"
        rows.append(
            (
                10000 + i,
                f"{first} {last}",
                f"{first.lower()}{rnd.randrange(100)}@example.com",
                Decimal(rnd.randrange(0, 10**7)).scaleb(-2),
                rnd.random() * 1000,
                base + datetime.timedelta(seconds=rnd.randrange(10**8), microseconds=i % 997),
                datetime.date(2020, 1, 1) + datetime.timedelta(days=rnd.randrange(2000)),
                None if i % 5 == 0 else note,
                rnd.choice(STATUS),
                bool(i % 3),
            )
        )
    return rows


def _item(row: tuple[Any, ...]) -> dict[str, Any]:
    number, customer, email, total, ratio, placed, day, note, status, active = row
    return {
        "id": number,
        "customer": customer,
        "email": email,
        "total": str(total),
        "ratio": ratio,
        "placed": placed.isoformat(),
        "day": day.isoformat(),
        "note": note,
        "status": status,
        "active": active,
    }


@functools.cache
def big_payload() -> dict[str, Any]:
    """About 1 MB once serialised by JsonResponse."""
    items = []
    size = 0
    for row in make_rows(20000, seed=1):
        item = _item(row)
        items.append(item)
        size += len(json.dumps(item)) + 2
        if size >= BIG_JSON_BYTES:
            break
    return {"count": len(items), "results": items}


@functools.cache
def small_payload() -> dict[str, Any]:
    """About 2 KB once serialised by JsonResponse."""
    items = [_item(row) for row in make_rows(SMALL_JSON_ITEMS, seed=2)]
    return {"count": len(items), "results": items}


def bulk_payload(rows: list[tuple[Any, ...]]) -> bytes:
    """The JSON body the bulk POST endpoint takes, for ``rows`` as make_rows gives them."""
    out = []
    for r in rows:
        out.append([r[0], r[1], r[2], str(r[3]), r[4], r[5].isoformat(), r[6].isoformat(), *r[7:]])
    return json.dumps({"rows": out}).encode()
