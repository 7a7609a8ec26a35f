"""Type stubs for djfast._djfast, the C extension. One section per feature."""

# --- cache keys (csrc/py/cache.c) ---

# --- compression (csrc/py/compress.c) ---

# --- csv (csrc/py/csv.c) ---

# --- bulk (csrc/py/bulk.c) ---
