"""What the vendor modules share: the value kinds the C encoders and CSVFeed understand."""

from __future__ import annotations

from typing import Any

# Kinds understood by the C encoder (csrc/py/bulk.h, enum djf_bulk_kind).
K_OTHER, K_INT, K_FLOAT, K_DECIMAL, K_BOOL, K_STR = 0, 1, 2, 3, 4, 5
K_DATE, K_DATETIME, K_TIME, K_UUID, K_BYTES = 6, 7, 8, 9, 10

# The C encoder's backend numbers (csrc/py/bulk.h): which wire format a BulkEncoder writes.
ENCODER_POSTGRESQL, ENCODER_SQLITE, ENCODER_MYSQL = 0, 1, 2

# Column kinds of CSVFeed.rows (csrc/py/csv_copy.c): values C writes without calling the column's
# converter, because Django's converter is known to give exactly that value.
ROWS_CONVERT, ROWS_DATETIME_UTC, ROWS_DATE, ROWS_BOOL = 0, 1, 2, 3
# Kinds of a column read as the driver's raw text (bytes, None for NULL): C writes the text of
# what the driver's converter, then the column's converter, make of it, and hands any text not in
# the one form it knows to the column's callable (djfast/db/mysql.py).
ROWS_RAW_INT, ROWS_RAW_DECIMAL, ROWS_RAW_FLOAT, ROWS_RAW_BOOL = 4, 5, 6, 7
ROWS_RAW_DATE, ROWS_RAW_TIME, ROWS_RAW_DATETIME, ROWS_RAW_DATETIME_UTC = 8, 9, 10, 11
# SQLite values read as stored (djfast/db/sqlite.py): canonical ISO text (a str) -> str() of what
# Django makes of it; and Django's SQLite decimal converter (create_decimal_from_float, then
# quantize), with a (sig, places, max_digits) per column. None stays None for all of these.
ROWS_ISO_DATETIME, ROWS_ISO_DATETIME_UTC, ROWS_ISO_DATE, ROWS_ISO_TIME = 12, 13, 14, 15
ROWS_DECIMAL_QUANTIZE = 16

# The one Django converter (a method of connection.ops) each kind stands for.
_ROWS_KIND_BY_CONVERTER = {
    "convert_datetimefield_value": ROWS_DATETIME_UTC,  # make_aware(naive, UTC) under USE_TZ
    "convert_datefield_value": ROWS_DATE,  # a date stays as it is
    "convert_booleanfield_value": ROWS_BOOL,  # 0/1 -> bool, a bool stays as it is
}


def row_kinds(plan: Any) -> bytes | None:
    """Per column, the CSVFeed.rows kind: a column whose only converter is one of Django's own
    listed above (and no per-column format) lets C write the common values directly."""
    from django.conf import settings

    conn = plan.connection
    formats = getattr(plan, "formats", None) or {}
    utc = settings.USE_TZ and conn.timezone_name == "UTC"
    kinds = []
    for i, (convs, _) in enumerate(plan.columns):
        kind = ROWS_CONVERT
        if len(convs) == 1 and i not in formats and getattr(convs[0], "__self__", None) is conn.ops:
            kind = _ROWS_KIND_BY_CONVERTER.get(getattr(convs[0], "__name__", ""), ROWS_CONVERT)
            if kind == ROWS_DATETIME_UTC and not utc:
                kind = ROWS_CONVERT
        kinds.append(kind)
    return bytes(kinds) if any(kinds) else None
