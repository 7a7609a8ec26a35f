"""What the vendor modules share: the value kinds the C encoders understand."""

from __future__ import annotations

# Kinds understood by the C encoder (csrc/py/bulk.h, enum djf_bulk_kind).
K_OTHER, K_INT, K_FLOAT, K_DECIMAL, K_BOOL, K_STR = 0, 1, 2, 3, 4, 5
K_DATE, K_DATETIME, K_TIME, K_UUID, K_BYTES = 6, 7, 8, 9, 10

# The C encoder's backend numbers (csrc/py/bulk.h): which wire format a BulkEncoder writes.
ENCODER_POSTGRESQL, ENCODER_SQLITE, ENCODER_MYSQL = 0, 1, 2
